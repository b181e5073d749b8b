"""Administration through the services: recovery-key reset, audit viewer and chain check,
settings and routing contacts, backups, and the role checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from riskscreen.services import AccountError, PermissionDenied, ServiceError

from ..conftest import PASSPHRASES, Vault


def test_recovery_key_reset_and_audit_filters(vault: Vault) -> None:
    service = vault.login("admin")
    service.accounts.reset_with_recovery_key(vault.recovery_key, "pat", "a brand new passphrase")
    with pytest.raises(AccountError):
        service.accounts.reset_with_recovery_key("A" * len(vault.recovery_key), "pat",
                                        "another passphrase")
    assert vault.unlocker().unlock("pat", "a brand new passphrase").user.name == "pat"
    resets = service.audit.entries(action="account_passphrase_reset_recovery")
    assert len(resets) == 1
    assert resets[0].user == "admin"
    assert {e.user for e in service.audit.entries(user="pat")} == {"pat"}


def test_chain_check_detects_an_edited_entry(vault: Vault) -> None:
    session = vault.login("admin")
    service = session
    assert service.audit.verify_chain().ok
    with session.engine.begin() as conn:
        # The store's triggers refuse edits; drop them as an attacker with the key would.
        for (name,) in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'")):
            conn.execute(text(f'DROP TRIGGER "{name}"'))
        conn.execute(text("UPDATE audit_log SET user='someone' WHERE seq=2"))
    result = service.audit.verify_chain()
    assert not result.ok
    assert "entry 2 was changed" in result.message()


def test_settings_and_routing_contacts(vault: Vault) -> None:
    service = vault.login("admin")
    service.settings.save({"idle_lock_minutes": "10", "organisation_name": "Northvale"})
    assert vault.login("mary").settings.read()["organisation_name"] == "Northvale"
    with pytest.raises(ServiceError, match="idle lock"):
        service.settings.save({"idle_lock_minutes": "-1"})
    destinations = service.settings.routing_data()["destinations"]
    destinations[0]["phone"] = "0114 496 0999"
    service.settings.save_destinations(destinations)
    assert service.settings.routing_data()["destinations"][0]["phone"] == "0114 496 0999"
    destinations[0]["secure_email"] = "not an email"
    with pytest.raises(ServiceError, match="not an email address"):
        service.settings.save_destinations(destinations)


def test_backup_with_progress(vault: Vault, tmp_path: Path) -> None:
    service = vault.login("admin")
    steps: list[tuple[int, int]] = []
    path = service.maintenance.backup_and_check(tmp_path / "b" / "copy.db",
                                                lambda a, b: steps.append((a, b)))
    assert path.exists()
    assert steps[-1] == (3, 3)


@pytest.mark.parametrize("name", ["pat", "mary"])
def test_only_administrators(vault: Vault, name: str) -> None:
    service = vault.unlocker().unlock(name, PASSPHRASES[name])
    with pytest.raises(PermissionDenied):
        service.audit.entries()
    with pytest.raises(PermissionDenied):
        service.settings.save({"organisation_name": "x"})
