"""Thin adapters between the services and the GUI for what the services do not offer yet.

Each one only reshapes what a service returns and calls the core's own functions; none
repeats their logic. They are candidates to move into :mod:`riskscreen.services`:

* :func:`answer_set_of` — the services return a screening's answers (``ScreeningDetail``)
  but not its :class:`AnswerSet`, which the referral summary needs;
* :func:`referral_summary` — there is no service use case "referral summary of a finalised
  screening" (route + build_summary with the routing table's fields);
* :func:`level_styles` — the level names and colours of the published models, for the list.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.model import FormDefinition
from riskscreen.services import Session
from riskscreen.services.types import ScreeningDetail
from riskscreen.summary import ReferralSummary, Referrer, build_summary
from riskscreen.ui.home import LevelStyle

__all__ = ["answer_set_of", "level_styles", "referral_reference", "referral_summary"]


def answer_set_of(detail: ScreeningDetail) -> AnswerSet:
    """The answer set of a screening as the core takes it."""
    evidence: dict[str, Any] = {qid: a.evidence for qid, a in detail.answers.items()
                                if a.evidence}
    return AnswerSet.model_validate({
        "form": detail.form_id, "form_version": detail.form_version,
        "screening_date": date.fromisoformat(detail.row.screening_date[:10]),
        "answers": {qid: a.value for qid, a in detail.answers.items()},
        "evidence": evidence})


def referral_reference(detail: ScreeningDetail) -> str:
    """``RS-YYYYMMDD-NNNNNN``: the screening date and its number, no personal data."""
    return f"RS-{detail.row.screening_date[:10].replace('-', '')}-{detail.row.id:06d}"


def referral_summary(session: Session, detail: ScreeningDetail, form: FormDefinition,
                     generated_at: datetime | None = None) -> ReferralSummary:
    """The referral summary of a finalised screening, routed by the shipped routing table."""
    from riskscreen.routing import load_routing, route

    if detail.assessment is None:
        raise ValueError("only a finalised screening has a referral summary")
    table = load_routing()
    user = session.user
    return build_summary(
        form, answer_set_of(detail), detail.assessment, route(detail.assessment, table),
        reference=referral_reference(detail),
        generated_at=generated_at or datetime.now().astimezone(),
        referrer=Referrer(name=user.display_name or user.name),
        fields=table.summary_fields, concern_labels=table.concerns)


def level_styles(session: Session) -> tuple[dict[str, LevelStyle], list[str]]:
    """Names and colours of every level of the published models, and their order."""
    styles: dict[str, LevelStyle] = {}
    order: list[tuple[int, str]] = []
    for info in session.list_models():
        model = session.stored_model(info.sha256)
        for level in model.level_infos():
            if level.id not in styles:
                styles[level.id] = LevelStyle(level.name, level.colour)
                order.append((level.rank, level.id))
    return styles, [lv for _, lv in sorted(order)]
