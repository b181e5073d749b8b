"""The scoring engine: a pure function of (form, model, answers) to an :class:`Assessment`.

Semantics (docs/design/0002-scoring-semantics.md):

1. Only questions visible for these answers are scored (the form's ``show_if`` rules, ages at
   the screening date). A visible weighted indicator left unanswered is scored as "not known".
2. Points are integers. Each weighted answer and each band of a derived fact adds its points;
   if the model sets ``not_known_cap``, the points of "not known" (and unanswered) indicators
   count together for at most that many (each keeps its own points in the explanation, and
   ``extra["not_known_capped"]`` says how many were not counted); protective factors reduce
   the total by at most ``protective.max_reduction`` and never below the points of
   ``protective.floor_kinds`` (indicators of harm; their not-known points are counted first
   within the cap).
3. The total maps to a level through the thresholds; every rule whose condition holds sets a
   minimum level; the computed level is the higher of the two.
4. The review date is the screening date plus the level's interval, brought forward by any
   ``review.sooner`` entry that applies. No clock is read anywhere.

For speed a model is compiled once per form into lookup tables (:class:`CompiledModel`):
prebuilt :class:`Contribution` objects per answer, conditions as closures.
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from datetime import date
from itertools import compress
from typing import Any, NamedTuple

from riskscreen.conditions import Node, as_date
from riskscreen.forms.answers import AnswerError, AnswerProblem, AnswerSet
from riskscreen.forms.model import (
    ANSWER_LABELS,
    NOT_KNOWN,
    FormDefinition,
    Question,
    QuestionKind,
    QuestionType,
)
from riskscreen.forms.visibility import age_on
from riskscreen.scoring.assessment import (
    Assessment,
    Contribution,
    Override,
    OverrideDirection,
    RuleFired,
    Trend,
)
from riskscreen.scoring.loader import check_model
from riskscreen.scoring.model import Interval, ScoringModel

__all__ = [
    "MIN_REASON_CHARS",
    "MIN_REASON_WORDS",
    "UNANSWERED",
    "CompiledModel",
    "Evaluation",
    "ModelFormError",
    "OverrideRefused",
    "add_interval",
    "apply_override",
    "carry_forward",
    "compile_model",
    "score",
]

#: The answer recorded for a visible weighted indicator left blank (scored as "not known").
UNANSWERED = "unanswered"
#: A written reason is at least a sentence: this many characters and words.
MIN_REASON_CHARS = 20
MIN_REASON_WORDS = 4

_Pred = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]
_INDICATOR_TYPES = (QuestionType.INDICATOR, QuestionType.TIME_WINDOW)


class ModelFormError(ValueError):
    """The model does not declare this form or form version, or is inconsistent with it."""


class OverrideRefused(ValueError):  # noqa: N818 - the name other modules code against
    """A professional-judgement override that the rules do not allow, with the reason why."""


class Evaluation(NamedTuple):
    """The engine's raw result for one screening, before it is packed into an Assessment."""

    rank: int
    score: int
    points_rank: int
    gross: int
    reduction: int
    protective_total: int
    fired: tuple[int, ...]
    contributions: tuple[Contribution, ...]
    protective: tuple[Contribution, ...]
    not_known: tuple[str, ...]
    age: int | None
    seen: Mapping[str, Any]
    derived: dict[str, Any]
    #: Points of "not known" and unanswered indicators (protective factors aside), before the
    #: model's ``not_known_cap``, and how many of them the cap left out (0 without a cap).
    not_known_points: int = 0
    not_known_capped: int = 0


# -- conditions -----------------------------------------------------------------------------


def _as_date(value: Any) -> date | None:
    return as_date(value)


def compile_condition(node: Node, form: FormDefinition) -> _Pred:
    """A ``show_if`` or rule condition as a closure over (visible answers, derived values)."""
    return node.compile(form)


def _subjects(node: Node, form: FormDefinition | None = None) -> set[str]:
    """Question ids a condition reads (with ``form``, the indicators it counts too)."""
    return {sid for kind, sid in node.subjects(form) if kind == "question"}


def _uses_derived(node: Node) -> bool:
    return any(kind == "derived" for kind, _ in node.subjects())


# -- dates ----------------------------------------------------------------------------------


def add_interval(start: date, interval: Interval) -> date:
    """``start`` plus an interval; months are calendar months, clamped to the month's end."""
    if interval.days is not None:
        return date.fromordinal(start.toordinal() + interval.days)
    months = start.month - 1 + (interval.months or 0)
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


# -- the compiled model ---------------------------------------------------------------------


#: One weighted answer: (index into the contribution table, points, points counted towards
#: the protective floor, counts as not known, question id).
_Hit = tuple[int, int, int, bool, str]

#: Points and floor points of one answer packed into one integer, so that one ``sum`` gives
#: both: ``points * 2**32 + floor points`` (unpacked by :func:`_unpack`; either may be negative).
_SHIFT = 32
_HALF = 1 << (_SHIFT - 1)
_LOW = (1 << _SHIFT) - 1
#: Plans kept per compiled model (one per set of hidden scored questions actually met).
_MAX_PLANS = 4096


def _unpack(packed: int) -> tuple[int, int]:
    """(points, floor points) from a sum of packed answers."""
    floor = ((packed + _HALF) & _LOW) - _HALF
    return (packed - floor) >> _SHIFT, floor


class _Plan(NamedTuple):
    """The scored indicators visible for one set of hidden questions, in form order.

    Per question, lookup tables from the answer: its prebuilt Contribution, its packed points
    (see :data:`_SHIFT`) and whether it counts as not known. :meth:`CompiledModel.score` maps
    them over the answers (``map`` runs in C: no Python code per question).
    """

    qids: tuple[str, ...]
    contributions: tuple[dict[Any, Contribution], ...]
    packed: tuple[dict[Any, int], ...]
    unknown: tuple[dict[Any, bool], ...]
    protective_qids: tuple[str, ...]
    protective_contributions: tuple[dict[Any, Contribution], ...]
    protective_points: tuple[dict[Any, int], ...]
    protective_unknown: tuple[dict[Any, bool], ...]
    #: Per scored indicator: answer -> packed points if the answer counts as not known, else 0
    #: (for the model's ``not_known_cap``).
    unknown_packed: tuple[dict[Any, int], ...]


_lookup = dict.__getitem__


class CompiledModel:
    """A model compiled against one form version into lookup tables. Immutable once built."""

    def __init__(self, form: FormDefinition, model: ScoringModel) -> None:
        if form.id != model.form.id or form.version not in model.form.versions:
            raise ModelFormError(
                f"scoring model {model.id} {model.version} applies to form '{model.form.id}' "
                f"version {', '.join(model.form.versions)}, not '{form.id}' version "
                f"{form.version}")
        problems = check_model(model, form)
        if problems:
            first = problems[0]
            raise ModelFormError(
                f"scoring model {model.id} {model.version} does not fit form '{form.id}' "
                f"{form.version}: {first.message}" + (f" (hint: {first.hint})" if first.hint
                                                      else ""))
        self.form = form
        self.model = model
        self.identity = model.identity
        self.levels = model.level_infos()
        self.level_ids = tuple(lv.id for lv in model.levels)
        index = form.question_index()
        sections = {q.id: s.id for s in form.sections for q in s.questions}
        order = {q.id: i for i, q in enumerate(form.questions())}
        floor_kinds = set(model.protective.floor_kinds)

        # Questions whose visibility matters: weighted, banded or named by a condition.
        relevant: set[str] = set(model.weights)
        relevant |= {b.question for b in model.bands if b.question is not None}
        for _, cond in model.conditions():
            relevant |= _subjects(cond, form)
        closure: set[str] = set()
        stack = [q for q in relevant if q in index]
        needs_derived = any(_uses_derived(c) for _, c in model.conditions()) or any(
            b.derived is not None for b in model.bands)
        while stack:
            qid = stack.pop()
            if qid in closure:
                continue
            closure.add(qid)
            show_if = index[qid].show_if
            if show_if is not None:
                stack += [s for s in _subjects(show_if) if s in index]
                needs_derived = needs_derived or _uses_derived(show_if)
        self._conditionals: tuple[tuple[str, _Pred], ...] = tuple(
            (qid, form.shown_by(qid))
            for qid in sorted(closure, key=order.__getitem__) if index[qid].show_if is not None)
        self._derived: tuple[tuple[str, str], ...] = tuple(
            (d.id, d.question) for d in form.derived) if needs_derived else ()

        # Every weighted answer becomes one prebuilt Contribution in a flat table; questions
        # map answers to indices into it. Indices follow form order, so sorting them restores
        # the order practitioners see. A blank (None or "") indicator maps to "not known".
        contributions: list[Contribution] = []
        points: list[int] = []
        floor_points: list[int] = []
        unknown: list[bool] = []
        weighted: list[tuple[str, dict[Any, _Hit]]] = []
        protective: list[tuple[str, dict[Any, _Hit]]] = []
        choices: list[tuple[str, dict[Any, _Hit], bool]] = []
        for qid in sorted(model.weights, key=order.__getitem__):
            weights = model.weights[qid]
            q = index[qid]
            table: dict[Any, _Hit] = {}

            def add(answer: str, label: str, pts: int, is_unknown: bool,
                    q: Question = q) -> _Hit:
                contributions.append(_contribution(q, sections[q.id], answer, label, pts))
                points.append(pts)
                floor_points.append(pts if q.kind in floor_kinds else 0)
                unknown.append(is_unknown)
                return (len(contributions) - 1, pts, floor_points[-1], is_unknown, q.id)

            for answer in q.allowed_values() or ():
                table[answer] = add(answer, q.label_of(answer), weights.get(answer, 0),
                                    answer == NOT_KNOWN and q.type in _INDICATOR_TYPES)
            if q.type in _INDICATOR_TYPES:
                blank = add(UNANSWERED, "Not answered (counted as not known)",
                            weights[NOT_KNOWN], True)
                table[None] = table[""] = blank
                if q.kind is QuestionKind.PROTECTIVE_FACTOR:
                    protective.append((qid, table))
                else:
                    weighted.append((qid, table))
            else:
                choices.append((qid, table, q.kind is QuestionKind.PROTECTIVE_FACTOR))
        self._contributions = contributions
        self._points = points
        self._floor_points = floor_points
        self._unknown = unknown
        self._qid_of = [c.question for c in contributions]
        self._weighted = tuple(weighted)
        self._protective = tuple(protective)
        self._hits = dict(weighted) | dict(protective)
        self._choices = tuple(choices)
        # The lean path (:meth:`rank`) packs points and floor points into one integer so a
        # single sum gives both: points << 32 | floor points (both are never negative here).
        packed = [(qid, {answer: (hit[1] << 32) | hit[2] for answer, hit in table.items()})
                  for qid, table in weighted]
        self._packed = tuple(e for e in packed if index[e[0]].show_if is None)
        self._packed_conditional = tuple(e for e in packed if index[e[0]].show_if is not None)
        #: What visibility depends on: models with equal keys can share one computation.
        self.visibility_key = (form.id, form.version,
                               tuple(qid for qid, _ in self._conditionals), self._derived)
        self._packed_protective = tuple((qid, {answer: hit[1] for answer, hit in table.items()})
                                        for qid, table in protective)
        #: The model's cap on not-known points (None: no cap), and per weighted indicator the
        #: packed points of the answers that count as not known (0 for the others).
        self._not_known_cap = model.not_known_cap
        self._packed_unknown = tuple(
            (qid, {answer: ((hit[1] << 32) | hit[2]) if hit[3] else 0
                   for answer, hit in table.items()})
            for qid, table in weighted)

        self._bands = tuple(
            (b.question is None, b.subject,
             [band.from_ for band in b.bands],
             [(band.to, band.points, band.describe()) for band in b.bands],
             b.label, index.get(b.subject), sections.get(b.subject, ""),
             index[b.subject].kind in floor_kinds if b.subject in index else False)
            for b in model.bands)
        self._band_cache: dict[tuple[int, int], Contribution] = {}

        self._thresholds = [th.from_ for th in model.thresholds]
        self._threshold_ranks = [model.rank(th.level) for th in model.thresholds]
        self._rules = tuple((compile_condition(r.when, form), model.rank(r.minimum))
                            for r in model.rules)
        self._rule_objects = tuple(RuleFired(r.id, r.minimum, " ".join(r.reason.split()))
                                   for r in model.rules)
        self._max_reduction = model.protective.max_reduction
        self._intervals = tuple(model.review.intervals[lv] for lv in self.level_ids)
        # Sooner reviews, soonest first: the first that applies gives the review date.
        today = date(2000, 1, 31)
        self._sooner_order = sorted(range(len(model.review.sooner)), key=lambda i: add_interval(
            today, model.review.sooner[i].interval))
        self._sooner = tuple((compile_condition(model.review.sooner[i].when, form), i)
                             for i in self._sooner_order)
        self._review_cache: dict[tuple[date, int, int], tuple[date, str]] = {}

        # The fast path of :meth:`score` (models without weighted choice questions): per
        # scored indicator, answer -> Contribution / packed points / counts as not known, and
        # per set of hidden questions met so far a :class:`_Plan` of the visible ones.
        def tables(table: dict[Any, _Hit]) -> tuple[dict[Any, Contribution], dict[Any, int],
                                                     dict[Any, bool], dict[Any, int]]:
            return ({answer: contributions[hit[0]] for answer, hit in table.items()},
                    {answer: hit[1] * (1 << _SHIFT) + hit[2] for answer, hit in table.items()},
                    {answer: hit[3] for answer, hit in table.items()},
                    {answer: hit[1] * (1 << _SHIFT) + hit[2] if hit[3] else 0
                     for answer, hit in table.items()})

        self._fast_tables = {qid: tables(table) for qid, table in (*weighted, *protective)}
        self._visibility = tuple((1 << i, qid, shown)
                                 for i, (qid, shown) in enumerate(self._conditionals))
        scored = self._fast_tables.keys()
        self._scored_bits = sum(bit for bit, qid, _ in self._visibility if qid in scored)
        self._plans: dict[int, _Plan] = {}
        self._fired = tuple((applies, minimum, fired) for (applies, minimum), fired
                            in zip(self._rules, self._rule_objects, strict=True))
        self._form_key = (form.id, form.version)

    # -- the hot path ---------------------------------------------------------------------

    def visible(self, answers: Mapping[str, Any], screening_date: date
                ) -> tuple[Mapping[str, Any], dict[str, Any], set[str]]:
        """(answers without hidden questions, derived values, hidden question ids)."""
        derived: dict[str, Any] = {}
        for did, source in self._derived:
            birth = _as_date(answers.get(source))
            if birth is not None and birth <= screening_date:
                derived[did] = age_on(birth, screening_date)
        # Copy the answers only if a hidden question holds a lingering answer (answers saved
        # by the app usually hold visible questions only); the caller's dict is never changed.
        seen = answers
        copied = False
        hidden: set[str] = set()
        for qid, shown in self._conditionals:
            if not shown(seen, derived):
                hidden.add(qid)
                if qid in seen:
                    if not copied:
                        seen = dict(seen)
                        copied = True
                    del seen[qid]  # type: ignore[attr-defined]
        return seen, derived, hidden

    def evaluate(self, answer_set: AnswerSet) -> Evaluation:
        """Score one screening without building an :class:`Assessment` (used by impact)."""
        if answer_set.form != self.form.id or answer_set.form_version != self.form.version:
            raise AnswerError([AnswerProblem(
                "", f"answers are for form '{answer_set.form}' version "
                    f"{answer_set.form_version}, but the form is '{self.form.id}' version "
                    f"{self.form.version}")])
        seen, derived, hidden = self.visible(answer_set.answers, answer_set.screening_date)
        get = seen.get
        needs_sort = False
        try:
            # In form order; hidden questions are skipped, blank ones map to "not known".
            found = [table[get(qid)] for qid, table in self._weighted if qid not in hidden]
            reducing = [table[get(qid)] for qid, table in self._protective
                        if qid not in hidden]
            for qid, table, is_protective in self._choices:
                value = get(qid)
                if value is None or value == "" or value == []:
                    continue
                picked = [table[v] for v in value] if isinstance(value, list) else [
                    table[value]]
                (reducing if is_protective else found).extend(picked)
                needs_sort = True
        except (KeyError, TypeError):
            raise self._bad_answer(seen, hidden) from None
        if needs_sort:
            found.sort()
            reducing.sort()
        idx: tuple[int, ...]
        pts: tuple[int, ...]
        floors: tuple[int, ...]
        unknown: tuple[bool, ...]
        qids: tuple[str, ...]
        idx, pts, floors, unknown, qids = (zip(*found, strict=True) if found
                                           else ((), (), (), (), ()))
        gross = sum(pts)
        floor = sum(floors)
        unknown_points = capped = 0
        if self._not_known_cap is not None:
            gross, floor, unknown_points, capped = self._capped(
                gross, floor, sum(compress(pts, unknown)), sum(compress(floors, unknown)))
        contributions = list(map(self._contributions.__getitem__, idx))
        not_known = list(compress(qids, unknown))
        protective: tuple[Contribution, ...] = ()
        protective_total = 0
        if reducing:
            r_idx, r_pts, _, r_unknown, r_qids = zip(*reducing, strict=True)
            protective_total = -sum(r_pts)
            protective = tuple(map(self._contributions.__getitem__, r_idx))
            not_known += compress(r_qids, r_unknown)
        gross, reduction, total, points_rank = self._settle(
            seen, derived, contributions, gross, floor, protective_total)
        rank = points_rank
        fired: list[int] = []
        for i, (applies, minimum) in enumerate(self._rules):
            if applies(seen, derived):
                fired.append(i)
                if minimum > rank:
                    rank = minimum
        age = next(iter(derived.values()), None) if derived else None
        return Evaluation(rank, total, points_rank, gross, reduction, protective_total,
                          tuple(fired), tuple(contributions), protective,
                          tuple(not_known), age, seen, derived, unknown_points, capped)

    def _settle(self, seen: Mapping[str, Any], derived: Mapping[str, Any],
                contributions: list[Contribution], gross: int, floor: int,
                protective_total: int) -> tuple[int, int, int, int]:
        """Add the banded facts, apply protective factors down to the floor, find the level.

        Appends band contributions to ``contributions``; returns (points before protection,
        reduction applied, total, rank of the level the points reach).
        """
        for index, band_entry in enumerate(self._bands):
            banded = self._band(index, band_entry, seen, derived)
            if banded is not None:
                contributions.append(banded)
                gross += banded.points
                if band_entry[7]:
                    floor += banded.points
        reduction = max(0, min(protective_total, self._max_reduction, gross - floor))
        total = gross - reduction
        at = bisect.bisect_right(self._thresholds, total)
        return gross, reduction, total, self._threshold_ranks[at - 1] if at else 0

    def _capped(self, gross: int, floor: int, unknown: int, unknown_floor: int
                ) -> tuple[int, int, int, int]:
        """Apply ``not_known_cap``: (points, floor points, not-known points, points left out).

        ``unknown`` is the points of the answers counted as not known (protective factors
        aside) and ``unknown_floor`` the part of them towards the protective floor. At most
        ``cap`` not-known points count; within the cap the floor's own not-known points count
        first, so the floor becomes its known points plus ``min(unknown_floor, cap)``. Both
        sums stay non-decreasing when any answer changes from not known to seen (seen weighs
        at least as much as not known), so the level never drops.
        """
        cap = self._not_known_cap
        if cap is None or unknown <= cap:
            return gross, floor, unknown, 0
        left_out = unknown - cap
        return (gross - left_out, floor - unknown_floor + min(unknown_floor, cap), unknown,
                left_out)

    def rank(self, answer_set: AnswerSet) -> tuple[int, int]:
        """(level rank, points) only: the lean path for bulk work such as impact analysis.

        Gives the same level and points as :meth:`evaluate` (tests check it on every golden
        case and on synthetic sets); use :meth:`evaluate` or :meth:`score` for the details.
        """
        if self._choices:
            ev = self.evaluate(answer_set)
            return ev.rank, ev.score
        gross, floor, protective_total, rule_rank, _, _ = self.parts(answer_set)
        return self.level_from(gross, floor, protective_total, rule_rank)

    def parts(self, answer_set: AnswerSet
              ) -> tuple[int, int, int, int, Mapping[str, Any], set[str]]:
        """The intermediate sums of the lean path.

        Returns (points before protection, points of the floor kinds, protective points,
        highest minimum rank among the rules that fire, visible answers, hidden question ids);
        the first two after the model's ``not_known_cap``, if it has one.
        :meth:`level_from` turns the first four into (level rank, points). Not for models
        weighting choice questions (use :meth:`evaluate`).
        """
        if answer_set.form != self.form.id or answer_set.form_version != self.form.version:
            self.evaluate(answer_set)  # raises the mismatch error
        seen, derived, hidden = self.visible(answer_set.answers, answer_set.screening_date)
        get = seen.get
        try:
            packed = sum([table[get(qid)] for qid, table in self._packed])
            packed += sum([table[get(qid)] for qid, table in self._packed_conditional
                           if qid not in hidden])
            protective_total = -sum([table[get(qid)] for qid, table in self._packed_protective
                                     if qid not in hidden])
        except (KeyError, TypeError):
            raise self._bad_answer(seen, hidden) from None
        gross = packed >> 32
        floor = packed & 0xFFFFFFFF
        if self._not_known_cap is not None:
            unknown, unknown_floor = _unpack(sum([table[get(qid)] for qid, table
                                                  in self._packed_unknown if qid not in hidden]))
            gross, floor, _, _ = self._capped(gross, floor, unknown, unknown_floor)
        for index, band_entry in enumerate(self._bands):
            banded = self._band(index, band_entry, seen, derived)
            if banded is not None:
                gross += banded.points
                if band_entry[7]:
                    floor += banded.points
        rule_rank = 0
        for applies, minimum in self._rules:
            if minimum > rule_rank and applies(seen, derived):
                rule_rank = minimum
        return gross, floor, protective_total, rule_rank, seen, hidden

    def level_from(self, gross: int, floor: int, protective_total: int,
                   rule_rank: int) -> tuple[int, int]:
        """(level rank, points) from the sums of :meth:`parts`."""
        reduction = min(protective_total, self._max_reduction, gross - floor)
        total = gross - (reduction if reduction > 0 else 0)
        at = bisect.bisect_right(self._thresholds, total)
        points_rank = self._threshold_ranks[at - 1] if at else 0
        return (rule_rank if rule_rank > points_rank else points_rank), total

    def answer_points(self, question: str) -> dict[Any, tuple[int, int]] | None:
        """answer -> (points, points towards the protective floor) for a weighted indicator."""
        table = self._hits.get(question)
        if table is None:
            return None
        return {answer: (hit[1], hit[2]) for answer, hit in table.items()}

    def _bad_answer(self, seen: Mapping[str, Any], hidden: set[str]) -> AnswerError:
        """The error for the first weighted answer the model cannot score (slow path)."""
        index = self.form.question_index()
        for qid in self.model.weights:
            if qid in hidden or qid not in seen:
                continue
            q = index[qid]
            value = seen[qid]
            values = value if isinstance(value, list) and q.type is QuestionType.MULTIPLE_CHOICE \
                else [value]
            allowed = q.allowed_values() or ()
            for v in values:
                if not isinstance(v, str) or v not in allowed:
                    return AnswerError([AnswerProblem(
                        qid, f"answer {v!r} is not one this question offers "
                             f"({', '.join(allowed)})")])
        return AnswerError([AnswerProblem("", "an answer does not fit the form")])

    def _band(self, index: int, entry: tuple[Any, ...], seen: Mapping[str, Any],
              derived: Mapping[str, Any]) -> Contribution | None:
        is_derived, subject, starts, ends, label, q, section, _ = entry
        value = derived.get(subject) if is_derived else seen.get(subject)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise AnswerError([AnswerProblem(subject, f"expects a whole number, got {value!r}")])
        at = bisect.bisect_right(starts, value) - 1
        if at < 0:
            return None
        to, points, described = ends[at]
        if to is not None and value > to:
            return None
        key = (index, value)
        cached = self._band_cache.get(key)
        if cached is None:
            cached = Contribution(
                question=subject, label=label or (q.text if q is not None else subject),
                answer=str(value), answer_label=described, points=points,
                kind=q.kind.value if q is not None else "derived", section=section,
                concern=q.concern if q is not None else None)
            if len(self._band_cache) < 100_000:
                self._band_cache[key] = cached
        return cached

    def score(self, answer_set: AnswerSet, previous: Assessment | None = None) -> Assessment:
        """The full, explainable assessment of one screening.

        The same result as :meth:`evaluate` packed into an Assessment (which is what models
        weighting choice questions still do), computed with the :class:`_Plan` tables.
        tests/scoring/test_engine_equivalence.py freezes the output.
        """
        if self._choices or (answer_set.form, answer_set.form_version) != self._form_key:
            return self._score_evaluated(answer_set, previous)
        answers = answer_set.answers
        day = answer_set.screening_date
        derived: dict[str, Any] = {}
        for did, source in self._derived:
            birth = _as_date(answers.get(source))
            if birth is not None and birth <= day:
                derived[did] = age_on(birth, day)
        # Visibility as in :meth:`visible`, recording hidden questions as bits.
        seen: Mapping[str, Any] = answers
        copy: dict[str, Any] | None = None
        hidden = 0
        for bit, qid, shown in self._visibility:
            if not shown(seen, derived):
                hidden |= bit
                if qid in seen:
                    if copy is None:
                        seen = copy = dict(answers)
                    del copy[qid]
        plan = self._plans.get(hidden & self._scored_bits) or self._plan(hidden)
        get = seen.get
        try:
            values = list(map(get, plan.qids))
            found = list(map(_lookup, plan.contributions, values))
            packed = sum(map(_lookup, plan.packed, values))
            reducing = list(map(get, plan.protective_qids))
            protective = tuple(map(_lookup, plan.protective_contributions, reducing))
            protective_total = -sum(map(_lookup, plan.protective_points, reducing))
        except (KeyError, TypeError):
            raise self._bad_answer(seen, self._hidden_ids(hidden)) from None
        not_known = list(compress(plan.qids, map(_lookup, plan.unknown, values)))
        not_known += compress(plan.protective_qids,
                              map(_lookup, plan.protective_unknown, reducing))
        gross, floor = _unpack(packed)
        unknown_points = capped = 0
        if self._not_known_cap is not None:
            # The answers were checked by the lookups above (every table has the same keys).
            gross, floor, unknown_points, capped = self._capped(
                gross, floor, *_unpack(sum(map(_lookup, plan.unknown_packed, values))))
        gross, reduction, total, points_rank = self._settle(
            seen, derived, found, gross, floor, protective_total)
        rank = points_rank
        fired: list[RuleFired] = []
        for applies, minimum, rule in self._fired:
            if applies(seen, derived):
                fired.append(rule)
                if minimum > rank:
                    rank = minimum
        review_date, review_reason = self._review_of(rank, seen, derived, day)
        extra: dict[str, Any] = {
            "age": next(iter(derived.values())) if derived else None,
            "points_before_protection": gross,
            "protective_points": protective_total,
            "review_reason": review_reason,
        }
        if self._not_known_cap is not None:
            extra.update(self._cap_extra(unknown_points, capped))
        return _assessment({
            "level": self.level_ids[rank],
            "score": total,
            "points_level": self.level_ids[points_rank],
            "contributions": tuple(found),
            "protective": protective,
            "protective_applied": reduction,
            "rules_fired": tuple(fired),
            "not_known": tuple(not_known),
            "model": self.identity,
            "form_id": self.form.id,
            "form_version": self.form.version,
            "screening_date": day,
            "review_date": review_date,
            "levels": self.levels,
            "trend": Trend.FIRST if previous is None else _trend(rank, previous),
            "override": None,
            "extra": extra,
        })

    def _cap_extra(self, unknown_points: int, capped: int) -> dict[str, int]:
        """What an assessment records about the not-known cap (models that set one only)."""
        assert self._not_known_cap is not None
        return {"not_known_points": unknown_points, "not_known_cap": self._not_known_cap,
                "not_known_capped": capped}

    def _plan(self, hidden: int) -> _Plan:
        """The :class:`_Plan` for these hidden questions (bits of ``_visibility``), cached."""
        key = hidden & self._scored_bits
        hidden_ids = self._hidden_ids(key)
        weighted = [(qid, self._fast_tables[qid]) for qid, _ in self._weighted
                    if qid not in hidden_ids]
        protective = [(qid, self._fast_tables[qid]) for qid, _ in self._protective
                      if qid not in hidden_ids]
        plan = _Plan(
            tuple(qid for qid, _ in weighted), tuple(t[0] for _, t in weighted),
            tuple(t[1] for _, t in weighted), tuple(t[2] for _, t in weighted),
            tuple(qid for qid, _ in protective), tuple(t[0] for _, t in protective),
            tuple({answer: _unpack(p)[0] for answer, p in t[1].items()} for _, t in protective),
            tuple(t[2] for _, t in protective), tuple(t[3] for _, t in weighted))
        if len(self._plans) < _MAX_PLANS:
            self._plans[key] = plan
        return plan

    def _hidden_ids(self, hidden: int) -> set[str]:
        return {qid for bit, qid, _ in self._visibility if hidden & bit}

    def _score_evaluated(self, answer_set: AnswerSet,
                         previous: Assessment | None = None) -> Assessment:
        """:meth:`score` by way of :meth:`evaluate` (models weighting choice questions)."""
        ev = self.evaluate(answer_set)
        review_date, review_reason = self._review(ev, answer_set.screening_date)
        rules = self._rule_objects
        extra: dict[str, Any] = {
            "age": ev.age,
            "points_before_protection": ev.gross,
            "protective_points": ev.protective_total,
            "review_reason": review_reason,
        }
        if self._not_known_cap is not None:
            extra.update(self._cap_extra(ev.not_known_points, ev.not_known_capped))
        return _assessment({
            "level": self.level_ids[ev.rank],
            "score": ev.score,
            "points_level": self.level_ids[ev.points_rank],
            "contributions": ev.contributions,
            "protective": ev.protective,
            "protective_applied": ev.reduction,
            "rules_fired": tuple([rules[i] for i in ev.fired]),
            "not_known": ev.not_known,
            "model": self.identity,
            "form_id": self.form.id,
            "form_version": self.form.version,
            "screening_date": answer_set.screening_date,
            "review_date": review_date,
            "levels": self.levels,
            "trend": _trend(ev.rank, previous),
            "override": None,
            "extra": extra,
        })

    def _review(self, ev: Evaluation, screening_date: date) -> tuple[date, str]:
        """Review date and why: the level's interval, or sooner if a ``sooner`` entry applies."""
        return self._review_of(ev.rank, ev.seen, ev.derived, screening_date)

    def _review_of(self, rank: int, seen: Mapping[str, Any], derived: Mapping[str, Any],
                   screening_date: date) -> tuple[date, str]:
        sooner = -1
        for i, (applies, _) in enumerate(self._sooner):
            if applies(seen, derived):
                sooner = i
                break  # entries are sorted by how soon they fall; the first that applies wins
        key = (screening_date, rank, sooner)
        hit = self._review_cache.get(key)
        if hit is None:
            interval = self._intervals[rank]
            when = add_interval(screening_date, interval)
            reason = f"{self.levels[rank].name}: screen again within {interval.describe()}"
            if sooner >= 0:
                entry = self.model.review.sooner[self._sooner_order[sooner]]
                candidate = add_interval(screening_date, entry.interval)
                if candidate < when:
                    when, reason = candidate, " ".join(entry.reason.split())
            hit = (when, reason)
            if len(self._review_cache) < 100_000:
                self._review_cache[key] = hit
        return hit


#: The fields of an Assessment (tests check :meth:`CompiledModel.score` fills exactly these).
ASSESSMENT_FIELDS = frozenset(f.name for f in fields(Assessment))


def _assessment(values: dict[str, Any]) -> Assessment:
    """Build an Assessment without the frozen dataclass's per-field ``__setattr__`` calls.

    Equivalent to ``Assessment(**values)`` (the dataclass has no validation or
    ``__post_init__``); about 3 µs cheaper, which matters at 50,000 screenings a second.
    tests/scoring/test_engine.py checks the two are equal.
    """
    made = object.__new__(Assessment)
    made.__dict__.update(values)
    return made


def _contribution(q: Question, section: str, answer: str, label: str,
                  points: int) -> Contribution:
    return Contribution(question=q.id, label=" ".join(q.text.split()), answer=answer,
                        answer_label=label or ANSWER_LABELS.get(answer, answer), points=points,
                        kind=q.kind.value, section=section, concern=q.concern)


def _trend(rank: int, previous: Assessment | None) -> Trend:
    if previous is None:
        return Trend.FIRST
    try:
        before = previous.level_info(previous.level).rank
    except KeyError:
        return Trend.UNCHANGED
    if rank > before:
        return Trend.INCREASED
    if rank < before:
        return Trend.DECREASED
    return Trend.UNCHANGED


# -- public functions ---------------------------------------------------------------------

_CACHE: dict[tuple[int, int], tuple[FormDefinition, ScoringModel, CompiledModel]] = {}
_CACHE_SIZE = 32


def compile_model(form: FormDefinition, model: ScoringModel) -> CompiledModel:
    """The compiled model for this form, built once and cached.

    Raises :class:`ModelFormError` if the model does not declare the form version or does
    not fit it.
    """
    key = (id(form), id(model))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is form and hit[1] is model:
        return hit[2]
    compiled = CompiledModel(form, model)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (form, model, compiled)  # holding both keeps their ids from being reused
    return compiled


def score(form: FormDefinition, model: ScoringModel, answer_set: AnswerSet,
          previous: Assessment | None = None) -> Assessment:
    """Score one screening. Pure: same inputs, same output; no clock, no randomness.

    ``answer_set`` should already pass :func:`riskscreen.forms.answers.check_answers`; an
    answer the model cannot score raises :class:`AnswerError` naming the question.
    ``previous`` is the child's previous assessment, for the trend.
    """
    return compile_model(form, model).score(answer_set, previous)


# -- professional judgement -----------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]{2,}")


def _check_reason(reason: str) -> str:
    text = " ".join(reason.split())
    words = _WORD.findall(text)
    if len(text) < MIN_REASON_CHARS or len(words) < MIN_REASON_WORDS:
        raise OverrideRefused(
            f"an override needs a written reason of at least a sentence ({MIN_REASON_CHARS} "
            f"characters and {MIN_REASON_WORDS} words): say what you know that the screening "
            "does not show")
    return text


def apply_override(assessment: Assessment, level: str, reason: str, by: str,
                   countersigned_by: str | None = None) -> Assessment:
    """Record professional judgement beside the computed level; return the new assessment.

    The judgement starts from the assessment's final level: the computed level, or the level
    :func:`carry_forward` carried from the screening an amendment amends. Raising the level
    needs a written reason. Going below the computed level or the starting level needs a
    reason and a manager's countersignature (someone other than ``by``), and can never go
    below the minimum of a rule that fired. Raises :class:`OverrideRefused` with a
    user-readable reason otherwise.
    """
    ranks = {lv.id: lv.rank for lv in assessment.levels}
    if level not in ranks:
        raise OverrideRefused(f"unknown level '{level}'; use one of: " + ", ".join(ranks))
    if not by.strip():
        raise OverrideRefused("an override must name the practitioner making it")
    start = assessment.final_level
    wanted = ranks[level]
    if wanted >= max(ranks[assessment.level], ranks[start]):
        if level == assessment.level:
            if start == level:
                raise OverrideRefused(
                    f"the computed level is already {assessment.level_info().name}; there "
                    "is nothing to override")
            # Back up to the computed level from a carried-forward lower one: always allowed.
            return replace(assessment, override=None)
        text = _check_reason(reason)
        return replace(assessment, override=Override(level, OverrideDirection.RAISED, text,
                                                     by.strip(), _clean(countersigned_by)))
    text = _check_reason(reason)
    from_level = start if ranks[start] > ranks[assessment.level] else None
    signer = _clean(countersigned_by)
    if signer is None:
        if from_level is not None:
            raise OverrideRefused(
                f"this amends a screening finalised at {assessment.level_info(start).name}; "
                "a lower level needs a manager's countersignature")
        raise OverrideRefused("lowering the level needs a manager's countersignature")
    if signer.casefold() == by.strip().casefold():
        raise OverrideRefused("the countersignature must be from someone other than the "
                              "practitioner making the override")
    binding = assessment.binding_rule
    if binding is not None and wanted < ranks.get(binding.minimum_level, 0):
        raise OverrideRefused(
            "the level cannot be lowered below "
            f"{assessment.level_info(binding.minimum_level).name}: {binding.reason}")
    return replace(assessment, override=Override(level, OverrideDirection.LOWERED, text,
                                                 by.strip(), signer, from_level))


def carry_forward(assessment: Assessment, amended: Assessment, by: str) -> Assessment:
    """The starting point of an amendment: its computed assessment with the final level of
    the screening it amends (``amended``) carried forward, so amending never lowers a level
    without the countersignature that lowering needs.

    A higher earlier level is kept as a raising judgement, with the earlier reason and names
    when it was one (else a reason saying it was carried, by ``by``). A lower earlier level
    set by countersigned judgement is kept only while the computed level it lowered is
    unchanged and no rule now forbids it; otherwise the amendment starts at its computed level.
    """
    ranks = {lv.id: lv.rank for lv in assessment.levels}
    earlier = amended.final_level
    if earlier not in ranks or earlier == assessment.level:
        return assessment
    if ranks[earlier] > ranks[assessment.level]:
        o = amended.override
        if o is not None and o.level == earlier:
            reason, who, signer = o.reason, o.by, o.countersigned_by
        else:
            name = assessment.level_info(earlier).name
            reason = (f"Carried forward: the screening this amends was finalised at {name}, "
                      "and the amendment keeps that level.")
            who, signer = by.strip(), None
        return replace(assessment, override=Override(earlier, OverrideDirection.RAISED,
                                                     reason, who, signer))
    binding = assessment.binding_rule
    floor = ranks.get(binding.minimum_level, 0) if binding is not None else 0
    if (amended.override is not None and amended.level == assessment.level
            and ranks[earlier] >= floor):
        return replace(assessment, override=amended.override)
    return assessment


def _clean(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    return name.strip()
