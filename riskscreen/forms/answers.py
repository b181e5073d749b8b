"""Answer sets: the answers to one screening, checked against the form they belong to.

An answers file is JSON::

    {"form": "cse-screening", "form_version": "1.0.0", "screening_date": "2026-03-01",
     "answers": {"date_of_birth": "2012-05-04", "online_grooming": "recent", ...},
     "evidence": {"online_grooming": {"basis": "observed", "details": "...", ...}}}

The screening date, never today's date, is what ages and time windows are counted from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from riskscreen.forms.model import (
    INDICATOR_VALUES,
    MAX_TEXT_LIMIT,
    FormDefinition,
    Question,
    QuestionType,
)
from riskscreen.forms.visibility import is_answered, visible_questions

__all__ = [
    "AnswerError",
    "AnswerProblem",
    "AnswerSet",
    "EvidenceBasis",
    "EvidenceRecord",
    "answers_json_schema",
    "check_answer",
    "check_answers",
    "load_answer_set",
]

#: Length limits of free text, in characters (documented in docs/forms.md). A form may set a
#: question's own ``max_length``, at most :data:`MAX_TEXT_LIMIT`.
DEFAULT_TEXT_LIMIT = 500
DEFAULT_LONG_TEXT_LIMIT = MAX_TEXT_LIMIT
EVIDENCE_DETAILS_LIMIT = 20_000
EVIDENCE_SOURCE_LIMIT = 200
#: The largest answers file read (a complete screening with every text at its limit is far
#: smaller).
MAX_ANSWERS_FILE_BYTES = 10_000_000


class EvidenceBasis(StrEnum):
    """Whether an indicator rests on something seen or reported, or on professional concern."""

    OBSERVED = "observed"
    REPORTED = "reported"
    CONCERN = "concern"


class EvidenceRecord(BaseModel):
    """What lies behind a "yes": kept apart from the answer itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    basis: EvidenceBasis
    # Limits are checked with the answers (check_answers), not here, so that a record stored
    # before they existed still opens.
    details: str = Field(default="", json_schema_extra={"maxLength": EVIDENCE_DETAILS_LIMIT})
    source: str = Field(default="", json_schema_extra={"maxLength": EVIDENCE_SOURCE_LIMIT})
    when: date | None = None


class AnswerSet(BaseModel):
    """The answers to one screening."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    form: str
    form_version: str
    screening_date: date
    answers: dict[str, Any] = Field(default_factory=dict)
    evidence: dict[str, EvidenceRecord] = Field(default_factory=dict)


@dataclass(frozen=True)
class AnswerProblem:
    """One answer that does not fit the form, naming the question."""

    question: str
    message: str
    #: The length limit the answer goes over, for a problem of length (the message of any
    #: other problem may quote the answer).
    limit: int | None = None

    def format(self) -> str:
        """``question: message``, the form used on the command line."""
        return f"{self.question}: {self.message}" if self.question else self.message


class AnswerError(ValueError):
    """Answers that do not match their form; ``problems`` lists every one."""

    def __init__(self, problems: list[AnswerProblem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + "; ".join(p.format() for p in problems))


def _unreadable(path: Path, message: str) -> AnswerError:
    return AnswerError([AnswerProblem("", message)], str(path))


def load_answer_set(path: Path) -> AnswerSet:
    """Read an answers file, raising :class:`AnswerError` with a readable reason.

    Files larger than :data:`MAX_ANSWERS_FILE_BYTES`, nested deeper than JSON needs, or
    holding numbers too long to convert are refused before anything is built from them.
    """
    try:
        if path.is_dir():
            raise _unreadable(path, "this is a folder, not an answers file (give the path of "
                                    "a .json file)")
        if path.stat().st_size > MAX_ANSWERS_FILE_BYTES:
            raise _unreadable(path, f"the file is larger than {MAX_ANSWERS_FILE_BYTES:,} "
                                    "bytes, too large for an answers file (check it is the "
                                    "right file)")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _unreadable(path, "file not found (check the path)") from None
    except UnicodeDecodeError:
        raise _unreadable(path, "the file is not UTF-8 text (save it as UTF-8 JSON)") from None
    except OSError as error:
        raise _unreadable(path, f"cannot read the file: {error.strerror or error} (check the "
                                "path and that you may read it)") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise _unreadable(path, f"not valid JSON: {error.msg} at line {error.lineno}, column "
                                f"{error.colno}") from None
    except RecursionError:
        raise _unreadable(path, "not an answers file: the JSON is nested too deeply") from None
    except ValueError:  # an integer of more digits than Python converts
        raise _unreadable(path, "not an answers file: a number in it is far too long") from None
    return parse_answer_set(raw, str(path))


def parse_answer_set(raw: Any, source: str = "") -> AnswerSet:
    """Validate the envelope of an answers document (not yet against its form)."""
    try:
        return AnswerSet.model_validate(raw)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            where = ".".join(str(p) for p in item["loc"])
            problems.append(AnswerProblem("", f"{where}: {item['msg']}"))
        raise AnswerError(problems, source) from None


def _brief(value: Any) -> str:
    """A short rendering of a wrong answer for a message: long or nested values are cut."""
    try:
        text = repr(value) if not isinstance(value, (list, dict)) else type(value).__name__
    except ValueError:  # an integer too long to turn into text
        return "a number of more than 4,300 digits"
    return text if len(text) <= 40 else text[:37] + "..."


def _check_value(q: Question, value: Any, screening_date: date) -> str | None:
    """Return why ``value`` is not a valid answer to ``q``, or None if it is."""
    t = q.type
    if t is QuestionType.INDICATOR:
        if value not in INDICATOR_VALUES:
            return f"answer {_brief(value)} is not one of {', '.join(INDICATOR_VALUES)}"
    elif t is QuestionType.TIME_WINDOW:
        allowed = q.windows.values()
        if value not in allowed:
            return f"answer {_brief(value)} is not one of {', '.join(allowed)}"
    elif t is QuestionType.SINGLE_CHOICE:
        if not isinstance(value, str) or value not in q.option_ids():
            return (f"option {_brief(value)} is not offered; choose one of "
                    f"{', '.join(q.option_ids())}")
    elif t is QuestionType.MULTIPLE_CHOICE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "expects a list of option ids"
        bad = [v for v in value if v not in q.option_ids()]
        if bad:
            return (f"option {_brief(bad[0])} is not offered; choose from "
                    f"{', '.join(q.option_ids())}")
        if len(set(value)) != len(value):
            return "lists the same option twice"
    elif t is QuestionType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"expects a whole number, got {_brief(value)}"
        if q.minimum is not None and value < q.minimum:
            return f"{_brief(value)} is below the minimum of {q.minimum}"
        if q.maximum is not None and value > q.maximum:
            return f"{_brief(value)} is above the maximum of {q.maximum}"
    elif t is QuestionType.DATE:
        if not isinstance(value, str):
            return f"expects a date as YYYY-MM-DD, got {_brief(value)}"
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            return f"{_brief(value)} is not a date in the form YYYY-MM-DD"
        if not q.allow_future and parsed > screening_date:
            return f"{value} is after the screening date {screening_date.isoformat()}"
    elif t in (QuestionType.TEXT, QuestionType.LONG_TEXT):
        if not isinstance(value, str):
            return f"expects text, got {_brief(value)}"
        limit = text_limit(q)
        if len(value) > limit:
            return f"text is {len(value):,} characters, longer than the limit of {limit:,}"
    return None


def text_limit(q: Question) -> int:
    """The most characters an answer to a text question may have."""
    default = DEFAULT_TEXT_LIMIT if q.type is QuestionType.TEXT else DEFAULT_LONG_TEXT_LIMIT
    return q.max_length or default


def _too_long(q: Question, value: Any) -> int | None:
    if q.type in (QuestionType.TEXT, QuestionType.LONG_TEXT) and isinstance(value, str):
        limit = text_limit(q)
        return limit if len(value) > limit else None
    return None


def _evidence_problems(qid: str, record: EvidenceRecord) -> list[AnswerProblem]:
    problems = []
    for name, text, limit in (("details are", record.details, EVIDENCE_DETAILS_LIMIT),
                              ("source is", record.source, EVIDENCE_SOURCE_LIMIT)):
        if len(text) > limit:
            problems.append(AnswerProblem(
                qid, f"the evidence {name} {len(text):,} characters, longer than the limit "
                     f"of {limit:,}", limit))
    return problems


def check_answers(
    form: FormDefinition, answer_set: AnswerSet, *, complete: bool = True
) -> list[AnswerProblem]:
    """Every way the answers do not fit the form.

    With ``complete`` (the default, used before scoring a finished screening), a visible
    required question without an answer is a problem; drafts pass ``complete=False``.
    """
    problems: list[AnswerProblem] = []
    if answer_set.form != form.id:
        problems.append(AnswerProblem("", f"answers are for form '{answer_set.form}', "
                                          f"not '{form.id}'"))
    if answer_set.form_version != form.version:
        problems.append(AnswerProblem(
            "", f"answers are for version {answer_set.form_version} of '{answer_set.form}', "
                f"but the form given is version {form.version}"))
    for qid, value in answer_set.answers.items():
        problems += _answer_problems(form, qid, value, answer_set.screening_date)
    for qid, record in answer_set.evidence.items():
        problems += _record_problems(form, qid, record)
    if complete:
        shown = visible_questions(form, answer_set.answers, answer_set.screening_date)
        for qid in shown:
            if form.question(qid).required and not is_answered(answer_set.answers.get(qid)):
                problems.append(AnswerProblem(qid, "required question has no answer"))
    return problems


def check_answer(form: FormDefinition, question_id: str, value: Any, screening_date: date,
                 evidence: EvidenceRecord | None = None) -> list[AnswerProblem]:
    """What :func:`check_answers` finds wrong with one answer of a draft and its evidence,
    without building an answer set (the autosave checks each answer as it is typed)."""
    problems = _answer_problems(form, question_id, value, screening_date)
    if evidence is not None:
        problems += _record_problems(form, question_id, evidence)
    return problems


def _answer_problems(form: FormDefinition, qid: str, value: Any,
                     screening_date: date) -> list[AnswerProblem]:
    q = form.find_question(qid)
    if q is None:
        return [AnswerProblem(qid, "no such question in this form")]
    if value is None:
        return []
    reason = _check_value(q, value, screening_date)
    return [AnswerProblem(qid, reason, _too_long(q, value))] if reason else []


def _record_problems(form: FormDefinition, qid: str,
                     record: EvidenceRecord) -> list[AnswerProblem]:
    q = form.find_question(qid)
    if q is None:
        return [AnswerProblem(qid, "evidence given for a question not in this form")]
    if q.evidence is None:
        return [AnswerProblem(qid, "this question does not take evidence")]
    return _evidence_problems(qid, record)


def validated(form: FormDefinition, answer_set: AnswerSet, *, complete: bool = True,
              source: str = "") -> AnswerSet:
    """Return the answer set if it fits the form, else raise :class:`AnswerError`."""
    problems = check_answers(form, answer_set, complete=complete)
    if problems:
        raise AnswerError(problems, source)
    return answer_set


def _question_schema(q: Question) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": q.text}
    if q.help:
        schema["description"] = q.help
    allowed = q.allowed_values()
    if q.type is QuestionType.MULTIPLE_CHOICE:
        schema |= {"type": "array", "items": {"enum": list(allowed or ())}, "uniqueItems": True}
    elif allowed is not None:
        schema |= {"type": "string", "enum": list(allowed)}
    elif q.type is QuestionType.NUMBER:
        schema["type"] = "integer"
        if q.minimum is not None:
            schema["minimum"] = q.minimum
        if q.maximum is not None:
            schema["maximum"] = q.maximum
    elif q.type is QuestionType.DATE:
        schema |= {"type": "string", "format": "date"}
    else:
        schema |= {"type": "string", "maxLength": text_limit(q)}
    return schema


def answers_json_schema(form: FormDefinition) -> dict[str, Any]:
    """A JSON Schema for answers files of this form version (for editors and integrations)."""
    evidence_schema = AnswerSet.model_json_schema()["$defs"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Answers to {form.title} (version {form.version})",
        "type": "object",
        "additionalProperties": False,
        "required": ["form", "form_version", "screening_date", "answers"],
        "properties": {
            "form": {"const": form.id},
            "form_version": {"const": form.version},
            "screening_date": {"type": "string", "format": "date"},
            "answers": {
                "type": "object",
                "additionalProperties": False,
                "properties": {q.id: _question_schema(q) for q in form.questions()},
            },
            "evidence": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    q.id: {"$ref": "#/$defs/EvidenceRecord"}
                    for q in form.questions() if q.evidence is not None
                },
            },
        },
        "$defs": evidence_schema,
    }


def answer_text(q: Question, value: Any) -> str:
    """A readable rendering of one answer, for explanations and summaries."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(q.label_of(v) for v in value) or "—"
    if isinstance(value, str) and q.allowed_values() is not None:
        return q.label_of(value)
    return str(value)


def answers_from(answer_set: AnswerSet | Mapping[str, Any]) -> Mapping[str, Any]:
    """The plain answer mapping of an answer set or of a mapping already."""
    return answer_set.answers if isinstance(answer_set, AnswerSet) else answer_set
