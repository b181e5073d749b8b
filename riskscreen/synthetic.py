"""Synthetic screenings: realistic, valid, deterministic answer sets for demos, tests, benchmarks.

Nothing here describes a real child. Each answer set is drawn from a "profile" (from no
apparent concern to serious concern) so that the scored levels spread across every level;
answers are generated from the form definition alone, so any form version works, and only the
questions visible for the drawn answers are kept.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from riskscreen.forms.answers import DEFAULT_LONG_TEXT_LIMIT, DEFAULT_TEXT_LIMIT, AnswerSet
from riskscreen.forms.model import NOT_KNOWN, FormDefinition, KindRole, Question, QuestionType
from riskscreen.forms.visibility import visible_answers

__all__ = ["PROFILES", "generate_answer_sets"]

#: Profiles and how often each is drawn: no concern, some, serious, severe.
PROFILES = (("none", 40), ("some", 30), ("serious", 20), ("severe", 10))
_PROFILE_NAMES = [name for name, _ in PROFILES]
_PROFILE_WEIGHTS = [weight for _, weight in PROFILES]

# Chance that an indicator of each kind is seen, per profile.
_PRESENT = {
    KindRole.RISK: (0.01, 0.10, 0.22, 0.40),
    KindRole.HARM: (0.0, 0.01, 0.05, 0.25),
    KindRole.VULNERABILITY: (0.08, 0.18, 0.30, 0.40),
    KindRole.PROTECTIVE: (0.85, 0.65, 0.45, 0.30),
    KindRole.CONTEXT: (0.7, 0.7, 0.7, 0.7),
}
_NOT_KNOWN = 0.06
_LEFT_BLANK = 0.02
_FIRST_DATE = date(2025, 1, 6)


#: Screening dates are spread over this many days.
_SPAN_DAYS = 700


def generate_answer_sets(form: FormDefinition, n: int, seed: int = 0,
                         latest: date | None = None) -> list[AnswerSet]:
    """``n`` synthetic answer sets for ``form``, the same for the same (form, n, seed, latest).

    Screening dates fall in the 700 days up to ``latest`` (the demo passes yesterday, so
    nothing is dated in the future), or from 6 January 2025 when it is not given. Every set
    passes :func:`riskscreen.forms.answers.check_answers` for the form.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    first = _FIRST_DATE if latest is None else latest - timedelta(days=_SPAN_DAYS - 1)
    birth_questions = {d.question for d in form.derived}
    questions = list(form.questions())
    out = []
    for i in range(n):
        profile = rng.choices(range(len(PROFILES)), _PROFILE_WEIGHTS)[0]
        screening_date = first + timedelta(days=rng.randrange(_SPAN_DAYS))
        answers: dict[str, Any] = {}
        for q in questions:
            value = _answer(rng, q, profile, i, screening_date, q.id in birth_questions)
            if value is not None:
                answers[q.id] = value
        out.append(AnswerSet(form=form.id, form_version=form.version,
                             screening_date=screening_date,
                             answers=visible_answers(form, answers, screening_date)))
    return out


def _answer(rng: random.Random, q: Question, profile: int, i: int, screening_date: date,
            is_birth: bool) -> Any:
    t = q.type
    if t in (QuestionType.INDICATOR, QuestionType.TIME_WINDOW):
        if not q.required and rng.random() < _LEFT_BLANK:
            return None
        roll = rng.random()
        if roll < _NOT_KNOWN:
            return NOT_KNOWN
        if roll < _NOT_KNOWN + _PRESENT[q.role][profile]:
            if t is QuestionType.INDICATOR:
                return "yes"
            return rng.choices(q.windows.present_ids(), (5, 3, 2))[0]
        return "no" if t is QuestionType.INDICATOR else "none"
    if t is QuestionType.SINGLE_CHOICE:
        return rng.choice(q.option_ids())
    if t is QuestionType.MULTIPLE_CHOICE:
        ids = q.option_ids()
        return sorted(rng.sample(ids, rng.randint(1, min(3, len(ids)))), key=ids.index)
    if t is QuestionType.NUMBER:
        low = q.minimum if q.minimum is not None else 0
        high = q.maximum if q.maximum is not None else low + 20
        if rng.random() < (0.92, 0.6, 0.4, 0.2)[profile]:
            return low
        return min(high, low + rng.randint(1, (2, 3, 6, 10)[profile]))
    if t is QuestionType.DATE:
        if is_birth:
            age_days = rng.randint(9 * 365 + 3, 18 * 365 - 2)
            return (screening_date - timedelta(days=age_days)).isoformat()
        return (screening_date - timedelta(days=rng.randint(1, 400))).isoformat()
    limit = q.max_length or (DEFAULT_TEXT_LIMIT if t is QuestionType.TEXT
                             else DEFAULT_LONG_TEXT_LIMIT)
    if t is QuestionType.TEXT:
        if not q.required and rng.random() < 0.3:
            return None
        return f"Synthetic {i:06d}"[:limit]
    if not q.required and rng.random() < 0.5:
        return None
    return "Synthetic screening for testing only; it describes no real person."[:limit]
