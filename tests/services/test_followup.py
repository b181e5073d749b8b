"""After the screening, through the services: missing episodes, what is due, re-screens that
carry answers over, step-down reasons, and the child's chronology."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from riskscreen.forms.loader import load_form
from riskscreen.scoring.engine import is_lower
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.plan import add_interval
from riskscreen.services import OverrideRequest, PermissionDenied, ServiceError, Session
from riskscreen.services.errors import StepDownReasonNeeded, UnconfirmedAnswers
from riskscreen.services.types import ChronologyKind, DueKind, RhiStatus
from riskscreen.store.models import stamp_text

from ..conftest import Vault
from .test_screenings import _below_top_screening


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


def _actions(session: Session) -> list[str]:
    with session.engine.connect() as conn:
        return list(conn.execute(text("SELECT action FROM audit_log ORDER BY seq")).scalars())


def _child_of(session: Session, sid: int) -> int:
    return session.screenings.open(sid).row.child_id


def test_episode_log_records_return_and_interview(vault: Vault) -> None:
    pat = vault.login("pat")
    child = pat.children.create("Episode Child", "2011-04-05")
    e = pat.episodes.add(child.id, "2026-02-01 21:30", where_found="", reported_by="Foster carer")
    assert e.returned_at is None
    assert e.rhi_deadline is None
    assert e.rhi_words() == "Not due yet: the child has not returned"
    e = pat.episodes.record_return(e.id, "2026-02-02T08:15", where_found="A friend's flat")
    assert e.rhi_deadline == datetime(2026, 2, 5, 8, 15)
    assert e.rhi_overdue(datetime(2026, 2, 6))
    assert not e.rhi_overdue(datetime(2026, 2, 4))
    with pytest.raises(ServiceError, match="in a sentence"):
        pat.episodes.record_rhi(e.id, RhiStatus.NOT_DONE, note="no")
    with pytest.raises(ServiceError, match="before the child returned"):
        pat.episodes.record_rhi(e.id, RhiStatus.DONE, "2026-02-01 10:00")
    e = pat.episodes.record_rhi(e.id, RhiStatus.DONE, "2026-02-03 14:00")
    assert e.rhi_status == RhiStatus.DONE
    assert e.rhi_at == datetime(2026, 2, 3, 14, 0)
    second = pat.episodes.add(child.id, datetime(2026, 2, 10, 18, 0), datetime(2026, 2, 11, 9, 0))
    second = pat.episodes.record_rhi(second.id, "not_done",
                                     note="The child was moved out of area the next day.")
    listed = pat.episodes.for_child(child.id)
    assert [x.id for x in listed] == [e.id, second.id]
    assert listed[0].where_found == "A friend's flat"
    assert listed[0].reported_by == "Foster carer"
    assert listed[0].recorded_by == "pat"
    assert listed[1].rhi_words() == "Not done: The child was moved out of area the next day."
    assert {"episode_add", "episode_return", "episode_rhi"} <= set(_actions(pat))
    pat.close()


def test_episode_times_are_checked(vault: Vault) -> None:
    pat = vault.login("pat")
    child = pat.children.create("Times Child")
    with pytest.raises(ServiceError, match="YYYY-MM-DD HH:MM"):
        pat.episodes.add(child.id, "yesterday evening")
    with pytest.raises(ServiceError, match="before the child was reported missing"):
        pat.episodes.add(child.id, "2026-02-02 10:00", "2026-02-01 10:00")
    future = datetime.now() + timedelta(days=2)
    with pytest.raises(ServiceError, match="in the future"):
        pat.episodes.add(child.id, future)
    e = pat.episodes.add(child.id, "2026-02-02 10:00")
    with pytest.raises(ServiceError, match="returned first"):
        pat.episodes.record_rhi(e.id, "declined", "2026-02-03 10:00")
    with pytest.raises(ServiceError, match="longer than 500"):
        pat.episodes.record_return(e.id, "2026-02-02 12:00", where_found="x" * 501)
    pat.close()


def test_episode_roles(vault: Vault) -> None:
    pat = vault.login("pat")
    child = pat.children.create("Pat's Child")
    e = pat.episodes.add(child.id, "2026-02-01 21:30")
    pat.close()
    paula = vault.login("paula")
    with pytest.raises(PermissionDenied, match="not one of yours"):
        paula.episodes.add(child.id, "2026-02-03 21:30")
    with pytest.raises(PermissionDenied):
        paula.episodes.for_child(child.id)
    with pytest.raises(PermissionDenied):
        paula.episodes.record_return(e.id, "2026-02-02 10:00")
    assert all(i.child_id != child.id for i in paula.reviews.due())
    paula.close()
    admin = vault.login("admin")
    with pytest.raises(PermissionDenied):
        admin.episodes.for_child(child.id)
    with pytest.raises(PermissionDenied):
        admin.reviews.due()
    with pytest.raises(PermissionDenied):
        admin.chronology.entries(child.id)
    admin.close()
    mary = vault.login("mary")
    mary.episodes.record_return(e.id, "2026-02-02 10:00")
    assert [x.returned_at for x in mary.episodes.for_child(child.id)] == [
        datetime(2026, 2, 2, 10, 0)]
    mary.close()


def test_review_due_follows_final_level_and_comes_sooner_after_an_episode(vault: Vault) -> None:
    pat = vault.login("pat")
    sid = _below_top_screening(pat)
    child = _child_of(pat, sid)
    assessment = pat.screenings.finalise(sid)
    model = load_model("cse-screening")
    expected = add_interval(assessment.screening_date,
                            model.review.intervals[assessment.final_level])
    if assessment.review_date < expected:  # a sooner entry applied
        expected = assessment.review_date
    [item] = [i for i in pat.reviews.due() if i.child_id == child]
    assert item.kind == DueKind.REVIEW
    assert item.due == expected
    assert item.last_screening_id == sid
    assert item.last_level == assessment.final_level
    # A missing episode after the screening brings the next screening forward.
    start = datetime.combine(assessment.screening_date + timedelta(days=1),
                             datetime.min.time()).replace(hour=20)
    if start > datetime.now():
        start = datetime.now() - timedelta(hours=1)
    pat.episodes.add(child, start, start + timedelta(hours=10))
    [item] = [i for i in pat.reviews.due() if i.child_id == child]
    after = (start + timedelta(hours=10)).date() + timedelta(days=14)
    assert (item.kind, item.due) == ((DueKind.AFTER_EPISODE, after) if after <= expected
                                     else (DueKind.REVIEW, expected)), (
        assessment.screening_date, start, expected)
    assert "due_list" in _actions(pat)
    pat.close()


def test_due_words_say_overdue() -> None:
    from riskscreen.services.types import DueItem

    item = DueItem(1, "A", DueKind.REVIEW, date(2026, 1, 10), "Review", 3, "low")
    assert item.words(date(2026, 1, 12)) == "Overdue by 2 days"
    assert item.overdue(date(2026, 1, 12))
    assert item.words(date(2026, 1, 10)) == "Due today"
    assert item.words(date(2026, 1, 9)) == "Due in 1 day"


def test_overdue_comes_first(vault: Vault) -> None:
    pat = vault.login("pat")
    old = pat.children.create("Old Episode Child")
    new = pat.children.create("New Episode Child")
    pat.episodes.add(new.id, datetime.now() - timedelta(days=1))
    pat.episodes.add(old.id, datetime.now() - timedelta(days=40))
    items = pat.reviews.due()
    assert [i.child_name for i in items][:2] == ["Old Episode Child", "New Episode Child"]
    assert items[0].overdue(date.today())
    assert not items[1].overdue(date.today())
    pat.close()


def test_new_screening_takes_missing_answers_from_the_log(vault: Vault) -> None:
    pat = vault.login("pat")
    child = pat.children.create("Log Child", "2011-04-05")
    today = date.today()
    e1 = pat.episodes.add(child.id, datetime.combine(today - timedelta(days=20),
                                                     datetime.min.time()).replace(hour=19),
                          datetime.combine(today - timedelta(days=19), datetime.min.time()),
                          where_found="Bus station")
    e2 = pat.episodes.add(child.id, datetime.combine(today - timedelta(days=5),
                                                     datetime.min.time()).replace(hour=22),
                          datetime.combine(today - timedelta(days=4), datetime.min.time()),
                          where_found="An adult's car")
    pat.episodes.record_rhi(e1.id, "done", datetime.combine(today - timedelta(days=18),
                                                            datetime.min.time()))
    pat.episodes.record_rhi(e2.id, "not_done", note="The child would not talk to anyone yet.")
    pat.episodes.add(child.id, "2020-01-01 10:00", "2020-01-01 12:00")  # too old to count
    sid = pat.screenings.start(child.id, after_episode=True)
    answers = {q: a.value for q, a in pat.screenings.open(sid).answers.items()}
    assert answers["missing_episodes_3_months"] == 2
    assert answers["return_home_interview"] == "not_done"
    assert answers["no_return_interview_reason"] == "The child would not talk to anyone yet."
    assert answers["screening_reason"] == "missing_episode"
    assert "Bus station" in answers["where_found"]
    assert "An adult's car" in answers["where_found"]
    # A child with no logged episodes gets no missing-episode answers.
    other = pat.screenings.start(pat.children.create("No Log Child").id)
    assert "missing_episodes_3_months" not in pat.screenings.open(other).answers
    pat.close()


def _raise_to_top(pat: Session, sid: int) -> str:
    detail = pat.screenings.open(sid)
    preview = pat.screenings.preview(sid)
    top = max(preview.levels, key=lambda lv: lv.rank).id
    pat.screenings.finalise(sid, OverrideRequest(top, "The child told a teacher about an older man "
                                           "who collects her from school."))
    assert detail.row.status == "draft"
    return top


def test_rescreen_carries_answers_over_to_be_confirmed(vault: Vault) -> None:
    pat = vault.login("pat")
    first = _below_top_screening(pat)
    child = _child_of(pat, first)
    pat.screenings.finalise(first)
    previous = pat.screenings.open(first).answers
    sid = pat.screenings.start(child, rescreen=True)
    info = pat.reviews.rescreen_info(sid)
    assert info.previous_id == first
    assert info.carried
    assert not any(c.confirmed for c in info.carried)
    carried = {c.question_id: c for c in info.carried}
    assert "child_name" not in carried
    assert "screening_reason" not in carried
    answers = pat.screenings.open(sid).answers
    assert answers["screening_reason"].value == "review"
    for qid, c in carried.items():
        assert c.previous == previous[qid].value == answers[qid].value
    with pytest.raises(UnconfirmedAnswers, match=f"{len(carried)} answers carried over"):
        pat.screenings.finalise(sid)
    # Changing an answer confirms it and marks it changed since last time.
    changed = next(q for q in carried if isinstance(carried[q].previous, str)
                   and load_form("cse-screening").question_index()[q].type.value == "long_text")
    pat.screenings.save_answer(sid, changed, "Things are different now: she is back at school.")
    info = pat.reviews.rescreen_info(sid)
    after = {c.question_id: c for c in info.carried}
    assert after[changed].confirmed
    assert after[changed].changed
    assert not any(c.changed for q, c in after.items() if q != changed)
    assert pat.reviews.confirm(sid, [q for q in carried if q != changed]) == len(carried) - 1
    assert pat.reviews.rescreen_info(sid).unconfirmed == []
    pat.screenings.finalise(sid)
    assert {"rescreen", "confirm_answers"} <= set(_actions(pat))
    pat.close()
    paula = vault.login("paula")
    with pytest.raises(ServiceError):
        paula.reviews.confirm(sid, ["x"])
    paula.close()


def test_stepping_down_needs_a_reason(vault: Vault) -> None:
    pat = vault.login("pat")
    first = _below_top_screening(pat)
    child = _child_of(pat, first)
    top = _raise_to_top(pat, first)
    sid = pat.screenings.start(child, rescreen=True)
    pat.reviews.confirm(sid, [c.question_id for c in pat.reviews.rescreen_info(sid).carried])
    preview = pat.screenings.preview(sid)
    assert is_lower(preview, preview.final_level, top)
    with pytest.raises(StepDownReasonNeeded, match="lower than at the last screening"):
        pat.screenings.finalise(sid)
    with pytest.raises(StepDownReasonNeeded):
        pat.screenings.finalise(sid, step_down_reason="better")
    reason = "She has been settled in her placement for two months and attends school."
    pat.screenings.finalise(sid, step_down_reason=reason)
    with pat.engine.connect() as conn:
        row = conn.execute(text("SELECT previous_id, previous_level, step_down_reason FROM "
                                "screening_reviews WHERE screening_id = :s"), {"s": sid}).one()
    assert tuple(row) == (first, top, reason)
    with pat.engine.connect() as conn:
        detail = conn.execute(text("SELECT detail FROM audit_log WHERE action = 'step_down'")
                              ).scalar_one()
    assert json.loads(detail) == {"from": top, "previous": first,
                                  "to": preview.final_level}
    assert reason not in detail  # free text stays out of the audit log
    pat.close()


def test_chronology_has_every_kind_and_prints(vault: Vault, tmp_path: Path) -> None:
    pat = vault.login("pat")
    first = _below_top_screening(pat)
    child = _child_of(pat, first)
    _raise_to_top(pat, first)
    e = pat.episodes.add(child, "2026-01-02 21:00", "2026-01-03 09:30",
                         where_found="Railway station", reported_by="Mother")
    pat.episodes.record_rhi(e.id, "declined", "2026-01-04 11:00")
    entries = pat.chronology.entries(child)
    kinds = [x.kind for x in entries]
    assert {ChronologyKind.SCREENING, ChronologyKind.OVERRIDE, ChronologyKind.EPISODE,
            ChronologyKind.RHI} <= set(kinds)
    assert entries == sorted(entries, key=lambda x: x.when)
    only = pat.chronology.entries(child, {ChronologyKind.EPISODE})
    assert {x.kind for x in only} == {ChronologyKind.EPISODE}
    assert len(only) == 2
    out = tmp_path / "chronology.pdf"
    pat.chronology.export_pdf(child, out)
    reader = PdfReader(out)
    words = "\n".join(p.extract_text() for p in reader.pages)
    assert "OFFICIAL-SENSITIVE" in words
    assert f"Page 1 of {len(reader.pages)}" in words
    assert "Railway station" in words
    assert "Reported missing" in words
    assert "professional judgement" in words
    assert out.stat().st_mode & 0o777 == 0o600
    assert "chronology_view" in _actions(pat)
    assert "export" in _actions(pat)
    pat.close()


def test_chronology_source_plugs_in(vault: Vault) -> None:
    from riskscreen.services.types import ChronologyEntry

    pat = vault.login("pat")
    child = pat.children.create("Source Child")
    pat.chronology.add_source(lambda cid: [ChronologyEntry(
        datetime(2026, 1, 1, 9, 0), ChronologyKind.REFERRAL, f"Referral for {cid}")])
    [entry] = pat.chronology.entries(child.id)
    assert entry.title == f"Referral for {child.id}"
    assert pat.chronology.entries(child.id, {ChronologyKind.EPISODE}) == []
    pat.close()


def test_every_new_action_has_plain_words(vault: Vault, tmp_path: Path) -> None:
    from riskscreen.services.audit_words import ACTION_WORDS, describe_entry

    test_chronology_has_every_kind_and_prints(vault, tmp_path)
    pat = vault.login("pat")
    pat.reviews.due()
    with pat.engine.connect() as conn:
        # The time as the audit viewer reads it (the column keeps microseconds).
        entries = [(e[0], stamp_text(e[1]), *e[2:]) for e in conn.execute(text(
            'SELECT seq, at, "user", action, object, detail FROM audit_log'))]
    pat.close()
    actions = {e[3] for e in entries}
    assert {"episode_add", "episode_rhi", "chronology_view", "due_list"} <= actions
    assert actions <= set(ACTION_WORDS)
    lines = [describe_entry(*e, {}, {}) for e in entries]
    assert any(x.what == "Printed or saved a child's chronology" for x in lines)
    assert not any("_" in x.detail for x in lines if x.what.startswith("Recorded"))
