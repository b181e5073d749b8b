"""Property tests of the engine against a naive reference reading of the same model.

The reference walks the form with :mod:`riskscreen.forms.visibility` (no compiled tables) so
that a bug in the engine's precompilation cannot hide behind itself. The engine properties
hold for every shipped model version and for 1.0.0 with tighter not-known caps (0 and 3,
where the cap and the protective floor meet most often).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskscreen.conditions import PRESENT_WINDOWS, AllOf, AnyOf, CountPresent, Node, Not, Present
from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition, QuestionKind, QuestionType
from riskscreen.forms.visibility import derived_values, visible_answers
from riskscreen.scoring.engine import score
from riskscreen.scoring.loader import load_model, shipped_model_versions
from riskscreen.scoring.model import ScoringModel

FORM = load_form("cse-screening")
MODEL = load_model("cse-screening@1.0.0")
INDICATORS = (QuestionType.INDICATOR, QuestionType.TIME_WINDOW)


def _with_cap(model: ScoringModel, cap: int) -> ScoringModel:
    data = json.loads(model.canonical_json())
    data["not_known_cap"] = cap
    return ScoringModel.model_validate(data)


#: The models the engine properties are checked on, by name.
MODELS = {v: load_model(f"cse-screening@{v}") for v in shipped_model_versions("cse-screening")}
MODELS |= {f"1.0.0-cap{cap}": _with_cap(MODEL, cap) for cap in (0, 3)}
ENGINE_MODELS = pytest.mark.parametrize("model", list(MODELS.values()), ids=list(MODELS))


#: Days of birth around a birthday: on it, next to it, or well away from it.
_BIRTHDAY_SHIFTS = st.sampled_from([-1, 0, 1, 40, 200])
_SCREENING_DATES = st.dates(date(2024, 1, 1), date(2027, 12, 31))
_ONE_IN_FIVE = st.integers(0, 4)
_AGES = st.integers(8, 19)


class _Draws:
    """The strategies :func:`answer_sets` draws from for one form, built once: each
    question's strategies are the same for every example, and building them anew at every
    draw cost more than drawing from them."""

    def __init__(self, form: FormDefinition) -> None:
        self.birth_questions = {d.question for d in form.derived}
        self.questions = list(form.questions())
        ids = [q.id for q in self.questions if q.type in INDICATORS
               and q.kind != QuestionKind.PROTECTIVE_FACTOR]
        self.chosen = st.sets(st.sampled_from(ids), max_size=5)
        self.unknown = st.sets(st.sampled_from(ids), max_size=3)
        self.blank = st.sets(st.sampled_from(ids), max_size=2)
        self.any_value: dict[str, st.SearchStrategy[Any]] = {}
        self.unsure: dict[str, st.SearchStrategy[Any]] = {}
        self.present: dict[str, st.SearchStrategy[Any]] = {}
        self.value: dict[str, st.SearchStrategy[Any]] = {}
        for q in self.questions:
            if q.type in INDICATORS:
                absent = "no" if q.type is QuestionType.INDICATOR else "none"
                present = ["yes"] if q.type is QuestionType.INDICATOR else list(PRESENT_WINDOWS)
                self.any_value[q.id] = st.sampled_from([*(q.allowed_values() or ()), None])
                self.unsure[q.id] = st.sampled_from(["not_known", "not_known", None, absent])
                self.present[q.id] = st.sampled_from(present)
            elif q.type is QuestionType.SINGLE_CHOICE:
                self.value[q.id] = st.sampled_from(q.option_ids())
            elif q.type is QuestionType.MULTIPLE_CHOICE:
                self.value[q.id] = st.lists(st.sampled_from(q.option_ids()), min_size=1,
                                            max_size=3, unique=True)
            elif q.type is QuestionType.NUMBER:
                low = q.minimum or 0
                self.value[q.id] = st.one_of(st.just(low), st.integers(
                    low, min(q.maximum or low + 12, low + 12)))


_DRAWS: dict[int, tuple[FormDefinition, _Draws]] = {}


def _draws(form: FormDefinition) -> _Draws:
    hit = _DRAWS.get(id(form))
    if hit is None or hit[0] is not form:
        hit = _DRAWS[id(form)] = (form, _Draws(form))
    return hit[1]


@st.composite
def answer_sets(draw: st.DrawFn, form: FormDefinition = FORM) -> AnswerSet:
    """Any type-correct answers, including answers lingering on hidden questions."""
    d = _draws(form)
    screening = draw(_SCREENING_DATES)
    # Mostly a few chosen signs among absent ones, as in real screenings, so that single
    # signs, rules and the protective floor decide levels often; sometimes dense answers.
    dense = draw(_ONE_IN_FIVE) == 0
    # Sometimes little is known yet: signs not chosen are mostly not known or left blank.
    unsure = draw(_ONE_IN_FIVE) == 0
    chosen = draw(d.chosen)
    unknown = draw(d.unknown)
    blank = draw(d.blank)
    answers: dict[str, Any] = {}
    for q in d.questions:
        value: Any
        absent = "no" if q.type is QuestionType.INDICATOR else "none"
        if q.type in INDICATORS and (dense or q.kind == QuestionKind.PROTECTIVE_FACTOR):
            value = draw(d.any_value[q.id])
        elif q.type in INDICATORS and unsure and q.id not in chosen:
            value = draw(d.unsure[q.id])
        elif q.type in INDICATORS:
            value = (draw(d.present[q.id]) if q.id in chosen else "not_known"
                     if q.id in unknown else None if q.id in blank else absent)
        elif q.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE,
                        QuestionType.NUMBER):
            value = draw(d.value[q.id])
        elif q.type is QuestionType.DATE and q.id in d.birth_questions:
            # Ages 8 to 19, with birthdays falling on or next to the screening date.
            years = draw(_AGES)
            shift = draw(_BIRTHDAY_SHIFTS)
            born = date(screening.year - years, screening.month, min(screening.day, 28))
            value = (born + timedelta(days=shift)).isoformat()
        elif q.type is QuestionType.DATE:
            value = (screening - timedelta(days=30)).isoformat()
        else:
            value = "Synthetic text."
        if value is not None:
            answers[q.id] = value
    return AnswerSet(form=form.id, form_version=form.version, screening_date=screening,
                     answers=answers)


# -- the reference reading ------------------------------------------------------------------


def _holds(node: Node, seen: dict[str, Any], derived: dict[str, Any]) -> bool:
    index = FORM.question_index()
    if isinstance(node, AllOf):
        return all(_holds(c, seen, derived) for c in node.all_)
    if isinstance(node, AnyOf):
        return any(_holds(c, seen, derived) for c in node.any_)
    if isinstance(node, Not):
        return not _holds(node.not_, seen, derived)
    if isinstance(node, Present):
        q = index[node.present.question]
        return _is_present(q.type, seen.get(q.id), node.present.windows)
    if isinstance(node, CountPresent):
        sel = node.count_present
        n = 0
        for section in FORM.sections:
            for q in section.questions:
                if q.type not in INDICATORS:
                    continue
                if sel.sections is not None and section.id not in sel.sections:
                    continue
                if sel.kinds is not None and q.kind not in sel.kinds:
                    continue
                if sel.concerns is not None and q.concern not in sel.concerns:
                    continue
                if sel.questions is not None and q.id not in sel.questions:
                    continue
                n += _is_present(q.type, seen.get(q.id), sel.windows)
        return n >= sel.at_least
    return node.evaluate(seen, derived, FORM)


def _is_present(qtype: QuestionType, value: Any, windows: list[str] | None) -> bool:
    if qtype is QuestionType.INDICATOR:
        return value == "yes"
    return value in (windows or PRESENT_WINDOWS)


def reference(model: ScoringModel, s: AnswerSet) -> tuple[str, int, str, list[str]]:
    """(level, score, points level, rules fired) by a plain reading of the model."""
    derived = derived_values(FORM, s.answers, s.screening_date)
    seen = visible_answers(FORM, s.answers, s.screening_date)
    index = FORM.question_index()
    from riskscreen.forms.visibility import visible_questions

    shown = set(visible_questions(FORM, s.answers, s.screening_date))
    gross = floor = protective = 0
    unknown = unknown_floor = 0  # the part of gross and floor from not-known answers
    for qid, weights in model.weights.items():
        q = index[qid]
        if qid not in shown:
            continue
        value = seen.get(qid)
        if value is None and q.type in INDICATORS:
            value = "not_known"
        for v in value if isinstance(value, list) else [value] if value is not None else []:
            points = weights.get(v, 0)
            if q.kind == QuestionKind.PROTECTIVE_FACTOR:
                protective -= points
            else:
                gross += points
                if q.kind in model.protective.floor_kinds:
                    floor += points
                if v == "not_known" and q.type in INDICATORS:
                    unknown += points
                    if q.kind in model.protective.floor_kinds:
                        unknown_floor += points
    cap = model.not_known_cap
    if cap is not None and unknown > cap:
        # At most ``cap`` not-known points count, the floor's own counted first.
        gross -= unknown - cap
        floor += min(unknown_floor, cap) - unknown_floor
    for b in model.bands:
        value = seen.get(b.subject) if b.question else derived.get(b.subject)
        for band in b.bands:
            if value is not None and band.from_ <= value and (band.to is None or
                                                             value <= band.to):
                gross += band.points
    reduction = max(0, min(protective, model.protective.max_reduction, gross - floor))
    total = gross - reduction
    points_level = model.levels[0].id
    for th in model.thresholds:
        if total >= th.from_:
            points_level = th.level
    fired = [r.id for r in model.rules if _holds(r.when, seen, derived)]
    ranks = {lv.id: i for i, lv in enumerate(model.levels)}
    level = max([points_level, *(r.minimum for r in model.rules if r.id in fired)],
                key=ranks.__getitem__)
    return level, total, points_level, fired


# -- properties -----------------------------------------------------------------------------


@ENGINE_MODELS
@settings(max_examples=200, deadline=None)
@given(answer_sets())
def test_engine_agrees_with_the_reference_reading(model: ScoringModel, s: AnswerSet) -> None:
    a = score(FORM, model, s)
    assert (a.level, a.score, a.points_level, [r.id for r in a.rules_fired]) == reference(
        model, s)
    capped = a.extra.get("not_known_capped", 0)
    if model.not_known_cap is None:
        assert "not_known_capped" not in a.extra
    else:
        assert a.extra["not_known_points"] - capped <= model.not_known_cap
        assert capped == max(0, a.extra["not_known_points"] - model.not_known_cap)
    # The protective floor still holds: protection never takes off counted points of harm.
    assert a.score <= a.extra["points_before_protection"]


RAISABLE = [q for q in FORM.questions() if q.id in MODEL.weights and q.type in INDICATORS
            and q.kind != QuestionKind.PROTECTIVE_FACTOR]


@ENGINE_MODELS
@settings(max_examples=200, deadline=None)
@given(answer_sets(), st.sampled_from(RAISABLE), st.sampled_from(["yes", *PRESENT_WINDOWS]))
def test_answering_an_indicator_as_seen_never_lowers_the_level(
        model: ScoringModel, s: AnswerSet, question: Any, seen_as: str) -> None:
    ranks = {lv.id: i for i, lv in enumerate(model.levels)}
    value = "yes" if question.type is QuestionType.INDICATOR else (
        seen_as if seen_as != "yes" else "recent")
    before = score(FORM, model, s)
    previous = s.answers.get(question.id)
    if previous in ("yes", *PRESENT_WINDOWS):
        return  # already seen: nothing is being added
    after = score(FORM, model, s.model_copy(update={"answers": {**s.answers,
                                                                question.id: value}}))
    assert ranks[after.level] >= ranks[before.level]
    assert after.score >= before.score


@ENGINE_MODELS
@settings(max_examples=200, deadline=None)
@given(answer_sets())
def test_a_fired_rules_minimum_always_holds(model: ScoringModel, s: AnswerSet) -> None:
    a = score(FORM, model, s)
    rank = {lv.id: lv.rank for lv in a.levels}
    for rule in a.rules_fired:
        assert rank[a.level] >= rank[rule.minimum_level]
    assert rank[a.level] == max([rank[a.points_level],
                                 *(rank[r.minimum_level] for r in a.rules_fired)])


@settings(max_examples=100, deadline=None)
@given(answer_sets())
def test_same_inputs_same_output(s: AnswerSet) -> None:
    first = score(FORM, MODEL, s)
    again = score(FORM, MODEL, s)
    fresh_model = ScoringModel.model_validate_json(MODEL.canonical_json())
    fresh_form = FORM.model_copy(deep=True)
    fresh = score(fresh_form, fresh_model, AnswerSet.model_validate_json(s.model_dump_json()))
    assert first == again == fresh
    assert json.dumps(first.to_dict(), sort_keys=True) == json.dumps(fresh.to_dict(),
                                                                      sort_keys=True)


# -- identity -------------------------------------------------------------------------------


def _reorder(node: Any, seed: int) -> Any:
    if isinstance(node, dict):
        keys = list(node)
        keys = keys[seed % max(1, len(keys)):] + keys[:seed % max(1, len(keys))]
        return {k: _reorder(node[k], seed + 1) for k in reversed(keys)}
    if isinstance(node, list):
        return [_reorder(v, seed + 1) for v in node]
    return node


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 1000))
def test_hash_is_stable_under_key_reordering(seed: int) -> None:
    data = json.loads(MODEL.canonical_json())
    again = ScoringModel.model_validate(_reorder(data, seed))
    assert again.sha256 == MODEL.sha256
    assert again.canonical_json() == MODEL.canonical_json()


WEIGHT_KEYS = [(q, a) for q, table in MODEL.weights.items() for a in table]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(WEIGHT_KEYS), st.sampled_from([-1, 1]))
def test_hash_changes_on_any_weight_edit(key: tuple[str, str], delta: int) -> None:
    data = json.loads(MODEL.canonical_json())
    data["weights"][key[0]][key[1]] += delta
    assert ScoringModel.model_validate(data).sha256 != MODEL.sha256


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_hash_changes_on_any_text_or_number_edit(data: st.DataObject) -> None:
    doc = json.loads(MODEL.canonical_json())
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))
        elif isinstance(node, str) and path[-1] in ("reason", "label", "name", "source",
                                                    "change_note", "author", "title"):
            paths.append(path)
    walk(doc, ())
    path = data.draw(st.sampled_from(paths))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] += " (edited)"
    assert ScoringModel.model_validate(doc).sha256 != MODEL.sha256
