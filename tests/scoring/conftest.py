"""Fixtures and helpers shared by the scoring tests."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.engine import ScoringPlan
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.model import ScoringModel

ROOT = Path(__file__).resolve().parents[2]
MODEL_FILE = ROOT / "forms" / "cse-screening" / "scoring" / "1.0.0.yaml"
FORM_FILE = ROOT / "forms" / "cse-screening" / "form.yaml"
CASES = ROOT / "tests" / "cases"


@pytest.fixture(scope="session")
def form() -> FormDefinition:
    return load_form("cse-screening")


@pytest.fixture(scope="session")
def model() -> ScoringModel:
    return load_model("cse-screening@1.0.0")


def case_answers(name: str) -> AnswerSet:
    """The answer set of a golden case, by file stem (e.g. ``07-disclosure``)."""
    return AnswerSet.model_validate(json.loads((CASES / f"{name}.json").read_text("utf-8")))


def with_answers(answer_set: AnswerSet, **changes: Any) -> AnswerSet:
    """A copy with some answers changed (None removes one)."""
    answers = dict(answer_set.answers)
    for key, value in changes.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    return answer_set.model_copy(update={"answers": answers})


def on(answer_set: AnswerSet, day: date) -> AnswerSet:
    """The same answers screened on another date."""
    return answer_set.model_copy(update={"screening_date": day})


def assert_batch_agrees(plan: ScoringPlan, answer_sets: list[AnswerSet]) -> None:
    """The batch executor gives exactly the level, points and rules fired that the explain
    executor gives, for every screening."""
    result = plan.batch(plan.encode(answer_sets))
    assert not result.unscorable
    for row, answer_set in enumerate(answer_sets):
        a = plan.explain(answer_set)
        assert (result.level(row), int(result.points[row]), result.rules(row)) == (
            a.level, a.score, [r.id for r in a.rules_fired]), (row, answer_set.answers)
