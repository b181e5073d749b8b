"""Evaluating ``show_if`` conditions and working out which questions are visible.

The rules, chosen so a practitioner can predict them:

* a comparison with an unanswered subject is false (``not`` of it is therefore true);
* a question hidden by its condition counts as unanswered for every later condition, is not
  required, and is not scored, whatever value may linger from before it was hidden;
* derived values (the child's age) are computed against the screening date, never today.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from riskscreen.forms.model import Comparison, Condition, FormDefinition

__all__ = ["age_on", "derived_values", "evaluate", "is_answered", "visible_answers",
           "visible_questions"]


def age_on(birth: date, on: date) -> int:
    """Whole years between a date of birth and a date (a birthday counts on the day)."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def derived_values(
    form: FormDefinition, answers: Mapping[str, Any], screening_date: date
) -> dict[str, Any]:
    """Compute every derived value the form declares (missing inputs give no value)."""
    out: dict[str, Any] = {}
    for d in form.derived:
        if d.kind == "age_years":
            birth = _as_date(answers.get(d.question))
            if birth is not None and birth <= screening_date:
                out[d.id] = age_on(birth, screening_date)
    return out


def is_answered(value: Any) -> bool:
    """An answer counts as given unless it is missing, null, blank or an empty list."""
    if value is None:
        return False
    if isinstance(value, str) and not value.strip():
        return False
    return not (isinstance(value, (list, tuple)) and not value)


def _subject_value(c: Comparison, answers: Mapping[str, Any], derived: Mapping[str, Any]) -> Any:
    if c.question is not None:
        return answers.get(c.question)
    return derived.get(str(c.derived))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    return None


def evaluate(
    condition: Condition, answers: Mapping[str, Any], derived: Mapping[str, Any]
) -> bool:
    """Evaluate a condition tree over answers and derived values."""
    op = condition.operator
    if op == "all":
        return all(evaluate(c, answers, derived) for c in condition.all_ or [])
    if op == "any":
        return any(evaluate(c, answers, derived) for c in condition.any_ or [])
    if op == "not":
        assert condition.not_ is not None
        return not evaluate(condition.not_, answers, derived)
    if op == "answered":
        assert condition.answered is not None
        subject = condition.answered
        value = answers.get(subject.question) if subject.question else derived.get(
            str(subject.derived))
        return is_answered(value)
    comparison = {
        "equals": condition.equals, "in": condition.in_, "contains": condition.contains,
        "greater_than": condition.greater_than, "less_than": condition.less_than,
    }[op]
    assert comparison is not None
    value = _subject_value(comparison, answers, derived)
    if not is_answered(value):
        return False
    if op == "equals":
        return bool(value == comparison.value)
    if op == "in":
        return value in (comparison.values or [])
    if op == "contains":
        return isinstance(value, (list, tuple)) and comparison.value in value
    left, right = _number(value), _number(comparison.value)
    if left is None or right is None:
        left_date, right_date = _as_date(value), _as_date(comparison.value)
        if left_date is None or right_date is None:
            return False
        return left_date > right_date if op == "greater_than" else left_date < right_date
    return left > right if op == "greater_than" else left < right


def visible_questions(
    form: FormDefinition, answers: Mapping[str, Any], screening_date: date
) -> list[str]:
    """Ids of the questions shown for these answers, in form order.

    Walks the form in order; a hidden question's answer is invisible to later conditions.
    """
    seen: dict[str, Any] = {}
    visible: list[str] = []
    derived = derived_values(form, answers, screening_date)
    for q in form.questions():
        if q.show_if is None or evaluate(q.show_if, seen, derived):
            visible.append(q.id)
            if q.id in answers:
                seen[q.id] = answers[q.id]
    return visible


def visible_answers(
    form: FormDefinition, answers: Mapping[str, Any], screening_date: date
) -> dict[str, Any]:
    """The answers of visible questions only: what is scored, required and summarised."""
    shown = visible_questions(form, answers, screening_date)
    return {qid: answers[qid] for qid in shown if qid in answers}
