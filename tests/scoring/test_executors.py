"""The two executors of one scoring plan agree exactly: explain (one screening, the reference
semantics) and batch (columns of many) give the same level, points and rules fired.

Checked on generated forms and models (every question type, weighted choice questions,
``show_if`` of every operator, bands, rules of every operator, with and without a not-known
cap), on every golden case under every shipped model, and on synthetic screenings under each
shipped model (100,000 of them in the slow test).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from riskscreen.conditions import CountPresent
from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition
from riskscreen.forms.validate import check_form
from riskscreen.scoring.engine import ModelFormError, ScoringPlan, compile_model
from riskscreen.scoring.loader import load_model, shipped_model_versions
from riskscreen.scoring.model import ScoringModel
from riskscreen.synthetic import generate_answer_sets

from .conftest import assert_batch_agrees

CASES = Path(__file__).resolve().parents[1] / "cases"
FORM = load_form("cse-screening")
SHIPPED = {v: load_model(f"cse-screening@{v}") for v in shipped_model_versions("cse-screening")}

KINDS = ("risk_indicator", "harm_indicator", "vulnerability", "protective_factor", "context")
TYPES = ("indicator", "time_window", "single_choice", "multiple_choice", "number")
WINDOWS = ("recent", "older", "both")


# -- generated forms and models ---------------------------------------------------------------


def _condition(draw: st.DrawFn, earlier: list[dict[str, Any]], depth: int = 0,
               rules: bool = False) -> dict[str, Any]:
    """A condition over the questions listed (and the child's age)."""
    combine = depth < 2 and draw(st.integers(0, 3)) == 0
    if combine:
        op = draw(st.sampled_from(["all", "any", "not"]))
        if op == "not":
            return {"not": _condition(draw, earlier, depth + 1, rules)}
        return {op: [_condition(draw, earlier, depth + 1, rules)
                     for _ in range(draw(st.integers(1, 3)))]}
    indicators = [q for q in earlier if q["type"] in ("indicator", "time_window")]
    if rules and indicators and draw(st.booleans()):
        if draw(st.booleans()):
            q = draw(st.sampled_from(indicators))
            arg: dict[str, Any] = {"question": q["id"]}
            if q["type"] == "time_window" and draw(st.booleans()):
                arg["windows"] = draw(st.lists(st.sampled_from(WINDOWS), min_size=1,
                                               max_size=2, unique=True))
            return {"present": arg}
        sel: dict[str, Any] = {"at_least": draw(st.integers(1, min(2, len(indicators))))}
        if draw(st.booleans()):
            sel["windows"] = draw(st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=3,
                                           unique=True))
        return {"count_present": sel}
    choices = [q for q in earlier if q["type"] != "number"]
    numbers = [q for q in earlier if q["type"] == "number"]
    kind = draw(st.sampled_from(["age", "answered", "choice", "number"]))
    if kind == "choice" and choices:
        q = draw(st.sampled_from(choices))
        words = [o["id"] for o in q["options"]] if "options" in q else (
            ["yes", "no", "not_known"] if q["type"] == "indicator"
            else ["none", *WINDOWS, "not_known"])
        if q["type"] == "multiple_choice":
            return {"contains": {"question": q["id"], "value": draw(st.sampled_from(words))}}
        if draw(st.booleans()):
            return {"equals": {"question": q["id"], "value": draw(st.sampled_from(words))}}
        return {"in": {"question": q["id"], "values": draw(st.lists(
            st.sampled_from(words), min_size=1, max_size=3, unique=True))}}
    if kind == "number" and numbers:
        q = draw(st.sampled_from(numbers))
        op = draw(st.sampled_from(["greater_than", "less_than", "equals"]))
        return {op: {"question": q["id"], "value": draw(st.integers(0, 6))}}
    if kind == "answered" and earlier:
        return {"answered": {"question": draw(st.sampled_from(earlier))["id"]}}
    op = draw(st.sampled_from(["greater_than", "less_than", "equals", "in"]))
    if op == "in":
        return {"in": {"derived": "age", "values": draw(st.lists(st.integers(8, 18),
                                                                  min_size=1, max_size=3))}}
    return {op: {"derived": "age", "value": draw(st.integers(9, 17))}}


@st.composite
def forms_and_models(draw: st.DrawFn) -> tuple[FormDefinition, ScoringModel]:
    questions: list[dict[str, Any]] = [
        {"id": "dob", "text": "Date of birth", "kind": "context", "type": "date"}]
    for i in range(draw(st.integers(2, 9))):
        qtype = draw(st.sampled_from(TYPES))
        kind = draw(st.sampled_from(KINDS))
        q: dict[str, Any] = {"id": f"q{i}", "text": f"Question {i}", "kind": kind,
                             "type": qtype}
        if qtype in ("single_choice", "multiple_choice"):
            q["options"] = [{"id": f"o{j}", "label": f"Option {j}"}
                            for j in range(draw(st.integers(2, 4)))]
        if qtype == "number":
            q["minimum"], q["maximum"] = 0, 10
        if draw(st.integers(0, 2)) == 0:
            q["show_if"] = _condition(draw, questions[1:])
        questions.append(q)
    form = FormDefinition.model_validate({
        "kind": "form", "id": "generated", "version": "1.0.0", "title": "Generated",
        "derived": [{"id": "age", "kind": "age_years", "question": "dob"}],
        "sections": [{"id": "one", "title": "One", "questions": questions[:3]},
                     {"id": "two", "title": "Two", "questions": questions[3:]
                      or [{"id": "extra", "text": "Extra", "kind": "context",
                           "type": "text"}]}]})
    assume(not check_form(form))
    weights: dict[str, dict[str, int]] = {}
    for q in questions[1:]:
        if q["type"] == "number" or q["kind"] == "context" or not draw(st.integers(0, 3)):
            continue
        sign = -1 if q["kind"] == "protective_factor" else 1
        if q["type"] in ("single_choice", "multiple_choice"):
            weights[q["id"]] = {o["id"]: sign * draw(st.integers(0, 5)) for o in q["options"]}
            continue
        absent, unknown = draw(st.integers(0, 1)), draw(st.integers(0, 3))
        seen = draw(st.integers(0, 6))
        if sign > 0:
            unknown = max(unknown, absent)
            seen = max(seen, unknown)
            table = {"not_known": unknown, ("no" if q["type"] == "indicator" else "none"):
                     absent}
        else:
            table = {"not_known": -unknown, ("no" if q["type"] == "indicator" else "none"): 0}
            seen = max(seen, unknown)
            seen = -seen
        if q["type"] == "indicator":
            table["yes"] = seen
        else:
            older = draw(st.integers(0, abs(seen))) * sign
            both = seen + sign * draw(st.integers(0, 2))
            table |= ({"recent": seen, "older": older, "both": both} if sign > 0 else
                      {"recent": seen, "older": seen, "both": seen})
        weights[q["id"]] = table
    assume(weights)
    bands = []
    numbers = [q for q in questions if q["type"] == "number"]
    if numbers and draw(st.booleans()):
        bands.append({"question": numbers[0]["id"], "bands": [
            {"from": 1, "to": 3, "points": draw(st.integers(0, 3))},
            {"from": 4, "points": draw(st.integers(0, 5))}]})
    if draw(st.booleans()):
        bands.append({"derived": "age", "bands": [{"from": 0, "to": 12,
                                                   "points": draw(st.integers(0, 4))}]})
    low = draw(st.integers(1, 6))
    rules = [{"id": f"r{i}", "minimum": draw(st.sampled_from(["low", "high"])),
              "reason": "A generated rule for the test.", "source": "test",
              "when": _condition(draw, questions[1:], rules=True)}
             for i in range(draw(st.integers(0, 3)))]
    data: dict[str, Any] = {
        "kind": "scoring_model", "id": "generated", "version": "1.0.0", "title": "Generated",
        "author": "Test", "date": "2026-01-01", "change_note": "Generated.",
        "form": {"id": "generated", "versions": ["1.0.0"]},
        "levels": [{"id": "none", "name": "None", "colour": "#2e7d32"},
                   {"id": "low", "name": "Low", "colour": "#f9a825"},
                   {"id": "high", "name": "High", "colour": "#c62828"}],
        "thresholds": [{"level": "low", "from": low},
                       {"level": "high", "from": low + draw(st.integers(1, 8))}],
        "weights": weights, "bands": bands,
        "protective": {"max_reduction": draw(st.integers(0, 6))}, "rules": rules,
        "review": {"intervals": {"none": {"months": 12}, "low": {"months": 6},
                                 "high": {"days": 14}}},
    }
    if draw(st.booleans()):
        data["not_known_cap"] = draw(st.integers(0, 6))
    model = ScoringModel.model_validate(data)
    try:
        ScoringPlan(form, model)
    except ModelFormError:
        assume(False)  # e.g. a rule that can never fire: validation refuses the model
    return form, model


def _answer(draw: st.DrawFn, q: Any, day: date) -> Any:
    t = q.type.value
    if draw(st.integers(0, 5)) == 0:
        return None
    if t == "date":
        return (day - timedelta(days=draw(st.integers(8 * 365, 19 * 365)))).isoformat()
    if t == "number":
        return draw(st.integers(0, 10))
    if t == "multiple_choice":
        return draw(st.lists(st.sampled_from(q.option_ids()), max_size=len(q.option_ids()),
                             unique=True))
    if q.allowed_values() is None:
        return draw(st.sampled_from(["", "Some words.", "Other words."]))
    return draw(st.sampled_from(list(q.allowed_values())))


@st.composite
def answers_for(draw: st.DrawFn, form: FormDefinition) -> AnswerSet:
    """Type-correct answers to every question, hidden ones included (lingering answers)."""
    day = draw(st.dates(date(2024, 1, 1), date(2027, 12, 31)))
    answers = {q.id: v for q in form.questions() if (v := _answer(draw, q, day)) is not None}
    return AnswerSet(form=form.id, form_version=form.version, screening_date=day,
                     answers=answers)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.data())
def test_executors_agree_on_generated_forms_and_models(data: st.DataObject) -> None:
    form, model = data.draw(forms_and_models())
    plan = ScoringPlan(form, model)
    sets = data.draw(st.lists(answers_for(form), min_size=1, max_size=25))
    assert_batch_agrees(plan, sets)


# -- shipped models -----------------------------------------------------------------------


def _golden_cases() -> list[AnswerSet]:
    return [AnswerSet.model_validate(json.loads(p.read_text("utf-8")))
            for p in sorted(CASES.rglob("*.json")) if not p.name.endswith(".expected.json")]


@pytest.mark.parametrize("version", list(SHIPPED))
def test_executors_agree_on_every_golden_case(version: str) -> None:
    cases = _golden_cases()
    assert len(cases) >= 20
    assert_batch_agrees(compile_model(FORM, SHIPPED[version]), cases)


@pytest.mark.parametrize("version", list(SHIPPED))
def test_executors_agree_on_synthetic_screenings(version: str) -> None:
    assert_batch_agrees(compile_model(FORM, SHIPPED[version]),
                        generate_answer_sets(FORM, 3_000, seed=41))


@pytest.fixture(scope="module")
def hundred_thousand() -> list[AnswerSet]:
    return generate_answer_sets(FORM, 100_000, seed=97)


@pytest.mark.slow
@pytest.mark.parametrize("version", list(SHIPPED))
def test_executors_agree_on_100000_synthetic_screenings(
        version: str, hundred_thousand: list[AnswerSet]) -> None:
    assert_batch_agrees(compile_model(FORM, SHIPPED[version]), hundred_thousand)


def test_large_batches_are_scored_in_slices_with_the_same_result() -> None:
    """Columns longer than one slice give what each slice gives (rows keep their order)."""
    plan = compile_model(FORM, SHIPPED["1.1.0"])
    sets = generate_answer_sets(FORM, 500, seed=43)
    small = plan.encode(sets)
    repeats = 41  # 20,500 rows: several slices and a partial last one
    big = replace(small, days=np.tile(small.days, repeats),
                  codes={k: np.tile(v, repeats) for k, v in small.codes.items()},
                  derived={k: np.tile(v, repeats) for k, v in small.derived.items()})
    one, many = plan.batch(small), plan.batch(big)
    assert many.size == 500 * repeats
    assert many.ranks.tolist() == one.ranks.tolist() * repeats
    assert many.points.tolist() == one.points.tolist() * repeats
    assert many.fired.tolist() == [row * repeats for row in one.fired.tolist()]


def test_a_weighted_column_holding_a_code_no_answer_has_is_refused() -> None:
    plan = compile_model(FORM, SHIPPED["1.1.0"])
    cols = plan.encode(generate_answer_sets(FORM, 20, seed=5))
    allowed = len(FORM.question("online_grooming").allowed_values() or ())
    for bad in (allowed + 1, -1, 2**40):
        codes = cols.column("online_grooming").copy()
        codes[7] = bad
        with pytest.raises(ValueError,
                           match=rf"'online_grooming' holds codes outside 0..{allowed}"):
            plan.batch(cols.with_codes({"online_grooming": codes}))


def test_a_code_no_answer_has_counts_for_nothing_where_its_question_is_hidden() -> None:
    """Visibility comes first: a hidden question's codes are never read, whatever they are."""
    plan = compile_model(FORM, SHIPPED["1.1.0"])
    sets = generate_answer_sets(FORM, 200, seed=6)
    cols = plan.encode(sets)
    hidden = np.flatnonzero(cols.column("missing_episodes_3_months") <= 0)
    assert hidden.size
    codes = cols.column("missing_overnight").copy()
    codes[hidden] = 99
    before, after = plan.batch(cols), plan.batch(cols.with_codes({"missing_overnight": codes}))
    assert after.ranks.tolist() == before.ranks.tolist()
    assert after.points.tolist() == before.points.tolist()
    assert after.fired.tolist() == before.fired.tolist()


def test_count_present_reads_counts_given_with_the_columns_and_nothing_derived_keeps_them(
) -> None:
    """The batch executor hands rules the counts it gathered while scoring; a count given
    with the columns is what ``count_present`` decides on, and any columns derived from them
    (other rows, other codes) must count again."""
    model = SHIPPED["1.1.0"]
    rule = next(r for r in model.rules if r.id == "any_indicator_seen")
    node = rule.when
    assert isinstance(node, CountPresent)
    holds = node.columns(FORM)
    cols = compile_model(FORM, model).encode(generate_answer_sets(FORM, 50, seed=7))
    counted = holds(cols)
    given = replace(cols, seen_counts={node.seen(FORM): np.zeros(cols.size, dtype=np.int64)})
    assert not holds(given).any()
    for derived in (given.rows(0, 50), given.take(np.arange(50)), given.with_codes({}),
                    given.with_derived()):
        assert not derived.seen_counts
        assert holds(derived).tolist() == counted.tolist()
