"""Account changes that give access to screenings need a second person's countersignature
(a manager for manager accounts), are audited with it, and head the audit viewer."""

from __future__ import annotations

import json

import pytest

from riskscreen.services import Countersignature, PermissionDenied, WrongPassphrase

from ..conftest import PASSPHRASES, Vault

MARY = Countersignature("mary", PASSPHRASES["mary"])


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


def test_an_administrator_alone_cannot_make_a_manager_or_reset_one(vault: Vault) -> None:
    admin = vault.login("admin")
    with pytest.raises(PermissionDenied, match="countersignature"):
        admin.accounts.create("eve", "manager", "eve's own passphrase")
    with pytest.raises(PermissionDenied, match="countersignature"):
        admin.accounts.set_role("pat", "manager")
    with pytest.raises(PermissionDenied, match="countersignature"):
        admin.accounts.reset_passphrase("mary", "taken over by the admin")
    with pytest.raises(PermissionDenied, match="countersignature"):
        admin.accounts.create("root2", "administrator", "second admin passphrase")
    # A practitioner cannot countersign for a manager account; a wrong passphrase neither.
    with pytest.raises(PermissionDenied, match="cannot countersign"):
        admin.accounts.set_role("pat", "manager", Countersignature("paula", PASSPHRASES["paula"]))
    with pytest.raises(PermissionDenied, match="wrong"):
        admin.accounts.set_role("pat", "manager", Countersignature("mary", "a guess"))
    # Nor the administrator themself, nor the account being changed.
    with pytest.raises(PermissionDenied, match="second person"):
        admin.accounts.create("root2", "administrator", "second admin passphrase",
                          countersign=Countersignature("admin", PASSPHRASES["admin"]))
    admin.close()
    with pytest.raises(WrongPassphrase):
        vault.unlocker().unlock("mary", "taken over by the admin")
    assert vault.login("pat").user.role == "practitioner"


def test_countersigned_changes_work_and_are_audited_on_the_front_page(vault: Vault) -> None:
    admin = vault.login("admin")
    admin.accounts.create("eve", "manager", "eve's own passphrase", countersign=MARY)
    admin.accounts.set_role("pat", "manager", MARY)
    admin.accounts.reset_passphrase("mary", "mary's new passphrase",
                           Countersignature("eve", "eve's own passphrase"))
    admin.accounts.set_role("paula", "practitioner")  # nothing given: no countersignature needed
    admin.accounts.create("root2", "administrator", "second admin passphrase",
                      countersign=Countersignature("eve", "eve's own passphrase"))
    rows = admin.audit.privileged_changes()
    admin.close()
    seen = [(r.action, json.loads(r.detail)["countersigned_by"]) for r in rows]
    assert seen == [("account_create", "eve"), ("account_passphrase_reset", "eve"),
                    ("account_role", "mary"), ("account_create", "mary"),
                    ("account_create", None)]  # the first manager (mary), made at set-up
    vault.unlocker().unlock("mary", "mary's new passphrase").close()


def test_the_first_manager_needs_no_countersignature_but_the_next_does(vault: Vault) -> None:
    admin = vault.login("admin")
    admin.accounts.disable("mary")  # no manager left: the exception is still used up
    with pytest.raises(PermissionDenied, match="countersignature"):
        admin.accounts.create("eve", "manager", "eve's own passphrase")
    admin.close()
