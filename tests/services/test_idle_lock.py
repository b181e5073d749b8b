"""The idle lock: the administrator sets the longest time; an account may only shorten it."""

from __future__ import annotations

import pytest

from riskscreen.services import ServiceError
from riskscreen.services.idle_lock import DEFAULT_IDLE_MINUTES

from ..conftest import Vault


def test_a_practitioner_can_shorten_the_idle_lock_but_never_turn_it_off(vault: Vault) -> None:
    pat = vault.login("pat")
    assert (pat.settings.idle_lock_minutes() == pat.settings.idle_lock_limit()
            == DEFAULT_IDLE_MINUTES)
    for refused in (0, -1, DEFAULT_IDLE_MINUTES + 1, 120):
        with pytest.raises(ServiceError, match=f"from 1 to {DEFAULT_IDLE_MINUTES} minutes"):
            pat.settings.set_idle_lock_minutes(refused)
    assert pat.settings.idle_lock_minutes() == DEFAULT_IDLE_MINUTES
    pat.settings.set_idle_lock_minutes(3)
    assert pat.settings.idle_lock_minutes() == 3
    assert vault.login("mary").settings.idle_lock_minutes() == DEFAULT_IDLE_MINUTES  # per account

    admin = vault.login("admin")
    for refused in ("0", "241", "-1", "five"):
        with pytest.raises(ServiceError, match="from 1 to 240"):
            admin.settings.save({"idle_lock_minutes": refused})
    admin.settings.save({"idle_lock_minutes": "2"})
    # A limit lowered below an account's own choice wins at once.
    assert pat.settings.idle_lock_minutes() == 2
    admin.settings.save({"idle_lock_minutes": "30"})
    assert pat.settings.idle_lock_minutes() == 3
    pat.settings.set_idle_lock_minutes(30)
    assert pat.settings.idle_lock_minutes() == 30
    entries = admin.audit.entries(action="idle_lock_set")
    assert [e.user for e in entries] == ["pat", "pat"]
