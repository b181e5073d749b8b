"""The shipped scoring model loads, fits the shipped form, and its identity is what it says."""

from __future__ import annotations

from pathlib import Path

from riskscreen.checks import check_files
from riskscreen.forms.loader import load_form
from riskscreen.scoring.loader import load_model, shipped_model_ids, shipped_model_versions

ROOT = Path(__file__).resolve().parents[2]


def test_every_shipped_model_is_valid_and_named_by_its_path() -> None:
    assert shipped_model_ids() == ["cse-screening"]
    for model_id in shipped_model_ids():
        for version in shipped_model_versions(model_id):
            path = ROOT / "scoring" / model_id / f"{version}.yaml"
            assert [p.format() for p in check_files([path])] == []
            model = load_model(f"{model_id}@{version}")
            assert (model.id, model.version) == (model_id, version)
            assert model.form.id == model_id
            assert load_form(model.form.id).version in model.form.versions


def test_every_rule_says_why_in_a_comment_above_it() -> None:
    text = (ROOT / "scoring" / "cse-screening" / "1.0.0.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    rule_lines = [i for i, line in enumerate(lines) if line.startswith("  - id: ")
                  and i > lines.index("rules:") and i < lines.index("review:")]
    assert len(rule_lines) == len(load_model("cse-screening").rules)
    for i in rule_lines:
        assert lines[i - 1].strip().startswith("#"), lines[i]


def test_load_by_id_path_and_version_agree() -> None:
    by_id = load_model("cse-screening")
    by_path = load_model(ROOT / "scoring" / "cse-screening" / "1.0.0.yaml")
    assert by_id.identity == by_path.identity == load_model("cse-screening@1.0.0").identity
    assert len(by_id.sha256) == 64
