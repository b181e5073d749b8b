"""A typical screening, made by hand, for summary tests (independent of the scoring engine)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition
from riskscreen.routing import RoutingTable, load_routing, route
from riskscreen.scoring.assessment import (
    Assessment,
    Contribution,
    LevelInfo,
    ModelIdentity,
    Override,
    OverrideDirection,
    RuleFired,
)
from riskscreen.summary import ReferralSummary, Referrer, build_summary

LEVELS = (
    LevelInfo("none", "No apparent risk", "#2e7d32", 0),
    LevelInfo("low", "Low risk", "#f9a825", 1),
    LevelInfo("medium", "Medium risk", "#ef6c00", 2),
    LevelInfo("high", "High risk", "#c62828", 3),
)

ANSWERS: dict[str, Any] = {
    "child_name": "Zofia Kowalczyk-Łęcka",
    "date_of_birth": "2011-09-14",
    "gender": "female",
    "case_number": "NV-CSC-004512",
    "practitioner_agency": "education",
    "practitioner_role": "Designated safeguarding lead",
    "screening_reason": "concern_raised",
    "screening_reason_detail": (
        "Zofia's form tutor saw her being collected from the school gate by a man in his "
        "twenties in a grey car on three afternoons in February. Zofia has a new phone."),
    "child_aware_of_referral": "yes",
    "family_aware_of_referral": "yes",
    "consent_to_share": "given",
    "consent_given_by": "Anna Kowalczyk (mother)",
    "missing_episodes_3_months": 2,
    "missing_overnight": "yes",
    "returned_with_unexplained_items": "not_known",
    "online_grooming": "recent",
    "asked_for_sexual_images": "recent",
    "older_associates": "recent",
    "trusted_adult": "yes",
    "child_spoken_to": "alone",
    "child_views": "He's my friend, he looks after me. I don't want him to get in trouble.",
    "child_wishes": "To keep going to netball and for mum not to be angry.",
    "information_sources": ["child", "school", "parent_carer"],
    "parent_carer_views": "Mum is worried and wants help; she did not know about the phone.",
    "practitioner_analysis": (
        "Zofia is being contacted online by adults she has not met and has been asked for "
        "images. An older man collects her from school. She has been missing overnight twice."),
    "actions_taken": "Spoke to Zofia and her mother; informed the school's safeguarding team.",
}

EVIDENCE: dict[str, Any] = {
    "missing_overnight": {"basis": "reported", "details": "Police missing report, 12 Feb.",
                          "source": "Police", "when": "2026-02-12"},
    "asked_for_sexual_images": {"basis": "reported", "details": "Zofia told her tutor.",
                                "source": "School"},
}


def contrib(q: str, label: str, points: int, kind: str, section: str,
            concern: str | None, answer: str = "yes", answer_label: str = "Yes") -> Contribution:
    return Contribution(q, label, answer, answer_label, points, kind, section, concern)


CONTRIBUTIONS = (
    contrib("missing_overnight", "Has the child been missing overnight?", 3, "risk_indicator",
            "missing_episodes", "missing"),
    contrib("online_grooming", "Contact online with adults not known to the "
            "family", 3, "risk_indicator", "exploitation_indicators", "online", "recent",
            "Within the last 3 months"),
    contrib("asked_for_sexual_images", "Asked to send sexual images", 4, "risk_indicator",
            "exploitation_indicators", "online", "recent", "Within the last 3 months"),
    contrib("older_associates", "Relationships with older people", 2, "risk_indicator",
            "exploitation_indicators", "relationships", "recent", "Within the last 3 months"),
)


@pytest.fixture(scope="session")
def form() -> FormDefinition:
    return load_form("cse-screening")


@pytest.fixture(scope="session")
def table() -> RoutingTable:
    return load_routing()


@pytest.fixture
def answer_set() -> AnswerSet:
    return AnswerSet(form="cse-screening", form_version="1.0.0",
                     screening_date=date(2026, 3, 1), answers=ANSWERS, evidence=EVIDENCE)


MakeAssessment = Callable[..., Assessment]


@pytest.fixture
def make_assessment() -> MakeAssessment:
    def make(level: str = "medium", *, override: str | None = None,
             contributions: tuple[Contribution, ...] = CONTRIBUTIONS,
             rules: tuple[RuleFired, ...] = ()) -> Assessment:
        ov = None
        if override is not None:
            rank = {lv.id: lv.rank for lv in LEVELS}
            ov = Override(override, OverrideDirection.RAISED if rank[override] > rank[level]
                          else OverrideDirection.LOWERED,
                          "Zofia was seen getting into a car with an unknown adult after the "
                          "screening was completed.", "J. Okafor", "M. Patel")
        return Assessment(
            level=level, score=sum(c.points for c in contributions), points_level="medium",
            contributions=contributions,
            protective=(contrib("trusted_adult", "Has a trusted adult", -1, "protective_factor",
                                "protective_factors", None),),
            protective_applied=-1, rules_fired=rules,
            not_known=("returned_with_unexplained_items",),
            model=ModelIdentity("cse-screening", "1.0.0", "0123456789abcdef" * 4),
            form_id="cse-screening", form_version="1.0.0", screening_date=date(2026, 3, 1),
            review_date=date(2026, 6, 1), levels=LEVELS, override=ov)

    return make


MakeSummary = Callable[..., ReferralSummary]


@pytest.fixture
def make_summary(form: FormDefinition, table: RoutingTable, answer_set: AnswerSet,
                 make_assessment: MakeAssessment) -> MakeSummary:
    def make(assessment: Assessment | None = None, answers: AnswerSet | None = None,
             **kwargs: Any) -> ReferralSummary:
        a = assessment or make_assessment()
        kwargs.setdefault("reference", "RS-20260301-TEST01")
        kwargs.setdefault("generated_at", datetime(2026, 3, 1, 14, 5))
        kwargs.setdefault("referrer", Referrer(name="Sam Taylor", email="s.taylor@school.example",
                                               phone="0114 496 0888"))
        kwargs.setdefault("fields", table.summary_fields)
        kwargs.setdefault("concern_labels", table.concerns)
        return build_summary(form, answers or answer_set, a, route(a, table), **kwargs)

    return make
