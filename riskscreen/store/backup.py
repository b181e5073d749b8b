"""Backups through SQLite's online backup API: the copy is written through a connection keyed
with the same data key, so it is exactly as encrypted as the database. Each backup gets a copy
of the key file beside it, so a backup can be opened on its own with a passphrase or the
recovery key.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3

from riskscreen.crypto.atomic import atomic_write, fsync_dir
from riskscreen.crypto.keyfile import KeyFile, key_file_path
from riskscreen.store.db import DatabaseDamaged, StorageError, classify, connect_raw

__all__ = [
    "AUTO_KEEP",
    "COMPACT_PENDING",
    "auto_backup",
    "backup_database",
    "backup_folder",
    "check_database",
    "clean_leftovers",
    "compact_database",
    "list_backups",
    "open_read_only",
    "replace_database",
]

AUTO_KEEP = 7
#: The ``meta`` key an upgrade that freed many pages sets, so that the file is compacted.
COMPACT_PENDING = "compact_pending"
_AUTO_PREFIX = "auto-"


def backup_folder(db_path: Path) -> Path:
    """Where automatic backups of a database are kept: ``backups/`` beside it."""
    return db_path.parent / "backups"


def _with_side_files(path: Path) -> tuple[Path, ...]:
    return (path, *(Path(f"{path}{suffix}") for suffix in ("-journal", "-wal", "-shm")))


def _create_private(path: Path) -> None:
    """Create an empty file only the owner can read (SQLite copies its mode to -wal/-shm)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def backup_database(source: Any, key: bytes, dest: Path, key_file: Path) -> Path:
    """Copy the open database ``source`` (a raw keyed connection) to ``dest``, with its key file.

    The copy is written to a temporary name and renamed when complete and checked, so a
    half-written backup never carries a backup's name.
    """
    dest = dest.resolve()
    if dest.exists():
        raise StorageError(f"{dest} already exists; choose a new name for the backup")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    for leftover in _with_side_files(tmp):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    try:
        _create_private(tmp)
        target = connect_raw(tmp, key, journal_wal=False)
        try:
            source.backup(target)
        finally:
            target.close()
        _fsync_file(tmp)
        problems = check_database(tmp, key)
        if problems:
            raise StorageError("the backup copy failed its check: " + "; ".join(problems))
        atomic_write(key_file_path(dest), _backup_key_file(source, key_file))
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    except sqlcipher3.dbapi2.Error as error:
        storage = classify(error)
        raise (storage or StorageError("the backup could not be written")) from None
    except OSError as error:
        raise StorageError(f"the backup could not be written ({error.strerror})") from None
    finally:
        for leftover in (*_with_side_files(tmp), key_file_path(tmp)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return dest


def compact_database(db_path: Path, key: bytes) -> tuple[int, int]:
    """Rewrite the database without its free pages; returns its size before and after.

    An upgrade that drops a table leaves its pages free inside the file. ``VACUUM INTO``
    writes a packed copy straight to a file beside the database (encrypted with the same key,
    and without building the copy in the temporary store, which is memory here), the copy is
    checked, then renamed over the database. The caller holds the exclusive open lock and has
    no connection open, so nobody has the file open; a failure leaves the database as it was.
    """
    tmp = db_path.with_name(f".{db_path.name}.compacting")
    for leftover in _with_side_files(tmp):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    before = db_path.stat().st_size
    try:
        conn = connect_raw(db_path, key)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            before = db_path.stat().st_size
            _create_private(tmp)
            conn.execute("VACUUM INTO ?", (str(tmp),))
        finally:
            conn.close()  # the last connection folds the log in and removes it
        _fsync_file(tmp)
        problems = check_database(tmp, key)
        if problems:
            raise DatabaseDamaged("the compacted copy failed its check: " + "; ".join(problems))
        wal = Path(f"{db_path}-wal")
        if wal.exists() and wal.stat().st_size:
            raise StorageError("the database is still in use; it was not compacted")
        for side in _with_side_files(db_path)[1:]:
            with contextlib.suppress(FileNotFoundError):
                side.unlink()
        os.replace(tmp, db_path)
        fsync_dir(db_path.parent)
    except sqlcipher3.dbapi2.Error as error:
        raise (classify(error) or StorageError("the database could not be compacted")) from None
    except OSError as error:
        raise StorageError(f"the database could not be compacted ({error.strerror})") from None
    finally:
        for leftover in _with_side_files(tmp):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return before, db_path.stat().st_size


def _backup_key_file(source: Any, key_file: Path) -> bytes:
    """The key file for a backup: only the active administrators' slots and the recovery slot.

    Practitioners and managers open a backup only through an administrator's restore, so a
    copy of their slots beside every backup would only keep their access to old data alive
    after they leave.
    """
    keyfile = KeyFile.load(key_file)
    admins = {str(r[0]) for r in source.execute(
        "SELECT name FROM users WHERE role = 'administrator' AND NOT disabled")}
    return keyfile.only(admins).to_bytes()


@contextlib.contextmanager
def open_read_only(path: Path, key: bytes) -> Iterator[Any]:
    """A read-only keyed connection; removes the -wal/-shm files the open itself created."""
    existing = {p for p in _with_side_files(path)[1:] if p.exists()}
    conn = connect_raw(path, key, read_only=True)
    try:
        yield conn
    finally:
        conn.close()
        for side in _with_side_files(path)[1:]:
            if side not in existing:
                with contextlib.suppress(OSError):  # absent, or a read-only folder
                    side.unlink()


def check_database(path: Path, key: bytes) -> list[str]:
    """Problems found by SQLCipher's page authentication and SQLite's integrity check."""
    try:
        if path.stat().st_size == 0:
            return ["the file is empty (0 bytes), so it holds no database: it was never "
                    "completed, or it was cut short"]
    except OSError as error:
        return [f"the file cannot be read ({error.strerror})"]
    try:
        with open_read_only(path, key) as conn:
            return _check_open(conn)
    except StorageError as error:
        return [str(error)]
    except sqlcipher3.dbapi2.Error as error:
        return [str(classify(error) or "the database could not be opened")]


def _check_open(conn: Any) -> list[str]:
    try:
        problems = [f"page check: {row[0]}"
                    for row in conn.execute("PRAGMA cipher_integrity_check")]
        rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if rows != ["ok"]:
            problems += [f"integrity: {r}" for r in rows[:20]]
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            problems.append(f"{len(fk)} rows refer to missing rows")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not problems and not {"meta", "users", "audit_log"} <= tables:
            problems.append("it is not a RiskScreen database (its tables are missing)")
        return problems
    except sqlcipher3.dbapi2.Error as error:
        storage = classify(error)
        return [str(storage) if storage else "the database could not be checked"]


_ATOMIC_TMP = r"\.[0-9a-f]{8}\.tmp"
_SQLITE_SIDES = r"(-journal|-wal|-shm)?"


def clean_leftovers(db_path: Path) -> list[Path]:
    """Remove what killed backups, restores and key-file writes left behind; returns them.

    Only names this module and :func:`atomic_write` make are touched: beside the database,
    those starting with the database's own name; in ``backups/``, half-written backups. Call
    it only while no other session has the database open (with its exclusive lock).
    """
    name = re.escape(db_path.name)
    beside = re.compile(rf"\.{name}(\..+{_ATOMIC_TMP}|\.restoring{_SQLITE_SIDES})")
    in_backups = re.compile(rf"\..+({_ATOMIC_TMP}|\.partial{_SQLITE_SIDES})")
    removed: list[Path] = []
    for folder, pattern in ((db_path.parent, beside), (backup_folder(db_path), in_backups)):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def list_backups(db_path: Path) -> list[Path]:
    """Automatic backups of a database, newest first."""
    folder = backup_folder(db_path)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.glob(f"{_AUTO_PREFIX}*.db")), reverse=True)


def auto_backup(source: Any, key: bytes, db_path: Path, keep: int = AUTO_KEEP,
                today: datetime | None = None) -> Path | None:
    """Make today's automatic backup if there is none yet; keep the newest ``keep``."""
    day = (today or datetime.now(UTC)).strftime("%Y-%m-%d")
    folder = backup_folder(db_path)
    dest = folder / f"{_AUTO_PREFIX}{day}.db"
    made: Path | None = None
    if not dest.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        made = backup_database(source, key, dest, key_file_path(db_path))
    for old in list_backups(db_path)[keep:]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
        with contextlib.suppress(FileNotFoundError):
            key_file_path(old).unlink()
    return made


def replace_database(db_path: Path, source: Path, key: bytes) -> Path | None:
    """Put a checked copy of ``source`` in place of ``db_path``; returns where the old went.

    The current database (with its -wal and -shm) is moved aside, not deleted, and only after
    the copy has been written and checked under a temporary name; a failure at any step leaves
    the current database where it was.
    """
    problems = check_database(source, key)
    if problems:
        raise DatabaseDamaged("the backup failed its check: " + "; ".join(problems[:3]))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    tmp = db_path.with_name(f".{db_path.name}.restoring")
    for leftover in _with_side_files(tmp):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    aside: Path | None = None
    moved: list[tuple[Path, Path]] = []
    try:
        try:
            _create_private(tmp)
            shutil.copyfile(source, tmp)
            _fsync_file(tmp)
            problems = check_database(tmp, key)
        except OSError as error:
            raise StorageError(f"the backup could not be copied ({error.strerror}); the "
                               "current database was left in place") from None
        finally:
            for leftover in _with_side_files(tmp)[1:]:  # left by the read-only check
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
        if problems:
            raise DatabaseDamaged("the copy failed its check: " + "; ".join(problems[:3]))
        try:
            if db_path.exists():
                aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
                for suffix in ("-wal", "-shm", ""):
                    side = Path(str(db_path) + suffix)
                    if side.exists():
                        os.replace(side, Path(str(aside) + suffix))
                        moved.append((side, Path(str(aside) + suffix)))
            os.replace(tmp, db_path)
            fsync_dir(db_path.parent)
        except OSError as error:
            for original, moved_to in reversed(moved):  # put the current database back
                with contextlib.suppress(OSError):
                    os.replace(moved_to, original)
            raise StorageError(f"the backup could not be restored ({error.strerror}); the "
                               "current database was left in place") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return aside
