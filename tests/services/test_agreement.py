"""Agreement exercises through the services: managers set vignettes and assign practitioners,
practitioners screen them in practice mode, and the report's alpha is the one worked by hand.
Practice screenings never reach real lists, reports, referrals, checks or impact analysis."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.loader import load_form
from riskscreen.scoring.calibration import indicator_agreement
from riskscreen.scoring.engine import score
from riskscreen.scoring.loader import load_model
from riskscreen.services import PermissionDenied, ServiceError, Session
from riskscreen.services.agreement import indicator_questions
from riskscreen.services.errors import IncompleteScreening, NotEditable
from riskscreen.services.types import ScreeningQuery
from riskscreen.synthetic import generate_answer_sets

from ..conftest import Vault, start_screening_where


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


def _answers_at_level(level: str, on: date, skip: int = 0) -> dict[str, Any]:
    """The answers (all of them) of a synthetic set that scores ``level`` when screened on
    ``on``, the ``skip``-th such set."""
    form, model = load_form("cse-screening"), load_model("cse-screening")
    for answer_set in generate_answer_sets(form, 400, seed=11):
        dated = AnswerSet.model_validate({**answer_set.model_dump(), "screening_date": on})
        if score(form, model, dated).level == level:
            if skip == 0:
                return {**dated.answers, "__evidence__": {
                    k: v.model_dump(mode="json") for k, v in dated.evidence.items()}}
            skip -= 1
    raise AssertionError(f"no synthetic answer set scores {level}")


def _practise(session: Session, vignette_id: int, answers: dict[str, Any]) -> int:
    detail = session.agreement.open_practice(vignette_id)
    given = dict(answers)
    evidence = given.pop("__evidence__", {})
    session.agreement.save_practice(detail.id, given, evidence)
    session.agreement.submit_practice(detail.id)
    return detail.id


def _exercise(vault: Vault, vignettes: int = 3) -> tuple[Session, int, list[int]]:
    mary = vault.login("mary")
    ex = mary.agreement.create_exercise("Autumn practice")
    ids = [mary.agreement.add_vignette(ex.id, f"Vignette {n + 1}",
                                       "A made-up case for the exercise, written by a manager.",
                                       "2011-03-01").id for n in range(vignettes)]
    mary.agreement.assign(ex.id, ["pat", "paula"])
    return mary, ex.id, ids


def test_level_alpha_is_the_one_worked_by_hand(vault: Vault) -> None:
    """pat gives None, Medium, High; paula None, High, High.

    As order indices (0 None, 2 Medium, 3 High): units (0, 0), (2, 3), (3, 3); n0 = 2,
    n2 = 1, n3 = 3, n = 6. Ordinal d^2: d23 = ((1 + 3) / 2)^2 = 4, d02 = (3 - 1.5)^2 = 2.25,
    d03 = (6 - 2.5)^2 = 12.25. Do = 2 * 4 / 6 = 8/6. De = 2 (2*1*2.25 + 2*3*12.25 + 1*3*4)
    / (6 * 5) = 180 / 30 = 6. alpha = 1 - (8/6) / 6 = 7/9.
    """
    mary, ex, (v1, v2, v3) = _exercise(vault)
    on = mary.agreement.exercise(ex)[0].screening_date
    none, medium, high = (_answers_at_level(lv, on) for lv in ("none", "medium", "high"))
    pat, paula = vault.login("pat"), vault.login("paula")
    for vignette, answers in ((v1, none), (v2, medium), (v3, high)):
        _practise(pat, vignette, answers)
    for vignette, answers in ((v1, none), (v2, _answers_at_level("high", on, 1)), (v3, high)):
        _practise(paula, vignette, answers)

    report = mary.agreement.report(ex, resamples=200)
    assert report.level.alpha == pytest.approx(7 / 9)
    assert report.level.units == 3
    assert report.practitioners == 2
    assert report.screenings == 6
    assert report.level.interval is not None
    assert report.levels_by_vignette[1] == ("Vignette 2", (0, 0, 1, 1))
    # Two practitioners and three vignettes are too few to lean on: said plainly.
    assert any("read them with care" in w for w in report.warnings)
    assert "Krippendorff's alpha 0.78" in report.level_words()

    # Each indicator's alpha is the core's nominal alpha over the answers saved.
    form, model = load_form("cse-screening"), load_model("cse-screening")
    rows = {r.question_id: r for r in report.indicators}
    sets = [[none, medium, high], [none, _answers_at_level("high", on, 1), high]]
    for q in indicator_questions(form, model)[:8]:
        expected = indicator_agreement({q: [[s.get(q) for s in rater] for rater in sets]})[0]
        assert rows[q].alpha == (None if expected.alpha is None
                                 else pytest.approx(expected.alpha))
    assert [r.question_id for r in report.read_differently] == [
        r.question_id for r in sorted((r for r in report.indicators
                                       if r.alpha is not None and r.alpha < 0.667),
                                      key=lambda r: (r.alpha, r.question_id))][:3]
    if report.read_differently:
        assert "guidance" in report.indicator_words()
    # The evidence statement's figures for the model version are this report's.
    again = mary.agreement.for_model(report.exercise.model_sha256, resamples=200)
    assert [r.level.alpha for r in again] == [report.level.alpha]
    assert mary.agreement.for_model("0" * 64) == []


def test_too_few_practitioners_is_a_plain_warning(vault: Vault) -> None:
    mary, ex, (v1, _, _) = _exercise(vault)
    on = mary.agreement.exercise(ex)[0].screening_date
    _practise(vault.login("pat"), v1, _answers_at_level("low", on))
    report = mary.agreement.report(ex, resamples=50)
    assert report.level.alpha is None
    assert report.warnings == (
        "Agreement needs at least two practitioners to screen the same vignette; so far "
        "1 practitioner has submitted practice screenings and 0 vignettes have been "
        "screened by two or more.",)
    assert "cannot be worked out yet" in report.level_words()
    assert report.to_dict()["level_agreement"]["alpha"] is None


def test_roles_and_assignments(vault: Vault) -> None:
    mary, ex, (v1, _, _) = _exercise(vault)
    pat = vault.login("pat")
    with pytest.raises(PermissionDenied):
        pat.agreement.create_exercise("Mine")
    with pytest.raises(PermissionDenied):
        pat.agreement.report(ex)
    with pytest.raises(ServiceError, match="Only active practitioners"):
        mary.agreement.assign(ex, ["mary"])
    with pytest.raises(ServiceError, match="no account called nobody"):
        mary.agreement.assign(ex, ["nobody"])
    with pytest.raises(ServiceError, match="empty"):
        mary.agreement.add_vignette(ex, "Title", "   ")
    other = mary.agreement.create_exercise("Not for pat")
    vignette = mary.agreement.add_vignette(other.id, "Elsewhere", "Another made-up case.")
    with pytest.raises(PermissionDenied, match="not assigned to you"):
        pat.agreement.open_practice(vignette.id)
    assert [i.vignette.id for i in pat.agreement.assigned()][:1] == [v1]
    assert [e.id for e in pat.agreement.exercises()] == [ex]
    assert {e.id for e in mary.agreement.exercises()} == {ex, other.id}


def test_practice_draft_autosave_submit_and_read_only(vault: Vault) -> None:
    mary, _ex, (v1, _, _) = _exercise(vault)
    pat = vault.login("pat")
    detail = pat.agreement.open_practice(v1)
    assert detail.answers == {"child_name": "Vignette 1", "date_of_birth": "2011-03-01"}
    assert not detail.submitted
    with pytest.raises(IncompleteScreening):
        pat.agreement.submit_practice(detail.id)
    answers = _answers_at_level("medium", detail.screening_date)
    evidence = answers.pop("__evidence__")
    pat.agreement.save_practice(detail.id, answers, evidence)
    assert pat.agreement.open_practice(v1).answers == answers  # the same draft again
    assert pat.agreement.preview_practice(detail.id, answers, evidence).level == "medium"
    assert pat.agreement.submit_practice(detail.id).level == "medium"
    done = pat.agreement.open_practice(v1)
    assert done.submitted
    assert done.assessment is not None
    assert done.assessment.level == "medium"
    with pytest.raises(NotEditable):
        pat.agreement.save_practice(detail.id, answers)
    with pytest.raises(NotEditable, match="add a new vignette"):
        mary.agreement.edit_vignette(v1, "New title", "Changed text of the case.")
    assert next(i.state_words for i in pat.agreement.assigned()) == "Submitted: Medium"
    with pytest.raises(ServiceError, match="not yours"):
        vault.login("paula").agreement.save_practice(detail.id, answers)
    actions = _actions(mary)
    assert {"exercise_create", "vignette_add", "exercise_assign", "practice_start",
            "practice_edit", "practice_submit"} <= set(actions)


def _actions(session: Session) -> list[str]:
    with session.engine.connect() as conn:
        return list(conn.execute(text("SELECT action FROM audit_log ORDER BY seq")).scalars())


def test_practice_screenings_never_reach_real_records(vault: Vault) -> None:
    """One real finalised screening beside six practice ones: every real list, report,
    referral list, check and impact analysis counts the real one only."""
    mary, ex, vignettes = _exercise(vault)
    on = mary.agreement.exercise(ex)[0].screening_date
    pat, paula = vault.login("pat"), vault.login("paula")
    for who in (pat, paula):
        for n, v in enumerate(vignettes):
            _practise(who, v, _answers_at_level("high", on, n))
    # A draft practice screening too.
    mary.agreement.add_vignette(ex, "Vignette 4", "One more made-up case.")
    pat.agreement.open_practice(mary.agreement.exercise(ex)[1][-1].id)

    real = start_screening_where(pat, lambda a: a.level == "high", "Real", count=200, seed=3)
    pat.screenings.finalise(real)
    real_child = pat.screenings.open(real).row.child_id

    for who in (pat, mary):
        page = who.screenings.find(ScreeningQuery(limit=100))
        assert [r.id for r in page.items] == [real]
        assert page.total == 1
    assert [c.id for c in mary.children.search("")] == [real_child]
    assert not mary.children.search("Vignette")
    assert [s.id for s in mary.children.get(real_child).screenings] == [real]
    assert [e for e in mary.chronology.entries(real_child)
            if e.ref.startswith("practice")] == []
    assert [r.screening_id for r in mary.referrals.find()] == [real]
    # Calibration counts the real child with an outcome, and nothing else.
    pat.referrals.confirm(mary.referrals.find()[0].id, "confirmed", "strategy_discussion")
    cohort = mary.evidence.cohort("cse-screening")
    assert (cohort.size, cohort.not_known) == (1, 0)
    assert mary.reports.build().total == 1
    verified = mary.maintenance.verify()
    assert verified.ok
    assert verified.rescored == 1
    service = mary.models
    assert service.count_finalised() == 1
    assert service.impact(service.in_force()[1]).total == 1
    assert mary.finalised.columns(load_form("cse-screening")).size == 1
    with mary.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM screenings")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM practice_screenings")).scalar() == 7

