"""Exchange packages between two real encrypted databases: an agency and the team."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from riskscreen.crypto.exchange import (
    certificate_pem,
    encrypted_key_pem,
    new_private_key,
    self_signed_certificate,
)
from riskscreen.services import ServiceError, Session
from riskscreen.services.demo import create_demo_database
from riskscreen.services.exchange import NeedsChildChoice
from riskscreen.services.types import PackageKind

from ..conftest import BACKENDS, FAST
from ..exchange_helpers import TeamServer, exchange_pair, finalised, login, make_package

_login = login


@pytest.fixture(scope="module", params=BACKENDS)
def dbs(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The agency's laptop (a file) and the team's database, a file or on the test server."""
    server = request.getfixturevalue("pg_databases").fresh(empty=True) if (
        request.param == "postgresql") else None
    return exchange_pair(tmp_path_factory.mktemp("exchange"), FAST, team_server=server)


def _finalised(db: Path | TeamServer, name: str = "Synthetic Exchange Child") -> int:
    return finalised(db, name)


def _send(s: Session, screening: int, out: Path, pem: bytes) -> None:
    s.exchange.save_referral_package(s.exchange.referral_of_screening(screening), out, pem)


def _package(dbs: dict[str, Any], out: Path, screening: int | None = None) -> Path:
    return make_package(dbs, out, screening)


def _count(db: Path | TeamServer, table: str) -> int:
    with _login(db, "manager") as s, s.engine.connect() as c:
        return int(c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_package_travels_and_is_imported_once(dbs: dict[str, Any], tmp_path: Path) -> None:
    package = _package(dbs, tmp_path / "referral.p7m")
    before = _count(dbs["team"], "children")
    with _login(dbs["team"], "manager") as s:
        incoming = s.exchange.inspect(package.read_bytes())
        assert incoming.kind is PackageKind.REFERRAL
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
        assert [m.by.words for m in incoming.matches] == ["same NHS number"]
        with pytest.raises(NeedsChildChoice, match=f"child {imported.child_id}"):
            s.exchange.import_package(second.read_bytes())
        assert imported.child_id is not None
        matched = s.exchange.import_package(second.read_bytes(), imported.child_id)
        assert matched.child_id == imported.child_id
        assert not matched.new_child
    assert _count(dbs["team"], "children") == before + 1


def test_a_received_referral_reads_as_the_sender_made_it(dbs: dict[str, Any],
                                                         tmp_path: Path) -> None:
    """What the receiving team reads: the sender's level, rules fired, answers and model, the
    sender's trust and the matched child; deciding and outcomes return the updated record."""
    sid = _finalised(dbs["agency"], "Synthetic Reading Child")
    package = _package(dbs, tmp_path / "read.p7m", sid)
    with _login(dbs["agency"], "manager") as s:
        assessment = s.screenings.open(sid).assessment
        assert assessment is not None
    with _login(dbs["team"], "manager") as s:
        rid = s.exchange.import_package(package.read_bytes(), "new").received_id
        received = s.exchange.received(rid)
        facts = received.facts
        assert received.trusted
        assert received.child is not None
        assert received.child.name == "Synthetic Reading Child"
        assert facts.child_name == "Synthetic Reading Child"
        assert facts.nhs_number == "9434765919"
        assert facts.level_id == assessment.level
        assert facts.model_id == assessment.model.id
        assert facts.model_version == assessment.model.version
        assert facts.model_sha256 == assessment.model.sha256
        assert [r for r, _ in facts.reasons] == [r.id for r in assessment.rules_fired]
        assert all(words for _, words in facts.reasons)
        assert "Synthetic Reading Child" in [answer for _, answer in facts.answers]
        assert facts.lawful_basis
        assert facts.referred_by
        declined = s.exchange.decide(rid, accept=False, reason="Already open to the team")
        assert (declined.status, declined.decision_reason) == ("declined",
                                                               "Already open to the team")
        assert declined.decided_at is not None
        with pytest.raises(ServiceError, match="say it") as error:
            s.exchange.add_outcome(rid, "preventative_work")
        assert "--" not in str(error.value), "the GUI shows this message too"
        after = s.exchange.add_outcome(rid, "strategy_discussion", confirmed="not_known",
                                       source="strategy_discussion")
        assert [o[0] for o in after.outcomes] == ["strategy_discussion"]
        assert after.confirmed == "not_known"


def test_received_content_cannot_be_changed(dbs: dict[str, Any], tmp_path: Path) -> None:
    package = _package(dbs, tmp_path / "r.p7m")
    with _login(dbs["team"], "manager") as s:
        rid = s.exchange.import_package(package.read_bytes(), "new").received_id
        with s.engine.begin() as c, pytest.raises(Exception, match="kept as it arrived"):
            c.execute(text("UPDATE received_packages SET content = :c WHERE id = :i"),
                      {"c": b"\0", "i": rid})


def test_openssl_reads_a_stored_screenings_package(dbs: dict[str, Any], tmp_path: Path) -> None:
    """The team's own key, from a key file made by the CLI's functions, opens it in openssl."""
    key = new_private_key()
    cert = self_signed_certificate(key, "Openssl Reader Team")
    (tmp_path / "k.pem").write_bytes(encrypted_key_pem(key, "reader passphrase"))
    (tmp_path / "c.pem").write_text(certificate_pem(cert))
    (tmp_path / "pass").write_text("reader passphrase\n")
    with _login(dbs["agency"], "manager") as s:
        _send(s, _finalised(dbs["agency"]), tmp_path / "p.p7m",
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


def _bad(dbs: dict[str, Any], data: bytes, match: str) -> None:
    counts = (_count(dbs["team"], "received_packages"), _count(dbs["team"], "children"))
    with _login(dbs["team"], "manager") as s, pytest.raises(ServiceError, match=match) as e:
        s.exchange.import_package(data, "new")
    assert "\n" not in str(e.value)
    assert "Nothing was imported" in str(e.value)
    assert (_count(dbs["team"], "received_packages"), _count(dbs["team"], "children")) == counts


def test_package_for_another_recipient(dbs: dict[str, Any], tmp_path: Path) -> None:
    other = self_signed_certificate(new_private_key(), "Another team")
    with _login(dbs["agency"], "manager") as s:
        _send(s, _finalised(dbs["agency"]), tmp_path / "o.p7m",
              certificate_pem(other).encode())
    _bad(dbs, (tmp_path / "o.p7m").read_bytes(), "encrypted for another team")


def test_tampered_package(dbs: dict[str, Any], tmp_path: Path) -> None:
    data = bytearray(_package(dbs, tmp_path / "t.p7m").read_bytes())
    data[-100] ^= 0x20
    _bad(dbs, bytes(data), "altered")


def test_truncated_file(dbs: dict[str, Any], tmp_path: Path) -> None:
    data = _package(dbs, tmp_path / "t.p7m").read_bytes()
    _bad(dbs, data[: len(data) - 700], "truncated or damaged")
    _bad(dbs, b"", "truncated or damaged")


def test_unknown_sender(dbs: dict[str, Any], tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.db"
    create_demo_database(stranger, 6, seed=1, kdf=FAST).close()
    with _login(stranger, "manager") as s:
        _send(s, _finalised(stranger), tmp_path / "u.p7m",
              (dbs["root"] / "team.cert.pem").read_bytes())
    _bad(dbs, (tmp_path / "u.p7m").read_bytes(), "does not trust")


def test_expired_certificates(dbs: dict[str, Any], tmp_path: Path) -> None:
    key = new_private_key()
    old = self_signed_certificate(key, "Expired team", days=30,
                                  now=datetime.now(UTC) - timedelta(days=90))
    with _login(dbs["agency"], "manager") as s, pytest.raises(ServiceError,
                                                               match="expired on"):
        _send(s, _finalised(dbs["agency"]), tmp_path / "e.p7m",
              certificate_pem(old).encode())
    assert not (tmp_path / "e.p7m").exists()
    with _login(dbs["team"], "admin") as s, pytest.raises(ServiceError, match="expired on"):
        s.exchange.install_sender(certificate_pem(old).encode())


def test_the_loop_closes_across_machines(dbs: dict[str, Any], tmp_path: Path) -> None:
    """Sent by package -> imported by the team -> decided, outcome -> reply -> the agency's
    referral is accepted with the outcome and the confirmation."""
    sid = _finalised(dbs["agency"])
    package = _package(dbs, tmp_path / "loop.p7m", sid)
    with _login(dbs["agency"], "manager") as s:
        rid = s.exchange.referral_of_screening(sid)
        referral = s.referrals.get(rid)
        assert str(referral.status) == "sent"
        assert str(referral.sent_method) == "exchange_package"
    with _login(dbs["team"], "manager") as s:
        received = s.exchange.import_package(package.read_bytes(), "new").received_id
        with pytest.raises(ServiceError, match="decision"):
            s.exchange.save_reply_package(received, tmp_path / "early.p7m")
        s.exchange.decide(received, accept=True)
        with pytest.raises(ServiceError, match="needs"):
            s.exchange.add_outcome(received, "preventative_work")
        s.exchange.add_outcome(received, "preventative_work", "Northvale Youth Project",
                               confirmed="not_known", source="strategy_discussion")
        s.exchange.add_outcome(received, "strategy_discussion")
        s.exchange.save_reply_package(received, tmp_path / "reply.p7m")
    reply = (tmp_path / "reply.p7m").read_bytes()
    with _login(dbs["agency"], "manager") as s:
        first = s.exchange.import_package(reply)
        assert first.kind == "reply"
        assert first.referral_id == rid
        assert first.changed
        again = s.exchange.import_package(reply)
        assert not again.changed
        referral = s.referrals.get(rid)
    assert str(referral.status) == "accepted"
    assert {o.outcome_id for o in referral.outcomes} == {"preventative_work",
                                                         "strategy_discussion"}
    assert referral.confirmation is not None
    assert str(referral.confirmation.answer) == "not_known"


def test_a_reply_from_another_team_is_refused(dbs: dict[str, Any], tmp_path: Path) -> None:
    """A stranger that the agency trusts but did not send this referral to cannot answer it."""
    sid = _finalised(dbs["agency"])
    package = _package(dbs, tmp_path / "p.p7m", sid)
    with _login(dbs["team"], "manager") as s:
        received = s.exchange.import_package(package.read_bytes(), "new").received_id
        s.exchange.decide(received, accept=False, reason="Already open to the CSE team")
    other = tmp_path / "other.db"
    create_demo_database(other, 0, seed=5, kdf=FAST).close()
    with _login(other, "admin") as o, _login(dbs["agency"], "admin") as a:
        identity = o.exchange.identity()
        assert identity is not None
        a.exchange.install_sender(identity.certificate_pem.encode())
        agency = a.exchange.identity()
        assert agency is not None
        o.exchange.install_sender(agency.certificate_pem.encode())
    # The other team makes a reply to the same reference from a copy of the package it never
    # received: it cannot open the package, so it forges the reply's content directly.
    from cryptography.hazmat.primitives import serialization

    from riskscreen.crypto.exchange import load_certificate, seal_package
    from riskscreen.store.models import ExchangeKey
    from riskscreen.summary.fhir import ReplyFacts, reply_bundle
    from riskscreen.summary.package import PackageContents, build_zip

    with _login(dbs["team"], "manager") as s, s.context.transaction() as orm:
        reference = orm.execute(text("SELECT reference FROM received_packages WHERE id = :i"),
                                {"i": received}).scalar_one()
    with _login(other, "admin") as o, o.context.transaction() as orm:
        row = orm.query(ExchangeKey).one()
        key = serialization.load_der_private_key(row.private_key, None)
        cert = load_certificate(row.certificate)
    facts = ReplyFacts(reference=reference, status="accepted", decided_at="2026-01-01T00:00:00Z")
    content = build_zip(PackageContents(kind="reply", package_id="forged-1",
                                        bundle=reply_bundle(facts, package_id="forged-1",
                                                            authored="2026-01-01T00:00:00Z")))
    forged = seal_package(content, cert, key, [load_certificate(agency.certificate_pem)])
    with _login(dbs["agency"], "manager") as s:
        before = s.referrals.get(s.exchange.referral_of_screening(sid))
        with pytest.raises(ServiceError, match="not by the team the referral was sent to"):
            s.exchange.import_package(forged)
        assert s.referrals.get(s.exchange.referral_of_screening(sid)) == before


def test_package_signed_with_an_expired_certificate(dbs: dict[str, Any],
                                                    tmp_path: Path) -> None:
    """Signed while the sender's certificate was valid; it has expired since."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    from riskscreen.crypto.exchange import load_certificate

    key = new_private_key()
    old = self_signed_certificate(key, "Lapsed Agency", days=30,
                                  now=datetime.now(UTC) - timedelta(days=60))
    team = load_certificate((dbs["root"] / "team.cert.pem").read_bytes())
    signed = (pkcs7.PKCS7SignatureBuilder().set_data(b"PK not even read")
              .add_signer(old, key, hashes.SHA256())
              .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
    sealed = (pkcs7.PKCS7EnvelopeBuilder().set_data(signed).add_recipient(team)
              .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
    _bad(dbs, sealed, "Lapsed Agency expired on")


def test_the_whole_team_works_on_received_referrals_and_closes_them(
        dbs: dict[str, Path], tmp_path: Path) -> None:
    """A referral imported by one practitioner is the team's: a colleague sees it, decides,
    records the outcome and closes it with a reason; closing is audited, keeps the decision,
    stops further steps and the reply tells the sender it is completed."""
    sid = _finalised(dbs["agency"], "Synthetic Team Child")
    package = _package(dbs, tmp_path / "team.p7m", sid)
    with _login(dbs["team"], "pat") as pat:
        received = pat.exchange.import_package(package.read_bytes(), "new").received_id
    with _login(dbs["team"], "sam") as sam:
        assert received in {r.id for r in sam.exchange.list_received()}
        assert sam.exchange.received(received).reference
        with pytest.raises(ServiceError, match="decision"):
            sam.exchange.close(received, "Nothing to do")
        sam.exchange.decide(received, accept=True)
        with pytest.raises(ServiceError, match="outcome"):
            sam.exchange.close(received, "Nothing to do")
        sam.exchange.add_outcome(received, "strategy_discussion")
        with pytest.raises(ServiceError, match="Say why"):
            sam.exchange.close(received, "   ")
        closed = sam.exchange.close(received, "Plan agreed;  held by social care.")
        assert closed.status == "closed"
        assert closed.decision == "accepted"
        assert closed.close_reason == "Plan agreed; held by social care."
        assert closed.closed_at
        assert [r.status for r in sam.exchange.list_received() if r.id == received] == [
            "closed"]
        for step in (lambda: sam.exchange.close(received, "again"),
                     lambda: sam.exchange.add_outcome(received, "preventative_work", "x"),
                     lambda: sam.exchange.decide(received, accept=False, reason="x")):
            with pytest.raises(ServiceError, match="closed"):
                step()
        sam.exchange.save_reply_package(received, tmp_path / "closed-reply.p7m")
    with _login(dbs["team"], "admin") as admin:
        entries = [(e.user, e.action, e.detail) for e in admin.audit.entries()
                   if e.object == f"received:{received}"]
    closes = [(u, json.loads(d)) for u, a, d in entries if a == "close"]
    assert closes == [("sam", {"decision": "accepted"})]
    assert all("social care" not in d for _, _, d in entries)  # the reason stays out of it
    with _login(dbs["agency"], "manager") as s:
        s.exchange.import_package((tmp_path / "closed-reply.p7m").read_bytes())
        referral = s.referrals.get(s.exchange.referral_of_screening(sid))
    assert str(referral.status) == "accepted"
    assert {o.outcome_id for o in referral.outcomes} == {"strategy_discussion"}
