"""``riskscreen instrument add | list`` and ``score``/``summary --instrument ID`` on an
instrument installed in a real encrypted database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from riskscreen.cli.main import main

from ..conftest import PASSPHRASES, Vault

TEAM_CASES = Path(__file__).resolve().parents[1] / "instruments" / "eastbrook-cases"


def _who(tmp_path: Path, vault: Vault, name: str) -> list[str]:
    pw = tmp_path / f"{name}.pw"
    pw.write_text(PASSPHRASES[name] + "\n", "utf-8")
    return ["--db", str(vault.db), "--user", name, "--passphrase-file", str(pw)]


def test_install_list_and_score_an_installed_instrument(
        vault: Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        team_instrument: Callable[[str], Path]) -> None:
    folder = team_instrument("eastbrook")
    mary = _who(tmp_path, vault, "mary")
    assert main(["instrument", "add", str(folder), *mary]) == 0
    out = capsys.readouterr().out
    assert "Installed eastbrook-seraf (Eastbrook sexual exploitation risk screening)" in out
    assert "Published scoring models: eastbrook-seraf 1.0.0." in out
    assert main(["instrument", "list", "--json", *_who(tmp_path, vault, "pat")]) == 0
    listed = {i["id"]: i for i in json.loads(capsys.readouterr().out)}
    assert set(listed) == {"cse-screening", "eastbrook-seraf"}
    assert listed["eastbrook-seraf"]["form_versions"][0]["installed_by"] == "mary"
    assert listed["eastbrook-seraf"]["models"] == ["eastbrook-seraf 1.0.0"]
    assert main(["instrument", "list", *mary]) == 0
    assert "eastbrook-seraf: Eastbrook sexual exploitation risk screening (in use)" in (
        capsys.readouterr().out)
    # Installing the same folder again changes nothing and says so.
    assert main(["instrument", "add", str(folder), *mary]) == 0
    assert "already stored; nothing changed" in capsys.readouterr().out

    answers = TEAM_CASES / "online-and-adults.json"
    assert main(["score", "--json", "--instrument", "eastbrook-seraf", str(answers),
                 *mary]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["model"]["id"] == "eastbrook-seraf"
    assert scored["model"]["version"] == "1.0.0"
    pdf = tmp_path / "out.pdf"
    assert main(["summary", str(answers), "--instrument", "eastbrook-seraf", "-o", str(pdf),
                 *mary]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_an_invalid_folder_is_refused_with_file_and_line(
        vault: Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        team_instrument: Callable[[str], Path]) -> None:
    folder = team_instrument("broken")
    routing = folder / "routing.yaml"
    routing.write_text(routing.read_text("utf-8").replace("form: eastbrook-seraf",
                                                          "form: no-such-form"), "utf-8")
    assert main(["instrument", "add", str(folder), *_who(tmp_path, vault, "mary")]) == 1
    err = capsys.readouterr().err
    assert f"{folder}/routing.yaml:" in err
    assert "was not installed" in err
    assert main(["instrument", "list", "--json", *_who(tmp_path, vault, "mary")]) == 0
    assert "eastbrook-seraf" not in {i["id"] for i in json.loads(capsys.readouterr().out)}


def test_a_practitioner_cannot_install(vault: Vault, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str],
                                       team_instrument: Callable[[str], Path]) -> None:
    folder = team_instrument("eastbrook")
    assert main(["instrument", "add", str(folder), *_who(tmp_path, vault, "pat")]) == 1
    err = capsys.readouterr().err
    assert "riskscreen instrument add: This needs the administrator or manager role" in err
    assert "Traceback" not in err


def test_a_shipped_instrument_installs_by_its_id(vault: Vault, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    mary = _who(tmp_path, vault, "mary")
    assert main(["instrument", "add", "child-exploitation", *mary]) == 0
    assert "Installed child-exploitation (Child exploitation screening)" in (
        capsys.readouterr().out)
    assert main(["instrument", "add", "no-such-instrument", *mary]) == 1
    err = capsys.readouterr().err
    assert "was not installed" in err
    assert "Traceback" not in err
