"""Restoring a backup while the database is in use, and who may restore.

Two real processes: one signs in and saves answers in a loop, printing an acknowledgement
after each save has returned; the other restores (or replaces the file by hand). No save may
be acknowledged into a file that is no longer the database, and none acknowledged may be lost.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import text

from riskscreen.crypto.keyfile import KeyFile, backup_path, key_file_path
from riskscreen.services import (
    Countersignature,
    DatabaseInUse,
    DatabaseReplaced,
    PermissionDenied,
    StorageError,
    Unlocker,
    WrongPassphrase,
    restore_backup,
)
from riskscreen.store import audit
from riskscreen.store.backup import open_read_only, replace_database

from ..conftest import PASSPHRASES, Vault

QUESTIONS = ["child_views", "child_wishes", "practitioner_analysis"]

_SAVER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from riskscreen.services import Unlocker
    db, screening, stop = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    questions = sys.argv[4].split(",")
    session = Unlocker(db, sleep=lambda _: None, auto_backups=False).unlock(
        "pat", "practitioner pass")
    print("ready", flush=True)
    n = 0
    try:
        while not stop.exists():
            qid = questions[n % len(questions)]
            session.screenings.save_answer(screening, qid, f"save {n}")
            print(f"ack {qid} {n}", flush=True)
            n += 1
    except Exception as error:
        print(f"error {type(error).__name__}: {error}", flush=True)
        sys.exit(3)
    session.close()
""")


def _start_saver(store: Vault, screening_id: int, stop: Path) -> subprocess.Popen[str]:
    saver = subprocess.Popen(
        [sys.executable, "-c", _SAVER, str(store.db), str(screening_id), str(stop),
         ",".join(QUESTIONS)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert saver.stdout is not None
    assert saver.stdout.readline().strip() == "ready"
    return saver


def _wait_for_acks(out: IO[str], count: int) -> list[str]:
    lines = []
    while len(lines) < count:
        line = out.readline()
        assert line.startswith("ack"), line
        lines.append(line.strip())
    return lines


def _finish(saver: subprocess.Popen[str], stop: Path, lines: list[str],
            timeout: float = 60) -> tuple[list[str], int]:
    """Let the saver run until it stops by itself (or ``timeout``), then ask it to stop."""
    assert saver.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = saver.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith("error"):
            break
    stop.touch()
    rest, _ = saver.communicate(timeout=60)
    lines += rest.splitlines()
    return lines, saver.returncode


def _last_acked(lines: list[str]) -> dict[str, str]:
    last: dict[str, str] = {}
    for line in lines:
        if line.startswith("ack"):
            _, qid, n = line.split()
            last[qid] = f"save {n}"
    return last


def _answers(db: Path, key: bytes, screening_id: int) -> dict[str, str]:
    with open_read_only(db, key) as conn:
        return {q: json.loads(v) for q, v in conn.execute(
            "SELECT question_id, value FROM answers WHERE screening_id = ?",
            (screening_id,))}


def _key(store: Vault) -> bytes:
    return KeyFile.load(key_file_path(store.db)).unlock("admin", PASSPHRASES["admin"])


@pytest.fixture
def prepared(store: Vault, tmp_path: Path) -> tuple[Path, int]:
    """A backup (made before the screening) and a screening of pat's to save into."""
    with store.login("admin") as admin:
        copy = admin.maintenance.backup(tmp_path / "copies" / "copy.db")
    with store.login("pat") as pat:
        child = pat.children.create("Child Example")
        screening = pat.screenings.start(child.id)
    return copy, screening


def test_restore_is_refused_while_another_process_saves(store: Vault, prepared: Any,
                                                        tmp_path: Path) -> None:
    copy, screening = prepared
    stop = tmp_path / "stop"
    inode = store.db.stat().st_ino
    saver = _start_saver(store, screening, stop)
    assert saver.stdout is not None
    lines = _wait_for_acks(saver.stdout, 20)
    phrase = tmp_path / "admin.txt"
    phrase.write_text(PASSPHRASES["admin"] + "\n")
    restore = subprocess.run(
        [sys.executable, "-m", "riskscreen", "restore", "--db", str(store.db), "--user",
         "admin", "--passphrase-file", str(phrase), str(copy)],
        capture_output=True, text=True, timeout=120)
    lines += _wait_for_acks(saver.stdout, 20)  # the saver carries on
    stop.touch()
    lines, code = _finish(saver, stop, lines)
    assert code == 0, lines[-3:]
    assert restore.returncode == 1
    message = restore.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "open in another RiskScreen window or process" in message
    assert "Traceback" not in restore.stderr
    assert store.db.stat().st_ino == inode
    assert not list(store.db.parent.glob("*.before-restore-*"))
    saved = _answers(store.db, _key(store), screening)
    assert all(saved[q] == v for q, v in _last_acked(lines).items())


def test_a_session_stops_saving_once_its_database_is_replaced(store: Vault, prepared: Any,
                                                              tmp_path: Path) -> None:
    """The lock cannot stop someone replacing the file by hand (or an older RiskScreen):
    the open session then refuses to save, instead of writing into the set-aside file."""
    copy, screening = prepared
    stop = tmp_path / "stop"
    saver = _start_saver(store, screening, stop)
    assert saver.stdout is not None
    lines = _wait_for_acks(saver.stdout, 20)
    key = _key(store)
    aside = replace_database(store.db, copy, key)  # bypasses the lock on purpose
    assert aside is not None
    lines, code = _finish(saver, stop, lines, timeout=30)
    assert code == 3, lines[-3:]
    assert "replaced while you were signed in" in lines[-1]
    assert "NOT saved" in lines[-1]
    acked = _last_acked(lines)
    # Every acknowledged save is in the file that was the database when it was made ...
    kept = _answers(aside, key, screening)
    assert all(kept[q] == v for q, v in acked.items())
    # ... and none went into the restored database, whose screening does not exist yet.
    with open_read_only(store.db, key) as conn:
        assert conn.execute("SELECT count(*) FROM screenings WHERE id = ?",
                            (screening,)).fetchone()[0] == 0


def test_a_replaced_database_is_noticed_in_process(store: Vault, prepared: Any) -> None:
    copy, screening = prepared
    pat = store.login("pat")
    pat.screenings.save_answer(screening, QUESTIONS[0], "before")
    replace_database(store.db, copy, _key(store))
    with pytest.raises(DatabaseReplaced, match="NOT saved"):
        pat.screenings.save_answer(screening, QUESTIONS[0], "after")
    with pytest.raises(DatabaseReplaced):
        pat.screenings.find()
    pat.close()


def test_own_session_restores_and_stays_open_when_refused(store: Vault,
                                                          prepared: Any) -> None:
    copy, _ = prepared
    admin = store.login("admin")
    with pytest.raises(WrongPassphrase):
        restore_backup(store.db, copy, "admin", "not the passphrase", session=admin)
    assert not admin.closed
    assert admin.accounts.all()
    other = store.login("mary")
    with pytest.raises(DatabaseInUse, match="open in another"):
        restore_backup(store.db, copy, "admin", PASSPHRASES["admin"], session=admin)
    assert not admin.closed
    assert admin.accounts.all()
    other.close()
    aside = restore_backup(store.db, copy, "admin", PASSPHRASES["admin"], session=admin)
    assert aside is not None
    assert admin.closed
    store.login("pat").close()


def test_a_disabled_administrator_cannot_restore_with_the_backups_key_file(
        store: Vault, tmp_path: Path) -> None:
    with store.login("admin") as admin:
        admin.accounts.create("ada", "administrator", "ada's passphrase",
                          countersign=Countersignature("mary", PASSPHRASES["mary"]))
        copy = admin.maintenance.backup(tmp_path / "copies" / "copy.db")
        admin.accounts.disable("ada")
    inode = store.db.stat().st_ino
    with pytest.raises((WrongPassphrase, PermissionDenied)):
        restore_backup(store.db, copy, "ada", "ada's passphrase")
    # Without the current key file, the backup's does not even open the database: disabling
    # ada changed the data key.
    keys = key_file_path(store.db)
    saved = keys.read_bytes()
    keys.unlink()
    backup_path(keys).unlink()
    with pytest.raises(StorageError, match="does not open with that key file"):
        restore_backup(store.db, copy, "ada", "ada's passphrase")
    keys.write_bytes(saved)
    assert store.db.stat().st_ino == inode
    with store.login("admin") as admin:
        assert [u.disabled for u in admin.accounts.all() if u.name == "ada"] == [True]


def test_restore_is_audited_in_the_database_and_in_the_recorded_head(
        store: Vault, tmp_path: Path) -> None:
    with store.login("admin") as admin:
        copy = admin.maintenance.backup(tmp_path / "copies" / "copy.db")
    with store.login("pat") as pat:
        pat.children.create("Someone Later")
    before = audit.read_head(store.db)
    assert before is not None
    aside = restore_backup(store.db, copy, "admin", PASSPHRASES["admin"])
    assert aside is not None
    with store.login("admin") as admin:
        with admin.engine.connect() as conn:
            _action, user, detail = conn.execute(text(
                "SELECT action, user, detail FROM audit_log WHERE action = 'restore'")).one()
        report = admin.maintenance.verify(rescore=False)
    assert user == "admin"
    recorded = json.loads(detail)
    assert recorded["backup"] == "copy.db"
    assert recorded["set_aside"] == aside.name
    assert recorded["previous_seq"] >= before.seq
    head = audit.read_head(store.db)
    assert head is not None
    assert [(r["user"], r["backup"]) for r in head.restores] == [("admin", "copy.db")]
    assert report.ok
    # The set-aside database keeps a key file, so it can be opened like any backup.
    assert key_file_path(aside).exists()
    Unlocker(aside, sleep=lambda _: None, auto_backups=False).check_file(
        "admin", PASSPHRASES["admin"])


def test_restoring_an_empty_file_says_so(store: Vault, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(Exception, match="empty") as caught:
        restore_backup(store.db, empty, "admin", PASSPHRASES["admin"])
    from riskscreen.services import USER_ERRORS

    assert isinstance(caught.value, USER_ERRORS)


def test_leftovers_of_killed_writes_are_removed_at_the_next_start(store: Vault) -> None:
    folder = store.db.parent
    (folder / "backups").mkdir(exist_ok=True)
    leftovers = [folder / f".{store.db.name}.keys.json.0a1b2c3d.tmp",
                 folder / f".{store.db.name}.audit-head.json.deadbeef.tmp",
                 folder / f".{store.db.name}.restoring",
                 folder / f".{store.db.name}.restoring-wal",
                 folder / "backups" / ".auto-2026-01-01.db.partial",
                 folder / "backups" / ".auto-2026-01-01.db.partial-journal",
                 folder / "backups" / ".auto-2026-01-01.db.keys.json.12345678.tmp"]
    kept = [folder / "notes.tmp", folder / ".other.db.keys.json.0a1b2c3d.tmp"]
    for path in leftovers + kept:
        path.write_bytes(b"x")
    with store.login("pat"):
        pass
    assert [p for p in leftovers if p.exists()] == []
    assert all(p.exists() for p in kept)


def test_leftovers_stay_while_another_session_is_open(store: Vault) -> None:
    leftover = store.db.parent / f".{store.db.name}.keys.json.0a1b2c3d.tmp"
    with store.login("admin"):
        leftover.write_bytes(b"x")
        with store.login("pat"):
            assert leftover.exists()  # it may be another session's write in progress
    with store.login("pat"):
        assert not leftover.exists()


_KILLED = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import riskscreen.store.backup as backup
    from riskscreen.services import Unlocker

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    session = Unlocker(Path(sys.argv[1]), sleep=lambda _: None, auto_backups=False).unlock(
        "admin", "admin passphrase")
    if sys.argv[2] == "backup":
        backup.check_database = die  # the copy is written; killed before it is renamed
        session.maintenance.automatic_backup()
    else:
        os.replace = die  # the new key file is written; killed before it is renamed
        session.accounts.create("nina", "practitioner", "nina's passphrase")
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_leftovers_of_a_killed_backup_and_key_file_write_are_removed(store: Vault) -> None:
    patterns = {"backup": ("backups", ".auto-*.db.partial"),
                "keys": (".", f".{store.db.name}.keys.json.*.tmp")}
    for what, (folder, pattern) in patterns.items():
        killed = subprocess.run([sys.executable, "-c", _KILLED, str(store.db), what],
                                capture_output=True, text=True, timeout=120)
        assert killed.returncode == -9, killed.stderr
        left = list((store.db.parent / folder).glob(pattern))
        assert len(left) == 1, what
        with store.login("pat"):
            pass
        assert not left[0].exists(), what
    with store.login("admin") as admin:
        assert "nina" not in [u.name for u in admin.accounts.all()]
        assert admin.maintenance.automatic_backup()  # today's backup can now be made
