"""One count of what is not known, and the points of it the score really counts."""

from __future__ import annotations

import json
from datetime import date

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.engine import score
from riskscreen.scoring.gaps import not_known_tally
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
