"""The summary's data: pure, checked without drawing a PDF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from riskscreen.forms.answers import AnswerSet
from riskscreen.routing.model import SummaryFields
from riskscreen.scoring.assessment import Assessment, RuleFired
from riskscreen.summary import ReferralSummary

MakeAssessment = Callable[..., Assessment]
MakeSummary = Callable[..., ReferralSummary]


def values(fields: Any) -> dict[str, str]:
    return {f.label: f.value for f in fields}


def test_typical_medium_online(make_summary: MakeSummary) -> None:
    s = make_summary()
    assert s.level.id == "medium"
    assert s.level.words == "MEDIUM RISK (level 3 of 4)"
    assert s.route.destination.id == "online_safety"
    child = values(s.child)
    assert child["Name"] == "Zofia Kowalczyk-Łęcka"
    assert child["Date of birth"] == "14 September 2011"
    assert child["Age at screening"] == "14 years"
    assert values(s.referrer) == {"Name": "Sam Taylor", "Role": "Designated safeguarding lead",
                                  "Agency": "Education", "Email": "s.taylor@school.example",
                                  "Phone": "0114 496 0888"}
    assert values(s.consent) == {"Consent to share information": "Consent given",
                                 "Consent given by": "Anna Kowalczyk (mother)"}
    assert s.consent_detail == ()
    assert [g.section for g in s.indicators] == ["Missing episodes",
                                                 "Indicators of exploitation"]
    assert s.indicators[1].points == 9
    first = s.indicators[0].items[0]
    assert first.evidence.startswith("Reported: Police missing report")
    assert s.gaps[0].section == "Missing episodes"
    assert "come back with things" in s.gaps[0].question
    assert s.views_text[0].heading == "What the child said, in their own words"
    assert s.analysis[0].text.startswith("Zofia is being contacted")
    assert s.override is None
    assert any("12 points" in line for line in s.level_explanation)
    assert values(s.provenance)["Scoring model"] == (
        "cse-screening version 1.0.0 (hash 0123456789ab)")


def test_level_colour_text_contrast(make_summary: MakeSummary,
                                    make_assessment: MakeAssessment) -> None:
    assert make_summary(make_assessment("high")).level.text_colour == "#ffffff"
    assert make_summary(make_assessment("low")).level.text_colour == "#000000"


def test_rules_and_override_are_worded(make_summary: MakeSummary,
                                       make_assessment: MakeAssessment) -> None:
    rule = RuleFired("images", "high", "Someone asked the child for sexual images recently.")
    s = make_summary(make_assessment("medium", override="high", rules=(rule,)))
    assert s.level.id == "high"
    assert s.computed_level.id == "medium"
    assert s.rules_fired[0].minimum_level == "High risk"
    assert any("at least High risk" in line for line in s.level_explanation)
    assert s.override is not None
    assert s.override.direction == "raised"
    assert s.override.countersigned_by == "M. Patel"
    assert s.route.destination.id == "specialist_cse_team"
    assert any("Professional judgement raised" in line for line in s.level_explanation)


def test_sharing_without_consent(make_summary: MakeSummary, answer_set: AnswerSet) -> None:
    answers = dict(answer_set.answers)
    answers.update(consent_to_share="not_sought", consent_given_by="left over from before",
                   sharing_without_consent_reason="Asking could alert the adult involved.")
    s = make_summary(answers=answer_set.model_copy(update={"answers": answers}))
    assert values(s.consent) == {"Consent to share information": "Consent not sought"}
    assert s.consent_detail[0].text == "Asking could alert the adult involved."


def test_missing_questions_degrade_gracefully(make_summary: MakeSummary,
                                              answer_set: AnswerSet) -> None:
    fields = SummaryFields(child_name="no_such_question", child_views=None, age=None)
    empty = answer_set.model_copy(update={"answers": {}})
    s = make_summary(answers=empty, fields=fields, referrer=None)
    assert s.child == ()
    assert values(s.consent) == {"Consent to share information": "Not recorded"}
    assert s.views_text == ()
    assert s.referrer[0].label == "Referrer"
