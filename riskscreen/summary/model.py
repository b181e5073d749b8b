"""The referral summary as plain data: everything the PDF shows, already worded.

Built by :func:`riskscreen.summary.build.build_summary` (pure, testable without a PDF) and
drawn by :func:`riskscreen.summary.render.render_pdf`. Strings here are final text for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from riskscreen.routing.route import Route

__all__ = [
    "Amendment",
    "Field",
    "Gap",
    "Indicator",
    "IndicatorGroup",
    "LevelBadge",
    "OverrideInfo",
    "ReferralSummary",
    "Referrer",
    "RuleLine",
    "TextBlock",
]


@dataclass(frozen=True)
class Field:
    """One labelled value, e.g. ``Date of birth: 4 May 2012``."""

    label: str
    value: str


@dataclass(frozen=True)
class TextBlock:
    """A heading and free text as written (may be long; wraps and flows over pages)."""

    heading: str
    text: str


@dataclass(frozen=True)
class Referrer:
    """Who is making the referral (given on the command line or by the app's user)."""

    name: str = ""
    role: str = ""
    organisation: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Amendment:
    """The earlier referral an amended screening's referral replaces."""

    reference: str
    finalised_on: date | None = None
    reason: str = ""


@dataclass(frozen=True)
class LevelBadge:
    """A risk level as printed: coloured, and in words so it survives black-and-white print."""

    id: str
    name: str
    colour: str
    text_colour: str
    rank: int
    count: int

    @property
    def words(self) -> str:
        """E.g. ``HIGH RISK (level 4 of 4)``."""
        return f"{self.name.upper()} (level {self.rank + 1} of {self.count})"


@dataclass(frozen=True)
class Indicator:
    """One answer that counted, with its weight and the evidence recorded for it."""

    question: str
    text: str
    answer: str
    points: int
    kind: str
    concern: str
    evidence: str


@dataclass(frozen=True)
class IndicatorGroup:
    """The indicators of one section of the form."""

    section: str
    items: tuple[Indicator, ...]

    @property
    def points(self) -> int:
        """Total weight of the section's indicators."""
        return sum(i.points for i in self.items)


@dataclass(frozen=True)
class RuleLine:
    """A rule that set a minimum level, worded for the reader."""

    id: str
    reason: str
    minimum_level: str


@dataclass(frozen=True)
class Gap:
    """An answer recorded as not known: something to find out."""

    section: str
    question: str
    answer: str = "Not known"
    points: int = 0


@dataclass(frozen=True)
class OverrideInfo:
    """A professional-judgement override, shown beside the computed level."""

    computed_level: str
    final_level: str
    direction: str
    reason: str
    by: str
    countersigned_by: str
    #: The final level of the screening an amendment amends, when the judgement lowered it.
    from_level: str = ""


@dataclass(frozen=True)
class ReferralSummary:
    """Everything on the referral summary, in reading order."""

    title: str
    form_title: str
    organisation: str
    marking: str
    reference: str
    generated_at: datetime
    screening_date: date
    review_date: date
    level: LevelBadge
    computed_level: LevelBadge
    route: Route
    level_explanation: tuple[str, ...]
    child: tuple[Field, ...]
    referrer: tuple[Field, ...]
    reason: tuple[Field, ...]
    reason_detail: tuple[TextBlock, ...]
    consent: tuple[Field, ...]
    consent_detail: tuple[TextBlock, ...]
    indicators: tuple[IndicatorGroup, ...]
    rules_fired: tuple[RuleLine, ...]
    gaps: tuple[Gap, ...]
    protective: tuple[Indicator, ...]
    protective_note: str
    views: tuple[Field, ...]
    views_text: tuple[TextBlock, ...]
    analysis: tuple[TextBlock, ...]
    override: OverrideInfo | None
    provenance: tuple[Field, ...]
    #: Points the score counts for the gaps (after the model's not-known cap), and the same
    #: in words: how many gaps, the points counted and any cap.
    gaps_counted: int = 0
    gaps_note: str = ""
    #: Parents or carers and how to reach them, and a caution when they have not been told.
    family: tuple[Field, ...] = ()
    family_note: str = ""
    #: For an amendment: that this referral replaces an earlier one, which, and why.
    replaces: str = ""
    #: What the form calls its protective factors, as a heading ("Protective factors",
    #: "Strengths").
    protective_title: str = "Protective factors"
