"""Golden cases: `riskscreen score --json` on each case in tests/cases gives the expected result.

The cases in tests/cases are worked out for cse-screening 1.0.0. A later shipped version has a
folder tests/cases/<version>/ holding its own expectation for every case whose outcome it
changes, and cases of its own (answers beside their expectation); every other case keeps the
1.0.0 expectation, so each shipped version is checked on every case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from riskscreen.cli.main import main
from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.loader import load_form
from riskscreen.scoring.engine import score
from riskscreen.scoring.loader import load_model, shipped_model_versions

CASES = Path(__file__).resolve().parents[1] / "cases"
MODEL_ID = "cse-screening"
#: The version the cases in tests/cases themselves are worked out for.
BASE_VERSION = "1.0.0"
VERSIONS = shipped_model_versions(MODEL_ID)


def golden_cases(version: str) -> list[tuple[Path, Path]]:
    """(answers file, expected file) of every golden case for a model version."""
    own = CASES / version if version != BASE_VERSION else CASES
    names = {p.name.removesuffix(".json") for folder in {CASES, own}
             for p in folder.glob("*.json") if not p.name.endswith(".expected.json")}
    out = []
    for name in sorted(names):
        answers = own / f"{name}.json"
        expected = own / f"{name}.expected.json"
        out.append((answers if answers.is_file() else CASES / f"{name}.json",
                    expected if expected.is_file() else CASES / f"{name}.expected.json"))
    return out


PARAMS = [pytest.param(v, a, e, id=f"{v}-{a.stem}") for v in VERSIONS
          for a, e in golden_cases(v)]


def _score(path: Path, model: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = main(["score", "--model", model, "--json", str(path)])
    out = capsys.readouterr()
    assert code == 0, out.err
    result: dict[str, Any] = json.loads(out.out)
    return result


@pytest.mark.parametrize(("version", "answers", "expected_file"), PARAMS)
def test_golden_case(version: str, answers: Path, expected_file: Path,
                     capsys: pytest.CaptureFixture[str]) -> None:
    model_ref = f"{MODEL_ID}@{version}"
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    got = _score(answers, model_ref, capsys)
    # The result read the way the expectation is written, compared at once: a failure shows
    # every field that differs.
    extra = {k: got["extra"].get(k) for k in ("age", "not_known_points", "not_known_capped")}
    read = {**got, **extra, "rules_fired": [r["id"] for r in got["rules_fired"]]}
    checked = {k: v for k, v in expected.items() if k != "description"}
    assert {k: read.get(k) for k in checked} == checked
    model = load_model(model_ref)
    assert got["model"] == {"id": model.id, "version": model.version, "sha256": model.sha256}


def test_every_shipped_version_is_checked() -> None:
    assert BASE_VERSION in VERSIONS
    assert "1.1.0" in VERSIONS
    folders = {p.name for p in CASES.iterdir() if p.is_dir() and not p.name.startswith(".")}
    assert folders <= set(VERSIONS), "a folder of expectations for a version not shipped"


@pytest.mark.parametrize("version", VERSIONS)
def test_cases_cover_every_level_rule_and_boundary(version: str) -> None:
    cases = golden_cases(version)
    expected = [json.loads(e.read_text(encoding="utf-8")) for _, e in cases]
    assert len(expected) >= 12
    model = load_model(f"{MODEL_ID}@{version}")
    assert {e["level"] for e in expected} == {lv.id for lv in model.levels}
    fired = {r for e in expected for r in e["rules_fired"]}
    assert fired == {r.id for r in model.rules}
    assert any(e.get("protective_applied", 0) > 0 for e in expected)
    assert any(e.get("not_known") for e in expected)
    if model.not_known_cap is not None:
        assert any(e.get("not_known_capped", 0) > 0 for e in expected)
    ages = {e["age"] for e in expected}
    assert {12, 13, 15, 16, 17, 18} <= ages
    for answers, expected_file in cases:
        assert answers.is_file(), answers
        assert expected_file.is_file(), expected_file


def test_nothing_known_yet_is_low_not_high() -> None:
    """A screening where nothing at all is known yet: High in 1.0.0, Low from 1.1.0 on."""
    answers = CASES / "1.1.0" / "19-nothing-known-yet.json"
    got = {v: _score_plain(answers, f"{MODEL_ID}@{v}") for v in VERSIONS}
    assert got[BASE_VERSION] == "high"
    assert all(level == "low" for v, level in got.items() if v != BASE_VERSION)


def _score_plain(answers: Path, model: str) -> str:
    answer_set = AnswerSet.model_validate_json(answers.read_text(encoding="utf-8"))
    return score(load_form(answer_set.form), load_model(model), answer_set).level
