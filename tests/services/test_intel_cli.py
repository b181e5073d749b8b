"""The ``riskscreen intel`` commands on demo databases: one-line errors, the links and the
suppressed profile, and a submission sent as a PDF and as an exchange package that the
existing import keeps and the analyst reads."""

from __future__ import annotations

import csv
import json
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from riskscreen.cli.main import main
from riskscreen.services import Unlocker
from riskscreen.services.demo import DEMO_ACCOUNTS, create_demo_database
from riskscreen.summary.package import read_zip

from ..conftest import FAST


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("intel")
    agency, team = root / "agency.db", root / "team.db"
    create_demo_database(agency, 30, seed=3, kdf=FAST).close()
    create_demo_database(team, 0, seed=4, kdf=FAST).close()
    for account, (_, passphrase) in DEMO_ACCOUNTS.items():
        (root / f"{account}.pass").write_text(passphrase + "\n", encoding="utf-8")
    with (Unlocker(agency, auto_backups=False).unlock("admin", DEMO_ACCOUNTS["admin"][1]) as a,
          Unlocker(team, auto_backups=False).unlock("admin", DEMO_ACCOUNTS["admin"][1]) as t):
        agency_id, team_id = a.exchange.identity(), t.exchange.identity()
        assert agency_id is not None
        assert team_id is not None
        t.exchange.install_sender(agency_id.certificate_pem.encode())
        (root / "team.cert.pem").write_text(team_id.certificate_pem)
    return {"root": root, "agency": agency, "team": team}


def _as(two: dict[str, Path], account: str, db: str = "agency") -> list[str]:
    return ["--db", str(two[db]), "--user", account, "--passphrase-file",
            str(two["root"] / f"{account}.pass")]


def _pat_child(two: dict[str, Path]) -> int:
    with Unlocker(two["agency"], auto_backups=False).unlock(
            "pat", DEMO_ACCOUNTS["pat"][1]) as pat:
        own = [i for i in pat.intel.items() if i.entered_by == "pat"]
        return own[-1].links[0].child_id


def test_demo_links_children_of_two_practitioners_and_has_an_analyst(
        two: dict[str, Path]) -> None:
    with Unlocker(two["agency"], auto_backups=False).unlock(
            "ana", DEMO_ACCOUNTS["ana"][1]) as ana:
        assert ana.user.role == "analyst"
        net = ana.intel.network()
        assert net.counts["shared_entities"] >= 2
        assert net.counts["children_linked"] >= 4
        kinds = {e.kind for e in net.matching.shared_entities}
        assert {"person", "place"} <= kinds
        # The same person of concern recorded by pat and by sam is one entity.
        person = next(e for e in net.matching.shared_entities if e.kind == "person")
        assert ("phone", "07700900417") in person.matched_on
        assert any(ana.intel.get(i).grade.legacy for i in person.item_ids)
    # The demo's practitioners each see only their own children's items.
    with Unlocker(two["agency"], auto_backups=False).unlock(
            "sam", DEMO_ACCOUNTS["sam"][1]) as sam:
        assert all(i.entered_by == "sam" or i.links for i in sam.intel.items())
        assert not any(i.restricted and i.entered_by != "sam" for i in sam.intel.items())


@pytest.mark.parametrize(("extra", "words"), [
    (["--grade", "2/B/Q"], "not a 3x5x2 handling code"),
    (["--grade", "A/1/1"], "legacy 5x5x5 grade"),
    (["--child", "99999"], "There is no child record 99999"),
    (["--seen", "2026-02-30"], "Write the date seen as YYYY-MM-DD"),
    (["--seen", (date.today() + timedelta(days=5)).isoformat()], "in the future"),
])
def test_add_errors_are_one_line(two: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                 extra: list[str], words: str) -> None:
    args = {"--child": str(_pat_child(two)), "--grade": "2/B/P"}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        args[flag] = value
    argv = ["intel", "add", *_as(two, "pat"), "--kind", "place", "--text", "A park",
            *[x for kv in args.items() for x in kv]]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("riskscreen intel add: ")
    assert words in err


def test_add_list_links_and_profile(two: dict[str, Path], tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    child = _pat_child(two)
    assert main(["intel", "add", *_as(two, "pat"), "--child", str(child), "--kind", "vehicle",
                 "--grade", "2/b/p", "--text", "Blue van outside the school",
                 "--registration", "zz99 zzz", "--source", "Teacher"]) == 0
    assert "Recorded intelligence item" in capsys.readouterr().out
    assert main(["intel", "list", *_as(two, "pat"), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert any(i["details"].get("registration") == "zz99 zzz" for i in listed)
    assert main(["intel", "links", *_as(two, "pat")]) == 1
    assert "analyst or manager" in capsys.readouterr().err
    assert main(["intel", "links", *_as(two, "ana"), "--json"]) == 0
    links = json.loads(capsys.readouterr().out)
    assert links["counts"]["children_linked"] >= 4
    assert all("label" not in n for n in links["nodes"] if n["kind"] == "child")
    out = tmp_path / "profile.csv"
    start = (date.today() - timedelta(days=365)).isoformat()
    assert main(["intel", "profile", *_as(two, "manager"), "--from", start, "--to",
                 date.today().isoformat(), "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert rows
    assert {r["children"] for r in rows} <= {"<5"} | {str(n) for n in range(5, 1000)}
    assert main(["intel", "profile", *_as(two, "manager"), "--from", start, "--to",
                 date.today().isoformat(), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["children"] == "<5"
    assert main(["intel", "profile", *_as(two, "manager"), "--from", "2026-02-01", "--to",
                 "tomorrow"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_submit_pdf_and_package_read_by_the_existing_import(
        two: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Unlocker(two["agency"], auto_backups=False).unlock(
            "pat", DEMO_ACCOUNTS["pat"][1]) as pat:
        ids = [str(i.id) for i in pat.intel.items()][:3]
    pdf, package = tmp_path / "sub.pdf", tmp_path / "sub.p7m"
    assert main(["intel", "submit", *ids, "-o", str(pdf), "--package", str(package),
                 "--to", str(two["root"] / "team.cert.pem"), *_as(two, "pat")]) == 0
    assert "recorded as sent" in capsys.readouterr().out
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert text.count("INTELLIGENCE, NOT EVIDENCE") >= 2
    # The analyst at the team imports it with the existing package import...
    assert main(["package", "import", str(package), *_as(two, "ana", "team"), "--json"]) == 0
    imported = json.loads(capsys.readouterr().out)
    assert imported["kind"] == "intelligence"
    with Unlocker(two["team"], auto_backups=False).unlock(
            "ana", DEMO_ACCOUNTS["ana"][1]) as ana:
        (received,) = ana.intel.received()
        assert [str(i["id"]) for i in received.items] == ids
        assert all(i["grading"]["scheme"] in ("3x5x2", "5x5x5") for i in received.items)
        assert "NOT EVIDENCE" in received.notice
        with ana.engine.connect() as conn:
            from sqlalchemy import text as sql

            content = conn.execute(sql("SELECT content FROM received_packages")).scalar_one()
        contents = read_zip(bytes(content))
        assert contents.kind == "intelligence"
        assert contents.summary_pdf is not None
    # ...importing it again changes nothing, and both submissions are recorded as sent.
    assert main(["package", "import", str(package), *_as(two, "ana", "team")]) == 0
    assert "already imported" in capsys.readouterr().out
    with Unlocker(two["agency"], auto_backups=False).unlock(
            "pat", DEMO_ACCOUNTS["pat"][1]) as pat:
        assert sorted(s.form for s in pat.intel.submissions()) == ["package", "pdf"]
    # A package without a certificate to send it to is refused in one line.
    assert main(["intel", "submit", ids[0], "-o", str(pdf), "--package", str(package),
                 *_as(two, "pat")]) == 1
    assert "--to CERT.pem" in capsys.readouterr().err


def test_edit_changes_an_item_the_account_may_change(
        two: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    child = _pat_child(two)
    assert main(["intel", "add", *_as(two, "pat"), "--child", str(child), "--kind", "place",
                 "--grade", "2/C/P", "--text", "Flat above the bakery",
                 "--address", "9 Bread Street"]) == 0
    capsys.readouterr()
    assert main(["intel", "list", *_as(two, "pat"), "--json"]) == 0
    item = next(i["id"] for i in json.loads(capsys.readouterr().out)
                if i["text"] == "Flat above the bakery")
    assert main(["intel", "edit", str(item), *_as(two, "pat"), "--text",
                 "Flat above the bakery; parties on Fridays", "--grade", "2/B/P"]) == 0
    assert "graded 2/B/P" in capsys.readouterr().out
    # Another practitioner may not change it; a call that changes nothing says what to give.
    assert main(["intel", "edit", str(item), *_as(two, "sam"), "--text", "x"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert main(["intel", "edit", str(item), *_as(two, "pat")]) != 0
    assert "--text, --grade or --conditions" in capsys.readouterr().err
    assert main(["intel", "list", *_as(two, "pat"), "--json"]) == 0
    changed = next(i for i in json.loads(capsys.readouterr().out) if i["id"] == item)
    assert changed["text"] == "Flat above the bakery; parties on Fridays"
    assert changed["grade"] == "2/B/P"
