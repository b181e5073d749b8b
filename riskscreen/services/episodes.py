"""Missing episodes as records: reported missing, returned, the Return Home Interview.

Reached as ``session.episodes``. A practitioner records episodes of the children they work
with, a manager of any child; an administrator of none. Every change and view is audited
(without names, places or notes: those stay in the record).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.dates import show_moment
from riskscreen.forms.model import FormDefinition
from riskscreen.services.due import episode_answers, format_when, parse_when
from riskscreen.services.errors import NotFound, ServiceError
from riskscreen.services.followup_base import SCREENING_ROLES, UnitOfWork, child_for
from riskscreen.services.types import EpisodeInfo, RhiStatus
from riskscreen.store.models import MissingEpisode, User, utc_now

__all__ = ["EpisodeManager", "episode_info"]

#: Longest "where found" and "who reported" texts, and a reason for no interview.
PLACE_LIMIT = 500
REPORTER_LIMIT = 200
NOTE_LIMIT = 2000
#: Times a little ahead of this computer's clock are accepted (clocks differ).
_SLACK_MINUTES = 10


def _when(value: datetime | str | None, what: str) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return parse_when(value, what)
    return value.replace(second=0, microsecond=0, tzinfo=None)


def _text(value: str, limit: int, what: str) -> str:
    text = " ".join(value.split()) if "\n" not in value else value.strip()
    if len(text) > limit:
        raise ServiceError(f"Not saved: {what} is longer than {limit} characters. Shorten it "
                           "and try again.")
    return text


def episode_info(row: MissingEpisode, recorded_by: str = "") -> EpisodeInfo:
    """An episode row as the services show it."""
    def at(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text) if text else None

    missing = at(row.missing_from)
    assert missing is not None
    return EpisodeInfo(row.id, row.child_id, missing, at(row.returned_at), row.where_found,
                       row.reported_by, RhiStatus(row.rhi_status) if row.rhi_status else None,
                       at(row.rhi_at), row.rhi_note, recorded_by)


class EpisodeManager:
    """The missing-episode log of the children this account works with."""

    def __init__(self, ctx: UnitOfWork, *, now: Callable[[], datetime] = datetime.now) -> None:
        self._ctx = ctx
        self._now = now

    def _not_future(self, value: datetime, what: str) -> None:
        now = self._now().replace(tzinfo=None)
        if (value - now).total_seconds() > _SLACK_MINUTES * 60:
            raise ServiceError(f"{what} is in the future ({show_moment(value)}); check the "
                               "date and time.")

    def add(self, child_id: int, missing_from: datetime | str,
            returned_at: datetime | str | None = None, *, where_found: str = "",
            reported_by: str = "") -> EpisodeInfo:
        """Record that the child was reported missing (and, if known, when they returned)."""
        self._ctx.require(*SCREENING_ROLES)
        start = _when(missing_from, "when the child was reported missing")
        if start is None:
            raise ServiceError("Give the date and time the child was reported missing.")
        back = _when(returned_at, "when the child returned")
        self._check_times(start, back)
        place = _text(where_found, PLACE_LIMIT, "where the child was found")
        reporter = _text(reported_by, REPORTER_LIMIT, "who reported the child missing")
        with self._ctx.transaction() as s:
            child_for(s, self._ctx.user, child_id)
            row = MissingEpisode(child_id=child_id, missing_from=format_when(start),
                                 returned_at=format_when(back) if back else None,
                                 where_found=place, reported_by=reporter, rhi_note="",
                                 recorded_by=self._ctx.user.id)
            s.add(row)
            s.flush()
            self._ctx.audit(s, "episode_add", f"episode:{row.id}",
                            {"child": child_id, "returned": back is not None})
            return episode_info(row, self._ctx.user.name)

    def _check_times(self, start: datetime, back: datetime | None) -> None:
        self._not_future(start, "The time the child was reported missing")
        if back is not None:
            if back < start:
                raise ServiceError("The return is before the child was reported missing; "
                                   "check both times.")
            self._not_future(back, "The time the child returned")

    def _episode(self, s: OrmSession, episode_id: int) -> MissingEpisode:
        row = s.get(MissingEpisode, episode_id)
        if row is None:
            raise NotFound("There is no such missing episode; check the number.")
        child_for(s, self._ctx.user, row.child_id)
        return row

    def record_return(self, episode_id: int, returned_at: datetime | str, *,
                      where_found: str | None = None) -> EpisodeInfo:
        """Record when (and where) the child returned or was found."""
        self._ctx.require(*SCREENING_ROLES)
        back = _when(returned_at, "when the child returned")
        if back is None:
            raise ServiceError("Give the date and time the child returned.")
        place = None if where_found is None else _text(where_found, PLACE_LIMIT,
                                                       "where the child was found")
        with self._ctx.transaction() as s:
            row = self._episode(s, episode_id)
            self._check_times(datetime.fromisoformat(row.missing_from), back)
            if row.rhi_at is not None and datetime.fromisoformat(row.rhi_at) < back:
                raise ServiceError("The Return Home Interview is recorded before this return; "
                                   "check the times.")
            row.returned_at = format_when(back)
            if place is not None:
                row.where_found = place
            row.updated_at = utc_now()
            self._ctx.audit(s, "episode_return", f"episode:{episode_id}",
                            {"child": row.child_id})
            return self._info(s, row)

    def record_rhi(self, episode_id: int, status: RhiStatus | str,
                   at: datetime | str | None = None, note: str = "") -> EpisodeInfo:
        """Record the Return Home Interview: done or declined (when), or not done (why)."""
        self._ctx.require(*SCREENING_ROLES)
        try:
            state = RhiStatus(status)
        except ValueError:
            raise ServiceError("The Return Home Interview is done, declined or not_done.") \
                from None
        when = _when(at, "when the interview took place or was declined")
        reason = _text(note, NOTE_LIMIT, "the reason")
        if state == RhiStatus.NOT_DONE:
            if len(reason.split()) < 3:
                raise ServiceError("Say in a sentence why no Return Home Interview took place, "
                                   "and what is planned instead.")
            when = None
        elif when is None:
            raise ServiceError("Give the date and time the interview took place or was "
                               "declined.")
        with self._ctx.transaction() as s:
            row = self._episode(s, episode_id)
            if row.returned_at is None:
                raise ServiceError("Record when the child returned first: the interview "
                                   "follows the return.")
            if when is not None:
                if when < datetime.fromisoformat(row.returned_at):
                    raise ServiceError("The interview is before the child returned; check "
                                       "the time.")
                self._not_future(when, "The interview time")
            row.rhi_status = state.value
            row.rhi_at = format_when(when) if when is not None else None
            row.rhi_note = reason
            row.updated_at = utc_now()
            self._ctx.audit(s, "episode_rhi", f"episode:{episode_id}",
                            {"child": row.child_id, "status": state.value})
            return self._info(s, row)

    def for_child(self, child_id: int) -> list[EpisodeInfo]:
        """The child's episodes, oldest first (a recorded view)."""
        self._ctx.require(*SCREENING_ROLES)
        with self._ctx.transaction() as s:
            child_for(s, self._ctx.user, child_id)
            out = self.rows(s, child_id)
            self._ctx.audit(s, "view", f"child:{child_id}", {"episodes": len(out)})
            return out

    def rows(self, s: OrmSession, child_id: int) -> list[EpisodeInfo]:
        """The child's episodes in transaction ``s``, oldest first (no check, no audit:
        for other managers that have checked already)."""
        found = s.execute(select(MissingEpisode, User.name)
                          .join(User, User.id == MissingEpisode.recorded_by)
                          .where(MissingEpisode.child_id == child_id)
                          .order_by(MissingEpisode.missing_from, MissingEpisode.id))
        return [episode_info(row, name) for row, name in found]

    def _info(self, s: OrmSession, row: MissingEpisode) -> EpisodeInfo:
        name = s.scalar(select(User.name).where(User.id == row.recorded_by)) or ""
        return episode_info(row, name)

    def screening_answers(self, s: OrmSession, child_id: int, form: FormDefinition,
                          screening_date: date, *, prompted: bool = False) -> dict[str, Any]:
        """The answers a new screening of the child takes from the log (in transaction
        ``s``; see :func:`riskscreen.services.due.episode_answers`)."""
        return episode_answers(form, self.rows(s, child_id), screening_date, prompted=prompted)
