"""Every action checks the account's current role and state, read again from the database:
an open session keeps no power its account has lost (two sessions on one database)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from riskscreen.scoring.loader import load_model
from riskscreen.services import Countersignature, NotFound, PermissionDenied, ServiceError
from riskscreen.services.errors import AccountDisabled

from ..conftest import PASSPHRASES, Vault


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py): two sessions on one
    database are two clients of a team server too."""
    return backend_vault


def test_a_disabled_practitioners_open_session_creates_nothing(vault: Vault) -> None:
    pat = vault.login("pat")
    admin = vault.login("admin")
    admin.accounts.disable("pat")
    with pytest.raises(ServiceError):
        pat.children.create("Should not exist")
    admin.close()
    mary = vault.login("mary")
    assert mary.children.search("Should not") == []
    mary.close()


def test_an_account_disabled_in_the_database_is_refused_at_once(vault: Vault) -> None:
    pat = vault.login("pat")
    sid = pat.screenings.start(pat.children.create("Open Child").id)
    admin = vault.login("admin")
    with admin.engine.begin() as conn:  # disabled by another process, key not yet changed
        conn.execute(text("UPDATE users SET disabled = :d WHERE name = 'pat'"), {"d": True})
    admin.close()
    with pytest.raises(AccountDisabled, match="disabled"):
        pat.screenings.save_answer(sid, "child_views", "written after disabling")
    with pytest.raises(AccountDisabled):
        pat.children.create("Another")
    with pytest.raises(AccountDisabled):
        pat.screenings.open(sid)
    pat.close()


def test_a_demoted_manager_cannot_publish_or_open_others_screenings(vault: Vault) -> None:
    pat = vault.login("pat")
    sid = pat.screenings.start(pat.children.create("Private Child").id)
    pat.close()
    mary = vault.login("mary")
    mary.screenings.open(sid)  # as a manager she may
    admin = vault.login("admin")
    admin.accounts.set_role("mary", "practitioner")
    admin.close()
    model = load_model("cse-screening")
    newer = model.model_copy(update={"version": "9.9.9"})
    with pytest.raises(PermissionDenied):
        mary.models.publish(newer)
    with pytest.raises(NotFound):
        mary.screenings.open(sid)
    with pytest.raises(PermissionDenied):
        mary.models.in_force()
    assert mary.user.role == "practitioner"
    mary.close()


def test_a_promoted_account_gains_the_role_without_signing_in_again(vault: Vault) -> None:
    paula = vault.login("paula")
    with pytest.raises(PermissionDenied):
        paula.maintenance.verify(rescore=False)
    admin = vault.login("admin")
    admin.accounts.set_role("paula", "manager", Countersignature("mary", PASSPHRASES["mary"]))
    admin.close()
    assert paula.maintenance.verify(rescore=False).ok
    paula.close()
