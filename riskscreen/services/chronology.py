"""A child's chronology: one timeline of screenings, levels and overrides, referrals,
missing episodes and Return Home Interviews.

Reached as ``session.chronology``. Each kind of record is one *source*: a function of a child
id giving :class:`~riskscreen.services.types.ChronologyEntry` values, which checks its own
roles. Screenings and missing episodes are built in; other areas (referrals) add theirs with
:meth:`ChronologyManager.add_source`. The timeline can be filtered by kind and written as a
PDF with the protective marking and "Page X of Y" on every page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.dates import moment, show_date
from riskscreen.scoring.assessment import Assessment
from riskscreen.services.episodes import EpisodeManager
from riskscreen.services.followup_base import (
    SCREENING_ROLES,
    RecordReader,
    UnitOfWork,
    child_for,
)
from riskscreen.services.types import (
    CHRONOLOGY_WORDS,
    RHI_WORDS,
    ChronologyEntry,
    ChronologyKind,
    Referral,
    RhiStatus,
    Role,
    Status,
    StepKind,
)
from riskscreen.store.models import AssessmentRow, Screening, ScreeningReview, User
from riskscreen.summary import DEFAULT_MARKING
from riskscreen.summary.chronology import ChronologyDocument, ChronologyLine, render_chronology
from riskscreen.summary.model import Field

__all__ = ["ChronologyManager", "Source", "referral_source"]

#: A source of entries: a child's id -> that child's entries the signed-in account may see.
Source = Callable[[int], Iterable[ChronologyEntry]]


def _local(utc_text: str) -> datetime:
    """A stored UTC time as local wall-clock time."""
    return moment(utc_text).astimezone().replace(tzinfo=None)


def _naive(entry: ChronologyEntry) -> ChronologyEntry:
    """The entry at local wall-clock time (sources may give aware times)."""
    if entry.when.tzinfo is None:
        return entry
    return replace(entry, when=entry.when.astimezone().replace(tzinfo=None))


class ChronologyManager:
    """The timeline of one child, from every source."""

    def __init__(self, ctx: UnitOfWork, episodes: EpisodeManager) -> None:
        self._ctx = ctx
        self._episodes = episodes
        self._records = RecordReader()
        self._sources: list[Source] = [self._screening_entries, self._episode_entries]

    def add_source(self, source: Source) -> None:
        """Add a kind of record to every chronology (for example referrals)."""
        self._sources.append(source)

    def entries(self, child_id: int,
                kinds: Collection[ChronologyKind] | None = None) -> list[ChronologyEntry]:
        """The child's entries of ``kinds`` (all if None), oldest first (a recorded view)."""
        self._ctx.require(*SCREENING_ROLES)
        with self._ctx.transaction() as s:
            child_for(s, self._ctx.user, child_id)
        out = [_naive(e) for source in self._sources for e in source(child_id)
               if kinds is None or e.kind in kinds]
        order = list(ChronologyKind)
        out.sort(key=lambda e: (e.when, order.index(e.kind), e.ref))
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "chronology_view", f"child:{child_id}", {"entries": len(out)})
        return out

    def document(self, child_id: int, kinds: Collection[ChronologyKind] | None = None, *,
                 marking: str = DEFAULT_MARKING) -> ChronologyDocument:
        """The chronology as the PDF shows it."""
        lines = [ChronologyLine(e.when, CHRONOLOGY_WORDS[e.kind], e.title, e.detail)
                 for e in self.entries(child_id, kinds)]
        with self._ctx.transaction() as s:
            child = child_for(s, self._ctx.user, child_id)
            name, born = child.name, child.date_of_birth
            identifiers = json.loads(child.identifiers or "{}")
            me = s.get(User, self._ctx.user.id)
            by = (me.display_name or me.name) if me is not None else self._ctx.user.name
        details = []
        if born:
            details.append(Field("Date of birth", show_date(date.fromisoformat(born))))
        for key, label in (("case_number", "Case reference"), ("nhs_number", "NHS number")):
            if identifiers.get(key):
                details.append(Field(label, str(identifiers[key])))
        shown = ("Everything" if not kinds or set(kinds) == set(ChronologyKind)
                 else ", ".join(CHRONOLOGY_WORDS[k] for k in ChronologyKind if k in kinds))
        return ChronologyDocument(name, marking, datetime.now(), shown, lines, details,
                                  by)

    def export_pdf(self, child_id: int, target: Path,
                   kinds: Collection[ChronologyKind] | None = None, *,
                   marking: str = DEFAULT_MARKING) -> None:
        """Write the chronology PDF (recorded in the audit log)."""
        doc = self.document(child_id, kinds, marking=marking)
        render_chronology(doc, target)
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "export", f"child:{child_id}",
                            {"kind": "chronology", "entries": len(doc.lines)})

    # -- built-in sources ----------------------------------------------------------------------

    def _screening_entries(self, child_id: int) -> list[ChronologyEntry]:
        user = self._ctx.user
        with self._ctx.transaction() as s:
            query = (select(Screening, User).join(User, User.id == Screening.practitioner_id)
                     .where(Screening.child_id == child_id)
                     .order_by(Screening.screening_date, Screening.id))
            if user.role == Role.PRACTITIONER:
                query = query.where(Screening.practitioner_id == user.id)
            out: list[ChronologyEntry] = []
            for screening, by in s.execute(query):
                out += self._screening(s, screening, by.display_name or by.name)
            return out

    def _screening(self, s: OrmSession, screening: Screening, by: str) -> list[ChronologyEntry]:
        ref = f"screening:{screening.id}"
        screened = date.fromisoformat(screening.screening_date)
        day = show_date(screened)
        if screening.status != Status.FINAL:
            return [ChronologyEntry(_local(screening.created_at), ChronologyKind.SCREENING,
                                    f"Screening {screening.id} started (draft)",
                                    f"By {by}; screening date {day}.", ref)]
        row = s.get(AssessmentRow, screening.id)
        if row is None:
            return []
        assessment = Assessment.from_dict(json.loads(self._records.texts(s, screening.id)[0]))
        review = s.get(ScreeningReview, screening.id)
        name = assessment.level_info(assessment.final_level).name
        title = f"Screening {screening.id} finalised: {name}"
        detail = [f"By {by}; screening date {day}.",
                  f"Computed level {assessment.level_info().name}, {assessment.score} "
                  f"point{'s' if assessment.score != 1 else ''}."]
        if screening.amendment_of is not None:
            title += f" (amends screening {screening.amendment_of})"
            if screening.amendment_reason:
                detail.append(f"Why amended: {screening.amendment_reason}")
        if screening.rescreen_of is not None:
            detail.append(f"Re-screen of screening {screening.rescreen_of}.")
        if review is not None:
            if review.step_down_reason and review.previous_level:
                was = assessment.level_info(review.previous_level).name
                detail.append(f"Stepped down from {was}: {review.step_down_reason}")
            detail.append(f"Review due by {show_date(date.fromisoformat(review.review_date))}.")
        when = _local(row.finalised_at)
        if when.date() != screened:  # entered later: it belongs on the day of the screening
            when = datetime.combine(screened, time())
            detail.append(f"Finalised on {show_date(_local(row.finalised_at))}.")
        out = [ChronologyEntry(when, ChronologyKind.SCREENING, title, " ".join(detail), ref)]
        o = assessment.override
        if o is not None:
            start = o.from_level or assessment.level
            words = "raised" if o.direction.value == "raised" else "lowered"
            text = (f"Level {words} by professional judgement: "
                    f"{assessment.level_info(start).name} to {name}")
            more = f"Reason: {o.reason} (by {o.by}"
            more += f", countersigned by {o.countersigned_by})" if o.countersigned_by else ")"
            out.append(ChronologyEntry(when, ChronologyKind.OVERRIDE, text, more, ref))
        return out

    def _episode_entries(self, child_id: int) -> list[ChronologyEntry]:
        with self._ctx.transaction() as s:
            episodes = self._episodes.rows(s, child_id)
        out: list[ChronologyEntry] = []
        now = datetime.now()
        for e in episodes:
            ref = f"episode:{e.id}"
            out.append(ChronologyEntry(
                e.missing_from, ChronologyKind.EPISODE, "Reported missing",
                f"Reported by {e.reported_by}." if e.reported_by else "", ref))
            if e.returned_at is not None:
                out.append(ChronologyEntry(
                    e.returned_at, ChronologyKind.EPISODE, "Returned or found",
                    f"Where found: {e.where_found}" if e.where_found else "", ref))
            deadline = e.rhi_deadline
            if e.rhi_status is not None:
                when = e.rhi_at or deadline or e.missing_from
                detail = e.rhi_note if e.rhi_status == RhiStatus.NOT_DONE else ""
                out.append(ChronologyEntry(when, ChronologyKind.RHI,
                                           f"Return Home Interview: "
                                           f"{RHI_WORDS[e.rhi_status].lower()}", detail, ref))
            elif deadline is not None and now > deadline:
                out.append(ChronologyEntry(deadline, ChronologyKind.RHI,
                                           "Return Home Interview not recorded within 72 hours",
                                           "", ref))
        return out


class _Referrals(Protocol):
    def for_child(self, child_id: int) -> list[Referral]: ...


_STEP_TITLES = {
    StepKind.CREATED: "Referral to {dest} made, to send",
    StepKind.NOT_REFERRED: "Decision not to refer",
    StepKind.SENT: "Referral sent to {dest}",
    StepKind.RECEIVED: "Referral received by {dest}",
    StepKind.ACCEPTED: "Referral accepted by {dest}",
    StepKind.DECLINED: "Referral declined by {dest}",
    StepKind.OUTCOME: "Outcome: {outcome}",
    StepKind.CONFIRMATION: "Exploitation confirmed? {answer}",
    StepKind.CLOSED: "Referral closed",
}


def referral_source(referrals: _Referrals) -> Source:
    """The chronology source of referrals: every recorded step, with the decision, outcomes
    and "exploitation confirmed?" answers, from the referrals manager's public API."""
    def entries(child_id: int) -> list[ChronologyEntry]:
        out = []
        for r in referrals.for_child(child_id):
            for step in r.steps:
                title = _STEP_TITLES.get(step.kind, step.kind.value).format(
                    dest=r.destination_name, outcome=step.outcome or step.outcome_id or "",
                    answer=step.answer.words if step.answer is not None else "")
                detail = [f"By {step.by}." if step.by else ""]
                if step.method is not None:
                    detail.append(f"How: {step.method.value.replace('_', ' ')}.")
                for text in (step.reason, step.detail):
                    if text:
                        detail.append(text)
                if step.source:
                    detail.append(f"Source: {step.source}.")
                out.append(ChronologyEntry(step.at, ChronologyKind.REFERRAL,
                                           f"{title} (screening {r.screening_id})",
                                           " ".join(d for d in detail if d),
                                           f"screening:{r.screening_id}"))
        return out

    return entries
