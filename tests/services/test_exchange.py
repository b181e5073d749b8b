"""Exchange packages between two real encrypted databases: an agency and the team."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from riskscreen.crypto.exchange import (
    certificate_pem,
    encrypted_key_pem,
    new_private_key,
    self_signed_certificate,
)
from riskscreen.services import ServiceError, Session, Unlocker
from riskscreen.services.demo import DEMO_ACCOUNTS, create_demo_database
from riskscreen.services.exchange import NeedsChildChoice
from riskscreen.services.types import ScreeningQuery

from .conftest import FAST


def _login(db: Path, name: str) -> Session:
    return Unlocker(db, auto_backups=False).unlock(name, DEMO_ACCOUNTS[name][1])


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("exchange")
    agency, team = root / "agency.db", root / "team.db"
    create_demo_database(agency, 6, seed=1, kdf=FAST).close()
    create_demo_database(team, 2, seed=2, kdf=FAST).close()
    with _login(agency, "admin") as a, _login(team, "admin") as t:
        agency_cert = a.exchange.identity()
        team_cert = t.exchange.identity()
        assert agency_cert is not None
        assert team_cert is not None
        t.exchange.install_sender(agency_cert.certificate_pem.encode())
        a.exchange.install_sender(team_cert.certificate_pem.encode())
        (root / "team.cert.pem").write_text(team_cert.certificate_pem)
        (root / "agency.cert.pem").write_text(agency_cert.certificate_pem)
    return {"agency": agency, "team": team, "root": root}


def _finalised(db: Path) -> int:
    with _login(db, "manager") as s:
        return s.list_screenings(ScreeningQuery(status="final", limit=1)).items[0].id


def _package(dbs: dict[str, Path], out: Path, screening: int | None = None) -> Path:
    with _login(dbs["agency"], "manager") as s:
        s.exchange.save_screening_package(screening or _finalised(dbs["agency"]), out,
                                          (dbs["root"] / "team.cert.pem").read_bytes())
    return out


def _count(db: Path, table: str) -> int:
    with _login(db, "manager") as s, s.engine.connect() as c:
        return int(c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_package_travels_and_is_imported_once(dbs: dict[str, Path], tmp_path: Path) -> None:
    package = _package(dbs, tmp_path / "referral.p7m")
    before = _count(dbs["team"], "children")
    with _login(dbs["team"], "manager") as s:
        incoming = s.exchange.inspect(package.read_bytes())
        assert incoming.kind == "referral"
        assert incoming.trusted
        assert incoming.sender == "Northvale Demo Agency"
        assert incoming.child_name
        with pytest.raises(NeedsChildChoice, match="--new-child"):
            s.exchange.import_package(package.read_bytes())
        assert _count(dbs["team"], "received_packages") == 0
        imported = s.exchange.import_package(package.read_bytes(), "new")
        assert imported.changed
        assert imported.new_child
        again = s.exchange.import_package(package.read_bytes(), "new")
        assert not again.changed
        assert again.received_id == imported.received_id
        received = s.exchange.received(imported.received_id)
        assert received.summary_pdf is not None
        assert received.summary_pdf.startswith(b"%PDF")
        assert received.status == "received"
    assert _count(dbs["team"], "children") == before + 1
    # The same child sent again is offered as a match, not merged silently.
    second = _package(dbs, tmp_path / "second.p7m")
    with _login(dbs["team"], "manager") as s:
        incoming = s.exchange.inspect(second.read_bytes())
        assert [m.child.id for m in incoming.matches] == [imported.child_id]
        with pytest.raises(NeedsChildChoice, match=f"child {imported.child_id}"):
            s.exchange.import_package(second.read_bytes())
        assert imported.child_id is not None
        matched = s.exchange.import_package(second.read_bytes(), imported.child_id)
        assert matched.child_id == imported.child_id
        assert not matched.new_child
    assert _count(dbs["team"], "children") == before + 1


def test_received_content_cannot_be_changed(dbs: dict[str, Path], tmp_path: Path) -> None:
    package = _package(dbs, tmp_path / "r.p7m")
    with _login(dbs["team"], "manager") as s:
        rid = s.exchange.import_package(package.read_bytes(), "new").received_id
        with s.engine.begin() as c, pytest.raises(Exception, match="kept as it arrived"):
            c.execute(text("UPDATE received_packages SET content = x'00' WHERE id = :i"),
                      {"i": rid})


def test_openssl_reads_a_stored_screenings_package(dbs: dict[str, Path], tmp_path: Path) -> None:
    """The team's own key, from a key file made by the CLI's functions, opens it in openssl."""
    key = new_private_key()
    cert = self_signed_certificate(key, "Openssl Reader Team")
    (tmp_path / "k.pem").write_bytes(encrypted_key_pem(key, "reader passphrase"))
    (tmp_path / "c.pem").write_text(certificate_pem(cert))
    (tmp_path / "pass").write_text("reader passphrase\n")
    with _login(dbs["agency"], "manager") as s:
        s.exchange.save_screening_package(_finalised(dbs["agency"]), tmp_path / "p.p7m",
                                          certificate_pem(cert).encode())
    done = subprocess.run(
        ["openssl", "cms", "-decrypt", "-inform", "DER", "-in", str(tmp_path / "p.p7m"),
         "-recip", str(tmp_path / "c.pem"), "-inkey", str(tmp_path / "k.pem"), "-passin",
         f"file:{tmp_path / 'pass'}", "-out", str(tmp_path / "s.der")],
        capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    verified = subprocess.run(
        ["openssl", "cms", "-verify", "-inform", "DER", "-in", str(tmp_path / "s.der"),
         "-CAfile", str(dbs["root"] / "agency.cert.pem"), "-out", str(tmp_path / "c.zip")],
        capture_output=True, check=False)
    assert verified.returncode == 0, verified.stderr
    import zipfile

    with zipfile.ZipFile(tmp_path / "c.zip") as z:
        names = set(z.namelist())
        bundle = json.loads(z.read("bundle.json"))
    assert {"bundle.json", "summary.pdf", "manifest.json"} <= names
    assert any(n.startswith("forms/") for n in names)
    assert any(n.startswith("models/") for n in names)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"QuestionnaireResponse", "RiskAssessment", "ServiceRequest"} <= kinds


def _bad(dbs: dict[str, Path], data: bytes, match: str) -> None:
    counts = (_count(dbs["team"], "received_packages"), _count(dbs["team"], "children"))
    with _login(dbs["team"], "manager") as s, pytest.raises(ServiceError, match=match) as e:
        s.exchange.import_package(data, "new")
    assert "\n" not in str(e.value)
    assert "Nothing was imported" in str(e.value)
    assert (_count(dbs["team"], "received_packages"), _count(dbs["team"], "children")) == counts


def test_package_for_another_recipient(dbs: dict[str, Path], tmp_path: Path) -> None:
    other = self_signed_certificate(new_private_key(), "Another team")
    with _login(dbs["agency"], "manager") as s:
        s.exchange.save_screening_package(_finalised(dbs["agency"]), tmp_path / "o.p7m",
                                          certificate_pem(other).encode())
    _bad(dbs, (tmp_path / "o.p7m").read_bytes(), "encrypted for another team")


def test_tampered_package(dbs: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(_package(dbs, tmp_path / "t.p7m").read_bytes())
    data[-100] ^= 0x20
    _bad(dbs, bytes(data), "altered")


def test_truncated_file(dbs: dict[str, Path], tmp_path: Path) -> None:
    data = _package(dbs, tmp_path / "t.p7m").read_bytes()
    _bad(dbs, data[: len(data) - 700], "truncated or damaged")
    _bad(dbs, b"", "truncated or damaged")


def test_unknown_sender(dbs: dict[str, Path], tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.db"
    create_demo_database(stranger, 1, seed=3, kdf=FAST).close()
    with _login(stranger, "manager") as s:
        s.exchange.save_screening_package(_finalised(stranger), tmp_path / "u.p7m",
                                          (dbs["root"] / "team.cert.pem").read_bytes())
    _bad(dbs, (tmp_path / "u.p7m").read_bytes(), "does not trust")


def test_expired_certificates(dbs: dict[str, Path], tmp_path: Path) -> None:
    key = new_private_key()
    old = self_signed_certificate(key, "Expired team", days=30,
                                  now=datetime.now(UTC) - timedelta(days=90))
    with _login(dbs["agency"], "manager") as s, pytest.raises(ServiceError,
                                                               match="expired on"):
        s.exchange.save_screening_package(_finalised(dbs["agency"]), tmp_path / "e.p7m",
                                          certificate_pem(old).encode())
    assert not (tmp_path / "e.p7m").exists()
    with _login(dbs["team"], "admin") as s, pytest.raises(ServiceError, match="expired on"):
        s.exchange.install_sender(certificate_pem(old).encode())
