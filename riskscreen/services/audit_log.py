"""The audit log as administrators read it: entries in plain words, filters, the chain check.

The entries themselves are appended by every manager through the shared context (see
:mod:`riskscreen.store.audit` for the hash chain).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text

from riskscreen.definitions import DefinitionError
from riskscreen.services.accounts import AccountManager
from riskscreen.services.audit_words import AuditLine, action_words, describe_entry
from riskscreen.services.context import Context
from riskscreen.services.types import Role
from riskscreen.store import audit
from riskscreen.store.models import stamp_micros, stamp_text

__all__ = ["AuditLog", "AuditRow", "ChainResult"]


@dataclass(frozen=True)
class AuditRow:
    """One audit entry as the viewer shows it (ids, levels and counts only)."""

    seq: int
    at: str
    user: str
    action: str
    object: str
    detail: str


@dataclass(frozen=True)
class ChainResult:
    """The hash chain check: ``ok`` or the entries at fault."""

    entries: int
    head: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        """No entry was changed, removed or reordered."""
        return not self.problems

    def message(self) -> str:
        """The result in one sentence for the administrator."""
        if self.ok:
            return (f"The audit log is intact: all {self.entries} entries link up and none "
                    f"was changed (head {self.head[:12]}).")
        return (f"The audit log has been tampered with or damaged: {len(self.problems)} "
                f"problem(s), first: {self.problems[0]}.")


class AuditLog:
    """The audit log of one database (administrators only)."""

    def __init__(self, ctx: Context, accounts: AccountManager) -> None:
        self._ctx = ctx
        self._accounts = accounts

    def entries(self, user: str | None = None, action: str | None = None,
                      since: date | None = None, until: date | None = None,
                      limit: int = 5000) -> list[AuditRow]:
        """Audit entries, newest first, filtered by user, action and date."""
        self._ctx.require(Role.ADMINISTRATOR)
        clauses: list[str] = []
        params: dict[str, Any] = {"n": limit}
        if user:
            clauses.append("\"user\" = :user")
            params["user"] = user
        if action:
            clauses.append("action = :action")
            params["action"] = action
        if since is not None:
            clauses.append("at >= :since")
            params["since"] = stamp_micros(since)
        if until is not None:
            clauses.append("at < :until")
            params["until"] = stamp_micros(date.fromordinal(until.toordinal() + 1))
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = ("SELECT seq, at, \"user\", action, object, detail FROM audit_log"  # noqa: S608 - fixed text; bound values
               + where + " ORDER BY seq DESC LIMIT :n")
        with self._ctx.transaction() as s:
            return [_row(r) for r in s.execute(text(sql), params)]

    def lines(self, user: str | None = None, action: str | None = None,
                    since: date | None = None, until: date | None = None,
                    limit: int = 5000) -> list[AuditLine]:
        """The entries of :meth:`entries` in plain words: names of accounts instead of
        ids, actions and details as sentences (screenings and children by number only)."""
        return self.describe(self.entries(user, action, since, until, limit))

    def describe(self, rows: list[AuditRow]) -> list[AuditLine]:
        """Audit entries in plain words (see :mod:`riskscreen.services.audit_words`)."""
        self._ctx.require(Role.ADMINISTRATOR)
        users, accounts = self._names()
        from riskscreen.forms.loader import load_form

        try:
            questions = {q.id: q.text for q in load_form("cse-screening").questions()}
        except DefinitionError:  # pragma: no cover - the shipped form always loads
            questions = {}
        return [describe_entry(r.seq, r.at, r.user, r.action, r.object, r.detail, users,
                               accounts, questions) for r in rows]

    def _names(self) -> tuple[dict[int, str], dict[str, str]]:
        """Account ids to names, and names to the names shown."""
        found = self._accounts.all()
        return ({u.id: u.name for u in found},
                {u.name: u.display_name or u.name for u in found})

    def privileged_changes(self, limit: int = 50) -> list[AuditRow]:
        """Account changes that give access to screenings (manager or administrator accounts
        created, promoted, enabled, or a manager's passphrase reset), newest first, with who
        countersigned each: the audit viewer shows them first."""
        self._ctx.require(Role.ADMINISTRATOR)
        sql = ("SELECT seq, at, \"user\", action, object, detail FROM audit_log "
               "WHERE action IN ('account_create', 'account_role', 'account_enable', "
               "'account_passphrase_reset') ORDER BY seq DESC")
        found: list[AuditRow] = []
        with self._ctx.transaction() as s:
            # The detail is read here, not in SQL: SQLite and PostgreSQL spell JSON apart.
            for r in s.execute(text(sql)):
                if _names_countersigner(r[5]):
                    found.append(_row(r))
                    if len(found) == limit:
                        break
        return found

    def filter_choices(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(words, value) of the accounts and actions in the log, for the viewer's filters."""
        users, actions = self.choices()
        _, accounts = self._names()
        return ([(describe_entry(0, "", u, "", "", "", {}, accounts).who, u) for u in users],
                sorted(((action_words(a), a) for a in actions), key=lambda p: p[0]))

    def choices(self) -> tuple[list[str], list[str]]:
        """The users and actions that appear in the log (for the filters)."""
        self._ctx.require(Role.ADMINISTRATOR)
        with self._ctx.transaction() as s:
            users = [r[0] for r in s.execute(text("SELECT DISTINCT user FROM audit_log "
                                                  "ORDER BY user"))]
            actions = [r[0] for r in s.execute(text("SELECT DISTINCT action FROM audit_log "
                                                    "ORDER BY action"))]
        return users, actions

    def verify_chain(self) -> ChainResult:
        """Check the hash chain of the whole log."""
        self._ctx.require(Role.ADMINISTRATOR)
        with self._ctx.lock, self._ctx.engine.connect() as conn:
            count, head, problems = audit.verify_chain(conn)
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "audit_verify", "audit_log", {"ok": not problems})
        return ChainResult(count, head, [f"entry {p.seq} {p.message}" for p in problems])


def _row(r: Any) -> AuditRow:
    """An entry of ``SELECT seq, at, "user", action, object, detail``, its time as text."""
    return AuditRow(r[0], stamp_text(r[1]), r[2], r[3], r[4], r[5])


def _names_countersigner(detail: str) -> bool:
    """Whether an entry's detail records who countersigned it (None for the first manager)."""
    try:
        parsed = json.loads(detail)
    except ValueError:
        return False
    return isinstance(parsed, dict) and "countersigned_by" in parsed
