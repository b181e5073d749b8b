"""Choosing where a screening goes: a pure function of the assessment and the routing table.

The level that routes is the assessment's *final* level: a professional-judgement override
moves the referral exactly as that level would, and the :class:`Route` says so.

For levels whose table entry has ``by_concern``, the destination follows the screening's main
(dominant) kind of concern: the concern tag with the most points among the risk and harm
indicator contributions. Ties are broken, in order, by (1) more points from harm indicators,
since harm already happening weighs more than risk; (2) the order of ``concerns`` in the
routing table, which the table's authors set as a priority; (3) the tag's alphabetical order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from riskscreen.forms.kinds import KindRole
from riskscreen.routing.model import Destination, RoutingTable
from riskscreen.scoring.assessment import Assessment

__all__ = ["DEFAULT_ROLES", "ConcernTotal", "Route", "RoutingError", "concern_totals",
           "dominant_concern", "level_phrase", "route"]

#: Kind id -> role for a form that declares no kinds of its own (see
#: :meth:`riskscreen.forms.model.FormDefinition.kind_roles`). Risk and harm indicators count
#: towards the dominant concern; harm breaks a tie.
DEFAULT_ROLES: Mapping[str, str] = {
    "risk_indicator": KindRole.RISK, "significant_indicator": KindRole.RISK,
    "harm_indicator": KindRole.HARM}


class RoutingError(ValueError):
    """The routing table has no route for a level (a table that passed validation never
    raises this)."""


@dataclass(frozen=True)
class ConcernTotal:
    """Points one concern tag gathered from risk and harm indicators."""

    concern: str
    label: str
    points: int
    harm_points: int


@dataclass(frozen=True)
class Route:
    """Where a referral goes and why."""

    level: str
    level_name: str
    pathway: str
    destination: Destination
    next_step: str
    deadline: str
    advice: str | None
    concern: str | None
    concern_label: str | None
    chosen_by_concern: bool
    why: str
    overridden: bool
    computed_level: str
    computed_destination: Destination
    table_id: str
    table_version: str
    #: Whether this route makes a referral (false: universal services, no referral).
    refer: bool = True
    #: Working days after finalising to send it, and after sending for the team's decision.
    send_within_days: int = 1
    decision_within_days: int | None = None

    @property
    def override_changed_destination(self) -> bool:
        """Whether the override sent the referral somewhere other than the computed level
        would have."""
        return self.overridden and self.destination.id != self.computed_destination.id


def concern_totals(assessment: Assessment, table: RoutingTable,
                   roles: Mapping[str, str] | None = None) -> list[ConcernTotal]:
    """Points per concern tag, best first (see the module docstring for the tie-breaks).

    ``roles`` maps the form's kind ids to their roles (the form's ``kind_roles()``).
    """
    roles = DEFAULT_ROLES if roles is None else roles
    points: dict[str, int] = defaultdict(int)
    harm: dict[str, int] = defaultdict(int)
    for c in assessment.contributions:
        role = roles.get(c.kind)
        if c.concern and role in (KindRole.RISK, KindRole.HARM) and c.points > 0:
            points[c.concern] += c.points
            if role == KindRole.HARM:
                harm[c.concern] += c.points
    priority = {tag: i for i, tag in enumerate(table.concerns)}
    order = sorted(points, key=lambda t: (-points[t], -harm[t], priority.get(t, len(priority)), t))
    return [ConcernTotal(t, table.concern_label(t), points[t], harm[t]) for t in order]


def dominant_concern(assessment: Assessment, table: RoutingTable,
                     roles: Mapping[str, str] | None = None) -> str | None:
    """The concern tag with the most risk and harm points, or None if no indicator has one."""
    totals = concern_totals(assessment, table, roles)
    return totals[0].concern if totals else None


def level_phrase(name: str) -> str:
    """A level's name as a phrase: a one-word name gains "risk" (``High`` -> ``High risk``);
    a longer name (``No apparent risk``, ``Emerging concern``) is printed as the model
    writes it."""
    return f"{name} risk" if len(name.split()) == 1 and "risk" not in name.lower() else name


def _level_name(assessment: Assessment, level: str) -> str:
    try:
        return level_phrase(assessment.level_info(level).name)
    except KeyError:
        return level_phrase(level.replace("_", " ").capitalize())


def _destination_for(level: str, concern: str | None,
                     table: RoutingTable) -> tuple[Destination, bool]:
    rule = table.levels.get(level)
    if rule is None:
        raise RoutingError(f"routing table '{table.id}' has no route for level '{level}'")
    if concern is not None and concern in rule.by_concern:
        return table.destination(rule.by_concern[concern]), True
    return table.destination(rule.destination), False


def route(assessment: Assessment, table: RoutingTable,
          roles: Mapping[str, str] | None = None) -> Route:
    """Route an assessment: destination, next step and the reasons, in plain words.

    ``roles`` maps the form's kind ids to their roles (``form.kind_roles()``); without it the
    default kinds are assumed.
    """
    final = assessment.final_level
    rule = table.levels.get(final)
    if rule is None:
        raise RoutingError(f"routing table '{table.id}' has no route for level '{final}'")
    concern = dominant_concern(assessment, table, roles)
    destination, by_concern = _destination_for(final, concern, table)
    computed_destination, _ = (
        _destination_for(assessment.level, concern, table)
        if assessment.override is not None and assessment.level in table.levels
        else (destination, by_concern))
    name = _level_name(assessment, final)
    label = table.concern_label(concern) if concern else None

    parts: list[str] = []
    if assessment.override is not None:
        computed = _level_name(assessment, assessment.level)
        verb = assessment.override.direction.value
        if assessment.override.from_level is not None:
            earlier = _level_name(assessment, assessment.override.from_level)
            parts.append(
                f"The screening gave {computed}. It amends a screening finalised at "
                f"{earlier}; professional judgement, countersigned by a manager, lowered "
                f"this to {name}, so the referral follows the {name} route.")
        else:
            parts.append(
                f"The screening gave {computed}. Professional judgement {verb} this to "
                f"{name}, so the referral follows the {name} route.")
        if computed_destination.id != destination.id:
            parts.append(f"Without the override it would have gone to "
                         f"{computed_destination.name}.")
    else:
        parts.append(f"The screening gave {name}, which follows the {rule.pathway} route.")
    if by_concern:
        parts.append(f"The main kind of concern is {label}, so it goes to {destination.name}.")
    elif rule.by_concern:
        if label:
            parts.append(f"The main kind of concern is {label}; no partner specialises in it, "
                         f"so it goes to {destination.name}.")
        else:
            parts.append(f"No single kind of concern stands out, so it goes to "
                         f"{destination.name}.")
    return Route(
        level=final,
        level_name=name,
        pathway=rule.pathway,
        destination=destination,
        next_step=rule.next_step,
        deadline=rule.deadline,
        advice=rule.advice,
        concern=concern,
        concern_label=label,
        chosen_by_concern=by_concern,
        why=" ".join(parts),
        overridden=assessment.override is not None,
        computed_level=assessment.level,
        computed_destination=computed_destination,
        table_id=table.id,
        table_version=table.version,
        refer=rule.refer,
        send_within_days=rule.send_within_days,
        decision_within_days=rule.decision_within_days,
    )
