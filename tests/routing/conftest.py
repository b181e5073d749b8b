"""Hand-made assessments for routing tests (independent of the scoring engine)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import pytest

from riskscreen.scoring.assessment import (
    Assessment,
    Contribution,
    LevelInfo,
    ModelIdentity,
    Override,
    OverrideDirection,
)

LEVELS = (
    LevelInfo("none", "No apparent risk", "#2e7d32", 0),
    LevelInfo("low", "Low risk", "#f9a825", 1),
    LevelInfo("medium", "Medium risk", "#ef6c00", 2),
    LevelInfo("high", "High risk", "#c62828", 3),
)

MakeAssessment = Callable[..., Assessment]
MakeContribution = Callable[..., Contribution]


def _contribution(concern: str | None, points: int, kind: str = "risk_indicator",
                 question: str = "q") -> Contribution:
    return Contribution(question=question, label=f"{question} label", answer="yes",
                        answer_label="Yes", points=points, kind=kind, section="s",
                        concern=concern)


@pytest.fixture
def contribution() -> MakeContribution:
    """``contribution(concern, points, kind="risk_indicator", question="q")``."""
    return _contribution


@pytest.fixture
def make_assessment() -> MakeAssessment:
    def make(level: str, contributions: Sequence[Contribution] = (),
             override: str | None = None) -> Assessment:
        ov = None
        if override is not None:
            rank = {lv.id: lv.rank for lv in LEVELS}
            direction = (OverrideDirection.RAISED if rank[override] > rank[level]
                         else OverrideDirection.LOWERED)
            ov = Override(override, direction, "Worker saw the child collected by an adult",
                          "A. Practitioner")
        return Assessment(
            level=level, score=sum(c.points for c in contributions), points_level=level,
            contributions=tuple(contributions), protective=(), protective_applied=0,
            rules_fired=(), not_known=(), model=ModelIdentity("cse-screening", "1.0.0", "ab" * 32),
            form_id="cse-screening", form_version="1.0.0", screening_date=date(2026, 3, 1),
            review_date=date(2026, 6, 1), levels=LEVELS, override=ov)

    return make
