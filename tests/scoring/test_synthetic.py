"""Synthetic answer sets are deterministic, valid against the form and spread over every level."""

from __future__ import annotations

from collections import Counter

from riskscreen.forms.answers import check_answers
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.engine import score
from riskscreen.scoring.model import ScoringModel
from riskscreen.synthetic import generate_answer_sets


def test_same_seed_same_sets_other_seed_other_sets(form: FormDefinition) -> None:
    assert generate_answer_sets(form, 50, seed=3) == generate_answer_sets(form, 50, seed=3)
    assert generate_answer_sets(form, 50, seed=3) != generate_answer_sets(form, 50, seed=4)
    assert generate_answer_sets(form, 0, seed=3) == []


def test_sets_are_valid_and_spread_across_levels(form: FormDefinition,
                                                 model: ScoringModel) -> None:
    sets = generate_answer_sets(form, 600, seed=1)
    assert all(check_answers(form, s) == [] for s in sets)
    levels = Counter(score(form, model, s).level for s in sets)
    assert set(levels) == {lv.id for lv in model.levels}
    assert min(levels.values()) >= 0.1 * len(sets), levels
