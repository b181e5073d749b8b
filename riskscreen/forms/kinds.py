"""The vocabulary of questions: what a question means, what answer it takes, and the answer
words of indicator questions. Kept apart from the form models so that the condition language
can use it without importing the forms it is part of."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ABSENT",
    "ANSWER_LABELS",
    "INDICATOR_TYPES",
    "INDICATOR_VALUES",
    "NOT_KNOWN",
    "RESERVED_ANSWERS",
    "TIME_WINDOW_VALUES",
    "KindRole",
    "QuestionKind",
    "QuestionType",
]

NOT_KNOWN = "not_known"
#: Answers to a yes/no/not-known indicator. "not_known" is an honest answer, never read as "no".
INDICATOR_VALUES = ("yes", "no", NOT_KNOWN)
#: The time-window answer for an indicator not seen in either period.
ABSENT = "none"
#: Answers to a time-window indicator of a form that declares no ``time_windows``: not seen,
#: seen in the last 3 months, seen 3 to 12 months ago, seen in both periods, or not known. A
#: form's own windows replace the three middle words (see ``FormDefinition.time_windows``).
TIME_WINDOW_VALUES = (ABSENT, "recent", "older", "both", NOT_KNOWN)
#: Answer words no time window may take as its id.
RESERVED_ANSWERS = frozenset({"yes", "no", ABSENT, NOT_KNOWN, "unanswered"})


class QuestionKind(StrEnum):
    """What a question tells the engine and the summary, kept apart on purpose.

    Inspectors criticise tools that mix risk (something that makes exploitation more likely)
    with evidence of harm already happening; the two are scored and reported separately.
    """

    CONTEXT = "context"
    VULNERABILITY = "vulnerability"
    RISK_INDICATOR = "risk_indicator"
    HARM_INDICATOR = "harm_indicator"
    PROTECTIVE_FACTOR = "protective_factor"


class KindRole(StrEnum):
    """What a kind of question does in scoring and routing, whatever the form calls it.

    A form names its own kinds (``kinds:``); each says which role it plays: context is not
    scored; risk and harm are indicators (harm counts first towards the main concern);
    protective factors may only take points off; vulnerabilities add a little.
    """

    CONTEXT = "context"
    VULNERABILITY = "vulnerability"
    RISK = "risk"
    HARM = "harm"
    PROTECTIVE = "protective"


class QuestionType(StrEnum):
    """The kind of answer a question takes."""

    INDICATOR = "indicator"  # yes / no / not_known
    TIME_WINDOW = "time_window"  # none / recent / older / both / not_known
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"
    LONG_TEXT = "long_text"


#: The question types whose answers say whether an indicator was seen.
INDICATOR_TYPES = (QuestionType.INDICATOR, QuestionType.TIME_WINDOW)

ANSWER_LABELS = {
    "yes": "Yes",
    "no": "No",
    NOT_KNOWN: "Not known",
    "none": "Not present",
    "recent": "Within the last 3 months",
    "older": "3 to 12 months ago",
    "both": "Both recently and 3 to 12 months ago",
}
