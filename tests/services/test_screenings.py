"""Screenings through the service layer: autosave, finalise, overrides, amendments, lists."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from riskscreen.forms.loader import load_form
from riskscreen.scoring.assessment import Assessment
from riskscreen.services import (
    IncompleteScreening,
    NotEditable,
    OverrideRefused,
    OverrideRequest,
    PermissionDenied,
    ScreeningQuery,
    ServiceError,
    Session,
)
from riskscreen.store.models import stamp_micros
from riskscreen.synthetic import generate_answer_sets

from ..conftest import (
    PASSPHRASES,
    Vault,
    finalise_case,
    golden_answers,
    save_answers,
    start_screening_where,
)


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


def _fill(session: Session, screening_id: int, seed: int = 1) -> None:
    form = load_form("cse-screening")
    answer_set = generate_answer_sets(form, 1, seed)[0]
    save_answers(session, screening_id, answer_set.answers)


def _new(session: Session, name: str = "Test Child", dob: str = "2011-04-05") -> int:
    child = session.children.create(name, dob)
    return session.screenings.start(child.id)


def _screening_where(pat: Session, wanted: Callable[[Assessment], bool], what: str) -> int:
    """A screening with the first synthetic answer set (fixed seed) whose score is ``wanted``.

    Stored with that set's date of birth and screening date, so it scores as it did here.
    """
    sid = start_screening_where(pat, wanted, what, count=200, seed=7)
    assert wanted(pat.screenings.preview(sid)), what
    return sid


def _high_screening(pat: Session) -> int:
    """A screening whose answers fire rules (a severe synthetic profile)."""
    return _screening_where(pat, lambda a: bool(a.rules_fired), "Rule")


def _top_rank(assessment: Assessment) -> int:
    return max(lv.rank for lv in assessment.levels)


def _below_top_screening(pat: Session) -> int:
    """A screening whose computed level is below the model's top level."""
    return _screening_where(
        pat, lambda a: next(lv.rank for lv in a.levels if lv.id == a.level) < _top_rank(a),
        "Below-top")


def test_autosave_finalise_and_snapshot(vault: Vault) -> None:
    pat = vault.login("pat")
    sid = _new(pat)
    _fill(pat, sid)
    detail = pat.screenings.open(sid)
    assert detail.editable
    assert detail.answers["child_name"].value == "Test Child"
    assessment = pat.screenings.finalise(sid)
    again = pat.screenings.open(sid)
    assert again.assessment == assessment
    assert not again.editable
    assert again.row.status == "final"
    assert again.row.level == assessment.final_level
    with pytest.raises(NotEditable):
        pat.screenings.save_answer(sid, "child_views", "changed my mind")


def test_finalised_answers_are_protected_by_triggers_too(vault: Vault,
                                                        read_records: Any) -> None:
    pat = vault.login("pat")
    sid = _new(pat)
    _fill(pat, sid)
    before = pat.screenings.open(sid).answers
    pat.screenings.finalise(sid)
    with pat.engine.connect() as conn:
        # The answers are kept once, in the record (and the pack), not as rows as well.
        assert conn.execute(text("SELECT count(*) FROM answers WHERE screening_id = :s"),
                            {"s": sid}).scalar_one() == 0
        [(_, _, answers_text)] = read_records(conn)
    assert json.loads(answers_text)["answers"] == {q: a.value for q, a in before.items()}
    assert {q: a.value for q, a in pat.screenings.open(sid).answers.items()} == {
        q: a.value for q, a in before.items()}
    with pat.engine.begin() as conn, pytest.raises(Exception, match="cannot be edited"):
        conn.execute(text("INSERT INTO answers VALUES (:s, 'gender', '\"x\"', NULL, :t)"),
                     {"s": sid, "t": stamp_micros("2026-01-01T00:00:00.000000Z")})
    with pat.engine.begin() as conn, pytest.raises(Exception, match="immutable"):
        conn.execute(text("UPDATE assessments SET final_level='none'"))


def test_incomplete_screening_cannot_be_finalised(vault: Vault) -> None:
    pat = vault.login("pat")
    sid = _new(pat)
    with pytest.raises(IncompleteScreening) as info:
        pat.screenings.finalise(sid)
    assert info.value.problems


def test_invalid_answer_is_refused_without_quoting_it(vault: Vault) -> None:
    pat = vault.login("pat")
    sid = _new(pat)
    with pytest.raises(ServiceError) as info:
        pat.screenings.save_answer(sid, "gender", "SECRET-VALUE-123")
    assert "SECRET-VALUE-123" not in str(info.value)
    with pytest.raises(ServiceError):
        pat.screenings.save_answer(sid, "no_such_question", "x")


def test_free_text_over_its_limit_is_refused_saying_so(vault: Vault) -> None:
    pat = vault.login("pat")
    sid = _new(pat)
    with pytest.raises(ServiceError, match=r"^Not saved: the evidence details are 20,001 "
                       r"characters, longer than the limit of 20,000 \(question "
                       r"'older_associates'\)\. Shorten it and try again\.$"):
        pat.screenings.save_answer(sid, "older_associates", "recent",
                                   {"basis": "observed", "details": "x" * 20_001})
    with pytest.raises(ServiceError, match=r"^Not saved: the text is 50,001 characters, longer "
                                           r"than the limit of 50,000"):
        pat.screenings.save_answer(sid, "practitioner_analysis", "y" * 50_001)
    assert "older_associates" not in pat.screenings.open(sid).answers
    pat.screenings.save_answer(sid, "older_associates", "recent",
                               {"basis": "observed", "details": "x" * 20_000})


def test_amendment_links_to_the_original(vault: Vault) -> None:
    pat = vault.login("pat")
    sid = _new(pat)
    _fill(pat, sid)
    pat.screenings.finalise(sid)
    with pytest.raises(ServiceError):
        pat.screenings.amend(sid, "typo")
    new = pat.screenings.amend(sid, "The date of birth was recorded wrongly")
    detail = pat.screenings.open(new)
    assert detail.row.amendment_of == sid
    assert detail.editable
    assert detail.amendment_reason == "The date of birth was recorded wrongly"
    assert detail.answers.keys() == pat.screenings.open(sid).answers.keys()


def test_raising_override_needs_no_countersignature(vault: Vault) -> None:
    pat = vault.login("pat")
    sid = _below_top_screening(pat)
    computed = pat.screenings.preview(sid)
    top = max(computed.levels, key=lambda lv: lv.rank)
    assert computed.level != top.id  # known to be below the top level, so raising is possible
    result = pat.screenings.finalise(sid, OverrideRequest(
        top.id, "The child told me about an adult who gives her gifts and lifts."))
    assert result.final_level == top.id
    assert result.level == computed.level
    assert result.override is not None
    assert result.override.countersigned_by is None


def test_lowering_override_needs_a_real_manager_countersignature(vault: Vault) -> None:
    pat = vault.login("pat")
    sid = _high_screening(pat)
    computed = pat.screenings.preview(sid)
    lowest = min(computed.levels, key=lambda lv: lv.rank).id
    reason = "Information from the police shows the adult is the child's relative."
    with pytest.raises(OverrideRefused, match="countersignature"):
        pat.screenings.finalise(sid, OverrideRequest(lowest, reason))
    with pytest.raises(OverrideRefused, match="passphrase is wrong"):
        pat.screenings.finalise(sid, OverrideRequest(lowest, reason, "mary", "not her passphrase"))
    with pytest.raises(OverrideRefused, match="manager"):
        pat.screenings.finalise(sid, OverrideRequest(lowest, reason, "paula", PASSPHRASES["paula"]))
    # Never below a fired rule's floor, even with a countersignature.
    with pytest.raises(OverrideRefused, match="cannot be lowered"):
        pat.screenings.finalise(sid, OverrideRequest(lowest, reason, "mary", PASSPHRASES["mary"]))
    assert pat.screenings.open(sid).row.status == "draft"


def test_list_paging_filters_and_drafts_first(vault: Vault) -> None:
    pat = vault.login("pat")
    ids = []
    for i in range(5):
        sid = _new(pat, f"Child {i}")
        ids.append(sid)
    _fill(pat, ids[0])
    pat.screenings.finalise(ids[0])
    page = pat.screenings.find(ScreeningQuery(limit=2))
    assert page.total == 5
    assert [r.id for r in page.items] == [ids[0], ids[4]]
    page = pat.screenings.find(ScreeningQuery(limit=10, drafts_first=True))
    assert [r.id for r in page.items] == [*reversed(ids[1:]), ids[0]]
    page = pat.screenings.find(ScreeningQuery(limit=2, offset=3, drafts_first=True))
    assert [r.id for r in page.items] == [ids[1], ids[0]]
    assert pat.screenings.find(ScreeningQuery(status="final")).total == 1
    assert [r.id for r in pat.screenings.find(ScreeningQuery(search="child 3")).items] == [ids[3]]
    level = pat.screenings.open(ids[0]).row.level
    assert pat.screenings.find(ScreeningQuery(level=level)).total == 1
    assert [c.name for c in pat.children.search("ILD 2")] == ["Child 2"]


def test_child_record_shows_trajectory_and_is_audited(vault: Vault) -> None:
    pat = vault.login("pat")
    child = pat.children.create("Trajectory Child", "2010-01-01")
    first = pat.screenings.start(child.id)
    _fill(pat, first, seed=3)
    pat.screenings.finalise(first)
    second = pat.screenings.start(child.id)
    record = pat.children.get(child.id)
    assert [r.id for r in record.screenings] == [first, second]
    with pat.engine.connect() as conn:
        actions = conn.execute(text("SELECT action, object FROM audit_log")).all()
    assert ("view", f"child:{child.id}") in actions


def test_the_same_model_version_cannot_be_republished_differently(vault: Vault) -> None:
    from riskscreen.scoring.loader import load_model

    mary = vault.login("mary")
    model = load_model("cse-screening")
    with pytest.raises(ServiceError, match="already published"):
        mary.models.publish(model)
    edited = type(model).model_validate({**json.loads(model.canonical_json()),
                                         "change_note": "sneaky edit"})
    with pytest.raises(ServiceError, match="never edited"):
        mary.models.publish(edited)
    newer = type(model).model_validate({**json.loads(model.canonical_json()), "version": "1.0.1",
                                        "change_note": "a new version"})
    info = mary.models.publish(newer)
    assert info.version == "1.0.1"
    assert info.sha256 == newer.sha256
    pat = vault.login("pat")
    with pytest.raises(PermissionDenied):
        pat.models.publish(newer)
    with mary.engine.connect() as conn:
        stored = conn.execute(text("SELECT canonical_json FROM scoring_models "
                                   "WHERE version='1.0.1'")).scalar()
    assert json.loads(stored)["version"] == "1.0.1"


def test_bulk_answer_sets_equal_validated_ones(vault: Vault, read_records: Any) -> None:
    from riskscreen.forms.answers import AnswerSet

    pat = vault.login("pat")
    sid = _new(pat)
    _fill(pat, sid)
    pat.screenings.save_answer(sid, "missing_overnight", "yes",
                               {"basis": "observed", "details": "seen", "when": "2025-01-02"})
    pat.screenings.finalise(sid)
    mary = vault.login("mary")
    with mary.engine.connect() as conn:
        [(_, _, stored)] = read_records(conn)
    [(got_id, _, fast)] = list(mary.finalised.answer_sets())
    assert got_id == sid
    assert fast == AnswerSet.model_validate_json(stored)
    assert fast.evidence["missing_overnight"].when is not None


def test_answer_columns_hold_the_finalised_answers_and_verify_checks_them(
        vault: Vault, read_records: Any) -> None:
    from riskscreen.forms.answers import AnswerSet
    from riskscreen.forms.columns import encode
    from riskscreen.store.columns import OVERRIDES, encode_chunk, read_columns

    pat = vault.login("pat")
    ids = []
    for seed in (1, 2):
        sid = _new(pat, f"Column Child {seed}")
        _fill(pat, sid, seed)
        pat.screenings.finalise(sid)
        ids.append(sid)
    form = pat.screenings.form("cse-screening", "1.0.0")
    mary = vault.login("mary")
    with mary.engine.connect() as conn:
        sets = [AnswerSet.model_validate_json(a) for _, _, a in read_records(conn)]
    stored = mary.finalised.columns(form)
    assert stored.ids.tolist() == ids
    assert stored.overrides.tolist() == [OVERRIDES.index("none")] * 2
    expected = encode(form, sets)
    assert stored.columns.column("gender").tolist() == expected.column("gender").tolist()
    assert mary.maintenance.verify().ok
    # Columns that no longer match a record's answer set are reported.
    changed = sets[0].model_copy(update={"answers": {**sets[0].answers, "gender": None}})
    columns = encode(form, [changed, sets[1]])
    with mary.engine.begin() as conn:
        conn.execute(text("DELETE FROM answer_columns"))
        conn.execute(text("INSERT INTO answer_columns (form_id, form_version, first_id, rows, "
                          "data) VALUES (:f, :v, :i, 2, :d)"),
                     {"f": form.id, "v": form.version, "i": ids[0],
                      "d": encode_chunk(stored.ids, columns, stored.overrides)})
    assert read_columns(form, [encode_chunk(stored.ids, columns, stored.overrides)]).size == 2
    report = mary.maintenance.verify()
    assert [d for d in report.rescore_differences if "answer columns" in d] == [
        f"screening {ids[0]}: its stored answer columns differ from the answer set of its "
        "record"]
    # And a finalised screening missing from them is reported too.
    with mary.engine.begin() as conn:
        conn.execute(text("DELETE FROM answer_columns"))
    report = mary.maintenance.verify()
    assert [d for d in report.rescore_differences if "answer columns" in d] == [
        f"screening {sid}: its answers are missing from the stored answer columns"
        for sid in ids]


def test_bulk_answer_sets_stream_without_holding_the_session(vault: Vault) -> None:
    pat = vault.login("pat")
    ids = []
    for seed in (1, 2):
        sid = _new(pat, f"Stream Child {seed}")
        _fill(pat, sid, seed)
        pat.screenings.finalise(sid)
        ids.append(sid)
    mary = vault.login("mary")
    stream = mary.finalised.answer_sets()
    first = next(stream)
    # While the stream is open, the session still writes (no lock or write transaction held).
    mary.children.create("Written Meanwhile")
    assert [first[0], *(sid for sid, _, _ in stream)] == ids
    day = pat.screenings.open(ids[0]).row.screening_date
    assert [sid for sid, _, _ in mary.finalised.answer_sets(since=day, until=day)] == ids
    assert list(mary.finalised.answer_sets(until=date(2000, 1, 1))) == []


def _medium_screening(pat: Session) -> int:
    """A screening whose computed level is Medium (a rule sets it at least Medium)."""
    return _screening_where(pat, lambda a: a.level == "medium", "Medium")


RAISE = "The school saw the child collected by unknown adults twice this week after lessons."
LOWER = "Police checks show the adult collecting the child is her uncle, who cares for her."


def test_an_amendment_keeps_the_earlier_level_unless_a_manager_countersigns(
        vault: Vault) -> None:
    pat = vault.login("pat")
    sid = _medium_screening(pat)
    original = pat.screenings.finalise(sid, OverrideRequest("high", RAISE))
    assert (original.level, original.final_level) == ("medium", "high")
    amendment = pat.screenings.amend(sid, "The date of birth was recorded wrongly at first.")
    detail = pat.screenings.open(amendment)
    assert detail.amended is not None
    assert detail.amended.final_level == "high"

    # Finalising at the computed Medium is a lowering: a reason and a countersignature.
    with pytest.raises(OverrideRefused, match="amends a screening finalised at High"):
        pat.screenings.finalise(amendment, OverrideRequest("medium", LOWER))
    with pytest.raises(OverrideRefused, match="passphrase is wrong"):
        pat.screenings.finalise(amendment, OverrideRequest("medium", LOWER, "mary", "not hers"))
    assert pat.screenings.open(amendment).row.status == "draft"

    # Without a new judgement the earlier level and its override carry forward.
    kept = pat.screenings.finalise(amendment)
    assert (kept.level, kept.final_level) == ("medium", "high")
    assert kept.override is not None
    assert (kept.override.reason, kept.override.by) == (RAISE, "pat")
    assert pat.screenings.open(amendment).row.level == "high"


def test_a_countersigned_amendment_may_lower_to_the_computed_level_not_below_a_rule(
        vault: Vault) -> None:
    pat = vault.login("pat")
    sid = _medium_screening(pat)
    pat.screenings.finalise(sid, OverrideRequest("high", RAISE))
    amendment = pat.screenings.amend(sid, "The date of birth was recorded wrongly at first.")
    floor = pat.screenings.preview(amendment).binding_rule
    assert floor is not None
    assert floor.minimum_level == "medium"
    with pytest.raises(OverrideRefused, match="cannot be lowered below Medium") as info:
        pat.screenings.finalise(amendment,
                                OverrideRequest("low", LOWER, "mary", PASSPHRASES["mary"]))
    assert floor.id not in str(info.value)  # the rule's reason in plain words, not its id
    assert floor.reason in str(info.value)
    lowered = pat.screenings.finalise(amendment, OverrideRequest("medium", LOWER, "mary",
                                                                 PASSPHRASES["mary"]))
    assert lowered.final_level == lowered.level == "medium"
    assert lowered.override is not None
    assert lowered.override.from_level == "high"
    assert lowered.override.countersigned_by == "mary"
    assert pat.screenings.open(amendment).assessment == lowered
    with pat.engine.connect() as conn:
        audit_detail = conn.execute(text(
            "SELECT detail FROM audit_log WHERE action = 'override' ORDER BY seq DESC")).scalar()
    assert json.loads(audit_detail)["amended_level"] == "high"
    pat.close()
    with vault.login("mary") as mary:
        report = mary.maintenance.verify()
    assert report.ok, report.rescore_differences


def test_searches_take_wildcards_literally(vault: Vault) -> None:
    pat = vault.login("pat")
    for name in ("Ann_Lee", "Annie Lee", "Bo 50% Hall", "Bo 500 Hall"):
        _new(pat, name)
    assert [c.name for c in pat.children.search("n_l")] == ["Ann_Lee"]
    assert [c.name for c in pat.children.search("50%")] == ["Bo 50% Hall"]
    rows = pat.screenings.find(ScreeningQuery(search="ann_")).items
    assert [r.child_name for r in rows] == ["Ann_Lee"]


def test_rows_carry_typed_status_role_and_dates(vault: Vault) -> None:
    from riskscreen.services import Role, Status

    pat = vault.login("pat")
    assert pat.user.role is Role.PRACTITIONER
    child = pat.children.create("Dated Child", "2011-04-05")
    assert child.date_of_birth == date(2011, 4, 5)
    sid = pat.screenings.start(child.id, screening_date=date(2026, 2, 3))
    row = pat.screenings.open(sid).row
    assert (row.status, row.screening_date, row.date_of_birth) == (
        Status.DRAFT, date(2026, 2, 3), date(2011, 4, 5))
    assert row.status is Status.DRAFT
    assert [r.id for r in pat.screenings.find(ScreeningQuery(status=Status.DRAFT)).items] == [sid]


def test_unreadable_date_of_birth_is_refused(vault: Vault) -> None:
    pat = vault.login("pat")
    with pytest.raises(ServiceError, match="YYYY-MM-DD"):
        pat.children.create("Odd Date", "5 April 2011")
    assert pat.children.search("Odd Date") == []



def test_the_live_score_takes_the_trend_finalising_gives(vault: Vault) -> None:
    from datetime import timedelta

    from riskscreen.forms.answers import AnswerSet
    from riskscreen.scoring.assessment import Trend
    from riskscreen.scoring.engine import score

    high = golden_answers("17-current-exploitation")
    pat = vault.login("pat")
    child = pat.children.create("Live Trend Child", high["answers"]["date_of_birth"])
    earlier = finalise_case(pat, "01-no-concerns", child=child.id,
                            screening_date=date.fromisoformat(high["screening_date"])).assessment
    sid = pat.screenings.start(child.id, screening_date=date.fromisoformat(
        high["screening_date"]) + timedelta(days=30))
    draft = pat.screenings.open(sid)
    answers = {**high["answers"],
               **{qid: a.value for qid, a in draft.answers.items()}}  # this child's name, birth
    live = pat.screenings.preview(sid, answers)  # the answers on screen, none of them saved yet
    assert live.rank() > earlier.rank(earlier.final_level)
    assert live.trend == Trend.INCREASED
    form = pat.screenings.form(draft.form_id, draft.form_version)
    alone = score(form, pat.models.get(draft.model_sha256), AnswerSet.model_validate(
        {"form": draft.form_id, "form_version": draft.form_version,
         "screening_date": draft.row.screening_date, "answers": answers}))
    assert alone.trend == Trend.FIRST  # what a score without the earlier screening says
    for qid, value in answers.items():
        if qid not in draft.answers:
            pat.screenings.save_answer(sid, qid, value)
    final = pat.screenings.finalise(sid)
    assert (final.trend, final.level, final.score) == (live.trend, live.level, live.score)
