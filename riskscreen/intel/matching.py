"""Which records are the same person, place, vehicle or account, and so which children they
link.

**The rule.** Each record gives *keys*, each normalised first:

- phone numbers: digits only, a leading ``+44`` or ``0044`` read as ``0`` (``+44 7700 900123``
  and ``07700900123`` are one number); fewer than 7 digits is no key;
- vehicle registrations: letters and digits only, upper case (``ab12 cde`` is ``AB12CDE``);
- online handles: lower case, without a leading ``@`` and spaces, on any platform (the same
  handle on two platforms is most often the same person, and an analyst checks);
- addresses: lower case, letters and digits only, single spaces, and street words in their
  short form (``12, High Street.`` is ``12 high st``); a description with no address gives
  no key.

Records that share a key are one *entity* (transitively: A shares a phone with B, B a
registration with C, so A, B and C are one). A person record's vehicles and handles are keys
too, so a person of concern joins the car and the account they use. The children linked to
any record of an entity are linked to each other through it.

Names and nicknames are weaker: the same first name or nickname is common. Two person
entities that share only a name or nickname are **not** merged; they are shown as a
*possible* link for a person to check.

>>> phone_key("+44 (0)7700 900-123")
'07700900123'
>>> registration_key("ab12 cde")
'AB12CDE'
>>> handle_key(" @Big_J ")
'big_j'
>>> address_key("Station Hotel, 1 Mill Road") == address_key("station hotel 1 mill rd.")
True
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from riskscreen.intel.kinds import ItemKind

__all__ = [
    "Entity",
    "MatchRecord",
    "Network",
    "PossibleLink",
    "address_key",
    "area_key",
    "build_network",
    "handle_key",
    "name_key",
    "phone_key",
    "registration_key",
]

_UK_REGISTRATION = re.compile(r"\b([A-Z]{2}[0-9]{2}\s?[A-Z]{3})\b", re.IGNORECASE)


def phone_key(text: str) -> str | None:
    """A phone number as digits with the UK national prefix; None if too short to be one."""
    digits = re.sub(r"\D", "", text.replace("(0)", ""))
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and text.strip().startswith("+"):
        digits = "0" + digits[2:]
    return digits if len(digits) >= 7 else None


def registration_key(text: str) -> str | None:
    """A vehicle registration as upper-case letters and digits; None if nothing is left."""
    key = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    return key if len(key) >= 2 else None


def handle_key(text: str) -> str | None:
    """An online handle in lower case, without a leading ``@`` or spaces."""
    key = re.sub(r"\s", "", text).lstrip("@").lower()
    return key or None


#: Street words written in full or short (``Road`` is ``Rd``), compared in their short form.
_STREET_WORDS = {"road": "rd", "street": "st", "avenue": "ave", "lane": "ln", "drive": "dr",
                 "close": "cl", "crescent": "cres", "place": "pl", "court": "ct",
                 "terrace": "ter", "gardens": "gdns", "square": "sq", "grove": "gr"}


def address_key(text: str) -> str | None:
    """An address in lower case, letters and digits only, single spaces, street words short
    (``12, High Street.`` is ``12 high st``)."""
    words = re.sub(r"[^0-9a-z]+", " ", text.lower()).split()
    key = " ".join(_STREET_WORDS.get(w, w) for w in words)
    return key or None


def area_key(text: str) -> str | None:
    """An area compared loosely: lower-case letters and digits only (``North Vale`` is
    ``Northvale``)."""
    key = re.sub(r"[^0-9a-z]", "", text.lower())
    return key or None


def name_key(text: str) -> str | None:
    """A name or nickname compared loosely (lower case, letters and digits only)."""
    return address_key(text)


def registrations_in(text: str) -> list[str]:
    """UK-format registrations written in a description (``AB12 CDE``)."""
    return [m.group(1) for m in _UK_REGISTRATION.finditer(text)]


@dataclass(frozen=True)
class MatchRecord:
    """One record as the matching sees it: its keys and the children linked to it."""

    item_id: int
    kind: str
    label: str
    #: Strong keys: ``("phone", "0770...")``, ``("registration", ...)``, ``("handle", ...)``,
    #: ``("address", ...)``.
    keys: frozenset[tuple[str, str]]
    #: Weak keys: names and nicknames (possible links only).
    names: frozenset[str] = frozenset()
    children: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Entity:
    """Records taken to be one person, place, vehicle or account, and the children they link."""

    id: int
    kind: str
    label: str
    item_ids: tuple[int, ...]
    children: tuple[int, ...]
    #: The keys two or more of its records share (what joined them); empty for one record.
    matched_on: tuple[tuple[str, str], ...]

    @property
    def shared(self) -> bool:
        """Whether it links two or more children."""
        return len(self.children) >= 2


@dataclass(frozen=True)
class PossibleLink:
    """Two person entities with the same name or nickname and nothing else in common."""

    entities: tuple[int, int]
    name: str


@dataclass(frozen=True)
class Network:
    """Children and the entities linking them: nodes, edges and counts."""

    entities: tuple[Entity, ...]
    possible: tuple[PossibleLink, ...]
    #: (child id, entity id) for each child linked to each entity.
    edges: tuple[tuple[int, int], ...] = field(default=())

    @property
    def shared_entities(self) -> tuple[Entity, ...]:
        """The entities that link two or more children, most children first."""
        return tuple(sorted((e for e in self.entities if e.shared),
                            key=lambda e: (-len(e.children), e.id)))

    @property
    def linked_children(self) -> tuple[int, ...]:
        """Children linked to at least one other child through a shared entity."""
        return tuple(sorted({c for e in self.shared_entities for c in e.children}))

    def pairs(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """Each pair of linked children (lower id first) and the entities linking them."""
        found: dict[tuple[int, int], list[int]] = defaultdict(list)
        for e in self.shared_entities:
            for i, a in enumerate(e.children):
                for b in e.children[i + 1:]:
                    found[(a, b)].append(e.id)
        return {pair: tuple(ids) for pair, ids in sorted(found.items())}


_KIND_ORDER = {"person": 0, "place": 1, "vehicle": 2, "online": 3}


def build_network(records: Iterable[MatchRecord]) -> Network:
    """Join records that share a key into entities (see the module's rule)."""
    items = sorted(records, key=lambda r: r.item_id)
    parent = {r.item_id: r.item_id for r in items}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[str, str], int] = {}
    shared_keys: dict[tuple[str, str], set[int]] = defaultdict(set)
    for r in items:
        for key in r.keys:
            shared_keys[key].add(r.item_id)
            if key in first_with:
                a, b = root(first_with[key]), root(r.item_id)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first_with[key] = r.item_id
    groups: dict[int, list[MatchRecord]] = defaultdict(list)
    for r in items:
        groups[root(r.item_id)].append(r)
    entities: list[Entity] = []
    for number, (_, members) in enumerate(sorted(groups.items()), start=1):
        lead = min(members, key=lambda r: (_KIND_ORDER.get(r.kind, 9), r.item_id))
        ids = {r.item_id for r in members}
        matched = sorted(k for k, holders in shared_keys.items()
                         if len(holders & ids) >= 2)
        children = sorted({c for r in members for c in r.children})
        entities.append(Entity(number, lead.kind, lead.label,
                               tuple(sorted(ids)), tuple(children), tuple(matched)))
    return Network(tuple(entities), _possible(entities, {r.item_id: r for r in items}),
                   tuple((c, e.id) for e in entities for c in e.children))


def _possible(entities: list[Entity], records: Mapping[int, MatchRecord]
              ) -> tuple[PossibleLink, ...]:
    by_name: dict[str, set[int]] = defaultdict(set)
    for e in entities:
        for item_id in e.item_ids:
            r = records[item_id]
            if r.kind == ItemKind.PERSON:
                for name in r.names:
                    by_name[name].add(e.id)
    found: dict[tuple[int, int], str] = {}
    for name, ids in sorted(by_name.items()):
        ordered = sorted(ids)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                found.setdefault((a, b), name)
    return tuple(PossibleLink(pair, name) for pair, name in sorted(found.items()))
