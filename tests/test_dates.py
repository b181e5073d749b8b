"""Dates and times: the service data objects carry date and datetime values, screens show them
UK style through one function, and JSON output still gives ISO 8601 text. Real SQLCipher."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from riskscreen.cli.main import main
from riskscreen.dates import day, iso, moment, show_date, show_moment, show_when

from .conftest import PASSPHRASES, Vault, save_answers


def test_stored_text_becomes_aware_datetimes_and_goes_back_unchanged() -> None:
    stored = "2026-03-01T09:05:07.123456Z"
    when = moment(stored)
    assert when == datetime(2026, 3, 1, 9, 5, 7, 123456, tzinfo=UTC)
    assert iso(when) == stored
    assert moment(datetime(2026, 3, 1, 9, 5)) == datetime(2026, 3, 1, 9, 5, tzinfo=UTC)
    assert moment(None) is None
    assert day("2026-03-01") == date(2026, 3, 1)
    assert day(stored) == date(2026, 3, 1)
    assert day("not a date") is None
    assert day(None) is None
    assert iso(date(2026, 3, 1)) == "2026-03-01"


def test_dates_are_shown_uk_style_in_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    assert show_date(date(2026, 3, 1)) == "01/03/2026"
    assert show_date(None, "not given") == "not given"
    naive = datetime(2026, 3, 1, 23, 30)
    assert show_moment(naive) == "01/03/2026 23:30"
    assert show_when(date(2026, 3, 1)) == "01/03/2026"
    assert show_when(naive) == "01/03/2026 23:30"
    aware = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    local = aware.astimezone()
    assert show_moment(aware) == f"{local:%d/%m/%Y %H:%M}"
    assert show_date(aware) == f"{local:%d/%m/%Y}"


def test_screening_data_objects_carry_datetimes(vault: Vault) -> None:
    with vault.login("pat") as pat:
        child = pat.children.create("Test Child", "2011-04-05")
        sid = pat.screenings.start(child.id)
        save_answers(pat, sid, {"child_views": "They said they feel safe at school."})
        before = datetime.now(UTC)
        detail = pat.screenings.open(sid)
        row = detail.row
        assert isinstance(row.updated_at, datetime)
        assert row.updated_at.tzinfo is not None
        assert before - timedelta(minutes=5) < row.updated_at <= before
        saved = detail.answers["child_views"].saved_at
        assert isinstance(saved, datetime)
        assert saved.tzinfo is not None
        assert detail.finalised_at is None
        assert isinstance(row.screening_date, date)
        listed = pat.children.get(child.id).screenings
        assert [r.updated_at for r in listed] == [row.updated_at]


def test_json_output_keeps_iso_text(vault: Vault, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    pw = tmp_path / "pat.pw"
    pw.write_text(PASSPHRASES["pat"] + "\n", "utf-8")
    assert main(["instrument", "list", "--json", "--db", str(vault.db), "--user", "pat",
                 "--passphrase-file", str(pw)]) == 0
    listed = json.loads(capsys.readouterr().out)
    stamps = [listed[0]["installed_at"], *(v["installed_at"]
                                           for v in listed[0]["form_versions"])]
    for stamp in stamps:
        assert isinstance(stamp, str)
        assert moment(stamp).tzinfo is not None
        assert stamp.endswith("Z")
        assert len(stamp) == 27
