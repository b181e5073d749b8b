"""Impact analysis: what a new scoring model would change, before anyone publishes it.

:func:`impact` scores every screening with the old and the new model and returns the
level-by-level transition matrix and, for each screening whose level changes, the contributions
and rules that differ. It takes any iterable (files, a database cursor), reports progress and
can be cancelled between screenings, so the GUI can run it in a worker thread.

Each screening is first scored on the lean path (level and points only); the full explanation
is computed only for the screenings whose level changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from riskscreen.forms.answers import AnswerError, AnswerSet
from riskscreen.forms.model import FormDefinition, QuestionKind
from riskscreen.scoring.assessment import Contribution, ModelIdentity
from riskscreen.scoring.engine import CompiledModel, Evaluation, compile_model
from riskscreen.scoring.model import ScoringModel

__all__ = [
    "ContributionChange",
    "ImpactReport",
    "ScreeningChange",
    "impact",
]

#: A screening to analyse: an answer set, or (key, answer set) where the key names it in
#: the report (a file name, a database id). Bare answer sets are numbered from 1.
Item = AnswerSet | tuple[str, AnswerSet]


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

    ``progress(n)`` is called with the number of screenings done every ``every`` screenings
    and at the end; ``cancelled()`` is polled as often, and when it returns True the report
    covers the screenings done so far and says ``cancelled``. Answer sets for another form
    version, or with answers the models cannot score, are listed in ``skipped``.
    """
    old = compile_model(form, old_model)
    new = compile_model(form, new_model)
    levels = tuple(new.level_ids) + tuple(lv for lv in old.level_ids if lv not in new.level_ids)
    names = {info.id: info.name for info in old.levels} | {
        info.id: info.name for info in new.levels}
    counts = [[0] * len(new.level_ids) for _ in old.level_ids]
    changes: list[ScreeningChange] = []
    skipped: list[tuple[str, str]] = []
    score_changed = 0
    done = 0
    stopped = False
    old_rank, new_rank = old.rank, new.rank
    old_ids, new_ids = old.level_ids, new.level_ids
    every = max(1, every)
    deltas = _weight_deltas(old, new)
    old_parts, old_level, new_level = old.parts, old.level_from, new.level_from
    for item in answer_sets:
        if done % every == 0 and done:
            if progress is not None:
                progress(done)
            if cancelled is not None and cancelled():
                stopped = True
                break
        done += 1
        key, answer_set = item if isinstance(item, tuple) else (str(done), item)
        try:
            if deltas is None:
                a_rank, a_score = old_rank(answer_set)
                b_rank, b_score = new_rank(answer_set)
            else:
                # Only some weights differ: score once, then apply the differences.
                gross, floor, protective, rule_rank, seen, hidden = old_parts(answer_set)
                a_rank, a_score = old_level(gross, floor, protective, rule_rank)
                for qid, changed, is_protective in deltas:
                    if qid in hidden:
                        continue
                    d_points, d_floor = changed.get(seen.get(qid), (0, 0))
                    if is_protective:
                        protective -= d_points
                    else:
                        gross += d_points
                        floor += d_floor
                b_rank, b_score = new_level(gross, floor, protective, rule_rank)
        except AnswerError as error:
            skipped.append((key, str(error)))
            continue
        counts[a_rank][b_rank] += 1
        if a_score != b_score:
            score_changed += 1
        if old_ids[a_rank] != new_ids[b_rank]:
            changes.append(_explain(key, old, new, answer_set))
    if progress is not None:
        progress(done)
    matrix = {lv: {to: 0 for to in levels} for lv in levels}
    for i, row in enumerate(counts):
        for j, n in enumerate(row):
            matrix[old_ids[i]][new_ids[j]] += n
    return ImpactReport(
        old=old.identity, new=new.identity, levels=levels, level_names=names, matrix=matrix,
        total=done - len(skipped), score_changed=score_changed, changes=tuple(changes),
        skipped=tuple(skipped), cancelled=stopped)


#: Keys that describe a model but do not change any level.
_DESCRIPTIVE = ("id", "version", "title", "author", "date", "change_note", "derived_from")


def _weight_deltas(old: CompiledModel, new: CompiledModel
                   ) -> tuple[tuple[str, dict[Any, tuple[int, int]], bool], ...] | None:
    """If the models differ only in indicator weights, the per-answer differences; else None.

    This is the usual draft (a manager adjusts weights), and lets impact score each
    screening once instead of twice. Not for models with a ``not_known_cap``: how many
    not-known points count depends on all of them together, not on one answer's weight.
    """
    if old._choices or new._choices or old.form is not new.form:
        return None
    if old.model.not_known_cap is not None or new.model.not_known_cap is not None:
        return None
    a = json.loads(old.model.canonical_json())
    b = json.loads(new.model.canonical_json())
    for key in _DESCRIPTIVE:
        a.pop(key, None)
        b.pop(key, None)
    weights_a, weights_b = a.pop("weights"), b.pop("weights")
    if a != b or weights_a.keys() != weights_b.keys():
        return None
    out = []
    for qid in weights_a:
        if weights_a[qid] == weights_b[qid]:
            continue
        before, after = old.answer_points(qid), new.answer_points(qid)
        if before is None or after is None or before.keys() != after.keys():
            return None
        changed = {answer: (after[answer][0] - before[answer][0],
                            after[answer][1] - before[answer][1])
                   for answer in before if after[answer] != before[answer]}
        protective = old.form.question(qid).kind is QuestionKind.PROTECTIVE_FACTOR
        out.append((qid, changed, protective))
    return tuple(out)


def _explain(key: str, old: CompiledModel, new: CompiledModel,
             answer_set: AnswerSet) -> ScreeningChange:
    a = old.evaluate(answer_set)
    b = new.evaluate(answer_set)
    return ScreeningChange(
        key=key, old_level=old.level_ids[a.rank], new_level=new.level_ids[b.rank],
        old_score=a.score, new_score=b.score,
        contributions=_contribution_changes(a, b) + _cap_changes(old, new, a, b),
        rules_added=tuple(r for r in _rules(new, b) if r not in _rules(old, a)),
        rules_removed=tuple(r for r in _rules(old, a) if r not in _rules(new, b)))


def _rules(model: CompiledModel, ev: Evaluation) -> list[str]:
    return [model.model.rules[i].id for i in ev.fired]


#: The ``question`` of the line that reports a change in not-known points left out by a cap.
NOT_KNOWN_CAP = "not_known_cap"


def _cap_changes(old: CompiledModel, new: CompiledModel, a: Evaluation,
                 b: Evaluation) -> tuple[ContributionChange, ...]:
    """A line for the change in not-known points left out by ``not_known_cap``, if any.

    Each answer's own points may be unchanged while the cap changes the total; this line says
    so, as the points left out, negative (0 for a model without a cap).
    """
    old_cap, new_cap = old.model.not_known_cap, new.model.not_known_cap
    if (old_cap is None and new_cap is None) or a.not_known_capped == b.not_known_capped:
        return ()

    def cap(value: int | None) -> str:
        return "none" if value is None else str(value)

    return (ContributionChange(
        NOT_KNOWN_CAP, "Not known or unanswered: points over the model's cap, not counted",
        str(b.not_known_points),
        f"{b.not_known_points} points not known; cap {cap(old_cap)} -> {cap(new_cap)}",
        -a.not_known_capped, -b.not_known_capped),)


def _contribution_changes(a: Evaluation, b: Evaluation) -> tuple[ContributionChange, ...]:
    def keyed(ev: Evaluation) -> dict[tuple[str, str], Contribution]:
        return {(c.question, c.answer): c for c in (*ev.contributions, *ev.protective)}

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
