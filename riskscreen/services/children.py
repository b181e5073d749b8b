"""Child records: create one, search by name, view one with its screenings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select

from riskscreen.services.context import Context
from riskscreen.services.errors import NotFound, ServiceError
from riskscreen.services.rows import canonical_json, child_info, screening_row, screening_rows
from riskscreen.services.types import ChildInfo, ChildRecord, Role
from riskscreen.store.models import Child, Screening

__all__ = ["SCREENING_ROLES", "ChildManager"]

#: The roles that work with children and screenings (an administrator sees none).
SCREENING_ROLES = (Role.PRACTITIONER, Role.MANAGER)


class ChildManager:
    """Child records of one signed-in session (practitioners and managers)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def create(self, name: str, date_of_birth: date | str | None = None,
               identifiers: Mapping[str, str] | None = None) -> ChildInfo:
        """A new child record."""
        self._ctx.require(*SCREENING_ROLES)
        if not name.strip():
            raise ServiceError("A child record needs a name.")
        if isinstance(date_of_birth, str):
            try:
                date_of_birth = date.fromisoformat(date_of_birth)
            except ValueError:
                raise ServiceError("Write the date of birth as YYYY-MM-DD, for example "
                                   "2011-04-05.") from None
        dob = date_of_birth.isoformat() if date_of_birth else None
        with self._ctx.transaction() as s:
            child = Child(name=name.strip(), date_of_birth=dob,
                          identifiers=canonical_json(dict(identifiers or {})),
                          created_by=self._ctx.user.id)
            s.add(child)
            s.flush()
            self._ctx.audit(s, "create", f"child:{child.id}")
            return child_info(child)

    def search(self, text_: str, limit: int = 50) -> list[ChildInfo]:
        """Children whose name contains ``text_`` (case-insensitive), to start a screening."""
        self._ctx.require(*SCREENING_ROLES)
        with self._ctx.transaction() as s:
            rows = s.scalars(select(Child).where(Child.name.icontains(text_.strip(),
                                                                      autoescape=True))
                             .order_by(Child.name, Child.id).limit(limit))
            return [child_info(c) for c in rows]

    def get(self, child_id: int) -> ChildRecord:
        """A child and the screenings this user may see (a recorded view)."""
        self._ctx.require(*SCREENING_ROLES)
        with self._ctx.transaction() as s:
            child = s.get(Child, child_id)
            if child is None:
                raise NotFound("There is no such child record.")
            query = screening_rows().where(Screening.child_id == child_id)
            user = self._ctx.user
            if user.role == Role.PRACTITIONER:
                query = query.where(Screening.practitioner_id == user.id)
            rows = [screening_row(r) for r in s.execute(query.order_by(Screening.screening_date,
                                                                       Screening.id))]
            self._ctx.audit(s, "view", f"child:{child_id}")
            return ChildRecord(child_info(child), rows)
