"""What the follow-up managers (episodes, reviews, chronology) share: the unit of work they
need from the session, and which children a practitioner may act on."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.forms.model import FormDefinition
from riskscreen.services.errors import NotFound, PermissionDenied
from riskscreen.services.types import Role, UserInfo
from riskscreen.store.db import StorageError
from riskscreen.store.integrity import stored_record
from riskscreen.store.models import AssessmentRow, Child, RecordDictionary, Screening

__all__ = ["SCREENING_ROLES", "RecordReader", "UnitOfWork", "child_for", "own_children"]

#: The roles that work with children (an administrator works with none).
SCREENING_ROLES = (Role.PRACTITIONER, Role.MANAGER)


class UnitOfWork(Protocol):
    """The session's shared context as these managers use it."""

    @property
    def user(self) -> UserInfo: ...

    def transaction(self) -> contextlib.AbstractContextManager[OrmSession]: ...

    def require(self, *roles: str) -> None: ...

    def audit(self, s: OrmSession, action: str, obj: str,
              detail: Mapping[str, Any] | None = None) -> None: ...

    def form(self, form_id: str, version: str) -> FormDefinition: ...


def own_children(user: UserInfo) -> Any:
    """A condition on :class:`Child` rows: the children ``user`` works with (a practitioner:
    those they recorded or screened; a manager: every child)."""
    if user.role == Role.MANAGER:
        return Child.id.is_not(None)
    # One list of the children they screened, not a subquery per child: SQLite answered the
    # correlated form by reading all of the practitioner's screenings for every child.
    screened = select(Screening.child_id).where(Screening.practitioner_id == user.id)
    return or_(Child.created_by == user.id, Child.id.in_(screened))


def child_for(s: OrmSession, user: UserInfo, child_id: int) -> Child:
    """The child record, if ``user`` works with that child; else a one-line refusal."""
    child = s.get(Child, child_id)
    if child is None:
        raise NotFound("There is no such child record; check the number.")
    # The one child's screenings by this practitioner: a look-up in ix_screenings_child
    # (the list of all the children they screened, as own_children builds, grows with them).
    if user.role != Role.MANAGER and child.created_by != user.id and s.scalar(
            select(Screening.id).where(Screening.child_id == child_id,
                                       Screening.practitioner_id == user.id).limit(1)) is None:
        raise PermissionDenied("This child is not one of yours: only the practitioner who "
                               "recorded or screened the child, or a manager, can do this.")
    return child




class RecordReader:
    """Reads finalised records (snapshot and answer set texts), caching the dictionaries."""

    def __init__(self) -> None:
        self._dictionaries: dict[int, bytes] = {}

    def texts(self, s: OrmSession, screening_id: int) -> tuple[str, str]:
        """(snapshot, answer set) texts of a finalised screening's record."""
        row = s.get(AssessmentRow, screening_id)
        if row is None:
            raise NotFound("The finalised record of this screening is missing; run "
                           "'riskscreen verify'.")
        if row.dictionary_id not in self._dictionaries:
            found = s.get(RecordDictionary, row.dictionary_id)
            if found is not None:
                self._dictionaries[row.dictionary_id] = bytes(found.data)
        try:
            return stored_record(self._dictionaries, row.dictionary_id, row.record)
        except ValueError:
            raise StorageError("A finalised record cannot be read; run 'riskscreen verify' "
                               "and restore a backup if it reports damage.") from None
