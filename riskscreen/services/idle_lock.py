"""How long RiskScreen waits without input before it locks itself.

The administrator sets the longest time (setting ``idle_lock_minutes``, 1 to 240 minutes);
each account may choose a shorter time for itself, never "never" and never longer than the
administrator's. The rule lives here, not in the GUI, so no window can get round it.
"""

from __future__ import annotations

from sqlalchemy import select

from riskscreen.services.errors import ServiceError
from riskscreen.services.session import Session
from riskscreen.store.models import Meta

__all__ = [
    "DEFAULT_IDLE_MINUTES",
    "LONGEST_IDLE_MINUTES",
    "check_idle_limit",
    "idle_lock_limit",
    "idle_lock_minutes",
    "set_idle_lock_minutes",
]

#: The administrator's limit until one is set.
DEFAULT_IDLE_MINUTES = 5
#: The longest limit an administrator may set (four hours).
LONGEST_IDLE_MINUTES = 240


def _own_key(session: Session) -> str:
    return f"account.{session.user.id}.idle_lock_minutes"


def check_idle_limit(value: str) -> int:
    """The administrator's limit as minutes; :class:`ServiceError` if it is not allowed."""
    if not value.strip().isdigit() or not 1 <= int(value) <= LONGEST_IDLE_MINUTES:
        raise ServiceError("The idle lock time is a whole number of minutes from 1 to "
                           f"{LONGEST_IDLE_MINUTES}. RiskScreen always locks when left "
                           "alone, to keep children's information private.")
    return int(value)


def idle_lock_limit(session: Session) -> int:
    """The longest idle time the administrator allows, in minutes (any signed-in role)."""
    with session.context.transaction() as s:
        stored = s.scalar(select(Meta.value).where(Meta.key == "setting.idle_lock_minutes"))
    try:
        return check_idle_limit(str(stored))
    except ServiceError:
        # Never set, or "0" from before there was a limit: the default, never "never".
        return DEFAULT_IDLE_MINUTES


def idle_lock_minutes(session: Session) -> int:
    """The idle time in force for the signed-in account: its own choice within the limit."""
    limit = idle_lock_limit(session)
    with session.context.transaction() as s:
        own = s.scalar(select(Meta.value).where(Meta.key == _own_key(session)))
    if own is not None and str(own).isdigit() and int(own) >= 1:
        return min(int(own), limit)
    return limit


def set_idle_lock_minutes(session: Session, minutes: int) -> int:
    """Choose a shorter idle time for the signed-in account; refused outside 1 to the limit."""
    limit = idle_lock_limit(session)
    if not 1 <= minutes <= limit:
        raise ServiceError(f"Choose from 1 to {limit} minutes: your administrator has set "
                           f"{limit} minutes as the longest time before RiskScreen locks.")
    with session.context.transaction() as s:
        s.merge(Meta(key=_own_key(session), value=str(minutes)))
        session.context.audit(s, "idle_lock_set", f"user:{session.user.id}", {"minutes": minutes})
    return minutes
