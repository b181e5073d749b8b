"""Failed sign-ins survive a restart: the delay keeps growing and every attempt is audited."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from riskscreen.crypto.signins import failed_signins_path
from riskscreen.services import WrongPassphrase

from ..conftest import PASSPHRASES, Vault

#: One process: N wrong attempts with recorded (not real) sleeps, printed as JSON.
_CHILD = """
import json, sys
from pathlib import Path
from riskscreen.services import Unlocker, WrongPassphrase
sleeps = []
unlocker = Unlocker(Path(sys.argv[1]), sleep=sleeps.append, auto_backups=False)
for name in sys.argv[2:]:
    try:
        unlocker.unlock(name, "not the passphrase at all")
    except WrongPassphrase:
        pass
print(json.dumps(sleeps))
"""


def _wrong_attempts_in_a_new_process(db: Path, *names: str) -> list[float]:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(db), *names],
                          capture_output=True, text=True, timeout=120, check=True)
    return [float(x) for x in json.loads(done.stdout.strip().splitlines()[-1])]


def _failed(vault: Vault) -> list[tuple[str, str]]:
    with vault.login("admin") as admin, admin.engine.connect() as conn:
        return [(r[0], json.loads(r[1]).get("at", "")) for r in conn.execute(text(
            "SELECT user, detail FROM audit_log WHERE action='login_failed' ORDER BY seq"))]


def test_the_delay_and_the_attempts_survive_a_restart(vault: Vault) -> None:
    side = failed_signins_path(vault.db)
    # First process: the first wrong attempt for each name waits 0 s (the delay is counted
    # per account name), the second for "pat" 1 s.
    assert _wrong_attempts_in_a_new_process(vault.db, "pat", "nobody", "pat") == [1.0]
    assert side.exists()
    assert "not the passphrase" not in side.read_text()
    # A second process carries on where the first stopped: 2 s, then 4 s.
    assert _wrong_attempts_in_a_new_process(vault.db, "pat", "pat") == [2.0, 4.0]
    unlocker = vault.unlocker()
    assert unlocker.failures == 5
    assert unlocker.delay("pat") == 8.0
    assert unlocker.delay("nobody") == 1.0
    # A successful unlock in this (third) process moves all five into the audit log, and
    # forgets pat's; the guess at "nobody" still counts for "nobody".
    unlocker.unlock("pat", PASSPHRASES["pat"]).close()
    assert unlocker.failures == 0
    assert unlocker.delay("pat") == 0.0
    assert unlocker.delay("nobody") == 1.0
    failed = _failed(vault)
    assert [name for name, _ in failed] == ["pat", "nobody", "pat", "pat", "pat"]
    assert all(at.endswith("Z") for _, at in failed)
    assert failed == sorted(failed, key=lambda f: f[1])
    # Nothing is recorded twice at the next unlock.
    vault.login("pat").close()
    assert len(_failed(vault)) == 5


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"format": "other"}', "checksum"])
def test_a_damaged_record_never_blocks_unlocking(vault: Vault, damage: bytes | str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    side = failed_signins_path(vault.db)
    with pytest.raises(WrongPassphrase):
        vault.unlocker().unlock("pat", "not the passphrase at all")
    if damage == "checksum":
        side.write_text(side.read_text().replace('"pat"', '"eve"'))
    else:
        assert isinstance(damage, bytes)
        side.write_bytes(damage)
    caplog.set_level(logging.WARNING)
    unlocker = vault.unlocker()
    assert unlocker.failures == 0  # treated as empty
    unlocker.unlock("pat", PASSPHRASES["pat"]).close()
    assert not side.exists()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings
    assert not any("pat" in w or "eve" in w for w in warnings)


def test_an_unwritable_record_keeps_attempts_in_memory(vault: Vault) -> None:
    side = failed_signins_path(vault.db)
    side.mkdir()  # a folder in its place: cannot be replaced by a file
    unlocker = vault.unlocker()
    for _ in range(2):
        with pytest.raises(WrongPassphrase):
            unlocker.unlock("pat", "not the passphrase at all")
    assert unlocker.failures == 2
    unlocker.unlock("pat", PASSPHRASES["pat"]).close()
    side.rmdir()
    assert [name for name, _ in _failed(vault)] == ["pat", "pat"]
