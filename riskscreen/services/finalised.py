"""Finalised screenings in bulk: their answers as columns, and their answer sets when needed.

Impact analysis, the live impact and reports read the stored answer columns
(:mod:`riskscreen.store.columns`): a few dozen chunks for 100,000 screenings, never one dict
per screening. The answer sets themselves come from the finalised records, for the few
screenings an analysis explains and for work that needs each one whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from riskscreen.forms.answers import AnswerSet, EvidenceRecord
from riskscreen.forms.columns import Columns
from riskscreen.forms.model import FormDefinition
from riskscreen.services.context import Context
from riskscreen.services.errors import NotFound
from riskscreen.services.types import Role, Status
from riskscreen.store.columns import StoredColumns, read_columns
from riskscreen.store.db import StorageError
from riskscreen.store.integrity import stored_record
from riskscreen.store.models import digest_text

__all__ = ["FinalisedManager", "dated_rows", "trusted_answer_set"]

_UNREADABLE = ("A finalised record cannot be read; run 'riskscreen verify' and restore a "
               "backup if it reports damage.")


class FinalisedManager:
    """Bulk reads of finalised screenings (managers), each on a connection of its own: they
    neither hold the session's lock nor block autosaves, and each sees one consistent state."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def columns(self, form: FormDefinition, since: date | None = None,
                until: date | None = None,
                questions: Iterable[str] | None = None) -> StoredColumns:
        """Every finalised screening of this form version as columns, in screening id order;
        ``since``/``until`` limit the screening dates (inclusive), ``questions`` the columns
        read (default: all)."""
        self._ctx.require(Role.MANAGER)
        chunks = (data for (data,) in self._ctx.stream(
            "SELECT data FROM answer_columns WHERE form_id = ? AND form_version = ? "
            "ORDER BY first_id", (form.id, form.version)))
        try:
            found = read_columns(form, chunks, questions)
        except ValueError:
            raise StorageError("The stored answer columns cannot be read; run 'riskscreen "
                               "verify' and restore a backup if it reports damage.") from None
        rows = dated_rows(found.columns, since, until)
        if rows is None:
            return found
        return StoredColumns(found.ids[rows], found.columns.take(rows), found.overrides[rows])

    def answer_sets(self, since: date | None = None, until: date | None = None
                    ) -> Iterator[tuple[int, str, AnswerSet]]:
        """(screening id, model hash, answer set) of every finalised screening, in screening
        id order, dates limited as in :meth:`columns`; each record opened in turn."""
        self._ctx.require(Role.MANAGER)
        where, params = date_clauses(since, until)
        dictionaries = self._dictionaries()
        for sid, sha, did, record in self._ctx.stream(
                "SELECT a.screening_id, s.model_sha256, a.dictionary_id, a.record "
                "FROM assessments a JOIN screenings s ON s.id = a.screening_id" + where
                + " ORDER BY a.screening_id", params):
            try:
                answers = stored_record(dictionaries, did, record)[1]
            except ValueError:
                raise StorageError(_UNREADABLE) from None
            yield sid, digest_text(sha), trusted_answer_set(answers)

    def answer_sets_of(self, ids: Sequence[int]) -> list[AnswerSet]:
        """The answer sets finalised screenings ``ids`` were scored with, in that order: the
        few an impact analysis explains, read together."""
        self._ctx.require(Role.MANAGER)
        dictionaries = self._dictionaries()
        found: dict[int, AnswerSet] = {}
        for start in range(0, len(ids), 500):
            part = [int(i) for i in ids[start:start + 500]]
            marks = ", ".join("?" * len(part))
            for sid, did, record in self._ctx.stream(
                    "SELECT screening_id, dictionary_id, record FROM assessments "  # noqa: S608 - placeholders only
                    f"WHERE screening_id IN ({marks})", part):
                try:
                    found[int(sid)] = trusted_answer_set(
                        stored_record(dictionaries, did, record)[1])
                except ValueError:
                    raise StorageError(_UNREADABLE) from None
        if any(int(i) not in found for i in ids):
            raise NotFound("There is no finalised screening with that number.")
        return [found[int(i)] for i in ids]

    def elsewhere(self, form: FormDefinition, since: date | None = None,
                  until: date | None = None) -> list[tuple[int, str, str]]:
        """(id, form, version) of finalised screenings of another version of this form, in
        id order, dates limited as in :meth:`columns`."""
        self._ctx.require(Role.MANAGER)
        where, params = date_clauses(since, until)
        where = (where + " AND " if where else " WHERE ") + (
            f"s.status = '{Status.FINAL}' AND s.form_id = ? AND s.form_version != ?")
        return [(int(i), str(f), str(v)) for i, f, v in self._ctx.stream(
            "SELECT s.id, s.form_id, s.form_version FROM screenings s"  # noqa: S608 - fixed text; bound values
            + where + " ORDER BY s.id", [*params, form.id, form.version])]

    def _dictionaries(self) -> dict[int, bytes]:
        return {int(i): bytes(d) for i, d in self._ctx.stream(
            "SELECT id, data FROM record_dictionaries")}


def dated_rows(columns: Columns, since: date | None,
               until: date | None) -> NDArray[np.intp] | None:
    """The rows of ``columns`` whose screening date is within ``since``/``until``
    (inclusive), or None when neither is given (every row)."""
    if since is None and until is None:
        return None
    days = columns.days
    keep = np.ones(columns.size, dtype=np.bool_)
    if since is not None:
        keep &= days >= since.toordinal()
    if until is not None:
        keep &= days <= until.toordinal()
    return np.flatnonzero(keep)


def date_clauses(since: date | None, until: date | None) -> tuple[str, list[str]]:
    """A WHERE clause on ``s.screening_date`` and its parameters (qmark style)."""
    clauses, params = [], []
    if since is not None:
        clauses.append("s.screening_date >= ?")
        params.append(since.isoformat())
    if until is not None:
        clauses.append("s.screening_date <= ?")
        params.append(until.isoformat())
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


_ANSWER_SET_FIELDS = frozenset(AnswerSet.model_fields)


def trusted_answer_set(data: str | bytes) -> AnswerSet:
    """An answer set stored at finalisation, rebuilt without re-validation.

    It was validated before it was stored, and SQLCipher authenticates every page, so bulk
    reads skip pydantic's validation through ``model_construct``. ``verify`` re-validates in
    full, and a test checks the result equals a validated answer set.
    """
    import json

    raw: dict[str, Any] = json.loads(data)
    evidence = raw.get("evidence")
    return AnswerSet.model_construct(
        set(_ANSWER_SET_FIELDS),
        form=raw["form"], form_version=raw["form_version"],
        screening_date=date.fromisoformat(raw["screening_date"]),
        answers=raw["answers"],
        evidence={k: EvidenceRecord.model_construct(
            **{**v, "when": date.fromisoformat(v["when"]) if v.get("when") else None})
            for k, v in evidence.items()} if evidence else {})
