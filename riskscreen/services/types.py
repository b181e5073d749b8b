"""Plain data objects the services return (no database session ever leaves the services)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from riskscreen.dates import show_date, show_moment
from riskscreen.intel.kinds import ItemKind
from riskscreen.scoring.assessment import Assessment
from riskscreen.summary.package import PackageKind

__all__ = [
    "CHRONOLOGY_WORDS",
    "RHI_WITHIN",
    "RHI_WORDS",
    "AnswerValue",
    "CarriedAnswerInfo",
    "ChildInfo",
    "ChildRecord",
    "ChronologyEntry",
    "ChronologyKind",
    "Confirmation",
    "ConfirmationRecord",
    "Countersignature",
    "DueItem",
    "DueKind",
    "EpisodeInfo",
    "ItemKind",
    "MatchBy",
    "ModelInfo",
    "OverrideRequest",
    "PackageKind",
    "Page",
    "PracticeStatus",
    "Referral",
    "ReferralDecision",
    "ReferralOutcome",
    "ReferralStatus",
    "ReferralStep",
    "RescreenInfo",
    "RhiStatus",
    "Role",
    "ScreeningDetail",
    "ScreeningQuery",
    "ScreeningRow",
    "SendMethod",
    "Status",
    "StepKind",
    "UserInfo",
    "VerifyReport",
]


class Role(StrEnum):
    """An account's role; the value is the text stored in the database."""

    PRACTITIONER = "practitioner"
    MANAGER = "manager"
    ADMINISTRATOR = "administrator"
    #: Sees every intelligence item and the links across children; screens no child.
    ANALYST = "analyst"


class Status(StrEnum):
    """A screening's state; the value is the text stored in the database."""

    DRAFT = "draft"
    FINAL = "final"


class ReferralDecision(StrEnum):
    """What finalising decided: refer to the routed destination, or not (with a reason)."""

    REFER = "refer"
    NOT_REFER = "not_refer"


class ReferralStatus(StrEnum):
    """Where a referral is: to send, sent, received, accepted or declined, closed; or a
    recorded decision not to refer. The value is the text stored in the database."""

    TO_SEND = "to_send"
    SENT = "sent"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CLOSED = "closed"
    NOT_REFERRED = "not_referred"

    @property
    def words(self) -> str:
        """The status as a person says it."""
        return _STATUS_WORDS[self]


_STATUS_WORDS = {
    ReferralStatus.TO_SEND: "To send", ReferralStatus.SENT: "Sent",
    ReferralStatus.RECEIVED: "Received", ReferralStatus.ACCEPTED: "Accepted",
    ReferralStatus.DECLINED: "Declined", ReferralStatus.CLOSED: "Closed",
    ReferralStatus.NOT_REFERRED: "Not referred"}


class MatchBy(StrEnum):
    """Why a child record here may be the child a received package is about."""

    NHS_NUMBER = "nhs_number"
    NAME_AND_DATE_OF_BIRTH = "name_and_date_of_birth"

    @property
    def words(self) -> str:
        """The reason as a person says it."""
        return {MatchBy.NHS_NUMBER: "same NHS number",
                MatchBy.NAME_AND_DATE_OF_BIRTH: "same name and date of birth"}[self]


class SendMethod(StrEnum):
    """How a referral was sent."""

    PRINTED = "printed"
    SECURE_EMAIL = "secure_email"
    EXCHANGE_PACKAGE = "exchange_package"

    @property
    def words(self) -> str:
        """The method as a person says it."""
        return {SendMethod.PRINTED: "printed and handed over",
                SendMethod.SECURE_EMAIL: "secure email",
                SendMethod.EXCHANGE_PACKAGE: "exchange package"}[self]


class Confirmation(StrEnum):
    """The answer to "exploitation confirmed?" (the ground truth calibration uses)."""

    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"
    NOT_KNOWN = "not_known"

    @property
    def words(self) -> str:
        """The answer as a person says it."""
        return {Confirmation.CONFIRMED: "Exploitation confirmed",
                Confirmation.NOT_CONFIRMED: "Exploitation not confirmed",
                Confirmation.NOT_KNOWN: "Not known yet"}[self]


class StepKind(StrEnum):
    """One recorded step in a referral's history."""

    CREATED = "created"
    NOT_REFERRED = "not_referred"
    SENT = "sent"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    OUTCOME = "outcome"
    CONFIRMATION = "confirmation"
    CLOSED = "closed"


@dataclass(frozen=True)
class UserInfo:
    """An account as the GUI shows it."""

    id: int
    name: str
    display_name: str
    role: Role
    disabled: bool


@dataclass(frozen=True)
class ChildInfo:
    """A child record without its screenings."""

    id: int
    name: str
    date_of_birth: date | None
    identifiers: dict[str, str]


@dataclass(frozen=True)
class ScreeningRow:
    """One line of the screenings list."""

    id: int
    child_id: int
    child_name: str
    date_of_birth: date | None
    practitioner: str
    status: Status
    level: str | None
    screening_date: date
    #: When it was last changed (aware, UTC).
    updated_at: datetime
    amendment_of: int | None


@dataclass(frozen=True)
class ChildRecord:
    """A child and the screenings the user may see, oldest first (the risk trajectory)."""

    child: ChildInfo
    screenings: list[ScreeningRow]


@dataclass(frozen=True)
class AnswerValue:
    """A saved answer with its evidence (if any)."""

    value: Any
    evidence: dict[str, Any] | None
    #: When it was saved (aware, UTC).
    saved_at: datetime


@dataclass(frozen=True)
class ScreeningDetail:
    """A screening opened for editing or reading."""

    row: ScreeningRow
    form_id: str
    form_version: str
    model_id: str
    model_version: str
    model_sha256: str
    answers: dict[str, AnswerValue]
    assessment: Assessment | None
    amendment_reason: str | None
    editable: bool
    #: The finalised assessment of the screening this one amends: its final level and
    #: override are the amendment's starting point.
    amended: Assessment | None = None
    #: When it was finalised (aware, UTC), for a finalised screening.
    finalised_at: datetime | None = None
    #: How many times the draft has been saved: give it back to ``save_answer`` as
    #: ``expected_version`` so that a save over someone else's newer one is refused.
    version: int = 1


@dataclass(frozen=True)
class ScreeningQuery:
    """Filters and paging for the screenings list (newest first)."""

    status: Status | None = None
    level: str | None = None
    search: str | None = None
    drafts_first: bool = False
    mine_only: bool = False
    offset: int = 0
    limit: int = 200


@dataclass(frozen=True)
class Page:
    """One page of the screenings list; ``total`` counts every match."""

    items: list[ScreeningRow]
    offset: int
    total: int


@dataclass(frozen=True)
class ModelInfo:
    """A published scoring model."""

    model_id: str
    version: str
    sha256: str
    published_by: str
    published_at: datetime
    change_note: str


@dataclass(frozen=True)
class Countersignature:
    """A second person's account name and passphrase, typed by them, approving an account
    change that gives access to screenings (see :meth:`AccountManager.create`)."""

    name: str
    passphrase: str = field(repr=False)


@dataclass(frozen=True)
class OverrideRequest:
    """Professional judgement at finalisation.

    Lowering the level needs a manager to countersign by entering their own passphrase here.
    """

    level: str
    reason: str
    countersigned_by: str | None = None
    countersign_passphrase: str | None = field(default=None, repr=False)


@dataclass
class VerifyReport:
    """What ``verify`` found; ``ok`` when there is nothing wrong."""

    integrity_problems: list[str] = field(default_factory=list)
    audit_entries: int = 0
    audit_head: str = ""
    audit_problems: list[str] = field(default_factory=list)
    rescored: int = 0
    rescore_differences: list[str] = field(default_factory=list)
    #: Records that disagree with their snapshots or audit entries; missing triggers.
    record_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return not (self.integrity_problems or self.audit_problems or self.rescore_differences
                    or self.record_problems)


@dataclass(frozen=True)
class ReferralStep:
    """One step of a referral as recorded: when it happened (as the user said), by whom.

    Only the fields of its kind are set: ``method`` for sent, ``reason`` for declined and not
    referred, ``outcome_id``/``detail`` for an outcome, ``answer``/``source_id`` for a
    confirmation.
    """

    id: int
    kind: StepKind
    at: datetime
    recorded_at: datetime
    by: str
    method: SendMethod | None = None
    reason: str | None = None
    outcome_id: str | None = None
    outcome: str | None = None
    detail: str | None = None
    answer: Confirmation | None = None
    source_id: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class ReferralOutcome:
    """One outcome of a referral (an entry of ``resources/outcomes.yaml``)."""

    outcome_id: str
    label: str
    detail: str | None
    on: date
    by: str


@dataclass(frozen=True)
class ConfirmationRecord:
    """A dated answer to "exploitation confirmed?" with where it came from."""

    screening_id: int
    referral_id: int
    answer: Confirmation
    source_id: str
    source: str
    on: date
    by: str


@dataclass(frozen=True)
class Referral:
    """A referral record (or a recorded decision not to refer) of one finalised screening.

    ``send_due`` is the last day to send it, ``decision_due`` (once sent) the last day for the
    receiving team's decision, both counted in working days from the route's deadline.
    """

    id: int
    screening_id: int
    child_id: int
    practitioner: str
    decision: ReferralDecision
    status: ReferralStatus
    level: str
    pathway: str
    destination_id: str
    destination_name: str
    deadline: str
    created_at: datetime
    send_due: date | None
    decision_due: date | None
    sent_at: datetime | None
    sent_method: SendMethod | None
    sent_by: str | None
    received_at: datetime | None
    decided_at: datetime | None
    decline_reason: str | None
    not_referred_reason: str | None
    closed_at: datetime | None
    outcomes: list[ReferralOutcome]
    confirmation: ConfirmationRecord | None
    steps: list[ReferralStep]

    def overdue(self, today: date) -> str | None:
        """The step past its deadline on ``today``, in words; None when nothing is late."""
        if self.status == ReferralStatus.TO_SEND and self.send_due and today > self.send_due:
            return f"Not sent yet; it was due by {show_date(self.send_due)}"
        if (self.status in (ReferralStatus.SENT, ReferralStatus.RECEIVED)
                and self.decision_due and today > self.decision_due):
            return f"No decision yet; it was due by {show_date(self.decision_due)}"
        return None

    @property
    def open(self) -> bool:
        """Whether the referral still has steps to come."""
        return self.status not in (ReferralStatus.CLOSED, ReferralStatus.NOT_REFERRED)
#: A Return Home Interview is offered within this time of the child's return.
RHI_WITHIN = timedelta(hours=72)


class PracticeStatus(StrEnum):
    """Where a practice screening of an agreement exercise is (stored text)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class RhiStatus(StrEnum):
    """What happened about a missing episode's Return Home Interview (stored text)."""

    DONE = "done"
    DECLINED = "declined"
    NOT_DONE = "not_done"


RHI_WORDS = {RhiStatus.DONE: "Done", RhiStatus.DECLINED: "Offered, declined by the child",
             RhiStatus.NOT_DONE: "Not done"}


@dataclass(frozen=True)
class EpisodeInfo:
    """One missing episode of a child, with its Return Home Interview."""

    id: int
    child_id: int
    missing_from: datetime
    returned_at: datetime | None
    where_found: str
    reported_by: str
    rhi_status: RhiStatus | None
    rhi_at: datetime | None
    rhi_note: str
    recorded_by: str

    @property
    def rhi_deadline(self) -> datetime | None:
        """When the Return Home Interview should have been offered by (72 hours after the
        return); None while the child has not returned."""
        return None if self.returned_at is None else self.returned_at + RHI_WITHIN

    def rhi_overdue(self, now: datetime) -> bool:
        """Whether the deadline has passed with no interview recorded."""
        deadline = self.rhi_deadline
        return self.rhi_status is None and deadline is not None and now > deadline

    def rhi_words(self) -> str:
        """The interview's state in plain words."""
        if self.rhi_status is not None:
            words = RHI_WORDS[self.rhi_status]
            if self.rhi_status == RhiStatus.NOT_DONE and self.rhi_note:
                words += f": {self.rhi_note}"
            elif self.rhi_at is not None:
                words += f" ({show_moment(self.rhi_at)})"
            return words
        if self.rhi_deadline is None:
            return "Not due yet: the child has not returned"
        return f"To offer by {show_moment(self.rhi_deadline)}"


class DueKind(StrEnum):
    """Why a child's next screening is due."""

    REVIEW = "review"
    AFTER_EPISODE = "after_episode"


@dataclass(frozen=True)
class DueItem:
    """A child's next screening: when it is due and why."""

    child_id: int
    child_name: str
    kind: DueKind
    due: date
    reason: str
    #: The child's last finalised screening (None if never screened).
    last_screening_id: int | None
    last_level: str | None

    def overdue(self, today: date) -> bool:
        """Whether the due date has passed."""
        return self.due < today

    def words(self, today: date) -> str:
        """When it is due, in words (overdue is said, not only coloured)."""
        days = (self.due - today).days
        if days < 0:
            return f"Overdue by {-days} day{'s' if days != -1 else ''}"
        if days == 0:
            return "Due today"
        return f"Due in {days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class CarriedAnswerInfo:
    """An answer a re-screen took over from the previous screening."""

    question_id: str
    previous: Any
    current: Any
    confirmed: bool

    @property
    def changed(self) -> bool:
        """Whether the answer now differs from last time."""
        return bool(self.current != self.previous)


@dataclass(frozen=True)
class RescreenInfo:
    """How a draft compares with the child's last screening: the level then, and each
    answer carried over (to be confirmed before finalising)."""

    screening_id: int
    #: The child's last finalised screening before this one (None for a first screening).
    previous_id: int | None
    previous_date: date | None
    previous_level: str | None
    carried: list[CarriedAnswerInfo]

    @property
    def unconfirmed(self) -> list[str]:
        """Questions whose carried-over answer is not confirmed yet."""
        return [c.question_id for c in self.carried if not c.confirmed]


class ChronologyKind(StrEnum):
    """What a chronology entry records (the filter's choices)."""

    SCREENING = "screening"
    OVERRIDE = "override"
    REFERRAL = "referral"
    EPISODE = "episode"
    RHI = "rhi"


CHRONOLOGY_WORDS = {ChronologyKind.SCREENING: "Screening", ChronologyKind.OVERRIDE:
                    "Professional judgement", ChronologyKind.REFERRAL: "Referral",
                    ChronologyKind.EPISODE: "Missing episode",
                    ChronologyKind.RHI: "Return Home Interview"}


@dataclass(frozen=True)
class ChronologyEntry:
    """One dated event in a child's chronology, already in words."""

    when: datetime
    kind: ChronologyKind
    title: str
    detail: str = ""
    #: What the entry is about, e.g. ``screening:12`` (for opening it from the timeline).
    ref: str = ""
