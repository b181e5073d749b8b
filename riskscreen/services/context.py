"""The unit of work every manager of a signed-in session shares.

A :class:`Context` is one unlocked database and the account using it. Managers (one per
use-case area: ``session.accounts``, ``session.children``, ...) are built on it and use only
its public members; :class:`~riskscreen.services.session.Session` composes them.

Every change is one short transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``) that also appends
its audit entry, so the audit chain and the data never disagree. A manager's use case reads::

    self._ctx.require(Role.MANAGER)
    with self._ctx.transaction() as s:
        ...                                  # SQLAlchemy work on ``s``
        self._ctx.audit(s, "action", "object:1", {"detail": 1})
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.pool import Pool

from riskscreen.crypto.keyfile import KeyFile, KeyFileError
from riskscreen.crypto.keys import new_data_key
from riskscreen.crypto.signins import PassphraseGate, load_unaudited, settle_failed
from riskscreen.forms.identity import StoredFormMismatch, form_sha256
from riskscreen.forms.model import FormDefinition
from riskscreen.services.errors import (
    AccountDisabled,
    KeyChanged,
    NotFound,
    PermissionDenied,
    ServiceError,
    SessionClosed,
)
from riskscreen.services.passphrases import KeyFileSlots, PassphraseStore
from riskscreen.services.types import UserInfo
from riskscreen.store import audit
from riskscreen.store import forms as stored_forms
from riskscreen.store.db import (
    SNAPSHOT_READ,
    DatabaseDamaged,
    StorageError,
    WrongKey,
    create_db_engine,
    open_with_any,
    rekey_database,
    translate_errors,
)
from riskscreen.store.lock import OpenLock
from riskscreen.store.models import FormRow, InstrumentRow, Screening, utc_now

__all__ = ["Context", "DatabaseReplaced", "absorb_failed", "instrument_form_version",
           "stored_form"]

_log = logging.getLogger(__name__)


class DatabaseReplaced(StorageError):  # noqa: N818 - a domain name the GUI shows
    """The database file was replaced (a restore?) while this session had it open."""

    def __init__(self) -> None:
        super().__init__(
            "The database was replaced while you were signed in (a backup was restored?), so "
            "this change was NOT saved. Sign in again to carry on.")


def instrument_form_version(s: OrmSession, instrument_id: str) -> str:
    """The form version new screenings of an installed instrument use; :class:`NotFound`
    if it is not installed or not in force."""
    found = s.execute(select(FormRow.version).join(
        InstrumentRow, InstrumentRow.form_sha256 == FormRow.sha256).where(
        InstrumentRow.id == instrument_id, InstrumentRow.in_force.is_(True))).scalar()
    if found is None:
        raise NotFound(f"The instrument '{instrument_id}' is not installed or not in use in "
                       "this database; a manager can install it.")
    return str(found)


def stored_form(s: OrmSession, form_id: str, version: str) -> FormDefinition:
    """A form version from the database, checked against its hash; :class:`NotFound` if
    it was never installed, :class:`ServiceError` if its stored text was altered."""
    conn = s.connection()
    sha = stored_forms.stored_form_sha(conn, form_id, version)
    try:
        form = stored_forms.read_form(conn, sha) if sha is not None else None
    except StoredFormMismatch:
        raise ServiceError(f"The stored form {form_id} {version} does not match its recorded "
                           "hash; the database may have been altered. Run 'riskscreen "
                           "verify'.") from None
    if form is None:
        raise NotFound(f"Form '{form_id}' version {version} is not installed in this "
                       "database; a manager can install its instrument.")
    return form


class Context:
    """One unlocked database and the account using it, shared by every manager.

    Public surface (all a manager needs):

    - :attr:`user`: the signed-in account, its role as last read from the database.
    - :meth:`transaction`: one unit of work; re-reads the account first, so a disabled
      account can do nothing and a changed role counts at once. :meth:`raw_transaction`:
      the same on a DB-API cursor, for the autosave.
    - :meth:`require`: refuse (:class:`PermissionDenied`) unless the account's *current* role
      is one of those given.
    - :meth:`audit`: append an audit entry inside the caller's transaction
      (:meth:`audit_raw` in a :meth:`raw_transaction`).
    - :meth:`form` / :meth:`screening_form` / :meth:`cached_form`: a stored form version
      (cached).
    - :meth:`stream`: rows of one read-only query on a connection of its own (bulk reads).
    - :meth:`check_secret` / :meth:`passphrase_opens`: check a secret through the
      passphrase gate (failures audited and slowed down); :attr:`passphrases` sets them
      (the key file's slots, or a team server's verifiers).
    - :attr:`on_server`: whether the database is a team server's (no data key, no files).
    - :attr:`engine`, :attr:`data_key`, :attr:`lock`, :meth:`check_same_file`: for
      whole-database work (verify, backups); hold :attr:`lock` while using the engine.
    - :meth:`rotate_key`, :meth:`record_audit_head`, :meth:`close`: key change and lifecycle.
    """

    def __init__(self, engine: Engine, key: bytes, db_path: Path, key_path: Path,
                 user: UserInfo, *, open_lock: OpenLock | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 passphrases: PassphraseStore | None = None) -> None:
        self._engine = engine
        self._key = key
        self.db_path = db_path
        self.key_path = key_path
        self.user = user
        self._forms: dict[tuple[str, str], FormDefinition] = {}
        self._lock = threading.RLock()
        self._closed = False
        self._open_lock = open_lock
        self._replaced = False
        # The autosave's connection, kept between saves on a file (checking one out of the
        # pool and resetting it cost as much as the save's own statements); never on a
        # server, whose idle connections the pool checks before use.
        # Kept with the pool it came from: after ``engine.dispose()`` (a new pool) it is
        # given back and a new one taken, as the pool's idle connections are.
        self._writer: tuple[Any, Pool] | None = None
        self.file_identity = file_identity(db_path)
        self._database_id = self._read_database_id()
        # Whether this thread is inside a transaction (where self.user was just re-read).
        self._local = threading.local()
        self._gate = PassphraseGate(db_path, sleep=sleep)
        try:
            self._generation: int | None = KeyFile.load(key_path).generation
        except KeyFileError:
            self._generation = None
        #: Where passphrases are set and checked: the key file, or a server's verifiers.
        self.passphrases: PassphraseStore = passphrases or KeyFileSlots(
            key_path, lambda: self._key, lambda keyfile: keyfile.new_slot_params(self.user.name))

    # -- what managers use ---------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The engine (whole-database work, the store's own tools and tests)."""
        return self._engine

    @property
    def on_server(self) -> bool:
        """Whether the database is a team server's (PostgreSQL: no data key, no files)."""
        return self._engine.dialect.name != "sqlite"

    @property
    def data_key(self) -> bytes:
        """The database's data key (backups, the recovery-key check); empty once closed."""
        return self._key

    @property
    def lock(self) -> threading.RLock:
        """The lock every transaction holds; hold it for work on :attr:`engine` directly."""
        return self._lock

    @property
    def closed(self) -> bool:
        """Whether the session has ended (locked, signed out, or its database replaced)."""
        return self._closed

    @contextlib.contextmanager
    def _open(self) -> Iterator[None]:
        """Around each use of the database: refuse a closed session, and say
        :class:`KeyChanged` when the database cannot be read because another session changed
        its key."""
        if self._closed:
            raise SessionClosed("this session has been closed; unlock again")
        try:
            yield
        except (DatabaseDamaged, WrongKey):
            if self._key_changed():
                raise KeyChanged() from None
            raise

    @contextlib.contextmanager
    def transaction(self) -> Iterator[OrmSession]:
        """One transaction, which first re-reads the account: a disabled account can do
        nothing, and a changed role counts at once."""
        with self._open(), self._lock, translate_errors(), OrmSession(self._engine) as s, \
                s.begin():
            raw = s.connection().connection.dbapi_connection
            assert raw is not None
            self._begin_checks(raw.cursor())
            self._local.in_tx = True
            try:
                yield s
            finally:
                self._local.in_tx = False

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[OrmSession]:
        """A read-only transaction on a pooled connection of its own, for long reads: it does
        not take the session's lock, so writes and other reads need not wait for it, and every
        statement in it sees the same state (SQLite: a deferred ``BEGIN`` in WAL mode;
        PostgreSQL: ``REPEATABLE READ, READ ONLY``). The same checks as :meth:`transaction`
        first; nothing written in it is kept."""
        options: dict[str, Any] = (
            {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            if self.on_server else {SNAPSHOT_READ: True})
        with self._open(), translate_errors(), self._engine.connect() as conn:
            conn.execution_options(**options)
            with conn.begin() as tx, OrmSession(conn) as s:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                self._begin_checks(raw.cursor())
                outer = getattr(self._local, "in_tx", False)
                self._local.in_tx = True
                try:
                    yield s
                finally:
                    self._local.in_tx = outer
                    tx.rollback()

    @contextlib.contextmanager
    def raw_transaction(self) -> Iterator[Any]:
        """:meth:`transaction` on a DB-API cursor, for the autosave: the same lock, checks
        and ``BEGIN IMMEDIATE`` ... ``COMMIT``, without the ORM's own work, which was most
        of the time of a save."""
        with self._open(), self._lock, translate_errors():
            # Taken out while in use: a nested call gets a pooled connection of its own.
            held, self._writer = self._writer, None
            if held is not None and held[1] is not self._engine.pool:
                held[0].close()
                held = None
            pool = self._engine.pool
            raw = self._engine.raw_connection() if held is None else held[0]
            try:
                cursor = raw.cursor()
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    self._begin_checks(cursor)
                    self._local.in_tx = True
                    try:
                        yield cursor
                    finally:
                        self._local.in_tx = False
                    cursor.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(Exception):
                        cursor.execute("ROLLBACK")
                    raise
            except BaseException:
                raw.close()  # back to the pool, which resets it (or drops it if broken)
                raise
            if self.on_server or self._writer is not None:
                raw.close()
            else:
                self._writer = (raw, pool)

    def _begin_checks(self, cursor: Any) -> None:
        """At the start of a write transaction: the same file and database, and the
        account's current role (:class:`DatabaseReplaced`, :class:`AccountDisabled`).

        Checked once the write lock is held (BEGIN IMMEDIATE): a file replaced before this
        point is noticed, and nothing can replace it before the commit without that lock.
        """
        self.check_same_file()
        row = cursor.execute(
            "SELECT m.value, u.role, u.disabled FROM meta m LEFT JOIN users u ON u.id = ? "
            "WHERE m.key = 'database_id'", (self.user.id,)).fetchone()
        if row is None or row[0] != self._database_id:
            self._replaced = True
            raise DatabaseReplaced()
        self._apply_current(None if row[1] is None else (row[1], bool(row[2])))

    def require(self, *roles: str) -> None:
        """Check the account's *current* role and state, read again from the database (inside
        a transaction, :meth:`transaction` has just read them)."""
        if not getattr(self._local, "in_tx", False):
            with self._open(), self._lock, translate_errors():
                raw = self._engine.raw_connection()
                try:
                    row = raw.cursor().execute(
                        "SELECT role, disabled FROM users WHERE id = ?",
                        (self.user.id,)).fetchone()
                finally:
                    raw.close()
            self._apply_current(row)
        if self.user.role not in roles:
            wanted = " or ".join(roles)
            raise PermissionDenied(f"This needs the {wanted} role; your account is a "
                                   f"{self.user.role}.")

    def audit(self, s: OrmSession, action: str, obj: str,
              detail: Mapping[str, Any] | None = None) -> None:
        """Append an audit entry by the signed-in account inside transaction ``s``."""
        audit.append(s, self.user.name, action, obj, detail)

    def audit_raw(self, cursor: Any, action: str, obj: str,
                  detail: Mapping[str, Any] | None = None) -> None:
        """:meth:`audit` inside a :meth:`raw_transaction`, on its cursor."""
        audit.append_raw(cursor, self.user.name, action, obj, detail)

    def form(self, form_id: str, version: str) -> FormDefinition:
        """A stored form version (cached), as every screening made under it uses it; outside
        a transaction (it opens its own)."""
        found = self._forms.get((form_id, version))
        if found is None:
            with self.transaction() as s:
                found = self._forms[(form_id, version)] = stored_form(s, form_id, version)
        return found

    def cached_form(self, form_id: str, version: str) -> FormDefinition | None:
        """A form version already read (None if not yet: read it with :meth:`form`)."""
        return self._forms.get((form_id, version))

    def screening_form(self, s: OrmSession, screening: Screening) -> FormDefinition:
        """The form a screening was made under, within transaction ``s``: the stored version
        its hash names (cached)."""
        found = self._forms.get((screening.form_id, screening.form_version))
        if found is None:
            found = stored_form(s, screening.form_id, screening.form_version)
            if screening.form_sha256 is not None and form_sha256(found) != screening.form_sha256:
                raise ServiceError("This screening's form is not the one stored under its "
                                   "version; run 'riskscreen verify'.")
            self._forms[(screening.form_id, screening.form_version)] = found
        return found

    def check_same_file(self) -> None:
        """:class:`DatabaseReplaced` if the database path is no longer the file opened."""
        if self._replaced or file_identity(self.db_path) != self.file_identity:
            self._replaced = True
            raise DatabaseReplaced()

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows of one read-only query, fetched in chunks on a pooled connection of its own
        (autocommit: the statement is its own read transaction, no ``BEGIN IMMEDIATE``)."""
        if self._closed:
            raise SessionClosed("this session has been closed; unlock again")
        self.check_same_file()
        with translate_errors():
            raw = self._engine.raw_connection()
        try:
            with translate_errors():
                cursor = raw.cursor()
                cursor.execute(sql, tuple(params))
                while True:
                    with translate_errors():
                        rows = cursor.fetchmany(2000)
                    if not rows:
                        break
                    yield from rows
                cursor.close()
        finally:
            raw.close()

    # -- secrets -------------------------------------------------------------------------------

    def passphrase_opens(self, name: str, passphrase: str, check: str) -> bool:
        """Whether ``passphrase`` opens ``name``'s slot, through the passphrase gate
        (``check`` names what it is for in the audit log)."""
        return self.check_secret(name, check,
                                 lambda: self.passphrases.opens(name, passphrase))

    def check_secret(self, name: str, check: str, attempt: Callable[[], bool]) -> bool:
        """Run one check of a secret through the passphrase gate; True if it was right.

        One check at a time on this computer; a failure is audited at once (action
        ``passphrase_failed``, with the check and the name typed), counted beside the key file
        and followed by the growing delay for that name. A success forgets that name's
        failures, after moving any not yet audited into the log.
        """
        with self._gate.checking():
            if not attempt():
                at = utc_now()
                with self.transaction() as s:
                    self.audit(s, "passphrase_failed", "user:?",
                               {"check": check, "account": name[:100], "at": at})
                self._gate.failed(name, check, at, audited=True)
                return False
            self._settle_failures(name)
            return True

    def _settle_failures(self, name: str) -> None:
        """Move failed checks not yet audited into the log; forget those against ``name``."""
        with self.transaction() as s:
            absorb_failed(s, self._gate)
        try:
            settle_failed(self._gate.path, name)
        except OSError as error:
            _log.warning("The record of failed sign-ins could not be updated (%s).",
                         error.strerror)

    def rotate_key(self, drop: str | None = None) -> tuple[str | None, list[str]]:
        """Move the database to a new data key, removing account ``drop``'s slot first;
        returns (new recovery key or None, accounts whose old-format slots could not follow
        and need a passphrase reset).

        Crash-safe in three steps: (1) the key file gets the new key sealed *beside* the old
        one in every slot; (2) the database is re-keyed in one transaction; (3) the key file
        keeps only the new key. Killed after (1) or (2), the next sign-in tries both keys and
        completes the key file if the re-key was committed. On a team server, which has no
        data key, nothing changes here (the disabled account's verifier is removed instead).
        """
        if self.on_server:  # no data key: the account's verifier goes instead
            return None, []
        with self._lock:
            keyfile = KeyFile.load(self.key_path)
            if keyfile.rotating:  # a change that never reached the database
                keyfile.abandon_rotation()
            if drop is not None:
                keyfile.remove_account(drop)
            new_key = new_data_key()
            recovery, stale = keyfile.begin_rotation(self._key, new_key)
            keyfile.save(self.key_path)
            self._release_writer()
            self._engine.dispose()
            try:
                rekey_database(self.db_path, self._key, new_key)
            finally:
                key = open_with_any(self.db_path, [new_key, self._key])
                if key == new_key:
                    keyfile.finish_rotation()
                    keyfile.save(self.key_path)
                self._key = key
                self._engine = create_db_engine(self.db_path, key)
                self._generation = keyfile.generation
            return recovery, stale

    # -- lifecycle -----------------------------------------------------------------------------

    def record_audit_head(self, *, force: bool = False) -> None:
        """Write the audit log's head outside the database (see :mod:`riskscreen.store.audit`).

        Never fails: a database or file problem is logged (without content) and ignored.
        Uses a pooled connection in autocommit mode, so it takes no write lock.
        """
        try:
            if self._replaced or file_identity(self.db_path) != self.file_identity:
                return
            with self._lock, translate_errors():
                raw = self._engine.raw_connection()
                try:
                    audit.record_head(raw.driver_connection, self.db_path, force=force)
                finally:
                    raw.close()
        except (StorageError, OSError) as error:
            _log.warning("The audit head could not be recorded (%s).",
                         type(error).__name__)

    def close(self) -> None:
        """Record the audit head beside the database, forget the key, close every connection."""
        if not self._closed and not self._replaced:
            self.record_audit_head()
        self._closed = True
        with self._lock:
            self._release_writer()
        self._engine.dispose()
        self._key = b""
        if self._open_lock is not None:
            self._open_lock.release()
            self._open_lock = None

    def close_for_restore(self) -> OpenLock | None:
        """Take the exclusive open lock, then close, handing the lock to the caller.

        :class:`DatabaseInUse` (the session stays open) while another session has the
        database open.
        """
        lock = self._open_lock
        if lock is not None:
            lock.upgrade()
        self._open_lock = None
        self.close()
        return lock

    # -- internals -----------------------------------------------------------------------------

    def _release_writer(self) -> None:
        """Give the autosave's connection back to the pool (before the engine is disposed)."""
        held, self._writer = self._writer, None
        if held is not None:
            with contextlib.suppress(Exception):
                held[0].close()

    def _read_database_id(self) -> str | None:
        with translate_errors():
            raw = self._engine.raw_connection()
            try:
                row = raw.cursor().execute(
                    "SELECT value FROM meta WHERE key='database_id'").fetchone()
            finally:
                raw.close()
        return None if row is None else str(row[0])

    def _apply_current(self, row: Any) -> None:
        """Take the account's current role; :class:`AccountDisabled` if it is gone."""
        if row is None or row[1]:
            raise AccountDisabled()
        if row[0] != self.user.role:
            self.user = replace(self.user, role=row[0])

    def _key_changed(self) -> bool:
        """Whether the key file moved to another data key since this session opened."""
        try:
            return KeyFile.load(self.key_path).generation != self._generation
        except KeyFileError:
            return False


def absorb_failed(s: OrmSession, gate: PassphraseGate) -> None:
    """Append the failed checks recorded beside the key file (and not yet audited) to the
    audit log; the caller marks them audited after the commit."""
    recorded, dropped = load_unaudited(gate.path)
    if dropped:
        audit.append(s, "?", "login_failed", "database", {"count": dropped})
    for name, at, check in [*recorded, *gate.pending]:
        if check == "sign-in":
            audit.append(s, name, "login_failed", "database", {"at": at})
        else:
            audit.append(s, name, "passphrase_failed", "database", {"at": at, "check": check})
    gate.pending.clear()


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of a file, which a rename onto its path changes; None if it is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
