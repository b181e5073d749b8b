"""Many screenings' answers as columns: one int64 array of answer codes per question.

Bulk work (impact analysis, re-scoring, reports) reads answers as columns rather than as one
dict per screening, so that conditions and points are computed for every screening at once
with numpy. The codes are described in :mod:`riskscreen.conditions.codes`; :func:`encode`
builds columns from answer sets, and anything that stores answers as codes can build
:class:`Columns` directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import repeat

import numpy as np
from numpy.typing import NDArray

from riskscreen.conditions.codes import MISSING, as_date, is_answered
from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.kinds import QuestionType
from riskscreen.forms.model import FormDefinition, Question

__all__ = ["Codes", "Columns", "ages", "concat", "encode"]

Codes = NDArray[np.int64]
#: The proleptic ordinal of numpy's day 0 (1970-01-01).
_EPOCH = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Columns:
    """Answers of ``size`` screenings of one form version, by question id.

    ``days`` holds each screening date's ordinal. A question without a column is unanswered
    everywhere. ``texts`` lists the answers of text columns (code ``i + 1`` is
    ``texts[qid][i]``; distinct, except after :func:`concat`); ``derived`` the derived values
    (see :meth:`with_derived`);
    ``unscorable`` the rows whose answers did not fit the form, with the reason (their codes
    are all unanswered; callers skip them). ``seen_counts`` may hold, for a ``count_present``
    selection (keyed by :meth:`riskscreen.conditions.CountPresent.seen`), how many of its
    indicators each screening has seen, counted from exactly these codes by a caller that
    gathered them anyway (the scoring plan's batch executor); every Columns derived from
    these drops them.
    """

    form: FormDefinition
    days: Codes
    codes: Mapping[str, Codes]
    texts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    derived: Mapping[str, Codes] = field(default_factory=dict)
    unscorable: Mapping[int, tuple[str, str]] = field(default_factory=dict)
    seen_counts: Mapping[object, Codes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """How many screenings the columns hold."""
        return int(self.days.shape[0])

    def column(self, question: str) -> Codes:
        """The codes of one question (unanswered everywhere if it has no column)."""
        found = self.codes.get(question)
        if found is not None:
            return found
        q = self.form.question_index().get(question)
        empty = MISSING if q is not None and q.type in (QuestionType.NUMBER,
                                                         QuestionType.DATE) else 0
        return np.full(self.size, empty, dtype=np.int64)

    def derived_value(self, derived: str) -> Codes:
        """The values of one derived value (:data:`MISSING` where it has none)."""
        found = self.derived.get(derived)
        if found is None:
            return np.full(self.size, MISSING, dtype=np.int64)
        return found

    def text_codes(self, question: str, text: str) -> list[int]:
        """The codes of one text answer in this column (none if no screening gives it; more
        than one where joined parts each had it, see :func:`concat`)."""
        return [i + 1 for i, t in enumerate(self.texts.get(question, ())) if t == text]

    def rows(self, start: int, stop: int) -> Columns:
        """The screenings ``start`` to ``stop`` (views, not copies; ``unscorable`` left out)."""
        return replace(self, days=self.days[start:stop],
                       codes={k: v[start:stop] for k, v in self.codes.items()},
                       derived={k: v[start:stop] for k, v in self.derived.items()},
                       unscorable={}, seen_counts={})

    def take(self, rows: NDArray[np.intp]) -> Columns:
        """The screenings at positions ``rows``, in that order (copies; ``unscorable`` kept
        for the rows taken, renumbered)."""
        where = {int(old): new for new, old in enumerate(rows.tolist())}
        return replace(self, days=self.days[rows],
                       codes={k: v[rows] for k, v in self.codes.items()},
                       derived={k: v[rows] for k, v in self.derived.items()},
                       unscorable={where[r]: why for r, why in self.unscorable.items()
                                   if r in where}, seen_counts={})

    def with_codes(self, codes: Mapping[str, Codes]) -> Columns:
        """The same screenings with some columns replaced (e.g. hidden answers removed)."""
        return replace(self, codes={**self.codes, **codes}, seen_counts={})

    def with_derived(self) -> Columns:
        """These columns with every derived value of the form computed from them."""
        derived = {}
        for d in self.form.derived:
            if d.kind == "age_years":
                derived[d.id] = ages(self.column(d.question), self.days)
        return replace(self, derived=derived, seen_counts={})


def ages(births: Codes, days: Codes) -> Codes:
    """Whole years from each date of birth to each screening date (a birthday counts on the
    day); :data:`MISSING` where the birth date is missing or after the screening date."""
    valid = (births != MISSING) & (births <= days)
    born = _ymd(np.where(valid, births, days))
    on = _ymd(days)
    years = on[0] - born[0] - ((on[1] * 32 + on[2]) < (born[1] * 32 + born[2]))
    return np.where(valid, years, MISSING).astype(np.int64)


def concat(form: FormDefinition, parts: Iterable[Columns]) -> Columns:
    """One :class:`Columns` from parts of the same form version, in order, derived values
    recomputed. Text tables are joined, not merged, so a text two parts give has a code in
    each (:meth:`Columns.text_codes` finds them all): merging 100,000 distinct texts would
    cost more than every other step of a bulk read together."""
    parts = [p for p in parts if p.size] or [encode(form, [])]
    qids = list(dict.fromkeys(q for part in parts for q in part.codes))
    codes: dict[str, Codes] = {}
    texts: dict[str, tuple[str, ...]] = {}
    for qid in qids:
        if any(qid in part.texts for part in parts):
            joined: list[str] = []
            pieces = []
            for part in parts:
                local = part.column(qid)
                # Unanswered (0 or MISSING) stays so; answers move past earlier tables.
                pieces.append(np.where(local > 0, local + len(joined), local))
                joined += part.texts.get(qid, ())
            codes[qid] = np.concatenate(pieces)
            texts[qid] = tuple(joined)
        else:
            codes[qid] = np.concatenate([part.column(qid) for part in parts])
    unscorable: dict[int, tuple[str, str]] = {}
    offset = 0
    for part in parts:
        unscorable.update({offset + row: why for row, why in part.unscorable.items()})
        offset += part.size
    return Columns(form, np.concatenate([p.days for p in parts]), codes, texts,
                   unscorable=unscorable).with_derived()


def _ymd(ordinals: Codes) -> tuple[Codes, Codes, Codes]:
    days = (ordinals - _EPOCH).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months).astype(np.int64) + 1
    return year, month, day


def _encoder(q: Question) -> tuple[dict[object, int] | None, int]:
    """(answer -> code, code of unanswered) for a question held as small codes."""
    if q.type is QuestionType.MULTIPLE_CHOICE:
        return {o: 1 << i for i, o in enumerate(q.option_ids())}, 0
    allowed = q.allowed_values()
    if allowed is None:
        return None, MISSING
    return {a: i + 1 for i, a in enumerate(allowed)}, 0


def encode(form: FormDefinition, answer_sets: Iterable[AnswerSet],
           questions: Iterable[str] | None = None) -> Columns:
    """Columns of the given questions (default: all) from answer sets of this form version.

    An answer set for another form version, or with an answer that does not fit its question,
    is listed in ``unscorable`` and left unanswered; derived values are computed.
    """
    index = form.question_index()
    wanted = [index[qid] for qid in (questions if questions is not None else index)
              if qid in index]
    sets = list(answer_sets)
    n = len(sets)
    days = np.fromiter((s.screening_date.toordinal() for s in sets), dtype=np.int64, count=n)
    unscorable: dict[int, tuple[str, str]] = {}
    for row, s in enumerate(sets):
        if s.form != form.id or s.form_version != form.version:
            unscorable[row] = ("", f"answers are for form '{s.form}' version "
                                   f"{s.form_version}, but the form is '{form.id}' version "
                                   f"{form.version}")
    answers = [s.answers for s in sets]
    codes: dict[str, Codes] = {}
    texts: dict[str, tuple[str, ...]] = {}
    for q in wanted:
        values = list(map(dict.get, answers, repeat(q.id)))
        table, empty = _encoder(q)
        if table is not None and q.type is not QuestionType.MULTIPLE_CHOICE:
            # The common case in one pass in C: every answer a known word, None or "".
            lookup = {None: 0, "": 0, **table}
            try:
                out = np.fromiter(map(lookup.get, values, repeat(-1)), dtype=np.int64,
                                  count=n)
            except TypeError:  # an unhashable answer (a list): the careful way below
                out = np.full(n, -1, dtype=np.int64)
            slow = np.flatnonzero(out < 0).tolist()
        else:
            out = np.full(n, empty, dtype=np.int64)
            slow = list(range(n))
        texts_seen: dict[str, int] = {}
        for row in slow:
            code, problem = _code(q, table, values[row], texts_seen)
            out[row] = empty if code is None else code
            if problem is not None:
                unscorable.setdefault(row, (q.id, problem))
        if q.type in (QuestionType.TEXT, QuestionType.LONG_TEXT):
            texts[q.id] = tuple(texts_seen)
        codes[q.id] = out
    for row in unscorable:
        for q in wanted:
            codes[q.id][row] = _encoder(q)[1]
    return Columns(form, days, codes, texts, unscorable=unscorable).with_derived()


def _code(q: Question, table: dict[object, int] | None, v: object,
          texts: dict[str, int]) -> tuple[int | None, str | None]:
    """(code, None) for one answer, or (None, why it does not fit); None code: unanswered."""
    if q.type is QuestionType.MULTIPLE_CHOICE:
        assert table is not None
        if isinstance(v, list) and all(isinstance(x, str) and x in table for x in v):
            mask = 0
            for x in v:
                mask |= table[x]
            return mask, None
        if is_answered(v):
            return None, f"answer {v!r} is not a list of the options this question offers"
        return None, None
    if not is_answered(v):
        return None, None
    if table is not None:
        code = table.get(v) if isinstance(v, str) else None
        if code is None:
            offered = ", ".join(map(str, table))
            return None, f"answer {v!r} is not one this question offers ({offered})"
        return code, None
    if q.type is QuestionType.NUMBER:
        if isinstance(v, int) and not isinstance(v, bool):
            return v, None
        return None, f"expects a whole number, got {v!r}"
    if q.type is QuestionType.DATE:
        day = as_date(v)
        if day is None:
            return None, f"{v!r} is not a date"
        return day.toordinal(), None
    if isinstance(v, str):
        return texts.setdefault(v, len(texts) + 1), None
    return None, f"expects text, got {v!r}"
