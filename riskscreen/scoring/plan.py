"""One compiled scoring plan per (form version, model), with two executors sharing it.

A :class:`ScoringPlan` turns a model into lookup tables once: per weighted answer its points,
its points towards the protective floor, whether it counts as not known and its prebuilt
:class:`Contribution`; each ``show_if`` and rule condition compiled twice by the condition
language (for one screening and for columns); bands, thresholds and review intervals. Then

* :meth:`ScoringPlan.explain` scores one screening into the full :class:`Assessment`
  (contributions, rules fired with reasons, not-known answers, review date, trend): the
  reference semantics of docs/design/0002-scoring-semantics.md;
* :meth:`ScoringPlan.batch` scores many screenings held as columns of answer codes
  (:class:`riskscreen.forms.columns.Columns`) into a level and points for each, and which
  rules fired: what impact analysis and everything else that scores many screenings uses.

Both read the same tables, so they cannot drift apart; a property test holds them equal.
"""

from __future__ import annotations

import bisect
import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from itertools import compress
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from riskscreen.conditions import (
    MISSING,
    ColumnPredicate,
    CountPresent,
    Node,
    Predicate,
    as_date,
)
from riskscreen.forms.answers import AnswerError, AnswerProblem, AnswerSet
from riskscreen.forms.columns import Columns, encode
from riskscreen.forms.kinds import ANSWER_LABELS, INDICATOR_TYPES, NOT_KNOWN, KindRole
from riskscreen.forms.model import FormDefinition, Question, QuestionType
from riskscreen.forms.visibility import age_on
from riskscreen.scoring.assessment import Assessment, Contribution, RuleFired, Trend
from riskscreen.scoring.loader import check_model
from riskscreen.scoring.model import Interval, ScoringModel

__all__ = [
    "ASSESSMENT_FIELDS",
    "UNANSWERED",
    "BatchResult",
    "ModelFormError",
    "ScoringPlan",
    "add_interval",
]

#: The answer recorded for a visible weighted indicator left blank (scored as "not known").
UNANSWERED = "unanswered"

#: Points and floor points of one answer packed into one integer, so that one ``sum`` gives
#: both: ``points * 2**32 + floor points`` (unpacked by :func:`_unpack`; either may be negative).
_SHIFT = 32
_HALF = 1 << (_SHIFT - 1)
_LOW = (1 << _SHIFT) - 1
#: Column sums are packed in lanes of this many bits: one gather and one addition per question
#: give points, floor points and protective reduction at once.
_LANE_BITS = 21
_LANE = 1 << _LANE_BITS
#: Rows scored at a time by the batch executor.
_BATCH_ROWS = 8192
#: Explain tables kept per plan (one per set of hidden scored questions actually met).
_MAX_TABLES = 4096
_lookup = dict.__getitem__


class ModelFormError(ValueError):
    """The model does not declare this form or form version, or is inconsistent with it."""


def _unpack(packed: int) -> tuple[int, int]:
    """(points, floor points) from a sum of packed answers."""
    floor = ((packed + _HALF) & _LOW) - _HALF
    return (packed - floor) >> _SHIFT, floor


def add_interval(start: date, interval: Interval) -> date:
    """``start`` plus an interval; months are calendar months, clamped to the month's end."""
    if interval.days is not None:
        return date.fromordinal(start.toordinal() + interval.days)
    months = start.month - 1 + (interval.months or 0)
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


class _Weighted(NamedTuple):
    """One weighted question's tables, read by both executors.

    For one screening, by answer: the Contribution, packed points (see :data:`_SHIFT`),
    whether it counts as not known, and the packed points if it does (else 0). A blank
    indicator (None or "") maps to "not known" (:data:`UNANSWERED`). For columns, by answer
    code (:mod:`riskscreen.conditions.codes`): points, floor points and not-known points;
    for multiple choice, by option bit.
    """

    qid: str
    type: QuestionType
    protective: bool
    contributions: dict[object, Contribution]
    packed: dict[object, int]
    unknown: dict[object, bool]
    unknown_packed: dict[object, int]
    options: tuple[str, ...]
    #: By code (plus a last entry, 0, for a hidden question), or by option bit: the points
    #: packed in three lanes (:data:`_LANE`): points, floor points, protective reduction.
    code_main: NDArray[np.int64]
    #: By code: not-known points and their floor part, packed in two lanes.
    code_unknown: NDArray[np.int64]

    @property
    def indicator(self) -> bool:
        return self.type in INDICATOR_TYPES


class _Band(NamedTuple):
    is_derived: bool
    subject: str
    starts: list[int]
    ends: list[tuple[int | None, int, str]]
    label: str | None
    question: Question | None
    section: str
    floor: bool


class _Tables(NamedTuple):
    """The weighted indicators visible for one set of hidden questions, in form order,
    as parallel tuples of lookup tables (``map`` over them runs in C)."""

    qids: tuple[str, ...]
    contributions: tuple[dict[object, Contribution], ...]
    packed: tuple[dict[object, int], ...]
    unknown: tuple[dict[object, bool], ...]
    unknown_packed: tuple[dict[object, int], ...]
    protective_qids: tuple[str, ...]
    protective_contributions: tuple[dict[object, Contribution], ...]
    protective_points: tuple[dict[object, int], ...]
    protective_unknown: tuple[dict[object, bool], ...]
    #: Weighted choice questions visible (their answers may pick several contributions).
    choices: tuple[_Weighted, ...]


@dataclass(frozen=True)
class BatchResult:
    """Levels, points and rules fired for each screening of a batch.

    ``ranks`` index ``level_ids``; ``fired[i, j]`` says whether rule ``i`` (``rule_ids``)
    fired for screening ``j``. Rows listed in ``unscorable`` (row -> (question, reason)) had
    answers that do not fit the form: their figures mean nothing.
    """

    ranks: NDArray[np.int64]
    points: NDArray[np.int64]
    fired: NDArray[np.bool_]
    level_ids: tuple[str, ...]
    rule_ids: tuple[str, ...]
    unscorable: Mapping[int, tuple[str, str]]

    @property
    def size(self) -> int:
        """How many screenings."""
        return int(self.ranks.shape[0])

    def level(self, row: int) -> str:
        """The level id of one screening."""
        return self.level_ids[int(self.ranks[row])]

    def rules(self, row: int) -> list[str]:
        """Ids of the rules that fired for one screening, in the model's order."""
        return [rid for rid, hit in zip(self.rule_ids, self.fired[:, row], strict=True) if hit]


class ScoringPlan:
    """A model compiled against one form version. Immutable once built (caches aside)."""

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
        self.rule_ids = tuple(r.id for r in model.rules)
        self._form_key = (form.id, form.version)
        index = form.question_index()
        order = {q.id: i for i, q in enumerate(form.questions())}
        sections = {q.id: s.id for s in form.sections for q in s.questions}
        floor_kinds = set(model.protective.floor_kinds)

        # Questions whose visibility matters: weighted, banded or read by a condition, and
        # the questions their show_if conditions read, transitively.
        relevant: set[str] = set(model.weights)
        relevant |= {b.question for b in model.bands if b.question is not None}
        needs_derived = any(b.derived is not None for b in model.bands)
        for _, cond in model.conditions():
            relevant |= _questions(cond, form)
            needs_derived = needs_derived or _reads_derived(cond)
        closure: set[str] = set()
        stack = [q for q in relevant if q in index]
        while stack:
            qid = stack.pop()
            if qid in closure:
                continue
            closure.add(qid)
            show_if = index[qid].show_if
            if show_if is not None:
                stack += [s for s in _questions(show_if, form) if s in index]
                needs_derived = needs_derived or _reads_derived(show_if)
        conditional = [qid for qid in sorted(closure, key=order.__getitem__)
                       if index[qid].show_if is not None]
        #: Per conditional question, in form order: (bit, id, closure, column predicate).
        self._visibility: tuple[tuple[int, str, Predicate, ColumnPredicate], ...] = tuple(
            (1 << i, qid, form.shown_by(qid), _show_if(index[qid]).columns(form))
            for i, qid in enumerate(conditional))
        self._derived: tuple[tuple[str, str], ...] = tuple(
            (d.id, d.question) for d in form.derived) if needs_derived else ()
        #: Every question the executors read: what columns must hold.
        self.questions = frozenset(closure | {d.question for d in form.derived})

        self._weighted = tuple(
            _weighted(index[qid], sections[qid], model.weights[qid],
                      index[qid].kind in floor_kinds)
            for qid in sorted(model.weights, key=order.__getitem__))
        #: Position of each prebuilt contribution in form order (to sort choice answers in).
        self._position = {id(c): i for i, c in enumerate(
            c for w in self._weighted for c in dict.fromkeys(w.contributions.values()))}
        self._bands = tuple(
            _Band(b.question is None, b.subject, [band.from_ for band in b.bands],
                  [(band.to, band.points, band.describe()) for band in b.bands], b.label,
                  index.get(b.subject), sections.get(b.subject, ""),
                  b.subject in index and index[b.subject].kind in floor_kinds)
            for b in model.bands)
        self._band_cache: dict[tuple[int, int], Contribution] = {}
        self._not_known_cap = model.not_known_cap
        self._thresholds = [th.from_ for th in model.thresholds]
        self._threshold_ranks = [model.rank(th.level) for th in model.thresholds]
        self._max_reduction = model.protective.max_reduction
        self._rules = tuple(
            (r.when.compile(form), r.when.columns(form), model.rank(r.minimum),
             RuleFired(r.id, r.minimum, " ".join(r.reason.split())))
            for r in model.rules)
        self._intervals = tuple(model.review.intervals[lv] for lv in self.level_ids)
        # Sooner reviews, soonest first: the first that applies gives the review date.
        some_day = date(2000, 1, 31)
        self._sooner_order = sorted(range(len(model.review.sooner)), key=lambda i: add_interval(
            some_day, model.review.sooner[i].interval))
        self._sooner = tuple(model.review.sooner[i].when.compile(form)
                             for i in self._sooner_order)
        self._review_cache: dict[tuple[date, int, int], tuple[date, str]] = {}
        # The packed column sums hold if no lane can overflow.
        bound = sum((sum if w.type is QuestionType.MULTIPLE_CHOICE else max)(
            abs(c.points) for c in w.contributions.values()) for w in self._weighted)
        if bound >= _LANE:
            raise ModelFormError(f"scoring model {model.id} {model.version} can add more than "
                                 f"{_LANE - 1:,} points: too many to score")
        scored = {w.qid for w in self._weighted}
        self._scored_bits = sum(bit for bit, qid, _, _ in self._visibility if qid in scored)
        self._tables: dict[int, _Tables] = {}
        self._gather = _gather_plan(form, self._weighted, model.not_known_cap is not None, [
            node for r in model.rules for node, _ in r.when.walk()
            if isinstance(node, CountPresent)], self._visibility)
        self._empty = tuple(
            MISSING if index[qid].type in (QuestionType.NUMBER, QuestionType.DATE) else 0
            for _, qid, _, _ in self._visibility)
        self._threshold_array = np.asarray(self._thresholds, dtype=np.int64)
        self._rank_of = np.asarray([0, *self._threshold_ranks], dtype=np.int64)

    # -- explain: one screening -----------------------------------------------------------

    def explain(self, answer_set: AnswerSet, previous: Assessment | None = None) -> Assessment:
        """The full, explainable assessment of one screening (the reference semantics).

        ``answer_set`` should already pass :func:`riskscreen.forms.answers.check_answers`; an
        answer the model cannot score raises :class:`AnswerError` naming the question.
        tests/scoring/test_engine_equivalence.py freezes the output.
        """
        if (answer_set.form, answer_set.form_version) != self._form_key:
            raise AnswerError([AnswerProblem(
                "", f"answers are for form '{answer_set.form}' version "
                    f"{answer_set.form_version}, but the form is '{self.form.id}' version "
                    f"{self.form.version}")])
        answers: Mapping[str, object] = answer_set.answers
        day = answer_set.screening_date
        derived: dict[str, object] = {}
        for did, source in self._derived:
            birth = as_date(answers.get(source))
            if birth is not None and birth <= day:
                derived[did] = age_on(birth, day)
        # Walk the conditional questions in form order; a hidden one's answer is removed
        # (from a copy, made only if needed) before later conditions read the answers.
        seen = answers
        copy: dict[str, object] | None = None
        hidden = 0
        for bit, qid, shown, _ in self._visibility:
            if not shown(seen, derived):
                hidden |= bit
                if qid in seen:
                    if copy is None:
                        seen = copy = dict(answers)
                    del copy[qid]
        tables = self._tables.get(hidden & self._scored_bits) or self._tables_for(hidden)
        get = seen.get
        try:
            values = list(map(get, tables.qids))
            found = list(map(_lookup, tables.contributions, values))
            packed = sum(map(_lookup, tables.packed, values))
            reducing = list(map(get, tables.protective_qids))
            protective = list(map(_lookup, tables.protective_contributions, reducing))
            protective_total = -sum(map(_lookup, tables.protective_points, reducing))
            unknown_packed = (sum(map(_lookup, tables.unknown_packed, values))
                              if self._not_known_cap is not None else 0)
            if tables.choices:
                for w in tables.choices:
                    for answer in _chosen(w, get(w.qid)):
                        if w.protective:
                            protective.append(w.contributions[answer])
                            protective_total -= _unpack(w.packed[answer])[0]
                        else:
                            found.append(w.contributions[answer])
                            packed += w.packed[answer]
                position = self._position.__getitem__
                found.sort(key=lambda c: position(id(c)))
                protective.sort(key=lambda c: position(id(c)))
        except (KeyError, TypeError):
            raise self._bad_answer(seen, self._hidden_ids(hidden)) from None
        not_known = list(compress(tables.qids, map(_lookup, tables.unknown, values)))
        not_known += compress(tables.protective_qids,
                              map(_lookup, tables.protective_unknown, reducing))
        gross, floor = _unpack(packed)
        unknown_points = capped = 0
        if self._not_known_cap is not None:
            gross, floor, unknown_points, capped = self._capped(
                gross, floor, *_unpack(unknown_packed))
        for i, band in enumerate(self._bands):
            banded = self._band(i, band, seen, derived)
            if banded is not None:
                found.append(banded)
                gross += banded.points
                if band.floor:
                    floor += banded.points
        reduction = max(0, min(protective_total, self._max_reduction, gross - floor))
        total = gross - reduction
        at = bisect.bisect_right(self._thresholds, total)
        points_rank = self._threshold_ranks[at - 1] if at else 0
        rank = points_rank
        fired: list[RuleFired] = []
        for applies, _, minimum, rule in self._rules:
            if applies(seen, derived):
                fired.append(rule)
                if minimum > rank:
                    rank = minimum
        review_date, review_reason = self._review(rank, seen, derived, day)
        extra: dict[str, Any] = {
            "age": next(iter(derived.values())) if derived else None,
            "points_before_protection": gross,
            "protective_points": protective_total,
            "review_reason": review_reason,
        }
        if self._not_known_cap is not None:
            extra.update({"not_known_points": unknown_points,
                          "not_known_cap": self._not_known_cap, "not_known_capped": capped})
        return _assessment({
            "level": self.level_ids[rank],
            "score": total,
            "points_level": self.level_ids[points_rank],
            "contributions": tuple(found),
            "protective": tuple(protective),
            "protective_applied": reduction,
            "rules_fired": tuple(fired),
            "not_known": tuple(not_known),
            "model": self.identity,
            "form_id": self.form.id,
            "form_version": self.form.version,
            "screening_date": day,
            "review_date": review_date,
            "levels": self.levels,
            "trend": _trend(rank, previous),
            "override": None,
            "extra": extra,
        })

    def _tables_for(self, hidden: int) -> _Tables:
        """The :class:`_Tables` for these hidden questions (bits of ``_visibility``), cached."""
        key = hidden & self._scored_bits
        hidden_ids = self._hidden_ids(key)
        shown = [w for w in self._weighted if w.qid not in hidden_ids]
        weighted = [w for w in shown if w.indicator and not w.protective]
        protective = [w for w in shown if w.indicator and w.protective]
        tables = _Tables(
            tuple(w.qid for w in weighted), tuple(w.contributions for w in weighted),
            tuple(w.packed for w in weighted), tuple(w.unknown for w in weighted),
            tuple(w.unknown_packed for w in weighted),
            tuple(w.qid for w in protective), tuple(w.contributions for w in protective),
            tuple({a: _unpack(p)[0] for a, p in w.packed.items()} for w in protective),
            tuple(w.unknown for w in protective),
            tuple(w for w in shown if not w.indicator))
        if len(self._tables) < _MAX_TABLES:
            self._tables[key] = tables
        return tables

    def _hidden_ids(self, hidden: int) -> set[str]:
        return {qid for bit, qid, _, _ in self._visibility if hidden & bit}

    def _capped(self, gross: int, floor: int, unknown: int, unknown_floor: int
                ) -> tuple[int, int, int, int]:
        """Apply ``not_known_cap``: (points, floor points, not-known points, points left out).

        At most ``cap`` not-known points count; within the cap the floor's own not-known
        points count first, so the floor becomes its known points plus
        ``min(unknown_floor, cap)``. Both sums stay non-decreasing when any answer changes from
        not known to seen (seen weighs at least as much as not known), so the level never drops.
        """
        cap = self._not_known_cap
        if cap is None or unknown <= cap:
            return gross, floor, unknown, 0
        left_out = unknown - cap
        return (gross - left_out, floor - unknown_floor + min(unknown_floor, cap), unknown,
                left_out)

    def _bad_answer(self, seen: Mapping[str, object], hidden: set[str]) -> AnswerError:
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

    def _band(self, index: int, band: _Band, seen: Mapping[str, object],
              derived: Mapping[str, object]) -> Contribution | None:
        value = derived.get(band.subject) if band.is_derived else seen.get(band.subject)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise AnswerError([AnswerProblem(band.subject,
                                             f"expects a whole number, got {value!r}")])
        at = bisect.bisect_right(band.starts, value) - 1
        if at < 0:
            return None
        to, points, described = band.ends[at]
        if to is not None and value > to:
            return None
        key = (index, value)
        cached = self._band_cache.get(key)
        if cached is None:
            q = band.question
            cached = Contribution(
                question=band.subject, label=band.label or (q.text if q is not None
                                                            else band.subject),
                answer=str(value), answer_label=described, points=points,
                kind=q.kind if q is not None else "derived", section=band.section,
                concern=q.concern if q is not None else None)
            if len(self._band_cache) < 100_000:
                self._band_cache[key] = cached
        return cached

    def _review(self, rank: int, seen: Mapping[str, object], derived: Mapping[str, object],
                screening_date: date) -> tuple[date, str]:
        """Review date and why: the level's interval, or sooner if a ``sooner`` entry applies."""
        sooner = -1
        for i, applies in enumerate(self._sooner):
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

    # -- batch: many screenings as columns ----------------------------------------------------

    def encode(self, answer_sets: Iterable[AnswerSet]) -> Columns:
        """Columns of exactly the questions this plan reads."""
        return encode(self.form, answer_sets, sorted(self.questions))

    def batch(self, columns: Columns) -> BatchResult:
        """Level, points and rules fired for every screening held in ``columns``.

        The same figures as :meth:`explain` for each screening (the property tests check it),
        computed for all of them at once with numpy.
        """
        if columns.form.id != self.form.id or columns.form.version != self.form.version:
            raise ModelFormError(
                f"the columns hold answers to form '{columns.form.id}' version "
                f"{columns.form.version}, but this plan scores '{self.form.id}' version "
                f"{self.form.version}")
        cols = columns if columns.derived or not self.form.derived else columns.with_derived()
        if cols.size <= _BATCH_ROWS:
            return self._batch(cols, columns.unscorable)
        # Slices of a few thousand rows keep each step's arrays in the processor's cache.
        parts = [self._batch(cols.rows(start, start + _BATCH_ROWS), {})
                 for start in range(0, cols.size, _BATCH_ROWS)]
        return BatchResult(np.concatenate([p.ranks for p in parts]),
                           np.concatenate([p.points for p in parts]),
                           np.concatenate([p.fired for p in parts], axis=1),
                           self.level_ids, self.rule_ids, dict(columns.unscorable))

    def _batch(self, cols: Columns, unscorable: Mapping[int, tuple[str, str]]) -> BatchResult:
        n = cols.size
        # Visibility in form order: a hidden answer is removed before later conditions read.
        codes = dict(cols.codes)
        cols = replace(cols, codes=codes, seen_counts={})
        visible: list[NDArray[np.bool_]] = []
        for (_, qid, _, shown_columns), empty in zip(self._visibility, self._empty,
                                                     strict=True):
            shown = shown_columns(cols)
            visible.append(shown)
            codes[qid] = np.where(shown, cols.column(qid), empty)
        plan = self._gather
        main = np.zeros(n, dtype=np.int64)
        words = [np.zeros(n, dtype=np.int64) for _ in plan.words]
        for g in plan.questions:
            column = cols.column(g.qid)
            if column.dtype != np.int64:
                column = column.astype(np.int64)
            if n and column.view(np.uint64).max() >= g.limit:
                if g.main is not None:
                    raise ValueError(f"column '{g.qid}' holds codes outside 0..{g.limit - 1}")
                # A code no answer has is never an indicator seen.
                column = np.where(column.view(np.uint64) < g.limit, column, 0)
            if g.visibility >= 0:
                # Hidden: nothing counts, not even as not known.
                column = np.where(visible[g.visibility], column, g.limit)
            if g.main is not None:
                main += g.main.take(column)
            for word, table in zip(words, g.words, strict=True):
                word += table.take(column)
        for qid, options in plan.multiple:
            choices = cols.column(qid)
            for bit, value in options:
                main += ((choices >> bit) & 1) * value
        gross, floor, protective = _unlane(main, 3)
        seen_counts: dict[object, NDArray[np.int64]] = {
            key: (word >> shift) & ((1 << bits) - 1)
            for word, lanes in zip(words, plan.words, strict=True) for key, shift, bits in lanes}
        if self._not_known_cap is not None:
            cap = self._not_known_cap
            unknown_points = seen_counts.pop(_UNKNOWN_POINTS)
            unknown_floor = seen_counts.pop(_UNKNOWN_FLOOR)
            gross = gross - np.maximum(unknown_points - cap, 0)
            floor = floor + np.minimum(unknown_floor, cap) - unknown_floor
        for band in self._bands:
            values = cols.derived_value(band.subject) if band.is_derived else cols.column(
                band.subject)
            added = np.zeros(n, dtype=np.int64)
            for start, (to, points_, _) in zip(band.starts, band.ends, strict=True):
                inside = (values >= start) & (values != MISSING)
                if to is not None:
                    inside &= values <= to
                added += inside * points_
            gross += added
            if band.floor:
                floor += added
        reduction = np.maximum(np.minimum(np.minimum(protective, self._max_reduction),
                                          gross - floor), 0)
        total = gross - reduction
        ranks = self._rank_of.take(np.searchsorted(self._threshold_array, total, side="right"))
        ruled = replace(cols, seen_counts=seen_counts) if seen_counts else cols
        fired = np.zeros((len(self._rules), n), dtype=np.bool_)
        for i, (_, applies, minimum, _) in enumerate(self._rules):
            fired[i] = applies(ruled)
            np.maximum(ranks, fired[i] * minimum, out=ranks)
        return BatchResult(ranks, total, fired, self.level_ids, self.rule_ids,
                           dict(unscorable))


#: Lane keys of the not-known points and their floor part in the batch executor's words.
_UNKNOWN_POINTS = object()
_UNKNOWN_FLOOR = object()


class _Gathered(NamedTuple):
    """One question the batch executor gathers from, by answer code.

    Codes run ``0 .. limit - 1``; ``limit`` itself is the code of a hidden question, where
    every table holds 0. ``main`` holds the packed points (None for an indicator that is only
    counted, not weighted); ``words`` one table per word of :class:`_GatherPlan`.
    """

    qid: str
    limit: int
    #: Position in the plan's visibility of this question, or -1 if always shown.
    visibility: int
    main: NDArray[np.int64] | None
    words: tuple[NDArray[np.int64], ...]


class _GatherPlan(NamedTuple):
    """What the batch executor gathers per question: packed points, and words of lanes
    (``(key, shift, bits)``) holding the not-known points, their floor part and, per
    ``count_present`` selection (keyed by :meth:`CountPresent.seen`), 1 for each indicator
    seen, so one pass over the columns both scores and counts."""

    questions: tuple[_Gathered, ...]
    words: tuple[tuple[tuple[object, int, int], ...], ...]
    multiple: tuple[tuple[str, list[tuple[int, int]]], ...]


def _gather_plan(form: FormDefinition, weighted: Iterable[_Weighted], capped: bool,
                 counted: Iterable[CountPresent],
                 visibility: tuple[tuple[int, str, Predicate, ColumnPredicate], ...]
                 ) -> _GatherPlan:
    index = form.question_index()
    single = [w for w in weighted if w.type is not QuestionType.MULTIPLE_CHOICE]
    multiple = tuple(
        (w.qid, [(bit, value) for bit, value in enumerate(w.code_main.tolist()) if value])
        for w in weighted if w.type is QuestionType.MULTIPLE_CHOICE)
    selections = list(dict.fromkeys(node.seen(form) for node in counted))
    # Lanes, packed into as few 63-bit words as they fit.
    lanes: list[tuple[object, int]] = []
    if capped:
        lanes += [(_UNKNOWN_FLOOR, _LANE_BITS), (_UNKNOWN_POINTS, _LANE_BITS)]
    lanes += [(key, max(1, len(key).bit_length())) for key in selections]
    words: list[list[tuple[object, int, int]]] = []
    used = 63
    for key, bits in lanes:
        if used + bits > 63:
            words.append([])
            used = 0
        words[-1].append((key, used, bits))
        used += bits
    where = {key: (w, shift) for w, word in enumerate(words) for key, shift, _ in word}
    qids = list(dict.fromkeys([w.qid for w in single] + [
        qid for key in selections for qid, _ in key]))
    by_qid = {w.qid: w for w in single}
    at_visibility = {qid: i for i, (_, qid, _, _) in enumerate(visibility)}
    questions = []
    for qid in qids:
        w = by_qid.get(qid)
        limit = len(w.code_main) - 1 if w is not None else len(
            index[qid].allowed_values() or ()) + 1
        tables = [np.zeros(limit + 1, dtype=np.int64) for _ in words]
        if w is not None and capped:
            unknown = w.code_unknown
            for key, table in ((_UNKNOWN_POINTS, unknown >> _LANE_BITS),
                               (_UNKNOWN_FLOOR, unknown & (_LANE - 1))):
                word, shift = where[key]
                tables[word] += table << shift
        for key in selections:
            word, shift = where[key]
            for counted_qid, seen in key:
                if counted_qid == qid:
                    tables[word][list(seen)] += 1 << shift
        questions.append(_Gathered(qid, limit, at_visibility.get(qid, -1),
                                   w.code_main if w is not None else None, tuple(tables)))
    return _GatherPlan(tuple(questions), tuple(tuple(word) for word in words), multiple)


def _show_if(q: Question) -> Node:
    assert q.show_if is not None
    return q.show_if


def _questions(node: Node, form: FormDefinition) -> set[str]:
    """Question ids a condition reads, the indicators it counts included."""
    return {sid for kind, sid in node.subjects(form) if kind == "question"}


def _reads_derived(node: Node) -> bool:
    return any(kind == "derived" for kind, _ in node.subjects())


def _chosen(w: _Weighted, value: object) -> list[object]:
    """The answers of a weighted choice question that score: each chosen option once, in
    option order (raises ``KeyError`` for an answer the question does not offer)."""
    if value is None or value == "" or value == []:
        return []
    if w.type is QuestionType.SINGLE_CHOICE:
        if value not in w.contributions:
            raise KeyError(value)
        return [value]
    if not isinstance(value, list):
        raise TypeError(value)
    for v in value:
        if v not in w.contributions:
            raise KeyError(v)
    return [o for o in w.options if o in value]


def _weighted(q: Question, section: str, weights: Mapping[str, int],
              counts_to_floor: bool) -> _Weighted:
    label = " ".join(q.text.split())
    contributions: dict[object, Contribution] = {}
    points: dict[object, int] = {}
    unknown: dict[object, bool] = {}

    def add(key: object, answer: str, answer_label: str, pts: int, is_unknown: bool) -> None:
        contributions[key] = Contribution(
            question=q.id, label=label, answer=answer,
            answer_label=answer_label or ANSWER_LABELS.get(answer, answer), points=pts,
            kind=q.kind, section=section, concern=q.concern)
        points[key] = pts
        unknown[key] = is_unknown

    allowed = q.allowed_values() or ()
    indicator = q.type in INDICATOR_TYPES
    for answer in allowed:
        add(answer, answer, q.label_of(answer), weights.get(answer, 0),
            indicator and answer == NOT_KNOWN)
    if indicator:
        blank = (UNANSWERED, "Not answered (counted as not known)", weights[NOT_KNOWN], True)
        add(None, *blank)
        contributions[""] = contributions[None]
        points[""], unknown[""] = points[None], unknown[None]
    floor = {k: (p if counts_to_floor else 0) for k, p in points.items()}
    packed = {k: p * (1 << _SHIFT) + floor[k] for k, p in points.items()}
    protective = q.role is KindRole.PROTECTIVE
    # Columns: code 0 is unanswered (scored as not known for indicators, nothing for choices).
    if q.type is QuestionType.MULTIPLE_CHOICE:
        keys: list[object] = list(allowed)
    else:
        keys = [None if indicator else "", *allowed]

    def lanes(key: object) -> int:
        if key == "" and not indicator:
            return 0
        if protective:
            return -points[key]
        return points[key] * _LANE * _LANE + floor[key] * _LANE

    def unknown_lanes(key: object) -> int:
        if protective or not indicator or not unknown[key]:
            return 0
        return points[key] * _LANE + floor[key]

    main = [lanes(k) for k in keys]
    unknown_main = [unknown_lanes(k) for k in keys]
    if q.type is not QuestionType.MULTIPLE_CHOICE:
        main.append(0)  # hidden
        unknown_main.append(0)
    return _Weighted(
        q.id, q.type, protective, contributions, packed, unknown,
        {k: (v if unknown[k] else 0) for k, v in packed.items()}, tuple(allowed),
        np.asarray(main, dtype=np.int64), np.asarray(unknown_main, dtype=np.int64))


def _unlane(total: NDArray[np.int64], lanes: int) -> list[NDArray[np.int64]]:
    """Split sums packed by :func:`_weighted` into their lanes, highest first."""
    out = []
    for _ in range(lanes - 1):
        out.append(total & (_LANE - 1))
        total = total >> _LANE_BITS
    out.append(total)
    return out[::-1]


#: The fields of an Assessment (tests check :meth:`ScoringPlan.explain` fills exactly these).
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
