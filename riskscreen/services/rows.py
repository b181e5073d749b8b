"""Plain data objects built from stored rows, shared by the managers.

The managers return :mod:`riskscreen.services.types` objects, never ORM rows; the few
conversions more than one manager needs live here.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select

from riskscreen.dates import day, moment
from riskscreen.services.types import ChildInfo, Role, ScreeningRow, Status, UserInfo
from riskscreen.store.models import Child, Screening, User

__all__ = ["canonical_json", "child_info", "screening_row", "screening_rows", "user_info"]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces, as the database stores answers and details."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def user_info(u: User) -> UserInfo:
    """An account as the services show it."""
    return UserInfo(u.id, u.name, u.display_name, Role(u.role), u.disabled)


def child_info(c: Child) -> ChildInfo:
    """A child record as the services show it."""
    return ChildInfo(c.id, c.name, day(c.date_of_birth), json.loads(c.identifiers or "{}"))


def screening_rows() -> Any:
    """The query whose rows :func:`screening_row` reads (add ``where`` and ``order_by``)."""
    return (select(Screening.id, Screening.child_id, Child.name, Child.date_of_birth,
                   User.name, Screening.status, Screening.final_level,
                   Screening.screening_date, Screening.updated_at, Screening.amendment_of)
            .join(Child, Child.id == Screening.child_id)
            .join(User, User.id == Screening.practitioner_id))


def screening_row(r: Any) -> ScreeningRow:
    """One row of :func:`screening_rows` as a list entry."""
    (sid, child_id, child_name, dob, practitioner, status, level, screening_date, updated_at,
     amendment_of) = r
    return ScreeningRow(sid, child_id, child_name, day(dob), practitioner, Status(status), level,
                        date.fromisoformat(screening_date), moment(updated_at), amendment_of)
