"""Looking after the database: the full check (``verify``), backups (manual and
automatic) and the integrity check. Reached as ``session.maintenance``.

Backups are encrypted copies with the key file beside them, made on a connection of their
own; each is recorded in the audit log. ``verify`` checks every page, the audit chain and
the stored records, and re-scores every finalised screening against its snapshot.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.columns import encode
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.engine import compile_model, score
from riskscreen.scoring.model import ScoringModel
from riskscreen.services.context import Context
from riskscreen.services.errors import ServiceError
from riskscreen.services.models import ModelManager
from riskscreen.services.types import Role, VerifyReport
from riskscreen.store import audit
from riskscreen.store.backup import auto_backup, backup_database, check_database
from riskscreen.store.columns import StoredColumns, differing_rows, read_columns
from riskscreen.store.db import translate_errors
from riskscreen.store.forms import check_forms
from riskscreen.store.integrity import check_pages, check_records, check_triggers, stored_record
from riskscreen.store.models import AssessmentRow, digest_text

__all__ = ["SERVER_BACKUPS", "Maintenance"]

#: Why RiskScreen makes no backups of a team server's database (said wherever one is asked
#: for, and where the laptop's backup tools would be).
SERVER_BACKUPS = ("A team server's database is backed up by its IT department (pg_dump or "
                  "pgBackRest; see docs/it/team-server.md), not by RiskScreen, so backing "
                  "up and restoring are not offered here.")


class Maintenance:
    """The full check, backups and the integrity check of one signed-in session's
    database."""

    def __init__(self, ctx: Context, models: ModelManager) -> None:
        self._ctx = ctx
        self._models = models

    def verify(self, *, rescore: bool = True,
               progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        """Integrity of every page, the audit chain, and re-scoring of every finalised
        screening against its snapshot (managers and administrators)."""
        self._ctx.require(Role.MANAGER, Role.ADMINISTRATOR)
        self._ctx.check_same_file()
        report = VerifyReport()
        with self._ctx.lock, translate_errors(), self._ctx.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            report.integrity_problems += check_pages(raw)
            count, head, problems = audit.verify_chain(conn)
            report.audit_entries, report.audit_head = count, head
            report.audit_problems = [f"audit entry {p.seq}: {p.message}" for p in problems]
            report.audit_problems += audit.check_head(raw, self._ctx.db_path)
            if not report.integrity_problems:
                report.record_problems = (check_triggers(raw) + list(check_records(raw))
                                          + check_forms(raw))
        if rescore and not report.integrity_problems:
            self._rescore_all(report, progress)
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "verify", "database", {"ok": report.ok})
        self._ctx.record_audit_head()
        return report

    def _rescore_all(self, report: VerifyReport,
                     progress: Callable[[int, int], None] | None) -> None:
        with self._ctx.transaction() as s:
            total = s.scalar(select(func.count()).select_from(AssessmentRow)) or 0
        models: dict[str, ScoringModel] = {}
        # Each snapshot is also re-scored in columns by the batch executor, a chunk at a time.
        batches: dict[tuple[str, str, str], tuple[FormDefinition, ScoringModel,
                                                  list[tuple[int, AnswerSet, Assessment]]]] = {}
        dictionaries = {int(i): bytes(d) for i, d in self._ctx.stream(
            "SELECT id, data FROM record_dictionaries")}
        stored = self._stored_columns(report)
        rows = self._ctx.stream(
            "SELECT a.screening_id, s.model_sha256, a.dictionary_id, a.record, "
            "p.dictionary_id, p.record FROM assessments a "
            "JOIN screenings s ON s.id = a.screening_id "
            "LEFT JOIN assessments p ON p.screening_id = a.previous_id "
            "ORDER BY a.screening_id")
        records: set[int] = set()
        for i, (sid, stored_sha, did, record, prev_did, prev_record) in enumerate(rows):
            records.add(int(sid))
            sha = digest_text(stored_sha)
            try:
                snapshot, answers_json = stored_record(dictionaries, did, record)
                previous = (stored_record(dictionaries, prev_did, prev_record)[0]
                            if prev_record is not None else None)
                model = models.get(sha)
                if model is None:
                    with self._ctx.transaction() as s:
                        model = models[sha] = self._models.stored_in(s, sha)
                answer_set = AnswerSet.model_validate_json(answers_json)
                form = self._ctx.form(answer_set.form, answer_set.form_version)
                prev = Assessment.from_dict(json.loads(previous)) if previous else None
                again = score(form, model, answer_set, prev)
                # to_dict/from_dict round-trip exactly, so comparing the rebuilt snapshot
                # with the new assessment is the exact comparison (and far cheaper than
                # serialising every new assessment).
                kept = Assessment.from_dict(json.loads(snapshot))
                if kept.override is not None:
                    again = replace(again, override=kept.override)
                if again != kept:
                    report.rescore_differences.append(
                        f"screening {sid}: re-scoring with {model.id} "
                        f"{model.version} gives a different result from its snapshot")
                else:
                    group = batches.setdefault((form.id, form.version, sha),
                                               (form, model, []))
                    group[2].append((sid, answer_set, kept))
                    if len(group[2]) >= 2000:
                        report.rescore_differences += _batch_differences(*group, stored)
                        group[2].clear()
            except (ValueError, KeyError, TypeError, ServiceError, zlib.error) as error:
                report.rescore_differences.append(
                    f"screening {sid}: could not be re-scored ({type(error).__name__})")
            report.rescored += 1
            if progress is not None and (i % 500 == 0 or i == total - 1):
                progress(i + 1, max(total, i + 1))
        for group in batches.values():
            report.rescore_differences += _batch_differences(*group, stored)
        for (form_id, version), (columns, _) in sorted(stored.items()):
            for sid in sorted(set(columns.ids.tolist()) - records):
                report.rescore_differences.append(
                    f"screening {sid}: answer columns of form '{form_id}' {version} are "
                    "stored for it, but it has no finalised record")

    def _stored_columns(self, report: VerifyReport) -> _Stored:
        """Every form version's stored columns, with each screening's row."""
        out: _Stored = {}
        versions = list(self._ctx.stream(
            "SELECT DISTINCT form_id, form_version FROM answer_columns"))
        for form_id, version in versions:
            try:
                form = self._ctx.form(form_id, version)
                columns = read_columns(form, [d for (d,) in self._ctx.stream(
                    "SELECT data FROM answer_columns WHERE form_id = ? AND form_version = ?",
                    (form_id, version))])
            except (ServiceError, ValueError):
                report.rescore_differences.append(
                    f"the answer columns of form '{form_id}' {version} cannot be read")
                continue
            rows = {sid: row for row, sid in enumerate(columns.ids.tolist())}
            if len(rows) != columns.size:
                report.rescore_differences.append(
                    f"the answer columns of form '{form_id}' {version} hold a screening twice")
            out[(form_id, version)] = (columns, rows)
        return out

    def backup(self, dest: Path) -> Path:
        """An encrypted copy of the database, with its key file beside it (administrators)."""
        self._ctx.require(Role.ADMINISTRATOR)
        self._refuse_on_server()
        path = self._backup_to(dest)
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "backup", "database")
        self._ctx.record_audit_head()
        return path

    def _refuse_on_server(self) -> None:
        if self._ctx.on_server:
            raise ServiceError(SERVER_BACKUPS)

    def backup_and_check(self, dest: Path,
                         progress: Callable[[int, int], None] | None = None) -> Path:
        """:meth:`backup`, then the integrity check of the database (administrators);
        ``progress(step, 3)`` as it goes."""
        self._ctx.require(Role.ADMINISTRATOR)
        if progress:
            progress(1, 3)
        path = self.backup(dest)
        if progress:
            progress(2, 3)
        problems = self.check_integrity()
        if progress:
            progress(3, 3)
        if problems:
            raise ServiceError("The backup was written, but the database failed its check: "
                               + problems[0])
        return path

    def automatic_backup(self) -> bool:
        """Make today's automatic backup if there is none yet; True if one was made.

        Uses a connection of its own and never the session lock, so the application runs it in
        the background after unlocking while the practitioner carries on working.
        """
        if self._ctx.on_server:  # the server's backups are its IT department's
            return False
        self._ctx.check_same_file()
        with translate_errors(), self._ctx.engine.connect() as conn:
            made = auto_backup(conn.connection.dbapi_connection, self._ctx.data_key,
                               self._ctx.db_path)
        if made is None:
            return False
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "backup", "database", {"automatic": True})
        self._ctx.record_audit_head()
        return True

    def _backup_to(self, dest: Path) -> Path:
        with self._ctx.lock, translate_errors(), self._ctx.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            return backup_database(raw, self._ctx.data_key, dest, self._ctx.key_path)

    def check_integrity(self) -> list[str]:
        """Page authentication and structure problems of the database file (none: ok; a
        server's storage is its administrators' to check)."""
        if self._ctx.on_server:
            return []
        return check_database(self._ctx.db_path, self._ctx.data_key)


#: Stored columns by form version: the columns and each screening's row.
_Stored = dict[tuple[str, str], tuple[StoredColumns, dict[int, int]]]


def _batch_differences(form: FormDefinition, model: ScoringModel,
                       rows: list[tuple[int, AnswerSet, Assessment]],
                       stored: _Stored) -> list[str]:
    """Screenings whose snapshot's level, points or rules differ from the batch executor's,
    or whose stored answer columns differ from their record's answer set."""
    if not rows:
        return []
    plan = compile_model(form, model)
    sets = [answer_set for _, answer_set, _ in rows]
    result = plan.batch(plan.encode(sets))
    out = []
    for row, (sid, _, kept) in enumerate(rows):
        if (result.level(row) != kept.level or int(result.points[row]) != kept.score
                or result.rules(row) != [r.id for r in kept.rules_fired]):
            out.append(f"screening {sid}: re-scoring in columns with {model.id} "
                       f"{model.version} gives a different result from its snapshot")
    found = stored.get((form.id, form.version))
    at = [None if found is None else found[1].get(sid) for sid, _, _ in rows]
    present = [i for i, r in enumerate(at) if r is not None]
    if found is not None and present:
        columns = found[0]
        where = np.asarray([at[i] for i in present], dtype=np.intp)
        differ = differing_rows(encode(form, [sets[i] for i in present]),
                                columns.columns.take(where))
        out += [f"screening {rows[present[i]][0]}: its stored answer columns differ from "
                "the answer set of its record" for i in np.flatnonzero(differ).tolist()]
    out += [f"screening {rows[i][0]}: its answers are missing from the stored answer columns"
            for i, r in enumerate(at) if r is None]
    return out
