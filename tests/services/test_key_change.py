"""Disabling an account changes the data key, so what that account could take away opens
nothing current; everyone else, the recovery key and backups keep working."""

from __future__ import annotations

import json
import shutil

import pytest

from riskscreen.crypto.keyfile import KeyFile, key_file_path
from riskscreen.crypto.keys import new_data_key
from riskscreen.services import ServiceError
from riskscreen.services.errors import KeyChanged
from riskscreen.store.db import WrongKey, connect_raw, rekey_database

from ..conftest import PASSPHRASES, Vault


def _opens(vault: Vault, key: bytes) -> bool:
    try:
        connect_raw(vault.db, key).close()
    except WrongKey:
        return False
    return True


def test_a_disabled_accounts_key_and_key_file_copy_open_nothing(vault: Vault, tmp_path) -> None:
    pat = vault.login("pat")
    pat.children.create("Kept Child")
    pat.close()
    # What pat could take away while active: the key file and the data key it opens.
    taken = tmp_path / "taken.keys.json"
    shutil.copy(key_file_path(vault.db), taken)
    pats_key = KeyFile.load(taken).unlock("pat", PASSPHRASES["pat"])
    assert _opens(vault, pats_key)

    admin = vault.login("admin")
    assert admin.accounts.disable("pat") is None  # the recovery key stays the same
    admin.close()

    assert not _opens(vault, pats_key)
    assert not KeyFile.load(key_file_path(vault.db)).has_account("pat")
    # Everyone else still signs in and sees the data written under the old key.
    paula = vault.login("paula")
    paula.close()
    mary = vault.login("mary")
    assert [c.name for c in mary.children.search("Kept")] == ["Kept Child"]
    mary.close()


def test_the_recovery_key_survives_a_key_change(vault: Vault) -> None:
    admin = vault.login("admin")
    admin.accounts.disable("pat")
    admin.accounts.reset_with_recovery_key(vault.recovery_key, "mary",
                                                "mary after recovery")
    admin.close()
    vault.unlocker().unlock("mary", "mary after recovery").close()
    vault.unlocker().unlock_with_recovery(vault.recovery_key, "paula",
                                          "paula recovered pass").close()


def test_an_open_session_of_someone_else_is_told_to_sign_in_again(vault: Vault) -> None:
    paula = vault.login("paula")
    paula.children.create("Before")
    admin = vault.login("admin")
    admin.accounts.disable("pat")
    with pytest.raises(KeyChanged, match="sign in again"):
        paula.children.create("After")
    paula.close()
    paula = vault.login("paula")
    assert [c.name for c in paula.children.search("")] == ["Before"]
    paula.close()
    # The administrator's own session carries on with the new key.
    admin.accounts.create("newcomer", "practitioner", "newcomer passphrase")
    admin.close()


def test_backup_key_files_hold_only_administrators_and_the_recovery_slot(vault: Vault) -> None:
    admin = vault.login("admin")
    dest = admin.maintenance.backup(vault.db.parent / "b" / "copy.db")
    admin.close()
    raw = json.loads(key_file_path(dest).read_text())
    assert list(raw["accounts"]) == ["admin"]
    assert "recovery" in raw
    # The live key file still has everyone.
    assert set(KeyFile.load(key_file_path(vault.db)).accounts) == {"admin", "mary", "pat",
                                                                  "paula"}


def _keys(vault: Vault) -> tuple[KeyFile, bytes]:
    keyfile = KeyFile.load(key_file_path(vault.db))
    return keyfile, keyfile.unlock("admin", PASSPHRASES["admin"])


def test_killed_before_the_rekey_the_old_key_still_opens(vault: Vault) -> None:
    keyfile, old = _keys(vault)
    keyfile.begin_rotation(old, new_data_key())
    keyfile.save(key_file_path(vault.db))  # step 1 written, then the process died
    pat = vault.login("pat")
    pat.children.create("After the crash")
    pat.close()
    assert _opens(vault, old)


def test_killed_after_the_rekey_the_new_key_opens_and_the_key_file_is_completed(
        vault: Vault) -> None:
    keyfile, old = _keys(vault)
    new = new_data_key()
    keyfile.begin_rotation(old, new)
    keyfile.save(key_file_path(vault.db))
    rekey_database(vault.db, old, new)  # step 2 committed, then the process died
    vault.login("pat").close()
    completed = KeyFile.load(key_file_path(vault.db))
    assert not completed.rotating
    assert completed.unlock("mary", PASSPHRASES["mary"]) == new
    assert not _opens(vault, old)
    vault.unlocker().unlock_with_recovery(vault.recovery_key, "paula",
                                          "paula recovered pass").close()


def test_a_database_made_before_recovery_slots_gets_a_new_recovery_key(vault: Vault) -> None:
    # Until now the recovery key was the data key itself: simulate such a key file.
    path = key_file_path(vault.db)
    keyfile = KeyFile.load(path)
    keyfile.recovery = None
    keyfile.save(path)
    admin = vault.login("admin")
    old_key = admin.context.data_key
    new_recovery = admin.accounts.disable("pat")
    admin.close()
    assert new_recovery is not None
    assert new_recovery != vault.recovery_key
    assert not _opens(vault, old_key)  # the old recovery key (the old data key) is void
    with pytest.raises(ServiceError):
        vault.unlocker().unlock_with_recovery(vault.recovery_key, "mary", "mary recovered")
    vault.unlocker().unlock_with_recovery(new_recovery, "mary", "mary recovered").close()


def test_a_backup_from_before_a_key_change_is_restored_under_the_current_key(
        vault: Vault) -> None:
    from riskscreen.services import restore_backup

    admin = vault.login("admin")
    backup = admin.maintenance.backup(vault.db.parent / "b" / "before.db")
    admin.close()
    pats_key = KeyFile.load(key_file_path(vault.db)).unlock("pat", PASSPHRASES["pat"])
    admin = vault.login("admin")
    admin.accounts.disable("pat")
    admin.close()
    restore_backup(vault.db, backup, "admin", PASSPHRASES["admin"])
    # Everyone active now still signs in (their current slots open the restored copy), the
    # recovery key too; pat's old key opens nothing.
    vault.login("mary").close()
    vault.login("paula").close()
    assert not _opens(vault, pats_key)
    assert not KeyFile.load(key_file_path(vault.db)).rotating
    vault.unlocker().unlock_with_recovery(vault.recovery_key, "mary", "mary recovered").close()


def _as_version_1(vault: Vault) -> bytes:
    """Rewrite the key file the way RiskScreen wrote it before key pairs: each account's
    slot is the data key wrapped under its passphrase, no recovery slot (the recovery key
    was the data key)."""
    import hashlib

    from riskscreen.crypto.keys import derive_passphrase_key, wrap_key

    path = key_file_path(vault.db)
    current = KeyFile.load(path)
    key = current.unlock("admin", PASSPHRASES["admin"])
    accounts = {}
    for name in ("admin", "mary", "pat", "paula"):
        kdf = current.accounts[name].kdf.with_new_salt()
        aad = f"riskscreen-keys v1|{current.database_id}|account:{name}".encode()
        wrapped = wrap_key(derive_passphrase_key(PASSPHRASES[name], kdf), key, aad)
        accounts[name] = {"kdf": kdf.to_dict(), "wrapped": wrapped.to_dict(),
                          "changed": "2026-01-01T00:00:00+00:00"}
    body = {"format": "riskscreen-keys", "version": 1, "database_id": current.database_id,
            "accounts": accounts}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    body["checksum"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    path.write_text(json.dumps(body))
    path.with_name(path.name + ".bak").write_text(json.dumps(body))
    return key


def test_a_version_1_key_file_still_opens_and_is_upgraded_at_sign_in(vault: Vault) -> None:
    from riskscreen.crypto.keys import recovery_key_for

    old_key = _as_version_1(vault)
    vault.login("paula").close()  # paula signs in once after the upgrade
    assert not KeyFile.load(key_file_path(vault.db)).accounts["paula"].legacy
    assert KeyFile.load(key_file_path(vault.db)).accounts["mary"].legacy
    admin = vault.login("admin")
    new_recovery = admin.accounts.disable("pat")
    admin.close()
    # The old recovery key was the data key: a new one is made; mary, who has not signed in
    # since the upgrade, needs a passphrase reset; paula carries on.
    assert new_recovery is not None
    vault.login("paula").close()
    with pytest.raises(ServiceError):
        vault.login("mary")
    with pytest.raises(ServiceError):
        vault.unlocker().unlock_with_recovery(recovery_key_for(old_key), "mary",
                                              "mary recovered")
    vault.unlocker().unlock_with_recovery(new_recovery, "mary", "mary recovered").close()
