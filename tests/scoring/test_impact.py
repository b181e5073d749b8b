"""Impact analysis reports exactly the screenings whose level changes, and can be cancelled."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from riskscreen.cli.main import main
from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.columns import encode
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.engine import score
from riskscreen.scoring.impact import NOT_KNOWN_CAP, impact, impact_of_columns
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.model import ScoringModel
from riskscreen.synthetic import generate_answer_sets

from .conftest import MODEL_FILE


def _changed_copy(model: ScoringModel, question: str, answer: str, points: int) -> ScoringModel:
    data = json.loads(model.canonical_json())
    data["weights"][question][answer] = points
    data["version"], data["derived_from"] = "1.1.0", model.version
    return ScoringModel.model_validate(data)


def _expected(form: FormDefinition, old: ScoringModel, new: ScoringModel,
              sets: list[tuple[str, AnswerSet]]) -> set[str]:
    """Computed independently: the full engine, screening by screening."""
    return {key for key, s in sets
            if score(form, old, s).level != score(form, new, s).level}


@pytest.mark.parametrize(("question", "answer", "points"), [
    ("online_grooming", "recent", 5),
    ("older_associates", "recent", 3),
    ("trusted_adult", "yes", -4),
    ("learning_disability", "not_known", 2),
])
def test_impact_reports_exactly_the_changed_screenings(
        form: FormDefinition, model: ScoringModel, question: str, answer: str,
        points: int) -> None:
    new = _changed_copy(model, question, answer, points)
    sets = [(f"s{i}", s) for i, s in enumerate(generate_answer_sets(form, 1500, seed=21))]
    expected = _expected(form, model, new, sets)
    assert expected, "the change should move at least one screening"
    report = impact(form, model, new, iter(sets))
    assert {c.key for c in report.changes} == expected
    assert report.total == len(sets)
    assert sum(sum(row.values()) for row in report.matrix.values()) == len(sets)
    moved = sum(n for old, row in report.matrix.items() for to, n in row.items() if old != to)
    assert moved == len(expected)
    for change in report.changes:
        assert change.old_level != change.new_level
        assert [c.question for c in change.contributions] == [question]


@pytest.mark.parametrize("edit", ["threshold", "rule", "protective"])
def test_impact_beyond_weights_reports_exactly_the_changed_screenings(
        form: FormDefinition, model: ScoringModel, edit: str) -> None:
    data = json.loads(model.canonical_json())
    if edit == "threshold":
        data["thresholds"][1]["from"] = 10  # Medium from 10 points instead of 12
    elif edit == "rule":
        data["rules"] = [r for r in data["rules"] if r["id"] != "any_indicator_seen"]
    else:
        data["protective"]["max_reduction"] = 1
    data["version"] = "2.0.0"
    new = ScoringModel.model_validate(data)
    sets = [(f"s{i}", s) for i, s in enumerate(generate_answer_sets(form, 1500, seed=22))]
    expected = _expected(form, model, new, sets)
    assert expected
    report = impact(form, model, new, sets)
    assert {c.key for c in report.changes} == expected
    if edit == "rule":
        assert all(c.rules_removed == ("any_indicator_seen",) for c in report.changes)


def test_identical_models_change_nothing(form: FormDefinition, model: ScoringModel) -> None:
    report = impact(form, model, model, generate_answer_sets(form, 300, seed=2))
    assert report.changes == ()
    assert report.score_changed == 0
    assert sum(report.matrix[lv][lv] for lv in report.levels) == 300


def test_progress_and_cancellation(form: FormDefinition, model: ScoringModel) -> None:
    sets = generate_answer_sets(form, 250, seed=4)
    seen: list[int] = []
    report = impact(form, model, model, sets, progress=seen.append, every=100)
    assert seen == [100, 200, 250]
    assert not report.cancelled
    calls: list[int] = []
    stopped = impact(form, model, model, sets, progress=calls.append, every=50,
                     cancelled=lambda: len(calls) >= 2)
    assert stopped.cancelled
    assert stopped.total == 100


def test_impact_command_lists_the_changed_files(
        tmp_path: Path, form: FormDefinition, model: ScoringModel,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "answers"
    folder.mkdir()
    sets = []
    # A seed whose 400 screenings include some that the edit below moves to another level.
    for i, s in enumerate(generate_answer_sets(form, 400, seed=6)):
        path = folder / f"{i:03d}.json"
        path.write_text(s.model_dump_json(), encoding="utf-8")
        sets.append((str(path), s))
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    text = MODEL_FILE.read_text(encoding="utf-8")
    edited = re.sub(r"(\n  online_grooming: \{none: 0, recent: )4", r"\g<1>5", text)
    assert edited != text
    edited = edited.replace('version: "1.0.0"', 'version: "1.1.0"', 1)
    new_file = tmp_path / "1.1.0.yaml"
    new_file.write_text(edited, encoding="utf-8")
    new = _changed_copy(model, "online_grooming", "recent", 5)
    expected = _expected(form, model, new, sets)
    assert expected

    code = main(["impact", "--from", "cse-screening@1.0.0", "--to", str(new_file),
                 str(folder)])
    out = capsys.readouterr().out
    assert code == 0
    listed = {m.group(1) for m in re.finditer(r"^(\S+\.json): \S", out, re.MULTILINE)}
    assert listed - {str(folder / "broken.json")} == expected
    assert "broken.json" in out  # reported as skipped, not fatal
    assert "No apparent risk" in out

    code = main(["impact", "--from", "cse-screening/1.0.0", "--to", str(new_file), "--json",
                 str(folder)])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {c["key"] for c in data["changes"]} == expected
    assert data["total"] == 400


def test_impact_of_the_not_known_cap(form: FormDefinition, model: ScoringModel) -> None:
    """1.0.0 -> 1.1.0: exactly the screenings whose level the cap changes, with a cap line."""
    new = load_model("cse-screening@1.1.0")
    sets = [(f"s{i}", s) for i, s in enumerate(generate_answer_sets(form, 1500, seed=23))]
    expected = _expected(form, model, new, sets)
    assert expected
    report = impact(form, model, new, sets)
    assert {c.key for c in report.changes} == expected
    for change in report.changes:
        # The cap only ever lowers: it never adds points.
        assert change.new_score < change.old_score
        [line] = change.contributions
        assert line.question == NOT_KNOWN_CAP
        assert line.old_points == 0
        assert line.new_points is not None
        assert line.new_points < 0


def test_weight_change_between_capped_models(form: FormDefinition) -> None:
    """Two models with a cap differing only in weights: impact must not apply bare deltas."""
    old = load_model("cse-screening@1.1.0")
    new = _changed_copy(old, "hotels_parties_unknown_addresses", "not_known", 3)
    new = new.model_copy(update={"version": "1.2.0", "derived_from": "1.1.0"})
    sets = [(f"s{i}", s) for i, s in enumerate(generate_answer_sets(form, 1500, seed=24))]
    expected = _expected(form, old, new, sets)
    report = impact(form, old, new, sets)
    assert {c.key for c in report.changes} == expected


def test_impact_of_columns_is_impact(form: FormDefinition, model: ScoringModel) -> None:
    """Screenings already held as columns give the same report as their answer sets."""
    new = load_model("cse-screening@1.1.0")
    sets = generate_answer_sets(form, 800, seed=31)
    columns = encode(form, sets)
    keys = [f"s{i}" for i in range(len(sets))]
    by_columns = impact_of_columns(form, model, new, columns, keys.__getitem__,
                                   sets.__getitem__)
    assert by_columns == impact(form, model, new, list(zip(keys, sets, strict=True)))
    assert by_columns.level_changed


def test_matrix_and_score_changes_match_scoring_each_screening_and_skip_unscorable(
        form: FormDefinition, model: ScoringModel) -> None:
    """Every cell of the transition matrix, and the count of changed scores, is what scoring
    each screening with both models gives; a screening the models cannot score is listed
    as skipped and counted nowhere."""
    new = _changed_copy(model, "online_grooming", "recent", 5)
    sets = generate_answer_sets(form, 700, seed=23)
    broken = sets[5].model_copy(update={"answers": {**sets[5].answers,
                                                     "online_grooming": "sometimes"}})
    items = [(f"s{i}", s) for i, s in enumerate([*sets[:300], broken, *sets[300:]])]
    report = impact(form, model, new, items, every=256)
    expected = {lv: {to: 0 for to in report.levels} for lv in report.levels}
    score_changed = 0
    for _, s in items[:300] + items[301:]:
        a, b = score(form, model, s), score(form, new, s)
        expected[a.level][b.level] += 1
        score_changed += a.score != b.score
    assert [key for key, _ in report.skipped] == ["s300"]
    assert report.matrix == expected
    assert report.total == 700
    assert report.score_changed == score_changed > 0
