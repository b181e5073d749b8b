"""The pure intelligence rules: grading, the matching keys and entities, retention periods
and the profile's suppression (the module doctests run here too)."""

from __future__ import annotations

import doctest
from datetime import date

import pytest

from riskscreen.definitions import DefinitionError
from riskscreen.intel import details, grading, matching, profile, retention
from riskscreen.intel.grading import GradeError, parse_grade
from riskscreen.intel.matching import MatchRecord, build_network


@pytest.mark.parametrize("module", [grading, matching, profile, retention, details])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]


def test_every_3x5x2_grade_parses_and_says_what_it_means() -> None:
    for s in "123":
        for i in "ABCDE":
            for h in "PC":
                g = parse_grade(f"{s}/{i.lower()}/{h}")
                assert g.text == f"{s}/{i}/{h}"
                assert g.restricted == (h == "C")
                assert all(g.words())


def test_legacy_5x5x5_only_when_asked_and_its_restrictive_codes() -> None:
    with pytest.raises(GradeError, match="legacy"):
        parse_grade("E/5/5")
    assert [parse_grade(f"A/1/{h}", allow_legacy=True).restricted for h in "12345"] == [
        False, False, False, True, True]
    with pytest.raises(GradeError, match="5x5x5 intelligence assessment"):
        parse_grade("A/6/1", allow_legacy=True)


def test_phone_keys_and_a_chain_of_shared_keys_make_one_entity() -> None:
    assert matching.phone_key("0044 7700 900123") == matching.phone_key("07700900123")
    assert matching.phone_key("123") is None
    records = [
        MatchRecord(1, "person", "A", frozenset({("phone", "07700900123")}),
                    children=frozenset({1})),
        MatchRecord(2, "person", "B", frozenset({("phone", "07700900123"),
                                                 ("registration", "AB12CDE")}),
                    children=frozenset({2})),
        MatchRecord(3, "vehicle", "C", frozenset({("registration", "AB12CDE")}),
                    children=frozenset({3})),
        MatchRecord(4, "person", "D", frozenset(), frozenset({"jay"}), frozenset({4})),
        MatchRecord(5, "person", "E", frozenset(), frozenset({"jay"}), frozenset({4})),
    ]
    net = build_network(records)
    (joined,) = net.shared_entities
    assert joined.item_ids == (1, 2, 3)
    assert joined.children == (1, 2, 3)
    assert joined.kind == "person"
    assert len(net.pairs()) == 3
    # D and E share only a name: a possible link, not one entity.
    assert [p.name for p in net.possible] == ["jay"]


def test_vehicle_registration_found_in_its_text() -> None:
    vehicle = details.check_details("vehicle", {})
    assert details.keys_of("vehicle", vehicle, "silver car ab12 cde seen twice") == {
        ("registration", "AB12CDE")}


def test_retention_needs_every_kind_once() -> None:
    shipped = retention.load_retention()
    assert {p.item_kind for p in shipped.periods} == set(retention.ITEM_KINDS)
    assert shipped.due("place", date(2026, 1, 31)) == date(2028, 1, 31)
    assert retention.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    with pytest.raises(DefinitionError, match="missing: place, vehicle, online"):
        retention.parse_retention("kind: intel_retention\nid: r\nversion: '1'\nperiods:\n"
                                  "  - {item_kind: person, months: 6}\n", "r.yaml")


def test_suppression_and_profile_order() -> None:
    rows = profile.build_profile(
        [profile.PlaceLinks("area", "B", frozenset({1, 2})),
         profile.PlaceLinks("place", "A", frozenset({1, 2, 3, 4, 5, 6}))],
        {1: "high", 2: "low"}, ("high", "medium", "low"))
    assert [r.label for r in rows] == ["A", "B"]
    assert rows[0].exported(["high", "low", "not screened"]) == {
        "kind": "place", "place_or_area": "A", "children": 6, "high": "<5", "low": "<5",
        "not screened": "<5"}
