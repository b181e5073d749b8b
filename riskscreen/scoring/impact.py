"""Impact analysis: what a new scoring model would change, before anyone publishes it.

:func:`impact` scores every screening with the old and the new model and returns the
level-by-level transition matrix and, for each screening whose level changes, the contributions
and rules that differ. It takes any iterable (files, a database cursor), reports progress and
can be cancelled between screenings, so the GUI can run it in a worker thread.

Screenings are scored in columns by the batch executor of each model's plan (level and points
only); the full explanation is computed only for the screenings whose level changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from itertools import islice
from typing import Any, TypeVar

import numpy as np

from riskscreen.forms.answers import AnswerError, AnswerProblem, AnswerSet
from riskscreen.forms.columns import Columns, encode
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment, Contribution, ModelIdentity
from riskscreen.scoring.engine import ScoringPlan, compile_model
from riskscreen.scoring.gaps import not_known_tally
from riskscreen.scoring.model import ScoringModel

__all__ = [
    "ContributionChange",
    "ImpactReport",
    "ScreeningChange",
    "impact",
    "impact_of_columns",
]

#: A screening to analyse: an answer set, or (key, answer set) where the key names it in
#: the report (a file name, a database id). Bare answer sets are numbered from 1.
Item = AnswerSet | tuple[str, AnswerSet]
_T = TypeVar("_T")


@dataclass(frozen=True)
class ContributionChange:
    """One answer whose points differ between the models (None: not scored by that model)."""

    question: str
    label: str
    answer: str
    answer_label: str
    old_points: int | None
    new_points: int | None

    @property
    def delta(self) -> int:
        """New points minus old points."""
        return (self.new_points or 0) - (self.old_points or 0)


@dataclass(frozen=True)
class ScreeningChange:
    """A screening whose level changes, with what caused it."""

    key: str
    old_level: str
    new_level: str
    old_score: int
    new_score: int
    contributions: tuple[ContributionChange, ...]
    rules_added: tuple[str, ...]
    rules_removed: tuple[str, ...]


@dataclass(frozen=True)
class ImpactReport:
    """The effect of replacing ``old`` by ``new`` on a set of screenings."""

    old: ModelIdentity
    new: ModelIdentity
    levels: tuple[str, ...]
    level_names: dict[str, str]
    matrix: dict[str, dict[str, int]]
    total: int
    score_changed: int
    changes: tuple[ScreeningChange, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    cancelled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def level_changed(self) -> int:
        """How many screenings change level."""
        return len(self.changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self) | {"level_changed": self.level_changed}

    def format_matrix(self) -> str:
        """The transition matrix as a text table: rows old level, columns new level."""
        names = [self.level_names.get(lv, lv) for lv in self.levels]
        width = max([len(n) for n in names] + [len("old \\ new")])
        cell = max([len(n) for n in names] + [6])
        lines = ["old \\ new".ljust(width) + " | " + " ".join(n.rjust(cell) for n in names)]
        lines.append("-" * len(lines[0]))
        for lv, name in zip(self.levels, names, strict=True):
            row = self.matrix.get(lv, {})
            lines.append(name.ljust(width) + " | " + " ".join(
                str(row.get(to, 0)).rjust(cell) for to in self.levels))
        return "\n".join(lines)


class _Tally:
    """What an impact analysis has counted so far, chunk by chunk of columns."""

    def __init__(self, form: FormDefinition, old_model: ScoringModel,
                 new_model: ScoringModel) -> None:
        self.old = compile_model(form, old_model)
        self.new = compile_model(form, new_model)
        self.levels = tuple(self.new.level_ids) + tuple(
            lv for lv in self.old.level_ids if lv not in self.new.level_ids)
        self.names = {info.id: info.name for info in self.old.levels} | {
            info.id: info.name for info in self.new.levels}
        self.counts = np.zeros((len(self.old.level_ids), len(self.new.level_ids)),
                               dtype=np.int64)
        #: Each model's ranks as positions in ``levels``, so levels compare as numbers.
        self.old_at = np.asarray([self.levels.index(lv) for lv in self.old.level_ids],
                                 dtype=np.int64)
        self.new_at = np.asarray([self.levels.index(lv) for lv in self.new.level_ids],
                                 dtype=np.int64)
        self.questions = sorted(self.old.questions | self.new.questions)
        self.changes: list[ScreeningChange] = []
        self.skipped: list[tuple[str, str]] = []
        self.score_changed = 0
        self.done = 0

    def add(self, columns: Columns, key: Callable[[int], str],
            answer_sets: Callable[[list[int]], Sequence[AnswerSet]]) -> None:
        """Count the screenings held in ``columns``; ``key(row)`` names one in the report and
        ``answer_sets(rows)`` gives the answers of those rows (asked, once, only for those
        whose level changes)."""
        old, new = self.old, self.new
        a, b = old.batch(columns), new.batch(columns)
        scorable = np.ones(columns.size, dtype=np.bool_)
        for row, (question, reason) in sorted(columns.unscorable.items()):
            scorable[row] = False
            self.skipped.append((key(row), str(AnswerError([AnswerProblem(question, reason)]))))
        width = len(new.level_ids)
        pairs = a.ranks * width + b.ranks
        if columns.unscorable:
            pairs = pairs[scorable]
        self.counts += np.bincount(pairs, minlength=self.counts.size).reshape(
            self.counts.shape)
        moved = self.old_at.take(a.ranks) != self.new_at.take(b.ranks)
        points_moved = a.points != b.points
        if columns.unscorable:
            moved &= scorable
            points_moved &= scorable
        self.score_changed += int(np.count_nonzero(points_moved))
        changed = np.flatnonzero(moved).tolist()
        for row, answers in zip(changed, answer_sets(changed) if changed else (), strict=True):
            self.changes.append(_explain(key(row), old, new, answers))
        self.done += columns.size

    def report(self, cancelled: bool = False) -> ImpactReport:
        matrix = {lv: {to: 0 for to in self.levels} for lv in self.levels}
        for i, row_counts in enumerate(self.counts.tolist()):
            for j, n in enumerate(row_counts):
                matrix[self.old.level_ids[i]][self.new.level_ids[j]] += n
        return ImpactReport(
            old=self.old.identity, new=self.new.identity, levels=self.levels,
            level_names=self.names, matrix=matrix, total=self.done - len(self.skipped),
            score_changed=self.score_changed, changes=tuple(self.changes),
            skipped=tuple(self.skipped), cancelled=cancelled)


def impact(
    form: FormDefinition,
    old_model: ScoringModel,
    new_model: ScoringModel,
    answer_sets: Iterable[Item],
    *,
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    every: int = 1000,
) -> ImpactReport:
    """Compare two models over many screenings.

    Screenings are read ``every`` at a time into columns and scored by both plans' batch
    executors; only the screenings whose level changes are explained one by one.
    ``progress(n)`` is called with the number of screenings done every ``every`` screenings
    and at the end; ``cancelled()`` is polled as often, and when it returns True the report
    covers the screenings done so far and says ``cancelled``. Answer sets for another form
    version, or with answers the models cannot score, are listed in ``skipped``.
    """
    tally = _Tally(form, old_model, new_model)
    every = max(1, every)
    items = iter(answer_sets)
    stopped = False
    while True:
        chunk = list(islice(items, every))
        if not chunk:
            break
        if tally.done:
            if progress is not None:
                progress(tally.done)
            if cancelled is not None and cancelled():
                stopped = True
                break
        start = tally.done
        keyed = [item if isinstance(item, tuple) else (str(start + i + 1), item)
                 for i, item in enumerate(chunk)]
        keys = [k for k, _ in keyed]
        sets = [s for _, s in keyed]
        tally.add(encode(form, sets, tally.questions), keys.__getitem__,
                  partial(_picked, sets))
    if progress is not None:
        progress(tally.done)
    return tally.report(stopped)


def impact_of_columns(form: FormDefinition, old_model: ScoringModel, new_model: ScoringModel,
                      columns: Columns, key: Callable[[int], str],
                      answer_set: Callable[[int], AnswerSet] | None = None, *,
                      answer_sets: Callable[[list[int]], Sequence[AnswerSet]] | None = None,
                      progress: Callable[[int], None] | None = None,
                      cancelled: Callable[[], bool] | None = None,
                      every: int = 20_000) -> ImpactReport:
    """:func:`impact` over screenings already held as columns (for example read from storage
    as columns): ``key(row)`` names a screening in the report, ``answer_set(row)`` gives the
    answers of the few whose level changes, to explain them (or ``answer_sets(rows)``, those
    of many rows at once, for storage that reads them faster together). ``progress`` and
    ``cancelled`` work as in :func:`impact`, every ``every`` rows."""
    if answer_sets is None:
        if answer_set is None:
            raise TypeError("impact_of_columns needs answer_set or answer_sets")
        single = answer_set

        def answer_sets(rows: list[int]) -> list[AnswerSet]:
            return [single(r) for r in rows]

    fetch = answer_sets
    tally = _Tally(form, old_model, new_model)
    every = max(1, every)
    stopped = False
    for start in range(0, columns.size, every):
        if start:
            if progress is not None:
                progress(tally.done)
            if cancelled is not None and cancelled():
                stopped = True
                break
        stop = min(start + every, columns.size)
        part = columns.rows(start, stop)
        if columns.unscorable:
            part = replace(part, unscorable={r - start: why for r, why in
                                             columns.unscorable.items() if start <= r < stop})
        tally.add(part, partial(_shifted, key, start), partial(_shifted_many, fetch, start))
    if progress is not None:
        progress(tally.done)
    return tally.report(stopped)


def _shifted(get: Callable[[int], _T], offset: int, row: int) -> _T:
    return get(offset + row)


def _shifted_many(get: Callable[[list[int]], Sequence[AnswerSet]], offset: int,
                  rows: list[int]) -> Sequence[AnswerSet]:
    return get([offset + r for r in rows])


def _picked(sets: list[AnswerSet], rows: list[int]) -> list[AnswerSet]:
    return [sets[r] for r in rows]


def _explain(key: str, old: ScoringPlan, new: ScoringPlan,
             answer_set: AnswerSet) -> ScreeningChange:
    a = old.explain(answer_set)
    b = new.explain(answer_set)
    rules_a = [r.id for r in a.rules_fired]
    rules_b = [r.id for r in b.rules_fired]
    return ScreeningChange(
        key=key, old_level=a.level, new_level=b.level, old_score=a.score, new_score=b.score,
        contributions=_contribution_changes(a, b) + _cap_changes(old, new, a, b),
        rules_added=tuple(r for r in rules_b if r not in rules_a),
        rules_removed=tuple(r for r in rules_a if r not in rules_b))


#: The ``question`` of the line that reports a change in not-known points left out by a cap.
NOT_KNOWN_CAP = "not_known_cap"


def _cap_changes(old: ScoringPlan, new: ScoringPlan, a: Assessment,
                 b: Assessment) -> tuple[ContributionChange, ...]:
    """A line for the change in not-known points left out by ``not_known_cap``, if any.

    Each answer's own points may be unchanged while the cap changes the total; this line says
    so, as the points left out, negative (0 for a model without a cap).
    """
    old_cap, new_cap = old.model.not_known_cap, new.model.not_known_cap
    a_capped = int(a.extra.get("not_known_capped", 0))
    b_capped = int(b.extra.get("not_known_capped", 0))
    if (old_cap is None and new_cap is None) or a_capped == b_capped:
        return ()
    b_points = not_known_tally(b).points

    def cap(value: int | None) -> str:
        return "none" if value is None else str(value)

    return (ContributionChange(
        NOT_KNOWN_CAP, "Not known or unanswered: points over the model's cap, not counted",
        str(b_points), f"{b_points} points not known; cap {cap(old_cap)} -> {cap(new_cap)}",
        -a_capped, -b_capped),)


def _contribution_changes(a: Assessment, b: Assessment) -> tuple[ContributionChange, ...]:
    def keyed(x: Assessment) -> dict[tuple[str, str], Contribution]:
        return {(c.question, c.answer): c for c in (*x.contributions, *x.protective)}

    before, after = keyed(a), keyed(b)
    out = []
    for k in [*before, *(k for k in after if k not in before)]:
        old_c, new_c = before.get(k), after.get(k)
        old_points = old_c.points if old_c is not None else None
        new_points = new_c.points if new_c is not None else None
        if (old_points or 0) == (new_points or 0):
            continue
        c = new_c or old_c
        assert c is not None
        out.append(ContributionChange(c.question, c.label, c.answer, c.answer_label,
                                      old_points, new_points))
    out.sort(key=lambda ch: -abs(ch.delta))
    return tuple(out)
