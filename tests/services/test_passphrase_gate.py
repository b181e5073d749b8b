"""Every check of a passphrase or recovery key has the same growing delay, survives a
restart, runs one at a time across processes, and is audited when it fails."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from riskscreen.crypto.signins import PassphraseGate, failed_signins_path
from riskscreen.services import OverrideRefused, WrongPassphrase
from riskscreen.services.errors import AccountError

from ..conftest import PASSPHRASES, Vault


def _passphrase_failures(vault: Vault) -> list[dict[str, str]]:
    with vault.login("admin") as admin, admin.engine.connect() as conn:
        return [json.loads(r[0]) for r in conn.execute(text(
            "SELECT detail FROM audit_log WHERE action='passphrase_failed' ORDER BY seq"))]


def test_countersignature_guesses_wait_longer_and_are_audited(vault: Vault) -> None:
    pat = vault.login("pat")
    for _ in range(4):
        with pytest.raises(OverrideRefused):
            pat.accounts.check_countersignature("mary", "a guess at her passphrase")
    assert vault.sleeps == [1.0, 2.0, 4.0]
    pat.close()
    # Signing in again to one's own account does not reset the delay of guesses at mary's.
    pat = vault.login("pat")
    with pytest.raises(OverrideRefused):
        pat.accounts.check_countersignature("mary", "another guess")
    assert vault.sleeps[-1] == 8.0
    # Mary's own passphrase, given correctly, forgets the guesses against her.
    assert pat.accounts.check_countersignature("mary", PASSPHRASES["mary"]).name == "mary"
    with pytest.raises(OverrideRefused):
        pat.accounts.check_countersignature("mary", "one more guess")
    assert vault.sleeps[-1] == 8.0  # the last wait was the 8 s one; this one waited 0 s
    pat.close()
    failures = _passphrase_failures(vault)
    assert [f["check"] for f in failures] == ["countersignature"] * 6
    assert {f["account"] for f in failures} == {"mary"}
    assert "guess" not in failed_signins_path(vault.db).read_text()


def test_passphrase_change_and_recovery_checks_have_the_delay_too(vault: Vault) -> None:
    pat = vault.login("pat")
    for _ in range(3):
        with pytest.raises(WrongPassphrase):
            pat.accounts.change_passphrase("not my old one", "a brand new passphrase")
    assert vault.sleeps == [1.0, 2.0]
    pat.close()
    admin = vault.login("admin")
    service = admin
    wrong = vault.recovery_key[:-1] + ("0" if vault.recovery_key[-1] != "0" else "1")
    for _ in range(3):
        with pytest.raises(AccountError):
            service.accounts.reset_with_recovery_key(wrong, "pat", "reset with recovery")
    assert vault.sleeps[2:] == [1.0, 2.0]
    admin.close()
    checks = [f["check"] for f in _passphrase_failures(vault)]
    assert checks == ["passphrase change"] * 3 + ["recovery key"] * 3


_CHILD = """
import json, sys, time
from pathlib import Path
from riskscreen.services import Unlocker, WrongPassphrase
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
sleeps = []
try:
    Unlocker(Path(sys.argv[1]), sleep=sleeps.append, auto_backups=False).unlock(
        "pat", "not the passphrase at all")
except WrongPassphrase:
    pass
print(json.dumps(sleeps))
"""


def test_parallel_wrong_attempts_queue_instead_of_waiting_together(vault: Vault,
                                                                   tmp_path: Path) -> None:
    go = tmp_path / "go"
    children = [subprocess.Popen([sys.executable, "-c", _CHILD, str(vault.db), str(go)],
                                 stdout=subprocess.PIPE, text=True) for _ in range(4)]
    time.sleep(0.5)  # let them all start and wait at the same line
    go.touch()
    sleeps: list[float] = []
    for child in children:
        out, _ = child.communicate(timeout=120)
        sleeps += json.loads(out.strip().splitlines()[-1])
    # One at a time: each saw the failures of those before it (0, 1, 2 and 4 s).
    assert sorted(sleeps) == [1.0, 2.0, 4.0]


def test_a_check_waits_while_another_holds_the_gate(vault: Vault, tmp_path: Path) -> None:
    go = tmp_path / "go"
    go.touch()
    side = failed_signins_path(vault.db)
    with PassphraseGate(vault.db).checking():
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(vault.db), str(go)],
                                 stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert not side.exists()  # its check has not run: it is queued behind this one
    child.communicate(timeout=120)
    assert side.exists()


def test_wrong_restore_passphrases_wait_longer_and_are_audited(vault: Vault) -> None:
    from riskscreen.services import restore_backup

    admin = vault.login("admin")
    backup = admin.maintenance.backup(vault.db.parent / "b" / "copy.db")
    admin.close()
    waits = []
    for _ in range(2):
        with pytest.raises(WrongPassphrase) as info:
            restore_backup(vault.db, backup, "admin", "not the admin's passphrase")
        waits.append(info.value.delay)
    assert waits == [0.0, 1.0]
    with vault.login("mary") as mary, mary.engine.connect() as conn:
        rows = conn.execute(text("SELECT user, detail FROM audit_log "
                                 "WHERE action='passphrase_failed'")).all()
    assert [(u, json.loads(d)["check"]) for u, d in rows] == [("admin", "restore")] * 2
