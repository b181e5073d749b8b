"""Building the referral summary's data from a form, its answers, the assessment and the route.

Pure: no files, no clock (``generated_at`` is passed in), no PDF. Which questions hold the
child's name, the consent, the views and so on comes from one place, the routing table's
``summary_fields`` (:class:`~riskscreen.routing.model.SummaryFields`); a field whose question
is absent from the form, hidden by its condition, or unanswered is simply left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from riskscreen.forms.answers import AnswerSet, answer_text
from riskscreen.forms.model import FormDefinition, KindRole, Question, QuestionType
from riskscreen.forms.visibility import derived_values, is_answered, visible_answers
from riskscreen.routing.model import SummaryFields
from riskscreen.routing.route import Route, level_phrase
from riskscreen.scoring.assessment import Assessment, Contribution, LevelInfo
from riskscreen.scoring.gaps import (
    NOT_KNOWN_ANSWERS,
    NotKnownTally,
    not_known_tally,
    unscored_not_known,
)
from riskscreen.scoring.model import ScoringModel
from riskscreen.summary.marking import DEFAULT_MARKING
from riskscreen.summary.model import (
    Amendment,
    Field,
    Gap,
    Indicator,
    IndicatorGroup,
    LevelBadge,
    OverrideInfo,
    ReferralSummary,
    Referrer,
    RuleLine,
    TextBlock,
)

__all__ = ["DEFAULT_MARKING", "KIND_LABELS", "build_summary", "format_date", "protective_note"]

#: How each kind of question is named on the summary when the form does not say.
KIND_LABELS = {
    "risk_indicator": "Sign of risk",
    "harm_indicator": "Sign of harm",
    "vulnerability": "Vulnerability",
    "protective_factor": "Protective factor",
    "context": "Context",
}

#: The summary's own short labels for the fields it reads (the question text is the fallback).
ROLE_LABELS = {
    "child_name": "Name",
    "date_of_birth": "Date of birth",
    "age": "Age at screening",
    "gender": "Gender",
    "ethnicity": "Ethnicity",
    "case_number": "Case or reference number",
    "nhs_number": "NHS number",
    "child_address": "Address",
    "school": "School or college",
    "gp": "GP practice",
    "parent_carer": "Name and relationship",
    "parent_carer_contact": "How to contact them",
    "practitioner_phone": "Phone",
    "practitioner_email": "Email",
    "practitioner_agency": "Agency",
    "practitioner_agency_other": "Agency name",
    "practitioner_role": "Role",
    "screening_reason": "Reason for the screening",
    "screening_reason_detail": "What led to this screening",
    "child_aware": "The child knows about this screening",
    "family_aware": "Parents or carers know about this screening",
    "family_not_told_reason": "Why the parents or carers have not been told",
    "consent_to_share": "Consent to share information",
    "consent_given_by": "Consent given by",
    "sharing_without_consent_reason": "Why information is shared without consent",
    "child_spoken_to": "The child was spoken to",
    "who_was_present": "Who else was present",
    "child_views": "What the child said, in their own words",
    "child_wishes": "What the child would like to happen",
    "not_spoken_to_reason": "Why the child has not been spoken to yet",
    "parent_carer_views": "What the parent or carer said",
    "practitioner_analysis": "Practitioner's analysis of the risk",
    "actions_taken": "Actions already taken and what happens next",
}

#: Answers that mean "not present"; with no points they are left off the summary, which lists
#: what was found, not every question asked.
ABSENT_ANSWERS = frozenset({"no", "none"})


def _shown(c: Contribution) -> bool:
    """Whether a contribution is listed as found (not a gap, and present or weighted)."""
    if c.answer in NOT_KNOWN_ANSWERS:
        return False
    return c.points != 0 or c.answer not in ABSENT_ANSWERS


EVIDENCE_BASIS = {
    "observed": "Seen by a practitioner",
    "reported": "Reported",
    "concern": "Professional concern",
}


def format_date(value: date) -> str:
    """``4 May 2012``: unambiguous on both sides of the Atlantic."""
    return f"{value.day} {value.strftime('%B %Y')}"


def _contrast(colour: str) -> str:
    """Black or white text, whichever reads better on ``colour`` (``#rrggbb``)."""
    hex_ = colour.lstrip("#")
    if len(hex_) != 6:
        return "#000000"
    try:
        r, g, b = (int(hex_[i:i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return "#000000"

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)

    luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    # Contrast with white is (1.05)/(L+0.05); with black (L+0.05)/0.05: pick the larger.
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#000000"


def _badge(assessment: Assessment, level: str) -> LevelBadge:
    try:
        info = assessment.level_info(level)
    except KeyError:
        info = LevelInfo(level, level.replace("_", " ").capitalize(), "#777777", 0)
    return LevelBadge(info.id, level_phrase(info.name), info.colour, _contrast(info.colour),
                      info.rank, max(len(assessment.levels), 1))


class _Reader:
    """Reads the summary's fields out of the visible answers, by role."""

    def __init__(self, form: FormDefinition, answer_set: AnswerSet, fields: SummaryFields):
        self.form = form
        self.index = form.question_index()
        self.answers = visible_answers(form, answer_set.answers, answer_set.screening_date)
        self.derived = derived_values(form, self.answers, answer_set.screening_date)
        self.roles = fields.model_dump()

    def question(self, role: str) -> Question | None:
        qid = self.roles.get(role)
        return self.index.get(qid) if isinstance(qid, str) else None

    def raw(self, role: str) -> Any:
        q = self.question(role)
        if q is None:
            return None
        value = self.answers.get(q.id)
        return value if is_answered(value) else None

    def text(self, role: str) -> str | None:
        """The answer for a role, as readable text, or None when there is none."""
        if role == "age":
            derived_id = self.roles.get("age")
            age = self.derived.get(derived_id) if isinstance(derived_id, str) else None
            return f"{age} years" if age is not None else None
        q = self.question(role)
        value = self.raw(role)
        if q is None or value is None:
            return None
        if q.type is QuestionType.DATE and isinstance(value, str):
            try:
                return format_date(date.fromisoformat(value))
            except ValueError:
                return value
        return answer_text(q, value)

    def label(self, role: str) -> str:
        q = self.question(role)
        return ROLE_LABELS.get(role) or (q.text if q is not None else role)

    def fields(self, *roles: str) -> tuple[Field, ...]:
        out = []
        for role in roles:
            value = self.text(role)
            if value is not None:
                out.append(Field(self.label(role), value))
        return tuple(out)

    def blocks(self, *roles: str) -> tuple[TextBlock, ...]:
        out = []
        for role in roles:
            value = self.text(role)
            if value is not None:
                out.append(TextBlock(self.label(role), value))
        return tuple(out)


def _section_titles(form: FormDefinition) -> tuple[dict[str, str], dict[str, int]]:
    titles: dict[str, str] = {}
    order: dict[str, int] = {}
    for i, s in enumerate(form.sections):
        titles[s.id] = s.title
        titles[s.title] = s.title
        order[s.id] = order[s.title] = i
    return titles, order


def _evidence(answer_set: AnswerSet, qid: str) -> str:
    record = answer_set.evidence.get(qid)
    if record is None:
        return ""
    parts = [EVIDENCE_BASIS.get(record.basis.value, record.basis.value)]
    if record.details:
        parts.append(record.details)
    extra = ", ".join(x for x in (record.source,
                                  format_date(record.when) if record.when else "") if x)
    text = ": ".join(parts)
    return f"{text} ({extra})" if extra else text


def _indicator(c: Contribution, form: FormDefinition, answer_set: AnswerSet,
               concern_labels: Mapping[str, str]) -> Indicator:
    q = form.question_index().get(c.question)
    return Indicator(
        question=c.question,
        text=c.label or (q.text if q else c.question),
        answer=c.answer_label or c.answer,
        points=c.points,
        kind=_kind_label(form, c.kind),
        concern=concern_labels.get(c.concern, c.concern.replace("_", " ")) if c.concern else "",
        evidence=_evidence(answer_set, c.question),
    )


def _kind_label(form: FormDefinition, kind: str) -> str:
    try:
        return form.kind_of(kind).label
    except KeyError:
        return KIND_LABELS.get(kind, kind.replace("_", " "))


def _either(phrases: list[str], conjunction: str = "or") -> str:
    """``signs of risk or harm``: phrases joined with "or" (or ``conjunction``), sharing
    their first words."""
    if not phrases:
        return ""
    if len(phrases) == 1:
        return phrases[0]
    words = [p.split() for p in phrases]
    shared = 0
    while all(len(w) > shared + 1 and w[shared] == words[0][shared] for w in words):
        shared += 1
    head = " ".join(words[0][:shared])
    tails = [" ".join(w[shared:]) for w in words]
    joined = ", ".join(tails[:-1]) + f" {conjunction} " + tails[-1]
    return f"{head} {joined}" if head else joined


def protective_words(form: FormDefinition) -> str:
    """What the form calls its protective factors, in the plural ("protective factors")."""
    used = {q.kind for q in form.questions()}
    return _either([form.kind_of(k).plural for k in form.kinds_with(KindRole.PROTECTIVE)
                    if k in used], "and") or "protective factors"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def protective_note(form: FormDefinition, model: ScoringModel | None) -> str:
    """What protective factors do under the model in force, in a sentence or two."""
    base = f"{_capital(protective_words(form))} are what any plan should build on."
    used = {q.kind for q in form.questions()}
    signs = [form.kind_of(k).plural for k in form.kinds_with(KindRole.RISK, KindRole.HARM)
             if k in used]
    harm = [k for k in form.kinds_with(KindRole.HARM) if k in used]
    what = _either(signs) or "what was found"
    every = _either(signs, "and") or "what was found"
    kept = ": a child can have a loving family and still be exploited."
    if model is None:
        return f"{base} They do not cancel out {what}{kept}"
    index = form.question_index()
    reduces = any(points < 0 for qid, table in model.weights.items()
                  if qid in index and index[qid].role is KindRole.PROTECTIVE
                  for points in table.values())
    n = model.protective.max_reduction
    if not reduces or n == 0:
        return f"{base} This scoring model takes no points off for them."
    floor = set(model.protective.floor_kinds)
    if all(k in floor for k in harm):
        return f"{base} They do not cancel out {what}{kept}"
    return (f"{base} With this scoring model they take up to {n} point{'s' if n != 1 else ''} "
            f"off, from {every} alike, so the level can be lower than those signs alone would "
            f"give. They never remove a sign that was seen{kept}")


def _groups(assessment: Assessment, form: FormDefinition, answer_set: AnswerSet,
            concern_labels: Mapping[str, str]) -> tuple[IndicatorGroup, ...]:
    titles, order = _section_titles(form)
    qorder = {q.id: i for i, q in enumerate(form.questions())}
    by_section: dict[str, list[Contribution]] = {}
    for c in assessment.contributions:
        if _shown(c):
            by_section.setdefault(c.section, []).append(c)
    groups = []
    for section in sorted(by_section, key=lambda s: (order.get(s, len(order)), s)):
        items = sorted(by_section[section], key=lambda c: qorder.get(c.question, len(qorder)))
        groups.append(IndicatorGroup(
            titles.get(section, section.replace("_", " ").capitalize()),
            tuple(_indicator(c, form, answer_set, concern_labels) for c in items)))
    return tuple(groups)


def _explanation(assessment: Assessment, route: Route, gaps: NotKnownTally,
                 protective: str = "protective factors") -> tuple[str, ...]:
    def name(level: str) -> str:
        return _badge(assessment, level).name

    unit = "point" if abs(assessment.score) == 1 else "points"
    lines = [f"The answers below add up to {assessment.score} {unit}, which on points alone "
             f"gives {name(assessment.points_level)}."]
    if gaps.questions:
        lines.append(f"{gaps.sentence()}. Not knowing is a gap to follow up, not evidence of "
                     "exploitation.")
    if assessment.protective_applied:
        n = abs(assessment.protective_applied)
        lines.append(f"{_capital(protective)} were taken into account: {n} "
                     f"point{'s' if n != 1 else ''} less.")
    for rule in assessment.rules_fired:
        lines.append(f"{rule.reason} This means the level is at least "
                     f"{name(rule.minimum_level)}.")
    lines.append(f"The screening level is {name(assessment.level)}.")
    lines.append(route.why)
    if assessment.override is not None:
        lines.append(f"Reason for the professional judgement: {assessment.override.reason}")
    return tuple(lines)


def _referrer_fields(reader: _Reader, referrer: Referrer | None) -> tuple[Field, ...]:
    r = referrer or Referrer()
    agency = r.organisation or reader.text("practitioner_agency_other") or reader.text(
        "practitioner_agency")
    out = [Field("Name", r.name)] if r.name else []
    role = r.role or reader.text("practitioner_role")
    if role:
        out.append(Field("Role", role))
    if agency:
        out.append(Field("Agency", agency))
    email = r.email or reader.text("practitioner_email")
    if email:
        out.append(Field("Email", email))
    phone = r.phone or reader.text("practitioner_phone")
    if phone:
        out.append(Field("Phone", phone))
    if not out:
        out.append(Field("Referrer", "Not recorded: contact the agency named on the screening"))
    return tuple(out)


def build_summary(
    form: FormDefinition,
    answer_set: AnswerSet,
    assessment: Assessment,
    route: Route,
    *,
    reference: str,
    generated_at: datetime,
    marking: str = DEFAULT_MARKING,
    referrer: Referrer | None = None,
    organisation: str = "",
    fields: SummaryFields | None = None,
    concern_labels: Mapping[str, str] | None = None,
    people: Mapping[str, str] | None = None,
    amends: Amendment | None = None,
    model: ScoringModel | None = None,
) -> ReferralSummary:
    """Collect and word everything the referral summary shows.

    Args:
        form: the questionnaire the answers belong to.
        answer_set: the answers (only visible questions' answers are used).
        assessment: the engine's result for these answers.
        route: :func:`riskscreen.routing.route` of the assessment.
        reference: the referral's reference number (no personal data in it).
        generated_at: when the summary is produced (printed on every page).
        marking: protective marking printed in the header and footer.
        referrer: who is making the referral; role and agency fall back to the answers.
        organisation: the organisation issuing the summary, for the title block.
        fields: which questions hold which fields (the routing table's ``summary_fields``).
        concern_labels: concern tag -> label (the routing table's ``concerns``).
        people: account name -> the person's name, for who decided or countersigned an
            override (assessments record account names).
        amends: the earlier referral this one replaces, for an amended screening.
        model: the scoring model that made the assessment, for the sentences about what
            protective factors do (a general sentence without it).
    """
    reader = _Reader(form, answer_set, fields or SummaryFields())
    labels = dict(concern_labels or {})
    titles, _ = _section_titles(form)
    index = form.question_index()

    consent = reader.fields("consent_to_share", "consent_given_by")
    consent_detail = reader.blocks("sharing_without_consent_reason")
    if not consent:
        consent = (Field("Consent to share information", "Not recorded"),)

    unscored = unscored_not_known(form, reader.answers, assessment)
    tally = not_known_tally(assessment, unscored)
    unknown = {c.question: c for c in assessment.contributions if c.answer in NOT_KNOWN_ANSWERS}
    gaps = []
    for qid in dict.fromkeys((*assessment.not_known, *unknown, *unscored)):
        q = index.get(qid)
        section = titles.get(form.section_of(qid).id, "") if q is not None else ""
        c = unknown.get(qid)
        answer = "Not answered" if c is not None and c.answer == "unanswered" else "Not known"
        gaps.append(Gap(section, q.text if q is not None else qid.replace("_", " "), answer,
                        c.points if c is not None else 0))

    names = dict(people or {})
    o = assessment.override
    override = None if o is None else OverrideInfo(
        computed_level=_badge(assessment, assessment.level).name,
        final_level=_badge(assessment, o.level).name,
        direction=o.direction.value, reason=o.reason, by=names.get(o.by) or o.by,
        countersigned_by=(names.get(o.countersigned_by) or o.countersigned_by
                          if o.countersigned_by else ""),
        from_level=_badge(assessment, o.from_level).name if o.from_level else "")

    trend = {"increased": "Higher than the previous screening",
             "decreased": "Lower than the previous screening",
             "unchanged": "The same as the previous screening",
             "first": "First screening recorded"}
    provenance = [
        Field("Scoring model", f"{assessment.model.id} version {assessment.model.version} "
                               f"(hash {assessment.model.short_hash})"),
        Field("Form", f"{form.id} version {answer_set.form_version}"),
        Field("Routing table", f"{route.table_id} version {route.table_version}"),
        Field("Screening date", format_date(assessment.screening_date)),
        Field("Review by", format_date(assessment.review_date)),
    ]
    if assessment.trend is not None:
        provenance.append(Field("Change since last screening",
                                trend.get(assessment.trend.value, assessment.trend.value)))
    replaces = ""
    if amends is not None:
        provenance.append(Field("Replaces", amends.reference))
        when = (f", finalised on {format_date(amends.finalised_on)}"
                if amends.finalised_on is not None else "")
        replaces = (f"This referral replaces referral {amends.reference}{when}, which "
                    "should no longer be used.")
        if amends.reason.strip():
            replaces += f" Why the screening was amended: {amends.reason.strip()}"
    family_note = ""
    if reader.raw("family_aware") == "no":
        family_note = ("The parents or carers have not been told about this screening. Read "
                       "why (under \u201cReason for the screening\u201d) before contacting "
                       "them.")

    protective = tuple(_indicator(c, form, answer_set, labels) for c in assessment.protective
                       if _shown(c))

    return ReferralSummary(
        title="Referral summary",
        form_title=form.title,
        organisation=organisation,
        marking=marking.strip() or DEFAULT_MARKING,
        reference=reference,
        generated_at=generated_at,
        screening_date=assessment.screening_date,
        review_date=assessment.review_date,
        level=_badge(assessment, assessment.final_level),
        computed_level=_badge(assessment, assessment.level),
        route=route,
        level_explanation=_explanation(assessment, route, tally, protective_words(form)),
        child=reader.fields("child_name", "date_of_birth", "age", "gender", "ethnicity",
                            "case_number", "nhs_number", "child_address", "school", "gp"),
        family=reader.fields("parent_carer", "parent_carer_contact"),
        referrer=_referrer_fields(reader, referrer),
        reason=reader.fields("screening_reason", "child_aware", "family_aware"),
        reason_detail=reader.blocks("screening_reason_detail", "family_not_told_reason"),
        consent=consent,
        consent_detail=consent_detail,
        indicators=_groups(assessment, form, answer_set, labels),
        rules_fired=tuple(RuleLine(r.id, r.reason, _badge(assessment, r.minimum_level).name)
                          for r in assessment.rules_fired),
        gaps=tuple(gaps),
        protective=protective,
        protective_note=protective_note(form, model),
        protective_title=_capital(protective_words(form)),
        views=reader.fields("child_spoken_to", "who_was_present"),
        views_text=reader.blocks("child_views", "child_wishes", "not_spoken_to_reason",
                                 "parent_carer_views"),
        analysis=reader.blocks("practitioner_analysis", "actions_taken"),
        override=override,
        provenance=tuple(provenance),
        gaps_counted=tally.counted,
        gaps_note=tally.sentence() if tally.questions else "",
        family_note=family_note,
        replaces=replaces,
    )
