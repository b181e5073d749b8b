"""The scoring model format: frozen pydantic models of a ``kind: scoring_model`` file.

A scoring model is data (``scoring/<form id>/<version>.yaml``). These models check each
node's shape; the checks that need the whole model or the form it scores (unknown questions
and options, thresholds out of order, rules that can never fire) live in
:mod:`riskscreen.scoring.loader`. Points are integers: no floating point anywhere.

A model's identity is its id, version and the SHA-256 of :meth:`ScoringModel.canonical_json`,
so two files with the same content have the same hash and any edit changes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from riskscreen.conditions import PRESENT_WINDOWS, Condition, PresentArg, Selection
from riskscreen.definitions import hinted
from riskscreen.forms.model import FORM_ID_PATTERN, SEMVER_PATTERN, QuestionKind
from riskscreen.scoring.assessment import LevelInfo, ModelIdentity

__all__ = [
    "PRESENT_WINDOWS",
    "Band",
    "BandWeight",
    "FormRef",
    "Interval",
    "Level",
    "PresentArg",
    "Protective",
    "Review",
    "Rule",
    "ScoringModel",
    "Selection",
    "SoonerReview",
    "Threshold",
]

#: Integer points, never coerced from text or floats.
Points = Annotated[int, Strict(), Field(ge=-1000, le=1000)]
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _check_id(value: str, what: str) -> str:
    if not _ID.match(value):
        raise ValueError(hinted(f"{what} id {value!r} is not valid",
                                "use lower-case letters, digits and underscores"))
    return value


def _semver(value: Any) -> str:
    if not isinstance(value, str) or not SEMVER_PATTERN.match(value):
        raise ValueError(hinted(f"version {value!r} is not a semantic version",
                                'write MAJOR.MINOR.PATCH in quotes, for example "1.0.0"'))
    return value


class FormRef(_Strict):
    """The form a model scores, and every version of it the model was checked against."""

    id: str
    versions: list[str] = Field(min_length=1)

    @field_validator("versions", mode="before")
    @classmethod
    def _versions(cls, value: Any) -> Any:
        if isinstance(value, list):
            for v in value:
                _semver(v)
            if len(set(value)) != len(value):
                raise ValueError(hinted("a form version is listed twice", "list each once"))
        return value


class Level(_Strict):
    """A risk level; the model's list order is the level order, lowest first."""

    id: str
    name: str = Field(min_length=1)
    colour: str = Field(description="#RRGGBB, used by the GUI and the referral summary.")

    _v_id = field_validator("id")(lambda v: _check_id(v, "level"))

    @field_validator("colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError(hinted(f"colour {value!r} is not #RRGGBB",
                                    'quote it and write six hex digits, e.g. "#c62828"'))
        return value


class Threshold(_Strict):
    """Points at or above ``from`` reach ``level`` (the lowest level needs no threshold)."""

    level: str
    from_: Points = Field(alias="from")


class Band(_Strict):
    """Points for a number falling in ``from``..``to`` (inclusive; no ``to`` means no limit)."""

    from_: Annotated[int, Strict()] = Field(alias="from")
    to: Annotated[int, Strict()] | None = None
    points: Points
    label: str | None = None

    @model_validator(mode="after")
    def _order(self) -> Band:
        if self.to is not None and self.to < self.from_:
            raise ValueError(hinted(f"band from {self.from_} to {self.to} is empty",
                                    "'to' must be at least 'from'"))
        return self

    def describe(self) -> str:
        """``3 to 5``, ``6 or more`` or ``exactly 1``: how the band reads to a practitioner."""
        if self.label:
            return self.label
        if self.to is None:
            return f"{self.from_} or more"
        if self.to == self.from_:
            return f"exactly {self.from_}"
        return f"{self.from_} to {self.to}"


class BandWeight(_Strict):
    """Weights for a derived fact: a number question or a derived value counted in bands."""

    question: str | None = None
    derived: str | None = None
    label: str | None = None
    bands: list[Band] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_subject(self) -> BandWeight:
        if (self.question is None) == (self.derived is None):
            raise ValueError(hinted("a band weight names exactly one of 'question' or 'derived'",
                                    "write 'question: <number question id>'"))
        return self

    @property
    def subject(self) -> str:
        """The question or derived value id counted."""
        return self.question if self.question is not None else str(self.derived)


class Protective(_Strict):
    """How far protective factors may reduce the points.

    The reduction applied is the smallest of: the protective factors' own points,
    ``max_reduction``, and the points above the floor. The floor is the points contributed by
    answers to questions of ``floor_kinds`` (indicators of harm by default), so protective
    factors can never hide a serious indicator.
    """

    max_reduction: Annotated[int, Strict(), Field(ge=0, le=1000)]
    floor_kinds: list[str] = Field(
        default_factory=lambda: [QuestionKind.HARM_INDICATOR.value],
        description="Kinds of question (ids the form declares) whose points protective "
        "factors never take away; usually the form's kinds of harm.")


class Rule(_Strict):
    """A minimum level that applies regardless of points, with the reason users see."""

    id: str
    minimum: str
    reason: str = Field(min_length=10)
    source: str = Field(min_length=3, description="Where the rule comes from: law, guidance "
                        "or the agreed local minimum.")
    when: Condition

    _v_id = field_validator("id")(lambda v: _check_id(v, "rule"))


class Interval(_Strict):
    """A re-screen interval: months (calendar, clamped to month end) or days."""

    months: Annotated[int, Strict(), Field(gt=0, le=36)] | None = None
    days: Annotated[int, Strict(), Field(gt=0, le=1100)] | None = None

    @model_validator(mode="after")
    def _one(self) -> Interval:
        if (self.months is None) == (self.days is None):
            raise ValueError(hinted("an interval gives exactly one of 'months' or 'days'",
                                    "write {months: 3} or {days: 14}"))
        return self

    def describe(self) -> str:
        """``3 months`` or ``14 days``."""
        if self.months is not None:
            return f"{self.months} month{'s' if self.months != 1 else ''}"
        return f"{self.days} day{'s' if self.days != 1 else ''}"


class SoonerReview(_Strict):
    """A reason to re-screen sooner than the level's interval (e.g. a new missing episode)."""

    id: str
    when: Condition
    interval: Interval
    reason: str = Field(min_length=10)

    _v_id = field_validator("id")(lambda v: _check_id(v, "review"))


class Review(_Strict):
    """When to re-screen: an interval per level, shortened by any ``sooner`` entry that applies."""

    intervals: dict[str, Interval]
    sooner: list[SoonerReview] = Field(default_factory=list)


class ScoringModel(_Strict):
    """A versioned scoring model for one form. A published model is never edited."""

    kind: Literal["scoring_model"] = "scoring_model"
    id: str
    version: str
    title: str = Field(min_length=1)
    author: str = Field(min_length=1)
    date: dt.date
    change_note: str = Field(min_length=1)
    derived_from: str | None = Field(
        default=None, description="The version this one was derived from; none for a first.")
    form: FormRef
    levels: list[Level] = Field(min_length=2)
    thresholds: list[Threshold]
    weights: dict[str, dict[str, Points]] = Field(
        description="question id -> answer (or option id) -> points. Indicator and time-window "
        "questions must give 'not_known' explicitly; 'no'/'none' may be left out (0 points). "
        "Choice questions must weight every option.")
    bands: list[BandWeight] = Field(default_factory=list)
    protective: Protective
    not_known_cap: Annotated[int, Strict(), Field(ge=0, le=1000)] | None = Field(
        default=None,
        description="Optional. The most points that 'not known' answers (and visible weighted "
        "indicators left unanswered, which count as not known) can add together, protective "
        "factors aside. Each such answer keeps its own points in the explanation; points "
        "above the cap are not counted, and the assessment records how many were left out "
        "(extra.not_known_capped). Not-known points of the protective floor's kinds are "
        "counted first within the cap. Absent: no cap (every not-known point counts). A "
        "whole number, 0 or more: below a level's threshold, not knowing alone can never "
        "reach that level (e.g. below Medium's so that unknowns alone reach at most Low).")
    rules: list[Rule] = Field(default_factory=list)
    review: Review

    @field_validator("id")
    @classmethod
    def _model_id(cls, value: str) -> str:
        if not FORM_ID_PATTERN.match(value):
            raise ValueError(hinted(f"model id {value!r} is not valid",
                                    "use lower-case letters, digits and hyphens"))
        return value

    _v_version = field_validator("version", mode="before")(lambda v: _semver(v))

    @field_validator("not_known_cap", mode="before")
    @classmethod
    def _cap(cls, value: Any) -> Any:
        if value is None:
            return value
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(hinted(f"not_known_cap {value!r} is not a whole number",
                                    "write a whole number of points, e.g. 'not_known_cap: 8', "
                                    "or leave the key out for no cap"))
        if value < 0:
            raise ValueError(hinted(f"not_known_cap {value} is below 0",
                                    "the cap is the most points not-known answers add: 0 or "
                                    "more"))
        return value

    @field_validator("derived_from", mode="before")
    @classmethod
    def _derived(cls, value: Any) -> Any:
        return None if value is None else _semver(value)

    # -- identity ---------------------------------------------------------------------------

    def canonical_json(self) -> str:
        """Key-sorted compact JSON of the validated model: what the hash is taken over.

        Values equal to their defaults are left out, so writing a default explicitly does not
        change a model's identity, and a later release adding an optional key does not change
        the hash of models published before it. ``ScoringModel.model_validate_json`` of this
        text gives the same model back.
        """
        data = self.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @cached_property
    def sha256(self) -> str:
        """SHA-256 (hex) of :meth:`canonical_json`."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def model_copy(self, *, update: Mapping[str, Any] | None = None,
                   deep: bool = False) -> ScoringModel:
        """A copy (see pydantic); the cached hash is dropped so an edited copy gets its own."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("sha256", None)
        return copy

    @property
    def identity(self) -> ModelIdentity:
        """Id, version and content hash: what every assessment records."""
        return ModelIdentity(self.id, self.version, self.sha256)

    # -- levels -----------------------------------------------------------------------------

    def level_infos(self) -> tuple[LevelInfo, ...]:
        """The levels with their rank (0 is the lowest)."""
        return tuple(LevelInfo(lv.id, lv.name, lv.colour, i) for i, lv in enumerate(self.levels))

    def rank(self, level_id: str) -> int:
        """Rank of a level id; ``KeyError`` if the model has no such level."""
        for i, lv in enumerate(self.levels):
            if lv.id == level_id:
                return i
        raise KeyError(level_id)

    def conditions(self) -> Iterator[tuple[tuple[str | int, ...], Condition]]:
        """Every rule and review condition with its path in the file."""
        for i, rule in enumerate(self.rules):
            yield ("rules", i, "when"), rule.when
        for i, sooner in enumerate(self.review.sooner):
            yield ("review", "sooner", i, "when"), sooner.when
