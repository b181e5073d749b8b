"""Creating, unlocking and restoring the encrypted database.

``create_database`` makes the data key, the key file (administrator's wrapping) and the
database, imports the shipped scoring models and returns the recovery key, to be shown once.
:class:`Unlocker` turns an account name and passphrase into a :class:`Session`, waiting longer
after each wrong passphrase (and doing nothing else: no lock-out, no wipe).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlalchemy import select, text
from sqlalchemy.orm import Session as OrmSession

from riskscreen.crypto.keyfile import KeyFile, KeyFileError, backup_path, key_file_path
from riskscreen.crypto.keys import (
    KdfParams,
    UnwrapError,
    WeakKdfError,
    data_key_from_recovery,
    new_data_key,
    tune_kdf,
)
from riskscreen.crypto.signins import (
    RECOVERY_KEY,
    PassphraseGate,
    failed_signins_path,
    load_unaudited,
    settle_failed,
)
from riskscreen.scoring.model import ScoringModel
from riskscreen.services.accounts import check_new_passphrase
from riskscreen.services.context import absorb_failed
from riskscreen.services.errors import (
    AccountError,
    PermissionDenied,
    ServiceError,
    WrongPassphrase,
    WrongRecoveryKey,
)
from riskscreen.services.rows import user_info
from riskscreen.services.session import Session
from riskscreen.services.types import Role
from riskscreen.store import audit
from riskscreen.store.backup import (
    COMPACT_PENDING,
    backup_database,
    check_database,
    clean_leftovers,
    compact_database,
    list_backups,
    open_read_only,
    replace_database,
)
from riskscreen.store.db import (
    DatabaseDamaged,
    ReadOnlyDatabase,
    StorageError,
    WrongKey,
    create_db_engine,
    open_with_any,
    rekey_database,
    translate_errors,
)
from riskscreen.store.lock import DatabaseInUse, OpenLock
from riskscreen.store.models import Meta, User
from riskscreen.store.schema import current_revision, head_revision, upgrade

__all__ = [
    "Unlocker",
    "create_database",
    "default_db_path",
    "newest_backup",
    "open_with_recovery",
    "publish_shipped",
    "recovery_data_key",
    "restore_backup",
    "settle_rotation",
    "shipped_models",
]

DB_FILENAME = "riskscreen.db"
_log = logging.getLogger(__name__)


def default_db_path() -> Path:
    """``$RISKSCREEN_DB`` if set, else ``riskscreen.db`` in the user's data folder."""
    env = os.environ.get("RISKSCREEN_DB")
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir("riskscreen", appauthor=False)) / DB_FILENAME


def shipped_models() -> list[ScoringModel]:
    """Every scoring model version shipped with RiskScreen."""
    from riskscreen.scoring.loader import load_model, shipped_model_ids, shipped_model_versions

    return [load_model(f"{mid}@{v}") for mid in shipped_model_ids()
            for v in shipped_model_versions(mid)]


def hold_open_lock(db_path: Path) -> OpenLock:
    """The shared lock every session holds (see :mod:`riskscreen.store.lock`).

    Whoever finds no other session open first removes what killed backups, restores and
    key-file writes left behind.
    """
    try:
        lock = OpenLock(db_path, exclusive=True)
    except DatabaseInUse:
        return OpenLock(db_path, exclusive=False, wait=10)
    try:
        if lock.held:
            for path in clean_leftovers(db_path):
                _log.info("Removed %s, left by an interrupted backup or write.", path.name)
        lock.downgrade()
    except BaseException:
        lock.release()
        raise
    return lock


def _open_engine(db_path: Path, key: bytes, keyfile: KeyFile | None,
                 open_lock: OpenLock | None = None) -> Any:
    """Engine on an existing database, migrated (with a backup first), compacted if an
    upgrade asked for it and ``open_lock`` can be made exclusive, and matched to its key
    file."""
    engine = create_db_engine(db_path, key)
    try:
        with translate_errors(), engine.connect() as conn:
            revision = current_revision(conn)
        head = head_revision()
        if revision is not None and revision != head:
            # The backup runs on a connection outside any transaction: a source connection
            # holding a write transaction would make the backup API wait for ever.
            with translate_errors(), engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                stamp = time.strftime("%Y%m%dT%H%M%S")
                folder = db_path.parent / "backups"
                backup_database(raw, key, folder / f"before-upgrade-{revision}-{stamp}.db",
                                key_file_path(db_path))
        if revision != head:  # up to date: no migration environment to run at each sign-in
            upgrade(engine)
        if keyfile is not None:
            with translate_errors(), engine.connect() as conn:
                stored = conn.execute(text("SELECT value FROM meta WHERE key='database_id'"))
                found = stored.scalar()
            if found != keyfile.database_id:
                raise WrongKey()
        if open_lock is not None:
            engine = _compact_if_pending(db_path, key, engine, open_lock)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _compact_if_pending(db_path: Path, key: bytes, engine: Any, open_lock: OpenLock) -> Any:
    """The engine, on a compacted file if an upgrade asked for it (``COMPACT_PENDING``) and
    no other session has the database open; otherwise left for a later sign-in. A failure
    to compact is logged and leaves the database as it was."""
    with translate_errors(), engine.connect() as conn:
        pending = conn.execute(text("SELECT value FROM meta WHERE key = :k"),
                               {"k": COMPACT_PENDING}).scalar()
    if pending is None:
        return engine
    try:
        open_lock.upgrade()
    except DatabaseInUse:
        return engine
    try:
        engine.dispose()
        try:
            before, after = compact_database(db_path, key)
        except StorageError as error:
            _log.warning("The database could not be compacted after its upgrade (%s).",
                         type(error).__name__)
            return create_db_engine(db_path, key)
        _log.info("Compacted the database after its upgrade: %d to %d bytes.", before, after)
        engine = create_db_engine(db_path, key)
        with translate_errors(), engine.begin() as conn:
            conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": COMPACT_PENDING})
        return engine
    finally:
        open_lock.downgrade()


def create_database(db_path: Path, admin_name: str, passphrase: str, *,
                    display_name: str = "", kdf: KdfParams | None = None,
                    models: Sequence[ScoringModel] | None = None) -> tuple[Session, str]:
    """A new encrypted database with its administrator; returns (session, recovery key).

    The key file is written before the database, so the database never exists without a
    way to open it. ``kdf`` defaults to parameters tuned on this machine (0.3 to 0.5 s).
    """
    db_path = db_path.expanduser().resolve()
    keys = key_file_path(db_path)
    if db_path.exists() or keys.exists():
        raise ServiceError(f"{db_path} (or its key file) already exists; choose another "
                           "place or remove the old database first.")
    check_new_passphrase(passphrase)
    if not admin_name.strip() or any(ch.isspace() for ch in admin_name):
        raise AccountError("An account name is 1 to 100 characters without spaces.")
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise _cannot_create(db_path, error) from None
    open_lock = hold_open_lock(db_path)
    try:
        return _create(db_path, keys, admin_name, passphrase, display_name, kdf, models,
                       open_lock)
    except BaseException:
        open_lock.release()
        raise


def _cannot_create(db_path: Path, error: OSError) -> StorageError:
    return StorageError(f"The database cannot be created in {db_path.parent} "
                        f"({error.strerror or error}). Choose a folder you can write to, "
                        "with --db.")


def _create(db_path: Path, keys: Path, admin_name: str, passphrase: str, display_name: str,
            kdf: KdfParams | None, models: Sequence[ScoringModel] | None,
            open_lock: OpenLock) -> tuple[Session, str]:
    data_key = new_data_key()
    keyfile = KeyFile(database_id=uuid.uuid4().hex)
    try:
        keyfile.set_passphrase(admin_name, passphrase, data_key, kdf or tune_kdf())
    except WeakKdfError:
        raise ServiceError("Those key derivation settings are weaker than RiskScreen accepts "
                           "(at least 19 MiB of memory and 2 passes); leave them to be tuned "
                           "on this machine.") from None
    recovery_key = keyfile.new_recovery(data_key)
    try:
        keyfile.save(keys)
        # Only the owner may read the file; SQLite gives -wal and -shm the same mode.
        os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise _cannot_create(db_path, error) from None
    engine = create_db_engine(db_path, data_key)
    upgrade(engine)
    with translate_errors(), OrmSession(engine) as s, s.begin():
        s.add(Meta(key="database_id", value=keyfile.database_id))
        admin = User(name=admin_name, display_name=display_name, role=Role.ADMINISTRATOR,
                     disabled=False)
        s.add(admin)
        s.flush()
        audit.append(s, admin_name, "database_create", "database")
        audit.append(s, admin_name, "account_create", f"user:{admin.id}",
                     {"role": Role.ADMINISTRATOR})
        info = user_info(admin)
    session = Session(engine, data_key, db_path, keys, info, open_lock=open_lock)
    publish_shipped(session, models)
    return session, recovery_key


def publish_shipped(session: Session, models: Sequence[ScoringModel] | None = None) -> None:
    """Publish the shipped scoring models (or ``models``) in a new database, by its first
    administrator, in one transaction."""
    session.models.import_shipped(shipped_models() if models is None else models)


class Unlocker:
    """Unlocks one database, with a delay growing after each wrong passphrase.

    Failed attempts (account name and time) are written to a checksummed side file beside
    the key file (:mod:`riskscreen.crypto.signins`), so the delay survives a restart, and
    moved into the audit log at the next successful unlock (the log is inside the encrypted
    database, which a failed attempt cannot open). Where that file cannot be written they
    are kept in memory instead.
    """

    def __init__(self, db_path: Path | None = None, *,
                 sleep: Callable[[float], None] = time.sleep,
                 auto_backups: bool = True) -> None:
        self.db_path = (db_path or default_db_path()).expanduser().resolve()
        self.key_path = key_file_path(self.db_path)
        self.signins_path = failed_signins_path(self.db_path)
        self._gate = PassphraseGate(self.db_path, sleep=sleep)
        self._sleep = sleep
        self._auto_backups = auto_backups

    @property
    def failures(self) -> int:
        """Failed checks not yet in the audit log (in any process, against any name)."""
        attempts, dropped = load_unaudited(self.signins_path)
        return len(attempts) + dropped + len(self._gate.pending)

    def delay(self, user: str) -> float:
        """Seconds the next wrong attempt for ``user`` will wait: 0, 1, 2, 4 ... at most 30."""
        return self._gate.delay(user)

    def _fail(self, user: str, check: str = "sign-in") -> WrongPassphrase:
        from riskscreen.store.models import utc_now

        with self._gate.checking():
            return WrongPassphrase(self._gate.failed(user, check, utc_now()))

    def _check_exists(self) -> None:
        if self.db_path.is_dir():
            raise ServiceError(f"{self.db_path} is a folder, not a RiskScreen database. Give "
                               "the path of the database file with --db.")
        if not self.db_path.exists():
            raise ServiceError(f"There is no RiskScreen database at {self.db_path}. Create "
                               "one with 'riskscreen init', or choose another with --db.")
        if self.db_path.is_file() and self.db_path.stat().st_size == 0:
            # Opening it would write a new, empty schema into it.
            raise DatabaseDamaged("the file is empty (0 bytes)")

    def check_writable(self) -> None:
        """:class:`ReadOnlyDatabase` if the database or its folder cannot be written."""
        if not (os.access(self.db_path, os.W_OK) and os.access(self.db_path.parent, os.W_OK)):
            raise ReadOnlyDatabase()

    def unlock(self, user: str, passphrase: str) -> Session:
        """A session for ``user``; :class:`WrongPassphrase` (after the delay) if wrong."""
        self._check_exists()
        KeyFile.repair(self.key_path)
        keyfile = KeyFile.load(self.key_path)
        with self._gate.checking():
            try:
                opened = keyfile.open_slot(user, passphrase)
            except UnwrapError:
                raise self._fail(user) from None
            key = settle_rotation(self.db_path, self.key_path, keyfile, opened.candidates())
        session = self._session(key, keyfile, user, "login")
        if opened.legacy:  # a version-1 slot: give it a key pair, so key changes reach it
            try:
                keyfile.set_passphrase(user, passphrase, key, keyfile.new_slot_params(user))
                keyfile.save(self.key_path)
            except OSError as error:
                _log.warning("The key file could not be upgraded (%s).", error.strerror)
        return session

    def check_file(self, user: str, passphrase: str) -> list[str]:
        """Page and structure problems of the database file, without signing in or writing.

        For ``riskscreen verify`` and the app's damage dialog: it works on a database too
        damaged to sign in to. Any account may run it; it reveals no content.
        """
        self._check_exists()
        keyfile = KeyFile.load(self.key_path)
        with self._gate.checking():
            try:
                key = keyfile.unlock(user, passphrase)
            except UnwrapError:
                raise self._fail(user, "verify") from None
        return check_database(self.db_path, key)

    def _session(self, key: bytes, keyfile: KeyFile | None, user: str,
                 action: str, open_lock: OpenLock | None = None) -> Session:
        try:
            self.check_writable()
        except ReadOnlyDatabase:
            if open_lock is not None:
                open_lock.release()
            raise
        open_lock = open_lock or hold_open_lock(self.db_path)
        try:
            engine = _open_engine(self.db_path, key, keyfile, open_lock)
        except BaseException:
            open_lock.release()
            raise
        try:
            with self._gate.checking():  # the record of failures is read and rewritten
                with translate_errors(), OrmSession(engine) as s, s.begin():
                    row = s.scalar(select(User).where(User.name == user))
                    if row is None or row.disabled:
                        raise self._fail(user)
                    absorb_failed(s, self._gate)
                    audit.append(s, user, action, f"user:{row.id}")
                    info = user_info(row)
                # After the commit: a crash in between records the attempts twice, never
                # loses them.
                try:
                    settle_failed(self.signins_path, user)
                    if action == "login_recovery_key":
                        settle_failed(self.signins_path, RECOVERY_KEY)
                except OSError as error:
                    _log.warning("The record of failed sign-ins could not be updated (%s).",
                                 error.strerror)
        except BaseException:
            engine.dispose()
            open_lock.release()
            raise
        session = Session(engine, key, self.db_path, self.key_path, info,
                          open_lock=open_lock, sleep=self._sleep)
        if self._auto_backups:
            try:
                session.maintenance.automatic_backup()
            except BaseException:
                session.close()
                raise
        return session

    def unlock_with_recovery(self, recovery_key: str, user: str, new_passphrase: str,
                             kdf: KdfParams | None = None) -> Session:
        """Open with the recovery key and give ``user`` a new passphrase.

        Every other account keeps its slot. When both copies of the key file are lost, a new
        one is written, with the slots of active accounts taken from the newest key file kept
        beside a backup.
        """
        self._check_exists()
        check_new_passphrase(new_passphrase)
        with self._gate.checking():
            try:
                secret = data_key_from_recovery(recovery_key)
            except ValueError as error:
                self._fail(RECOVERY_KEY, "recovery key")
                raise WrongRecoveryKey(str(error)) from None
        open_lock = hold_open_lock(self.db_path)
        try:
            with self._gate.checking():
                try:
                    key = recovery_data_key(self.db_path, self.key_path, secret)
                    with open_read_only(self.db_path, key) as probe:
                        database_id = str(probe.execute(
                            "SELECT value FROM meta WHERE key='database_id'").fetchone()[0])
                        active = {str(r[0]) for r in probe.execute(
                            "SELECT name FROM users WHERE NOT disabled")}
                except WrongKey:
                    self._fail(RECOVERY_KEY, "recovery key")
                    raise WrongRecoveryKey("it is not the recovery key of this "
                                           "database") from None
            if user not in active:
                raise AccountError("There is no active account with that name.")
            try:
                keyfile = KeyFile.load(self.key_path)
            except KeyFileError:
                keyfile = self._salvaged_keyfile(database_id, active, secret, key)
            if keyfile.database_id != database_id:
                raise WrongKey()
            params = (kdf or (keyfile.new_slot_params(user) if keyfile.accounts else None)
                      or tune_kdf())
            keyfile.set_passphrase(user, new_passphrase, key, params)
            keyfile.save(self.key_path)
            return self._session(key, keyfile, user, "login_recovery_key", open_lock)
        except BaseException:
            open_lock.release()
            raise

    def _salvaged_keyfile(self, database_id: str, active: set[str], secret: bytes,
                          key: bytes) -> KeyFile:
        """A new key file holding the active accounts' slots (and the recovery slot) from the
        newest key file kept beside a backup of this database whose slots hold the current
        data key (none if there is none)."""
        keyfile = KeyFile(database_id=database_id)
        folders = (self.db_path.parent, self.db_path.parent / "backups")
        candidates = sorted(
            (p for folder in folders for p in folder.glob("*.keys.json")
             if p != self.key_path),
            key=lambda p: p.stat().st_mtime, reverse=True)
        for candidate in candidates:
            try:
                found = KeyFile.load(candidate)
            except KeyFileError:
                continue
            if found.database_id == database_id and key in found.recovery_keys(secret):
                found.abandon_rotation()
                keyfile = found.only(active)
                _log.warning("The key file was lost; account slots were taken from %s.",
                             candidate.name)
                break
        return keyfile


def settle_rotation(db_path: Path, key_path: Path, keyfile: KeyFile,
                    candidates: Sequence[bytes]) -> bytes:
    """The data key that opens the database, finishing a key change a crash interrupted.

    ``candidates`` are the current key and, while a change is pending, the next one. If the
    next one opens the database the re-key was committed, so the key file is completed; if
    only the current one does, the key file is left as it is (a change may be under way).
    """
    if not candidates:
        raise WrongKey()
    if not keyfile.rotating or len(candidates) == 1:
        return candidates[0]
    key = open_with_any(db_path, [candidates[-1], candidates[0]])
    if key == candidates[-1]:
        keyfile.finish_rotation()
        try:
            keyfile.save(key_path)
        except OSError as error:
            _log.warning("The key file could not be completed (%s).", error.strerror)
    return key


def recovery_data_key(db_path: Path, key_path: Path, secret: bytes) -> bytes:
    """The data key a recovery key opens, through the recovery slot of the key file or, if
    both of its copies are lost, of a key file kept beside a backup in the same folder tree
    (valid while the data key has not changed since that backup). For a database made
    before recovery slots (whose data key never changed) the secret is the data key itself.

    :class:`WrongKey` if it opens nothing.
    """
    try:
        keyfile: KeyFile | None = KeyFile.load(key_path)
    except KeyFileError:
        keyfile = None
    if keyfile is not None:
        candidates = keyfile.recovery_keys(secret)
        if len(candidates) > 1:
            return settle_rotation(db_path, key_path, keyfile, candidates)
    else:
        candidates = []
        copies = sorted((p for p in db_path.parent.glob("**/*.keys.json") if p != key_path),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        for copy in copies:
            with contextlib.suppress(KeyFileError):
                candidates += KeyFile.load(copy).recovery_keys(secret)
    return open_with_any(db_path, list(dict.fromkeys([*candidates, secret])))


def open_with_recovery(db_path: Path, recovery_key: str, user: str,
                       new_passphrase: str) -> Session:
    """Shorthand for :meth:`Unlocker.unlock_with_recovery`."""
    return Unlocker(db_path).unlock_with_recovery(recovery_key, user, new_passphrase)


def newest_backup(db_path: Path) -> Path | None:
    """The newest automatic backup of a database (what the app offers after damage)."""
    found = list_backups(db_path.expanduser().resolve())
    return found[0] if found else None


def restore_backup(db_path: Path, source: Path, user: str, passphrase: str, *,
                   session: Session | None = None) -> Path | None:
    """Replace the database with a checked backup; returns where the current one was put.

    Authorised by an administrator who is active in the *current* database, with the
    current key file (the backup's own accounts count only when the current database is
    missing or too damaged to read). Refused while any other window or process has the
    database open. ``session`` is the caller's own session on it: it stays open if the
    restore is refused, and is closed just before the file is replaced. The restore is
    audited in the restored database and in the audit head recorded beside it.
    """
    db_path = db_path.expanduser().resolve()
    source = source.expanduser().resolve()
    if not source.is_file():
        raise ServiceError(f"There is no backup at {source}.")
    if source == db_path:
        raise ServiceError("That is the database itself; choose a backup file.")
    if source.stat().st_size == 0:
        raise ServiceError(f"{source.name} is empty (0 bytes), so it is not a backup: the "
                           "copy was never completed. Choose another backup.")
    if session is not None and (session.db_path != db_path or session.user.name != user):
        raise ServiceError("Restore from the session of the account that restores.")
    open_lock = None if session is not None else OpenLock(db_path, exclusive=True)
    try:
        gate = PassphraseGate(db_path)
        with gate.checking():
            try:
                plan = _authorise_restore(db_path, source, user, passphrase)
            except WrongPassphrase:
                from riskscreen.store.models import utc_now

                raise WrongPassphrase(gate.failed(user, "restore", utc_now())) from None
        if session is not None:
            # A session made without the open lock hands none over: take it now.
            open_lock = session.close_for_restore() or OpenLock(db_path, exclusive=True)
        for path in clean_leftovers(db_path):
            _log.info("Removed %s, left by an interrupted backup or write.", path.name)
        return _replace(db_path, source, user, plan)
    finally:
        if open_lock is not None:
            open_lock.release()


class _RestorePlan:
    """What the checks before a restore found."""

    def __init__(self, key: bytes, keyfile: KeyFile, authorised_by: str,
                 previous: tuple[int, str] | None,
                 current: tuple[KeyFile, bytes] | None = None) -> None:
        self.key = key
        self.keyfile = keyfile
        self.authorised_by = authorised_by
        self.previous = previous
        # The current key file and key, when the backup was made under an older data key:
        # the restored copy is re-keyed to the current key, so every current slot opens it
        # (and no slot of an account disabled since comes back).
        self.current = current


def _unlock_key_file(path: Path, user: str, passphrase: str) -> tuple[KeyFile, bytes]:
    keyfile = KeyFile.load(path)
    try:
        return keyfile, keyfile.unlock(user, passphrase)
    except UnwrapError:
        raise WrongPassphrase() from None


def _active_administrator(conn: Any, user: str) -> bool:
    row = conn.execute("SELECT role, disabled FROM users WHERE name = ?", (user,)).fetchone()
    return row is not None and not row[1] and row[0] == Role.ADMINISTRATOR


def _authorise_restore(db_path: Path, source: Path, user: str,
                       passphrase: str) -> _RestorePlan:
    """The key and key file the restored database needs, once ``user`` is allowed."""
    keys = key_file_path(db_path)
    refused = PermissionDenied("Restoring a backup needs an administrator account that is "
                               "active in the current database.")
    current: tuple[KeyFile, bytes] | None = None
    if keys.exists() or backup_path(keys).exists():
        with contextlib.suppress(KeyFileError):
            current = _unlock_key_file(keys, user, passphrase)
    previous: tuple[int, str] | None = None
    readable = False
    if db_path.exists() and db_path.stat().st_size > 0:
        key = current[1] if current else _unlock_key_file(key_file_path(source), user,
                                                          passphrase)[1]
        try:
            with translate_errors(), open_read_only(db_path, key) as conn:
                if not _active_administrator(conn, user):
                    raise refused
                last = conn.execute(
                    "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
                previous = (int(last[0]), audit.hex_digest(last[1])) if last else None
                readable = True
        except DatabaseDamaged:
            readable = False
        except WrongKey:
            raise StorageError("The current database does not open with that key file; "
                               "check that the database and its key file belong together, "
                               "or sign in with the recovery key first.") from None
    backup_keys = key_file_path(source)
    if current is not None:
        keyfile, key = current
        try:
            with translate_errors(), open_read_only(source, key):
                pass
        except WrongKey:
            # Made before the data key changed: it opens with its own key file.
            keyfile, key = _unlock_key_file(backup_keys, user, passphrase)
    else:
        keyfile, key = _unlock_key_file(backup_keys, user, passphrase)
    problems = check_database(source, key)
    if problems:
        raise DatabaseDamaged("the backup failed its check: " + "; ".join(problems[:3]))
    try:
        with translate_errors(), open_read_only(source, key) as probe:
            stored_id = probe.execute(
                "SELECT value FROM meta WHERE key='database_id'").fetchone()
            backup_admin = _active_administrator(probe, user)
    except WrongKey:
        raise StorageError("That backup belongs to another database.") from None
    if stored_id is None or stored_id[0] != keyfile.database_id:
        raise StorageError("That backup belongs to another database.")
    if not readable and not backup_admin:
        raise refused
    older = current if current is not None and current[1] != key else None
    return _RestorePlan(key, keyfile, "current database" if readable else "backup", previous,
                        older)


def _replace(db_path: Path, source: Path, user: str, plan: _RestorePlan) -> Path | None:
    keys = key_file_path(db_path)
    if plan.current is not None:
        # Crash-safe like a key change: the current key file first gets the backup's key as
        # the pending one, so whichever key the file is under when a crash strikes, the next
        # sign-in opens it.
        current_file, current_key = plan.current
        current_file.abandon_rotation()
        current_file.begin_rotation(current_key, plan.key)
        current_file.save(keys)
    aside = replace_database(db_path, source, plan.key)
    if plan.current is not None:
        rekey_database(db_path, plan.key, current_key)
        current_file.abandon_rotation()
        current_file.save(keys)
        plan.key, plan.keyfile = current_key, current_file
    if aside is not None and keys.exists():
        # The set-aside database can still be opened, like any backup, with its key file.
        with contextlib.suppress(KeyFileError, OSError):
            KeyFile.load(keys).save(key_file_path(aside))
    with contextlib.suppress(KeyFileError):
        if not keys.exists() or KeyFile.load(keys).to_bytes() != plan.keyfile.to_bytes():
            plan.keyfile.save(keys)
    record = {"user": user, "backup": source.name,
              "set_aside": aside.name if aside is not None else None,
              "authorised_by": plan.authorised_by,
              "previous_seq": plan.previous[0] if plan.previous else None,
              "previous_hash": plan.previous[1] if plan.previous else None}
    engine = _open_engine(db_path, plan.key, plan.keyfile)
    try:
        with translate_errors(), OrmSession(engine) as s, s.begin():
            audit.append(s, user, "restore", "database", record)
        # The restored log is legitimately behind the head recorded before: start afresh,
        # keeping the record of every restore.
        with translate_errors():
            raw = engine.raw_connection()
            try:
                audit.record_head(raw.driver_connection, db_path, force=True, restore=record)
            except OSError as error:
                _log.warning("The audit head could not be recorded (%s).", error.strerror)
            finally:
                raw.close()
    finally:
        engine.dispose()
    return aside
