"""Reviews: when each child's next screening is due, re-screens that carry the last answers
over, and a reason whenever a child steps down to a lower level than last time.

Reached as ``session.reviews``. The screening use cases call its hooks inside their own
transaction (:meth:`ReviewManager.prefill`, :meth:`~ReviewManager.answer_saved`,
:meth:`~ReviewManager.on_finalise`), so a re-screen and its carried answers, or a finalised
screening and its review date, are stored together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session as OrmSession

from riskscreen.dates import show_date
from riskscreen.forms.identity import carry_answers
from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.engine import OverrideRefused as EngineRefused
from riskscreen.scoring.engine import check_reason, is_lower
from riskscreen.scoring.model import Interval, ScoringModel
from riskscreen.scoring.review import review_due
from riskscreen.services.due import (
    DEFAULT_AFTER_EPISODE,
    after_episode_interval,
    child_due,
    overdue_first,
)
from riskscreen.services.episodes import EpisodeManager, episode_info
from riskscreen.services.errors import (
    NotEditable,
    NotFound,
    PermissionDenied,
    ServiceError,
    StepDownReasonNeeded,
    UnconfirmedAnswers,
)
from riskscreen.services.followup_base import (
    SCREENING_ROLES,
    RecordReader,
    UnitOfWork,
    own_children,
)
from riskscreen.services.types import (
    CarriedAnswerInfo,
    DueItem,
    EpisodeInfo,
    RescreenInfo,
    Role,
    Status,
)
from riskscreen.store.forms import stored_versions
from riskscreen.store.models import (
    Answer,
    CarriedAnswer,
    Child,
    MissingEpisode,
    ScoringModelRow,
    Screening,
    ScreeningReview,
)

__all__ = ["RESCREEN_QUESTIONS", "ReviewManager"]

#: A re-screen answers these itself: why it is done (the option "review") and the date of
#: the earlier screening; they are not carried over. Used only where the form has them.
RESCREEN_QUESTIONS = {"reason": "screening_reason", "previous_date": "previous_screening_date"}
REASON_REVIEW = "review"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class ReviewManager:
    """Due dates, re-screens and step-down reasons for the children this account works with."""

    def __init__(self, ctx: UnitOfWork, episodes: EpisodeManager) -> None:
        self._ctx = ctx
        self._episodes = episodes
        self._records = RecordReader()
        self._after: dict[str, Interval] = {}

    # -- what is due ---------------------------------------------------------------------------

    def due(self) -> list[DueItem]:
        """Every child with a screening due (reviews and screenings after missing episodes),
        soonest first, so the overdue come first. A recorded view."""
        self._ctx.require(*SCREENING_ROLES)
        with self._ctx.transaction() as s:
            children = dict(s.execute(select(Child.id, Child.name)
                                      .where(own_children(self._ctx.user))).all())
            last: dict[int, tuple[int, str, date, date]] = {}
            rows = s.execute(
                select(Screening.child_id, Screening.id, Screening.final_level,
                       Screening.screening_date, ScreeningReview.review_date)
                .join(ScreeningReview, ScreeningReview.screening_id == Screening.id)
                .where(Screening.status == Status.FINAL)
                .order_by(Screening.screening_date, Screening.id))
            for child_id, sid, level, when, review in rows:
                if child_id in children:
                    last[child_id] = (sid, level or "", date.fromisoformat(when),
                                      date.fromisoformat(review))
            episodes: dict[int, list[EpisodeInfo]] = {}
            for row in s.scalars(select(MissingEpisode).order_by(MissingEpisode.missing_from)):
                if row.child_id in children:
                    episodes.setdefault(row.child_id, []).append(episode_info(row))
            after = self._after_episode(s)
            items = [item for cid, name in children.items()
                     if (item := child_due(cid, name, last.get(cid), episodes.get(cid, []),
                                           after)) is not None]
            self._ctx.audit(s, "due_list", "children", {"children": len(items)})
        return overdue_first(items)

    def _after_episode(self, s: OrmSession) -> Interval:
        """How soon a screening follows a missing episode, by the model in force."""
        row = s.scalars(select(ScoringModelRow)
                        .order_by(ScoringModelRow.published_at.desc()).limit(1)).first()
        if row is None:
            return DEFAULT_AFTER_EPISODE
        found = self._after.get(row.sha256)
        if found is None:
            model = ScoringModel.model_validate_json(row.canonical_json)
            try:
                form = load_form(model.form.id)
            except (OSError, ValueError):
                return DEFAULT_AFTER_EPISODE
            found = self._after[row.sha256] = after_episode_interval(form, model)
        return found

    # -- re-screens ----------------------------------------------------------------------------

    def prefill(self, s: OrmSession, screening: Screening, form: FormDefinition,
                given: Mapping[str, Any], *, rescreen: bool, after_episode: bool) -> None:
        """Fill a new draft's answers (in its creating transaction ``s``): from the episode
        log, and for a re-screen from the child's last finalised screening, each carried
        answer to be confirmed. ``given`` are the answers the child's record fills; they are
        neither carried nor replaced."""
        questions = form.question_index()
        day = date.fromisoformat(screening.screening_date)
        answers: dict[str, Any] = self._episodes.screening_answers(
            s, screening.child_id, form, day, prompted=after_episode)
        carried: dict[str, Any] = {}
        evidence: dict[str, Any] = {}
        if rescreen:
            previous = self._last_visible(s, screening)
            if previous is None:
                raise ServiceError("There is no earlier finalised screening of this child "
                                   "that you can see to start from; start a new screening "
                                   "instead.")
            screening.rescreen_of = previous.id
            raw = json.loads(self._records.texts(s, previous.id)[1])
            reason_id = RESCREEN_QUESTIONS["reason"]
            date_id = RESCREEN_QUESTIONS["previous_date"]
            earlier: dict[str, Any] = raw.get("answers") or {}
            if previous.form_id == form.id and previous.form_version != form.version:
                # Made under an earlier version: its answers follow the renames and removals
                # each later version declares (an option that went is not carried).
                earlier = carry_answers(earlier, previous.form_version, form,
                                        stored_versions(s.connection(), form.id))
            for qid, value in earlier.items():
                if qid in questions and qid not in given and qid not in (reason_id, date_id):
                    carried[qid] = value
            evidence = raw.get("evidence") or {}
            if not after_episode and reason_id in questions and REASON_REVIEW in {
                    o.id for o in questions[reason_id].options or []}:
                answers[reason_id] = REASON_REVIEW
                if date_id in questions:
                    answers[date_id] = previous.screening_date
        for qid, value in {**carried, **answers}.items():
            if qid in given or qid not in questions:
                continue
            kept = qid not in answers and qid in evidence
            s.add(Answer(screening_id=screening.id, question_id=qid, value=_json(value),
                         evidence=_json(evidence[qid]) if kept else None))
        for qid, value in carried.items():
            s.add(CarriedAnswer(screening_id=screening.id, question_id=qid,
                                previous=_json(value), confirmed=False))
        if rescreen:
            self._ctx.audit(s, "rescreen", f"screening:{screening.id}",
                            {"rescreen_of": screening.rescreen_of, "carried": len(carried)})

    def _last_visible(self, s: OrmSession, screening: Screening) -> Screening | None:
        query = (select(Screening).where(
            Screening.child_id == screening.child_id, Screening.status == Status.FINAL,
            Screening.id != screening.id,
            Screening.screening_date <= screening.screening_date)
            .order_by(Screening.screening_date.desc(), Screening.id.desc()).limit(1))
        if self._ctx.user.role == Role.PRACTITIONER:
            query = query.where(Screening.practitioner_id == self._ctx.user.id)
        return s.scalars(query).first()

    def answer_saved(self, s: OrmSession, screening_id: int, question_id: str) -> None:
        """A saved answer is the practitioner's own: a carried one counts as confirmed."""
        s.execute(update(CarriedAnswer).where(
            CarriedAnswer.screening_id == screening_id,
            CarriedAnswer.question_id == question_id).values(confirmed=True))

    def answer_saved_raw(self, cursor: Any, screening_id: int, question_id: str) -> None:
        """:meth:`answer_saved` through the autosave's DB-API cursor."""
        cursor.execute("UPDATE carried_answers SET confirmed = TRUE WHERE screening_id = ? AND "
                       "question_id = ?", (screening_id, question_id))

    def confirm(self, screening_id: int, question_ids: Iterable[str]) -> int:
        """Confirm carried-over answers unchanged (the practitioner of the draft); returns
        how many were newly confirmed."""
        self._ctx.require(*SCREENING_ROLES)
        wanted = sorted(set(question_ids))
        with self._ctx.transaction() as s:
            screening = self._draft(s, screening_id)
            rows = s.scalars(select(CarriedAnswer).where(
                CarriedAnswer.screening_id == screening.id,
                CarriedAnswer.question_id.in_(wanted), CarriedAnswer.confirmed.is_(False)))
            count = 0
            for row in rows:
                row.confirmed = True
                count += 1
            self._ctx.audit(s, "confirm_answers", f"screening:{screening_id}",
                            {"answers": count})
            return count

    def _draft(self, s: OrmSession, screening_id: int) -> Screening:
        screening = s.get(Screening, screening_id)
        if screening is None:
            raise NotFound("There is no such screening.")
        if screening.practitioner_id != self._ctx.user.id:
            raise PermissionDenied("Only the practitioner who started a screening can confirm "
                                   "its answers.")
        if screening.status != Status.DRAFT:
            raise NotEditable("This screening is finalised; its answers were confirmed then.")
        return screening

    def rescreen_info(self, screening_id: int) -> RescreenInfo:
        """The child's last level before this screening and the answers carried over."""
        self._ctx.require(*SCREENING_ROLES)
        with self._ctx.transaction() as s:
            screening = s.get(Screening, screening_id)
            if screening is None or (self._ctx.user.role == Role.PRACTITIONER
                                     and screening.practitioner_id != self._ctx.user.id):
                raise NotFound("There is no such screening, or it is not yours to see.")
            previous = self._previous(s, screening)
            current = {a.question_id: json.loads(a.value) for a in s.scalars(
                select(Answer).where(Answer.screening_id == screening_id))}
            if not current and screening.status == Status.FINAL:
                current = json.loads(self._records.texts(s, screening_id)[1]).get(
                    "answers") or {}
            carried = [CarriedAnswerInfo(c.question_id, json.loads(c.previous),
                                         current.get(c.question_id), c.confirmed)
                       for c in s.scalars(select(CarriedAnswer).where(
                           CarriedAnswer.screening_id == screening_id)
                           .order_by(CarriedAnswer.question_id))]
            return RescreenInfo(
                screening_id, previous.id if previous else None,
                date.fromisoformat(previous.screening_date) if previous else None,
                previous.final_level if previous else None, carried)

    def _previous(self, s: OrmSession, screening: Screening) -> Screening | None:
        """The child's last finalised screening before this one, by anyone (as the trend
        compares with it); None for an amendment, whose lowering has its own rule."""
        if screening.amendment_of is not None:
            return None
        return s.scalars(select(Screening).where(
            Screening.child_id == screening.child_id, Screening.status == Status.FINAL,
            Screening.id != screening.id,
            Screening.screening_date <= screening.screening_date)
            .order_by(Screening.screening_date.desc(), Screening.id.desc()).limit(1)).first()

    # -- finalising ----------------------------------------------------------------------------

    def on_finalise(self, s: OrmSession, screening: Screening, assessment: Assessment,
                    model: ScoringModel, step_down_reason: str | None) -> None:
        """Checks and records of a screening being finalised (in its transaction ``s``).

        Refuses while a carried answer is unconfirmed, and a level lower than the child's
        last screening without a reason of at least a sentence. Stores the review date for
        the final level.
        """
        unconfirmed = list(s.scalars(select(CarriedAnswer.question_id).where(
            CarriedAnswer.screening_id == screening.id, CarriedAnswer.confirmed.is_(False))
            .order_by(CarriedAnswer.question_id)))
        if unconfirmed:
            raise UnconfirmedAnswers(unconfirmed)
        previous = self._previous(s, screening)
        reason: str | None = None
        if previous is not None and previous.final_level and is_lower(
                assessment, assessment.final_level, previous.final_level):
            was = assessment.level_info(previous.final_level).name
            now = assessment.level_info(assessment.final_level).name
            try:
                reason = check_reason(step_down_reason or "", "Stepping down")
            except EngineRefused:
                raise StepDownReasonNeeded(
                    f"The level is lower than at the last screening ({was}, "
                    f"{show_date(date.fromisoformat(previous.screening_date))}). Say in a "
                    f"sentence why {now} is right for the child now.") from None
            self._ctx.audit(s, "step_down", f"screening:{screening.id}",
                            {"from": previous.final_level, "to": assessment.final_level,
                             "previous": previous.id})
        s.add(ScreeningReview(
            screening_id=screening.id,
            review_date=review_due(assessment.level, assessment.final_level,
                                   assessment.screening_date, assessment.review_date,
                                   model.review.intervals).isoformat(),
            previous_id=previous.id if previous else None,
            previous_level=previous.final_level if previous else None,
            step_down_reason=reason))

    def review_of(self, s: OrmSession, screening_id: int) -> ScreeningReview | None:
        """The stored review row of a finalised screening (for other managers)."""
        return s.get(ScreeningReview, screening_id)

