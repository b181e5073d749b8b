"""The idle lock: the administrator sets the longest time; an account may only shorten it."""

from __future__ import annotations

import pytest

from riskscreen.services import ServiceError
from riskscreen.services.admin import AdminService
from riskscreen.services.idle_lock import (
    DEFAULT_IDLE_MINUTES,
    idle_lock_limit,
    idle_lock_minutes,
    set_idle_lock_minutes,
)

from ..conftest import Vault


def test_a_practitioner_can_shorten_the_idle_lock_but_never_turn_it_off(vault: Vault) -> None:
    pat = vault.login("pat")
    assert idle_lock_minutes(pat) == idle_lock_limit(pat) == DEFAULT_IDLE_MINUTES
    for refused in (0, -1, DEFAULT_IDLE_MINUTES + 1, 120):
        with pytest.raises(ServiceError, match=f"from 1 to {DEFAULT_IDLE_MINUTES} minutes"):
            set_idle_lock_minutes(pat, refused)
    assert idle_lock_minutes(pat) == DEFAULT_IDLE_MINUTES
    set_idle_lock_minutes(pat, 3)
    assert idle_lock_minutes(pat) == 3
    assert idle_lock_minutes(vault.login("mary")) == DEFAULT_IDLE_MINUTES  # per account

    admin = AdminService(vault.login("admin"))
    for refused in ("0", "241", "-1", "five"):
        with pytest.raises(ServiceError, match="from 1 to 240"):
            admin.save_settings({"idle_lock_minutes": refused})
    admin.save_settings({"idle_lock_minutes": "2"})
    # A limit lowered below an account's own choice wins at once.
    assert idle_lock_minutes(pat) == 2
    admin.save_settings({"idle_lock_minutes": "30"})
    assert idle_lock_minutes(pat) == 3
    set_idle_lock_minutes(pat, 30)
    assert idle_lock_minutes(pat) == 30
    entries = admin.audit_entries(action="idle_lock_set")
    assert [e.user for e in entries] == ["pat", "pat"]
