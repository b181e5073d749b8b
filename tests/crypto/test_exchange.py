"""Exchange keys and sealed packages, read back by RiskScreen and by the ``openssl`` command."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from riskscreen.crypto.exchange import (
    CertificateError,
    ExchangeError,
    KeyPassphraseError,
    NotForThisTeamError,
    PackageDamagedError,
    certificate_pem,
    check_certificate,
    encrypted_key_pem,
    fingerprint,
    load_certificate,
    load_private_key,
    new_private_key,
    open_package,
    seal_package,
    self_signed_certificate,
    signing_request,
)

CONTENT = b"PK\x03\x04 a referral archive \x00\xff" * 50


@pytest.fixture(scope="module")
def team() -> tuple[rsa.RSAPrivateKey, object]:
    key = new_private_key()
    return key, self_signed_certificate(key, "Northvale Child Exploitation Hub")


@pytest.fixture(scope="module")
def agency() -> tuple[rsa.RSAPrivateKey, object]:
    key = new_private_key()
    return key, self_signed_certificate(key, "Northvale Academy", organisation="Northvale")


def _openssl(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, check=False)


def test_openssl_decrypts_and_verifies_a_package(tmp_path: Path, team, agency) -> None:
    team_key, team_cert = team
    agency_key, agency_cert = agency
    (tmp_path / "team.key.pem").write_bytes(encrypted_key_pem(team_key, "team key passphrase"))
    (tmp_path / "team.cert.pem").write_text(certificate_pem(team_cert))
    (tmp_path / "agency.cert.pem").write_text(certificate_pem(agency_cert))
    (tmp_path / "pass").write_text("team key passphrase\n")
    (tmp_path / "p.p7m").write_bytes(seal_package(CONTENT, agency_cert, agency_key, [team_cert]))

    decrypted = _openssl("cms", "-decrypt", "-inform", "DER", "-in", tmp_path / "p.p7m",
                         "-recip", tmp_path / "team.cert.pem", "-inkey",
                         tmp_path / "team.key.pem", "-passin", f"file:{tmp_path / 'pass'}",
                         "-out", tmp_path / "signed.der")
    assert decrypted.returncode == 0, decrypted.stderr
    verified = _openssl("cms", "-verify", "-inform", "DER", "-in", tmp_path / "signed.der",
                        "-CAfile", tmp_path / "agency.cert.pem", "-out", tmp_path / "out.bin")
    assert verified.returncode == 0, verified.stderr
    assert b"Verification successful" in verified.stderr
    assert (tmp_path / "out.bin").read_bytes() == CONTENT
    # The envelope is AES-256 to the team's certificate, as openssl reads it.
    printed = _openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", tmp_path / "p.p7m")
    assert b"aes-256-cbc" in printed.stdout
    assert b"CN=Northvale Child Exploitation Hub" in printed.stdout


def test_riskscreen_opens_what_it_sealed_and_names_the_signer(team, agency) -> None:
    team_key, team_cert = team
    agency_key, agency_cert = agency
    opened = open_package(seal_package(CONTENT, agency_cert, agency_key, [team_cert]),
                          team_cert, team_key)
    assert opened.content == CONTENT
    assert fingerprint(opened.signer) == fingerprint(agency_cert)
    assert opened.signed_at is not None


def test_openssl_signed_data_verifies_here_too(tmp_path: Path, team, agency) -> None:
    """An independent signer: openssl's own SignedData, enveloped by openssl, opens here."""
    team_key, team_cert = team
    agency_key, agency_cert = agency
    (tmp_path / "agency.key.pem").write_bytes(encrypted_key_pem(agency_key, "agency passphrase"))
    (tmp_path / "agency.cert.pem").write_text(certificate_pem(agency_cert))
    (tmp_path / "team.cert.pem").write_text(certificate_pem(team_cert))
    (tmp_path / "pass").write_text("agency passphrase\n")
    (tmp_path / "content").write_bytes(CONTENT)
    signed = _openssl("cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-in",
                      tmp_path / "content", "-signer", tmp_path / "agency.cert.pem", "-inkey",
                      tmp_path / "agency.key.pem", "-passin", f"file:{tmp_path / 'pass'}",
                      "-out", tmp_path / "signed.der")
    assert signed.returncode == 0, signed.stderr
    enveloped = _openssl("cms", "-encrypt", "-binary", "-aes256", "-inform", "DER", "-outform",
                         "DER", "-in", tmp_path / "signed.der", "-out", tmp_path / "p.p7m",
                         tmp_path / "team.cert.pem")
    assert enveloped.returncode == 0, enveloped.stderr
    opened = open_package((tmp_path / "p.p7m").read_bytes(), team_cert, team_key)
    assert opened.content == CONTENT
    assert fingerprint(opened.signer) == fingerprint(agency_cert)


def test_key_file_is_encrypted_pkcs8_that_openssl_reads(tmp_path: Path, team) -> None:
    key, _ = team
    pem = encrypted_key_pem(key, "team key passphrase")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    (tmp_path / "k.pem").write_bytes(pem)
    parsed = _openssl("asn1parse", "-in", tmp_path / "k.pem")
    assert b"PBES2" in parsed.stdout
    assert b"aes-256-cbc" in parsed.stdout
    assert b":0927C0" in parsed.stdout  # 600,000 PBKDF2 rounds
    wrong = _openssl("pkey", "-in", tmp_path / "k.pem", "-passin", "pass:wrong passphrase")
    assert wrong.returncode != 0
    again = load_private_key(pem, "team key passphrase")
    assert again.private_numbers() == key.private_numbers()
    with pytest.raises(KeyPassphraseError):
        load_private_key(pem, "not the passphrase")
    with pytest.raises(ExchangeError, match="at least 8"):
        encrypted_key_pem(key, "short")


def test_signing_request_is_signed_by_the_key(team) -> None:
    key, _ = team
    csr = signing_request(key, "Northvale Child Exploitation Hub", organisation="Northvale")
    assert csr.is_signature_valid
    assert csr.public_key().public_numbers() == key.public_key().public_numbers()


def test_package_for_another_team_is_refused(team, agency) -> None:
    team_key, team_cert = team
    agency_key, agency_cert = agency
    other_key = new_private_key()
    other_cert = self_signed_certificate(other_key, "Another team")
    sealed = seal_package(CONTENT, agency_cert, agency_key, [other_cert])
    with pytest.raises(NotForThisTeamError, match="encrypted for another team"):
        open_package(sealed, team_cert, team_key)


@pytest.mark.parametrize("cut", [0, 1, 100, -300, -1])
def test_truncated_package_is_refused(team, agency, cut: int) -> None:
    team_key, team_cert = team
    agency_key, agency_cert = agency
    sealed = seal_package(CONTENT, agency_cert, agency_key, [team_cert])
    with pytest.raises(PackageDamagedError, match="truncated or damaged"):
        open_package(sealed[:cut], team_cert, team_key)


def test_tampered_package_is_refused_wherever_the_change_is(team, agency) -> None:
    team_key, team_cert = team
    agency_key, agency_cert = agency
    sealed = seal_package(CONTENT, agency_cert, agency_key, [team_cert])
    refused = 0
    for offset in range(len(sealed) - 600, len(sealed), 37):
        altered = bytearray(sealed)
        altered[offset] ^= 0x01
        with pytest.raises(PackageDamagedError):
            open_package(bytes(altered), team_cert, team_key)
        refused += 1
    assert refused > 10


def test_signature_over_other_content_is_refused(team, agency) -> None:
    """Inner SignedData whose content was swapped after signing (signature kept)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    from riskscreen.crypto.exchange import verify_signed

    agency_key, agency_cert = agency
    signed = (pkcs7.PKCS7SignatureBuilder().set_data(b"A" * 64)
              .add_signer(agency_cert, agency_key, hashes.SHA256())
              .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
    swapped = signed.replace(b"A" * 64, b"B" * 64)
    assert verify_signed(signed).content == b"A" * 64
    with pytest.raises(PackageDamagedError, match="altered after it was signed"):
        verify_signed(swapped)


def test_expired_and_malformed_certificates_are_refused(team, agency) -> None:
    agency_key, agency_cert = agency
    key = new_private_key()
    old = self_signed_certificate(key, "Old team", days=30,
                                  now=datetime.now(UTC) - timedelta(days=400))
    with pytest.raises(CertificateError, match="Old team expired on"):
        check_certificate(old)
    with pytest.raises(CertificateError, match="expired"):
        seal_package(CONTENT, agency_cert, agency_key, [old])
    with pytest.raises(CertificateError, match="malformed"):
        load_certificate(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(CertificateError, match="malformed"):
        load_certificate(certificate_pem(agency_cert)[:200])
