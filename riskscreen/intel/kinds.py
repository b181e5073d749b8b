"""The kinds of intelligence item, in a module of their own so that the command line can offer
them without loading the rest of the intelligence code."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ITEM_KINDS", "ItemKind"]


class ItemKind(StrEnum):
    """What an intelligence item is about; the value is the text stored and shown in JSON."""

    PERSON = "person"
    PLACE = "place"
    VEHICLE = "vehicle"
    ONLINE = "online"


#: Every kind of item, in the order they are offered.
ITEM_KINDS: tuple[ItemKind, ...] = tuple(ItemKind)
