"""`riskscreen score`: a readable explanation, JSON, and clear errors naming the question."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from riskscreen.cli.main import main

from .conftest import CASES, case_answers, with_answers


def _write(tmp_path: Path, **changes: object) -> Path:
    path = tmp_path / "answers.json"
    answer_set = with_answers(case_answers("07-disclosure"), **changes)
    path.write_text(answer_set.model_dump_json(), encoding="utf-8")
    return path


def test_readable_explanation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--form", "cse-screening", "--model", "cse-screening",
                 str(CASES / "07-disclosure.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Level: High (the points alone give Medium")
    assert "Score: 17 points" in out
    assert "[disclosure]" in out
    lines = out.splitlines()
    first = lines.index("Contributions (largest first):")
    assert lines[first + 1].strip().startswith("+12")  # sorted by weight
    assert lines[first + 2].strip().startswith("+5")


def test_json_has_the_contract_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--json", str(CASES / "16-not-known-answers.json")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"level", "score", "contributions", "rules_fired", "model"} <= data.keys()
    assert set(data["model"]) == {"id", "version", "sha256"}
    assert "gifts_money_unknown_sources" in data["not_known"]


def test_previous_assessment_gives_the_trend(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--json", str(CASES / "02-older-online-contact.json")]) == 0
    previous = tmp_path / "previous.json"
    previous.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["score", "--json", "--previous", str(previous),
                 str(CASES / "07-disclosure.json")]) == 0
    assert json.loads(capsys.readouterr().out)["trend"] == "increased"


@pytest.mark.parametrize(("changes", "question", "words"), [
    ({"favourite_colour": "blue"}, "favourite_colour", "no such question"),
    ({"missing_episodes_3_months": "three"}, "missing_episodes_3_months", "whole number"),
    ({"online_grooming": "yes"}, "online_grooming", "not one of"),
    ({"practitioner_agency": "fire_service"}, "practitioner_agency", "not offered"),
    ({"practitioner_analysis": None}, "practitioner_analysis", "required"),
])
def test_answers_that_do_not_fit_exit_1_naming_the_question(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, object],
        question: str, words: str) -> None:
    path = _write(tmp_path, **changes)
    assert main(["score", "--model", "cse-screening", str(path)]) == 1
    captured = capsys.readouterr()
    assert f"question '{question}'" in captured.err
    assert words in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_unknown_model_and_missing_file_exit_1(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--model", "nope", str(CASES / "07-disclosure.json")]) == 1
    assert "no shipped scoring model" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "missing.json")]) == 1
    assert "file not found" in capsys.readouterr().err
