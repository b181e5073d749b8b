"""Follow-up after a screening, as pure functions: due dates and answers from the episode log.

- :func:`child_due`: a child's next screening: the review date of the last finalised
  screening, brought forward by a missing episode since (each episode puts a screening due on
  the child, dated by the model's ``sooner`` interval for a missing episode).
- :func:`episode_answers`: the missing-episode answers of a screening, from the log.
- :func:`parse_when`: a date and time as typed, with a message that says how to write it.

The questions the log fills are named once, in :data:`EPISODE_QUESTIONS`, and used only where
the screening's form has them (with those options): a form without them is left alone.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from riskscreen.dates import show_date
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.model import Interval, ScoringModel
from riskscreen.scoring.plan import add_interval
from riskscreen.scoring.review import sooner_interval
from riskscreen.services.errors import ServiceError
from riskscreen.services.types import DueItem, DueKind, EpisodeInfo, RhiStatus

__all__ = [
    "EPISODE_QUESTIONS",
    "after_episode_interval",
    "child_due",
    "episode_answers",
    "format_when",
    "overdue_first",
    "parse_when",
]

#: What the episode log tells a screening -> the form's question for it.
EPISODE_QUESTIONS = {
    "reason": "screening_reason",
    "count": "missing_episodes_3_months",
    "rhi": "return_home_interview",
    "rhi_reason": "no_return_interview_reason",
    "where_found": "where_found",
}
#: The screening-reason option for "the child has been missing".
REASON_MISSING = "missing_episode"
#: The log's interview states -> the options of the form's interview question.
_RHI_OPTIONS = {RhiStatus.DONE: "done", RhiStatus.DECLINED: "offered_declined",
                RhiStatus.NOT_DONE: "not_done"}
#: Without a ``sooner`` entry for missing episodes in the model, screen again within this.
DEFAULT_AFTER_EPISODE = Interval(days=14)
#: Episodes counted by the screening's "last 3 months" question.
COUNT_MONTHS = 3


def parse_when(text: str, what: str = "the time") -> datetime:
    """A local date and time from ``YYYY-MM-DDTHH:MM`` (or with a space); no seconds kept."""
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ServiceError(f"Write {what} as YYYY-MM-DD HH:MM, for example "
                           "2026-03-01 21:30.") from None
    if value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    return value.replace(second=0, microsecond=0)


def format_when(value: datetime) -> str:
    """The stored text of a local time (``YYYY-MM-DDTHH:MM``)."""
    return value.strftime("%Y-%m-%dT%H:%M")


def _question_options(form: FormDefinition, key: str) -> tuple[str | None, set[str]]:
    question = form.question_index().get(EPISODE_QUESTIONS[key])
    if question is None:
        return None, set()
    return question.id, {o.id for o in (question.options or [])}


def episode_answers(form: FormDefinition, episodes: Sequence[EpisodeInfo],
                    screening_date: date, *, prompted: bool = False) -> dict[str, Any]:
    """Answers a screening on ``screening_date`` takes from the episode log.

    Nothing from an empty log. Otherwise the number of episodes that began in the 3 months
    up to that day; for the most recent one, its Return Home Interview (and why there was
    none); and where the child was found each time.
    ``prompted``: the screening follows an episode, so its reason is a missing episode.
    """
    out: dict[str, Any] = {}
    reason_id, reasons = _question_options(form, "reason")
    if prompted and reason_id is not None and REASON_MISSING in reasons:
        out[reason_id] = REASON_MISSING
    if not episodes:  # an empty log says nothing: the practitioner may know of episodes
        return out
    start = _months_before(screening_date, COUNT_MONTHS)
    recent = sorted((e for e in episodes if start <= e.missing_from.date() <= screening_date),
                    key=lambda e: e.missing_from)
    count_id, _ = _question_options(form, "count")
    if count_id is not None:
        out[count_id] = len(recent)
    if not recent:
        return out
    last = recent[-1]
    rhi_id, rhi_options = _question_options(form, "rhi")
    if rhi_id is not None and last.rhi_status is not None:
        option = _RHI_OPTIONS[last.rhi_status]
        if option in rhi_options:
            out[rhi_id] = option
    why_id, _ = _question_options(form, "rhi_reason")
    if why_id is not None and last.rhi_status == RhiStatus.NOT_DONE and last.rhi_note:
        out[why_id] = last.rhi_note
    where_id, _ = _question_options(form, "where_found")
    places = [f"{show_date(e.missing_from)}: {e.where_found}" for e in recent if e.where_found]
    if where_id is not None and places:
        out[where_id] = "\n".join(places)
    return out


def _months_before(day: date, months: int) -> date:
    """``day`` so many calendar months earlier (clamped to the month's end)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def after_episode_interval(form: FormDefinition, model: ScoringModel) -> Interval:
    """How soon a screening should follow a missing episode: the model's shortest ``sooner``
    interval that applies to a screening prompted by one episode."""
    answers = episode_answers(form, [], date(2000, 1, 1), prompted=True)
    count_id, _ = _question_options(form, "count")
    if count_id is not None:
        answers[count_id] = 1
    return sooner_interval(form, model, answers) or DEFAULT_AFTER_EPISODE


def child_due(child_id: int, child_name: str, last: tuple[int, str, date, date] | None,
              episodes: Sequence[EpisodeInfo], after_episode: Interval) -> DueItem | None:
    """The child's next screening, or None when nothing is due.

    ``last``: (screening id, final level, screening date, review date) of the child's last
    finalised screening. Episodes that began after that screening's date each put a screening
    due on the child, ``after_episode`` after the return (or after the report while the child
    is still missing); the earliest of these and the review date is the one shown.
    """
    since = last[2] if last is not None else None
    pending = sorted((e for e in episodes if since is None or e.missing_from.date() > since),
                     key=lambda e: e.missing_from)
    candidates: list[tuple[date, DueKind, str]] = []
    if last is not None:
        candidates.append((last[3], DueKind.REVIEW,
                           f"Review of the screening of {show_date(last[2])}"))
    for episode in pending:
        start = (episode.returned_at or episode.missing_from).date()
        due = add_interval(start, after_episode)
        candidates.append((due, DueKind.AFTER_EPISODE,
                           f"Screening after the missing episode of "
                           f"{show_date(episode.missing_from)}"))
    if not candidates:
        return None
    due, kind, reason = min(candidates, key=lambda c: (c[0], c[1] != DueKind.AFTER_EPISODE))
    if kind == DueKind.REVIEW and pending:
        reason += f" ({len(pending)} missing episode{'s' if len(pending) != 1 else ''} since)"
    return DueItem(child_id, child_name, kind, due, reason,
                   last[0] if last else None, last[1] if last else None)


def overdue_first(items: Sequence[DueItem]) -> list[DueItem]:
    """Soonest (most overdue) first, then by name."""
    return sorted(items, key=lambda i: (i.due, i.child_name.casefold(), i.child_id))

