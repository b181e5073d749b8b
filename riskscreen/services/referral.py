"""The referral summary of a stored screening: one use case for the app and the CLI.

The summary uses the settings an administrator keeps in the database (protective marking,
organisation name, edited routing contacts) and falls back to the shipped routing table.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.model import FormDefinition
from riskscreen.routing import RoutingTable, load_routing, route
from riskscreen.routing.loader import parse_routing
from riskscreen.services.errors import NotFound, PermissionDenied, ServiceError
from riskscreen.services.types import ScreeningDetail
from riskscreen.summary import (
    DEFAULT_MARKING,
    Amendment,
    ReferralSummary,
    Referrer,
    build_summary,
)

if TYPE_CHECKING:
    from riskscreen.services.accounts import AccountManager
    from riskscreen.services.context import Context
    from riskscreen.services.instruments import InstrumentManager
    from riskscreen.services.models import ModelManager
    from riskscreen.services.screenings import ScreeningManager
    from riskscreen.services.session import Session
    from riskscreen.services.settings import SettingsManager

__all__ = ["ReferralSummaries", "amended_referral", "answer_set_of", "referral_reference",
           "referral_summary", "routing_in_force"]


def answer_set_of(detail: ScreeningDetail) -> AnswerSet:
    """The answer set of a stored screening as the core takes it."""
    evidence: dict[str, Any] = {qid: a.evidence for qid, a in detail.answers.items()
                                if a.evidence}
    return AnswerSet.model_validate({
        "form": detail.form_id, "form_version": detail.form_version,
        "screening_date": detail.row.screening_date,
        "answers": {qid: a.value for qid, a in detail.answers.items()},
        "evidence": evidence})


def referral_reference(detail: ScreeningDetail) -> str:
    """``RS-YYYYMMDD-NNNNNN``: the screening date and its number, no personal data."""
    return _reference(detail.row.screening_date, detail.row.id)


def _reference(screening_date: date, screening_id: int) -> str:
    return f"RS-{screening_date:%Y%m%d}-{screening_id:06d}"


def routing_in_force(settings: dict[str, str]) -> RoutingTable:
    """The routing contacts an administrator saved, else the shipped table."""
    stored = settings.get("routing_yaml", "")
    return parse_routing(stored, "routing (settings)") if stored else load_routing()


class ReferralSummaries:
    """Referral summaries of finalised screenings (``session.summaries``), routed by the
    routing in force and marked with the settings an administrator keeps."""

    def __init__(self, ctx: Context, *, screenings: ScreeningManager,
                 settings: SettingsManager, instruments: InstrumentManager,
                 accounts: AccountManager, models: ModelManager) -> None:
        self._ctx = ctx
        self._screenings = screenings
        self._settings = settings
        self._instruments = instruments
        self._accounts = accounts
        self._models = models

    def routing(self, form_id: str) -> RoutingTable:
        """The routing of an instrument's screenings (the saved contacts when they are for
        its form, else its installed or shipped routing)."""
        return self._instruments.routing(form_id)

    def summary(self, detail: ScreeningDetail, form: FormDefinition,
                generated_at: datetime | None = None) -> ReferralSummary:
        """The referral summary of a finalised screening, routed by the routing in force."""
        if detail.assessment is None:
            raise ServiceError("Only a finalised screening has a referral summary; finalise "
                               "it first.")
        settings = self._settings.read()
        table = self.routing(detail.form_id)
        user = self._ctx.user
        override = detail.assessment.override
        people = self._accounts.display_names(
            [override.by, override.countersigned_by or ""] if override is not None else [])
        return build_summary(
            form, answer_set_of(detail), detail.assessment,
            route(detail.assessment, table, form.kind_roles()),
            reference=referral_reference(detail),
            generated_at=generated_at or datetime.now().astimezone(),
            marking=settings.get("protective_marking") or DEFAULT_MARKING,
            referrer=Referrer(name=user.display_name or user.name),
            organisation=settings.get("organisation_name", ""),
            fields=table.summary_fields, concern_labels=table.concerns, people=people,
            amends=self.amended(detail),
            model=self._models.get(detail.assessment.model.sha256))

    def amended(self, detail: ScreeningDetail) -> Amendment | None:
        """The earlier referral an amendment replaces: its reference, when it was finalised,
        why.

        If the earlier screening cannot be opened by this user, its reference is still known
        (an amendment keeps the screening date), only the date it was finalised is left out.
        """
        earlier_id = detail.row.amendment_of
        if earlier_id is None:
            return None
        reason = detail.amendment_reason or ""
        try:
            earlier = self._screenings.open(earlier_id)
        except (NotFound, PermissionDenied):
            return Amendment(_reference(detail.row.screening_date, earlier_id), None, reason)
        finalised = earlier.finalised_at.date() if earlier.finalised_at else None
        return Amendment(referral_reference(earlier), finalised, reason)


def instrument_routing(session: Session, form_id: str) -> RoutingTable:
    """The routing of an instrument's screenings (see :meth:`ReferralSummaries.routing`)."""
    return session.summaries.routing(form_id)


def referral_summary(session: Session, detail: ScreeningDetail, form: FormDefinition,
                     generated_at: datetime | None = None) -> ReferralSummary:
    """The referral summary of a finalised screening (see :meth:`ReferralSummaries.summary`)."""
    return session.summaries.summary(detail, form, generated_at)


def amended_referral(session: Session, detail: ScreeningDetail) -> Amendment | None:
    """The earlier referral an amendment replaces (see :meth:`ReferralSummaries.amended`)."""
    return session.summaries.amended(detail)
