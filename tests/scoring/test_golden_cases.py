"""Golden cases: `riskscreen score --json` on each case in tests/cases gives the expected result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from riskscreen.cli.main import main
from riskscreen.scoring.loader import load_model

CASES = Path(__file__).resolve().parents[1] / "cases"
EXPECTED = sorted(CASES.glob("*.expected.json"))
MODEL = "cse-screening@1.0.0"


def _answers(expected: Path) -> Path:
    return expected.with_name(expected.name.removesuffix(".expected.json") + ".json")


def _score(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = main(["score", "--model", MODEL, "--json", str(path)])
    out = capsys.readouterr()
    assert code == 0, out.err
    result: dict[str, Any] = json.loads(out.out)
    return result


@pytest.mark.parametrize("expected_file", EXPECTED, ids=lambda p: p.name.split(".")[0])
def test_golden_case(expected_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    got = _score(_answers(expected_file), capsys)
    assert got["level"] == expected["level"]
    assert [r["id"] for r in got["rules_fired"]] == expected["rules_fired"]
    for key in ("score", "points_level", "protective_applied", "not_known", "review_date"):
        if key in expected:
            assert got[key] == expected[key], key
    assert got["extra"]["age"] == expected["age"]
    model = load_model(MODEL)
    assert got["model"] == {"id": model.id, "version": model.version, "sha256": model.sha256}


def test_cases_cover_every_level_rule_and_boundary() -> None:
    expected = [json.loads(p.read_text(encoding="utf-8")) for p in EXPECTED]
    assert len(expected) >= 12
    model = load_model(MODEL)
    assert {e["level"] for e in expected} == {lv.id for lv in model.levels}
    fired = {r for e in expected for r in e["rules_fired"]}
    assert fired == {r.id for r in model.rules}
    assert any(e.get("protective_applied", 0) > 0 for e in expected)
    assert any(e.get("not_known") for e in expected)
    ages = {e["age"] for e in expected}
    assert {12, 13, 15, 16, 17, 18} <= ages
    for path in EXPECTED:
        assert _answers(path).is_file(), path
