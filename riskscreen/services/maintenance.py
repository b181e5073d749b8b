"""Looking after the database: backups (manual and automatic) and the integrity check.

Backups are encrypted copies with the key file beside them, made on a connection of their
own; each is recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from riskscreen.services.context import Context
from riskscreen.services.errors import ServiceError
from riskscreen.services.types import Role
from riskscreen.store.backup import auto_backup, backup_database, check_database
from riskscreen.store.db import translate_errors

__all__ = ["Maintenance"]


class Maintenance:
    """Backups and the integrity check of one signed-in session's database."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

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
            raise ServiceError("A team server's database is backed up by its IT department "
                               "(pg_dump or pgBackRest; see docs/it/team-server.md), not by "
                               "RiskScreen.")

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
