"""A problem profile: places and areas by how many children are linked to them, and by how
great the concern about those children is, over a period; and the suppression that makes
an export safe to share.

Each child counts once per place or area, at the level of their latest finalised screening
up to the end of the period (``not screened`` if there is none). A place is an entity of
place records (:mod:`riskscreen.intel.matching`); an area is the area written on place
records, compared loosely (``North Vale`` is ``Northvale``).

>>> suppress(3), suppress(0), suppress(12)
('<5', 0, 12)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["NOT_SCREENED", "SUPPRESS_BELOW", "PlaceLinks", "ProfileRow", "build_profile",
           "suppress"]

#: Counts from 1 to this minus one are shown as ``<5`` in anything that leaves the tool.
SUPPRESS_BELOW = 5
NOT_SCREENED = "not screened"


def suppress(count: int) -> int | str:
    """``count`` as an export shows it: ``<5`` for 1 to 4, the number otherwise."""
    return f"<{SUPPRESS_BELOW}" if 0 < count < SUPPRESS_BELOW else count


@dataclass(frozen=True)
class ProfileRow:
    """One place or area: how many children are linked to it, by level of concern."""

    kind: str  # "place" or "area"
    label: str
    children: int
    by_level: tuple[tuple[str, int], ...]
    #: The records behind it (not exported).
    item_ids: tuple[int, ...] = ()

    def exported(self, levels: Iterable[str]) -> dict[str, int | str]:
        """The row as an anonymised export: counts under 5 suppressed, no ids."""
        counts = dict(self.by_level)
        row: dict[str, int | str] = {"kind": self.kind, "place_or_area": self.label,
                                     "children": suppress(self.children)}
        for level in levels:
            row[level] = suppress(counts.get(level, 0))
        return row


@dataclass(frozen=True)
class PlaceLinks:
    """One place entity (or one area) and the children linked to it within the period."""

    kind: str
    label: str
    children: frozenset[int]
    item_ids: tuple[int, ...] = ()


def build_profile(places: Iterable[PlaceLinks], levels: Mapping[int, str],
                  level_order: Iterable[str]) -> list[ProfileRow]:
    """Rows for the places and areas given, most children first; ``levels`` is each child's
    level of concern and ``level_order`` the order to list levels in (highest first)."""
    order = [*level_order, NOT_SCREENED]
    rows: list[ProfileRow] = []
    for place in places:
        if not place.children:
            continue
        counts: dict[str, int] = defaultdict(int)
        for child in place.children:
            counts[levels.get(child, NOT_SCREENED)] += 1
        known = [lv for lv in order if counts.get(lv)]
        known += sorted(lv for lv in counts if lv not in order)
        rows.append(ProfileRow(place.kind, place.label, len(place.children),
                               tuple((lv, counts[lv]) for lv in known), place.item_ids))
    rank = {lv: i for i, lv in enumerate(order)}

    def key(row: ProfileRow) -> tuple[int, int, int, str]:
        top = min((rank.get(lv, len(order)) for lv, _ in row.by_level), default=len(order))
        return (0 if row.kind == "place" else 1, -row.children, top, row.label)

    return sorted(rows, key=key)
