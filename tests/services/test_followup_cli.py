"""`riskscreen episodes | due | chronology` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from riskscreen.cli.main import main

from ..conftest import PASSPHRASES, Vault


def _args(vault: Vault, tmp_path: Path, user: str = "pat") -> list[str]:
    path = tmp_path / f"{user}.pass"
    path.write_text(PASSPHRASES[user] + "\n", encoding="utf-8")
    return ["--db", str(vault.db), "--user", user, "--passphrase-file", str(path)]


def test_episodes_due_and_chronology(vault: Vault, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    with vault.login("pat") as pat:
        child = pat.children.create("Command Line Child", "2012-06-01").id
    auth = _args(vault, tmp_path)
    assert main(["episodes", "add", "--child", str(child), "--missing-from",
                 "2026-03-01T21:30", "--returned", "2026-03-02T07:45", *auth]) == 0
    out = capsys.readouterr().out
    assert "Offer a Return Home Interview by 05/03/2026 07:45" in out
    assert main(["episodes", "add", "--child", str(child), "--missing-from",
                 "2026-03-10 18:00", *auth]) == 0
    capsys.readouterr()
    assert main(["episodes", "list", "--child", str(child), "--json", *auth]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["missing_from"], e["returned"], e["rhi_deadline"]) for e in listed] == [
        ("2026-03-01T21:30", "2026-03-02T07:45", "2026-03-05T07:45"),
        ("2026-03-10T18:00", None, None)]
    assert main(["episodes", "rhi", str(listed[0]["id"]), "--status", "done", "--at",
                 "2026-03-03T10:00", *auth]) == 0
    capsys.readouterr()
    assert main(["due", "--json", *auth]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert (item["child"], item["kind"], item["due"], item["overdue"]) == (
        child, "after_episode", "2026-03-16", True)
    assert main(["due", *auth]) == 0
    assert "Overdue by" in capsys.readouterr().out
    pdf = tmp_path / "chronology.pdf"
    assert main(["chronology", "--child", str(child), "-o", str(pdf), *auth]) == 0
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Return Home Interview: done" in text
    assert "Page 1 of 1" in text
    assert main(["chronology", "--child", str(child), "-o", str(pdf), "--only", "rhi",
                 *auth]) == 0
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Reported missing" not in text
    assert "Shown: Return Home Interview" in text


def test_bad_input_is_one_line(vault: Vault, tmp_path: Path) -> None:
    with vault.login("pat") as pat:
        child = pat.children.create("Bad Input Child").id
    for extra, wanted in [
        (["episodes", "add", "--child", str(child), "--missing-from", "last night"],
         "YYYY-MM-DD HH:MM"),
        (["episodes", "list", "--child", "999"], "no such child"),
        (["chronology", "--child", str(child), "-o", str(tmp_path / "no" / "x.pdf")],
         "cannot use"),
    ]:
        run = subprocess.run([sys.executable, "-m", "riskscreen", *extra,
                              *_args(vault, tmp_path)], capture_output=True, text=True,
                             timeout=120, check=False)
        assert run.returncode == 1, run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, run.stderr
        assert wanted in lines[0], run.stderr
        assert "Traceback" not in run.stderr
    run = subprocess.run([sys.executable, "-m", "riskscreen", "due",
                          *_args(vault, tmp_path, "admin")], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 1
    assert "practitioner or manager role" in run.stderr
