"""`riskscreen validate` on scoring models: each mistake gives FILE:LINE, a message and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskscreen.checks import check_files
from riskscreen.cli.main import main
from riskscreen.definitions import DefinitionError
from riskscreen.scoring.loader import load_model

from .conftest import FORM_FILE, MODEL_FILE

SHIPPED = MODEL_FILE.read_text(encoding="utf-8")


def _edit(old: str, new: str) -> str:
    assert SHIPPED.count(old) == 1, old
    return SHIPPED.replace(old, new)


def _line(text: str, needle: str) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if needle in line)


def _problems(tmp_path: Path, text: str, *extra: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    return path, [p.format() for p in check_files([FORM_FILE, *extra, path])]


CASES = [
    # (old text, new text, line marker in the new text, message part); the first rule,
    # under_13_sexual_activity, holds the first "when:" of the file.
    pytest.param("  online_grooming: {none: 0, recent: 4,",
                 "  online_groomin: {none: 0, recent: 4,", "online_groomin:",
                 "unknown question 'online_groomin'", id="unknown-question"),
    pytest.param("older_associates: {none: 0, recent: 5, older: 2, both: 6, not_known: 2}",
                 "older_associates: {none: 0, recent: 5, older: 2, both: 6, not_known: 2, "
                 "sometimes: 1}", "sometimes: 1", "'sometimes' is not an answer",
                 id="unknown-option"),
    pytest.param('self_harm: {"yes": 2, "no": 0, not_known: 0}', 'self_harm: {"yes": 2, "no": 0}',
                 "self_harm:", "no weight for 'not_known'", id="missing-not-known"),
    pytest.param("{level: high, from: 25}", "{level: high, from: 10}", "{level: high, from: 10}",
                 "thresholds out of order", id="thresholds-out-of-order"),
    pytest.param("        - less_than: {derived: age, value: 13}\n\n",
                 "        - greater_than: {derived: age, value: 14}\n\n",
                 "    when:", "can never apply", id="impossible-age"),
    pytest.param("        - present: {question: sexual_activity_under_13}",
                 "        - present: {question: sexual_activity_13_to_15}",
                 "    when:", "can never apply", id="question-hidden-by-construction"),
    pytest.param("  - id: disclosure\n    minimum: high", "  - id: disclosure\n    minimum: none",
                 "minimum: none", "its minimum 'none' is the lowest level",
                 id="minimum-is-lowest-level"),
    pytest.param("present: {question: disclosure_sexual_exploitation}",
                 "present: {question: disclosure_sexual_exploitatio}",
                 "disclosure_sexual_exploitatio}", "unknown question", id="rule-unknown-question"),
    pytest.param("count_present: {sections: [exploitation_indicators], at_least: 1}",
                 "count_present: {sections: [exploitation_indicators], at_least: 40}",
                 "at_least: 40", "count_present can never fire", id="count-too-high"),
    pytest.param('trusted_adult: {"yes": -2,', 'trusted_adult: {"yes": 2,', "trusted_adult:",
                 "protective factor cannot add points", id="protective-adds-points"),
    pytest.param("older_associates: {none: 0, recent: 5, older: 2,",
                 "older_associates: {none: 0, recent: 1, older: 2,", "older_associates:",
                 "'recent' (1) counts less than 'older'", id="recent-below-older"),
    pytest.param("online_grooming: {none: 0, recent: 4,", "online_grooming: {none: 0, recent: 4.5,",
                 "online_grooming:", "integer", id="points-not-integer"),
    pytest.param("      - {from: 3, to: 5, points: 5, label: 3 to 5 episodes}",
                 "      - {from: 2, to: 5, points: 5, label: 3 to 5 episodes}", "{from: 2, to: 5",
                 "overlaps", id="overlapping-bands"),
    pytest.param("    high: {months: 1}\n", "", "  intervals:", "no review interval for level "
                 "'high'", id="missing-review-interval"),
    pytest.param("protective:\n  max_reduction: 4", "not_known_cap: -1\nprotective:\n"
                 "  max_reduction: 4", "not_known_cap: -1", "not_known_cap -1 is below 0",
                 id="negative-not-known-cap"),
    pytest.param("protective:\n  max_reduction: 4", "not_known_cap: 7.5\nprotective:\n"
                 "  max_reduction: 4", "not_known_cap: 7.5",
                 "not_known_cap 7.5 is not a whole number", id="not-known-cap-not-integer"),
]


@pytest.mark.parametrize(("old", "new", "marker", "message"), CASES)
def test_model_mistake_is_located(tmp_path: Path, old: str, new: str, marker: str,
                                  message: str) -> None:
    text = _edit(old, new)
    path, problems = _problems(tmp_path, text)
    expected = f"{path}:{_line(text, marker)}:"
    matching = [p for p in problems if message in p]
    assert matching, problems
    assert any(p.startswith(expected) for p in matching), (expected, problems)
    assert all("(hint: " in p for p in matching if "integer" not in message)


def test_the_shipped_model_has_no_problems(tmp_path: Path) -> None:
    assert _problems(tmp_path, SHIPPED)[1] == []


def test_model_applied_to_an_undeclared_form_version(tmp_path: Path) -> None:
    other_form = tmp_path / "form-1.1.0.yaml"
    other_form.write_text(FORM_FILE.read_text(encoding="utf-8").replace(
        'version: "1.0.0"', 'version: "1.1.0"', 1), encoding="utf-8")
    path = tmp_path / "model.yaml"
    path.write_text(SHIPPED, encoding="utf-8")
    problems = [p.format() for p in check_files([other_form, path])]
    line = _line(SHIPPED, "versions:")
    assert any(p.startswith(f"{path}:{line}:") and "does not declare" in p for p in problems), \
        problems


def test_validate_command_prints_file_line_and_fails(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    text = _edit("{level: high, from: 25}", "{level: high, from: 10}")
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(FORM_FILE), str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:{_line(text, 'from: 10')}: thresholds out of order" in out


def test_load_model_refuses_an_invalid_model(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(_edit('trusted_adult: {"yes": -2,', 'trusted_adult: {"yes": 2,'), "utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_model(path)
    assert caught.value.problems[0].line == _line(path.read_text("utf-8"), "trusted_adult:")
    with pytest.raises(DefinitionError, match="no shipped scoring model"):
        load_model("no-such-model")
