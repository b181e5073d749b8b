"""A small encrypted database with one account of each role (cheap key derivation)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from riskscreen.crypto.keys import KdfParams
from riskscreen.services import Session, Unlocker, create_database

FAST = KdfParams(memory_cost=1024, iterations=1, lanes=1, salt=b"0" * 16)
PASSPHRASES = {"admin": "admin passphrase", "mary": "manager passphrase",
               "pat": "practitioner pass", "paula": "second practitioner"}


@dataclass
class Vault:
    """A database folder and a way to sign in to it."""

    db: Path
    recovery_key: str
    sleeps: list[float]

    def unlocker(self) -> Unlocker:
        return Unlocker(self.db, sleep=self.sleeps.append, auto_backups=False)

    def login(self, name: str) -> Session:
        return self.unlocker().unlock(name, PASSPHRASES[name])


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    db = tmp_path / "data" / "riskscreen.db"
    admin, recovery = create_database(db, "admin", PASSPHRASES["admin"], kdf=FAST)
    admin.create_user("mary", "manager", PASSPHRASES["mary"])
    admin.create_user("pat", "practitioner", PASSPHRASES["pat"])
    admin.create_user("paula", "practitioner", PASSPHRASES["paula"])
    admin.close()
    return Vault(db, recovery, [])
