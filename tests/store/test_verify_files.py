"""``verify`` on files it cannot or must not change: an empty file, a read-only mount."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from riskscreen.cli.main import main
from riskscreen.crypto.keyfile import backup_path, key_file_path
from riskscreen.services import DatabaseDamaged, Unlocker

from ..conftest import PASSPHRASES, Vault


def _verify(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    phrase = tmp_path / "mary.txt"
    phrase.write_text(PASSPHRASES["mary"] + "\n")
    capsys.readouterr()
    code = main(["verify", "--db", str(db), "--user", "mary", "--passphrase-file",
                 str(phrase)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out + captured.err


def test_verify_never_writes_a_schema_into_an_empty_file(
        store: Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty" / "riskscreen.db"
    empty.parent.mkdir()
    empty.touch()
    shutil.copy(key_file_path(store.db), key_file_path(empty))
    code, out = _verify(empty, tmp_path, capsys)
    assert code == 1
    assert "empty (0 bytes)" in out
    assert empty.stat().st_size == 0
    with pytest.raises(DatabaseDamaged, match="empty"):
        _unlocker(empty).unlock("pat", PASSPHRASES["pat"])
    assert empty.stat().st_size == 0


def _unlocker(db: Path) -> Unlocker:
    return Unlocker(db, sleep=lambda _: None, auto_backups=False)


@pytest.fixture
def read_only_copy(store: Vault, tmp_path: Path) -> Iterator[Path]:
    """The database seen through a read-only mount (or, without root, read-only modes)."""
    with store.login("pat") as pat:
        pat.children.create("Someone")
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        for path in (store.db, key_file_path(store.db), backup_path(key_file_path(store.db))):
            path.chmod(0o444)
        store.db.parent.chmod(0o555)
        yield store.db
        store.db.parent.chmod(0o700)
        return
    mounted = subprocess.run(["mount", "--bind", str(store.db.parent), str(ro)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("a read-only bind mount is not allowed here")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], check=True,
                       capture_output=True)
        yield ro / store.db.name
    finally:
        subprocess.run(["umount", str(ro)], check=False, capture_output=True)


def test_verify_on_a_healthy_read_only_database_does_not_say_damaged(
        read_only_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _verify(read_only_copy, tmp_path, capsys)
    assert code == 1
    assert "DAMAGED" not in out
    assert "damaged" not in out
    assert "pages and structure: ok" in out
    assert "read-only" in out
