"""The questionnaire definition format: frozen pydantic models of a form file.

A form is data (``forms/<id>.yaml``). These models check each node's shape; the cross-node
checks (duplicate ids, references, cycles, order) live in :mod:`riskscreen.forms.validate`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from riskscreen.conditions import Condition, Predicate
from riskscreen.definitions import hinted, version_key
from riskscreen.forms.kinds import (
    ABSENT,
    ANSWER_LABELS,
    INDICATOR_VALUES,
    NOT_KNOWN,
    RESERVED_ANSWERS,
    TIME_WINDOW_VALUES,
    KindRole,
    QuestionKind,
    QuestionType,
)

__all__ = [
    "ANSWER_LABELS",
    "DEFAULT_KINDS",
    "DEFAULT_TIME_WINDOWS",
    "INDICATOR_VALUES",
    "MAX_TEXT_LIMIT",
    "NOT_KNOWN",
    "TIME_WINDOW_VALUES",
    "Both",
    "DerivedValue",
    "FormChanges",
    "FormDefinition",
    "IndicatorKind",
    "KindRole",
    "Option",
    "Period",
    "Question",
    "QuestionKind",
    "QuestionType",
    "Section",
    "TimeWindows",
]

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
FORM_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")
SEMVER_PATTERN = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")

#: The longest a form may allow a text answer to be, in characters (docs/forms.md).
MAX_TEXT_LIMIT = 50_000


def _always(_: object, __: object) -> bool:
    return True


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


class Option(_Strict):
    """One choice of a single- or multiple-choice question."""

    id: str
    label: str = Field(min_length=1)
    help: str | None = None

    _v_id = field_validator("id")(lambda v: _check_id(v, "option"))


class Period(_Strict):
    """One time window of a time-window indicator: its answer id, label and months ago."""

    id: str
    label: str = Field(min_length=1, description="How the answer reads, e.g. 'Within the "
                       "last 6 months'.")
    short: str | None = Field(default=None, description="A shorter label for the answer "
                              "buttons (the label if absent).")
    from_months: int = Field(ge=0, le=240, description="Start of the window, in months "
                             "before the screening date.")
    to_months: int = Field(gt=0, le=240, description="End of the window, in months before "
                           "the screening date.")

    _v_id = field_validator("id")(lambda v: _check_window_id(v))

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.to_months <= self.from_months:
            raise ValueError(hinted(
                f"time window '{self.id}' ends ({self.to_months} months) no later than it "
                f"starts ({self.from_months} months)", "to_months must be above from_months"))
        return self


class Both(_Strict):
    """The answer for an indicator seen in both windows."""

    id: str = "both"
    label: str = Field(min_length=1)
    short: str | None = None

    _v_id = field_validator("id")(lambda v: _check_window_id(v))


def _check_window_id(value: str) -> str:
    _check_id(value, "time window")
    if value in RESERVED_ANSWERS:
        raise ValueError(hinted(f"'{value}' is an answer word of its own and cannot name a "
                                "time window", "choose another id, e.g. 'within_6_months'"))
    return value


class TimeWindows(_Strict):
    """The two periods a time-window indicator asks about, most recent first, and "both".

    The answers of a time-window question are ``none`` (not seen), the recent window's id,
    the older window's id, the ``both`` id, and ``not_known``.
    """

    recent: Period
    older: Period
    both: Both
    none_label: str = Field(default="Not present", min_length=1,
                            description="How the answer 'none' (not seen) reads.")

    @model_validator(mode="after")
    def _windows(self) -> TimeWindows:
        if self.recent.from_months != 0:
            raise ValueError(hinted(
                f"the recent window starts {self.recent.from_months} months ago",
                "the recent window starts at the screening date: from_months: 0"))
        if self.older.from_months != self.recent.to_months:
            raise ValueError(hinted(
                f"the older window starts at {self.older.from_months} months but the recent "
                f"one ends at {self.recent.to_months}",
                "the older window starts where the recent one ends"))
        ids = [self.recent.id, self.older.id, self.both.id]
        if len(set(ids)) != 3:
            raise ValueError(hinted("the time windows' ids repeat: " + ", ".join(ids),
                                    "give recent, older and both their own ids"))
        return self

    def present_ids(self) -> tuple[str, str, str]:
        """The answers that mean the indicator was seen: recent, older, both."""
        return (self.recent.id, self.older.id, self.both.id)

    def values(self) -> tuple[str, ...]:
        """Every answer of a time-window question, in order."""
        return (ABSENT, *self.present_ids(), NOT_KNOWN)

    def labels(self) -> dict[str, str]:
        """Answer -> how it reads."""
        return {ABSENT: self.none_label, self.recent.id: self.recent.label,
                self.older.id: self.older.label, self.both.id: self.both.label,
                NOT_KNOWN: ANSWER_LABELS[NOT_KNOWN]}

    def short_labels(self) -> dict[str, str]:
        """Answer -> its short label, for answer buttons."""
        return {ABSENT: self.none_label, self.recent.id: self.recent.short or self.recent.label,
                self.older.id: self.older.short or self.older.label,
                self.both.id: self.both.short or self.both.label,
                NOT_KNOWN: ANSWER_LABELS[NOT_KNOWN]}


#: The windows of a form that declares none: the last 3 months, and 3 to 12 months ago.
DEFAULT_TIME_WINDOWS = TimeWindows(
    recent=Period(id="recent", label="Within the last 3 months", short="Within last 3 months",
                  from_months=0, to_months=3),
    older=Period(id="older", label="3 to 12 months ago", short="3–12 months ago",
                 from_months=3, to_months=12),
    both=Both(id="both", label="Both recently and 3 to 12 months ago", short="Both"))


class IndicatorKind(_Strict):
    """A kind of question the form uses, what it does, and how the summary words it."""

    id: str
    role: KindRole = Field(description="What the kind does in scoring and routing: "
                           "vulnerability, risk, harm or protective (context is not scored).")
    label: str = Field(min_length=1, description="Singular, as in the summary's Kind column: "
                       "'Sign of risk'.")
    plural: str = Field(min_length=1, description="In the summary's sentences: 'signs of "
                        "risk'.")
    description: str = Field(min_length=1, description="What the kind means, in plain words.")

    _v_id = field_validator("id")(lambda v: _check_id(v, "kind"))


#: The kinds of a form that declares none.
DEFAULT_KINDS: tuple[IndicatorKind, ...] = (
    IndicatorKind(id="vulnerability", role=KindRole.VULNERABILITY, label="Vulnerability",
                  plural="vulnerabilities",
                  description="A circumstance that people who exploit children may take "
                  "advantage of. It is never the child's fault and does not show exploitation "
                  "on its own."),
    IndicatorKind(id="risk_indicator", role=KindRole.RISK, label="Sign of risk",
                  plural="signs of risk",
                  description="Something seen or heard that makes exploitation more likely."),
    IndicatorKind(id="significant_indicator", role=KindRole.RISK,
                  label="Significant sign of risk", plural="significant signs of risk",
                  description="A sign of risk strong enough that, on its own, it needs a "
                  "multi-agency conversation."),
    IndicatorKind(id="harm_indicator", role=KindRole.HARM, label="Sign of harm",
                  plural="signs of harm",
                  description="A sign that the child is already being harmed, not only at "
                  "risk."),
    IndicatorKind(id="protective_factor", role=KindRole.PROTECTIVE, label="Protective factor",
                  plural="protective factors",
                  description="A person or thing in the child's life that helps keep them "
                  "safe, and that any plan should build on."),
)
#: The kind every form has: questions that describe the child and the screening.
CONTEXT_KIND = IndicatorKind(id="context", role=KindRole.CONTEXT, label="Context",
                             plural="context", description="About the child and the "
                             "screening; not scored.")


class Evidence(_Strict):
    """Asks for the evidence behind a "yes" apart from professional concern."""

    prompt: str = "What was seen or heard, by whom, and when?"


class Question(_Strict):
    """One question. Its ``kind`` says what it means; its ``type`` what answer it takes."""

    id: str
    text: str = Field(min_length=1)
    kind: str = Field(description="A kind the form declares under 'kinds:', or 'context'.")
    type: QuestionType = QuestionType.INDICATOR
    required: bool = False
    help: str | None = None
    show_if: Condition | None = None
    options: list[Option] | None = None
    minimum: int | None = None
    maximum: int | None = None
    allow_future: bool = False
    max_length: int | None = Field(default=None, gt=0, le=MAX_TEXT_LIMIT)
    evidence: Evidence | None = None
    concern: str | None = Field(
        default=None,
        description="Tag grouping indicators by kind of concern (used by routing), "
        "for example 'online' or 'missing'.",
    )

    #: Set by the form: the role of this question's kind, and the form's time windows.
    _role: KindRole = PrivateAttr(default=KindRole.CONTEXT)
    _windows: TimeWindows = PrivateAttr(default=DEFAULT_TIME_WINDOWS)

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

    def _set_by_form(self, name: str) -> Any:
        """A private attribute read from pydantic's dict: reading ``self._windows`` goes
        through pydantic's lookup, which asks the default (a model) for ``__get__`` and takes
        about 10 µs; scoring reads the windows of every question it compiles."""
        private = self.__pydantic_private__
        assert private is not None  # the class has private attributes, so pydantic sets it
        return private[name]

    @property
    def role(self) -> KindRole:
        """What this question's kind does in scoring and routing (see :class:`KindRole`)."""
        role: KindRole = self._set_by_form("_role")
        return role

    @property
    def windows(self) -> TimeWindows:
        """The form's time windows (the default ones for a question outside a form)."""
        windows: TimeWindows = self._set_by_form("_windows")
        return windows

    def option_ids(self) -> list[str]:
        """Ids of this question's options (empty for non-choice questions)."""
        return [o.id for o in self.options or []]

    def allowed_values(self) -> tuple[str, ...] | None:
        """The finite set of answer words this question accepts, or None if open."""
        if self.type is QuestionType.INDICATOR:
            return INDICATOR_VALUES
        if self.type is QuestionType.TIME_WINDOW:
            return self.windows.values()
        if self.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            return tuple(self.option_ids())
        return None

    def label_of(self, value: str) -> str:
        """Human label of one answer word or option id."""
        for option in self.options or []:
            if option.id == value:
                return option.label
        if self.type is QuestionType.TIME_WINDOW:
            return self.windows.labels().get(value, value)
        return ANSWER_LABELS.get(value, value)


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


class FormChanges(_Strict):
    """What a form version changed from the version before it: questions renamed (old id to
    new id) or removed. Answers given under the earlier version are carried over by it (a
    re-screening's starting answers, trends across versions)."""

    version: str
    renamed: dict[str, str] = Field(default_factory=dict)
    removed: list[str] = Field(default_factory=list)

    @field_validator("version", mode="before")
    @classmethod
    def _semver(cls, value: Any) -> str:
        if not isinstance(value, str) or not SEMVER_PATTERN.match(value):
            raise ValueError(
                hinted(f"changes_from version {value!r} is not a semantic version",
                       "write the earlier version in quotes, for example \"1.0.0\"")
            )
        return value

    @model_validator(mode="after")
    def _distinct(self) -> FormChanges:
        both = sorted(set(self.renamed) & set(self.removed))
        if both:
            raise ValueError(hinted(f"question '{both[0]}' is both renamed and removed",
                                    "keep it in one of 'renamed:' or 'removed:'"))
        return self


class FormDefinition(_Strict):
    """A versioned questionnaire."""

    kind: Literal["form"] = "form"
    id: str
    version: str
    title: str = Field(min_length=1)
    description: str | None = None
    time_windows: TimeWindows = Field(
        default=DEFAULT_TIME_WINDOWS,
        description="The two periods time-window indicators ask about (default: the last 3 "
        "months, and 3 to 12 months ago).")
    kinds: list[IndicatorKind] = Field(
        default_factory=lambda: list(DEFAULT_KINDS),
        description="The kinds of question the form uses besides 'context', with what each "
        "does and how the summary words it (default: vulnerability, risk_indicator, "
        "significant_indicator, harm_indicator, protective_factor).")
    derived: list[DerivedValue] = Field(default_factory=list)
    sections: list[Section]
    #: What this version changed from the one before (None for a first version).
    changes_from: FormChanges | None = None

    @model_validator(mode="after")
    def _tell_questions(self) -> FormDefinition:
        """Give every question its kind's role and the form's time windows."""
        roles = {k.id: k.role for k in self.kinds}
        for q in self.questions():
            q._role = roles.get(q.kind, KindRole.CONTEXT)
            q._windows = self.time_windows
        return self

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

    @model_validator(mode="after")
    def _changes(self) -> FormDefinition:
        change = self.changes_from
        if change is None:
            return self
        if version_key(change.version) >= version_key(self.version):
            raise ValueError(hinted(
                f"changes_from names version {change.version}, which is not before this "
                f"form's version {self.version}", "name the version this one replaces"))
        asked = {q.id for section in self.sections for q in section.questions}
        missing = sorted(new for new in change.renamed.values() if new not in asked)
        if missing:
            raise ValueError(hinted(
                f"changes_from renames a question to '{missing[0]}', which this form does "
                "not ask", "rename it to the id of a question in this version"))
        return self

    def questions(self) -> Iterator[Question]:
        """Every question, in the order a practitioner meets them."""
        for section in self.sections:
            yield from section.questions

    def question(self, question_id: str) -> Question:
        """The question with this id; ``KeyError`` if there is none."""
        return self._questions_by_id[question_id]

    def question_index(self) -> dict[str, Question]:
        """Questions by id (first one wins if ids repeat; validation reports repeats); a copy
        the caller may change."""
        return dict(self._questions_by_id)

    def find_question(self, question_id: str) -> Question | None:
        """The question with this id, or None; without copying the index (the autosave asks
        on every answer)."""
        return self._questions_by_id.get(question_id)

    @cached_property
    def _questions_by_id(self) -> dict[str, Question]:
        """The index, built once: a form is frozen, so its questions never change."""
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

    @cached_property
    def show_if_predicates(self) -> dict[str, Predicate]:
        """Each conditional question's ``show_if``, compiled once (see :meth:`shown_by`)."""
        return {q.id: q.show_if.compile(self) for q in self.questions() if q.show_if is not None}

    def shown_by(self, question_id: str) -> Predicate:
        """Whether a question is shown, as a function of the visible answers before it and
        the derived values (always true for a question without ``show_if``)."""
        return self.show_if_predicates.get(question_id, _always)

    def kind_of(self, kind_id: str) -> IndicatorKind:
        """A kind of question by id (``context`` included); ``KeyError`` if none."""
        if kind_id == CONTEXT_KIND.id:
            return CONTEXT_KIND
        for k in self.kinds:
            if k.id == kind_id:
                return k
        raise KeyError(kind_id)

    def kind_roles(self) -> dict[str, KindRole]:
        """Kind id -> role, ``context`` included."""
        return {CONTEXT_KIND.id: KindRole.CONTEXT, **{k.id: k.role for k in self.kinds}}

    def kinds_with(self, *roles: KindRole) -> list[str]:
        """The ids of the form's kinds that play one of these roles."""
        return [k.id for k in self.kinds if k.role in roles]

    def derived_value(self, derived_id: str) -> DerivedValue:
        """The derived value with this id; ``KeyError`` if there is none."""
        for d in self.derived:
            if d.id == derived_id:
                return d
        raise KeyError(derived_id)
