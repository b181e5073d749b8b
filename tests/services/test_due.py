"""Due dates and answers from the episode log, as pure functions."""

from __future__ import annotations

from datetime import date, datetime

from riskscreen.forms.loader import load_form
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.model import Interval
from riskscreen.scoring.review import review_due
from riskscreen.services.due import after_episode_interval, child_due, episode_answers
from riskscreen.services.types import DueKind, EpisodeInfo, RhiStatus

INTERVALS = {"none": Interval(months=12), "low": Interval(months=6),
             "medium": Interval(months=3), "high": Interval(months=1)}


def _episode(n: int, start: str, back: str | None = None, rhi: RhiStatus | None = None,
             note: str = "", where: str = "") -> EpisodeInfo:
    return EpisodeInfo(n, 1, datetime.fromisoformat(start),
                       datetime.fromisoformat(back) if back else None, where, "", rhi, None,
                       note, "pat")


def test_review_follows_the_final_level() -> None:
    day = date(2026, 1, 31)
    # Computed medium (3 months), raised to high by judgement: one month, to the month's end.
    assert review_due("medium", "high", day, date(2026, 4, 30), INTERVALS) == date(2026, 2, 28)
    # A sooner entry (14 days) applied to the computed level: kept when earlier.
    assert review_due("medium", "low", day, date(2026, 2, 14), INTERVALS) == date(2026, 2, 14)
    assert review_due("low", "low", day, date(2026, 7, 31), INTERVALS) == date(2026, 7, 31)


def test_an_episode_brings_the_next_screening_forward() -> None:
    last = (7, "low", date(2026, 1, 1), date(2026, 7, 1))
    assert child_due(1, "A", last, [], Interval(days=14)).kind == DueKind.REVIEW
    before = _episode(1, "2025-12-20T10:00", "2025-12-21T10:00")
    item = child_due(1, "A", last, [before], Interval(days=14))
    assert item is not None
    assert (item.kind, item.due) == (DueKind.REVIEW, date(2026, 7, 1))
    after = _episode(2, "2026-01-10T22:00", "2026-01-11T09:00")
    item = child_due(1, "A", last, [before, after], Interval(days=14))
    assert item is not None
    assert (item.kind, item.due) == (DueKind.AFTER_EPISODE, date(2026, 1, 25))
    assert item.last_screening_id == 7
    # Still missing: dated from the report.
    item = child_due(1, "A", None, [_episode(3, "2026-03-01T10:00")], Interval(days=14))
    assert item is not None
    assert item.due == date(2026, 3, 15)
    assert child_due(1, "A", None, [], Interval(days=14)) is None


def test_the_model_says_how_soon_after_an_episode() -> None:
    form, model = load_form("cse-screening"), load_model("cse-screening")
    assert after_episode_interval(form, model) == Interval(days=14)


def test_episode_answers_count_the_last_three_months() -> None:
    form = load_form("cse-screening")
    episodes = [_episode(1, "2025-11-30T10:00", "2025-11-30T12:00", where="Park"),
                _episode(2, "2025-12-01T10:00", "2025-12-01T12:00", RhiStatus.DONE,
                         where="Town centre"),
                _episode(3, "2026-02-27T23:00", "2026-02-28T10:00", RhiStatus.DECLINED)]
    answers = episode_answers(form, episodes, date(2026, 2, 28))
    # 28 Feb minus 3 months is 28 Nov: all three began since.
    assert answers["missing_episodes_3_months"] == 3
    assert answers["return_home_interview"] == "offered_declined"
    assert answers["where_found"] == "30/11/2025: Park\n01/12/2025: Town centre"
    assert "screening_reason" not in answers
    answers = episode_answers(form, episodes, date(2026, 3, 1), prompted=True)
    assert answers["missing_episodes_3_months"] == 2
    assert answers["screening_reason"] == "missing_episode"
    assert episode_answers(form, [], date(2026, 3, 1)) == {}
