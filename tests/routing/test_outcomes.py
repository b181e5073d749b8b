"""The outcomes vocabulary: shipped file valid, every mistake reported as FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskscreen.checks import check_files
from riskscreen.cli.main import main
from riskscreen.definitions import DefinitionError
from riskscreen.routing.outcomes import load_outcomes

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "resources" / "outcomes.yaml"


def test_shipped_vocabulary_is_valid_and_has_the_outcomes_the_pathway_needs() -> None:
    assert check_files([SHIPPED]) == []
    vocabulary = load_outcomes()
    ids = {o.id for o in vocabulary.outcomes}
    assert {"strategy_discussion", "cse_team_allocated", "preventative_work", "nrm_referral",
            "police_investigation", "no_further_action", "support_declined"} <= ids
    assert vocabulary.outcome("preventative_work").detail_required
    assert vocabulary.outcome("no_further_action").detail_required
    assert {s.id for s in vocabulary.confirmation_sources} == {
        "strategy_discussion", "cse_team_assessment", "police", "nrm_decision"}
    assert vocabulary.outcome_label("gone_away") == "Gone away"


def test_mistakes_are_located(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    bad = text.replace("    label: Police investigation\n",
                       "    label: Police investigation\n    colour: blue\n", 1)
    path = tmp_path / "outcomes.yaml"
    path.write_text(bad, encoding="utf-8")
    line = bad[:bad.index("    colour: blue")].count("\n") + 1
    assert main(["validate", str(path)]) == 1
    assert f"{path}:{line}: unknown key 'colour'" in capsys.readouterr().out


def test_an_id_defined_twice_is_located(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "  - id: nrm_referral\n", "  - id: strategy_discussion\n", 1)
    path = tmp_path / "outcomes.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_outcomes(path)
    line = text.index("  - id: strategy_discussion\n    label: National")
    assert str(caught.value).startswith(f"{path}:{text[:line].count(chr(10)) + 1}: "
                                        "'strategy_discussion' is defined twice")


def test_loaded_numbers_and_booleans_write_back_as_yaml() -> None:
    """A routing table saved by the administrator (``send_within_days: 0``) loads as ruamel's
    number types; they must write back (the settings store the table as YAML)."""
    from riskscreen.definitions import dump_yaml, load_yaml

    data = load_yaml("a: 0\nb: 0x1f\nc: 1.5e3\nd: true\ne: [0, 'x']\n", "t.yaml").data
    assert data == {"a": 0, "b": 31, "c": 1500.0, "d": True, "e": [0, "x"]}
    assert load_yaml(dump_yaml(data), "again.yaml").data == data
