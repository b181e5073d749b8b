"""Administrators' use cases beyond :class:`Session`'s accounts: the audit log viewer and its
chain check, passphrase reset with the recovery key, backups with progress, and settings.

Account creation, roles, disabling and administrator resets are :class:`Session`'s own
methods (reused, not duplicated). Settings live in the encrypted database's ``meta`` table
(keys ``setting.*``), so they travel with backups and need no new table; the routing contacts
are stored there as routing YAML, checked by :func:`riskscreen.routing.loader.parse_routing`.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from riskscreen.crypto.keyfile import KeyFile, KeyFileError
from riskscreen.crypto.keys import data_key_from_recovery
from riskscreen.crypto.signins import RECOVERY_KEY
from riskscreen.definitions import DefinitionError, dump_yaml, load_yaml
from riskscreen.services.audit_words import AuditLine, action_words, describe_entry
from riskscreen.services.errors import AccountError, ServiceError
from riskscreen.services.idle_lock import check_idle_limit
from riskscreen.services.session import Session
from riskscreen.services.types import Role
from riskscreen.store import audit
from riskscreen.store.models import Meta

__all__ = [
    "SETTING_KEYS",
    "AdminService",
    "AuditRow",
    "ChainResult",
    "read_settings",
]

SETTING_KEYS = ("idle_lock_minutes", "protective_marking", "organisation_name",
                "logo_png_base64", "routing_yaml")
_DEFAULTS = {"idle_lock_minutes": "5", "protective_marking": "OFFICIAL-SENSITIVE",
             "organisation_name": "", "logo_png_base64": "", "routing_yaml": ""}


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


def read_settings(session: Session) -> dict[str, str]:
    """Every setting (defaults for those never set); any signed-in role may read them."""
    with session.context.transaction() as s:
        rows = {str(k): str(v) for k, v in s.execute(select(Meta.key, Meta.value).where(
            Meta.key.like("setting.%")))}
    return {k: rows.get(f"setting.{k}", _DEFAULTS[k]) for k in SETTING_KEYS}


class AdminService:
    """Administration on one signed-in session (administrators only)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _admin(self) -> None:
        self.session.context.require(Role.ADMINISTRATOR)

    # -- accounts (Session's methods, plus the recovery-key reset) -----------------------------

    def reset_with_recovery_key(self, recovery_key: str, name: str, passphrase: str) -> None:
        """Set an account's passphrase after checking the database's recovery key."""
        self._admin()

        def right() -> bool:
            try:
                secret = data_key_from_recovery(recovery_key)
            except ValueError:
                return False
            opens: list[bytes] = []
            with contextlib.suppress(KeyFileError):
                opens = KeyFile.load(self.session.key_path).recovery_keys(secret)
            opens.append(secret)  # a database made before recovery slots
            return self.session.context.data_key in opens

        if not self.session.context.check_secret(RECOVERY_KEY, "recovery key", right):
            raise AccountError("That recovery key does not belong to this database.")
        self.session._set_passphrase(name, passphrase, "account_passphrase_reset_recovery")

    # -- audit ---------------------------------------------------------------------------------

    def audit_entries(self, user: str | None = None, action: str | None = None,
                      since: date | None = None, until: date | None = None,
                      limit: int = 5000) -> list[AuditRow]:
        """Audit entries, newest first, filtered by user, action and date."""
        self._admin()
        clauses: list[str] = []
        params: dict[str, Any] = {"n": limit}
        if user:
            clauses.append("user = :user")
            params["user"] = user
        if action:
            clauses.append("action = :action")
            params["action"] = action
        if since is not None:
            clauses.append("at >= :since")
            params["since"] = since.isoformat()
        if until is not None:
            clauses.append("at < :until")
            params["until"] = date.fromordinal(until.toordinal() + 1).isoformat()
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = ("SELECT seq, at, user, action, object, detail FROM audit_log"  # noqa: S608 - fixed text; bound values
               + where + " ORDER BY seq DESC LIMIT :n")
        with self.session.context.transaction() as s:
            return [AuditRow(*r) for r in s.execute(text(sql), params)]

    def audit_lines(self, user: str | None = None, action: str | None = None,
                    since: date | None = None, until: date | None = None,
                    limit: int = 5000) -> list[AuditLine]:
        """The entries of :meth:`audit_entries` in plain words: names of accounts instead of
        ids, actions and details as sentences (screenings and children by number only)."""
        return self.describe(self.audit_entries(user, action, since, until, limit))

    def describe(self, rows: list[AuditRow]) -> list[AuditLine]:
        """Audit entries in plain words (see :mod:`riskscreen.services.audit_words`)."""
        self._admin()
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
        found = self.session.list_users()
        return ({u.id: u.name for u in found},
                {u.name: u.display_name or u.name for u in found})

    def privileged_changes(self, limit: int = 50) -> list[AuditRow]:
        """Account changes that give access to screenings (manager or administrator accounts
        created, promoted, enabled, or a manager's passphrase reset), newest first, with who
        countersigned each: the audit viewer shows them first."""
        self._admin()
        sql = ("SELECT seq, at, user, action, object, detail FROM audit_log "
               "WHERE action IN ('account_create', 'account_role', 'account_enable', "
               "'account_passphrase_reset') "
               "AND CASE WHEN json_valid(detail) "
               "THEN json_type(detail, '$.countersigned_by') END IS NOT NULL "
               "ORDER BY seq DESC LIMIT :n")
        with self.session.context.transaction() as s:
            return [AuditRow(*r) for r in s.execute(text(sql), {"n": limit})]

    def audit_filter_choices(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(words, value) of the accounts and actions in the log, for the viewer's filters."""
        users, actions = self.audit_choices()
        _, accounts = self._names()
        return ([(describe_entry(0, "", u, "", "", "", {}, accounts).who, u) for u in users],
                sorted(((action_words(a), a) for a in actions), key=lambda p: p[0]))

    def audit_choices(self) -> tuple[list[str], list[str]]:
        """The users and actions that appear in the log (for the filters)."""
        self._admin()
        with self.session.context.transaction() as s:
            users = [r[0] for r in s.execute(text("SELECT DISTINCT user FROM audit_log "
                                                  "ORDER BY user"))]
            actions = [r[0] for r in s.execute(text("SELECT DISTINCT action FROM audit_log "
                                                    "ORDER BY action"))]
        return users, actions

    def verify_audit(self) -> ChainResult:
        """Check the hash chain of the whole log."""
        self._admin()
        with self.session.context.lock, self.session.engine.connect() as conn:
            count, head, problems = audit.verify_chain(conn)
        with self.session.context.transaction() as s:
            self.session.context.audit(s, "audit_verify", "audit_log", {"ok": not problems})
        return ChainResult(count, head, [f"entry {p.seq} {p.message}" for p in problems])

    # -- backups -------------------------------------------------------------------------------

    def backup(self, dest: Path, progress: Callable[[int, int], None] | None = None) -> Path:
        """An encrypted backup (with its key file); ``progress(step, 3)`` as it goes."""
        self._admin()
        if progress:
            progress(1, 3)
        path = self.session.backup(dest)
        if progress:
            progress(2, 3)
        problems = self.session.check_integrity()
        if progress:
            progress(3, 3)
        if problems:
            raise ServiceError("The backup was written, but the database failed its check: "
                               + problems[0])
        return path

    # -- settings ------------------------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        """Every setting."""
        self._admin()
        return read_settings(self.session)

    def save_settings(self, changes: dict[str, str]) -> None:
        """Store settings after checking them; the audit records which keys changed."""
        self._admin()
        unknown = [k for k in changes if k not in SETTING_KEYS]
        if unknown:
            raise ServiceError(f"Unknown setting '{unknown[0]}'.")
        if "idle_lock_minutes" in changes:
            check_idle_limit(changes["idle_lock_minutes"])
        if changes.get("logo_png_base64"):
            try:
                raw = base64.b64decode(changes["logo_png_base64"], validate=True)
            except ValueError:
                raise ServiceError("The logo is not a valid image.") from None
            if not raw.startswith(b"\x89PNG") or len(raw) > 1_000_000:
                raise ServiceError("The logo must be a PNG file of at most 1 MB.")
        if changes.get("routing_yaml"):
            self.check_routing(changes["routing_yaml"])
        with self.session.context.transaction() as s:
            for key, value in changes.items():
                s.merge(Meta(key=f"setting.{key}", value=value))
            self.session.context.audit(s, "settings", "database", {"changed": sorted(changes)})

    # -- routing contacts ------------------------------------------------------------------------

    def routing_data(self) -> dict[str, Any]:
        """The routing table in force (edited copy if any, else the shipped one) as data."""
        self._admin()
        stored = read_settings(self.session)["routing_yaml"]
        if stored:
            data: dict[str, Any] = load_yaml(stored, "routing (settings)").data
            return data
        from riskscreen.routing.loader import load_routing

        table = load_routing()
        shipped: dict[str, Any] = json.loads(
            table.model_dump_json(by_alias=True, exclude_none=True))
        return shipped

    def check_routing(self, text_: str) -> None:
        """Refuse routing YAML that the routing loader does not accept."""
        from riskscreen.routing.loader import parse_routing

        try:
            parse_routing(text_, "routing.yaml")
        except DefinitionError as error:
            raise ServiceError("The routing contacts are not valid: "
                               + "; ".join(p.format() for p in error.problems[:3])) from None

    def save_destinations(self, destinations: list[dict[str, Any]]) -> None:
        """Replace the routing contacts (destinations) and store the checked routing table."""
        data = copy.deepcopy(self.routing_data())
        # The exchange certificates are not edited as contacts: keep each destination's.
        certificates = {d.get("id"): d["exchange_certificate"]
                        for d in data.get("destinations", []) if d.get("exchange_certificate")}
        kept = []
        for d in destinations:
            d = dict(d)
            if "exchange_certificate" not in d and d.get("id") in certificates:
                d["exchange_certificate"] = certificates[d.get("id")]
            kept.append(d)
        data["destinations"] = kept
        data.setdefault("kind", "routing")
        self.save_settings({"routing_yaml": dump_yaml(data)})

    def set_destination_certificate(self, destination_id: str, pem: str | None) -> None:
        """Name (or, with None, remove) the exchange certificate of one routing destination;
        an expired or malformed certificate is refused by the routing checks."""
        data = copy.deepcopy(self.routing_data())
        destinations = data.get("destinations", [])
        found = [d for d in destinations if d.get("id") == destination_id]
        if not found:
            ids = ", ".join(str(d.get("id")) for d in destinations)
            raise ServiceError(f"There is no destination {destination_id!r} in the routing; "
                               f"choose one of {ids}.")
        if pem is None:
            found[0].pop("exchange_certificate", None)
        else:
            found[0]["exchange_certificate"] = pem
        data.setdefault("kind", "routing")
        self.save_settings({"routing_yaml": dump_yaml(data)})
