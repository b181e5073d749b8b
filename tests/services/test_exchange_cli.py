"""The exchange commands end to end: two demo databases, real files, openssl as the reader."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from riskscreen.cli.main import main
from riskscreen.services import Unlocker
from riskscreen.services.demo import DEMO_ACCOUNTS
from riskscreen.services.types import ScreeningQuery


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli")
    for name, count in (("agency", 4), ("team", 0)):
        assert main(["demo", "--db", str(root / f"{name}.db"), "--count", str(count)]) == 0
    for account, (_, passphrase) in DEMO_ACCOUNTS.items():
        (root / f"{account}.pass").write_text(passphrase + "\n", encoding="utf-8")
    (root / "key.pass").write_text("team key passphrase\n", encoding="utf-8")
    return {"root": root, "agency": root / "agency.db", "team": root / "team.db"}


def _as(two: dict[str, Path], db: str, account: str) -> list[str]:
    return ["--db", str(two[db]), "--user", account, "--passphrase-file",
            str(two["root"] / f"{account}.pass")]


def test_keys_package_import_reply(two: dict[str, Path], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = two["root"]
    keys = tmp_path / "hub-keys"
    assert main(["keys", "new-team", "--name", "Northvale Child Exploitation Hub", "-o",
                 str(keys), "--key-passphrase-file", str(root / "key.pass"), "--csr"]) == 0
    assert (keys / "team.key.pem").stat().st_mode & 0o077 == 0
    assert (keys / "team.csr.pem").exists()
    csr = subprocess.run(["openssl", "req", "-in", str(keys / "team.csr.pem"), "-noout",
                          "-verify"], capture_output=True, check=False)
    assert csr.returncode == 0, csr.stderr
    assert main(["keys", "install", str(keys), "--key-passphrase-file", str(root / "key.pass"),
                 *_as(two, "team", "admin")]) == 0
    # The agency's certificate, handed to the team, and the team's to the agency.
    assert main(["keys", "show", "--certificate", str(tmp_path / "agency.pem"),
                 *_as(two, "agency", "admin")]) == 0
    assert main(["keys", "install-sender", str(tmp_path / "agency.pem"),
                 *_as(two, "team", "admin")]) == 0
    assert main(["keys", "install-sender", str(keys / "team.cert.pem"),
                 *_as(two, "agency", "admin")]) == 0
    capsys.readouterr()

    with Unlocker(two["agency"], auto_backups=False).unlock(
            "pat", DEMO_ACCOUNTS["pat"][1]) as s:
        sid = next(r.id for r in s.screenings.find(ScreeningQuery(status="final", limit=100))
                   .items if r.level != "none")
    package = tmp_path / "referral.p7m"
    assert main(["package", "referral", "--screening", str(sid), "-o", str(package), "--to",
                 str(keys / "team.cert.pem"), *_as(two, "agency", "pat")]) == 0
    assert "Northvale Child Exploitation Hub" in capsys.readouterr().err

    # Without a person's choice nothing is imported, and the message says what to do.
    assert main(["package", "import", str(package), *_as(two, "team", "manager")]) == 1
    err = capsys.readouterr().err
    assert "--new-child" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["package", "import", str(package), "--new-child", "--json",
                 *_as(two, "team", "manager")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["changed"]
    assert result["sender"] == "Northvale Demo Agency"
    assert main(["package", "import", str(package), "--new-child", "--json",
                 *_as(two, "team", "manager")]) == 0
    assert not json.loads(capsys.readouterr().out)["changed"]

    rid = str(result["received_id"])
    assert main(["package", "reply", rid, "-o", str(tmp_path / "early.p7m"),
                 *_as(two, "team", "manager")]) == 1
    assert "decision" in capsys.readouterr().err
    assert main(["package", "decide", rid, "--accept", *_as(two, "team", "manager")]) == 0
    assert main(["package", "outcome", rid, "--outcome", "strategy_discussion",
                 *_as(two, "team", "manager")]) == 0
    # An outcome that asks for a detail takes it from --detail.
    assert main(["package", "outcome", rid, "--outcome", "preventative_work", "--detail",
                 "Northvale Youth Project", *_as(two, "team", "manager")]) == 0
    assert main(["package", "reply", rid, "-o", str(tmp_path / "reply.p7m"),
                 *_as(two, "team", "manager")]) == 0
    capsys.readouterr()
    assert main(["package", "import", str(tmp_path / "reply.p7m"), "--json",
                 *_as(two, "agency", "pat")]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["kind"] == "reply"
    assert reply["changed"]
    # Once an outcome is recorded the team closes it, saying why; then it takes no more steps.
    assert main(["package", "close", rid, "--reason", "Plan agreed at the strategy meeting",
                 *_as(two, "team", "manager")]) == 0
    assert "closed" in capsys.readouterr().out
    assert main(["package", "outcome", rid, "--outcome", "strategy_discussion",
                 *_as(two, "team", "manager")]) == 1
    assert "closed" in capsys.readouterr().err

    # openssl opens the referral package with the team's key file and passphrase.
    done = subprocess.run(
        ["openssl", "cms", "-decrypt", "-inform", "DER", "-in", str(package), "-recip",
         str(keys / "team.cert.pem"), "-inkey", str(keys / "team.key.pem"), "-passin",
         f"file:{root / 'key.pass'}", "-out", str(tmp_path / "signed.der")],
        capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    verified = subprocess.run(
        ["openssl", "cms", "-verify", "-inform", "DER", "-in", str(tmp_path / "signed.der"),
         "-CAfile", str(tmp_path / "agency.pem"), "-out", str(tmp_path / "content.zip")],
        capture_output=True, check=False)
    assert verified.returncode == 0, verified.stderr


def test_fhir_exports(two: dict[str, Path], tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "q.json"
    assert main(["export", "fhir-questionnaire", "--instrument", "cse-screening", "-o",
                 str(out)]) == 0
    q = json.loads(out.read_text(encoding="utf-8"))
    assert q["resourceType"] == "Questionnaire"
    with Unlocker(two["agency"], auto_backups=False).unlock(
            "pat", DEMO_ACCOUNTS["pat"][1]) as s:
        sid = next(r.id for r in s.screenings.find(ScreeningQuery(status="final", limit=100))
                   .items if r.level != "none")
    assert main(["export", "fhir", "--screening", str(sid), "-o", str(tmp_path / "b.json"),
                 *_as(two, "agency", "pat")]) == 0
    bundle = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"
    assert main(["export", "fhir-questionnaire", "--instrument", "no-such", "-o",
                 str(out)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) >= 1



def test_routing_names_the_teams_certificate(two: dict[str, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from riskscreen.crypto.exchange import fingerprint, load_certificate

    keys = tmp_path / "keys"
    assert main(["keys", "new-team", "--name", "Routed Hub", "-o", str(keys),
                 "--key-passphrase-file", str(two["root"] / "key.pass")]) == 0
    from riskscreen.services.referral import referral_summary

    with Unlocker(two["agency"], auto_backups=False).unlock(
            "pat", DEMO_ACCOUNTS["pat"][1]) as s:
        sid = next(r.id for r in s.screenings.find(ScreeningQuery(status="final", limit=100))
                   .items if r.level != "none")
        detail = s.screenings.open(sid)
        destination = referral_summary(
            s, detail, s.screenings.form(detail.form_id, detail.form_version)).route.destination
    # Without a certificate in the routing, the package needs --to.
    out = tmp_path / "p.p7m"
    assert main(["package", "referral", "--screening", str(sid), "-o", str(out),
                 *_as(two, "agency", "pat")]) == 1
    assert "--to" in capsys.readouterr().err
    assert not out.exists()
    assert main(["keys", "set-destination", destination.id, str(keys / "team.cert.pem"),
                 *_as(two, "agency", "admin")]) == 0
    capsys.readouterr()
    assert main(["keys", "show", *_as(two, "agency", "admin")]) == 0
    cert = load_certificate((keys / "team.cert.pem").read_bytes())
    shown = capsys.readouterr().out
    assert (f"destination {destination.id} ({destination.name}): exchange certificate "
            f"SHA-256 {fingerprint(cert)}, valid until "
            f"{cert.not_valid_after_utc:%Y-%m-%d}") in shown
    assert main(["package", "referral", "--screening", str(sid), "-o", str(out),
                 *_as(two, "agency", "pat")]) == 0
    assert "Routed Hub" in capsys.readouterr().err
