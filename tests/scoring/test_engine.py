"""Engine semantics: visibility, not known, protective floor, review dates, trend, overrides."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from riskscreen.cli.main import main
from riskscreen.forms.answers import AnswerError
from riskscreen.forms.model import FormDefinition
from riskscreen.forms.visibility import visible_answers
from riskscreen.scoring.assessment import Assessment, OverrideDirection, Trend
from riskscreen.scoring.engine import (
    ASSESSMENT_FIELDS,
    ModelFormError,
    OverrideRefused,
    add_interval,
    apply_override,
    carry_forward,
    compile_model,
    score,
)
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.model import Interval, ScoringModel
from riskscreen.synthetic import generate_answer_sets

from .conftest import CASES, assert_batch_agrees, case_answers, with_answers


def test_assessment_is_complete_and_round_trips(form: FormDefinition,
                                                model: ScoringModel) -> None:
    a = score(form, model, case_answers("07-disclosure"))
    assert set(vars(a)) == ASSESSMENT_FIELDS  # the fast constructor fills every field
    rebuilt = Assessment(**{name: getattr(a, name) for name in ASSESSMENT_FIELDS})
    assert rebuilt == a
    assert Assessment.from_dict(json.loads(json.dumps(a.to_dict()))) == a
    assert a.model == model.identity
    assert a.trend is Trend.FIRST


def test_lingering_answers_on_hidden_questions_count_for_nothing(
        form: FormDefinition, model: ScoringModel) -> None:
    plan = compile_model(form, model)
    for answer_set in generate_answer_sets(form, 300, seed=11):
        # Add lingering answers to every question, visible or not.
        answers = dict(answer_set.answers)
        for q in form.questions():
            if q.id in model.weights and q.id not in answers:
                answers[q.id] = "yes" if q.type.value == "indicator" else "recent"
        lingering = answer_set.model_copy(update={"answers": answers})
        visible = answer_set.model_copy(update={"answers": visible_answers(
            form, answers, answer_set.screening_date)})
        assert plan.explain(lingering) == plan.explain(visible)
        assert_batch_agrees(plan, [lingering, visible])


def test_batch_agrees_with_explain(form: FormDefinition, model: ScoringModel) -> None:
    assert_batch_agrees(compile_model(form, model), generate_answer_sets(form, 500, seed=5))


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
    plan = compile_model(form, model)
    result = plan.batch(plan.encode([bad]))
    assert result.unscorable[0][0] == "online_grooming"


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
    with pytest.raises(OverrideRefused, match="below Medium: The child has been missing") as e:
        apply_override(a, "low", REASON, "A. Worker", countersigned_by="M. Manager")
    assert "repeated_missing_with_indicator" not in str(e.value)  # plain words, not an id
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


def test_an_amendment_starts_from_the_earlier_final_level(form: FormDefinition,
                                                          model: ScoringModel) -> None:
    a = score(form, model, case_answers("06-repeated-missing-with-indicator"))
    earlier = apply_override(a, "high", REASON, "A. Worker")
    start = carry_forward(a, earlier, "B. Worker")
    assert (start.level, start.final_level) == ("medium", "high")
    assert start.override == earlier.override  # reason and names carried
    # Back to the computed level is a lowering from High: reason and countersignature.
    with pytest.raises(OverrideRefused, match="amends a screening finalised at High"):
        apply_override(start, "medium", REASON, "B. Worker")
    lowered = apply_override(start, "medium", REASON, "B. Worker", countersigned_by="M. Manager")
    assert lowered.final_level == "medium"
    assert lowered.override is not None
    assert lowered.override.direction is OverrideDirection.LOWERED
    assert lowered.override.from_level == "high"
    assert Assessment.from_dict(lowered.to_dict()) == lowered
    with pytest.raises(OverrideRefused, match="cannot be lowered below Medium"):
        apply_override(start, "low", REASON, "B. Worker", countersigned_by="M. Manager")
    # An earlier computed level that was higher is carried with a reason saying so.
    points_only = score(form, model, case_answers("18-high-by-points"))
    carried = carry_forward(a, points_only, "B. Worker")
    assert carried.final_level == "high"
    assert carried.override is not None
    assert carried.override.by == "B. Worker"
    assert "Carried forward" in carried.override.reason
    # A lower earlier level never lowers the amendment unless it was a countersigned
    # judgement on the same computed level.
    assert carry_forward(points_only, a, "B. Worker").final_level == "high"
    countersigned = apply_override(points_only, "medium", REASON, "A. Worker",
                                   countersigned_by="M. Manager")
    assert carry_forward(points_only, countersigned, "B. Worker") == countersigned
    assert apply_override(countersigned, "high", "", "B. Worker").override is None


# -- the not-known cap (model 1.1.0) ---------------------------------------------------------


@pytest.fixture(scope="module")
def capped() -> ScoringModel:
    model = load_model("cse-screening@1.1.0")
    assert model.not_known_cap == 8
    return model


def test_capped_model_executors_agree(form: FormDefinition, capped: ScoringModel) -> None:
    """Explain and batch give the same level, points and rules under the not-known cap."""
    plan = compile_model(form, capped)
    sets = generate_answer_sets(form, 600, seed=8)
    # Little known yet: half the answers of each set turned into "not known" or blanks.
    unsure = [with_answers(s, **{q: ("not_known" if i % 3 else "") for i, q in
                                 enumerate(sorted(capped.weights)) if i % 2})
              for s in sets[:200]]
    assert_batch_agrees(plan, [*sets, *unsure])


def test_cap_counts_at_most_cap_not_known_points(form: FormDefinition, model: ScoringModel,
                                                 capped: ScoringModel) -> None:
    base = case_answers("01-no-concerns")
    unknown = {q: "not_known" for q in model.weights
               if form.question(q).kind in ("risk_indicator", "harm_indicator")}
    answers = with_answers(base, **unknown)
    old, new = score(form, model, answers), score(form, capped, answers)
    assert old.level == "high"
    assert new.level == "low"
    assert new.score == 8
    # Each not-known answer keeps its own points; the assessment says how many were left out.
    assert [c.points for c in old.contributions] == [c.points for c in new.contributions]
    listed = sum(c.points for c in new.contributions if c.question in new.not_known)
    assert new.extra["not_known_points"] == listed
    assert new.extra["not_known_capped"] == listed - 8
    assert new.extra["not_known_cap"] == 8
    assert "not_known_capped" not in old.extra  # models without a cap record nothing new
    # Under the cap nothing changes.
    few = with_answers(base, older_associates="not_known", moved_between_towns="not_known")
    assert score(form, capped, few) == replace(
        score(form, model, few), model=capped.identity,
        extra={**score(form, model, few).extra, "not_known_points": 4, "not_known_cap": 8,
               "not_known_capped": 0})


def test_empty_draft_is_low_with_the_cap(form: FormDefinition, model: ScoringModel,
                                         capped: ScoringModel) -> None:
    """A draft with only the details of the child: every indicator unanswered."""
    base = case_answers("01-no-concerns")
    blank = {q: None for q in model.weights}
    answers = with_answers(base, **blank)
    assert score(form, model, answers).level == "high"
    a = score(form, capped, answers)
    assert a.level == "low"
    assert a.score == 8
    assert all(c.answer == "unanswered" for c in a.contributions if c.points)


def test_cap_and_protective_floor(form: FormDefinition, capped: ScoringModel) -> None:
    """Harm indicators' not-known points count first within the cap and form the floor."""
    base = case_answers("01-no-concerns")  # trusted adult, education, family: 5 protective
    harm = with_answers(base, disclosure_sexual_exploitation="not_known",
                        found_in_exploitative_situation="not_known",
                        sexual_activity_in_exchange="not_known",
                        images_used_to_threaten="not_known",
                        older_associates="not_known", moved_between_towns="not_known")
    a = score(form, capped, harm)
    # 12 harm + 4 risk not-known points: 8 count, all of them harm, so nothing comes off.
    assert a.extra["not_known_points"] == 16
    assert a.extra["points_before_protection"] == 8
    assert a.protective_applied == 0
    assert a.score == 8
    risk_only = with_answers(base, older_associates="not_known",
                             moved_between_towns="not_known",
                             hotels_parties_unknown_addresses="not_known",
                             picked_up_by_unknown_adults="not_known",
                             gifts_money_unknown_sources="not_known")
    b = score(form, capped, risk_only)
    # 9 risk not-known points: 8 count, none towards the floor, so protection takes off 4.
    assert b.extra["not_known_capped"] == 1
    assert b.protective_applied == 4
    assert b.score == 4


def test_explanation_says_what_the_cap_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--model", "cse-screening@1.1.0",
                 str(CASES / "16-not-known-answers.json")]) == 0
    out = capsys.readouterr().out
    assert "Score: 8 points" in out
    assert ("Not known: the answers not known or not yet answered add 15 points, but this "
            "model counts at most 8 of them, so 7 points are not counted.") in out
    assert "Not knowing is a gap to follow up, not evidence of exploitation." in out
    assert main(["score", "--model", "cse-screening@1.0.0",
                 str(CASES / "16-not-known-answers.json")]) == 0
    assert "not counted" not in capsys.readouterr().out


def test_cap_is_part_of_the_identity(capped: ScoringModel) -> None:
    data = json.loads(capped.canonical_json())
    assert data["not_known_cap"] == 8
    data["not_known_cap"] = 9
    assert ScoringModel.model_validate(data).sha256 != capped.sha256
    del data["not_known_cap"]
    assert "not_known_cap" not in json.loads(ScoringModel.model_validate(data).canonical_json())
