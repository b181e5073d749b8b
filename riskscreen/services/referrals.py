"""Referrals as records: what happened after a screening was finalised (``session.referrals``).

Finalising a screening makes its referral to the routed destination, "to send", or records a
decision not to refer when the route makes none (universal services). Then a referral moves
through sent (how, by whom, when) -> received -> accepted or declined (why) -> closed with its
outcomes (``resources/outcomes.yaml``). Each referral also keeps dated answers to
"exploitation confirmed?" with their source: the ground truth that calibrating the scoring
model needs (:meth:`ReferralManager.confirmations`).

Deadlines are the route's, in working days (Monday to Friday): sending within
``send_within_days`` of finalising, a decision within ``decision_within_days`` of sending. They
are copied into the referral when it is made, so editing the routing later changes no past
deadline. :meth:`Referral.overdue` names a step past its deadline.

Roles: a practitioner acts on the referrals of the screenings they made, a manager on every
referral, an administrator on none. Every change is audited (ids and vocabulary only: no
reason or detail text goes into the audit log).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.dates import day, moment, show_date
from riskscreen.definitions import DefinitionError
from riskscreen.routing import RoutingError, RoutingTable, load_routing, parse_routing, route
from riskscreen.routing.outcomes import OutcomeVocabulary, load_outcomes
from riskscreen.scoring.assessment import Assessment
from riskscreen.services.context import Context
from riskscreen.services.errors import NotFound, PermissionDenied, ServiceError
from riskscreen.services.types import (
    Confirmation,
    ConfirmationRecord,
    Referral,
    ReferralDecision,
    ReferralOutcome,
    ReferralStatus,
    ReferralStep,
    Role,
    SendMethod,
    Status,
    StepKind,
)
from riskscreen.store.models import (
    AssessmentRow,
    InstrumentRow,
    Meta,
    ReferralRow,
    ReferralStepRow,
    Screening,
    User,
    utc_now,
)

__all__ = ["MAX_REASON", "ReferralManager", "working_day"]

_log = logging.getLogger(__name__)
#: The longest reason, detail or decline text accepted, in characters.
MAX_REASON = 2000
#: How far ahead of this computer's clock a step may be dated (clocks differ a little).
_CLOCK_SLACK = timedelta(minutes=10)
_ROLES = (Role.PRACTITIONER, Role.MANAGER)
NO_REFERRAL_REASON = ("The route for this level makes no referral: universal services and "
                      "advice (the routing table's decision).")


def working_day(start: date, days: int) -> date:
    """The day ``days`` working days (Monday to Friday) after ``start``; 0 is ``start`` itself,
    or the next working day when ``start`` falls at a weekend.

    >>> working_day(date(2026, 12, 4), 1)   # a Friday
    datetime.date(2026, 12, 7)
    >>> working_day(date(2026, 12, 5), 0)   # a Saturday
    datetime.date(2026, 12, 7)
    """
    day = np.busday_offset(np.datetime64(start, "D"), days, roll="forward")
    return date.fromisoformat(str(day))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _moment(text: str | None) -> datetime | None:
    return moment(text) if text else None


def _when(at: datetime | date | None) -> datetime:
    """When a step happened: now, or the moment given (a day alone counts as noon, local
    time, or as now when it is today)."""
    now = datetime.now(UTC)
    if at is None:
        return now
    if not isinstance(at, datetime):
        if at == now.astimezone().date():
            return now
        at = datetime.combine(at, time(12))
    if at.tzinfo is None:
        at = at.astimezone()
    if at > now + _CLOCK_SLACK:
        raise ServiceError("That date is in the future; record a step once it has happened.")
    return at.astimezone(UTC)


def _text(value: str | None, what: str, *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise ServiceError(f"Say {what}; it is needed for this step.")
        return None
    if len(text) > MAX_REASON:
        raise ServiceError(f"Not saved: {what} is longer than {MAX_REASON} characters. "
                           "Shorten it and try again.")
    return text


#: Which statuses each step may follow.
_FROM: dict[StepKind, tuple[ReferralStatus, ...]] = {
    StepKind.NOT_REFERRED: (ReferralStatus.TO_SEND,),
    StepKind.SENT: (ReferralStatus.TO_SEND,),
    StepKind.RECEIVED: (ReferralStatus.SENT,),
    StepKind.ACCEPTED: (ReferralStatus.SENT, ReferralStatus.RECEIVED),
    StepKind.DECLINED: (ReferralStatus.SENT, ReferralStatus.RECEIVED),
    StepKind.OUTCOME: (ReferralStatus.SENT, ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED,
                       ReferralStatus.DECLINED),
    StepKind.CLOSED: (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED),
}
_STEP_WORDS = {
    StepKind.NOT_REFERRED: "recorded as not referred", StepKind.SENT: "marked as sent",
    StepKind.RECEIVED: "marked as received", StepKind.ACCEPTED: "marked as accepted",
    StepKind.DECLINED: "marked as declined", StepKind.OUTCOME: "given an outcome",
    StepKind.CLOSED: "closed",
}
_NEXT = {
    ReferralStatus.TO_SEND: "mark it as sent, or record a decision not to refer",
    ReferralStatus.SENT: "mark it as received, accepted or declined",
    ReferralStatus.RECEIVED: "mark it as accepted or declined",
    ReferralStatus.ACCEPTED: "record its outcomes, then close it",
    ReferralStatus.DECLINED: "record its outcomes, then close it",
    ReferralStatus.CLOSED: "it is closed; only \"exploitation confirmed?\" can still be "
                           "answered",
    ReferralStatus.NOT_REFERRED: "no referral was made; only \"exploitation confirmed?\" "
                                 "can still be answered",
}


class ReferralManager:
    """Referral records of one signed-in session (``session.referrals``)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._routing: dict[str, RoutingTable] = {}

    # -- reading -------------------------------------------------------------------------------

    @property
    def vocabulary(self) -> OutcomeVocabulary:
        """The outcomes and confirmation sources on offer (``resources/outcomes.yaml``)."""
        return load_outcomes()

    def get(self, referral_id: int) -> Referral:
        """One referral with its whole history (a recorded view)."""
        self._ctx.require(*_ROLES)
        with self._ctx.transaction() as s:
            row = self._row(s, referral_id)
            self._ctx.audit(s, "view", f"referral:{row.id}")
            return self._build(s, [row])[0]

    def for_screening(self, screening_id: int) -> Referral | None:
        """The referral of a screening (None if it has none, for example a draft)."""
        self._ctx.require(*_ROLES)
        with self._ctx.transaction() as s:
            row = s.scalar(select(ReferralRow).where(ReferralRow.screening_id == screening_id))
            if row is None or not self._may_see(row):
                return None
            return self._build(s, [row])[0]

    def for_child(self, child_id: int) -> list[Referral]:
        """A child's referrals this user may see, oldest first (for the chronology)."""
        self._ctx.require(*_ROLES)
        with self._ctx.transaction() as s:
            query = select(ReferralRow).where(ReferralRow.child_id == child_id)
            return self._build(s, list(s.scalars(self._mine(query).order_by(ReferralRow.id))))

    def find(self, *, overdue_only: bool = False, open_only: bool = False,
             today: date | None = None) -> list[Referral]:
        """The referrals this user may see, newest first; only those past a deadline on
        ``today`` (default: today) with ``overdue_only``, only those not closed with
        ``open_only``."""
        self._ctx.require(*_ROLES)
        today = today or date.today()
        with self._ctx.transaction() as s:
            query = select(ReferralRow)
            if overdue_only or open_only:
                query = query.where(ReferralRow.status.notin_(
                    (ReferralStatus.CLOSED, ReferralStatus.NOT_REFERRED)))
            rows = list(s.scalars(self._mine(query).order_by(ReferralRow.id.desc())))
            found = self._build(s, rows)
        if overdue_only:
            found = [r for r in found if r.overdue(today) is not None]
        return found

    def confirmations(self, screening_ids: Iterable[int] | None = None
                      ) -> dict[int, ConfirmationRecord]:
        """Screening id -> its latest answer to "exploitation confirmed?" (by the date it
        was given), for every referral this user may see (or only ``screening_ids``)."""
        self._ctx.require(*_ROLES)
        wanted = None if screening_ids is None else set(screening_ids)
        out: dict[int, ConfirmationRecord] = {}
        with self._ctx.transaction() as s:
            for step, screening_id, by in s.execute(self._confirmation_steps(
                    ReferralStepRow, ReferralRow.screening_id, User.name)):
                if wanted is not None and screening_id not in wanted:
                    continue
                out[screening_id] = self._confirmation(step, screening_id, by)
        return out

    def confirmed_answers(self, s: OrmSession | None = None) -> dict[int, Confirmation]:
        """Screening id -> its latest answer to "exploitation confirmed?", as
        :meth:`confirmations` gives it, for every referral this user may see; only the
        answers, for the calibration over every child with an outcome. Read in ``s`` when
        given (the calibration's snapshot), else in a transaction of its own.

        Read as plain values: loading tens of thousands of steps as records made the cycle
        collector walk them again and again, holding the interpreter (and so the window)
        for 100 ms at a time."""
        self._ctx.require(*_ROLES)
        if s is None:
            with self._ctx.transaction() as own:
                return self.confirmed_answers(own)
        out: dict[int, Confirmation] = {}
        for screening_id, answer in s.execute(self._confirmation_steps(
                ReferralRow.screening_id, ReferralStepRow.answer)):
            out[int(screening_id)] = Confirmation(answer or Confirmation.NOT_KNOWN)
        return out

    def _confirmation_steps(self, *columns: Any) -> Any:
        """``columns`` of every "exploitation confirmed?" step this user may see, in the
        order given (so a later answer replaces an earlier one)."""
        query = (select(*columns)
                 .join_from(ReferralStepRow, ReferralRow,
                            ReferralRow.id == ReferralStepRow.referral_id)
                 .join(User, User.id == ReferralStepRow.recorded_by)
                 .where(ReferralStepRow.kind == StepKind.CONFIRMATION))
        return self._mine(query).order_by(ReferralStepRow.at, ReferralStepRow.id)

    # -- finalising ----------------------------------------------------------------------------

    def record_on_finalise(self, s: OrmSession, screening_id: int,
                           assessment: Assessment) -> int | None:
        """Make the referral of a screening being finalised, in the caller's transaction
        ``s`` (the screenings manager calls this); returns its id (None when its instrument
        has no routing table to follow)."""
        screening = s.get(Screening, screening_id)
        if screening is None:
            raise NotFound("There is no such screening.")
        try:
            return self._create(s, screening, assessment, datetime.now(UTC))
        except ServiceError as error:
            # Finalising never fails for want of a route: the referral page offers to make
            # the record, and says then what is missing.
            _log.warning("No referral record was made at finalising (%s).",
                         type(error).__name__)
            return None

    def record_for(self, screening_id: int) -> Referral:
        """The referral of a finalised screening that has none yet (one finalised before
        referrals were recorded), made from the routing in force today."""
        self._ctx.require(*_ROLES)
        with self._ctx.transaction() as s:
            screening = s.get(Screening, screening_id)
            if screening is None or not self._may_act_on(screening.practitioner_id):
                raise NotFound("There is no such screening, or it is not yours to refer.")
            if screening.status != Status.FINAL:
                raise ServiceError("Only a finalised screening is referred; finalise it "
                                   "first.")
            existing = s.scalar(select(ReferralRow).where(
                ReferralRow.screening_id == screening_id))
            if existing is not None:
                return self._build(s, [existing])[0]
            snap = s.get(AssessmentRow, screening_id)
            if snap is None:
                raise NotFound("The finalised record of this screening is missing; run "
                               "'riskscreen verify'.")
            from riskscreen.store.integrity import stored_record
            from riskscreen.store.records import read_dictionaries

            snapshot, _ = stored_record(read_dictionaries(s.connection()), snap.dictionary_id,
                                        snap.record)
            assessment = Assessment.from_dict(json.loads(snapshot))
            finalised = _moment(snap.finalised_at) or datetime.now(UTC)
            referral_id = self._create(s, screening, assessment, finalised)
            row = s.get(ReferralRow, referral_id)
            assert row is not None
            return self._build(s, [row])[0]

    def _create(self, s: OrmSession, screening: Screening, assessment: Assessment,
                finalised: datetime) -> int:
        table = self._routing_for(s, screening.form_id)
        try:
            way = route(assessment, table)
        except RoutingError:
            raise ServiceError(f"The routing table '{table.id}' has no route for the level "
                               f"'{assessment.final_level}'; an administrator must add one "
                               "before this referral can be recorded.") from None
        now = utc_now()
        refer = way.refer
        row = ReferralRow(
            screening_id=screening.id, child_id=screening.child_id,
            practitioner_id=screening.practitioner_id,
            decision=ReferralDecision.REFER if refer else ReferralDecision.NOT_REFER,
            status=ReferralStatus.TO_SEND if refer else ReferralStatus.NOT_REFERRED,
            level=way.level, pathway=way.pathway, destination_id=way.destination.id,
            destination_name=way.destination.name, deadline=way.deadline,
            send_within_days=way.send_within_days if refer else None,
            decision_within_days=way.decision_within_days if refer else None,
            send_due=(working_day(finalised.astimezone().date(), way.send_within_days)
                      .isoformat() if refer else None),
            created_at=now, updated_at=now,
            closed_at=None if refer else now)
        s.add(row)
        s.flush()
        at = _stamp(finalised)
        s.add(ReferralStepRow(referral_id=row.id, kind=StepKind.CREATED, at=at,
                              recorded_at=now, recorded_by=self._ctx.user.id))
        if not refer:
            s.add(ReferralStepRow(referral_id=row.id, kind=StepKind.NOT_REFERRED, at=at,
                                  recorded_at=now, recorded_by=self._ctx.user.id,
                                  reason=NO_REFERRAL_REASON))
        self._ctx.audit(s, "referral_create", f"referral:{row.id}",
                         {"screening": screening.id, "decision": row.decision,
                          "destination": way.destination.id})
        if screening.amendment_of is not None:
            self._replace_unsent(s, screening.amendment_of, screening.id, at, now)
        return row.id

    def _replace_unsent(self, s: OrmSession, earlier_id: int, amendment_id: int, at: str,
                        now: str) -> None:
        """An amendment's referral replaces the earlier one if that was never sent (one
        already sent stays, for its team's decision: the amended summary says what it
        replaces)."""
        earlier = s.scalar(select(ReferralRow).where(ReferralRow.screening_id == earlier_id))
        if earlier is None or earlier.status != ReferralStatus.TO_SEND:
            return
        earlier.status = ReferralStatus.NOT_REFERRED
        earlier.decision = ReferralDecision.NOT_REFER
        earlier.closed_at = earlier.updated_at = now
        s.add(ReferralStepRow(referral_id=earlier.id, kind=StepKind.NOT_REFERRED, at=at,
                              recorded_at=now, recorded_by=self._ctx.user.id,
                              reason=f"Replaced by the referral of the amended screening "
                                     f"{amendment_id}, before it was sent."))
        self._ctx.audit(s, "referral_not_referred", f"referral:{earlier.id}",
                         {"step": StepKind.NOT_REFERRED.value, "amendment": amendment_id})

    def _routing_for(self, s: OrmSession, form_id: str) -> RoutingTable:
        """The routing of an instrument's screenings, as the referral summary uses it
        (:func:`riskscreen.services.referral.instrument_routing`), read in transaction ``s``:
        the contacts an administrator saved when they are for this form, else the routing
        installed with the instrument, else its shipped table."""
        stored = s.get(Meta, "setting.routing_yaml")
        saved = stored.value if stored is not None else ""
        table = self._parsed(saved, "routing (settings)") if saved else load_routing()
        if table.form == form_id:
            return table
        row = s.get(InstrumentRow, form_id)
        if row is not None and row.routing_yaml:
            return self._parsed(row.routing_yaml, f"routing of the instrument {form_id}")
        from riskscreen.instruments import load_instrument

        try:
            return load_instrument(form_id).routing
        except DefinitionError:
            raise ServiceError(f"The instrument '{form_id}' has no routing table in this "
                               "database; install it again with its routing.yaml.") from None

    def _parsed(self, text: str, name: str) -> RoutingTable:
        """A routing table from its YAML, parsed once per text."""
        found = self._routing.get(text)
        if found is None:
            found = self._routing[text] = parse_routing(text, name)
        return found

    # -- steps ---------------------------------------------------------------------------------

    def mark_not_referred(self, referral_id: int, reason: str,
                          at: datetime | date | None = None) -> Referral:
        """Record a decision not to send the referral, with its reason (for example "already
        open to the CSE team")."""
        why = _text(reason, "why it is not being referred", required=True)
        return self._step(referral_id, StepKind.NOT_REFERRED, at, ReferralStatus.NOT_REFERRED,
                          reason=why)

    def mark_sent(self, referral_id: int, method: SendMethod | str,
                  at: datetime | date | None = None) -> Referral:
        """Record that the referral was sent, how (printed, secure email, exchange package)
        and when; the receiving team's decision is due by the route's deadline from then."""
        try:
            how = SendMethod(method)
        except ValueError:
            raise ServiceError("Say how it was sent: " + ", ".join(m.words for m in SendMethod)
                               + ".") from None
        return self._step(referral_id, StepKind.SENT, at, ReferralStatus.SENT, method=how)

    def mark_received(self, referral_id: int, at: datetime | date | None = None) -> Referral:
        """Record that the receiving team has the referral."""
        return self._step(referral_id, StepKind.RECEIVED, at, ReferralStatus.RECEIVED)

    def mark_accepted(self, referral_id: int, at: datetime | date | None = None) -> Referral:
        """Record that the receiving team accepted the referral."""
        return self._step(referral_id, StepKind.ACCEPTED, at, ReferralStatus.ACCEPTED)

    def mark_declined(self, referral_id: int, reason: str,
                      at: datetime | date | None = None) -> Referral:
        """Record that the receiving team declined the referral, and the reason they gave."""
        why = _text(reason, "the reason the team gave", required=True)
        return self._step(referral_id, StepKind.DECLINED, at, ReferralStatus.DECLINED,
                          reason=why)

    def add_outcome(self, referral_id: int, outcome_id: str, detail: str | None = None,
                    at: datetime | date | None = None, *, close: bool = False) -> Referral:
        """Record one outcome (an id of ``resources/outcomes.yaml``), with its detail where the
        outcome asks for one; ``close`` then closes the referral."""
        vocabulary = self.vocabulary
        try:
            outcome = vocabulary.outcome(outcome_id)
        except KeyError:
            offered = ", ".join(o.id for o in vocabulary.outcomes if not o.retired)
            raise ServiceError(f"There is no outcome '{outcome_id}'; use one of: "
                               f"{offered}.") from None
        if outcome.retired:
            raise ServiceError(f"The outcome '{outcome_id}' is no longer used; choose another.")
        text = None
        if outcome.detail is not None:
            text = _text(detail, outcome.detail.lower(), required=outcome.detail_required)
        elif (detail or "").strip():
            raise ServiceError(f"The outcome '{outcome.label}' takes no detail; leave it out.")
        referral = self._step(referral_id, StepKind.OUTCOME, at, None, outcome_id=outcome.id,
                              detail=text)
        return self.close(referral_id, at) if close else referral

    def close(self, referral_id: int, at: datetime | date | None = None) -> Referral:
        """Close an accepted or declined referral that has at least one outcome."""
        return self._step(referral_id, StepKind.CLOSED, at, ReferralStatus.CLOSED)

    def confirm(self, referral_id: int, answer: Confirmation | str, source_id: str,
                at: datetime | date | None = None) -> Referral:
        """Record a dated answer to "exploitation confirmed?" and where it came from (a
        strategy discussion, the CSE team's assessment, the police, an NRM decision). A later
        answer replaces an earlier one as the current answer; both are kept."""
        try:
            value = Confirmation(answer)
        except ValueError:
            raise ServiceError("Answer \"exploitation confirmed?\" with confirmed, not "
                               "confirmed or not known yet.") from None
        vocabulary = self.vocabulary
        try:
            source = vocabulary.source(source_id)
        except KeyError:
            offered = ", ".join(x.id for x in vocabulary.confirmation_sources if not x.retired)
            raise ServiceError(f"There is no source '{source_id}'; use one of: "
                               f"{offered}.") from None
        return self._step(referral_id, StepKind.CONFIRMATION, at, None, answer=value,
                          source_id=source.id)

    def _step(self, referral_id: int, kind: StepKind, at: datetime | date | None,
              status: ReferralStatus | None, **fields: Any) -> Referral:
        self._ctx.require(*_ROLES)
        when = _when(at)
        with self._ctx.transaction() as s:
            row = self._row(s, referral_id)
            if not self._may_act_on(row.practitioner_id):
                raise PermissionDenied("Only the practitioner who made the screening, or a "
                                       "manager, can record this referral's steps.")
            current = ReferralStatus(row.status)
            allowed = _FROM.get(kind)
            if allowed is not None and current not in allowed:
                raise ServiceError(f"This referral is {current.words.lower()}, so it cannot "
                                   f"be {_STEP_WORDS[kind]} now: {_NEXT[current]}.")
            if kind == StepKind.CLOSED and not s.scalar(select(ReferralStepRow.id).where(
                    ReferralStepRow.referral_id == row.id,
                    ReferralStepRow.kind == StepKind.OUTCOME).limit(1)):
                raise ServiceError("Record at least one outcome before closing the referral.")
            self._check_order(s, row, kind, when)
            stamp = _stamp(when)
            now = utc_now()
            s.add(ReferralStepRow(referral_id=row.id, kind=kind, at=stamp, recorded_at=now,
                                  recorded_by=self._ctx.user.id, **{
                                      k: (str(v) if v is not None else None)
                                      for k, v in fields.items()}))
            if status is not None:
                row.status = status
            if kind == StepKind.SENT:
                row.sent_at = stamp
                if row.decision_within_days is not None:
                    row.decision_due = working_day(when.astimezone().date(),
                                                   row.decision_within_days).isoformat()
            elif kind in (StepKind.ACCEPTED, StepKind.DECLINED):
                row.decided_at = stamp
            elif kind in (StepKind.CLOSED, StepKind.NOT_REFERRED):
                row.closed_at = stamp
            if kind == StepKind.NOT_REFERRED:
                row.decision = ReferralDecision.NOT_REFER
            row.updated_at = now
            detail: dict[str, Any] = {"step": kind.value}
            for key in ("method", "outcome_id", "answer", "source_id"):
                if fields.get(key) is not None:
                    detail[key.removesuffix("_id")] = str(fields[key])
            self._ctx.audit(s, f"referral_{kind.value}", f"referral:{row.id}", detail)
            s.flush()
            return self._build(s, [row])[0]

    def _check_order(self, s: OrmSession, row: ReferralRow, kind: StepKind,
                     when: datetime) -> None:
        """A step cannot be dated before the step it follows (outcomes and answers after the
        referral was made)."""
        last = s.scalar(select(ReferralStepRow.at).where(
            ReferralStepRow.referral_id == row.id,
            ReferralStepRow.kind.notin_((StepKind.CONFIRMATION, StepKind.OUTCOME)))
            .order_by(ReferralStepRow.at.desc()).limit(1))
        if kind == StepKind.CONFIRMATION:
            last = s.scalar(select(ReferralStepRow.at).where(
                ReferralStepRow.referral_id == row.id, ReferralStepRow.kind == StepKind.CREATED))
        previous = _moment(last)
        if previous is not None and when.date() < previous.date():
            raise ServiceError(f"That date is before the referral's last step "
                               f"({show_date(previous.astimezone())}); check the date.")

    # -- helpers -------------------------------------------------------------------------------

    def _may_act_on(self, practitioner_id: int) -> bool:
        user = self._ctx.user
        return user.role == Role.MANAGER or (user.role == Role.PRACTITIONER
                                             and practitioner_id == user.id)

    def _may_see(self, row: ReferralRow) -> bool:
        return self._may_act_on(row.practitioner_id)

    def _mine(self, query: Any) -> Any:
        """``query`` limited to the referrals this user may see."""
        if self._ctx.user.role == Role.PRACTITIONER:
            return query.where(ReferralRow.practitioner_id == self._ctx.user.id)
        return query

    def _row(self, s: OrmSession, referral_id: int) -> ReferralRow:
        row = s.get(ReferralRow, referral_id)
        if row is None or not self._may_see(row):
            raise NotFound("There is no such referral, or it is not yours to see.")
        return row

    def _confirmation(self, step: ReferralStepRow, screening_id: int,
                      by: str) -> ConfirmationRecord:
        source = step.source_id or ""
        when = _moment(step.at) or datetime.now(UTC)
        return ConfirmationRecord(screening_id, step.referral_id,
                                  Confirmation(step.answer or Confirmation.NOT_KNOWN), source,
                                  self.vocabulary.source_label(source),
                                  when.astimezone().date(), by)

    def _build(self, s: OrmSession, rows: list[ReferralRow]) -> list[Referral]:
        """The referral objects of ``rows`` with their steps, in the order given."""
        if not rows:
            return []
        ids = [r.id for r in rows]
        steps: dict[int, list[ReferralStepRow]] = defaultdict(list)
        for chunk in _chunks(ids, 500):
            for step in s.scalars(select(ReferralStepRow).where(
                    ReferralStepRow.referral_id.in_(chunk)).order_by(ReferralStepRow.id)):
                steps[step.referral_id].append(step)
        user_ids = {r.practitioner_id for r in rows} | {
            st.recorded_by for group in steps.values() for st in group}
        names = {uid: (display or name) for uid, name, display in s.execute(
            select(User.id, User.name, User.display_name).where(User.id.in_(user_ids)))}
        vocabulary = self.vocabulary
        out = []
        for row in rows:
            history = [self._step_of(st, names, vocabulary) for st in steps[row.id]]
            outcomes = [ReferralOutcome(h.outcome_id or "", h.outcome or "", h.detail,
                                        h.at.astimezone().date(), h.by)
                        for h in history if h.kind == StepKind.OUTCOME]
            confirmations = sorted((st for st in steps[row.id]
                                    if st.kind == StepKind.CONFIRMATION),
                                   key=lambda st: (st.at, st.id))
            sent = next((h for h in reversed(history) if h.kind == StepKind.SENT), None)
            decided = next((h for h in reversed(history)
                            if h.kind in (StepKind.ACCEPTED, StepKind.DECLINED)), None)
            received = next((h for h in reversed(history) if h.kind == StepKind.RECEIVED),
                            None)
            not_referred = next((h for h in reversed(history)
                                 if h.kind == StepKind.NOT_REFERRED), None)
            out.append(Referral(
                id=row.id, screening_id=row.screening_id, child_id=row.child_id,
                practitioner=names.get(row.practitioner_id, "?"),
                decision=ReferralDecision(row.decision), status=ReferralStatus(row.status),
                level=row.level, pathway=row.pathway, destination_id=row.destination_id,
                destination_name=row.destination_name, deadline=row.deadline,
                created_at=_moment(row.created_at) or datetime.now(UTC),
                send_due=day(row.send_due), decision_due=day(row.decision_due),
                sent_at=_moment(row.sent_at),
                sent_method=sent.method if sent is not None else None,
                sent_by=sent.by if sent is not None else None,
                received_at=received.at if received is not None else None,
                decided_at=_moment(row.decided_at),
                decline_reason=(decided.reason if decided is not None
                                and decided.kind == StepKind.DECLINED else None),
                not_referred_reason=not_referred.reason if not_referred else None,
                closed_at=_moment(row.closed_at), outcomes=outcomes,
                confirmation=(self._confirmation(confirmations[-1], row.screening_id,
                                                 names.get(confirmations[-1].recorded_by, "?"))
                              if confirmations else None),
                steps=history))
        return out

    @staticmethod
    def _step_of(st: ReferralStepRow, names: Mapping[int, str],
                 vocabulary: OutcomeVocabulary) -> ReferralStep:
        return ReferralStep(
            id=st.id, kind=StepKind(st.kind), at=_moment(st.at) or datetime.now(UTC),
            recorded_at=_moment(st.recorded_at) or datetime.now(UTC),
            by=names.get(st.recorded_by, "?"),
            method=SendMethod(st.method) if st.method else None, reason=st.reason,
            outcome_id=st.outcome_id,
            outcome=vocabulary.outcome_label(st.outcome_id) if st.outcome_id else None,
            detail=st.detail, answer=Confirmation(st.answer) if st.answer else None,
            source_id=st.source_id,
            source=vocabulary.source_label(st.source_id) if st.source_id else None)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
