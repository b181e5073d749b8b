"""When a child's screening falls due for review, and how soon after a missing episode.

The engine gives each assessment a review date for its *computed* level (brought forward by
any ``sooner`` entry of the model that applies). A review follows the level that was decided:
a level raised or lowered by professional judgement takes that level's interval, and a
``sooner`` date the engine found is kept when it falls earlier.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.model import Interval, ScoringModel
from riskscreen.scoring.plan import add_interval

__all__ = ["review_due", "review_due_from_snapshot", "sooner_interval"]


def review_due(level: str, final_level: str, screening_date: date, engine_date: date,
               intervals: Mapping[str, Interval]) -> date:
    """The review date for the final level, or the engine's earlier ``sooner`` date.

    ``engine_date`` is the assessment's own review date (for ``level``, the computed level);
    a level missing from ``intervals`` keeps the engine's date.
    """
    if level not in intervals or final_level not in intervals:
        return engine_date
    for_level = add_interval(screening_date, intervals[level])
    due = add_interval(screening_date, intervals[final_level])
    if engine_date < for_level:  # a sooner entry applied
        due = min(due, engine_date)
    return due


def review_due_from_snapshot(snapshot: Mapping[str, Any],
                             intervals: Mapping[str, Interval]) -> date:
    """:func:`review_due` of a stored snapshot (``Assessment.to_dict()``).

    ``KeyError``/``ValueError`` if the snapshot lacks its dates or level.
    """
    level = str(snapshot["level"])
    final = str(snapshot.get("final_level") or level)
    return review_due(level, final, date.fromisoformat(snapshot["screening_date"]),
                      date.fromisoformat(snapshot["review_date"]), intervals)


def sooner_interval(form: FormDefinition, model: ScoringModel,
                    answers: Mapping[str, Any]) -> Interval | None:
    """The shortest ``sooner`` interval of the model whose condition holds for ``answers``
    (for example the answers a missing episode gives a screening), or None.

    A condition that needs facts the answers do not give (such as the child's age) does not
    apply.
    """
    best: tuple[date, Interval] | None = None
    some_day = date(2000, 1, 1)
    for entry in model.review.sooner:
        try:
            applies = entry.when.compile(form)(dict(answers), {})
        except (KeyError, TypeError, ValueError):
            applies = False
        if applies:
            when = add_interval(some_day, entry.interval)
            if best is None or when < best[0]:
                best = (when, entry.interval)
    return best[1] if best is not None else None
