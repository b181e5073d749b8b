"""Accounts, roles and unlocking: checked in the service layer, not the GUI."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import text

from riskscreen.crypto.keyfile import backup_path, key_file_path
from riskscreen.services import (
    AccountError,
    Countersignature,
    KeyFileError,
    NotFound,
    PermissionDenied,
    ScreeningQuery,
    Unlocker,
    WrongPassphrase,
    WrongRecoveryKey,
)

from ..conftest import PASSPHRASES, Vault


def _actions(vault: Vault) -> list[tuple[str, str]]:
    with vault.login("admin") as admin, admin.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT user, action FROM audit_log"))]


def test_practitioner_cannot_manage_accounts_publish_or_back_up(vault: Vault, tmp_path) -> None:
    pat = vault.login("pat")
    with pytest.raises(PermissionDenied):
        pat.accounts.create("eve", "administrator", "a long passphrase")
    with pytest.raises(PermissionDenied):
        pat.accounts.all()
    with pytest.raises(PermissionDenied):
        pat.maintenance.backup(tmp_path / "b.db")
    with pytest.raises(PermissionDenied):
        pat.maintenance.verify()


def test_administrator_sees_no_screenings(vault: Vault) -> None:
    admin = vault.login("admin")
    with pytest.raises(PermissionDenied):
        admin.screenings.find()
    with pytest.raises(PermissionDenied):
        admin.children.create("Someone")
    with pytest.raises(PermissionDenied):
        admin.children.search("a")


def test_practitioners_see_only_their_own_screenings_managers_see_all(vault: Vault) -> None:
    pat, paula, mary = vault.login("pat"), vault.login("paula"), vault.login("mary")
    sid = pat.screenings.start(pat.children.create("Own Child").id)
    assert paula.screenings.find().total == 0
    assert paula.screenings.find(ScreeningQuery(mine_only=False)).total == 0
    with pytest.raises(NotFound):
        paula.screenings.open(sid)
    with pytest.raises(PermissionDenied):
        paula.screenings.save_answer(sid, "child_views", "x")
    assert mary.screenings.find().total == 1
    assert mary.screenings.open(sid).editable is False  # managers read, the owner edits
    with pytest.raises(PermissionDenied):
        mary.screenings.save_answer(sid, "child_views", "x")


def test_account_changes_are_audited_and_the_last_admin_is_kept(vault: Vault) -> None:
    admin = vault.login("admin")
    with pytest.raises(AccountError):
        admin.accounts.disable("admin")
    with pytest.raises(AccountError):
        admin.accounts.create("pat", "practitioner", "another passphrase")
    with pytest.raises(AccountError):
        admin.accounts.create("short", "practitioner", "short")
    admin.accounts.set_role("paula", "manager", Countersignature("mary", PASSPHRASES["mary"]))
    admin.accounts.disable("paula")
    with pytest.raises(WrongPassphrase):  # her key slot is gone
        vault.login("paula")
    actions = _actions(vault)
    assert ("admin", "account_role") in actions
    assert ("admin", "account_disable") in actions


def test_wrong_passphrase_waits_longer_each_time_and_is_audited(vault: Vault) -> None:
    unlocker = vault.unlocker()
    for _ in range(4):
        with pytest.raises(WrongPassphrase) as info:
            unlocker.unlock("pat", "not the passphrase")
        assert "not the passphrase" not in str(info.value)
    with pytest.raises(WrongPassphrase):
        unlocker.unlock("nobody", "whatever it is")  # counted for that name: waits 0 s
    assert vault.sleeps == [1.0, 2.0, 4.0]
    with pytest.raises(WrongPassphrase):
        unlocker.unlock("pat", "not the passphrase")
    assert vault.sleeps == [1.0, 2.0, 4.0, 8.0]
    session = unlocker.unlock("pat", PASSPHRASES["pat"])
    session.close()
    assert unlocker.failures == 0
    failed = [a for a in _actions(vault) if a[1] == "login_failed"]
    assert failed.count(("pat", "login_failed")) == 5
    assert ("nobody", "login_failed") in failed


def test_passphrase_change_rewraps_without_reencrypting(vault: Vault) -> None:
    before = vault.db.read_bytes()
    pat = vault.login("pat")
    with pytest.raises(WrongPassphrase):
        pat.accounts.change_passphrase("wrong old one", "a brand new passphrase")
    pat.accounts.change_passphrase(PASSPHRASES["pat"], "a brand new passphrase")
    pat.close()
    # The data key is unchanged: the database file's first page (salt + encrypted header)
    # is the same, and the new passphrase opens the same data.
    assert vault.db.read_bytes()[:4096] == before[:4096]
    with pytest.raises(WrongPassphrase):
        vault.unlocker().unlock("pat", PASSPHRASES["pat"])
    vault.unlocker().unlock("pat", "a brand new passphrase").close()


def test_recovery_key_opens_with_a_backups_key_file_when_both_copies_are_lost(
        vault: Vault) -> None:
    admin = vault.login("admin")
    admin.maintenance.backup(vault.db.parent / "backups" / "copy.db")
    admin.close()
    key_file_path(vault.db).unlink()
    backup_path(key_file_path(vault.db)).unlink()
    with pytest.raises(KeyFileError, match="recovery key"):
        vault.login("admin")
    with pytest.raises(WrongRecoveryKey, match="mistyped"):
        vault.unlocker().unlock_with_recovery(
            vault.recovery_key[:-1] + ("0" if vault.recovery_key[-1] != "0" else "1"),
            "admin", "recovered passphrase")
    session = vault.unlocker().unlock_with_recovery(vault.recovery_key, "admin",
                                                    "recovered passphrase")
    session.close()
    vault.unlocker().unlock("admin", "recovered passphrase").close()
    raw = json.loads(key_file_path(vault.db).read_text())
    assert list(raw["accounts"]) == ["admin"]  # others are re-added by the administrator


def test_key_file_of_another_database_is_refused(vault: Vault, tmp_path) -> None:
    from riskscreen.services import WrongKey, create_database

    from ..conftest import FAST

    other = tmp_path / "other" / "o.db"
    create_database(other, "admin", PASSPHRASES["admin"], kdf=FAST, models=[])[0].close()
    shutil.copy(key_file_path(other), key_file_path(vault.db))
    shutil.copy(backup_path(key_file_path(other)), backup_path(key_file_path(vault.db)))
    with pytest.raises(WrongKey):
        Unlocker(vault.db, auto_backups=False).unlock("admin", PASSPHRASES["admin"])
