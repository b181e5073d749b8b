"""`riskscreen referrals list` and `riskscreen referral ...`: the names scripts depend on."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from riskscreen.cli.main import main

from ..conftest import PASSPHRASES, Vault
from .test_referrals import high


def _args(vault: Vault, tmp_path: Path, user: str) -> list[str]:
    path = tmp_path / f"{user}.pass"
    path.write_text(PASSPHRASES[user] + "\n", encoding="utf-8")
    return ["--db", str(vault.db), "--user", user, "--passphrase-file", str(path)]


def test_a_referral_from_list_to_closed_through_the_command_line(
        vault: Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with vault.login("pat") as pat:
        sid = high(pat)
    pat_args = _args(vault, tmp_path, "pat")
    assert main(["referrals", "list", "--json", *pat_args]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["screening_id"], r["status"]) for r in listed] == [(sid, "to_send")]
    rid = listed[0]["id"]
    assert main(["referral", "sent", str(rid), "--how", "secure-email", *pat_args]) == 0
    assert "Sent by secure email" in capsys.readouterr().out
    assert main(["referral", "accepted", str(rid), *pat_args]) == 0
    assert main(["referral", "outcome", str(rid), "--outcome", "preventative_work",
                 "--detail", "Safe Online Northvale Project", "--confirmed", "yes",
                 "--source", "strategy_discussion", "--close", *pat_args]) == 0
    capsys.readouterr()
    assert main(["referral", "show", str(rid), "--json", *pat_args]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "closed"
    assert shown["outcomes"][0]["outcome_id"] == "preventative_work"
    assert shown["confirmation"]["answer"] == "confirmed"
    assert shown["confirmation"]["source_id"] == "strategy_discussion"
    assert shown["sent_method"] == "secure_email"
    assert shown["overdue"] is None
    # A date before the step it follows is refused in one line, exit 1.
    assert main(["referral", "confirm", str(rid), "--confirmed", "no", "--source", "police",
                 "--on", "2001-01-01", *pat_args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("riskscreen referral confirm: That date is before")
    assert err.count("\n") == 1
    assert main(["referral", "confirm", str(rid), "--confirmed", "unknown", "--source",
                 "police", "--on", date.today().isoformat(), *pat_args]) == 0
    assert "Not known yet (Police" in capsys.readouterr().out


def test_overdue_list_and_role_checks(vault: Vault, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    with vault.login("pat") as pat:
        high(pat)
    assert main(["referrals", "list", "--overdue", *_args(vault, tmp_path, "pat")]) == 0
    assert capsys.readouterr().out.strip() == "No referrals are overdue."
    assert main(["referrals", "list", *_args(vault, tmp_path, "mary")]) == 0
    out = capsys.readouterr().out
    assert "To send" in out
    assert "Northvale Child Exploitation Hub" in out
    assert main(["referrals", "list", *_args(vault, tmp_path, "paula")]) == 0
    assert capsys.readouterr().out.strip() == "No referrals yet."
    assert main(["referrals", "list", *_args(vault, tmp_path, "admin")]) == 1
    assert "needs the practitioner or manager role" in capsys.readouterr().err


@pytest.mark.parametrize(("extra", "message"), [
    (["outcome", "1", "--outcome", "strategy_discussion", "--confirmed", "yes"],
     "give --confirmed and --source together"),
    (["outcome", "1", "--outcome", "strategy_discussion", "--confirmed", "yes", "--source",
      "rumour"], "there is no source 'rumour'; use one of: strategy_discussion"),
    (["outcome", "1", "--outcome", "made_up"], "There is no outcome 'made_up'"),
    (["show", "999"], "There is no such referral"),
    (["sent", "1", "--how", "secure-email", "--on", "31/12/2026"], "is not a date"),
])
def test_bad_input_is_one_line_without_a_traceback(
        vault: Vault, tmp_path: Path, extra: list[str], message: str) -> None:
    with vault.login("pat") as pat:
        high(pat)
    done = subprocess.run(
        [sys.executable, "-m", "riskscreen", "referral", *extra,
         *_args(vault, tmp_path, "pat")], capture_output=True, text=True, timeout=120,
        check=False)
    assert done.returncode in (1, 2)
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") <= 1 or "usage:" in done.stderr


def test_the_vocabulary_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["referral", "outcomes"]) == 0
    out = capsys.readouterr().out
    assert "preventative_work" in out
    assert "nrm_decision" in out
