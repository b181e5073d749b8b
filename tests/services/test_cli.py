"""The storage commands end to end: init, demo, verify, backup, restore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from riskscreen.cli.main import main
from riskscreen.crypto.keyfile import KeyFile, key_file_path
from riskscreen.crypto.keys import kdf_minimum
from riskscreen.services import Unlocker


def test_init_prints_the_recovery_key_once_and_refuses_to_overwrite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_home: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("admin passphrase one\n")
    db = tmp_path / "x.db"
    assert main(["init", "--db", str(db), "--passphrase-file", str(pw)]) == 0
    out = capsys.readouterr().out
    assert "RECOVERY KEY" in out
    assert "admin passphrase one" not in out
    assert main(["init", "--db", str(db), "--passphrase-file", str(pw)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_default_location_follows_riskscreen_db(isolated_home: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from riskscreen.services import default_db_path

    assert str(default_db_path()).startswith(str(isolated_home))
    monkeypatch.setenv("RISKSCREEN_DB", str(isolated_home / "elsewhere.db"))
    assert default_db_path() == isolated_home / "elsewhere.db"


def test_demo_verify_backup_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    isolated_home: Path, edit_record: Any) -> None:
    db = tmp_path / "demo.db"
    assert main(["demo", "--db", str(db), "--count", "60"]) == 0
    # Its passphrases are published: every slot has the weakest accepted settings, untuned.
    slots = KeyFile.load(key_file_path(db)).accounts
    assert sorted(slots) == ["admin", "alex", "ana", "jo", "manager", "pat", "sam"]
    assert {(k.kdf.memory_cost, k.kdf.iterations, k.kdf.lanes)
            for k in slots.values()} == {kdf_minimum()}
    pw = tmp_path / "pw"
    pw.write_text("demo manager passphrase\n")
    args = ["--db", str(db), "--passphrase-file", str(pw), "--user", "manager"]
    assert main(["verify", *args]) == 0
    out = capsys.readouterr().out
    assert "re-scoring: ok" in out
    assert "audit chain: ok" in out
    admin_pw = tmp_path / "admin"
    admin_pw.write_text("demo admin passphrase\n")
    admin = ["--db", str(db), "--passphrase-file", str(admin_pw), "--user", "admin"]
    assert main(["backup", *admin, str(tmp_path / "b" / "copy.db")]) == 0
    assert main(["backup", *args, str(tmp_path / "b" / "other.db")]) == 1  # not an admin
    # An edited snapshot makes verify fail.
    with Unlocker(db, auto_backups=False).unlock("admin", "demo admin passphrase") as s, \
            s.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER assessments_immutable_u"))
        first = conn.execute(text("SELECT min(screening_id) FROM assessments")).scalar_one()
        edit_record(conn, first, lambda snap: snap.update(score=-5))
    capsys.readouterr()
    assert main(["verify", *args]) == 1
    assert "differ from their snapshot" in capsys.readouterr().out
    assert main(["restore", *admin, str(tmp_path / "b" / "copy.db")]) == 0
    assert main(["verify", *args]) == 0
    bad = tmp_path / "bad"
    bad.write_text("not the passphrase\n")
    assert main(["verify", "--db", str(db), "--passphrase-file", str(bad),
                 "--user", "manager"]) == 1
    assert "passphrase is wrong" in capsys.readouterr().err
