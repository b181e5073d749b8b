"""`riskscreen summary --screening ID`: a stored screening's referral, audited, role-checked."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from riskscreen.cli.main import main
from riskscreen.services import Unlocker
from riskscreen.services.types import ScreeningQuery


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    assert main(["demo", "--db", str(db), "--count", "12"]) == 0
    return db


def _passfile(tmp_path: Path, passphrase: str) -> str:
    path = tmp_path / "pass"
    path.write_text(passphrase + "\n", encoding="utf-8")
    return str(path)


def test_summary_of_a_stored_screening(demo: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with Unlocker(demo, auto_backups=False).unlock("pat", "demo practitioner pat") as s:
        sid = s.screenings.find(ScreeningQuery(status="final", limit=1)).items[0].id
        level = s.screenings.open(sid).assessment
    assert level is not None
    out = tmp_path / "out.pdf"
    old_umask = os.umask(0o022)  # the usual umask, under which it was written 0644
    try:
        code = main(["summary", "--screening", str(sid), "--db", str(demo), "--user", "pat",
                     "--passphrase-file", _passfile(tmp_path, "demo practitioner pat"),
                     "-o", str(out)])
    finally:
        os.umask(old_umask)
    assert code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    whole = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(out.read_bytes()))
                     .pages)
    assert "RS-" in whole
    assert f"{sid:06d}" in whole
    assert level.level_info(level.final_level).name.upper() in whole.upper()
    with Unlocker(demo, auto_backups=False).unlock("pat", "demo practitioner pat") as s, \
            s.context.transaction() as orm:
        kinds = list(orm.execute(text(
            "SELECT detail FROM audit_log WHERE action = 'export' AND object = :o"),
            {"o": f"screening:{sid}"}))
    assert kinds, "the export was not recorded in the audit trail"
    capsys.readouterr()


def test_another_practitioners_screening_is_refused(demo: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with Unlocker(demo, auto_backups=False).unlock("pat", "demo practitioner pat") as s:
        sid = s.screenings.find(ScreeningQuery(status="final", limit=1)).items[0].id
    code = main(["summary", "--screening", str(sid), "--db", str(demo), "--user", "sam",
                 "--passphrase-file", _passfile(tmp_path, "demo practitioner sam"),
                 "-o", str(tmp_path / "x.pdf")])
    assert code == 1
    assert "not yours to see" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_answers_and_screening_together_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "a.json", "--screening", "1", "-o", str(tmp_path / "x.pdf")]) == 1
    assert "not both" in capsys.readouterr().err
