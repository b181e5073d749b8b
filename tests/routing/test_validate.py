"""`riskscreen validate` on routing tables: located messages for every kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskscreen.checks import check_files
from riskscreen.cli.main import main
from riskscreen.definitions import DefinitionError
from riskscreen.routing import load_routing, parse_routing
from riskscreen.routing.loader import check_routing
from riskscreen.routing.model import RoutingTable

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "forms" / "cse-screening" / "routing.yaml"


def shipped_text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def messages(tmp_path: Path, text: str) -> list[str]:
    return [p.format() for p in check_files([write(tmp_path, text)])]


def test_shipped_table_is_valid() -> None:
    assert check_files([SHIPPED]) == []
    assert load_routing().id == "northvale-cse-routing"
    assert isinstance(load_routing(SHIPPED), RoutingTable)


def test_shipped_contacts_are_fictional() -> None:
    for d in load_routing().destinations:
        assert d.secure_email.endswith(".example")
        assert d.phone.replace(" ", "").startswith("01144960")


def test_cli_validate_catches_a_level_with_no_route(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = shipped_text()
    start = text.index("  medium:\n")
    end = text.index("  low:\n")
    path = write(tmp_path, text[:start] + text[end:])
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    levels_line = text[:text.index("\nlevels:")].count("\n") + 2
    assert f"{path}:{levels_line}: level 'medium' has no route" in out, out


def test_unknown_concern_tag_is_located(tmp_path: Path) -> None:
    text = shipped_text().replace("      online: online_safety\n",
                                  "      onlien: online_safety\n", 1)
    found = messages(tmp_path, text)
    line = text.index("onlien:")
    expected_line = text[:line].count("\n") + 1
    assert any(f":{expected_line}: unknown concern tag 'onlien'" in m for m in found), found


def test_duplicate_destination_and_unknown_destination(tmp_path: Path) -> None:
    text = shipped_text().replace("  - id: universal_advice", "  - id: youth_support")
    found = "\n".join(messages(tmp_path, text))
    assert "destination 'youth_support' is defined twice" in found
    assert "level 'none' routes to unknown destination 'universal_advice'" in found


def test_unknown_level(tmp_path: Path) -> None:
    text = shipped_text().replace("  none:\n", "  nothing:\n")
    found = "\n".join(messages(tmp_path, text))
    assert "route for unknown level 'nothing'" in found
    assert "level 'none' has no route" in found


def test_unknown_key(tmp_path: Path) -> None:
    text = shipped_text().replace(
        "    pathway: Specialist CSE team\n", "    pathway: Specialist CSE team\n    colour: red\n")
    found = "\n".join(messages(tmp_path, text))
    assert "unknown key 'colour' [at levels.high.colour]" in found


def test_bad_contact_details(tmp_path: Path) -> None:
    text = shipped_text().replace("exploitation.hub@northvale.gcsx.example", "not-an-email")
    text = text.replace("phone: 0114 496 0202", "phone: call us")
    found = "\n".join(messages(tmp_path, text))
    assert "'not-an-email' is not an email address" in found
    assert "'call us' is not a phone number" in found


def test_summary_field_naming_a_missing_question(tmp_path: Path) -> None:
    text = shipped_text().replace("  child_views: child_views", "  child_views: child_voice")
    found = "\n".join(messages(tmp_path, text))
    assert "summary field 'child_views' names question 'child_voice'" in found


def test_yaml_duplicate_key_is_reported(tmp_path: Path) -> None:
    text = shipped_text().replace("    pathway: Universal services\n",
                                  "    pathway: Universal services\n    pathway: again\n")
    found = "\n".join(messages(tmp_path, text))
    assert "duplicate key" in found or "pathway" in found


def test_checks_against_given_level_ids() -> None:
    table = load_routing()
    problems = check_routing(table, level_ids=("none", "low", "medium", "high", "very_high"))
    assert [p.message for p in problems] == ["level 'very_high' has no route"]


def test_parse_routing_raises_located_error() -> None:
    with pytest.raises(DefinitionError) as info:
        parse_routing("kind: form\nid: x\n", "x.yaml")
    assert info.value.problems[0].format().startswith("x.yaml:1: expected 'kind: routing'")
