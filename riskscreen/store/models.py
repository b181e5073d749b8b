"""The database schema as typed SQLAlchemy 2 models (the head revision of the migrations).

The whole file is encrypted by SQLCipher, so names, answers and notes are plain columns here.
Timestamps are ISO 8601 UTC text with a fixed width (``2026-03-01T09:30:00.000000Z``): they sort
as text and hash identically everywhere, which the audit chain needs. The tables that grow with
every screening (children, screenings, answers, assessments, referrals and their steps, the
audit log) store them as :class:`UtcStamp`, integer microseconds since 1970 (8 bytes instead
of 27), and read and write them as that same text.

Snapshots, scoring models and audit entries are immutable: triggers created by the first
migration refuse any UPDATE or DELETE of them, and any change to the answers of a finalised
screening, whatever code path tries it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from time import time_ns
from typing import Any

from sqlalchemy import (
    BigInteger,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AgreementExercise",
    "Answer",
    "AnswerColumnsRow",
    "AssessmentRow",
    "AuditEntry",
    "Base",
    "CarriedAnswer",
    "Child",
    "ExchangeKey",
    "ExerciseAssignment",
    "FormRow",
    "InstrumentRow",
    "IntelItem",
    "IntelKey",
    "IntelLink",
    "IntelSubmission",
    "IntelSubmissionItem",
    "Meta",
    "MissingEpisode",
    "PracticeScreening",
    "ReceivedPackage",
    "RecordDictionary",
    "ReferralRow",
    "ReferralStepRow",
    "ScoringModelRow",
    "Screening",
    "ScreeningReview",
    "SentPackage",
    "ServerPassphrase",
    "Sha256",
    "TrustedSender",
    "User",
    "UtcStamp",
    "Vignette",
    "digest_bytes",
    "digest_text",
    "now_micros",
    "stamp_micros",
    "stamp_text",
    "utc_now",
]

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def utc_now() -> str:
    """The current time as fixed-width ISO 8601 UTC text."""
    return datetime.now(UTC).strftime(_FORMAT)


def now_micros() -> int:
    """The current time as a :class:`UtcStamp` column stores it (microseconds since 1970),
    for statements that write the column without the ORM; cheaper than parsing
    :func:`utc_now`'s text."""
    return time_ns() // 1000


def stamp_micros(value: str | datetime | date) -> int:
    """Microseconds since 1970 of a UTC timestamp: its fixed-width text (or any ISO 8601
    text, a date meaning its midnight, a time without a zone meaning UTC) or a datetime.
    ``ValueError`` if the text is not a time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _MICROSECOND


def stamp_text(stored: Any) -> str:
    """The fixed-width text of a stored timestamp: microseconds since 1970, or text (a value
    an older revision wrote that was not a fixed-width time stays as it was)."""
    if isinstance(stored, str):
        return stored
    return (_EPOCH + int(stored) * _MICROSECOND).strftime(_FORMAT)


class UtcStamp(TypeDecorator[str]):
    """A UTC timestamp stored as integer microseconds since 1970 (sorting as the text does)
    and read and written as fixed-width ISO 8601 text, so no caller sees the difference."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        """Text (or a datetime) to microseconds."""
        return None if value is None else stamp_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        """Microseconds to text."""
        return None if value is None else stamp_text(value)


def digest_bytes(value: str) -> bytes | str:
    """The 32 bytes a SHA-256 hex text is stored as; any other text unchanged."""
    if len(value) == 64:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    return value


def digest_text(stored: Any) -> str:
    """The hex text of a stored SHA-256 (32 bytes); text (or other bytes) as it was written."""
    if isinstance(stored, bytes | bytearray | memoryview):
        raw = bytes(stored)
        return raw.hex() if len(raw) == 32 else raw.decode("utf-8", "replace")
    return str(stored)


class Sha256(TypeDecorator[str]):
    """A SHA-256 stored as its 32 bytes and read and written as its 64-character hex text,
    so no caller sees the difference. A value that is not such a hash is kept as text
    (as bytes of that text on PostgreSQL, whose column takes only bytes)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | str | None:
        """Hex text to bytes."""
        if value is None:
            return None
        stored = digest_bytes(str(value))
        if isinstance(stored, str) and dialect.name != "sqlite":
            return stored.encode("utf-8")
        return stored

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        """Bytes to hex text."""
        return None if value is None else digest_text(value)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Meta(Base):
    """Facts about the database itself (its id, which ties it to its key file)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class User(Base):
    """An account. Its passphrase wrapping lives in the key file, not here."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[str] = mapped_column(String(27), default=utc_now)


class ServerPassphrase(Base):
    """An account's passphrase verifier on a team server, which has no key file: Argon2id
    of the passphrase with the parameters in ``kdf``."""

    __tablename__ = "server_passphrases"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kdf: Mapped[str] = mapped_column(Text)
    verifier: Mapped[bytes] = mapped_column(LargeBinary)
    changed_at: Mapped[str] = mapped_column(String(27), default=utc_now)


class Child(Base):
    """A child record; a child has many screenings over time."""

    __tablename__ = "children"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[str | None] = mapped_column(String(10))
    identifiers: Mapped[str] = mapped_column(Text, default="{}")  # JSON: case_number, nhs_number
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[str] = mapped_column(UtcStamp, default=utc_now)

    __table_args__ = (Index("ix_children_name", "name"),)


class Screening(Base):
    """One screening of one child, with the form and scoring model versions in force."""

    __tablename__ = "screenings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    form_id: Mapped[str] = mapped_column(String(100))
    form_version: Mapped[str] = mapped_column(String(30))
    model_id: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[str] = mapped_column(String(30))
    model_sha256: Mapped[str] = mapped_column(ForeignKey("scoring_models.sha256"))
    #: The stored form version the screening was made under; None only for
    #: a screening of a form version no RiskScreen release shipped, which ``verify`` names.
    form_sha256: Mapped[str | None] = mapped_column(ForeignKey("forms.sha256"))
    screening_date: Mapped[str] = mapped_column(String(10))
    #: "draft" or "final" (``riskscreen.services.types.Status``).
    status: Mapped[str] = mapped_column(String(10))
    amendment_of: Mapped[int | None] = mapped_column(ForeignKey("screenings.id"))
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(UtcStamp, default=utc_now)
    updated_at: Mapped[str] = mapped_column(UtcStamp, default=utc_now)
    #: Denormalised from the snapshot so the list can filter by level.
    final_level: Mapped[str | None] = mapped_column(String(50))
    #: The child's earlier finalised screening this re-screen started from.
    rescreen_of: Mapped[int | None] = mapped_column(Integer)
    #: How many times the draft was saved: an edit made from an older
    #: version is refused, so nobody's save overwrites another's.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __table_args__ = (
        Index("ix_screenings_updated", "updated_at", "id"),
        Index("ix_screenings_status_updated", "status", "updated_at", "id"),
        #: With the practitioner: "did this practitioner screen this child" is one look-up.
        Index("ix_screenings_child", "child_id", "practitioner_id", "screening_date"),
        #: With the child: "the children a practitioner screened" is read from the index.
        Index("ix_screenings_practitioner", "practitioner_id", "updated_at", "child_id"),
        Index("ix_screenings_level_updated", "final_level", "updated_at", "id"),
        #: Each child's finalised screenings of a form by date, read from the index alone
        #: (the calibration's first screenings).
        Index("ix_screenings_first", "form_id", "status", "child_id", "screening_date",
              "form_version"),
        #: Only the few screenings that amend another: "which were replaced" is a look-up.
        Index("ix_screenings_amendment", "amendment_of",
              sqlite_where=text("amendment_of IS NOT NULL"),
              postgresql_where=text("amendment_of IS NOT NULL")),
    )


class Answer(Base):
    """One answer to one question of one screening; saved as it is given."""

    __tablename__ = "answers"
    #: The key is the table (no rowid and no second index): only drafts keep rows here.
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - SQLAlchemy's class attribute
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
    evidence: Mapped[str | None] = mapped_column(Text)  # JSON of an EvidenceRecord
    saved_at: Mapped[str] = mapped_column(UtcStamp, default=utc_now)


class ScoringModelRow(Base):
    """A published scoring model: immutable, identified by its content hash."""

    __tablename__ = "scoring_models"
    sha256: Mapped[str] = mapped_column(Sha256, primary_key=True)
    model_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(30))
    canonical_json: Mapped[str] = mapped_column(Text)
    published_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[str] = mapped_column(String(27), default=utc_now)
    change_note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("model_id", "version", name="uq_model_version"),)


class FormRow(Base):
    """A stored form version: immutable, identified by its content hash.

    Every screening names the form version it was made under, so it opens, re-scores and
    prints with that exact questionnaire whatever is installed later.
    """

    __tablename__ = "forms"
    sha256: Mapped[str] = mapped_column(Sha256, primary_key=True)
    form_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(30))
    canonical_json: Mapped[str] = mapped_column(Text)
    #: Who installed it; None for a form shipped with RiskScreen.
    installed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    installed_at: Mapped[str] = mapped_column(String(27), default=utc_now)

    __table_args__ = (UniqueConstraint("form_id", "version", name="uq_form_version"),)


class InstrumentRow(Base):
    """An installed instrument: a form with its scoring models and routing.

    One row per instrument (its id is its form's id); installing a new version replaces the
    row's routing and README, while the form versions and models it brought stay stored.
    Only instruments ``in_force`` are offered when a screening starts.
    """

    __tablename__ = "instruments"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    form_sha256: Mapped[str] = mapped_column(ForeignKey("forms.sha256"))
    owner: Mapped[str] = mapped_column(String(200), default="")
    approved_by: Mapped[str] = mapped_column(String(200), default="")
    #: The instrument's own routing table (YAML); empty for the routing shipped with it.
    routing_yaml: Mapped[str] = mapped_column(Text, default="")
    readme: Mapped[str] = mapped_column(Text, default="")
    in_force: Mapped[bool] = mapped_column(default=True)
    installed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    installed_at: Mapped[str] = mapped_column(String(27), default=utc_now)


class AssessmentRow(Base):
    """The immutable record stored when a screening is finalised.

    ``record`` is the snapshot (``Assessment.to_dict()``) and the exact answer set that was
    scored, compressed with dictionary ``dictionary_id`` (:mod:`riskscreen.store.records`);
    the answers of a finalised screening live only here and, as codes, in ``answer_columns``.
    The model that scored it is the screening's (``screenings.model_sha256``), also named in
    the snapshot.
    """

    __tablename__ = "assessments"
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"), primary_key=True)
    #: The child's earlier screening whose assessment gave the trend (re-scoring needs it).
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("screenings.id"))
    final_level: Mapped[str] = mapped_column(String(50))
    finalised_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    finalised_at: Mapped[str] = mapped_column(UtcStamp, default=utc_now)
    dictionary_id: Mapped[int] = mapped_column(ForeignKey("record_dictionaries.id"))
    record: Mapped[bytes] = mapped_column(LargeBinary)


class RecordDictionary(Base):
    """Text that primes the compression of one model's records."""

    __tablename__ = "record_dictionaries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class AnswerColumnsRow(Base):
    """Finalised screenings' answers of one form version as columns
    (:mod:`riskscreen.store.columns`): a derived copy for bulk reads, checked by ``verify``."""

    __tablename__ = "answer_columns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[str] = mapped_column(String(100))
    form_version: Mapped[str] = mapped_column(String(30))
    #: The smallest screening id the chunk holds.
    first_id: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ReferralRow(Base):
    """The referral made when a screening was finalised, or the decision not to refer.

    Where it goes and its deadlines are copied from the route at the time (the routing table
    may change later); ``status`` is the latest step (``riskscreen.services.types.
    ReferralStatus``). Every step, outcome and "exploitation confirmed?" answer is a row of
    ``referral_steps``; the dates here repeat the steps' for the lists and reports.
    """

    __tablename__ = "referrals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"), unique=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    #: Whose referral it is: the practitioner who made the screening.
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: "refer" or "not_refer" (``ReferralDecision``).
    decision: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(50))
    pathway: Mapped[str] = mapped_column(String(200))
    destination_id: Mapped[str] = mapped_column(String(100))
    destination_name: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[str] = mapped_column(Text, default="")
    send_within_days: Mapped[int | None] = mapped_column(Integer)
    decision_within_days: Mapped[int | None] = mapped_column(Integer)
    #: ISO dates (YYYY-MM-DD) by which it is sent, and decided once sent.
    send_due: Mapped[str | None] = mapped_column(String(10))
    decision_due: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[str] = mapped_column(UtcStamp, default=utc_now)
    updated_at: Mapped[str] = mapped_column(UtcStamp, default=utc_now)
    sent_at: Mapped[str | None] = mapped_column(UtcStamp)
    decided_at: Mapped[str | None] = mapped_column(UtcStamp)
    closed_at: Mapped[str | None] = mapped_column(UtcStamp)

    __table_args__ = (
        Index("ix_referrals_status", "status", "id"),
        Index("ix_referrals_child", "child_id", "id"),
        Index("ix_referrals_practitioner", "practitioner_id", "id"),
    )


class ReferralStepRow(Base):
    """One recorded step of a referral: sent (how), received, accepted, declined (why), an
    outcome (with its detail), an answer to "exploitation confirmed?" (with its source), closed.

    ``at`` is when it happened as the user said; ``recorded_at`` when it was typed in.
    """

    __tablename__ = "referral_steps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    #: ``riskscreen.services.types.StepKind``.
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[str] = mapped_column(UtcStamp)
    recorded_at: Mapped[str] = mapped_column(UtcStamp, default=utc_now)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    outcome_id: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(String(20))
    source_id: Mapped[str | None] = mapped_column(String(60))

    __table_args__ = (Index("ix_referral_steps_referral", "referral_id", "id"),)


class ExchangeKey(Base):
    """This database's own exchange key pair: it signs the packages sent from here and opens
    those sent to it. The newest active one signs; older ones still open
    packages encrypted to them. The private key is PKCS#8 DER, protected by the database's
    own encryption (SQLCipher) like every other secret in it.
    """

    __tablename__ = "exchange_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(95), unique=True)  # SHA-256, AB:CD:…
    name: Mapped[str] = mapped_column(String(200))
    certificate: Mapped[str] = mapped_column(Text)  # PEM
    private_key: Mapped[bytes] = mapped_column(LargeBinary)
    not_after: Mapped[str] = mapped_column(String(27))
    installed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    installed_at: Mapped[str] = mapped_column(String(27), default=utc_now)
    active: Mapped[bool] = mapped_column(default=True)


class TrustedSender(Base):
    """A sending agency's certificate that this database trusts."""

    __tablename__ = "trusted_senders"
    fingerprint: Mapped[str] = mapped_column(String(95), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    certificate: Mapped[str] = mapped_column(Text)  # PEM
    not_after: Mapped[str] = mapped_column(String(27))
    installed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    installed_at: Mapped[str] = mapped_column(String(27), default=utc_now)


class SentPackage(Base):
    """A package made here: which referral (or received referral, for a reply) it carried,
    to whom, and the reference a reply names."""

    __tablename__ = "sent_packages"
    package_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # referral, reply
    reference: Mapped[str] = mapped_column(String(60))
    #: The referral (``referrals.id``) a referral package carried, or the received package
    #: (``received_packages.id``) a reply answers.
    subject_id: Mapped[int] = mapped_column(Integer)
    recipient_fingerprint: Mapped[str] = mapped_column(String(95))
    recipient_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    made_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[str] = mapped_column(String(27), default=utc_now)

    __table_args__ = (Index("ix_sent_packages_reference", "reference", "kind"),)


class ReceivedPackage(Base):
    """A package imported here, kept as it arrived.

    A referral package becomes a *received referral*: the child it was matched to (as a
    person confirmed, or a new record), the sender's assessment read-only (``content`` is the
    verified archive), and the team's decision, outcomes and confirmation as they are
    recorded, which a reply package carries back. A reply package updates the sender's own
    referral (``referral_id``).
    """

    __tablename__ = "received_packages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[str] = mapped_column(String(36), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))  # referral, reply
    reference: Mapped[str] = mapped_column(String(60))
    sender_fingerprint: Mapped[str] = mapped_column(String(95))
    sender_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[str | None] = mapped_column(String(27))
    received_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[str] = mapped_column(String(27), default=utc_now)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"))
    referral_id: Mapped[int | None] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    #: received, accepted or declined (referral packages only); closing keeps the decision.
    status: Mapped[str] = mapped_column(String(20), default="received")
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[str | None] = mapped_column(String(27))
    #: JSON list of [outcome id, label, ISO date].
    outcomes: Mapped[str] = mapped_column(Text, default="[]")
    confirmed: Mapped[str | None] = mapped_column(String(20))
    confirmed_source: Mapped[str | None] = mapped_column(String(60))
    #: When the team closed the referral (after an outcome) and why; None while open.
    closed_at: Mapped[str | None] = mapped_column(String(27))
    close_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_received_packages_child", "child_id", "id"),)


class AuditEntry(Base):
    """One entry of the hash-chained audit log. ``detail`` never holds personal data."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(UtcStamp)
    user: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    object: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    #: SHA-256 of the entry and the hash of the one before it (see :mod:`riskscreen.store.audit`).
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class ScreeningReview(Base):
    """When a finalised screening falls due for review, and how it compared with the last one.

    Written once when the screening is finalised (the upgrade that added it filled it in for
    screenings finalised before). ``review_date`` is the assessment's review date for its
    final level; a missing episode since can bring the review forward
    (:mod:`riskscreen.services.due`). ``step_down_reason`` is the practitioner's reason for a
    lower level than the child's previous screening.
    """

    __tablename__ = "screening_reviews"
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"), primary_key=True)
    review_date: Mapped[str] = mapped_column(String(10))
    previous_id: Mapped[int | None] = mapped_column(Integer)
    previous_level: Mapped[str | None] = mapped_column(String(50))
    step_down_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_screening_reviews_date", "review_date"),)


class CarriedAnswer(Base):
    """An answer a re-screen carried over from the previous screening, until confirmed.

    ``previous`` is the earlier answer (JSON), so the screen can say what changed since
    last time. ``confirmed`` becomes true when the practitioner confirms or changes it; a
    re-screen is finalised only when every carried answer is confirmed.
    """

    __tablename__ = "carried_answers"
    #: The key is the table (no rowid and no second index).
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - SQLAlchemy's class attribute
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    previous: Mapped[str] = mapped_column(Text)  # JSON
    confirmed: Mapped[bool] = mapped_column(default=False)


class MissingEpisode(Base):
    """One time a child was reported missing, and the Return Home Interview after it.

    Times are local wall-clock times as the practitioner gives them (``YYYY-MM-DDTHH:MM``).
    ``rhi_status`` is ``done``, ``declined`` or ``not_done``
    (:class:`riskscreen.services.types.RhiStatus`), empty until the interview is recorded.
    """

    __tablename__ = "missing_episodes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    missing_from: Mapped[str] = mapped_column(String(16))
    returned_at: Mapped[str | None] = mapped_column(String(16))
    where_found: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[str] = mapped_column(Text, default="")
    rhi_status: Mapped[str | None] = mapped_column(String(20))
    rhi_at: Mapped[str | None] = mapped_column(String(16))
    rhi_note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[str] = mapped_column(String(27), default=utc_now)
    updated_at: Mapped[str] = mapped_column(String(27), default=utc_now)

    __table_args__ = (Index("ix_missing_episodes_child", "child_id", "missing_from"),)



class AgreementExercise(Base):
    """A manager's set of vignettes for practitioners to screen in practice mode, to see how
    alike they score the same case.

    The vignettes are screened with one form version and one published scoring model, fixed
    when the exercise is made, so every practitioner's level comes from the same rules.
    """

    __tablename__ = "agreement_exercises"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    form_id: Mapped[str] = mapped_column(String(100))
    form_version: Mapped[str] = mapped_column(String(30))
    model_sha256: Mapped[str] = mapped_column(ForeignKey("scoring_models.sha256"))
    #: The date every practice screening of the exercise is made "on" (ages follow it).
    screening_date: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[str] = mapped_column(String(27), default=utc_now)


class Vignette(Base):
    """A short synthetic case description written by a manager."""

    __tablename__ = "vignettes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("agreement_exercises.id"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    #: The made-up child's date of birth, so age-specific questions show alike for everyone.
    date_of_birth: Mapped[str | None] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[str] = mapped_column(String(27), default=utc_now)

    __table_args__ = (Index("ix_vignettes_exercise", "exercise_id", "position"),)


class ExerciseAssignment(Base):
    """A practitioner asked to screen an exercise's vignettes."""

    __tablename__ = "exercise_assignments"
    exercise_id: Mapped[int] = mapped_column(ForeignKey("agreement_exercises.id"),
                                             primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    assigned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[str] = mapped_column(String(27), default=utc_now)


class PracticeScreening(Base):
    """One practitioner's practice screening of one vignette.

    A table of its own, on purpose: no child, no ``screenings`` row, no referral and no
    answer columns, so no list, report, calibration, referral or check of real screenings
    can ever include one. ``answers`` is an answer set as JSON; ``level`` and ``points``
    are set when it is submitted.
    """

    __tablename__ = "practice_screenings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vignette_id: Mapped[int] = mapped_column(ForeignKey("vignettes.id"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answers: Mapped[str] = mapped_column(Text, default="{}")
    #: "draft" or "submitted".
    status: Mapped[str] = mapped_column(String(10), default="draft")
    level: Mapped[str | None] = mapped_column(String(50))
    points: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(String(27), default=utc_now)
    updated_at: Mapped[str] = mapped_column(String(27), default=utc_now)
    submitted_at: Mapped[str | None] = mapped_column(String(27))

    __table_args__ = (UniqueConstraint("vignette_id", "practitioner_id",
                                       name="uq_practice_vignette_practitioner"),)

class IntelItem(Base):
    """One intelligence item: a person of concern, a place, a vehicle or an online account
   . ``details`` holds the kind's fields as JSON (names, nicknames, phone
    numbers, handles, vehicles; an address, its type and area; a registration; a platform
    and handle). The grading is 3x5x2, or 5x5x5 for an older record; ``restricted`` repeats
    whether its handling code restricts who may see it. ``review_due`` is when its retention
    period ends (:mod:`riskscreen.intel.retention`).
    """

    __tablename__ = "intel_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    grading_scheme: Mapped[str] = mapped_column(String(5))
    source_evaluation: Mapped[str] = mapped_column(String(1))
    intelligence_assessment: Mapped[str] = mapped_column(String(1))
    handling_code: Mapped[str] = mapped_column(String(1))
    handling_conditions: Mapped[str] = mapped_column(Text, default="")
    restricted: Mapped[bool] = mapped_column(default=False)
    entered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[str] = mapped_column(String(27), default=utc_now)
    updated_at: Mapped[str] = mapped_column(String(27), default=utc_now)
    review_due: Mapped[str] = mapped_column(String(10))
    reviewed_at: Mapped[str | None] = mapped_column(String(27))

    __table_args__ = (
        Index("ix_intel_items_kind", "kind", "id"),
        Index("ix_intel_items_entered_by", "entered_by", "id"),
        Index("ix_intel_items_review_due", "review_due"),
    )


class IntelKey(Base):
    """A normalised key of an item that matching compares: a phone number,
    registration, handle or address, or a name or nickname (``name``: possible links only)."""

    __tablename__ = "intel_keys"
    item_id: Mapped[int] = mapped_column(ForeignKey("intel_items.id"), primary_key=True)
    key_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)

    __table_args__ = (Index("ix_intel_keys_value", "key_kind", "value"),)


class IntelLink(Base):
    """An item linked to a child it concerns: where the information came from and the date
    it was seen."""

    __tablename__ = "intel_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("intel_items.id"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    source: Mapped[str] = mapped_column(Text, default="")
    seen_on: Mapped[str] = mapped_column(String(10))
    linked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[str] = mapped_column(String(27), default=utc_now)

    __table_args__ = (
        UniqueConstraint("item_id", "child_id", "seen_on", name="uq_intel_link"),
        Index("ix_intel_links_child", "child_id", "item_id"),
        Index("ix_intel_links_seen", "seen_on"),
    )


class IntelSubmission(Base):
    """An intelligence submission made to the police analyst: a PDF form or an exchange
    package, recorded as sent when it was made."""

    __tablename__ = "intel_submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    form: Mapped[str] = mapped_column(String(10))  # pdf, package
    recipient: Mapped[str] = mapped_column(String(200), default="")
    package_id: Mapped[str | None] = mapped_column(String(36))
    sha256: Mapped[str] = mapped_column(String(64))
    made_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[str] = mapped_column(String(27), default=utc_now)


class IntelSubmissionItem(Base):
    """An item a submission carried, with its grade then (the item may be deleted later)."""

    __tablename__ = "intel_submission_items"
    submission_id: Mapped[int] = mapped_column(ForeignKey("intel_submissions.id"),
                                               primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grade: Mapped[str] = mapped_column(String(12))
