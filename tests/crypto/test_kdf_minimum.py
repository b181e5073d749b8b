"""Argon2 settings below the shipped minimum are refused in a key file and never copied."""

from __future__ import annotations

import pytest

from riskscreen.crypto.keyfile import KeyFile, WeakSlotError, key_file_path
from riskscreen.crypto.keys import KDF_MINIMUM, TEST_KDF_ENV
from riskscreen.services import ServiceError, Unlocker, create_database

from ..conftest import FAST as WEAK  # weaker than the application accepts


def test_a_weak_slot_in_the_key_file_is_refused(tmp_path, monkeypatch) -> None:
    db = tmp_path / "r.db"
    create_database(db, "admin", "admin passphrase", kdf=WEAK, models=[])[0].close()
    monkeypatch.delenv(TEST_KDF_ENV)  # as in the application: the real minimum applies
    with pytest.raises(WeakSlotError, match="weaker than RiskScreen accepts"):
        Unlocker(db, auto_backups=False).unlock("admin", "admin passphrase")


def test_new_accounts_never_inherit_weak_settings(tmp_path, monkeypatch) -> None:
    db = tmp_path / "r.db"
    admin, _ = create_database(db, "admin", "admin passphrase", kdf=WEAK, models=[])
    monkeypatch.delenv(TEST_KDF_ENV)
    admin.accounts.create("pat", "practitioner", "practitioner pass")
    admin.close()
    kdf = KeyFile.load(key_file_path(db)).accounts["pat"].kdf
    assert kdf.memory_cost >= KDF_MINIMUM[0]
    assert kdf.iterations >= KDF_MINIMUM[1]
    Unlocker(db, auto_backups=False).unlock("pat", "practitioner pass").close()


def test_creating_a_database_with_weak_settings_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(TEST_KDF_ENV)
    with pytest.raises(ServiceError, match="weaker than RiskScreen accepts"):
        create_database(tmp_path / "r.db", "admin", "admin passphrase", kdf=WEAK, models=[])
    assert not key_file_path(tmp_path / "r.db").exists()
