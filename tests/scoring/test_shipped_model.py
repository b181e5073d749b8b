"""The shipped scoring model loads, fits the shipped form, and its identity is what it says."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from riskscreen.checks import check_files
from riskscreen.forms.loader import load_form
from riskscreen.scoring.loader import load_model, shipped_model_ids, shipped_model_versions

ROOT = Path(__file__).resolve().parents[2]


def test_every_shipped_model_is_valid_and_named_by_its_path() -> None:
    assert shipped_model_ids() == ["child-exploitation", "cse-screening"]
    for model_id in shipped_model_ids():
        for version in shipped_model_versions(model_id):
            path = ROOT / "forms" / model_id / "scoring" / f"{version}.yaml"
            assert [p.format() for p in check_files([path])] == []
            model = load_model(f"{model_id}@{version}")
            assert (model.id, model.version) == (model_id, version)
            assert model.form.id == model_id
            assert load_form(model.form.id).version in model.form.versions


@pytest.mark.parametrize("model_id", shipped_model_ids())
def test_every_rule_says_why_in_a_comment_above_it(model_id: str) -> None:
    for version in shipped_model_versions(model_id):
        path = ROOT / "forms" / model_id / "scoring" / f"{version}.yaml"
        lines = path.read_text(encoding="utf-8").splitlines()
        rule_lines = [i for i, line in enumerate(lines) if line.startswith("  - id: ")
                      and i > lines.index("rules:") and i < lines.index("review:")]
        assert len(rule_lines) == len(load_model(f"{model_id}@{version}").rules)
        for i in rule_lines:
            assert lines[i - 1].strip().startswith("#"), lines[i]


def test_load_by_id_path_and_version_agree() -> None:
    newest = shipped_model_versions("cse-screening")[-1]
    by_id = load_model("cse-screening")
    by_path = load_model(ROOT / "forms" / "cse-screening" / "scoring" / f"{newest}.yaml")
    assert by_id.identity == by_path.identity == load_model(f"cse-screening@{newest}").identity
    assert len(by_id.sha256) == 64


def test_each_new_version_derives_from_the_one_before_and_says_why() -> None:
    versions = shipped_model_versions("cse-screening")
    assert versions[:2] == ["1.0.0", "1.1.0"]
    for before, after in pairwise(versions):
        model = load_model(f"cse-screening@{after}")
        assert model.derived_from == before
        assert model.change_note
        assert model.author
        assert model.date >= load_model(f"cse-screening@{before}").date


def test_1_1_0_only_adds_the_not_known_cap() -> None:
    """Everything but the description and the cap is 1.0.0's, and unknowns alone stay Low."""
    old = json.loads(load_model("cse-screening@1.0.0").canonical_json())
    new = json.loads(load_model("cse-screening@1.1.0").canonical_json())
    for key in ("version", "date", "change_note", "derived_from"):
        old.pop(key, None)
        new.pop(key, None)
    cap = new.pop("not_known_cap")
    assert old == new
    medium = next(t["from"] for t in new["thresholds"] if t["level"] == "medium")
    low = next(t["from"] for t in new["thresholds"] if t["level"] == "low")
    assert low <= cap < medium


def test_a_shipped_model_is_read_once_and_a_file_every_time(tmp_path: Path) -> None:
    # Each new database publishes every shipped model: reading them once per process keeps
    # that from parsing the same files again; a model file given by path is read afresh.
    assert load_model("cse-screening@1.0.0") is load_model("cse-screening/1.0.0")
    assert load_model("cse-screening") is load_model(
        f"cse-screening@{shipped_model_versions('cse-screening')[-1]}")
    copy = tmp_path / "model.yaml"
    copy.write_text((ROOT / "forms" / "cse-screening" / "scoring" / "1.0.0.yaml")
                    .read_text(encoding="utf-8"), encoding="utf-8")
    assert load_model(copy) is not load_model(copy)
    assert load_model(copy) == load_model("cse-screening@1.0.0")


def test_a_shipped_model_checked_against_its_shipped_form_is_read_once() -> None:
    form = load_form("cse-screening")
    assert load_model("cse-screening@1.0.0", form) is load_model("cse-screening@1.0.0", form)
    assert load_model("cse-screening@1.0.0", form) == load_model("cse-screening@1.0.0")
