"""The scoring engine: a pure function of (form, model, answers) to an :class:`Assessment`.

Semantics: docs/design/0002-scoring-semantics.md. A model is compiled once per form version
into a :class:`~riskscreen.scoring.plan.ScoringPlan`, whose *explain* executor builds the full
assessment of one screening (:func:`score`) and whose *batch* executor scores many screenings
held as columns. Professional judgement (overrides, amendments) is recorded beside the computed
level here. No clock is read anywhere.
"""

from __future__ import annotations

import re
from dataclasses import replace

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment, Override, OverrideDirection
from riskscreen.scoring.model import ScoringModel
from riskscreen.scoring.plan import (
    ASSESSMENT_FIELDS,
    UNANSWERED,
    BatchResult,
    ModelFormError,
    ScoringPlan,
    add_interval,
)

__all__ = [
    "ASSESSMENT_FIELDS",
    "MIN_REASON_CHARS",
    "MIN_REASON_WORDS",
    "UNANSWERED",
    "BatchResult",
    "ModelFormError",
    "OverrideRefused",
    "ScoringPlan",
    "add_interval",
    "apply_override",
    "carry_forward",
    "check_reason",
    "compile_model",
    "is_lower",
    "score",
]

#: A written reason is at least a sentence: this many characters and words.
MIN_REASON_CHARS = 20
MIN_REASON_WORDS = 4


class OverrideRefused(ValueError):  # noqa: N818 - the name other modules code against
    """A professional-judgement override that the rules do not allow, with the reason why."""


# -- public functions ---------------------------------------------------------------------

_CACHE: dict[tuple[int, str], tuple[FormDefinition, ScoringPlan]] = {}
_CACHE_SIZE = 32


def compile_model(form: FormDefinition, model: ScoringModel) -> ScoringPlan:
    """The scoring plan of this model for this form version, built once and cached (one per
    form and model hash).

    Raises :class:`ModelFormError` if the model does not declare the form version or does
    not fit it.
    """
    key = (id(form), model.sha256)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is form:
        return hit[1]
    plan = ScoringPlan(form, model)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (form, plan)  # holding the form keeps its id from being reused
    return plan


def score(form: FormDefinition, model: ScoringModel, answer_set: AnswerSet,
          previous: Assessment | None = None) -> Assessment:
    """Score one screening. Pure: same inputs, same output; no clock, no randomness.

    ``answer_set`` should already pass :func:`riskscreen.forms.answers.check_answers`; an
    answer the model cannot score raises :class:`AnswerError` naming the question.
    ``previous`` is the child's previous assessment, for the trend.
    """
    return compile_model(form, model).explain(answer_set, previous)


# -- professional judgement -----------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]{2,}")


def is_lower(assessment: Assessment, level: str, than: str) -> bool:
    """Whether ``level`` is lower than ``than`` on the assessment's scale of levels.

    The one test of "lowering" in RiskScreen: an override below the computed or carried
    level, an amendment below the level it amends, and a re-screen below the child's last
    level (a step down, which needs a reason) all use it. An unknown level is never lower.
    """
    ranks = {lv.id: lv.rank for lv in assessment.levels}
    if level not in ranks or than not in ranks:
        return False
    return ranks[level] < ranks[than]


def check_reason(reason: str, what: str = "an override") -> str:
    """The reason, tidied, if it is at least a sentence; else :class:`OverrideRefused`
    saying how much to write (``what`` names what needs it)."""
    text = " ".join(reason.split())
    words = _WORD.findall(text)
    if len(text) < MIN_REASON_CHARS or len(words) < MIN_REASON_WORDS:
        raise OverrideRefused(
            f"{what} needs a written reason of at least a sentence ({MIN_REASON_CHARS} "
            f"characters and {MIN_REASON_WORDS} words)")
    return text


def _check_reason(reason: str) -> str:
    text = " ".join(reason.split())
    words = _WORD.findall(text)
    if len(text) < MIN_REASON_CHARS or len(words) < MIN_REASON_WORDS:
        raise OverrideRefused(
            f"an override needs a written reason of at least a sentence ({MIN_REASON_CHARS} "
            f"characters and {MIN_REASON_WORDS} words): say what you know that the screening "
            "does not show")
    return text


def apply_override(assessment: Assessment, level: str, reason: str, by: str,
                   countersigned_by: str | None = None) -> Assessment:
    """Record professional judgement beside the computed level; return the new assessment.

    The judgement starts from the assessment's final level: the computed level, or the level
    :func:`carry_forward` carried from the screening an amendment amends. Raising the level
    needs a written reason. Going below the computed level or the starting level needs a
    reason and a manager's countersignature (someone other than ``by``), and can never go
    below the minimum of a rule that fired. Raises :class:`OverrideRefused` with a
    user-readable reason otherwise.
    """
    ranks = {lv.id: lv.rank for lv in assessment.levels}
    if level not in ranks:
        raise OverrideRefused(f"unknown level '{level}'; use one of: " + ", ".join(ranks))
    if not by.strip():
        raise OverrideRefused("an override must name the practitioner making it")
    start = assessment.final_level
    wanted = ranks[level]
    higher = start if is_lower(assessment, assessment.level, start) else assessment.level
    if not is_lower(assessment, level, higher):
        if level == assessment.level:
            if start == level:
                raise OverrideRefused(
                    f"the computed level is already {assessment.level_info().name}; there "
                    "is nothing to override")
            # Back up to the computed level from a carried-forward lower one: always allowed.
            return replace(assessment, override=None)
        text = _check_reason(reason)
        return replace(assessment, override=Override(level, OverrideDirection.RAISED, text,
                                                     by.strip(), _clean(countersigned_by)))
    text = _check_reason(reason)
    from_level = start if ranks[start] > ranks[assessment.level] else None
    signer = _clean(countersigned_by)
    if signer is None:
        if from_level is not None:
            raise OverrideRefused(
                f"this amends a screening finalised at {assessment.level_info(start).name}; "
                "a lower level needs a manager's countersignature")
        raise OverrideRefused("lowering the level needs a manager's countersignature")
    if signer.casefold() == by.strip().casefold():
        raise OverrideRefused("the countersignature must be from someone other than the "
                              "practitioner making the override")
    binding = assessment.binding_rule
    if binding is not None and wanted < ranks.get(binding.minimum_level, 0):
        raise OverrideRefused(
            "the level cannot be lowered below "
            f"{assessment.level_info(binding.minimum_level).name}: {binding.reason}")
    return replace(assessment, override=Override(level, OverrideDirection.LOWERED, text,
                                                 by.strip(), signer, from_level))


def carry_forward(assessment: Assessment, amended: Assessment, by: str) -> Assessment:
    """The starting point of an amendment: its computed assessment with the final level of
    the screening it amends (``amended``) carried forward, so amending never lowers a level
    without the countersignature that lowering needs.

    A higher earlier level is kept as a raising judgement, with the earlier reason and names
    when it was one (else a reason saying it was carried, by ``by``). A lower earlier level
    set by countersigned judgement is kept only while the computed level it lowered is
    unchanged and no rule now forbids it; otherwise the amendment starts at its computed level.
    """
    ranks = {lv.id: lv.rank for lv in assessment.levels}
    earlier = amended.final_level
    if earlier not in ranks or earlier == assessment.level:
        return assessment
    if ranks[earlier] > ranks[assessment.level]:
        o = amended.override
        if o is not None and o.level == earlier:
            reason, who, signer = o.reason, o.by, o.countersigned_by
        else:
            name = assessment.level_info(earlier).name
            reason = (f"Carried forward: the screening this amends was finalised at {name}, "
                      "and the amendment keeps that level.")
            who, signer = by.strip(), None
        return replace(assessment, override=Override(earlier, OverrideDirection.RAISED,
                                                     reason, who, signer))
    binding = assessment.binding_rule
    floor = ranks.get(binding.minimum_level, 0) if binding is not None else 0
    if (amended.override is not None and amended.level == assessment.level
            and ranks[earlier] >= floor):
        return replace(assessment, override=amended.override)
    return assessment


def _clean(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    return name.strip()
