"""The routing table format: where a screening at each level is sent, as frozen pydantic models.

A routing table is data (``forms/<instrument>/routing.yaml``, ``kind: routing``). It names the
destinations (teams with their contact details), and for each risk level the pathway, the
destination (optionally chosen by the main kind of concern), the next step and its deadline.
It also holds ``summary_fields``: which form questions the referral summary reads, so that no
question id is typed anywhere else. Cross-node checks live in :mod:`riskscreen.routing.loader`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from cryptography.x509 import Certificate
from pydantic import BaseModel, ConfigDict, Field, field_validator

from riskscreen.crypto.exchange import (
    ExchangeError,
    check_certificate,
    fingerprint,
    load_certificate,
)
from riskscreen.definitions import hinted

__all__ = [
    "Destination",
    "LevelRoute",
    "RoutingTable",
    "SummaryFields",
]

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SEMVER_PATTERN = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ]{6,}[0-9]$")

class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_id(value: str, what: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(hinted(f"{what} id {value!r} is not valid",
                                "use lower-case letters, digits and underscores"))
    return value


class Destination(_Strict):
    """A team a referral can be sent to, with how to reach it."""

    id: str
    name: str = Field(min_length=1, description="Team name as the referrer should address it.")
    service: str = Field(min_length=1, description="What the team does, in a sentence.")
    address: list[str] = Field(min_length=1, description="Postal address, one line per item.")
    secure_email: str = Field(description="Secure email address for referrals.")
    phone: str
    referral_hours: str = Field(min_length=1, description="When referrals are taken.")
    out_of_hours: str | None = Field(
        default=None, description="What to do outside the referral hours.")
    exchange_certificate: str | None = Field(
        default=None,
        description="The team's exchange certificate (PEM): referral packages to this team "
                    "are encrypted to it. Made by 'riskscreen keys new-team'.")

    _v_id = field_validator("id")(lambda v: _check_id(v, "destination"))

    @field_validator("exchange_certificate")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            check_certificate(load_certificate(value), what="exchange certificate")
        except ExchangeError as error:
            raise ValueError(hinted(str(error).split("; ")[0],
                                    "paste the team's current team.cert.pem here, or leave "
                                    "exchange_certificate out")) from None
        return value

    def certificate(self) -> Certificate | None:
        """The exchange certificate, when the destination has one."""
        if self.exchange_certificate is None:
            return None
        return load_certificate(self.exchange_certificate)

    def certificate_words(self) -> str | None:
        """``SHA-256 AB:CD:…, valid until YYYY-MM-DD`` of the exchange certificate."""
        cert = self.certificate()
        if cert is None:
            return None
        return (f"SHA-256 {fingerprint(cert)}, valid until "
                f"{cert.not_valid_after_utc:%Y-%m-%d}")

    @field_validator("secure_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL_PATTERN.match(value):
            raise ValueError(hinted(f"{value!r} is not an email address",
                                    "write it as name@domain"))
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not PHONE_PATTERN.match(value):
            raise ValueError(hinted(f"{value!r} is not a phone number",
                                    "digits and spaces only, for example 0114 496 0123"))
        return value


class LevelRoute(_Strict):
    """Where a screening at one level goes, and what happens next."""

    pathway: str = Field(min_length=1, description="Name of the pathway, e.g. 'Specialist CSE'.")
    destination: str = Field(description="Destination id used when no concern-specific "
                                         "destination applies.")
    by_concern: dict[str, str] = Field(
        default_factory=dict,
        description="Concern tag -> destination id, chosen by the screening's main concern.")
    next_step: str = Field(min_length=1, description="What the referrer and team do next.")
    deadline: str = Field(min_length=1, description="By when, e.g. 'within one working day'.")
    advice: str | None = Field(default=None, description="Advice to give, e.g. on universal "
                                                         "services.")
    refer: bool = Field(default=True, description="Whether finalising makes a referral to the "
                                                  "destination; false records a decision not "
                                                  "to refer (universal services).")
    send_within_days: int = Field(
        default=1, ge=0, le=60,
        description="Working days after finalising by which the referral is sent (0: the "
                    "same day).")
    decision_within_days: int | None = Field(
        default=None, ge=0, le=60,
        description="Working days after sending by which the receiving team decides "
                    "(accepts or declines); none: no deadline is tracked.")


class SummaryFields(_Strict):
    """Which form questions the referral summary reads. A question absent from a form is
    simply left out of the summary."""

    child_name: str | None = "child_name"
    date_of_birth: str | None = "date_of_birth"
    age: str | None = Field(default="age", description="A derived value id of the form.")
    gender: str | None = "gender"
    ethnicity: str | None = "ethnicity"
    case_number: str | None = "case_number"
    nhs_number: str | None = "nhs_number"
    child_address: str | None = "child_address"
    school: str | None = "child_school"
    gp: str | None = "child_gp"
    parent_carer: str | None = "parent_carer_name"
    parent_carer_contact: str | None = "parent_carer_contact"
    practitioner_agency: str | None = "practitioner_agency"
    practitioner_agency_other: str | None = "practitioner_agency_other"
    practitioner_role: str | None = "practitioner_role"
    practitioner_phone: str | None = "practitioner_phone"
    practitioner_email: str | None = "practitioner_email"
    screening_reason: str | None = "screening_reason"
    screening_reason_detail: str | None = "screening_reason_detail"
    child_aware: str | None = "child_aware_of_referral"
    family_aware: str | None = "family_aware_of_referral"
    family_not_told_reason: str | None = "family_not_told_reason"
    consent_to_share: str | None = "consent_to_share"
    consent_given_by: str | None = "consent_given_by"
    sharing_without_consent_reason: str | None = "sharing_without_consent_reason"
    child_spoken_to: str | None = "child_spoken_to"
    who_was_present: str | None = "who_was_present"
    child_views: str | None = "child_views"
    child_wishes: str | None = "child_wishes"
    not_spoken_to_reason: str | None = "not_spoken_to_reason"
    parent_carer_views: str | None = "parent_carer_views"
    practitioner_analysis: str | None = "practitioner_analysis"
    actions_taken: str | None = "actions_taken"

    def question_ids(self) -> dict[str, str]:
        """Role -> question id for every role that names a question (``age`` excluded)."""
        return {k: v for k, v in self.model_dump().items() if v is not None and k != "age"}


class RoutingTable(_Strict):
    """A versioned routing table for one area."""

    kind: Literal["routing"] = "routing"
    id: str
    version: str
    title: str = Field(min_length=1)
    area: str = Field(min_length=1, description="The area whose services are listed.")
    form: str = Field(default="cse-screening",
                      description="Form id whose concern tags and questions this table uses.")
    model: str = Field(default="cse-screening",
                       description="Scoring model id whose level ids this table routes.")
    concerns: dict[str, str] = Field(
        description="Concern tag -> label, in priority order (first wins a tie).")
    levels: dict[str, LevelRoute]
    destinations: list[Destination] = Field(min_length=1)
    summary_fields: SummaryFields = Field(default_factory=SummaryFields)

    @field_validator("id")
    @classmethod
    def _table_id(cls, value: str) -> str:
        if not re.match(r"^[a-z][a-z0-9-]*$", value):
            raise ValueError(hinted(f"routing id {value!r} is not valid",
                                    "use lower-case letters, digits and hyphens"))
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _semver(cls, value: Any) -> str:
        if not isinstance(value, str) or not SEMVER_PATTERN.match(value):
            raise ValueError(hinted(f"version {value!r} is not a semantic version",
                                    'write MAJOR.MINOR.PATCH in quotes, for example "1.0.0"'))
        return value

    def destination(self, destination_id: str) -> Destination:
        """The destination with this id; ``KeyError`` if there is none."""
        for d in self.destinations:
            if d.id == destination_id:
                return d
        raise KeyError(destination_id)

    def concern_label(self, tag: str | None) -> str:
        """Readable label of a concern tag (the tag itself if the table has no label)."""
        if tag is None:
            return ""
        return self.concerns.get(tag, tag.replace("_", " "))
