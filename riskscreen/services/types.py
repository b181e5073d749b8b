"""Plain data objects the services return (no database session ever leaves the services)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from riskscreen.scoring.assessment import Assessment

__all__ = [
    "AnswerValue",
    "ChildInfo",
    "ChildRecord",
    "Countersignature",
    "ModelInfo",
    "OverrideRequest",
    "Page",
    "Role",
    "ScreeningDetail",
    "ScreeningQuery",
    "ScreeningRow",
    "Status",
    "UserInfo",
    "VerifyReport",
]


class Role(StrEnum):
    """An account's role; the value is the text stored in the database."""

    PRACTITIONER = "practitioner"
    MANAGER = "manager"
    ADMINISTRATOR = "administrator"


class Status(StrEnum):
    """A screening's state; the value is the text stored in the database."""

    DRAFT = "draft"
    FINAL = "final"


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
    updated_at: str
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
    saved_at: str


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
    #: When it was finalised (ISO 8601 UTC), for a finalised screening.
    finalised_at: str | None = None


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
    published_at: str
    change_note: str


@dataclass(frozen=True)
class Countersignature:
    """A second person's account name and passphrase, typed by them, approving an account
    change that gives access to screenings (see :meth:`Session.create_user`)."""

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
