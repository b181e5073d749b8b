"""A team's shared database on PostgreSQL: creating it, upgrading it, signing in to it.

The same services run on it as on a laptop's encrypted file; what differs is said once, here
and in :mod:`riskscreen.store.backend`: no data key (the server's encryption at rest and TLS
take over), passphrases checked against the server's verifiers instead of the key file, no
backups by file copy (the IT department's pg_dump or pgBackRest), and a schema upgraded by an
administrator with ``riskscreen server migrate`` (a client never migrates a shared database
while others use it). The files a laptop keeps beside its database (the record of failed
sign-ins, the audit head last seen) are kept per server in this user's state folder, so each
client also notices if the newest audit entries it saw have gone from the server.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from platformdirs import user_state_dir
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.crypto.keys import KdfParams, tune_kdf
from riskscreen.crypto.signins import PassphraseGate, settle_failed
from riskscreen.scoring.model import ScoringModel
from riskscreen.services.accounts import check_new_passphrase
from riskscreen.services.context import absorb_failed
from riskscreen.services.errors import AccountError, ServiceError, WrongPassphrase
from riskscreen.services.passphrases import ServerVerifiers
from riskscreen.services.rows import user_info
from riskscreen.services.session import Session
from riskscreen.services.types import Role
from riskscreen.store import audit
from riskscreen.store.backend import ServerLocation, server_engine
from riskscreen.store.db import translate_errors
from riskscreen.store.models import Meta, User, utc_now
from riskscreen.store.schema import current_revision, head_revision, upgrade

__all__ = ["ServerUnlocker", "create_server_database", "migrate_server", "state_path"]

_log = logging.getLogger(__name__)


def state_path(location: ServerLocation, state_dir: Path | None = None) -> Path:
    """The path this client's files for ``location`` are named after (it never exists
    itself): ``<state>/servers/<hash of the URL>/team.db``."""
    folder = Path(state_dir or user_state_dir("riskscreen", appauthor=False)) / "servers"
    digest = hashlib.sha256(location.display().encode("utf-8")).hexdigest()[:16]
    path = folder / digest / "team.db"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _engine(location: ServerLocation, password: str | None, ca_file: Path | None) -> Engine:
    return server_engine(location, password, ca_file=ca_file)


def create_server_database(location: ServerLocation, admin_name: str, passphrase: str, *,
                           password: str | None = None, ca_file: Path | None = None,
                           kdf: KdfParams | None = None, display_name: str = "",
                           models: Sequence[ScoringModel] | None = None,
                           state_dir: Path | None = None) -> Session:
    """Make the schema (every migration) in an empty server database and its first
    administrator; returns the administrator's session. There is no recovery key: a lost
    administrator passphrase is reset by another administrator, or by the IT department.
    """
    from riskscreen.services.vault import publish_shipped

    check_new_passphrase(passphrase)
    if not admin_name.strip() or any(ch.isspace() for ch in admin_name):
        raise AccountError("An account name is 1 to 100 characters without spaces.")
    engine = _engine(location, password, ca_file)
    try:
        with translate_errors(), engine.connect() as conn:
            found = current_revision(conn)
        if found is not None:
            raise ServiceError(f"{location.display()} already holds a RiskScreen database; "
                               "to upgrade it use 'riskscreen server migrate'.")
        upgrade(engine)
        verifiers = ServerVerifiers(engine, kdf or tune_kdf())
        with translate_errors(), OrmSession(engine) as s, s.begin():
            s.add(Meta(key="database_id", value=uuid.uuid4().hex))
            admin = User(name=admin_name, display_name=display_name,
                         role=Role.ADMINISTRATOR, disabled=False)
            s.add(admin)
            s.flush()
            verifiers.set(s, admin_name, passphrase)
            audit.append(s, admin_name, "database_create", "database", {"server": True})
            audit.append(s, admin_name, "account_create", f"user:{admin.id}",
                         {"role": Role.ADMINISTRATOR})
            info = user_info(admin)
    except BaseException:
        engine.dispose()
        raise
    path = state_path(location, state_dir)
    session = Session(engine, b"", path, path.with_name("no.keys.json"), info,
                      passphrases=verifiers)
    publish_shipped(session, models)
    return session


def migrate_server(location: ServerLocation, *, password: str | None = None,
                   ca_file: Path | None = None) -> tuple[str | None, str]:
    """Upgrade a server database to this release's schema, in one transaction; returns
    (revision before, revision now). Run it with every client signed out (see the IT
    document), after a pg_dump."""
    engine = _engine(location, password, ca_file)
    try:
        with translate_errors(), engine.connect() as conn:
            before = current_revision(conn)
        if before is None:
            raise ServiceError(f"{location.display()} holds no RiskScreen database yet; "
                               "create it with 'riskscreen server init'.")
        upgrade(engine)
        if before != head_revision():
            with translate_errors(), OrmSession(engine) as s, s.begin():
                audit.append(s, "?", "database_upgrade", "database",
                             {"from": before, "to": head_revision(), "at": utc_now()})
        return before, head_revision()
    finally:
        engine.dispose()


class ServerUnlocker:
    """Signs in to a team server's database, with the same growing delay after each wrong
    passphrase as on a laptop (recorded in this client's state folder, and audited on the
    server at the next sign-in)."""

    #: A team server's database (the command line words a few things differently).
    on_server = True

    def __init__(self, location: ServerLocation, *, password: str | None = None,
                 ca_file: Path | None = None, sleep: Callable[[float], None] = time.sleep,
                 state_dir: Path | None = None) -> None:
        self.location = location
        self._password = password
        self._ca_file = ca_file
        self._sleep = sleep
        self.db_path = state_path(location, state_dir)
        self._gate = PassphraseGate(self.db_path, sleep=sleep)

    def delay(self, user: str) -> float:
        """Seconds the next wrong attempt for ``user`` will wait."""
        return self._gate.delay(user)

    def unlock(self, user: str, passphrase: str) -> Session:
        """A session for ``user``; :class:`WrongPassphrase` (after the delay) if wrong."""
        engine = _engine(self.location, self._password, self._ca_file)
        try:
            return self._unlock(engine, user, passphrase)
        except BaseException:
            engine.dispose()
            raise

    def check(self) -> None:
        """Connect once and check the database is this release's, so that a wrong database
        password, a certificate that does not verify or a server that is down is said
        before anyone types their own passphrase (:class:`StorageError`,
        :class:`ServiceError`)."""
        engine = _engine(self.location, self._password, self._ca_file)
        try:
            self._check_schema(engine)
        finally:
            engine.dispose()

    def _check_schema(self, engine: Engine) -> None:
        with translate_errors(), engine.connect() as conn:
            revision = current_revision(conn)
        if revision is None:
            raise ServiceError(f"{self.location.display()} holds no RiskScreen database; an "
                               "administrator creates it with 'riskscreen server init'.")
        if revision != head_revision():
            raise ServiceError("The team database's schema is not this release's; an "
                               "administrator upgrades it with 'riskscreen server migrate' "
                               "(or install the release the server runs).")

    def _unlock(self, engine: Engine, user: str, passphrase: str) -> Session:
        self._check_schema(engine)
        verifiers = ServerVerifiers(engine)
        with self._gate.checking():
            with translate_errors():
                right = verifiers.opens(user, passphrase)
            if not right:
                raise WrongPassphrase(self._gate.failed(user, "sign-in", utc_now()))
            with translate_errors(), OrmSession(engine) as s, s.begin():
                row = s.scalar(select(User).where(User.name == user))
                if row is None or row.disabled:
                    raise WrongPassphrase(self._gate.failed(user, "sign-in", utc_now()))
                absorb_failed(s, self._gate)
                audit.append(s, user, "login", f"user:{row.id}")
                info = user_info(row)
            try:
                settle_failed(self._gate.path, user)
            except OSError as error:
                _log.warning("The record of failed sign-ins could not be updated (%s).",
                             error.strerror)
        return Session(engine, b"", self.db_path, self.db_path.with_name("no.keys.json"),
                       info, sleep=self._sleep, passphrases=verifiers)
