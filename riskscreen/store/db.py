"""Opening the encrypted database: SQLCipher 4 through ``sqlcipher3``, used by SQLAlchemy 2.

Every connection is keyed with the raw 256-bit data key (no key derivation per connection),
then checked (SQLCipher version, key right, file readable) and set up for durability: WAL,
``synchronous=FULL``, foreign keys on, temporary tables and indexes in memory only so that no
temporary file ever holds plaintext.

Errors from SQLite are turned into :class:`StorageError` subclasses with messages a user can
act on; none carries a key or any stored value.

With RiskScreen's own SQLCipher build (see packaging/sqlcipher/riskscreen_keep_wal.h) the WAL
file is kept, checkpointed, when the last connection closes, so the next session's commits
overwrite it instead of growing a new file (a cheaper sync, the same durability). Its size is
bounded by :data:`WAL_KEEP_LIMIT`. The kept frames are pages as SQLCipher wrote them,
encrypted and authenticated under the database's current key (a key change empties the file).
A kept -wal and -shm belong to their database: moving the database without them is safe (they
are checkpointed), putting another database file beside them is not, so restores move them
aside with the database.
"""

from __future__ import annotations

import contextlib
import functools
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import sqlcipher3
from packaging.version import InvalidVersion, Version
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.pool import QueuePool

__all__ = [
    "MIN_CIPHER_VERSION",
    "SNAPSHOT_READ",
    "WAL_KEEP_LIMIT",
    "DatabaseDamaged",
    "ReadOnlyDatabase",
    "StorageError",
    "StorageFull",
    "UnsupportedCipher",
    "WrongKey",
    "cipher_version",
    "classify",
    "connect_raw",
    "create_db_engine",
    "keeps_wal",
    "open_with_any",
    "rekey_database",
    "server_module_types",
    "translate_errors",
]

MIN_CIPHER_VERSION = (4, 0)
# The largest WAL file kept between sessions: what SQLite's automatic checkpoint lets a normal
# session reach (1000 frames of a 4 KiB page and its 24-byte header, about 4 MB), with room for
# the transaction that crossed it. A bigger one (an upgrade, an import) is cut to this at its
# next restart and emptied when the last connection closes, so it does not stay on disk.
WAL_KEEP_LIMIT = 4 * 1024 * 1024 + 256 * 1024
_KEEP_WAL_OPTION = "EXTRA_INIT=riskscreen_keep_wal_init"


def server_module_types(*names: str) -> tuple[type[Any], ...]:
    """psycopg's classes of these names once psycopg is loaded, else none: psycopg is
    imported only when a team server's engine is made, and until then no error or connection
    can be one of its (a process on a local file never loads the driver)."""
    module = sys.modules.get("psycopg")
    return tuple(getattr(module, name) for name in names) if module is not None else ()

# SQLite primary result codes we tell apart (https://sqlite.org/rescode.html).
_SQLITE_PERM = 3
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26


class StorageError(Exception):
    """Something went wrong with the database file; the message says what to do."""


class DatabaseDamaged(StorageError):  # noqa: N818 - a domain name the GUI shows
    """A page failed its authentication check or the structure is broken."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "The database is damaged: part of it failed its integrity check"
            + (f" ({detail})" if detail else "")
            + ". Nothing more was read or written. Restore the newest backup "
              "(riskscreen restore), and keep the damaged file for investigation.")


class WrongKey(StorageError):  # noqa: N818 - a domain name the GUI shows
    """The database does not open with this key (another database's key file?)."""

    def __init__(self) -> None:
        super().__init__(
            "The database could not be opened with its key file: the key file belongs to "
            "another database, or the database's first page is damaged. Check that the "
            "database and its .keys.json file belong together, or restore a backup.")


class StorageFull(StorageError):  # noqa: N818 - a domain name the GUI shows
    """The disk (or the database's size limit) is full; the change was not saved."""

    def __init__(self) -> None:
        super().__init__(
            "The disk is full, so the last change was NOT saved; everything saved before it "
            "is intact. Free some disk space and try again.")


class ReadOnlyDatabase(StorageError):  # noqa: N818 - a domain name the GUI shows
    """The database file or its folder cannot be written (a read-only disk, share or copy)."""

    def __init__(self) -> None:
        super().__init__(
            "The database, or the folder it is in, is read-only, so RiskScreen cannot open it "
            "for work (every sign-in and change is recorded in it). Copy the database with "
            "its .keys.json files to a folder you can write to, or ask for the folder's "
            "permissions to be fixed.")


class UnsupportedCipher(StorageError):  # noqa: N818 - a domain name the GUI shows
    """The SQLCipher library is older than version 4."""


def cipher_version(connection: Any) -> tuple[int, ...]:
    """SQLCipher's version as numbers, or ``()`` when the library is not SQLCipher."""
    row = connection.execute("PRAGMA cipher_version").fetchone()
    if not row or not row[0]:
        return ()
    try:
        return Version(str(row[0]).split()[0]).release
    except (InvalidVersion, IndexError):
        return ()


def classify(error: BaseException) -> StorageError | None:
    """The storage error a DB-API error means, or None if it is not a storage problem."""
    orig = error.orig if isinstance(error, exc.DBAPIError) else error
    if isinstance(orig, StorageError):
        return orig
    if isinstance(orig, server_module_types("Error")):
        from riskscreen.store.backend import classify_server_error

        return classify_server_error(orig)
    if not isinstance(orig, sqlcipher3.dbapi2.Error):
        return None
    code = getattr(orig, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(orig).lower()
    if primary == _SQLITE_FULL or "disk is full" in text:
        return StorageFull()
    if primary == _SQLITE_NOTADB or "not a database" in text:
        return DatabaseDamaged("a page could not be decrypted")
    if primary == _SQLITE_CORRUPT or "malformed" in text:
        return DatabaseDamaged("the file structure is broken")
    if primary == _SQLITE_READONLY or "readonly database" in text:
        return ReadOnlyDatabase()
    if primary == _SQLITE_CANTOPEN:
        return StorageError("The database file could not be opened: check that it exists "
                            "and that it and its folder can be read and written.")
    if primary == _SQLITE_IOERR:
        return StorageError("The database file could not be read or written (input/output "
                            "error). Check the disk, then try again.")
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StorageError("The database is busy in another RiskScreen window or process. "
                            "Close it, then try again.")
    return None


def _raise_classified(error: BaseException) -> NoReturn:
    storage = classify(error)
    if storage is None:
        raise error
    raise storage from None


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Turn SQLite (and PostgreSQL) errors raised inside the block into
    :class:`StorageError`."""
    try:
        yield
    except (exc.DBAPIError, sqlcipher3.dbapi2.Error, *server_module_types("Error")) as error:
        _raise_classified(error)


@functools.cache
def keeps_wal() -> bool:
    """Whether this SQLCipher is RiskScreen's build that keeps the WAL file between sessions
    (the PyPI wheel deletes it when the last connection closes)."""
    conn = sqlcipher3.connect(":memory:")
    try:
        return any(row[0] == _KEEP_WAL_OPTION for row in conn.execute("PRAGMA compile_options"))
    finally:
        conn.close()


class _Connection(sqlcipher3.dbapi2.Connection):  # type: ignore[misc] # untyped module
    """A connection that, closing, keeps a WAL file of normal size for the next session.

    While open, ``journal_size_limit`` is :data:`WAL_KEEP_LIMIT` (SQLite cuts a bigger WAL
    to it when the log restarts). With a limit set, the last connection's close empties a kept
    WAL after its checkpoint; so a WAL within the limit is kept whole (limit -1) and a bigger
    one emptied.
    """

    #: The database whose WAL this connection's close may keep (None: no WAL to decide on).
    keeps_wal_of: str | None = None

    def close(self) -> None:
        path, self.keeps_wal_of = self.keeps_wal_of, None
        if path is not None:
            with contextlib.suppress(sqlcipher3.dbapi2.Error, OSError):
                if _wal_size(Path(path)) <= WAL_KEEP_LIMIT:
                    self.execute("PRAGMA journal_size_limit = -1")
        super().close()


def _wal_size(path: Path) -> int:
    try:
        return Path(f"{path}-wal").stat().st_size
    except FileNotFoundError:
        return 0


def connect_raw(path: Path, key: bytes, *, check_same_thread: bool = True,
                journal_wal: bool = True, read_only: bool = False) -> Any:
    """A keyed, checked ``sqlcipher3`` connection with RiskScreen's pragmas."""
    if len(key) != 32:
        raise ValueError("the data key must be 32 bytes")
    if read_only:
        conn = sqlcipher3.connect(f"{_uri(path)}?mode=ro", uri=True, timeout=30,
                                  check_same_thread=check_same_thread, isolation_level=None)
    else:
        conn = sqlcipher3.connect(str(path), timeout=30, check_same_thread=check_same_thread,
                                  isolation_level=None, factory=_Connection)
    try:
        # SQLCipher would otherwise log page-decryption failures to stderr.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        version = cipher_version(conn)
        if version < MIN_CIPHER_VERSION:
            found = ".".join(map(str, version)) or "none"
            raise UnsupportedCipher(
                f"RiskScreen needs SQLCipher 4 or later to encrypt its database; the installed "
                f"library is version {found}. Reinstall RiskScreen with its bundled sqlcipher3.")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.dbapi2.DatabaseError as error:
            code = getattr(error, "sqlite_errorcode", None)
            if code == _SQLITE_NOTADB:
                raise WrongKey() from None
            if read_only and code == _SQLITE_CANTOPEN and _no_pending_wal(path):
                # A read-only folder: SQLite cannot create the -shm file a WAL database
                # needs, and with no -wal to read the file alone is the whole database.
                conn.close()
                return _immutable(path, key, check_same_thread)
            _raise_classified(error)
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            if journal_wal:
                conn.execute("PRAGMA journal_mode = WAL")
                if keeps_wal():
                    conn.execute(f"PRAGMA journal_size_limit = {WAL_KEEP_LIMIT}")
                    conn.keeps_wal_of = str(path)
            conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        conn.close()
        raise
    return conn


def _uri(path: Path) -> str:
    return Path(path).resolve().as_uri()


def _no_pending_wal(path: Path) -> bool:
    """Whether the database file alone holds every commit: no -wal, an empty one, or a kept
    one whose every frame its -shm records as copied into the database."""
    wal = Path(f"{path}-wal")
    try:
        if wal.stat().st_size == 0:
            return True
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        return _wal_checkpointed(wal, Path(f"{path}-shm"))
    except OSError:  # no -shm among them: nothing says the frames were copied
        return False


# The WAL and wal-index layouts: https://sqlite.org/walformat.html and https://sqlite.org/fileformat2.html
_WAL_HEADER = 32
_FRAME_HEADER = 24
_SHM_HEADER = 48  # one copy of the wal-index header; two are kept, then the checkpoint info


def _wal_checkpointed(wal: Path, shm: Path) -> bool:
    """True only if the -shm says all ``mxFrame`` frames of this WAL (same salts) are copied
    into the database and the frame after them is not of this WAL (a commit not yet indexed).
    Anything unexpected answers False: the database then is not opened without its WAL."""
    with open(shm, "rb") as handle:
        index = handle.read(2 * _SHM_HEADER + 4)
    with open(wal, "rb") as handle:
        header = handle.read(_WAL_HEADER)
        if len(index) < 2 * _SHM_HEADER + 4 or len(header) < _WAL_HEADER:
            return False
        first, second = index[:_SHM_HEADER], index[_SHM_HEADER:2 * _SHM_HEADER]
        # isInit set, both copies equal (no write half done), this WAL's salts.
        if first != second or not first[12] or first[32:40] != header[16:24]:
            return False
        max_frame, = struct.unpack_from("=I", first, 16)
        backfilled, = struct.unpack_from("=I", index, 2 * _SHM_HEADER)
        if backfilled != max_frame:
            return False
        page_size, = struct.unpack_from(">I", header, 8)
        handle.seek(_WAL_HEADER + max_frame * (page_size + _FRAME_HEADER))
        after = handle.read(_FRAME_HEADER)
    return len(after) < _FRAME_HEADER or after[8:16] != header[16:24]


def _immutable(path: Path, key: bytes, check_same_thread: bool) -> Any:
    """A read-only connection that assumes nobody writes the file (no -shm needed)."""
    conn = sqlcipher3.connect(f"{_uri(path)}?mode=ro&immutable=1", uri=True, timeout=30,
                              check_same_thread=check_same_thread, isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.dbapi2.DatabaseError as error:
            if getattr(error, "sqlite_errorcode", None) == _SQLITE_NOTADB:
                raise WrongKey() from None
            _raise_classified(error)
        conn.execute("PRAGMA temp_store = MEMORY")
    except BaseException:
        conn.close()
        raise
    return conn


#: The execution option of a connection whose transactions only read, each in one snapshot.
SNAPSHOT_READ = "riskscreen_snapshot_read"


def create_db_engine(path: Path, key: bytes, *,
                     on_connect: Callable[[Any], None] | None = None) -> Engine:
    """A SQLAlchemy engine on the encrypted database at ``path``.

    Transactions start with ``BEGIN IMMEDIATE`` so that the audit chain's read of the last
    entry and its append cannot interleave with another writer.
    """
    key = bytes(key)

    def creator() -> Any:
        conn = connect_raw(path, key, check_same_thread=False)
        if on_connect is not None:
            on_connect(conn)
        return conn

    # One connection more than before for the autosave, which keeps its own between saves.
    engine = create_engine("sqlite://", creator=creator, module=sqlcipher3.dbapi2,
                           poolclass=QueuePool, pool_size=3, max_overflow=2)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A snapshot read (:data:`SNAPSHOT_READ`) takes no write lock: in WAL mode its
        # deferred BEGIN sees one state from its first read on, and waits for no writer.
        read = conn.get_execution_options().get(SNAPSHOT_READ, False)
        conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

    return engine


def rekey_database(path: Path, old_key: bytes, new_key: bytes) -> None:
    """Re-encrypt every page of the database under ``new_key`` (SQLCipher ``PRAGMA rekey``).

    In WAL mode the rekey is one write transaction: every page is written to the WAL under the
    new key and committed at once, so a crash leaves the database wholly under the old key or
    wholly under the new one (tested with SIGKILL). A checkpoint then moves the pages into the
    main file and empties the WAL file, which a kept WAL needs: its frames from before the
    change are under the old key. Connections still keyed with the old key fail their next
    read, and never write.
    """
    conn = connect_raw(path, old_key)
    try:
        with translate_errors():
            conn.execute(f"PRAGMA rekey = \"x'{new_key.hex()}'\"")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    connect_raw(path, new_key).close()  # WrongKey if the change did not take


def open_with_any(path: Path, keys: Sequence[bytes]) -> bytes:
    """The first of ``keys`` that opens the database; :class:`WrongKey` if none does."""
    for key in keys:
        try:
            connect_raw(path, key).close()
        except WrongKey:
            continue
        return key
    raise WrongKey()
