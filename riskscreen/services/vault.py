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

from riskscreen.crypto.keyfile import KeyFile, KeyFileError, key_file_path
from riskscreen.crypto.keys import (
    KdfParams,
    UnwrapError,
    data_key_from_recovery,
    new_data_key,
    recovery_key_for,
    tune_kdf,
)
from riskscreen.crypto.signins import (
    clear_failed,
    failed_signins_path,
    load_failed,
    record_failed,
)
from riskscreen.scoring.model import ScoringModel
from riskscreen.services.errors import (
    AccountError,
    PermissionDenied,
    ServiceError,
    WrongPassphrase,
)
from riskscreen.services.session import (
    FormLoader,
    Scorer,
    Session,
    _check_passphrase,
    _user_info,
    default_form_loader,
    default_scorer,
)
from riskscreen.store import audit
from riskscreen.store.backup import (
    backup_database,
    check_database,
    list_backups,
    open_read_only,
    replace_database,
)
from riskscreen.store.db import (
    StorageError,
    WrongKey,
    create_db_engine,
    translate_errors,
)
from riskscreen.store.models import Meta, Role, User
from riskscreen.store.schema import current_revision, head_revision, upgrade

__all__ = [
    "Unlocker",
    "create_database",
    "default_db_path",
    "newest_backup",
    "open_with_recovery",
    "restore_backup",
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


def _open_engine(db_path: Path, key: bytes, keyfile: KeyFile | None) -> Any:
    """Engine on an existing database, migrated (with a backup first) and matched to its key
    file."""
    engine = create_db_engine(db_path, key)
    try:
        with translate_errors(), engine.connect() as conn:
            revision = current_revision(conn)
        if revision is not None and revision != head_revision():
            # The backup runs on a connection outside any transaction: a source connection
            # holding a write transaction would make the backup API wait for ever.
            with translate_errors(), engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                stamp = time.strftime("%Y%m%dT%H%M%S")
                folder = db_path.parent / "backups"
                backup_database(raw, key, folder / f"before-upgrade-{revision}-{stamp}.db",
                                key_file_path(db_path))
        upgrade(engine)
        if keyfile is not None:
            with translate_errors(), engine.connect() as conn:
                stored = conn.execute(text("SELECT value FROM meta WHERE key='database_id'"))
                found = stored.scalar()
            if found != keyfile.database_id:
                raise WrongKey()
    except BaseException:
        engine.dispose()
        raise
    return engine


def create_database(db_path: Path, admin_name: str, passphrase: str, *,
                    display_name: str = "", kdf: KdfParams | None = None,
                    models: Sequence[ScoringModel] | None = None,
                    scorer: Scorer = default_scorer,
                    form_loader: FormLoader = default_form_loader) -> tuple[Session, str]:
    """A new encrypted database with its administrator; returns (session, recovery key).

    The key file is written before the database, so the database never exists without a
    way to open it. ``kdf`` defaults to parameters tuned on this machine (0.3 to 0.5 s).
    """
    db_path = db_path.expanduser().resolve()
    keys = key_file_path(db_path)
    if db_path.exists() or keys.exists():
        raise ServiceError(f"{db_path} (or its key file) already exists; choose another "
                           "place or remove the old database first.")
    _check_passphrase(passphrase)
    if not admin_name.strip() or any(ch.isspace() for ch in admin_name):
        raise AccountError("An account name is 1 to 100 characters without spaces.")
    db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data_key = new_data_key()
    keyfile = KeyFile(database_id=uuid.uuid4().hex)
    keyfile.set_passphrase(admin_name, passphrase, data_key, kdf or tune_kdf())
    keyfile.save(keys)
    # Only the owner may read the file; SQLite gives -wal and -shm the same mode.
    os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
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
        info = _user_info(admin)
    session = Session(engine, data_key, db_path, keys, info, scorer=scorer,
                      form_loader=form_loader)
    with session._tx() as s:
        for model in (shipped_models() if models is None else models):
            session._publish(s, model, info.id, source="shipped")
    return session, recovery_key_for(data_key)


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
                 scorer: Scorer = default_scorer,
                 form_loader: FormLoader = default_form_loader,
                 auto_backups: bool = True) -> None:
        self.db_path = (db_path or default_db_path()).expanduser().resolve()
        self.key_path = key_file_path(self.db_path)
        self.signins_path = failed_signins_path(self.db_path)
        self._pending: list[tuple[str, str]] = []  # attempts the side file could not take
        self._sleep = sleep
        self._scorer = scorer
        self._form_loader = form_loader
        self._auto_backups = auto_backups

    @property
    def failures(self) -> int:
        """Wrong attempts since the last successful unlock (in any process)."""
        attempts, dropped = load_failed(self.signins_path)
        return len(attempts) + dropped + len(self._pending)

    def delay(self) -> float:
        """Seconds the next wrong attempt will wait: 0, 1, 2, 4 ... at most 30."""
        failures = self.failures
        return 0.0 if failures == 0 else float(min(30, 2 ** (failures - 1)))

    def _fail(self, user: str) -> WrongPassphrase:
        from riskscreen.store.models import utc_now

        wait = self.delay()
        try:
            record_failed(self.signins_path, user, utc_now())
        except OSError as error:
            _log.warning("A failed sign-in could not be recorded beside the key file (%s); "
                         "it is kept in memory.", error.strerror)
            self._pending.append((user[:100], utc_now()))
        if wait:
            self._sleep(wait)
        return WrongPassphrase(wait)

    def _check_exists(self) -> None:
        if not self.db_path.exists():
            raise ServiceError(f"There is no RiskScreen database at {self.db_path}. Create "
                               "one with 'riskscreen init', or choose another with --db.")

    def unlock(self, user: str, passphrase: str) -> Session:
        """A session for ``user``; :class:`WrongPassphrase` (after the delay) if wrong."""
        self._check_exists()
        KeyFile.repair(self.key_path)
        keyfile = KeyFile.load(self.key_path)
        try:
            key = keyfile.unlock(user, passphrase)
        except UnwrapError:
            raise self._fail(user) from None
        return self._session(key, keyfile, user, "login")

    def check_file(self, user: str, passphrase: str) -> list[str]:
        """Page and structure problems of the database file, without signing in or writing.

        For ``riskscreen verify`` and the app's damage dialog: it works on a database too
        damaged to sign in to. Any account may run it; it reveals no content.
        """
        self._check_exists()
        keyfile = KeyFile.load(self.key_path)
        try:
            key = keyfile.unlock(user, passphrase)
        except UnwrapError:
            raise self._fail(user) from None
        return check_database(self.db_path, key)

    def _session(self, key: bytes, keyfile: KeyFile | None, user: str,
                 action: str) -> Session:
        engine = _open_engine(self.db_path, key, keyfile)
        try:
            with translate_errors(), OrmSession(engine) as s, s.begin():
                row = s.scalar(select(User).where(User.name == user))
                if row is None or row.disabled:
                    raise self._fail(user)
                recorded, dropped = load_failed(self.signins_path)
                if dropped:
                    audit.append(s, "?", "login_failed", "database", {"count": dropped})
                for name, at in [*recorded, *self._pending]:
                    audit.append(s, name, "login_failed", "database", {"at": at})
                audit.append(s, user, action, f"user:{row.id}")
                info = _user_info(row)
            # After the commit: a crash in between records the attempts twice, never loses them.
            self._pending.clear()
            try:
                clear_failed(self.signins_path)
            except OSError as error:
                _log.warning("The record of failed sign-ins could not be cleared (%s).",
                             error.strerror)
        except BaseException:
            engine.dispose()
            raise
        session = Session(engine, key, self.db_path, self.key_path, info,
                          scorer=self._scorer, form_loader=self._form_loader)
        if self._auto_backups:
            try:
                session.automatic_backup()
            except BaseException:
                session.close()
                raise
        return session

    def unlock_with_recovery(self, recovery_key: str, user: str, new_passphrase: str,
                             kdf: KdfParams | None = None) -> Session:
        """Open with the recovery key and give ``user`` a new passphrase.

        Works even when both copies of the key file are lost: a new key file is written.
        """
        self._check_exists()
        _check_passphrase(new_passphrase)
        try:
            key = data_key_from_recovery(recovery_key)
        except ValueError as error:
            raise self._fail(user) from error
        try:
            with open_read_only(self.db_path, key):
                pass
        except WrongKey:
            raise self._fail(user) from None
        engine = _open_engine(self.db_path, key, None)
        try:
            with translate_errors(), engine.connect() as conn:
                database_id = str(conn.execute(
                    text("SELECT value FROM meta WHERE key='database_id'")).scalar())
                found = conn.execute(text("SELECT disabled FROM users WHERE name = :n"),
                                     {"n": user}).first()
            if found is None or found[0]:
                raise AccountError("There is no active account with that name.")
        finally:
            engine.dispose()
        try:
            keyfile = KeyFile.load(self.key_path)
        except KeyFileError:
            keyfile = KeyFile(database_id=database_id)
        params = (kdf or next((s.kdf for s in keyfile.accounts.values()), None)
                  or tune_kdf())
        keyfile.set_passphrase(user, new_passphrase, key, params)
        keyfile.save(self.key_path)
        return self._session(key, keyfile, user, "login_recovery_key")


def open_with_recovery(db_path: Path, recovery_key: str, user: str,
                       new_passphrase: str) -> Session:
    """Shorthand for :meth:`Unlocker.unlock_with_recovery`."""
    return Unlocker(db_path).unlock_with_recovery(recovery_key, user, new_passphrase)


def newest_backup(db_path: Path) -> Path | None:
    """The newest automatic backup of a database (what the app offers after damage)."""
    found = list_backups(db_path.expanduser().resolve())
    return found[0] if found else None


def restore_backup(db_path: Path, source: Path, user: str, passphrase: str) -> Path | None:
    """Replace the database with a checked backup (administrators of the backup only).

    The passphrase is checked against the current key file, or the backup's when the
    current one is lost. The current database is kept aside (its path is returned).
    """
    db_path = db_path.expanduser().resolve()
    source = source.expanduser().resolve()
    if not source.exists():
        raise ServiceError(f"There is no backup at {source}.")
    keys = key_file_path(db_path)
    candidates = [keys, key_file_path(source)]
    key: bytes | None = None
    keyfile: KeyFile | None = None
    for candidate in candidates:
        try:
            keyfile = KeyFile.load(candidate)
            key = keyfile.unlock(user, passphrase)
            break
        except (KeyFileError, UnwrapError):
            continue
    if key is None or keyfile is None:
        raise WrongPassphrase()
    try:
        with translate_errors(), open_read_only(source, key) as probe:
            row = probe.execute("SELECT role, disabled FROM users WHERE name = ?",
                                (user,)).fetchone()
            stored_id = probe.execute(
                "SELECT value FROM meta WHERE key='database_id'").fetchone()
    except WrongKey:
        raise StorageError("That backup belongs to another database.") from None
    if row is None or row[1] or row[0] != Role.ADMINISTRATOR:
        raise PermissionDenied("Restoring a backup needs an administrator account.")
    if stored_id is None or stored_id[0] != keyfile.database_id:
        raise StorageError("That backup belongs to another database.")
    aside = replace_database(db_path, source, key)
    if not keys.exists():
        with contextlib.suppress(KeyFileError):
            KeyFile.load(key_file_path(source)).save(keys)
    engine = _open_engine(db_path, key, keyfile)
    try:
        with translate_errors(), OrmSession(engine) as s, s.begin():
            audit.append(s, user, "restore", "database", {"backup": source.name})
        # The restored log is legitimately behind the head recorded before: start afresh.
        with translate_errors():
            raw = engine.raw_connection()
            try:
                audit.record_head(raw.driver_connection, db_path, force=True)
            except OSError as error:
                _log.warning("The audit head could not be recorded (%s).", error.strerror)
            finally:
                raw.close()
    finally:
        engine.dispose()
    return aside
