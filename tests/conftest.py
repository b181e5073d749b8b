"""Shared test fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests use cheap Argon2 settings (1 MiB, 1 pass) so that thousands of key derivations stay
# fast; the tests of the minimum itself remove this (and subprocesses inherit it).
os.environ.setdefault("RISKSCREEN_TEST_CHEAP_KDF", "1")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root() -> Path:
    """The source checkout's top folder."""
    return ROOT


@pytest.fixture
def form_file() -> Path:
    """The shipped questionnaire in the source tree."""
    return ROOT / "forms" / "cse-screening" / "form.yaml"


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the user's data and config folders at a temporary directory."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("RISKSCREEN_DB", raising=False)
    return tmp_path


EditRecord = Callable[[Any, int, Callable[[dict[str, Any]], None]], None]


@pytest.fixture
def edit_record() -> EditRecord:
    """Rewrite one finalised record's snapshot as someone holding the data key could:
    ``edit(conn, screening_id, change)`` applies ``change`` to the parsed snapshot and stores
    it compressed again (the caller drops the trigger that forbids it)."""
    import json

    from sqlalchemy import text

    from riskscreen.store.records import (
        compress_record,
        decompress_record,
        record_text,
        split_record,
    )

    def edit(conn: Any, screening_id: int, change: Callable[[dict[str, Any]], None]) -> None:
        did, record = conn.execute(text(
            "SELECT dictionary_id, record FROM assessments WHERE screening_id = :s"),
            {"s": screening_id}).one()
        data = bytes(conn.execute(text("SELECT data FROM record_dictionaries WHERE id = :d"),
                                  {"d": did}).scalar_one())
        snapshot, answers = split_record(decompress_record(bytes(record), data))
        parsed = json.loads(snapshot)
        change(parsed)
        new = compress_record(record_text(json.dumps(parsed, sort_keys=True,
                                                     separators=(",", ":")), answers), data)
        conn.execute(text("UPDATE assessments SET record = :r WHERE screening_id = :s"),
                     {"r": new, "s": screening_id})

    return edit


@pytest.fixture
def read_records() -> Callable[[Any], list[tuple[int, str, str]]]:
    """``read(conn)``: (screening id, snapshot text, answer set text) of every finalised
    record, in screening order."""
    from sqlalchemy import text

    from riskscreen.store.integrity import stored_record
    from riskscreen.store.records import read_dictionaries

    def read(conn: Any) -> list[tuple[int, str, str]]:
        dictionaries = read_dictionaries(conn)
        return [(int(sid), *stored_record(dictionaries, did, record)) for sid, did, record in
                conn.execute(text("SELECT screening_id, dictionary_id, record FROM "
                                  "assessments ORDER BY screening_id"))]

    return read


#: A team's own instrument, written from docs/forms.md alone (6-month windows, its own level
#: ids and kind labels), and answers to it.
TEAM_INSTRUMENT = ROOT / "tests" / "instruments" / "eastbrook-seraf"
TEAM_CASES = ROOT / "tests" / "instruments" / "eastbrook-cases"


@pytest.fixture
def team_instrument(tmp_path: Path) -> Callable[[str], Path]:
    """Copy the team's own instrument folder under ``tmp_path`` (to install, or to break)."""
    import shutil

    def make(name: str = "eastbrook") -> Path:
        dest = tmp_path / name
        shutil.copytree(TEAM_INSTRUMENT, dest)
        return dest

    return make
