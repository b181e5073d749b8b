"""Engine semantics: visibility, not known, protective floor, review dates, trend, overrides."""

from __future__ import annotations

import json
from datetime import date

import pytest

from riskscreen.forms.answers import AnswerError
from riskscreen.forms.conditions import visible_answers
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment, OverrideDirection, Trend
from riskscreen.scoring.engine import (
    ASSESSMENT_FIELDS,
    ModelFormError,
    OverrideRefused,
    add_interval,
    apply_override,
    compile_model,
    score,
)
from riskscreen.scoring.model import Interval, ScoringModel
from riskscreen.synthetic import generate_answer_sets

from .conftest import case_answers, with_answers


def test_assessment_is_complete_and_round_trips(form: FormDefinition,
                                                model: ScoringModel) -> None:
    a = score(form, model, case_answers("07-disclosure"))
    assert set(vars(a)) == ASSESSMENT_FIELDS  # the fast constructor fills every field
    rebuilt = Assessment(**{name: getattr(a, name) for name in ASSESSMENT_FIELDS})
    assert rebuilt == a
    assert Assessment.from_dict(json.loads(json.dumps(a.to_dict()))) == a
    assert a.model == model.identity
    assert a.trend is Trend.FIRST


def test_compiled_visibility_matches_the_form(form: FormDefinition, model: ScoringModel) -> None:
    compiled = compile_model(form, model)
    for answer_set in generate_answer_sets(form, 300, seed=11):
        # Add lingering answers to every question, visible or not.
        answers = dict(answer_set.answers)
        for q in form.questions():
            if q.id in model.weights and q.id not in answers:
                answers[q.id] = "yes" if q.type.value == "indicator" else "recent"
        seen, _, hidden = compiled.visible(answers, answer_set.screening_date)
        reference = visible_answers(form, answers, answer_set.screening_date)
        for qid in model.weights:
            assert (qid in seen) == (qid in reference), qid
            assert (qid in hidden) == (qid not in reference), qid


def test_rank_is_the_lean_path_of_evaluate(form: FormDefinition, model: ScoringModel) -> None:
    compiled = compile_model(form, model)
    for answer_set in generate_answer_sets(form, 500, seed=5):
        ev = compiled.evaluate(answer_set)
        assert compiled.rank(answer_set) == (ev.rank, ev.score)


def test_hidden_answers_are_not_scored(form: FormDefinition, model: ScoringModel) -> None:
    # On the 16th birthday the 13-15 question is hidden; its lingering "yes" counts for nothing.
    a = score(form, model, case_answers("12-age-16-on-16th-birthday"))
    assert "sexual_activity_13_to_15" not in {c.question for c in a.contributions}
    assert a.level == "none"


def test_unanswered_indicator_counts_as_not_known(form: FormDefinition,
                                                  model: ScoringModel) -> None:
    base = case_answers("01-no-concerns")
    blank = score(form, model, with_answers(base, older_associates=None))
    unknown = score(form, model, with_answers(base, older_associates="not_known"))
    weight = model.weights["older_associates"]["not_known"]
    assert weight > 0
    assert blank.extra["points_before_protection"] == weight
    assert unknown.extra["points_before_protection"] == weight
    assert blank.not_known == unknown.not_known == ("older_associates",)
    [c] = [c for c in blank.contributions if c.question == "older_associates"]
    assert c.answer == "unanswered"


def test_protective_factors_never_go_below_harm_points(form: FormDefinition,
                                                        model: ScoringModel) -> None:
    a = score(form, model, case_answers("05-protective-floor"))
    harm = sum(c.points for c in a.contributions if c.kind == "harm_indicator")
    assert a.score >= harm
    assert a.protective_applied == a.extra["points_before_protection"] - harm
    assert a.protective_applied < a.extra["protective_points"]


def test_review_date_by_level_and_sooner_after_missing(form: FormDefinition,
                                                       model: ScoringModel) -> None:
    low = score(form, model, case_answers("02-older-online-contact"))
    assert low.review_date == date(2026, 9, 2)  # Low: 6 months
    missing = score(form, model, case_answers("06-repeated-missing-with-indicator"))
    assert missing.review_date == date(2026, 3, 16)  # 14 days after a missing episode
    assert "missing" in missing.extra["review_reason"]


def test_add_interval_clamps_to_month_end() -> None:
    assert add_interval(date(2026, 1, 31), Interval(months=1)) == date(2026, 2, 28)
    assert add_interval(date(2026, 11, 30), Interval(months=3)) == date(2027, 2, 28)
    assert add_interval(date(2026, 12, 25), Interval(days=14)) == date(2027, 1, 8)


def test_trend_against_the_previous_assessment(form: FormDefinition,
                                               model: ScoringModel) -> None:
    low = score(form, model, case_answers("02-older-online-contact"))
    high = score(form, model, case_answers("07-disclosure"))
    assert score(form, model, case_answers("07-disclosure"), previous=low).trend is \
        Trend.INCREASED
    assert score(form, model, case_answers("02-older-online-contact"), previous=high).trend is \
        Trend.DECREASED
    assert score(form, model, case_answers("07-disclosure"), previous=high).trend is \
        Trend.UNCHANGED


def test_answers_the_model_cannot_score_name_the_question(form: FormDefinition,
                                                          model: ScoringModel) -> None:
    bad = with_answers(case_answers("01-no-concerns"), online_grooming="sometimes")
    with pytest.raises(AnswerError) as caught:
        score(form, model, bad)
    assert caught.value.problems[0].question == "online_grooming"
    with pytest.raises(AnswerError):
        compile_model(form, model).rank(bad)


def test_model_for_another_form_version_is_refused(form: FormDefinition,
                                                   model: ScoringModel) -> None:
    other = form.model_copy(update={"version": "9.0.0"})
    with pytest.raises(ModelFormError, match=r"9\.0\.0"):
        score(other, model, case_answers("01-no-concerns"))


# -- overrides ------------------------------------------------------------------------------

REASON = "Police intelligence shared today links the adult to other exploited children."


def test_raise_needs_a_written_reason(form: FormDefinition, model: ScoringModel) -> None:
    a = score(form, model, case_answers("02-older-online-contact"))
    raised = apply_override(a, "high", REASON, "A. Worker")
    assert raised.override is not None
    assert raised.override.direction is OverrideDirection.RAISED
    assert raised.level == "low"
    assert raised.final_level == "high"
    assert Assessment.from_dict(raised.to_dict()) == raised
    for too_short in ("", "more risk", "x" * 40, "see notes ok"):
        with pytest.raises(OverrideRefused, match="reason"):
            apply_override(a, "high", too_short, "A. Worker")


def test_lowering_needs_countersignature_and_respects_rule_floor(
        form: FormDefinition, model: ScoringModel) -> None:
    a = score(form, model, case_answers("06-repeated-missing-with-indicator"))
    assert a.level == "medium"
    assert a.points_level == "low"
    with pytest.raises(OverrideRefused, match="countersignature"):
        apply_override(a, "low", REASON, "A. Worker")
    with pytest.raises(OverrideRefused, match="someone other"):
        apply_override(a, "low", REASON, "A. Worker", countersigned_by="a. worker")
    with pytest.raises(OverrideRefused, match="repeated_missing_with_indicator"):
        apply_override(a, "low", REASON, "A. Worker", countersigned_by="M. Manager")
    points_only = score(form, model, case_answers("18-high-by-points"))
    lowered = apply_override(points_only, "medium", REASON, "A. Worker",
                             countersigned_by="M. Manager")
    assert lowered.override is not None
    assert lowered.override.direction is OverrideDirection.LOWERED
    assert lowered.override.countersigned_by == "M. Manager"
    with pytest.raises(OverrideRefused, match="Low"):  # any_indicator_seen: at least Low
        apply_override(points_only, "none", REASON, "A. Worker", countersigned_by="M. Manager")


def test_override_to_the_same_or_unknown_level_is_refused(form: FormDefinition,
                                                          model: ScoringModel) -> None:
    a = score(form, model, case_answers("02-older-online-contact"))
    with pytest.raises(OverrideRefused, match="already"):
        apply_override(a, "low", REASON, "A. Worker")
    with pytest.raises(OverrideRefused, match="unknown level"):
        apply_override(a, "severe", REASON, "A. Worker")
    with pytest.raises(OverrideRefused, match="name the practitioner"):
        apply_override(a, "high", REASON, "  ")
