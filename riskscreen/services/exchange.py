"""Exchange packages between agencies and the co-located team (``session.exchange``).

A database has one exchange identity at a time (a key pair and its certificate, installed by
an administrator): it signs the packages made here and opens the packages sent here. The
certificates of the sending agencies this database trusts are installed beside it.

- *Sending*: a referral becomes a package (:mod:`riskscreen.summary.package`: the FHIR Bundle,
  the summary PDF, the form and the scoring model by hash), signed with this database's key
  and encrypted to the receiving team's certificate (the routing's, or one given).
- *Receiving*: a package is decrypted and its signature checked before anything is stored;
  the sender must be trusted; the child is matched by NHS number or by name and date of
  birth, and a person confirms the match or asks for a new record (never a silent merge).
  The received referral keeps the package as it arrived: the sender's assessment is read-only.
  Importing the same package again changes nothing.
- *Replies*: the receiving team's decision, outcomes and "exploitation confirmed?" go back as a
  reply package; importing it on the sender's side updates the sender's referral.

Every change is audited (ids and fingerprints only: no names or answers in the audit log).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.crypto.atomic import atomic_write
from riskscreen.crypto.exchange import (
    CertificateError,
    ExchangeError,
    NotForThisTeamError,
    Opened,
    certificate_pem,
    check_certificate,
    common_name,
    fingerprint,
    load_certificate,
    load_private_key,
    new_private_key,
    open_package,
    recipients_of,
    seal_package,
    self_signed_certificate,
)
from riskscreen.dates import day, moment
from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.model import FormDefinition
from riskscreen.routing.outcomes import load_outcomes
from riskscreen.scoring.assessment import Assessment
from riskscreen.services.errors import NotFound, PermissionDenied, ServiceError
from riskscreen.services.types import (
    ChildInfo,
    Confirmation,
    MatchBy,
    PackageKind,
    ReferralDecision,
    ReferralStatus,
    Role,
    SendMethod,
    UserInfo,
)
from riskscreen.store.models import (
    Child,
    ExchangeKey,
    ReceivedPackage,
    SentPackage,
    TrustedSender,
    utc_now,
)
from riskscreen.summary.fhir import (
    NHS_NUMBER_SYSTEM,
    FhirError,
    ReferralFacts,
    ReplyFacts,
    Sender,
    birth_date,
    questionnaire,
    read_referral,
    read_reply,
    referral_bundle,
    reply_bundle,
    resources_of,
)
from riskscreen.summary.package import PackageContents, PackageFormatError, build_zip, read_zip

if TYPE_CHECKING:
    from riskscreen.services.models import ModelManager
    from riskscreen.services.referral import ReferralSummaries
    from riskscreen.services.referrals import ReferralManager
    from riskscreen.services.screenings import ScreeningManager
    from riskscreen.services.settings import SettingsManager

__all__ = [
    "ChildMatch",
    "ExchangeManager",
    "Imported",
    "Incoming",
    "KeyInfo",
    "MadePackage",
    "NeedsChildChoice",
    "ReceivedReferral",
    "SenderInfo",
    "form_canonical_json",
]

_MAKERS = (Role.PRACTITIONER, Role.MANAGER)
#: The largest package file read (a referral is well under a megabyte).
MAX_PACKAGE_BYTES = 64 * 1024 * 1024
NEW_CHILD: Literal["new"] = "new"


class Unit(Protocol):
    """What the manager needs of the session's shared unit of work."""

    @property
    def user(self) -> UserInfo:
        """The signed-in account, its role as last read from the database."""

    def require(self, *roles: str) -> None:
        """Refuse unless the account's current role is one of ``roles``."""

    def transaction(self) -> AbstractContextManager[OrmSession]:
        """One short transaction that re-reads the account first."""

    def audit(self, s: OrmSession, action: str, obj: str,
              detail: Mapping[str, Any] | None = None) -> None:
        """Append an audit entry inside transaction ``s``."""


class NeedsChildChoice(ServiceError):  # noqa: N818 - a domain name the GUI and CLI show
    """A referral package names a child: a person must confirm a match or ask for a new
    record before it is imported."""

    def __init__(self, incoming: Incoming) -> None:
        self.incoming = incoming
        if incoming.matches:
            ids = ", ".join(str(m.child.id) for m in incoming.matches)
            message = (f"This package's child may already have a record here (child "
                       f"{ids}): confirm the match with --child ID, or create a new record "
                       "with --new-child. Nothing was imported.")
        else:
            message = ("No child record here matches this package's child: create one with "
                       "--new-child, or name an existing record with --child ID. Nothing "
                       "was imported.")
        super().__init__(message)


@dataclass(frozen=True)
class KeyInfo:
    """This database's exchange identity (no private key)."""

    name: str
    fingerprint: str
    not_after: datetime
    certificate_pem: str


@dataclass(frozen=True)
class SenderInfo:
    """A trusted sending agency."""

    name: str
    fingerprint: str
    not_after: datetime
    installed_at: datetime


@dataclass(frozen=True)
class MadePackage:
    """A package written to a file."""

    package_id: str
    path: Path
    recipient: str
    recipient_fingerprint: str
    reference: str
    #: Whether making it recorded the referral as sent (it was still to send).
    recorded_sent: bool = False


@dataclass(frozen=True)
class ChildMatch:
    """A child record here that may be the package's child, and why."""

    child: ChildInfo
    by: MatchBy


@dataclass(frozen=True)
class Incoming:
    """A package decrypted and checked, not yet imported."""

    kind: PackageKind
    package_id: str
    reference: str
    sender: str
    sender_fingerprint: str
    trusted: bool
    signed_at: datetime | None
    already_imported: int | None
    child_name: str | None
    child_date_of_birth: date | None
    nhs_number: str | None
    level: str | None
    matches: tuple[ChildMatch, ...]


@dataclass(frozen=True)
class Imported:
    """What importing a package did."""

    received_id: int
    kind: PackageKind
    sender: str
    sender_fingerprint: str
    changed: bool
    child_id: int | None = None
    new_child: bool = False
    referral_id: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class ReceivedReferral:
    """A referral received in a package: the sender's assessment is read-only."""

    id: int
    reference: str
    sender: str
    sender_fingerprint: str
    received_at: datetime
    child_id: int | None
    status: ReferralStatus
    decision_reason: str | None
    #: (outcome id, words, the day it was recorded) for each outcome the team recorded.
    outcomes: tuple[tuple[str, str, date | None], ...]
    confirmed: str | None
    confirmed_source: str | None
    bundle: dict[str, Any]
    level: str | None
    summary_pdf: bytes | None
    #: The sender's referral in words: child, level, rules fired, answers, model.
    facts: ReferralFacts
    #: Whether the sender's certificate is installed here as trusted (now, not at import).
    trusted: bool
    #: The child record here a person matched it to (or created) at import.
    child: ChildInfo | None
    decided_at: datetime | None
    #: When the team closed it and why (None while it is open); ``status`` is then "closed"
    #: and ``decision`` still says whether it was accepted or declined.
    closed_at: datetime | None = None
    close_reason: str | None = None
    #: The team's decision: "accepted", "declined", or None before it is made.
    decision: str | None = None


def form_canonical_json(form: FormDefinition) -> bytes:
    """Key-sorted compact JSON of a form: what a package names it by (its SHA-256)."""
    data = form.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return json.dumps(data, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _digits(text: str | None) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


class ExchangeManager:
    """Keys, trusted senders and packages of one signed-in session (``session.exchange``)."""

    def __init__(self, unit: Unit, *, screenings: ScreeningManager,
                 summaries: ReferralSummaries, settings: SettingsManager,
                 models: ModelManager, referrals: ReferralManager) -> None:
        self._unit = unit
        self._screenings = screenings
        self._summaries = summaries
        self._settings = settings
        self._models = models
        self._referrals = referrals

    # -- keys ----------------------------------------------------------------------------------

    def install_key(self, key_pem: bytes, certificate: bytes, passphrase: str) -> KeyInfo:
        """Install this database's exchange key pair (the key file opened with ``passphrase``)."""
        self._unit.require(Role.ADMINISTRATOR)
        try:
            key = load_private_key(key_pem, passphrase)
            cert = load_certificate(certificate)
            check_certificate(cert, what="certificate")
        except ExchangeError as error:
            raise ServiceError(f"{_sentence(str(error))} Nothing was installed.") from None
        if cert.public_key() != key.public_key():
            raise ServiceError("The key file and the certificate do not belong together; "
                               "give the folder 'riskscreen keys new-team' wrote. Nothing was "
                               "installed.")
        return self._install(key, cert)

    def create_identity(self, name: str, organisation: str | None = None) -> KeyInfo:
        """Make and install a new key pair with a self-signed certificate (the demo's)."""
        self._unit.require(Role.ADMINISTRATOR)
        key = new_private_key()
        return self._install(key, self_signed_certificate(key, name,
                                                          organisation=organisation))

    def _install(self, key: rsa.RSAPrivateKey, cert: x509.Certificate) -> KeyInfo:
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        fp = fingerprint(cert)
        with self._unit.transaction() as s:
            for row in s.scalars(select(ExchangeKey).where(ExchangeKey.active)):
                row.active = row.fingerprint == fp
            existing = s.scalar(select(ExchangeKey).where(ExchangeKey.fingerprint == fp))
            if existing is None:
                s.add(ExchangeKey(fingerprint=fp, name=common_name(cert),
                                  certificate=certificate_pem(cert), private_key=der,
                                  not_after=_stamp(cert.not_valid_after_utc),
                                  installed_by=self._unit.user.id, active=True))
            else:
                existing.active = True
            self._unit.audit(s, "install_exchange_key", f"exchange_key:{fp[:23]}",
                             {"fingerprint": fp})
        return _key_info(cert)

    def identity(self) -> KeyInfo | None:
        """This database's exchange identity, if one is installed."""
        with self._unit.transaction() as s:
            row = s.scalar(select(ExchangeKey).where(ExchangeKey.active)
                           .order_by(ExchangeKey.id.desc()))
            return None if row is None else _key_info(load_certificate(row.certificate))

    def _keys(self, s: OrmSession) -> list[tuple[x509.Certificate, rsa.RSAPrivateKey]]:
        rows = s.scalars(select(ExchangeKey).order_by(ExchangeKey.active.desc(),
                                                      ExchangeKey.id.desc()))
        out = []
        for row in rows:
            key = serialization.load_der_private_key(row.private_key, None)
            if isinstance(key, rsa.RSAPrivateKey):
                out.append((load_certificate(row.certificate), key))
        return out

    def _signer(self, s: OrmSession) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        keys = self._keys(s)
        if not keys:
            raise ServiceError("This database has no exchange key yet: an administrator "
                               "installs one with 'riskscreen keys install'.")
        cert, key = keys[0]
        try:
            check_certificate(cert, what="exchange certificate")
        except CertificateError as error:
            raise ServiceError(f"{_sentence(str(error))} An administrator installs a new key "
                               "with 'riskscreen keys install'.") from None
        return cert, key

    def install_sender(self, certificate: bytes) -> SenderInfo:
        """Trust a sending agency's certificate."""
        self._unit.require(Role.ADMINISTRATOR)
        try:
            cert = load_certificate(certificate)
            check_certificate(cert, what="certificate")
        except ExchangeError as error:
            raise ServiceError(f"{_sentence(str(error))} Nothing was installed.") from None
        fp = fingerprint(cert)
        with self._unit.transaction() as s:
            row = s.get(TrustedSender, fp)
            if row is None:
                row = TrustedSender(fingerprint=fp, name=common_name(cert),
                                    certificate=certificate_pem(cert),
                                    not_after=_stamp(cert.not_valid_after_utc),
                                    installed_by=self._unit.user.id)
                s.add(row)
                s.flush()
                self._unit.audit(s, "install_sender", f"sender:{fp[:23]}", {"fingerprint": fp})
            return _sender_info(row)

    def trusted_senders(self) -> list[SenderInfo]:
        """The sending agencies this database trusts."""
        with self._unit.transaction() as s:
            return [_sender_info(r) for r in s.scalars(select(TrustedSender)
                                                       .order_by(TrustedSender.name))]

    # -- sending -------------------------------------------------------------------------------

    def screening_bundle(self, screening_id: int, *,
                         package_id: str | None = None) -> dict[str, Any]:
        """The FHIR Bundle of a finalised screening (an audited export)."""
        bundle, *_ = self._referral_parts(screening_id, package_id or str(uuid.uuid4()))
        with self._unit.transaction() as s:
            self._unit.audit(s, "export", f"screening:{screening_id}", {"kind": "fhir"})
        return bundle

    def _referral_parts(self, screening_id: int, package_id: str) -> tuple[
            dict[str, Any], bytes, FormDefinition, Any, Any, str]:
        from riskscreen.services.referral import answer_set_of, referral_reference
        from riskscreen.summary import render_pdf_bytes

        self._unit.require(*_MAKERS)
        detail = self._screenings.open(screening_id)
        if detail.assessment is None:
            raise ServiceError("Only a finalised screening can be sent; finalise it first.")
        form = self._screenings.form(detail.form_id, detail.form_version)
        summary = self._summaries.summary(detail, form)
        settings = self._settings.read()
        user = self._unit.user
        reference = referral_reference(detail)
        answers: AnswerSet = answer_set_of(detail)
        assessment: Assessment = detail.assessment
        table = self._summaries.routing(detail.form_id)
        bundle = referral_bundle(
            form, answers, assessment, summary.route, table.summary_fields,
            reference=reference,
            sender=Sender(settings.get("organisation_name", ""), user.display_name or user.name),
            package_id=package_id, authored=_stamp(datetime.now(UTC)))
        pdf = render_pdf_bytes(summary)
        model = self._models.get(detail.model_sha256)
        return bundle, pdf, form, model, summary.route, reference

    def referral_of_screening(self, screening_id: int) -> int:
        """The referral record of a finalised screening (made now if it has none yet)."""
        referrals = self._referrals
        found = referrals.for_screening(screening_id)
        return (found or referrals.record_for(screening_id)).id

    def _save_package(self, screening_id: int, path: Path, recipient: bytes | None,
                      referral_id: int) -> MadePackage:
        """Write the referral package of a finalised screening to ``path``."""
        package_id = str(uuid.uuid4())
        bundle, pdf, form, model, route, reference = self._referral_parts(
            screening_id, package_id)
        cert = self._recipient(recipient, route.destination)
        form_json = form_canonical_json(form)
        model_json = model.canonical_json().encode("utf-8")
        content = build_zip(PackageContents(
            kind=PackageKind.REFERRAL, package_id=package_id, bundle=bundle, summary_pdf=pdf,
            forms={_sha(form_json): form_json}, models={_sha(model_json): model_json}))
        with self._unit.transaction() as s:
            signer_cert, signer_key = self._signer(s)
        data = _seal(content, signer_cert, signer_key, cert)
        atomic_write(path, data)
        made = MadePackage(package_id, Path(path), common_name(cert), fingerprint(cert),
                           reference)
        with self._unit.transaction() as s:
            s.add(SentPackage(package_id=package_id, kind=PackageKind.REFERRAL, reference=reference,
                              subject_id=referral_id,
                              recipient_fingerprint=made.recipient_fingerprint,
                              recipient_name=made.recipient, sha256=_sha(data),
                              made_by=self._unit.user.id))
            self._unit.audit(s, "package", f"referral:{referral_id}",
                             {"package_id": package_id, "screening_id": screening_id,
                              "recipient": made.recipient_fingerprint})
        return made

    def save_referral_package(self, referral_id: int, path: Path,
                              recipient: bytes | None = None) -> MadePackage:
        """Write a referral's package to ``path`` and record the referral as sent by package."""
        referrals = self._referrals
        referral = referrals.get(referral_id)
        if referral.decision != ReferralDecision.REFER:
            raise ServiceError("This screening's record says it was not referred; there is "
                               "nothing to send.")
        made = self._save_package(referral.screening_id, path, recipient, referral_id)
        if referral.status != ReferralStatus.TO_SEND:
            return made
        referrals.mark_sent(referral_id, SendMethod.EXCHANGE_PACKAGE)
        return replace(made, recorded_sent=True)

    def _recipient(self, given: bytes | None, destination: Any) -> x509.Certificate:
        try:
            if given is not None:
                cert = load_certificate(given)
            else:
                found = destination.certificate()
                if found is None:
                    raise ServiceError(
                        f"The routing names no exchange certificate for "
                        f"{destination.name}: give the team's certificate with --to "
                        "CERT.pem, or ask an administrator to add it to the routing.")
                cert = found
            check_certificate(cert, what="receiving team's certificate")
        except ExchangeError as error:
            raise ServiceError(f"{_sentence(str(error))} No package was made.") from None
        return cert

    # -- receiving -----------------------------------------------------------------------------

    def inspect(self, data: bytes) -> Incoming:
        """Decrypt and check a package without storing anything: who sent it, whether they
        are trusted, what it holds, and which child records here may be its child. An
        analyst may check only intelligence packages, as they import only those."""
        self._unit.require(*_MAKERS, Role.ANALYST)
        opened, contents = self._open(data)
        self._analyst_only_intelligence(contents)
        with self._unit.transaction() as s:
            return self._incoming(s, opened, contents)

    def _open(self, data: bytes) -> tuple[Opened, PackageContents]:
        if len(data) > MAX_PACKAGE_BYTES:
            raise ServiceError("This file is far larger than any RiskScreen package; check "
                               "that it is the right file. Nothing was imported.")
        with self._unit.transaction() as s:
            keys = self._keys(s)
        if not keys:
            raise ServiceError("This database has no exchange key to open packages with: an "
                               "administrator installs one with 'riskscreen keys install'.")
        try:
            recipients_of(data)
            last: ExchangeError | None = None
            for cert, key in keys:
                try:
                    opened = open_package(data, cert, key)
                    break
                except NotForThisTeamError as error:
                    last = error
            else:
                assert last is not None
                raise last
            check_certificate(opened.signer, what="sender's certificate")
            contents = read_zip(opened.content)
        except (ExchangeError, PackageFormatError) as error:
            raise ServiceError(f"{_sentence(str(error))} Nothing was imported.") from None
        return opened, contents

    def _incoming(self, s: OrmSession, opened: Opened, contents: PackageContents) -> Incoming:
        fp = fingerprint(opened.signer)
        trusted = s.get(TrustedSender, fp) is not None
        already = s.scalar(select(ReceivedPackage.id)
                           .where(ReceivedPackage.package_id == contents.package_id))
        if contents.kind == PackageKind.INTELLIGENCE:
            return Incoming(PackageKind.INTELLIGENCE, contents.package_id,
                            str(contents.bundle.get("reference", ""))[:60],
                            common_name(opened.signer), fp, trusted, opened.signed_at,
                            already, None, None, None, None, ())
        try:
            if contents.kind == PackageKind.REPLY:
                reference = read_reply(contents.bundle).reference
                return Incoming(PackageKind.REPLY, contents.package_id, reference,
                                common_name(opened.signer), fp, trusted, opened.signed_at,
                                already, None, None, None, None, ())
            (request,) = resources_of(contents.bundle, "ServiceRequest")
            (patient,) = resources_of(contents.bundle, "Patient")
            risks = resources_of(contents.bundle, "RiskAssessment")
        except (FhirError, ValueError, KeyError, TypeError):
            raise ServiceError("The package's FHIR Bundle is not a RiskScreen referral; ask "
                               "the sender to make it again. Nothing was imported.") from None
        reference = str(request.get("identifier", [{}])[0].get("value", ""))
        name = (patient.get("name") or [{}])[0].get("text")
        dob = birth_date(patient)
        nhs = next((i["value"] for i in patient.get("identifier", [])
                    if i.get("system") == NHS_NUMBER_SYSTEM), None)
        level = None
        if risks:
            level = risks[0]["prediction"][0]["qualitativeRisk"].get("text")
        return Incoming(PackageKind.REFERRAL, contents.package_id, reference,
                        common_name(opened.signer), fp, trusted, opened.signed_at, already,
                        name, dob, nhs, level,
                        tuple(self._matches(s, name, dob, nhs)))

    def _matches(self, s: OrmSession, name: str | None, dob: date | None,
                 nhs: str | None) -> Iterator[ChildMatch]:
        seen: set[int] = set()
        digits = _digits(nhs)
        conditions = []
        if len(digits) == 10:
            conditions.append(Child.identifiers.contains(digits[:3], autoescape=True))
        if name and dob:
            conditions.append(func.lower(Child.name) == name.strip().lower())
        if not conditions:
            return
        for child in s.scalars(select(Child).where(or_(*conditions)).order_by(Child.id)):
            try:
                ids = json.loads(child.identifiers or "{}")
            except ValueError:
                ids = {}
            if len(digits) == 10 and _digits(str(ids.get("nhs_number", ""))) == digits:
                seen.add(child.id)
                yield ChildMatch(_child(child), MatchBy.NHS_NUMBER)
            elif (name and dob and child.id not in seen
                  and child.name.strip().lower() == name.strip().lower()
                  and child.date_of_birth == dob.isoformat()):
                yield ChildMatch(_child(child), MatchBy.NAME_AND_DATE_OF_BIRTH)

    def import_package(self, data: bytes, child: int | Literal["new"] | None = None
                       ) -> Imported:
        """Import a package. A referral needs ``child``: a record here a person confirmed is
        the package's child, or ``"new"`` for a new record (:class:`NeedsChildChoice`
        otherwise). An intelligence package is kept as received (``session.intel.received``
        reads it). A package imported before changes nothing."""
        self._unit.require(*_MAKERS, Role.ANALYST)
        opened, contents = self._open(data)
        self._analyst_only_intelligence(contents)
        with self._unit.transaction() as s:
            incoming = self._incoming(s, opened, contents)
            if not incoming.trusted:
                raise ServiceError(
                    f"This package is signed by {incoming.sender} (certificate SHA-256 "
                    f"{incoming.sender_fingerprint}), which this database does not trust. If "
                    "you know the sender, an administrator installs their certificate with "
                    "'riskscreen keys install-sender', then import it again. Nothing was "
                    "imported.")
            if incoming.already_imported is not None:
                row = s.get(ReceivedPackage, incoming.already_imported)
                assert row is not None
                return Imported(row.id, incoming.kind, incoming.sender, incoming.sender_fingerprint,
                                False, row.child_id, False, row.referral_id, row.reference)
        if incoming.kind == PackageKind.REPLY:
            return self._import_reply(data, opened, contents, incoming)
        if incoming.kind == PackageKind.INTELLIGENCE:
            return self._import_intelligence(data, opened, contents, incoming)
        if child is None:
            raise NeedsChildChoice(incoming)
        with self._unit.transaction() as s:
            new_child = child == NEW_CHILD
            if child == NEW_CHILD:
                ids = {"nhs_number": incoming.nhs_number} if incoming.nhs_number else {}
                row_child = Child(name=incoming.child_name or "Name not given",
                                  date_of_birth=(incoming.child_date_of_birth.isoformat()
                                                 if incoming.child_date_of_birth else None),
                                  identifiers=json.dumps(ids, sort_keys=True),
                                  created_by=self._unit.user.id)
                s.add(row_child)
                s.flush()
                self._unit.audit(s, "create", f"child:{row_child.id}",
                                 {"from_package": contents.package_id})
                child_id = row_child.id
            else:
                if not isinstance(child, int) or s.get(Child, child) is None:
                    raise NotFound("There is no such child record. Nothing was imported.")
                child_id = child
            row = ReceivedPackage(
                package_id=contents.package_id, sha256=_sha(data), kind=PackageKind.REFERRAL,
                reference=incoming.reference, sender_fingerprint=incoming.sender_fingerprint,
                sender_name=incoming.sender,
                signed_at=_stamp(opened.signed_at) if opened.signed_at else None,
                received_by=self._unit.user.id, child_id=child_id, content=opened.content,
                status=ReferralStatus.RECEIVED, outcomes="[]")
            s.add(row)
            s.flush()
            self._unit.audit(s, "import_package", f"received:{row.id}",
                             {"package_id": contents.package_id, "child_id": child_id,
                              "sender": incoming.sender_fingerprint,
                              "matched": not new_child})
            return Imported(row.id, PackageKind.REFERRAL, incoming.sender,
                            incoming.sender_fingerprint, True, child_id, new_child, None,
                            incoming.reference)

    def _analyst_only_intelligence(self, contents: PackageContents) -> None:
        if self._unit.user.role == Role.ANALYST and contents.kind != PackageKind.INTELLIGENCE:
            raise PermissionDenied("An analyst imports intelligence packages only; a "
                                   "practitioner or a manager imports referrals and replies. "
                                   "Nothing was imported.")

    def _import_intelligence(self, data: bytes, opened: Opened, contents: PackageContents,
                             incoming: Incoming) -> Imported:
        with self._unit.transaction() as s:
            row = ReceivedPackage(
                package_id=contents.package_id, sha256=_sha(data), kind=PackageKind.INTELLIGENCE,
                reference=incoming.reference, sender_fingerprint=incoming.sender_fingerprint,
                sender_name=incoming.sender,
                signed_at=_stamp(opened.signed_at) if opened.signed_at else None,
                received_by=self._unit.user.id, content=opened.content,
                status=ReferralStatus.RECEIVED,
                outcomes="[]")
            s.add(row)
            s.flush()
            self._unit.audit(s, "import_package", f"received:{row.id}",
                             {"package_id": contents.package_id, "kind": PackageKind.INTELLIGENCE,
                              "sender": incoming.sender_fingerprint})
            return Imported(row.id, PackageKind.INTELLIGENCE, incoming.sender,
                            incoming.sender_fingerprint, True, reference=incoming.reference)

    def seal_for(self, content: bytes, recipient: bytes) -> tuple[bytes, str, str]:
        """``content`` (a package archive) signed with this database's key and encrypted to
        the certificate ``recipient`` (PEM): (sealed bytes, recipient's name, fingerprint).
        For other managers' packages (intelligence submissions)."""
        cert = self._recipient(recipient, None)
        with self._unit.transaction() as s:
            signer_cert, signer_key = self._signer(s)
        return _seal(content, signer_cert, signer_key, cert), common_name(cert), fingerprint(cert)

    def _import_reply(self, data: bytes, opened: Opened, contents: PackageContents,
                      incoming: Incoming) -> Imported:
        facts = read_reply(contents.bundle)
        with self._unit.transaction() as s:
            sent = s.scalar(select(SentPackage).where(
                SentPackage.reference == facts.reference, SentPackage.kind == PackageKind.REFERRAL)
                .order_by(SentPackage.made_at.desc()))
            if sent is None:
                raise ServiceError(f"This reply is about referral {facts.reference}, which was "
                                   "not sent from this database. Nothing was imported.")
            if sent.recipient_fingerprint != incoming.sender_fingerprint:
                raise ServiceError(f"This reply is signed by {incoming.sender}, not by the team "
                                   f"the referral was sent to ({sent.recipient_name}). Nothing "
                                   "was imported.")
            referral_id = sent.subject_id
        self._apply_reply(referral_id, facts)
        with self._unit.transaction() as s:
            row = ReceivedPackage(
                package_id=contents.package_id, sha256=_sha(data), kind=PackageKind.REPLY,
                reference=facts.reference, sender_fingerprint=incoming.sender_fingerprint,
                sender_name=incoming.sender,
                signed_at=_stamp(opened.signed_at) if opened.signed_at else None,
                received_by=self._unit.user.id, referral_id=referral_id,
                content=opened.content, status=facts.status, outcomes=json.dumps(
                    [list(o) for o in facts.outcomes]), confirmed=facts.exploitation_confirmed,
                confirmed_source=facts.confirmed_source, decision_reason=facts.reason)
            s.add(row)
            s.flush()
            self._unit.audit(s, "import_package", f"received:{row.id}",
                             {"package_id": contents.package_id, "referral_id": referral_id,
                              "sender": incoming.sender_fingerprint, "kind": PackageKind.REPLY})
            return Imported(row.id, PackageKind.REPLY, incoming.sender, incoming.sender_fingerprint,
                            True, None, False, referral_id, facts.reference)

    def _apply_reply(self, referral_id: int, facts: ReplyFacts) -> None:
        """Bring the sender's referral up to what the reply says: only the steps not yet
        recorded, and none that its status no longer allows (a referral already closed
        keeps what it has; the reply is still kept)."""
        referrals = self._referrals
        referral = referrals.get(referral_id)
        status = referral.status
        at = _moment(facts.decided_at)
        if status == ReferralStatus.TO_SEND:  # sent another way and not yet marked: it arrived
            referrals.mark_sent(referral_id, SendMethod.EXCHANGE_PACKAGE, at)
            status = ReferralStatus.SENT
        if status == ReferralStatus.SENT:
            referrals.mark_received(referral_id, at)
            status = ReferralStatus.RECEIVED
        if status == ReferralStatus.RECEIVED:
            if facts.status in ("accepted", "completed"):  # FHIR Task statuses
                referrals.mark_accepted(referral_id, at)
                status = ReferralStatus.ACCEPTED
            elif facts.status == "rejected":
                referrals.mark_declined(referral_id, facts.reason
                                        or "Declined by the receiving team.", at)
                status = ReferralStatus.DECLINED
        if status not in (ReferralStatus.SENT, ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED,
                          ReferralStatus.DECLINED):
            return
        have = {o.outcome_id for o in referrals.get(referral_id).outcomes}
        vocabulary = load_outcomes()
        for outcome_id, words in facts.outcomes:
            if outcome_id in have:
                continue
            try:
                asks = vocabulary.outcome(outcome_id).detail is not None
            except KeyError:
                raise ServiceError(f"The reply names an outcome ({outcome_id!r}) this version "
                                   "of RiskScreen does not know; update RiskScreen, then "
                                   "import it again.") from None
            referrals.add_outcome(referral_id, outcome_id, words if asks else None, at)
        confirmation = referrals.get(referral_id).confirmation
        if facts.exploitation_confirmed and facts.confirmed_source and (
                confirmation is None or str(confirmation.answer) != facts.exploitation_confirmed
                or confirmation.source_id != facts.confirmed_source):
            referrals.confirm(referral_id, facts.exploitation_confirmed, facts.confirmed_source,
                              at)

    # -- received referrals --------------------------------------------------------------------

    def received(self, received_id: int) -> ReceivedReferral:
        """A received referral with the sender's assessment (a recorded view)."""
        self._unit.require(*_MAKERS)
        with self._unit.transaction() as s:
            row = self._received_row(s, received_id)
            self._unit.audit(s, "view", f"received:{row.id}")
            return _received(s, row)

    def list_received(self) -> list[ReceivedReferral]:
        """Every referral received by this team, newest first.

        A referral package is addressed to the team (its certificate), not to the person who
        happened to import it: every practitioner and manager of the team's database sees
        and works on the team's received referrals, and each view is audited.
        """
        self._unit.require(*_MAKERS)
        with self._unit.transaction() as s:
            query = select(ReceivedPackage).where(ReceivedPackage.kind == PackageKind.REFERRAL)
            return [_received(s, r)
                    for r in s.scalars(query.order_by(ReceivedPackage.id.desc()))]

    def _received_row(self, s: OrmSession, received_id: int) -> ReceivedPackage:
        row = s.get(ReceivedPackage, received_id)
        if row is None or row.kind != PackageKind.REFERRAL:
            raise NotFound("There is no such received referral.")
        return row

    def _open_row(self, s: OrmSession, received_id: int) -> ReceivedPackage:
        """A received referral that is still open to decisions and outcomes."""
        row = self._received_row(s, received_id)
        if row.closed_at is not None:
            raise ServiceError("This referral is closed; nothing more can be recorded on it. "
                               "Its reply can still be saved.")
        return row

    def close(self, received_id: int, reason: str) -> ReceivedReferral:
        """Close a received referral once the team has decided and recorded an outcome,
        saying why (for the team's record; the reply tells the sender it is completed);
        returns the referral as it now stands."""
        self._unit.require(*_MAKERS)
        text = " ".join((reason or "").split())
        if not text:
            raise ServiceError("Say why the referral is closed, then close it again.")
        if len(text) > 2000:
            raise ServiceError("Keep the reason for closing under 2,000 characters.")
        with self._unit.transaction() as s:
            row = self._open_row(s, received_id)
            if row.status == ReferralStatus.RECEIVED:
                raise ServiceError("Record the decision (accepted or declined) first.")
            if not json.loads(row.outcomes):
                raise ServiceError("Record an outcome before closing the referral.")
            row.closed_at = utc_now()
            row.close_reason = text
            self._unit.audit(s, "close", f"received:{row.id}", {"decision": row.status})
            s.flush()
            return _received(s, row)

    def decide(self, received_id: int, accept: bool, reason: str | None = None
               ) -> ReceivedReferral:
        """Record the team's decision on a received referral (declining needs a reason);
        returns the referral as it now stands."""
        self._unit.require(*_MAKERS)
        text = (reason or "").strip()
        if not accept and not text:
            raise ServiceError("Say why the referral is declined; the sender is told.")
        with self._unit.transaction() as s:
            row = self._open_row(s, received_id)
            if row.status != ReferralStatus.RECEIVED:
                raise ServiceError(f"This referral is already {row.status}.")
            row.status = ReferralStatus.ACCEPTED if accept else ReferralStatus.DECLINED
            row.decision_reason = text or None
            row.decided_at = utc_now()
            self._unit.audit(s, "decide", f"received:{row.id}", {"status": row.status})
            s.flush()
            return _received(s, row)

    def add_outcome(self, received_id: int, outcome_id: str, detail: str | None = None,
                    confirmed: str | None = None, source: str | None = None
                    ) -> ReceivedReferral:
        """Record an outcome (and optionally "exploitation confirmed?") on a received
        referral, from the same vocabulary as referrals, for the reply; returns the
        referral as it now stands."""
        self._unit.require(*_MAKERS)
        vocabulary = load_outcomes()
        try:
            outcome = vocabulary.outcome(outcome_id)
        except KeyError:
            ids = ", ".join(o.id for o in vocabulary.outcomes if not o.retired)
            raise ServiceError(f"There is no outcome {outcome_id!r}; choose one of "
                               f"{ids}.") from None
        text = (detail or "").strip() or None
        if outcome.detail_required and not text:
            raise ServiceError(f"The outcome '{outcome.label}' needs {outcome.detail}; "
                               "say it, then record the outcome again.")
        if confirmed is not None:
            if confirmed not in set(Confirmation):
                raise ServiceError("Answer 'exploitation confirmed?' with confirmed, "
                                   "not_confirmed or not_known.")
            try:
                vocabulary.source(source or "")
            except KeyError:
                ids = ", ".join(c.id for c in vocabulary.confirmation_sources)
                raise ServiceError(f"Say where the answer comes from: one of {ids}.") from None
        with self._unit.transaction() as s:
            row = self._open_row(s, received_id)
            if row.status == ReferralStatus.RECEIVED:
                raise ServiceError("Record the decision (accepted or declined) first.")
            outcomes = json.loads(row.outcomes)
            if all(o[0] != outcome_id for o in outcomes):
                outcomes.append([outcome_id, text or outcome.label, date.today().isoformat()])
                row.outcomes = json.dumps(outcomes)
            if confirmed is not None:
                row.confirmed, row.confirmed_source = confirmed, source
            self._unit.audit(s, "outcome", f"received:{row.id}", {"outcome": outcome_id})
            s.flush()
            return _received(s, row)

    def save_reply_package(self, received_id: int, path: Path) -> MadePackage:
        """Write the reply to a received referral (decision and outcomes) to ``path``."""
        self._unit.require(*_MAKERS)
        package_id = str(uuid.uuid4())
        with self._unit.transaction() as s:
            row = self._received_row(s, received_id)
            if row.status == ReferralStatus.RECEIVED:
                raise ServiceError("Record the decision (accepted or declined) before "
                                   "replying.")
            sender = s.get(TrustedSender, row.sender_fingerprint)
            if sender is None:
                raise ServiceError("The sender's certificate is no longer trusted here; an "
                                   "administrator installs it again to reply.")
            recipient = load_certificate(sender.certificate)
            signer_cert, signer_key = self._signer(s)
            # A closed referral the team accepted is "completed" for the sender; one it
            # declined stays "rejected", so the sender never reads a declined one as taken.
            replies = {ReferralStatus.ACCEPTED: "accepted", ReferralStatus.DECLINED: "rejected"}
            status = replies.get(ReferralStatus(row.status), "received")
            if row.closed_at is not None and row.status == ReferralStatus.ACCEPTED:
                status = "completed"
            facts = ReplyFacts(
                reference=row.reference, status=status, decided_at=row.decided_at or utc_now(),
                reason=row.decision_reason,
                outcomes=tuple((o[0], o[1]) for o in json.loads(row.outcomes)),
                exploitation_confirmed=row.confirmed, confirmed_source=row.confirmed_source,
                team=common_name(signer_cert))
        try:
            check_certificate(recipient, what="sender's certificate")
        except CertificateError as error:
            raise ServiceError(f"{_sentence(str(error))} No reply was made.") from None
        bundle = reply_bundle(facts, package_id=package_id, authored=utc_now())
        content = build_zip(PackageContents(kind=PackageKind.REPLY, package_id=package_id,
                                            bundle=bundle))
        data = _seal(content, signer_cert, signer_key, recipient)
        atomic_write(path, data)
        with self._unit.transaction() as s:
            s.add(SentPackage(package_id=package_id, kind=PackageKind.REPLY,
                              reference=facts.reference, subject_id=received_id,
                              recipient_fingerprint=fingerprint(recipient),
                              recipient_name=common_name(recipient), sha256=_sha(data),
                              made_by=self._unit.user.id))
            self._unit.audit(s, "package", f"received:{received_id}",
                             {"package_id": package_id, "kind": PackageKind.REPLY,
                              "recipient": fingerprint(recipient)})
        return MadePackage(package_id, Path(path), common_name(recipient),
                           fingerprint(recipient), facts.reference)

    # -- standard exports ----------------------------------------------------------------------

    def questionnaire(self, form: FormDefinition) -> dict[str, Any]:
        """The form as a FHIR Questionnaire with the weights of the model in force."""
        models = [m for m in self._models.all() if m.model_id == form.id]
        model = self._models.get(models[-1].sha256) if models else None
        return questionnaire(form, model)


def _seal(content: bytes, cert: x509.Certificate, key: rsa.RSAPrivateKey,
          recipient: x509.Certificate) -> bytes:
    try:
        return seal_package(content, cert, key, [recipient])
    except ExchangeError as error:
        raise ServiceError(f"{_sentence(str(error))} No package was made.") from None


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _sentence(message: str) -> str:
    text = message.strip()
    text = text[0].upper() + text[1:] if text else text
    return text if text.endswith(".") else text + "."


def _key_info(cert: x509.Certificate) -> KeyInfo:
    return KeyInfo(common_name(cert), fingerprint(cert), cert.not_valid_after_utc,
                   certificate_pem(cert))


def _sender_info(row: TrustedSender) -> SenderInfo:
    return SenderInfo(row.name, row.fingerprint,
                      moment(row.not_after), moment(row.installed_at))


def _child(c: Child) -> ChildInfo:
    try:
        ids = json.loads(c.identifiers or "{}")
    except ValueError:
        ids = {}
    dob = date.fromisoformat(c.date_of_birth) if c.date_of_birth else None
    return ChildInfo(c.id, c.name, dob, {str(k): str(v) for k, v in ids.items()})


def _received(s: OrmSession, row: ReceivedPackage) -> ReceivedReferral:
    contents = read_zip(row.content)
    facts = read_referral(contents.bundle)
    child = s.get(Child, row.child_id) if row.child_id is not None else None
    return ReceivedReferral(
        id=row.id, reference=row.reference, sender=row.sender_name,
        sender_fingerprint=row.sender_fingerprint, received_at=moment(row.received_at),
        child_id=row.child_id,
        status=ReferralStatus.CLOSED if row.closed_at is not None else ReferralStatus(row.status),
        decision_reason=row.decision_reason,
        outcomes=tuple((o[0], o[1], day(o[2]) if len(o) > 2 else None)
                       for o in json.loads(row.outcomes)),
        confirmed=row.confirmed, confirmed_source=row.confirmed_source,
        bundle=contents.bundle, level=facts.level, summary_pdf=contents.summary_pdf,
        facts=facts, trusted=s.get(TrustedSender, row.sender_fingerprint) is not None,
        child=_child(child) if child is not None else None,
        decided_at=moment(row.decided_at), closed_at=moment(row.closed_at),
        close_reason=row.close_reason,
        decision=row.status if row.status in (ReferralStatus.ACCEPTED,
                                              ReferralStatus.DECLINED) else None)


def certificate_words(pem: str | bytes) -> str:
    """``NAME, SHA-256 …, valid until …`` of a certificate, for lists."""
    cert = load_certificate(pem)
    return (f"{common_name(cert)}, SHA-256 {fingerprint(cert)}, valid until "
            f"{cert.not_valid_after_utc:%Y-%m-%d}")

