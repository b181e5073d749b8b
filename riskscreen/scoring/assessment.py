"""What the scoring engine returns: a complete, explainable, serialisable assessment.

These types are the contract between the engine, storage (finalised snapshots), routing, the
referral summary and the GUI. They are plain frozen dataclasses; ``to_dict``/``from_dict``
round-trip exactly, so a snapshot stored years ago can be compared with a re-score today.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

__all__ = [
    "Assessment",
    "Contribution",
    "LevelInfo",
    "ModelIdentity",
    "Override",
    "OverrideDirection",
    "RuleFired",
    "Trend",
]


@dataclass(frozen=True)
class ModelIdentity:
    """Which scoring model produced an assessment: id, semantic version and content hash."""

    id: str
    version: str
    sha256: str

    @property
    def short_hash(self) -> str:
        """The first 12 hex digits of the hash, enough to tell versions apart on paper."""
        return self.sha256[:12]


@dataclass(frozen=True)
class LevelInfo:
    """One risk level as the model names it. ``rank`` orders levels: 0 is the lowest."""

    id: str
    name: str
    colour: str
    rank: int


@dataclass(frozen=True)
class Contribution:
    """Points one answer (or derived fact) adds; negative for protective factors."""

    question: str
    label: str
    answer: str
    answer_label: str
    points: int
    kind: str
    section: str
    concern: str | None = None


@dataclass(frozen=True)
class RuleFired:
    """A rule that set a minimum level regardless of points, with the reason shown to users."""

    id: str
    minimum_level: str
    reason: str


class Trend(StrEnum):
    """Change of level against the child's previous assessment."""

    INCREASED = "increased"
    DECREASED = "decreased"
    UNCHANGED = "unchanged"
    FIRST = "first"


class OverrideDirection(StrEnum):
    """Whether professional judgement raised or lowered the computed level."""

    RAISED = "raised"
    LOWERED = "lowered"


@dataclass(frozen=True)
class Override:
    """Professional judgement recorded beside the computed level, never in place of it.

    ``from_level`` is set when the judgement lowered a level that was not the computed one:
    an amendment starts from the final level of the screening it amends, and going below that
    is a countersigned lowering even when it lands on the computed level.
    """

    level: str
    direction: OverrideDirection
    reason: str
    by: str
    countersigned_by: str | None = None
    from_level: str | None = None


@dataclass(frozen=True)
class Assessment:
    """The engine's full answer for one screening."""

    level: str
    score: int
    points_level: str
    contributions: tuple[Contribution, ...]
    protective: tuple[Contribution, ...]
    protective_applied: int
    rules_fired: tuple[RuleFired, ...]
    not_known: tuple[str, ...]
    model: ModelIdentity
    form_id: str
    form_version: str
    screening_date: date
    review_date: date
    levels: tuple[LevelInfo, ...]
    trend: Trend | None = None
    override: Override | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def final_level(self) -> str:
        """The level that routes the referral: the override's if there is one."""
        return self.override.level if self.override is not None else self.level

    @property
    def binding_rule(self) -> RuleFired | None:
        """The fired rule with the highest minimum level: no judgement goes below it."""
        ranks = {lv.id: lv.rank for lv in self.levels}
        return max(self.rules_fired, key=lambda r: ranks.get(r.minimum_level, 0), default=None)

    def rank(self, level_id: str | None = None) -> int:
        """The rank of a level (the computed level by default); 0 is the lowest."""
        return self.level_info(level_id).rank

    def level_info(self, level_id: str | None = None) -> LevelInfo:
        """Name, colour and rank of a level (the computed level by default)."""
        wanted = level_id or self.level
        for info in self.levels:
            if info.id == wanted:
                return info
        raise KeyError(wanted)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; dates as ISO strings, enums as their values."""
        data: dict[str, Any] = _as_plain(self)
        data["screening_date"] = self.screening_date.isoformat()
        data["review_date"] = self.review_date.isoformat()
        data["trend"] = self.trend.value if self.trend is not None else None
        if self.override is not None:
            data["override"]["direction"] = self.override.direction.value
            if self.override.from_level is None:
                # Snapshots without it stay exactly as they were before the field existed.
                del data["override"]["from_level"]
        data["final_level"] = self.final_level
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Assessment:
        """Rebuild an assessment from :meth:`to_dict`'s output."""
        override = data.get("override")
        return cls(
            level=data["level"],
            score=int(data["score"]),
            points_level=data["points_level"],
            contributions=tuple(Contribution(**c) for c in data["contributions"]),
            protective=tuple(Contribution(**c) for c in data["protective"]),
            protective_applied=int(data["protective_applied"]),
            rules_fired=tuple(RuleFired(**r) for r in data["rules_fired"]),
            not_known=tuple(data["not_known"]),
            model=ModelIdentity(**data["model"]),
            form_id=data["form_id"],
            form_version=data["form_version"],
            screening_date=date.fromisoformat(data["screening_date"]),
            review_date=date.fromisoformat(data["review_date"]),
            levels=tuple(LevelInfo(**lv) for lv in data["levels"]),
            trend=Trend(data["trend"]) if data.get("trend") else None,
            override=Override(
                level=override["level"],
                direction=OverrideDirection(override["direction"]),
                reason=override["reason"],
                by=override["by"],
                countersigned_by=override.get("countersigned_by"),
                from_level=override.get("from_level"),
            ) if override else None,
            extra=dict(data.get("extra") or {}),
        )


#: Values that :func:`copy.deepcopy` returns as they are.
_ATOMS = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _as_plain(value: Any) -> Any:
    """What :func:`dataclasses.asdict` makes of ``value``, without its deep copy of every
    string and number (which cost far more than scoring: about 0.6 ms an assessment)."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES.get(kind)
        if names is None:
            names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
        return {name: _as_plain(getattr(value, name)) for name in names}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return kind(*[_as_plain(v) for v in value])
    if isinstance(value, (list, tuple)):
        return kind(_as_plain(v) for v in value)
    if isinstance(value, dict):
        return kind((_as_plain(k), _as_plain(v)) for k, v in value.items())
    return copy.deepcopy(value)
