"""What each kind of intelligence item records, and the keys matching compares.

- a **person of concern**: names, nicknames, a description, an estimated age, phone numbers,
  online handles and the registrations of vehicles they use;
- a **place**: an address or a description, its type (hotel, takeaway, park, party address,
  taxi firm...) and the area it is in;
- a **vehicle**: its registration, make, model and colour;
- an **online account**: the platform and the handle.

Every kind also has the item's free text (what was seen or said), kept beside these fields.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from riskscreen.intel import matching

__all__ = ["DETAIL_MODELS", "PLACE_TYPES", "DetailsError", "OnlineDetails", "PersonDetails",
           "PlaceDetails", "VehicleDetails", "check_details", "keys_of", "label_of"]

#: Types of place offered (free text is allowed too: ``other`` with a description).
PLACE_TYPES = ("hotel", "takeaway", "park", "party address", "taxi firm", "shop",
               "house or flat", "car park", "school or college", "transport", "other")

_Short = Field(default="", max_length=200)


class DetailsError(ValueError):
    """Details that do not fit the item's kind; the message says what to change."""


class _Details(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    description: str = Field(default="", max_length=2000)


def _clean_list(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        text = " ".join(str(value).split())
        if text and text not in out:
            out.append(text[:200])
    return out


class PersonDetails(_Details):
    """A person of concern."""

    names: list[str] = Field(default_factory=list, max_length=20)
    nicknames: list[str] = Field(default_factory=list, max_length=20)
    estimated_age: int | None = Field(default=None, ge=10, le=100)
    phones: list[str] = Field(default_factory=list, max_length=20)
    handles: list[str] = Field(default_factory=list, max_length=20)
    vehicles: list[str] = Field(default_factory=list, max_length=20)

    _v_lists = field_validator("names", "nicknames", "phones", "handles", "vehicles")(
        _clean_list)


class PlaceDetails(_Details):
    """A place: an address or a description, its type and its area."""

    address: str = Field(default="", max_length=300)
    place_type: str = _Short
    area: str = _Short


class VehicleDetails(_Details):
    """A vehicle."""

    registration: str = Field(default="", max_length=20)
    make: str = _Short
    model: str = _Short
    colour: str = _Short


class OnlineDetails(_Details):
    """An online account."""

    platform: str = _Short
    handle: str = _Short


DETAIL_MODELS: dict[str, type[_Details]] = {
    "person": PersonDetails, "place": PlaceDetails, "vehicle": VehicleDetails,
    "online": OnlineDetails,
}


def check_details(kind: str, details: dict[str, Any] | None) -> _Details:
    """The details of an item of ``kind``, checked; :class:`DetailsError` with one line."""
    model = DETAIL_MODELS.get(kind)
    if model is None:
        raise DetailsError(f"Unknown kind {kind!r}; use person, place, vehicle or online.")
    try:
        return model.model_validate(details or {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or kind
        raise DetailsError(f"The {kind}'s {where.replace('_', ' ')} is not valid: "
                           f"{first['msg'].lower()}.") from None


def keys_of(kind: str, details: _Details, text: str = "") -> set[tuple[str, str]]:
    """The item's keys as :mod:`riskscreen.intel.matching` compares them; ``("name", ...)``
    keys are the weak ones. A vehicle with no registration takes one written in its text."""
    keys: set[tuple[str, str]] = set()

    def add(kind_: str, value: str | None) -> None:
        if value:
            keys.add((kind_, value[:200]))

    if isinstance(details, PersonDetails):
        for phone in details.phones:
            add("phone", matching.phone_key(phone))
        for handle in details.handles:
            add("handle", matching.handle_key(handle))
        for reg in details.vehicles:
            add("registration", matching.registration_key(reg))
        for name in [*details.names, *details.nicknames]:
            add("name", matching.name_key(name))
    elif isinstance(details, PlaceDetails):
        add("address", matching.address_key(details.address))
    elif isinstance(details, VehicleDetails):
        regs = [details.registration] if details.registration else (
            matching.registrations_in(f"{text} {details.description}"))
        for reg in regs:
            add("registration", matching.registration_key(reg))
    elif isinstance(details, OnlineDetails):
        add("handle", matching.handle_key(details.handle))
    return keys


def label_of(kind: str, details: _Details, text: str = "") -> str:
    """A short label for an item (its first name or nickname, address, registration...)."""
    label = ""
    if isinstance(details, PersonDetails):
        names = [*details.names, *(f'"{n}"' for n in details.nicknames)]
        label = " / ".join(names[:2])
    elif isinstance(details, PlaceDetails):
        label = details.address or details.description
        if details.place_type:
            label = f"{label} ({details.place_type})" if label else details.place_type
    elif isinstance(details, VehicleDetails):
        label = " ".join(p for p in (details.colour, details.make, details.model,
                                     details.registration.upper()) if p)
    elif isinstance(details, OnlineDetails):
        label = " on ".join(p for p in (details.handle, details.platform) if p)
    if not label:
        label = " ".join((text or details.description).split())[:60]
    kinds = {"person": "Person of concern", "place": "Place", "vehicle": "Vehicle",
             "online": "Online account"}
    return label or kinds.get(kind, kind)
