"""Which questions are shown for some answers, and the derived values conditions read.

The rules, chosen so a practitioner can predict them:

* a question hidden by its condition counts as unanswered for every later condition, is not
  required, and is not scored, whatever value may linger from before it was hidden;
* derived values (the child's age) are computed against the screening date, never today.

The conditions themselves are :mod:`riskscreen.conditions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from riskscreen.conditions import as_date, is_answered
from riskscreen.forms.model import FormDefinition

__all__ = ["age_on", "derived_values", "is_answered", "visible_answers", "visible_questions"]


def age_on(birth: date, on: date) -> int:
    """Whole years between a date of birth and a date (a birthday counts on the day)."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def derived_values(form: FormDefinition, answers: Mapping[str, object],
                   screening_date: date) -> dict[str, int]:
    """Compute every derived value the form declares (missing inputs give no value)."""
    out: dict[str, int] = {}
    for d in form.derived:
        if d.kind == "age_years":
            birth = as_date(answers.get(d.question))
            if birth is not None and birth <= screening_date:
                out[d.id] = age_on(birth, screening_date)
    return out


def visible_questions(form: FormDefinition, answers: Mapping[str, object],
                      screening_date: date) -> list[str]:
    """Ids of the questions shown for these answers, in form order.

    Walks the form in order; a hidden question's answer is invisible to later conditions.
    """
    seen: dict[str, object] = {}
    visible: list[str] = []
    derived = derived_values(form, answers, screening_date)
    for q in form.questions():
        if q.show_if is None or form.shown_by(q.id)(seen, derived):
            visible.append(q.id)
            if q.id in answers:
                seen[q.id] = answers[q.id]
    return visible


def visible_answers(form: FormDefinition, answers: Mapping[str, object],
                    screening_date: date) -> dict[str, object]:
    """The answers of visible questions only: what is scored, required and summarised."""
    shown = visible_questions(form, answers, screening_date)
    return {qid: answers[qid] for qid in shown if qid in answers}
