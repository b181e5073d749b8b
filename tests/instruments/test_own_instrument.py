"""A team's own instrument, written from docs/forms.md alone, works with its own words.

``eastbrook-seraf/`` is a SERAF-style screening: time windows of 6 and 6 to 12 months, level
ids of its own (``no_risk`` ... ``serious``), kinds of its own (warning sign, evidence of
abuse, strength) and a model whose strengths may take points off evidence of abuse. It must
validate, score, route and print without a word of the shipped CSE instrument's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from riskscreen.instruments import load_instrument

HERE = Path(__file__).resolve().parent
FOLDER = HERE / "eastbrook-seraf"
CASES = HERE / "eastbrook-cases"
#: Words of the shipped instrument that must not appear in this one's output.
NOT_OURS = ("last 3 months", "3 to 12", "Sign of risk", "Sign of harm", "Protective factor",
            "cancel out", "concern risk", "High", "Medium")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "riskscreen", *args], capture_output=True,
                          text=True, check=False)


def _pdf_text(path: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(path).pages))


def test_it_validates_with_one_warning_for_the_indicator_nothing_weighs() -> None:
    done = _run("validate", str(FOLDER))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("warning:") == 1
    assert "form.yaml:" in done.stdout
    assert "indicator 'new_phone' is not weighted" in done.stdout
    assert "levels no_risk, emerging, significant, serious of the model" in done.stderr
    assert "ok: 1 path valid and 1 warning" in done.stderr


def test_it_loads_with_its_own_windows_kinds_and_levels() -> None:
    instrument = load_instrument(FOLDER)
    assert instrument.form.time_windows.present_ids() == (
        "within_6_months", "six_to_twelve_months", "both_periods")
    assert instrument.form.question("older_friends").allowed_values() == (
        "none", "within_6_months", "six_to_twelve_months", "both_periods", "not_known")
    assert [lv.id for lv in instrument.model().levels] == [
        "no_risk", "emerging", "significant", "serious"]
    assert set(instrument.routing.levels) == {"no_risk", "emerging", "significant", "serious"}


def test_it_scores_in_its_own_words() -> None:
    case = CASES / "online-and-adults.json"
    done = _run("score", "--instrument", str(FOLDER), "--json", str(case))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["level"] == "significant"
    assert [r["id"] for r in data["rules_fired"]] == ["found_with_adults_within_6_months"]
    answers = {c["question"]: c["answer_label"] for c in data["contributions"]}
    assert answers["older_friends"] == "In both periods"
    assert answers["online_requests"] == "Within the last 6 months"
    text = _run("score", "--instrument", str(FOLDER), str(case)).stdout
    assert text.startswith("Level: Significant concern\n")
    assert "phone or money nobody can explain? (not scored by this model)" in text
    assert not [w for w in NOT_OURS if w in text]


def test_nothing_seen_routes_by_its_own_lowest_level(tmp_path: Path) -> None:
    out = tmp_path / "nothing.pdf"
    done = _run("summary", str(CASES / "nothing-seen.json"), "--instrument", str(FOLDER),
                "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "(No current concern; to Eastbrook Young People's Service)" in done.stderr
    text = _pdf_text(out)
    assert "Risk level: NO CURRENT CONCERN" in text
    assert "This scoring model" not in text or "takes no points off" not in text


def test_it_prints_in_its_own_words(tmp_path: Path) -> None:
    out = tmp_path / "summary.pdf"
    done = _run("summary", str(CASES / "online-and-adults.json"), "--instrument", str(FOLDER),
                "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = _pdf_text(out)
    for words in ("Risk level: SIGNIFICANT CONCERN", "Eastbrook Exploitation Hub",
                  "Consultation within five working days", "Within the last 6 months",
                  "In both periods", "Warning sign", "Evidence of abuse", "Background factor",
                  "Strength", "Concern: Online harm",
                  # Its protective factors are "strengths", in the headings and sentences too.
                  "Strengths were taken into account: 6 points less",
                  "Strengths Strengths are what any plan should build on.",
                  # The gap no model weighs is listed, with no points.
                  "Does the young person have a phone or money nobody can explain?",
                  # Strengths here may take points off evidence of abuse: the summary says so.
                  "With this scoring model they take up to 6 points off, from warning signs, "
                  "serious warning signs and evidence of abuse alike"):
        assert words in text, words
    assert not [w for w in NOT_OURS if w in text]


def test_a_routing_without_one_of_its_levels_fails_validate(tmp_path: Path) -> None:
    folder = tmp_path / "eastbrook"
    shutil.copytree(FOLDER, folder)
    routing = folder / "routing.yaml"
    text = routing.read_text("utf-8")
    start, end = text.index("  no_risk:\n"), text.index("destinations:")
    routing.write_text(text[:start] + text[end:], encoding="utf-8")
    done = _run("validate", str(folder))
    assert done.returncode == 1
    assert re.search(r"routing\.yaml:\d+: level 'no_risk' has no route", done.stdout), done.stdout


@pytest.mark.parametrize("window", ["recent", "older"])
def test_a_rule_naming_a_window_the_form_lacks_fails_validate(tmp_path: Path,
                                                             window: str) -> None:
    folder = tmp_path / "eastbrook"
    shutil.copytree(FOLDER, folder)
    model = folder / "scoring" / "1.0.0.yaml"
    model.write_text(model.read_text("utf-8").replace(
        "windows: [within_6_months, both_periods]", f"windows: [{window}]"), encoding="utf-8")
    done = _run("validate", str(folder))
    assert done.returncode == 1
    assert f"unknown time window '{window}'" in done.stdout
    assert "within_6_months, six_to_twelve_months, both_periods" in done.stdout
