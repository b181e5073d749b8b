"""Dates and times between the database, the data objects and the people reading them.

The database keeps moments as UTC text (``riskscreen.store.models.utc_now``); the service
data objects carry :class:`~datetime.date` and timezone-aware :class:`~datetime.datetime`
values built by :func:`moment` and :func:`day`; screens and printed lines show them UK style
through :func:`show_date` and :func:`show_moment`; JSON output gives them back as ISO 8601
text through :func:`iso`.

>>> when = moment("2026-03-01T09:05:00.000000Z")
>>> show_date(when.date()), iso(when)
('01/03/2026', '2026-03-01T09:05:00.000000Z')
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import overload

__all__ = ["day", "iso", "moment", "show_clock", "show_date", "show_moment", "show_when"]


@overload
def moment(value: str | datetime) -> datetime: ...
@overload
def moment(value: None) -> None: ...
@overload
def moment(value: str | datetime | None) -> datetime | None: ...
def moment(value: str | datetime | None) -> datetime | None:
    """A stored UTC moment (ISO 8601 text, or a datetime a driver already made) as an aware
    datetime; None for none. A naive value is taken as UTC, as stored."""
    if value is None:
        return None
    found = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def day(value: str | date | None) -> date | None:
    """A stored ISO date (or the date of a stored moment); None when there is none or it is
    unreadable (text from outside the services)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone()
    return value


def show_date(value: date | datetime | None, missing: str = "") -> str:
    """A date as the app shows it, ``dd/mm/yyyy`` (a moment on this computer's calendar)."""
    return missing if value is None else f"{_local(value):%d/%m/%Y}"


def show_moment(value: datetime | None, missing: str = "") -> str:
    """A moment as the app shows it, ``dd/mm/yyyy hh:mm`` in this computer's time zone."""
    return missing if value is None else f"{_local(value):%d/%m/%Y %H:%M}"


def show_when(value: date | datetime | None, missing: str = "") -> str:
    """A moment with its time (:func:`show_moment`), a date without (:func:`show_date`)."""
    if isinstance(value, datetime):
        return show_moment(value)
    return show_date(value, missing)


def show_clock(value: datetime) -> str:
    """The time of a moment, ``hh:mm:ss`` in this computer's time zone."""
    return f"{_local(value):%H:%M:%S}"


def iso(value: date | datetime | None) -> str | None:
    """A date or moment as ISO 8601 text for JSON output: a moment in UTC, in the stored
    fixed-width form, so the output reads as it did when the data objects held text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo is not None else value
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.isoformat()
