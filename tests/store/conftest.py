"""Helpers for the storage robustness tests: a small database with a practitioner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from riskscreen.crypto.keys import KdfParams
from riskscreen.services import Session, Unlocker, create_database

FAST = KdfParams(memory_cost=1024, iterations=1, lanes=1, salt=b"0" * 16)
PASSPHRASES = {"admin": "admin passphrase", "mary": "manager passphrase",
               "pat": "practitioner pass"}


@dataclass
class Store:
    """A database folder and a way to sign in to it."""

    db: Path
    recovery_key: str

    def login(self, name: str, *, auto_backups: bool = False) -> Session:
        return Unlocker(self.db, sleep=lambda _: None,
                        auto_backups=auto_backups).unlock(name, PASSPHRASES[name])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    db = tmp_path / "data" / "riskscreen.db"
    admin, recovery = create_database(db, "admin", PASSPHRASES["admin"], kdf=FAST)
    admin.create_user("mary", "manager", PASSPHRASES["mary"])
    admin.create_user("pat", "practitioner", PASSPHRASES["pat"])
    admin.close()
    return Store(db, recovery)
