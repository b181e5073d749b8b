"""The WAL file kept between sessions (RiskScreen's SQLCipher build): kept whole after a
clean close and reused, owner-only, emptied by a key change, bounded in size, and never
mistaken for commits the database file lacks."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from riskscreen.crypto.keys import new_data_key
from riskscreen.store import db as store_db
from riskscreen.store.db import WrongKey, connect_raw, keeps_wal, rekey_database

needs_our_build = pytest.mark.skipif(
    not keeps_wal(), reason="the installed SQLCipher is the PyPI wheel, which deletes the WAL")


def _wal(path: Path) -> Path:
    return Path(f"{path}-wal")


@pytest.fixture
def database(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "kept.db"
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    key = new_data_key()
    conn = connect_raw(path, key)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.close()
    return path, key


def _write(path: Path, key: bytes, rows: int, size: int = 100) -> None:
    conn = connect_raw(path, key)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t (v) VALUES (?)", [("x" * size,)] * rows)
        conn.execute("COMMIT")
    finally:
        conn.close()


def _count(path: Path, key: bytes) -> int:
    conn = connect_raw(path, key)
    try:
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])
    finally:
        conn.close()


@needs_our_build
def test_a_clean_close_keeps_the_wal_and_the_next_session_reads_everything(
        database: tuple[Path, bytes]) -> None:
    path, key = database
    _write(path, key, 5)
    assert _wal(path).stat().st_size > 0
    # Checkpointed: the database file alone holds every row.
    copy = path.with_name("alone.db")
    shutil.copyfile(path, copy)
    assert _count(copy, key) == 5
    _write(path, key, 3)
    assert _count(path, key) == 8


@needs_our_build
def test_the_kept_wal_and_index_are_owner_only(database: tuple[Path, bytes]) -> None:
    path, key = database
    _write(path, key, 5)
    for side in (_wal(path), Path(f"{path}-shm")):
        assert stat.S_IMODE(side.stat().st_mode) == 0o600


@needs_our_build
def test_a_key_change_leaves_no_frame_under_the_old_key(database: tuple[Path, bytes]) -> None:
    path, key = database
    _write(path, key, 50)
    assert _wal(path).stat().st_size > 0
    new_key = new_data_key()
    rekey_database(path, key, new_key)
    assert _wal(path).stat().st_size == 0
    assert _count(path, new_key) == 50
    with pytest.raises(WrongKey):
        connect_raw(path, key)


@needs_our_build
def test_a_wal_bigger_than_the_limit_is_emptied_at_close_and_a_normal_one_kept(
        database: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    path, key = database
    monkeypatch.setattr(store_db, "WAL_KEEP_LIMIT", 64 * 1024)
    _write(path, key, 200, size=2000)  # about 100 pages: more than the limit
    assert _wal(path).stat().st_size == 0
    _write(path, key, 1)
    assert 0 < _wal(path).stat().st_size <= 64 * 1024
    assert _count(path, key) == 201


@needs_our_build
def test_the_limit_cuts_a_grown_wal_when_the_log_restarts(
        database: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    path, key = database
    monkeypatch.setattr(store_db, "WAL_KEEP_LIMIT", 64 * 1024)
    conn = connect_raw(path, key)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t (v) VALUES (?)", [("x" * 2000,)] * 200)
        conn.execute("COMMIT")
        assert _wal(path).stat().st_size > 64 * 1024
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        conn.execute("INSERT INTO t (v) VALUES ('y')")  # restarts the log from its start
        assert _wal(path).stat().st_size <= 64 * 1024
    finally:
        conn.close()


@needs_our_build
def test_a_kept_checkpointed_wal_is_not_pending_but_unsaved_commits_are(
        database: tuple[Path, bytes], tmp_path: Path) -> None:
    path, key = database
    _write(path, key, 5)
    assert store_db._no_pending_wal(path)
    # A copy taken while a session is open: its WAL holds a commit the file lacks.
    conn = connect_raw(path, key)
    try:
        conn.execute("INSERT INTO t (v) VALUES ('pending')")
        copy = tmp_path / "open-copy.db"
        for suffix in ("", "-wal", "-shm"):
            shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
    finally:
        conn.close()
    assert not store_db._no_pending_wal(copy)
    Path(f"{copy}-shm").unlink()
    assert not store_db._no_pending_wal(copy)  # no index to say otherwise


@needs_our_build
def test_a_commit_the_index_does_not_know_yet_is_pending(
        database: tuple[Path, bytes], tmp_path: Path) -> None:
    """A crash after the WAL's sync and before the index was updated: the frame after the
    index's last one is of this WAL, so the file alone is not the database."""
    path, key = database
    _write(path, key, 5)
    index = Path(f"{path}-shm").read_bytes()  # as the clean close left it
    conn = connect_raw(path, key)
    try:
        conn.execute("INSERT INTO t (v) VALUES ('unindexed')")
        copy = tmp_path / "crashed.db"
        for suffix in ("", "-wal"):
            shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
        Path(f"{copy}-shm").write_bytes(index)
    finally:
        conn.close()
    assert not store_db._no_pending_wal(copy)


def test_with_the_wheel_nothing_changes(database: tuple[Path, bytes],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The PyPI wheel deletes the WAL itself; no size limit is set and close does nothing."""
    path, key = database
    monkeypatch.setattr(store_db, "keeps_wal", lambda: False)
    conn = connect_raw(path, key)
    try:
        assert conn.keeps_wal_of is None
        assert conn.execute("PRAGMA journal_size_limit").fetchone()[0] == -1
    finally:
        conn.close()
