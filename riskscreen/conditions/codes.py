"""How answers are held as numbers in columns (one int64 array per question).

The batch executor and the column form of every condition read these codes:

* indicator, time-window and single-choice questions: 0 for unanswered, ``i + 1`` for the
  ``i``-th answer the question offers (:meth:`Question.allowed_values`);
* multiple-choice questions: a bit mask, bit ``i`` for the ``i``-th option (0: none chosen);
* text questions: 0 for unanswered, ``i + 1`` for the ``i``-th distinct text of the column;
* number questions: the number, dates: the day's proleptic ordinal, derived values (ages): the
  value; :data:`MISSING` for unanswered.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from riskscreen.forms.kinds import QuestionType

__all__ = ["CODED", "MISSING", "NUMERIC", "as_date", "is_answered", "is_number"]

#: The code of an unanswered number, date or derived value.
MISSING = int(np.iinfo(np.int64).min)
#: Question types held as small codes (0 unanswered) rather than as values.
CODED = frozenset({QuestionType.INDICATOR, QuestionType.TIME_WINDOW,
                   QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE,
                   QuestionType.TEXT, QuestionType.LONG_TEXT})
#: Question types held as values (``MISSING`` unanswered).
NUMERIC = frozenset({QuestionType.NUMBER, QuestionType.DATE})


def is_answered(value: object) -> bool:
    """An answer counts as given unless it is missing, null, blank or an empty list."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return not (isinstance(value, (list, tuple)) and not value)


def is_number(value: object) -> bool:
    """A whole or decimal number (True and False are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_date(value: object) -> date | None:
    """A date from a date or an ISO text; None for anything else."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None
