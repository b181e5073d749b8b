"""Where a database lives: an encrypted file on this computer, or a team's PostgreSQL server.

``--db`` (and ``RISKSCREEN_DB``) take either a path or a ``postgresql://`` URL. Everything that
differs between the two backends is decided here, in one place:

- **SQLite (SQLCipher)**: the data key encrypts every page; PRAGMAs, file locks, backups by
  file copy and the key file belong to this backend (:mod:`riskscreen.store.db`).
- **PostgreSQL (psycopg 3)**: no data key; the server's encryption at rest and TLS take over.
  A connection over TCP requires TLS with ``sslmode=verify-full`` unless ``verify-ca`` is asked
  for (nothing weaker is accepted); a Unix-socket connection on the same machine
  (``postgresql:///DB?host=/socket/dir``) needs none. The database password is never in the
  URL, a file or a log: it comes from the operating system's keyring (``keyring``) or is asked
  for. Write transactions that append to the audit log take one advisory lock, so the hash
  chain stays linear when several clients write at once.

DB-API statements in RiskScreen are written in SQLite's ``?`` style; on the server they are
passed to psycopg in its ``%s`` style (:class:`_PortableCursor`), and SQLite's
``BEGIN IMMEDIATE`` (take the write lock first) becomes the same advisory lock.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, exc, text
from sqlalchemy.engine import URL, make_url

from riskscreen.store.db import StorageError, server_module_types

__all__ = [
    "AUDIT_LOCK",
    "KEYRING_SERVICE",
    "ServerLocation",
    "ServerRefused",
    "check_tls_settings",
    "classify_server_error",
    "follow_written_ids",
    "forget_password",
    "is_server_url",
    "parse_location",
    "password_for",
    "remember_password",
    "serialise_writers",
    "server_engine",
    "stored_password",
    "translate_server_errors",
]

#: The advisory lock key every audit append on a server takes (``pg_advisory_xact_lock``).
AUDIT_LOCK = 0x52534155  # "RSAU"
#: The keyring service under which database passwords are kept.
KEYRING_SERVICE = "riskscreen-team-server"
_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_STRONG_SSL = ("verify-full", "verify-ca")


def is_server_url(value: str | os.PathLike[str]) -> bool:
    """Whether a ``--db`` value names a PostgreSQL server rather than a file."""
    return isinstance(value, str) and value.startswith(_SCHEMES)


@dataclass(frozen=True)
class ServerLocation:
    """A database on a PostgreSQL server, as given by a ``postgresql://`` URL."""

    url: URL

    @property
    def socket_dir(self) -> str | None:
        """The Unix-socket folder the URL names (``?host=/dir``), or None for TCP."""
        host = self.url.query.get("host")
        if isinstance(host, tuple):
            host = host[0]
        if host and str(host).startswith("/"):
            return str(host)
        return None

    @property
    def uses_socket(self) -> bool:
        """A connection on this machine through a Unix socket (no TLS needed)."""
        return self.socket_dir is not None

    @property
    def database(self) -> str:
        """The database name."""
        return self.url.database or ""

    @property
    def user(self) -> str:
        """The database account (the URL's, else the operating-system user's, as libpq)."""
        if self.url.username:
            return self.url.username
        import getpass

        return getpass.getuser()

    def display(self) -> str:
        """The URL as it may be shown and logged (never with a password)."""
        return self.url.set(drivername="postgresql", password=None).render_as_string(
            hide_password=True)

    def keyring_name(self) -> str:
        """The keyring entry of this database's password: ``user@host:port/db``."""
        return f"{self.user}@{self.url.host or 'localhost'}:{self.url.port or 5432}/" \
               f"{self.database}"


def parse_location(value: str | os.PathLike[str]) -> Path | ServerLocation:
    """A ``--db`` value as a file path or a server location.

    :class:`StorageError` for a URL with a password in it (it would end up in shell history
    and process lists) or without a database name.
    """
    if not is_server_url(value):
        return Path(value).expanduser()
    try:
        url = make_url(str(value))
    except exc.ArgumentError:
        raise StorageError("That database URL cannot be read; write it as "
                           "postgresql://HOST/DATABASE.") from None
    if url.password is not None:
        raise StorageError("Leave the password out of the database URL: RiskScreen asks "
                           "for it, or takes it from the keyring ('riskscreen server "
                           "password --db URL' stores it there).")
    if not url.database:
        raise StorageError("The database URL names no database; write it as "
                           "postgresql://HOST/DATABASE.")
    return ServerLocation(url.set(drivername="postgresql+psycopg"))


# -- passwords --------------------------------------------------------------------------------


def stored_password(location: ServerLocation) -> str | None:
    """The password kept in the operating system's keyring for ``location`` (None if none,
    or if this computer has no keyring)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, location.keyring_name())
    except KeyringError:
        return None


def remember_password(location: ServerLocation, password: str) -> None:
    """Keep ``password`` in the operating system's keyring; :class:`StorageError` if this
    computer has none (the password is then asked for at each start)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, location.keyring_name(), password)
    except KeyringError:
        raise StorageError("This computer has no keyring to keep the password in, so "
                           "RiskScreen will ask for it each time.") from None


def forget_password(location: ServerLocation) -> None:
    """Remove the password kept for ``location`` (nothing if there is none)."""
    import keyring
    from keyring.errors import KeyringError

    with contextlib.suppress(KeyringError):
        keyring.delete_password(KEYRING_SERVICE, location.keyring_name())


# -- engines ----------------------------------------------------------------------------------


def _tls_arguments(location: ServerLocation, ca_file: Path | None) -> dict[str, str]:
    if location.uses_socket:
        return {}
    query = location.url.query
    mode = str(query.get("sslmode", "verify-full"))
    if mode not in _STRONG_SSL:
        raise StorageError(f"sslmode={mode} is refused: a connection to a team server over "
                           "the network must be encrypted and check the server's "
                           "certificate (sslmode=verify-full, or verify-ca).")
    ca = ca_file or (Path(str(query["sslrootcert"])) if "sslrootcert" in query else None)
    if ca is None and os.environ.get("RISKSCREEN_DB_CA"):
        ca = Path(os.environ["RISKSCREEN_DB_CA"])
    arguments = {"sslmode": mode}
    if ca is not None:
        if not ca.expanduser().is_file():
            raise StorageError(f"The server's certificate authority file {ca} does not "
                               "exist; give the CA certificate your IT department supplies "
                               "(--db-ca or RISKSCREEN_DB_CA).")
        arguments["sslrootcert"] = str(ca.expanduser())
    return arguments


def check_tls_settings(location: ServerLocation, ca_file: Path | None = None) -> None:
    """:class:`StorageError` when the TLS settings would be refused (a weak ``sslmode``, a
    certificate authority file that is not there), before any connection or password."""
    _tls_arguments(location, ca_file)


def server_engine(location: ServerLocation, password: str | None = None, *,
                  ca_file: Path | None = None, pool_size: int = 2) -> Engine:
    """A SQLAlchemy engine on the server database at ``location`` (TLS as the module says).

    Connections run in READ COMMITTED with RiskScreen's statement style (see the module).
    """
    arguments: dict[str, Any] = {**_tls_arguments(location, ca_file),
                                 "cursor_factory": _portable_cursor(),
                                 "application_name": "riskscreen"}
    if password is not None:
        arguments["password"] = password
    url = location.url.difference_update_query(["sslmode", "sslrootcert"])
    return create_engine(url, connect_args=arguments, pool_size=pool_size, max_overflow=4,
                         pool_pre_ping=True)


def serialise_writers(connection: Connection) -> None:
    """On a server, wait for (and hold until commit) the lock that orders audit appends;
    nothing on SQLite, whose write transactions already start with the write lock."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK})


def follow_written_ids(connection: Connection, *tables: str) -> None:
    """After rows were written with their ids given (bulk loads), make the server's id
    sequences of ``tables`` continue past the largest id, so the next ordinary insert does
    not collide; nothing on SQLite, whose new rowids already follow the largest."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our own table names
            f"coalesce(max(id), 0) + 1, false) FROM {table}"))


@functools.cache
def _portable_cursor() -> type[Any]:
    """The cursor class of server connections, made when the first server engine is (psycopg
    loads then, not with this module)."""
    import psycopg

    class _PortableCursor(psycopg.Cursor[Any]):
        """A psycopg cursor that also runs RiskScreen's SQLite-style statements."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            if isinstance(query, str):
                statement = query.strip().upper()
                if statement == "BEGIN IMMEDIATE":
                    return super().execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK,))
                if statement == "COMMIT":
                    self.connection.commit()
                    return self
                if statement == "ROLLBACK":
                    self.connection.rollback()
                    return self
                if "?" in query and "%" not in query:
                    query = query.replace("?", "%s")
            return super().execute(query, params, **kwargs)

        def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
            if isinstance(query, str) and "?" in query and "%" not in query:
                query = query.replace("?", "%s")
            super().executemany(query, params_seq, **kwargs)

    return _PortableCursor


# -- errors -----------------------------------------------------------------------------------


class ServerRefused(StorageError):  # noqa: N818 - the domain's name for it
    """The server refused the database account's sign-in (a wrong or missing password, or
    an account it does not know): the password is asked for again, never a passphrase."""


#: How libpq words a refused sign-in when the connection fails before any SQL state exists.
_REFUSED_WORDS = ("password authentication failed", "no password supplied",
                  "authentication failed", "role \"", "no pg_hba.conf entry")
#: How libpq words a failed check of the server's certificate (or a missing CA file).
_CERTIFICATE_WORDS = ("certificate", "ssl", "tls")


def classify_server_error(error: BaseException) -> StorageError | None:
    """The storage error a psycopg error means (None if it is not one), without the
    password or any stored value in its message."""
    orig = error.orig if isinstance(error, exc.DBAPIError) else error
    if not isinstance(orig, server_module_types("Error")):
        return None
    import psycopg  # loaded: orig is one of its errors

    state = getattr(orig, "sqlstate", None) or ""
    if state in ("40001", "40P01", "55P03"):
        return StorageError("The team database was busy with another person's change, so "
                            "this one was NOT saved. Try again.")
    if state == "53100":
        return StorageError("The team database server's disk is full, so the last change "
                            "was NOT saved. Ask your IT department to free space.")
    first = (str(orig).strip().splitlines() or [""])[0]
    # After "connection to server at ... failed:" comes what libpq says went wrong.
    said = first.rsplit("failed:", 1)[-1].strip().removeprefix("FATAL:").strip()
    lowered = said.lower()
    if state.startswith("28") or (isinstance(orig, psycopg.OperationalError) and any(
            words in lowered for words in _REFUSED_WORDS)):
        return ServerRefused("The team database server refused the database account's "
                             "password: type it again, or ask your IT department for the "
                             "right one (the command line keeps it with 'riskscreen server "
                             "password --db URL').")
    if isinstance(orig, psycopg.OperationalError):
        if any(words in lowered for words in _CERTIFICATE_WORDS):
            return StorageError(f"The team database server's certificate could not be "
                                f"checked ({said[:160]}): use the certificate authority file "
                                "your IT department supplies (--db-ca or RISKSCREEN_DB_CA).")
        return StorageError(f"The team database server could not be reached ({said[:160]}). "
                            "Check the address and your network, then try again.")
    return None


@contextlib.contextmanager
def translate_server_errors() -> Iterator[None]:
    """Turn psycopg errors raised inside the block into :class:`StorageError`."""
    try:
        yield
    except Exception as error:
        storage = classify_server_error(error)
        if storage is None:
            raise
        raise storage from None


def password_for(location: ServerLocation,
                 ask: Callable[[str], str] | None = None) -> str | None:
    """The database password for ``location``: none over a Unix socket, else the keyring's,
    else what ``ask`` (given a prompt) returns; None when neither has one."""
    if location.uses_socket:
        return None
    found = stored_password(location)
    if found is not None:
        return found
    if ask is None:
        return None
    return ask(f"Password of the database account {location.keyring_name()}: ")
