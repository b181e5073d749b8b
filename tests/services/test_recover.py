"""``riskscreen recover``: a new passphrase with the recovery key, keeping everyone else's."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest

from riskscreen.cli import storage
from riskscreen.cli.main import main
from riskscreen.crypto.keyfile import backup_path, key_file_path
from riskscreen.services import WrongPassphrase

from ..conftest import PASSPHRASES, Vault


def _files(tmp_path: Path, recovery_key: str, new: str) -> list[str]:
    key_file = tmp_path / "recovery.txt"
    key_file.write_text(recovery_key + "\n")
    phrase = tmp_path / "new.txt"
    phrase.write_text(new + "\n")
    return ["--recovery-key-file", str(key_file), "--passphrase-file", str(phrase)]


def test_recover_sets_a_new_passphrase_and_keeps_every_other_account(
        vault: Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["recover", "--db", str(vault.db), "--user", "pat",
                 *_files(tmp_path, vault.recovery_key, "pat's brand new passphrase")])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Every other account keeps its passphrase" in out.out
    vault.unlocker().unlock("pat", "pat's brand new passphrase").close()
    with pytest.raises(WrongPassphrase):
        vault.unlocker().unlock("pat", PASSPHRASES["pat"])
    for name in ("admin", "mary", "paula"):
        vault.login(name).close()


def test_recover_keeps_the_administrators_when_both_key_files_are_lost(
        vault: Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:

    from riskscreen.services import Countersignature

    with vault.login("admin") as admin:
        admin.accounts.create("ada", "administrator", "ada's passphrase",
                          countersign=Countersignature("mary", PASSPHRASES["mary"]))
        admin.maintenance.automatic_backup()  # keeps a copy of the key file beside the backup
    key_file_path(vault.db).unlink()
    backup_path(key_file_path(vault.db)).unlink()
    assert main(["recover", "--db", str(vault.db), "--user", "admin",
                 *_files(tmp_path, vault.recovery_key, "a new admin passphrase")]) == 0
    admin = vault.unlocker().unlock("admin", "a new admin passphrase")
    vault.unlocker().unlock("ada", "ada's passphrase").close()
    # A backup's key file holds only the administrators' slots: the others are reset.
    for name in ("mary", "pat", "paula"):
        with pytest.raises(WrongPassphrase):
            vault.login(name)
    admin.accounts.reset_with_recovery_key(vault.recovery_key, "mary", "mary's new one")
    admin.close()
    vault.unlocker().unlock("mary", "mary's new one").close()


def test_recover_refuses_a_wrong_recovery_key_in_one_line(
        vault: Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = vault.recovery_key[:-1] + ("0" if vault.recovery_key[-1] != "0" else "1")
    before = key_file_path(vault.db).read_bytes()
    code = main(["recover", "--db", str(vault.db), "--user", "pat",
                 *_files(tmp_path, wrong, "pat's brand new passphrase")])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "recovery key" in err
    assert "Traceback" not in err
    assert key_file_path(vault.db).read_bytes() == before


def test_recover_asks_without_echo(vault: Vault, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter([vault.recovery_key, "typed new passphrase", "typed new passphrase"])
    prompts: list[str] = []

    def ask(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(getpass, "getpass", ask)
    monkeypatch.setattr(storage, "_interactive", lambda: True)
    assert main(["recover", "--db", str(vault.db), "--user", "mary"]) == 0
    assert prompts[0] == "Recovery key: "
    assert len(prompts) == 3  # the new passphrase is asked for twice
    vault.unlocker().unlock("mary", "typed new passphrase").close()
    raw = json.loads(key_file_path(vault.db).read_text())
    assert sorted(raw["accounts"]) == ["admin", "mary", "pat", "paula"]
