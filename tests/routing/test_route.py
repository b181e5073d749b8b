"""Routing: every level and every concern goes where the shipped routing table says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from riskscreen.forms.loader import load_form
from riskscreen.routing import load_routing, route
from riskscreen.routing.route import concern_totals, dominant_concern
from riskscreen.scoring.assessment import (
    Assessment,
    Contribution,
    Override,
    OverrideDirection,
)

MakeAssessment = Callable[..., Assessment]
MakeContribution = Callable[..., Contribution]

TABLE = load_routing()
#: The levels of the shipped model and the concern tags of the shipped form.
DEFAULT_LEVEL_IDS = ("none", "low", "medium", "high")
DEFAULT_CONCERN_TAGS = tuple(sorted({q.concern for q in load_form("cse-screening").questions()
                                     if q.concern}))


def test_shipped_table_routes_every_default_level() -> None:
    assert set(TABLE.levels) == set(DEFAULT_LEVEL_IDS)


@pytest.mark.parametrize("level", DEFAULT_LEVEL_IDS)
def test_each_level_without_concern_goes_to_its_destination(
        level: str, make_assessment: MakeAssessment,
        contribution: MakeContribution) -> None:
    r = route(make_assessment(level), TABLE)
    assert r.level == level
    assert r.destination.id == TABLE.levels[level].destination
    assert r.next_step == TABLE.levels[level].next_step
    assert r.deadline == TABLE.levels[level].deadline
    assert not r.overridden
    assert not r.chosen_by_concern
    assert r.why


def test_high_goes_to_specialist_team_whatever_the_concern(
        make_assessment: MakeAssessment,
        contribution: MakeContribution) -> None:
    for tag in DEFAULT_CONCERN_TAGS:
        r = route(make_assessment("high", [contribution(tag, 5)]), TABLE)
        assert r.destination.id == "specialist_cse_team"
        assert "one working day" in r.deadline


def test_none_gives_universal_advice(make_assessment: MakeAssessment,
        contribution: MakeContribution) -> None:
    r = route(make_assessment("none"), TABLE)
    assert r.advice
    assert "universal" in r.advice


@pytest.mark.parametrize("level", DEFAULT_LEVEL_IDS)
@pytest.mark.parametrize("concern", DEFAULT_CONCERN_TAGS)
def test_every_level_and_concern(level: str, concern: str,
                                 make_assessment: MakeAssessment,
        contribution: MakeContribution) -> None:
    a = make_assessment(level, [contribution(concern, 4), contribution("criminal", 1)]
                        if concern != "criminal" else [contribution(concern, 4)])
    r = route(a, TABLE)
    rule = TABLE.levels[level]
    expected = rule.by_concern.get(concern, rule.destination)
    assert r.destination.id == expected
    assert r.concern == concern
    assert r.chosen_by_concern == (concern in rule.by_concern)
    if concern in rule.by_concern:
        assert TABLE.concern_label(concern) in r.why


def test_medium_online_goes_to_online_safety(make_assessment: MakeAssessment,
        contribution: MakeContribution) -> None:
    a = make_assessment("medium", [contribution("online", 3, question="a"),
                                   contribution("online", 3, question="b"),
                                   contribution("missing", 4, question="c")])
    assert route(a, TABLE).destination.id == "online_safety"


def test_protective_and_vulnerability_points_do_not_choose_the_concern(
        make_assessment: MakeAssessment,
        contribution: MakeContribution) -> None:
    a = make_assessment("medium", [contribution("missing", 2),
                                   contribution("online", 9, kind="vulnerability"),
                                   contribution("online", -3, kind="protective_factor")])
    assert dominant_concern(a, TABLE) == "missing"


def test_ties_go_to_harm_then_table_order(make_assessment: MakeAssessment,
        contribution: MakeContribution) -> None:
    harm = make_assessment("medium", [contribution("online", 4),
                                      contribution("missing", 4, kind="harm_indicator")])
    assert dominant_concern(harm, TABLE) == "missing"
    harm2 = make_assessment("medium", [contribution("missing", 4),
                                       contribution("online", 4, kind="harm_indicator")])
    assert dominant_concern(harm2, TABLE) == "online"
    # same points, same harm: the order of `concerns` in the table (missing before online)
    order = list(TABLE.concerns)
    a = make_assessment("medium", [contribution("online", 4), contribution("missing", 4)])
    first = min(("online", "missing"), key=order.index)
    assert dominant_concern(a, TABLE) == first
    totals = concern_totals(a, TABLE)
    assert [t.points for t in totals] == [4, 4]


def test_no_concern_points_uses_default_partner(make_assessment: MakeAssessment,
        contribution: MakeContribution) -> None:
    r = route(make_assessment("low", [contribution(None, 3)]), TABLE)
    assert r.concern is None
    assert r.destination.id == TABLE.levels["low"].destination
    assert "No single kind of concern" in r.why


@pytest.mark.parametrize(("computed", "final"), [("medium", "high"), ("low", "high"),
                                                  ("high", "medium"), ("none", "low")])
def test_override_routes_as_its_level(computed: str, final: str,
                                      make_assessment: MakeAssessment,
        contribution: MakeContribution) -> None:
    a = make_assessment(computed, [contribution("online", 3)], override=final)
    r = route(a, TABLE)
    plain = route(make_assessment(final, [contribution("online", 3)]), TABLE)
    assert r.destination == plain.destination
    assert r.level == final
    assert r.overridden
    assert r.computed_level == computed
    assert "Professional judgement" in r.why
    assert r.override_changed_destination == (r.computed_destination.id != r.destination.id)
    if r.override_changed_destination:
        assert "Without the override" in r.why


def test_an_amendment_lowered_to_its_computed_level_says_what_it_amends(
        make_assessment: MakeAssessment, contribution: MakeContribution) -> None:
    a = make_assessment("medium", [contribution("online", 3)])
    lowered = replace(a, override=Override("medium", OverrideDirection.LOWERED,
                                           "Police checks show the adult is her uncle.",
                                           "A. Practitioner", "M. Manager", from_level="high"))
    r = route(lowered, TABLE)
    assert r.level == "medium"
    assert "amends a screening finalised at High risk" in r.why
    assert "lowered this to Medium risk" in r.why
    assert "lowered this to Medium risk" not in route(a, TABLE).why
