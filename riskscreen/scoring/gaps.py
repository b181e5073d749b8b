"""What is not known yet in an assessment, and how much of it the score actually counts.

One reading of an :class:`~riskscreen.scoring.assessment.Assessment` for everything that shows
it (the live score, the review, the referral summary), so that each says the same count and
the same points: the questions answered "Not known" or not answered yet, the points those
answers would add, and the points counted after the model's ``not_known_cap``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from riskscreen.forms.kinds import INDICATOR_TYPES, NOT_KNOWN, KindRole
from riskscreen.forms.model import FormDefinition
from riskscreen.forms.visibility import is_answered, visible_questions
from riskscreen.scoring.assessment import Assessment

__all__ = ["NOT_KNOWN_ANSWERS", "UNANSWERED", "NotKnownTally", "ReviewGaps", "not_known_tally",
           "review_gaps", "unscored_not_known"]

#: The answer the engine records for a visible scored question left blank.
UNANSWERED = "unanswered"
#: Contribution answers that mean "not known" (an unanswered indicator counts as not known).
NOT_KNOWN_ANSWERS = frozenset({"not_known", UNANSWERED})


def _points(n: int) -> str:
    return f"{n} point{'s' if abs(n) != 1 else ''}"


@dataclass(frozen=True)
class NotKnownTally:
    """The gaps of one assessment, counted once.

    Attributes:
        questions: scored questions answered "Not known" or not answered yet (protective
            factors included: finding out about them may change the level too).
        unanswered: how many of ``questions`` have no answer at all yet.
        scored: scored questions visible on this screening (answered or not).
        points: the points those answers would add before the cap (protective factors aside).
        counted: the points of them the score counts.
        cap: the model's ``not_known_cap``, or None for a model without one.
    """

    questions: int
    unanswered: int
    scored: int
    points: int
    counted: int
    cap: int | None

    @property
    def capped(self) -> bool:
        """Whether the cap left some of the not-known points out."""
        return self.counted < self.points

    @property
    def nothing_answered(self) -> bool:
        """Whether no scored question has an answer yet (the level means nothing yet)."""
        return self.scored > 0 and self.unanswered == self.scored

    def no_level_words(self, answered: int = 0) -> tuple[str, str]:
        """What to show instead of a level while :attr:`nothing_answered`: a short label and a
        sentence, both true whether or not other questions (``answered`` of them, such as the
        child's details, which carry no points) have been answered."""
        if answered <= 0:
            return ("Nothing answered yet",
                    "No level yet: no question has been answered. Until a scored question "
                    "is answered it counts as “Not known”.")
        many = f"{answered} question{'s' if answered != 1 else ''} answered"
        return ("Nothing scored yet",
                f"No level yet: {many}, none of them scored. Until a scored question is "
                "answered it counts as “Not known”.")

    def sentence(self) -> str:
        """E.g. ``39 questions not known or not answered yet: 8 points counted (capped at 8;
        ...)``."""
        if not self.questions:
            return "No question is recorded as not known."
        text = (f"{self.questions} question{'s' if self.questions != 1 else ''} not known or "
                f"not answered yet: {_points(self.counted)} counted")
        if self.capped:
            text += (f" (capped at {self.cap}; without the cap they would add "
                     f"{_points(self.points)})")
        return text


def unscored_not_known(form: FormDefinition, visible: Mapping[str, object],
                       assessment: Assessment) -> list[str]:
    """Indicators answered "not known" that the model does not score, in form order.

    The assessment lists the not-known answers the model weights; an indicator no model
    weights is still a gap to follow up. ``visible`` holds the answers of the questions shown
    for these answers (hidden ones removed).
    """
    listed = set(assessment.not_known)
    return [q.id for q in form.questions()
            if q.type in INDICATOR_TYPES and q.role is not KindRole.CONTEXT
            and q.id not in listed and visible.get(q.id) == NOT_KNOWN]


def not_known_tally(assessment: Assessment, unscored: Sequence[str] = ()) -> NotKnownTally:
    """Count the gaps of an assessment and the not-known points its score counts.

    ``unscored`` adds the indicators answered "not known" that the model does not score
    (:func:`unscored_not_known`): gaps too, with no points. Works for any stored assessment:
    models without a cap record no ``not_known_*`` keys in ``extra``, and then every
    not-known point counts.
    """
    scored = (*assessment.contributions, *assessment.protective)
    by_question = {c.question for c in scored}
    unanswered = len({c.question for c in scored if c.answer == UNANSWERED})
    summed = sum(c.points for c in assessment.contributions if c.answer in NOT_KNOWN_ANSWERS)
    points = int(assessment.extra.get("not_known_points", summed))
    left_out = int(assessment.extra.get("not_known_capped", 0))
    cap = assessment.extra.get("not_known_cap")
    return NotKnownTally(
        questions=len(assessment.not_known) + len(unscored), unanswered=unanswered,
        scored=len(by_question), points=points, counted=points - left_out,
        cap=int(cap) if cap is not None else None)


@dataclass(frozen=True)
class ReviewGaps:
    """What the review before finalising lists, as question ids in form order.

    Attributes:
        missing: questions shown for these answers that must be answered and are not.
        not_known: indicators shown and answered "Not known", then the questions the score
            counts as not known that have no answer at all yet.
    """

    missing: tuple[str, ...]
    not_known: tuple[str, ...]


def review_gaps(form: FormDefinition, answers: Mapping[str, object], screening_date: date,
                assessment: Assessment | None = None) -> ReviewGaps:
    """The gaps of a screening about to be finalised: one reading for every review.

    A hidden question is never a gap, whatever value lingers on it; a question answered
    "Not known" that the score does not weigh (another kind than an indicator) is no gap
    either, since finding it out changes nothing the level rests on.
    """
    visible = set(visible_questions(form, answers, screening_date))
    missing = tuple(q.id for q in form.questions()
                    if q.id in visible and q.required and not is_answered(answers.get(q.id)))
    unknown = [q.id for q in form.questions() if q.id in visible
               and q.type in INDICATOR_TYPES and answers.get(q.id) == NOT_KNOWN]
    if assessment is not None:
        for qid in assessment.not_known:
            if qid not in unknown and not is_answered(answers.get(qid)):
                unknown.append(qid)
    return ReviewGaps(missing, tuple(unknown))
