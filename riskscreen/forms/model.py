"""The questionnaire definition format: frozen pydantic models of a form file.

A form is data (``forms/<id>.yaml``). These models check each node's shape; the cross-node
checks (duplicate ids, references, cycles, order) live in :mod:`riskscreen.forms.validate`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from riskscreen.definitions import Path_, hinted

__all__ = [
    "INDICATOR_VALUES",
    "NOT_KNOWN",
    "TIME_WINDOW_VALUES",
    "Comparison",
    "Condition",
    "ConditionTree",
    "DerivedValue",
    "FormDefinition",
    "Option",
    "Question",
    "QuestionKind",
    "QuestionType",
    "Section",
]

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
FORM_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")
SEMVER_PATTERN = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")

NOT_KNOWN = "not_known"
#: Answers to a yes/no/not-known indicator. "not_known" is an honest answer, never read as "no".
INDICATOR_VALUES = ("yes", "no", NOT_KNOWN)
#: Answers to a time-window indicator: not seen, seen in the last 3 months, seen 3 to 12 months
#: ago, seen in both periods, or not known.
TIME_WINDOW_VALUES = ("none", "recent", "older", "both", NOT_KNOWN)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _check_id(value: str, what: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(
            hinted(
                f"{what} id {value!r} is not valid",
                "use lower-case letters, digits and underscores, starting with a letter",
            )
        )
    return value


class QuestionKind(StrEnum):
    """What a question tells the engine and the summary, kept apart on purpose.

    Inspectors criticise tools that mix risk (something that makes exploitation more likely)
    with evidence of harm already happening; the two are scored and reported separately.
    """

    CONTEXT = "context"
    VULNERABILITY = "vulnerability"
    RISK_INDICATOR = "risk_indicator"
    HARM_INDICATOR = "harm_indicator"
    PROTECTIVE_FACTOR = "protective_factor"


class QuestionType(StrEnum):
    """The kind of answer a question takes."""

    INDICATOR = "indicator"  # yes / no / not_known
    TIME_WINDOW = "time_window"  # none / recent / older / both / not_known
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"
    LONG_TEXT = "long_text"


class Option(_Strict):
    """One choice of a single- or multiple-choice question."""

    id: str
    label: str = Field(min_length=1)
    help: str | None = None

    _v_id = field_validator("id")(lambda v: _check_id(v, "option"))


class Comparison(_Strict):
    """The operand of a comparison: a question's answer or a derived value, and a value."""

    question: str | None = None
    derived: str | None = None
    value: Any = None
    values: list[Any] | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Comparison:
        if (self.question is None) == (self.derived is None):
            raise ValueError(
                hinted(
                    "a comparison names exactly one of 'question' or 'derived'",
                    "write 'question: <question id>' or 'derived: <derived value id>'",
                )
            )
        return self

    @property
    def subject(self) -> str:
        """The id compared: a question id or a derived value id."""
        return self.question if self.question is not None else str(self.derived)


class Subject(_Strict):
    """The operand of ``answered``: only names what is tested."""

    question: str | None = None
    derived: str | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Subject:
        if (self.question is None) == (self.derived is None):
            raise ValueError(
                hinted("'answered' names exactly one of 'question' or 'derived'",
                       "write 'answered: {question: <question id>}'")
            )
        return self

    @property
    def subject(self) -> str:
        """The id tested."""
        return self.question if self.question is not None else str(self.derived)


CONDITION_OPERATORS = (
    "all", "any", "not", "equals", "in", "contains", "greater_than", "less_than", "answered",
)


class ConditionTree(_Strict):
    """What every condition tree shares: one operator per node, non-empty operands.

    Subclasses declare the operator fields (``all_``, ``any_``, ``not_``, ``in_`` and the
    comparisons, plus any of their own) and list the operator names in ``OPERATORS``.
    """

    OPERATORS: ClassVar[tuple[str, ...]] = CONDITION_OPERATORS

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        ops = ", ".join(cls.OPERATORS)
        if not isinstance(data, dict):
            raise ValueError(hinted("a condition must be a mapping with one operator",
                                    f"use one of: {ops}"))
        unknown = [k for k in data if k not in cls.OPERATORS]
        if unknown:
            raise ValueError(hinted(f"unknown condition operator {unknown[0]!r}",
                                    f"use one of: {ops}"))
        empty = [k for k in data if data[k] is None]
        if empty:
            raise ValueError(
                hinted(f"condition operator '{empty[0]}' has no value",
                       "give it a mapping (for a comparison) or a list (for all/any)")
            )
        if len(data) != 1:
            raise ValueError(hinted(
                "a condition has exactly one operator, found " + (", ".join(data) or "none"),
                "combine several with 'all:' or 'any:'"))
        return data

    @model_validator(mode="after")
    def _shape(self) -> Self:
        for name in ("all_", "any_"):
            items = getattr(self, name)
            if items is not None and not items:
                raise ValueError(
                    hinted(f"'{name.rstrip('_')}' needs at least one condition", "add a condition")
                )
        in_ = getattr(self, "in_", None)
        if in_ is not None and not in_.values:
            raise ValueError(hinted("'in' needs a non-empty 'values' list",
                                    "write 'values: [a, b]'"))
        for name in ("equals", "contains", "greater_than", "less_than"):
            comparison = getattr(self, name, None)
            if comparison is not None and comparison.value is None:
                raise ValueError(hinted(f"'{name}' needs a 'value'", "add 'value: ...'"))
        return self

    @property
    def operator(self) -> str:
        """The name of this node's operator as written in the file."""
        for name in self.OPERATORS:
            attr = name + "_" if name in {"all", "any", "not", "in"} else name
            if getattr(self, attr) is not None:
                return name
        raise AssertionError("validated condition without operator")  # pragma: no cover

    def walk(self, path: Path_ = ()) -> Iterator[tuple[Self, Path_]]:
        """Yield every node of the tree with its path below ``path``, this node first."""
        yield self, path
        for name in ("all", "any"):
            for i, child in enumerate(getattr(self, name + "_") or []):
                yield from child.walk((*path, name, i))
        child = getattr(self, "not_", None)
        if child is not None:
            yield from child.walk((*path, "not"))


class Condition(ConditionTree):
    """A structured ``show_if`` condition: exactly one operator, combined into a tree.

    Conditions are data. Nothing in a definition file is ever evaluated as code.
    """

    all_: list[Condition] | None = Field(default=None, alias="all")
    any_: list[Condition] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")
    equals: Comparison | None = None
    in_: Comparison | None = Field(default=None, alias="in")
    contains: Comparison | None = None
    greater_than: Comparison | None = None
    less_than: Comparison | None = None
    answered: Subject | None = None

    def subjects(self) -> Iterator[tuple[str, str]]:
        """Yield ``("question"|"derived", id)`` for every operand in this tree."""
        for child in (self.all_ or []) + (self.any_ or []) + ([self.not_] if self.not_ else []):
            yield from child.subjects()
        for comp in (self.equals, self.in_, self.contains, self.greater_than, self.less_than,
                     self.answered):
            if comp is not None:
                if comp.question is not None:
                    yield ("question", comp.question)
                else:
                    yield ("derived", str(comp.derived))


class Evidence(_Strict):
    """Asks for the evidence behind a "yes" apart from professional concern."""

    prompt: str = "What was seen or heard, by whom, and when?"


class Question(_Strict):
    """One question. Its ``kind`` says what it means; its ``type`` what answer it takes."""

    id: str
    text: str = Field(min_length=1)
    kind: QuestionKind
    type: QuestionType = QuestionType.INDICATOR
    required: bool = False
    help: str | None = None
    show_if: Condition | None = None
    options: list[Option] | None = None
    minimum: int | None = None
    maximum: int | None = None
    allow_future: bool = False
    max_length: int | None = Field(default=None, gt=0)
    evidence: Evidence | None = None
    concern: str | None = Field(
        default=None,
        description="Tag grouping indicators by kind of concern (used by routing), "
        "for example 'online' or 'missing'.",
    )

    _v_id = field_validator("id")(lambda v: _check_id(v, "question"))

    @model_validator(mode="after")
    def _type_fields(self) -> Question:
        choice = self.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
        if choice and not self.options:
            raise ValueError(
                hinted(f"question '{self.id}' is a {self.type.value} question without options",
                       "add 'options:' with at least one '- id: ..., label: ...'")
            )
        if not choice and self.options:
            raise ValueError(
                hinted(f"question '{self.id}' has options but is of type {self.type.value}",
                       "remove 'options:' or make the type single_choice or multiple_choice")
            )
        if (self.minimum is not None or self.maximum is not None) and (
            self.type is not QuestionType.NUMBER
        ):
            raise ValueError(
                hinted(f"question '{self.id}' has bounds but is not a number question",
                       "remove 'minimum:'/'maximum:' or make the type number")
            )
        if (
            self.minimum is not None
            and self.maximum is not None
            and self.minimum > self.maximum
        ):
            raise ValueError(
                hinted(f"question '{self.id}': minimum {self.minimum} is above maximum "
                       f"{self.maximum}", "swap them")
            )
        if self.allow_future and self.type is not QuestionType.DATE:
            raise ValueError(hinted(f"question '{self.id}': 'allow_future' is only for dates",
                                    "remove it"))
        if self.evidence is not None and self.type not in (
            QuestionType.INDICATOR, QuestionType.TIME_WINDOW
        ):
            raise ValueError(
                hinted(f"question '{self.id}': 'evidence' is only for indicator questions",
                       "remove it, or make the type indicator or time_window")
            )
        return self

    def option_ids(self) -> list[str]:
        """Ids of this question's options (empty for non-choice questions)."""
        return [o.id for o in self.options or []]

    def allowed_values(self) -> tuple[str, ...] | None:
        """The finite set of answer words this question accepts, or None if open."""
        if self.type is QuestionType.INDICATOR:
            return INDICATOR_VALUES
        if self.type is QuestionType.TIME_WINDOW:
            return TIME_WINDOW_VALUES
        if self.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            return tuple(self.option_ids())
        return None

    def label_of(self, value: str) -> str:
        """Human label of one answer word or option id."""
        for option in self.options or []:
            if option.id == value:
                return option.label
        return ANSWER_LABELS.get(value, value)


ANSWER_LABELS = {
    "yes": "Yes",
    "no": "No",
    NOT_KNOWN: "Not known",
    "none": "Not present",
    "recent": "Within the last 3 months",
    "older": "3 to 12 months ago",
    "both": "Both recently and 3 to 12 months ago",
}


class Section(_Strict):
    """An ordered group of questions with guidance for the practitioner."""

    id: str
    title: str = Field(min_length=1)
    guidance: str | None = None
    questions: list[Question]

    _v_id = field_validator("id")(lambda v: _check_id(v, "section"))


class DerivedValue(_Strict):
    """A value computed from answers, usable in conditions and scoring (e.g. age)."""

    id: str
    kind: Literal["age_years"]
    question: str = Field(description="The date-of-birth question the age is computed from.")
    label: str | None = None

    _v_id = field_validator("id")(lambda v: _check_id(v, "derived value"))


class FormDefinition(_Strict):
    """A versioned questionnaire."""

    kind: Literal["form"] = "form"
    id: str
    version: str
    title: str = Field(min_length=1)
    description: str | None = None
    derived: list[DerivedValue] = Field(default_factory=list)
    sections: list[Section]

    @field_validator("id")
    @classmethod
    def _form_id(cls, value: str) -> str:
        if not FORM_ID_PATTERN.match(value):
            raise ValueError(
                hinted(f"form id {value!r} is not valid",
                       "use lower-case letters, digits and hyphens, starting with a letter")
            )
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _semver(cls, value: Any) -> str:
        if not isinstance(value, str) or not SEMVER_PATTERN.match(value):
            raise ValueError(
                hinted(f"version {value!r} is not a semantic version",
                       "write MAJOR.MINOR.PATCH in quotes, for example \"1.0.0\"")
            )
        return value

    def questions(self) -> Iterator[Question]:
        """Every question, in the order a practitioner meets them."""
        for section in self.sections:
            yield from section.questions

    def question(self, question_id: str) -> Question:
        """The question with this id; ``KeyError`` if there is none."""
        return self.question_index()[question_id]

    def question_index(self) -> dict[str, Question]:
        """Questions by id (first one wins if ids repeat; validation reports repeats)."""
        index: dict[str, Question] = {}
        for q in self.questions():
            index.setdefault(q.id, q)
        return index

    def section_of(self, question_id: str) -> Section:
        """The section holding a question."""
        for section in self.sections:
            if any(q.id == question_id for q in section.questions):
                return section
        raise KeyError(question_id)

    def derived_value(self, derived_id: str) -> DerivedValue:
        """The derived value with this id; ``KeyError`` if there is none."""
        for d in self.derived:
            if d.id == derived_id:
                return d
        raise KeyError(derived_id)
