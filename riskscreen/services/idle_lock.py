"""How long RiskScreen waits without input before it locks itself.

The administrator sets the longest time (setting ``idle_lock_minutes``, 1 to 240 minutes);
each account may choose a shorter time for itself, never "never" and never longer than the
administrator's. The rule lives here, not in the GUI, so no window can get round it; the
signed-in account's time is read and set through ``session.settings``.
"""

from __future__ import annotations

from riskscreen.services.errors import ServiceError

__all__ = ["DEFAULT_IDLE_MINUTES", "LONGEST_IDLE_MINUTES", "check_idle_limit"]

#: The administrator's limit until one is set.
DEFAULT_IDLE_MINUTES = 5
#: The longest limit an administrator may set (four hours).
LONGEST_IDLE_MINUTES = 240


def check_idle_limit(value: str) -> int:
    """The administrator's limit as minutes; :class:`ServiceError` if it is not allowed."""
    if not value.strip().isdigit() or not 1 <= int(value) <= LONGEST_IDLE_MINUTES:
        raise ServiceError("The idle lock time is a whole number of minutes from 1 to "
                           f"{LONGEST_IDLE_MINUTES}. RiskScreen always locks when left "
                           "alone, to keep children's information private.")
    return int(value)
