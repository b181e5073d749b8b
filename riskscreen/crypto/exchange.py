"""Exchange keys and sealed packages: X.509 certificates, CMS SignedData inside EnvelopedData.

A package travels between agencies as a standard S/MIME body that ``openssl cms`` reads too:
DER ``EnvelopedData`` (AES-256-CBC, the key sent with RSA to the receiving team's certificate)
whose content is DER ``SignedData`` (SHA-256 with RSA, the signer's certificate embedded,
signed attributes). ``cryptography`` builds both and decrypts; it has no CMS verification, so
the signature is checked here from the parsed structure (``asn1crypto``) with ``cryptography``'s
own RSA and EC verification. See ``docs/design/0009-exchange-packages.md``.

No function here logs or puts a key or a passphrase in an exception message.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "CertificateError",
    "ExchangeError",
    "KeyPassphraseError",
    "NotForThisTeamError",
    "Opened",
    "PackageDamagedError",
    "certificate_pem",
    "check_certificate",
    "common_name",
    "describe_certificate",
    "encrypted_key_pem",
    "fingerprint",
    "load_certificate",
    "load_private_key",
    "new_private_key",
    "open_package",
    "recipients_of",
    "seal_package",
    "self_signed_certificate",
    "signing_request",
    "verify_signed",
]

#: RSA, because CMS key transport in ``cryptography`` (and in most S/MIME clients) is RSA.
KEY_BITS = 3072
#: How long a new certificate is valid: two years, then the team makes and sends a new one.
DEFAULT_VALID_DAYS = 730
#: PBKDF2-HMAC-SHA256 rounds protecting a key file (OWASP's 2023 figure for that hash).
PBKDF2_ROUNDS = 600_000
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


class ExchangeError(Exception):
    """A key, certificate or package that cannot be used, with a message that says why."""


class KeyPassphraseError(ExchangeError):
    """The private key file did not open with the passphrase given."""


class CertificateError(ExchangeError):
    """A certificate that is malformed, expired, not yet valid or of an unusable kind."""


class NotForThisTeamError(ExchangeError):
    """A package encrypted to someone else's certificate."""


class PackageDamagedError(ExchangeError):
    """A package that is truncated, altered, or not a RiskScreen package at all."""


@dataclass(frozen=True)
class Opened:
    """A decrypted package whose signature checked out: the content and who signed it."""

    content: bytes
    signer: x509.Certificate
    signed_at: datetime | None


# -- keys and certificates --------------------------------------------------------------------


def new_private_key() -> rsa.RSAPrivateKey:
    """A new RSA key pair for a team or an agency."""
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _name(common_name: str, organisation: str | None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    return x509.Name(parts)


def self_signed_certificate(key: rsa.RSAPrivateKey, name: str, *,
                            organisation: str | None = None,
                            days: int = DEFAULT_VALID_DAYS,
                            now: datetime | None = None) -> x509.Certificate:
    """A self-signed certificate for ``key``, usable to sign packages and to receive them."""
    if not name.strip():
        raise ExchangeError("the team or agency needs a name; give --name")
    start = (now or datetime.now(UTC)) - timedelta(minutes=5)
    subject = _name(name.strip(), organisation)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=True,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def signing_request(key: rsa.RSAPrivateKey, name: str, *,
                    organisation: str | None = None) -> x509.CertificateSigningRequest:
    """A certificate signing request for the organisation's certificate authority."""
    if not name.strip():
        raise ExchangeError("the team or agency needs a name; give --name")
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(name.strip(), organisation))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )


def encrypted_key_pem(key: rsa.RSAPrivateKey, passphrase: str) -> bytes:
    """The private key as encrypted PKCS#8 PEM under ``passphrase``: PBES2 (RFC 8018) with
    PBKDF2-HMAC-SHA256 and AES-256-CBC.

    ``cryptography`` writes PKCS#8 with only 2,048 PBKDF2 rounds and no way to ask for more, so
    the structure is assembled here (``asn1crypto``) with :data:`PBKDF2_ROUNDS`; ``cryptography``
    and ``openssl`` read it as any encrypted PKCS#8 file.
    """
    if len(passphrase) < 8:
        raise ExchangeError("the key passphrase must be at least 8 characters long")
    plain = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    salt, iv = os.urandom(16), os.urandom(16)
    kek = PBKDF2HMAC(hashes.SHA256(), 32, salt, PBKDF2_ROUNDS).derive(passphrase.encode("utf-8"))
    padder = sym_padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES256(kek), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    info = asn1_keys.EncryptedPrivateKeyInfo({
        "encryption_algorithm": {
            "algorithm": "pbes2",
            "parameters": {
                "key_derivation_func": {
                    "algorithm": "pbkdf2",
                    "parameters": {"salt": asn1_algos.Pbkdf2Salt(
                        name="specified", value=salt), "iteration_count": PBKDF2_ROUNDS,
                                   "prf": {"algorithm": "sha256"}}},
                "encryption_scheme": {"algorithm": "aes256_cbc", "parameters": iv}}},
        "encrypted_data": encrypted})
    body = base64.encodebytes(info.dump()).replace(b"\n", b"")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return (b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + b"\n".join(lines)
            + b"\n-----END ENCRYPTED PRIVATE KEY-----\n")


def load_private_key(pem: bytes, passphrase: str) -> rsa.RSAPrivateKey:
    """The RSA private key of an encrypted PKCS#8 PEM file."""
    try:
        key = serialization.load_pem_private_key(pem, passphrase.encode("utf-8"))
    except TypeError:
        raise ExchangeError("the key file is not encrypted; make keys with "
                            "'riskscreen keys new-team'") from None
    except ValueError as error:
        if "password" in str(error).lower() or "decrypt" in str(error).lower():
            raise KeyPassphraseError("the key passphrase is wrong for this key file") from None
        raise ExchangeError("the key file is not a PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ExchangeError("the key file holds a key of another kind; RiskScreen uses RSA "
                            "keys made by 'riskscreen keys new-team'")
    return key


def certificate_pem(cert: x509.Certificate) -> str:
    """The certificate as PEM text."""
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_certificate(data: bytes | str) -> x509.Certificate:
    """One X.509 certificate from PEM (or DER) bytes."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else bytes(data)
    try:
        if b"-----BEGIN" in raw:
            return x509.load_pem_x509_certificate(raw)
        return x509.load_der_x509_certificate(raw)
    except ValueError:
        raise CertificateError("the certificate is malformed (not a PEM or DER X.509 "
                                 "certificate); ask its owner for the file again") from None


def fingerprint(cert: x509.Certificate) -> str:
    """The SHA-256 fingerprint, as ``openssl x509 -fingerprint -sha256`` prints it."""
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def common_name(cert: x509.Certificate) -> str:
    """The certificate's common name, else its whole subject."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = names[0].value if names else cert.subject.rfc4514_string()
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def check_certificate(cert: x509.Certificate, now: datetime | None = None, *,
                      what: str = "certificate") -> None:
    """Refuse a certificate that is expired, not yet valid, or not an RSA certificate."""
    at = now or datetime.now(UTC)
    if cert.not_valid_after_utc < at:
        raise CertificateError(
            f"the {what} of {common_name(cert)} expired on "
            f"{cert.not_valid_after_utc:%Y-%m-%d}; ask them for their new certificate")
    if cert.not_valid_before_utc > at:
        raise CertificateError(
            f"the {what} of {common_name(cert)} is not valid until "
            f"{cert.not_valid_before_utc:%Y-%m-%d}; check this computer's date")
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise CertificateError(f"the {what} of {common_name(cert)} is not an RSA "
                                 "certificate; packages can only be encrypted to RSA keys")


def describe_certificate(cert: x509.Certificate) -> str:
    """``NAME, SHA-256 AB:CD:…, valid until YYYY-MM-DD`` for lists and routing displays."""
    return (f"{common_name(cert)}, SHA-256 {fingerprint(cert)}, valid until "
            f"{cert.not_valid_after_utc:%Y-%m-%d}")


# -- packages ---------------------------------------------------------------------------------


def seal_package(content: bytes, signer_cert: x509.Certificate, signer_key: rsa.RSAPrivateKey,
                 recipients: Sequence[x509.Certificate],
                 now: datetime | None = None) -> bytes:
    """Sign ``content`` and encrypt the signed data to each recipient: DER EnvelopedData."""
    check_certificate(signer_cert, now, what="signing certificate")
    if signer_cert.public_key() != signer_key.public_key():
        raise ExchangeError("the signing key and certificate installed in this database do "
                            "not belong together; install them again with 'riskscreen keys "
                            "install'")
    for cert in recipients:
        check_certificate(cert, now, what="receiving team's certificate")
    signed = (
        pkcs7.PKCS7SignatureBuilder().set_data(content)
        .add_signer(signer_cert, signer_key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(signed).set_content_encryption_algorithm(
        algorithms.AES256)
    for cert in recipients:
        builder = builder.add_recipient(cert)
    return builder.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])


def _content_info(data: bytes, kind: str) -> Any:
    try:
        info = asn1_cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native != kind:
            raise ValueError(kind)
        content = info["content"]
        content.native  # noqa: B018 - parses every field now, so damage is found here
    except (ValueError, TypeError, KeyError, OverflowError):
        raise PackageDamagedError("the file is not a complete RiskScreen package (it may be "
                             "truncated or damaged); ask the sender to send it again") from None
    return content


def recipients_of(data: bytes) -> list[tuple[bytes, int] | bytes]:
    """Who a package is encrypted to: (issuer, serial) pairs or subject key identifiers."""
    enveloped = _content_info(data, "enveloped_data")
    found: list[tuple[bytes, int] | bytes] = []
    for info in enveloped["recipient_infos"]:
        if info.name != "ktri":
            continue
        rid = info.chosen["rid"]
        if rid.name == "issuer_and_serial_number":
            found.append((rid.chosen["issuer"].dump(), rid.chosen["serial_number"].native))
        else:
            found.append(rid.chosen.native)
    return found


def _is_for(data: bytes, cert: x509.Certificate) -> bool:
    ours_issuer = cert.issuer.public_bytes()
    try:
        ski: bytes | None = cert.extensions.get_extension_for_class(
            x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        ski = None
    for rid in recipients_of(data):
        if isinstance(rid, tuple) and rid == (ours_issuer, cert.serial_number):
            return True
        if isinstance(rid, bytes) and rid == ski:
            return True
    return False


def open_package(data: bytes, recipient_cert: x509.Certificate,
                 recipient_key: rsa.RSAPrivateKey) -> Opened:
    """Decrypt a package sent to this team and check its signature (not yet its trust)."""
    if not _is_for(data, recipient_cert):
        raise NotForThisTeamError(
            "this package was encrypted for another team, not for this database's team "
            f"certificate ({common_name(recipient_cert)}); send it to the team it names, or ask "
            "the sender to make it again for this team")
    try:
        signed = pkcs7.pkcs7_decrypt_der(data, recipient_cert, recipient_key, [])
    except ValueError:
        raise PackageDamagedError("the package could not be decrypted: it was altered or damaged "
                             "on the way; ask the sender to send it again") from None
    return verify_signed(signed)


def verify_signed(signed: bytes) -> Opened:
    """Check a DER SignedData with one signer and embedded content; return what it signs."""
    altered = PackageDamagedError("the package's signature does not match its content: it was "
                             "altered after it was signed; do not use it, and ask the sender "
                             "to send it again")
    sd = _content_info(signed, "signed_data")
    content = sd["encap_content_info"]["content"].native
    infos = list(sd["signer_infos"])
    if not isinstance(content, bytes) or len(infos) != 1:
        raise altered
    signer_info = infos[0]
    cert = _signer_certificate(sd, signer_info)
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    hash_type = _HASHES.get(digest_name)
    attrs = signer_info["signed_attrs"]
    if hash_type is None or attrs.native is None:
        raise altered
    by_type = {a["type"].native: a["values"].native for a in attrs}
    digest = hashlib.new(digest_name, content).digest()
    if by_type.get("message_digest") != [digest]:
        raise altered
    if by_type.get("content_type") != [sd["encap_content_info"]["content_type"].native]:
        raise altered
    signed_bytes = b"\x31" + attrs.dump()[1:]  # the attributes are signed as a SET OF
    signature = signer_info["signature"].native
    public = cert.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, signed_bytes, padding.PKCS1v15(), hash_type())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, signed_bytes, ec.ECDSA(hash_type()))
        else:
            raise altered
    except InvalidSignature:
        raise altered from None
    times = by_type.get("signing_time")
    signed_at = times[0] if times and isinstance(times[0], datetime) else None
    return Opened(content=content, signer=cert, signed_at=signed_at)


def _signer_certificate(sd: Any, signer_info: Any) -> x509.Certificate:
    sid = signer_info["sid"]
    for choice in sd["certificates"] or []:
        if choice.name != "certificate":
            continue
        candidate = choice.chosen
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            matches = (candidate.issuer == wanted["issuer"]
                       and candidate.serial_number == wanted["serial_number"].native)
        else:
            matches = candidate.key_identifier == sid.chosen.native
        if matches:
            return load_certificate(candidate.dump())
    raise PackageDamagedError("the package does not carry its sender's certificate; ask the sender "
                         "to make it again with RiskScreen")
