"""One count of what is not known, and the points of it the score really counts."""

from __future__ import annotations

import json
from datetime import date

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.engine import score
from riskscreen.scoring.gaps import not_known_tally, review_gaps
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.model import ScoringModel

from .conftest import CASES


def _case(path: str) -> AnswerSet:
    return AnswerSet.model_validate(json.loads((CASES / path).read_text("utf-8")))


def test_nothing_known_counts_the_cap_not_the_sum(form: FormDefinition) -> None:
    newest = load_model("cse-screening@1.1.0", form)
    assessment = score(form, newest, _case("1.1.0/19-nothing-known-yet.json"))
    tally = not_known_tally(assessment)
    assert tally.questions == len(assessment.not_known)
    assert (tally.points, tally.counted, tally.cap) == (37, 8, 8)
    assert tally.capped
    assert not tally.nothing_answered  # "not known" is an answer
    assert tally.sentence() == (
        f"{tally.questions} questions not known or not answered yet: 8 points counted "
        "(capped at 8; without the cap they would add 37 points)")


def test_an_empty_screening_has_nothing_answered(form: FormDefinition) -> None:
    newest = load_model("cse-screening@1.1.0", form)
    empty = AnswerSet(form=form.id, form_version=form.version,
                      screening_date=date(2026, 3, 2), answers={})
    assessment = score(form, newest, empty)
    tally = not_known_tally(assessment)
    assert tally.nothing_answered
    assert tally.unanswered == tally.scored == tally.questions
    assert tally.counted == assessment.score == 8


def test_no_level_words_are_true_to_what_is_answered(form: FormDefinition) -> None:
    newest = load_model("cse-screening@1.1.0", form)
    details = AnswerSet(form=form.id, form_version=form.version,
                        screening_date=date(2026, 3, 2),
                        answers={"child_name": "Synthetic Child", "date_of_birth": "2012-05-01"})
    tally = not_known_tally(score(form, newest, details))
    assert tally.nothing_answered  # the child's details are not scored
    assert tally.no_level_words(0)[0] == "Nothing answered yet"
    label, sentence = tally.no_level_words(2)
    assert label == "Nothing scored yet"
    assert sentence.startswith("No level yet: 2 questions answered, none of them scored.")
    assert tally.no_level_words(1)[1].startswith("No level yet: 1 question answered,")


def test_without_a_cap_every_not_known_point_counts(form: FormDefinition,
                                                    model: ScoringModel) -> None:
    assessment = score(form, model, _case("1.1.0/19-nothing-known-yet.json"))
    assert "not_known_points" not in assessment.extra  # 1.0.0 records nothing about a cap
    tally = not_known_tally(assessment)
    assert (tally.points, tally.counted, tally.cap) == (37, 37, None)
    assert not tally.capped
    assert tally.sentence().endswith("37 points counted")


def test_a_stored_assessment_reads_the_same(form: FormDefinition) -> None:
    newest = load_model("cse-screening@1.1.0", form)
    assessment = score(form, newest, _case("16-not-known-answers.json"))
    again = Assessment.from_dict(json.loads(json.dumps(assessment.to_dict())))
    assert not_known_tally(again) == not_known_tally(assessment)
    assert not_known_tally(assessment).questions == 0 or not_known_tally(assessment).counted <= 8


def test_the_review_lists_shown_gaps_only_answered_ones_first(form: FormDefinition,
                                                             model: ScoringModel) -> None:
    base = _case("16-not-known-answers.json")
    answers = {**base.answers, "missing_episodes_3_months": 0,
               "missing_overnight": "not_known",  # hidden without missing episodes
               "older_associates": "not_known", "gender": "not_known"}
    del answers["online_grooming"]
    del answers["practitioner_agency"]
    answer_set = base.model_copy(update={"answers": answers})
    assessment = score(form, model, answer_set)
    gaps = review_gaps(form, answers, answer_set.screening_date, assessment)
    assert gaps.missing == ("practitioner_agency",)
    assert "missing_overnight" not in gaps.not_known  # a lingering hidden answer is no gap
    assert "gender" not in gaps.not_known  # not an indicator: the level does not rest on it
    answered = [qid for qid in gaps.not_known if answers.get(qid) == "not_known"]
    assert "older_associates" in answered
    assert list(gaps.not_known[:len(answered)]) == answered  # answered "Not known" first
    unanswered = gaps.not_known[len(answered):]
    assert "online_grooming" in unanswered  # then what has no answer yet
    assert not any(qid in answers for qid in unanswered)
    assert set(gaps.not_known) == set(assessment.not_known)
    assert len(set(gaps.not_known)) == len(gaps.not_known)


def test_without_a_score_the_review_lists_answered_not_known_only(form: FormDefinition) -> None:
    base = _case("16-not-known-answers.json")
    gaps = review_gaps(form, base.answers, base.screening_date)
    assert gaps.not_known
    assert all(base.answers[qid] == "not_known" for qid in gaps.not_known)
    assert gaps.missing == ()
