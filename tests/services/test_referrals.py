"""Referrals as records: made at finalising, moved step by step, closed with outcomes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from riskscreen.scoring.assessment import Assessment
from riskscreen.services import NotFound, PermissionDenied, ServiceError, Session
from riskscreen.services.referrals import working_day
from riskscreen.services.types import (
    Confirmation,
    ReferralDecision,
    ReferralStatus,
    SendMethod,
    StepKind,
)

from ..conftest import Vault, start_screening_where


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


def finalised(pat: Session, wanted: Callable[[Assessment], bool], what: str = "Test") -> int:
    """A finalised screening whose assessment is ``wanted`` (from fixed synthetic answers)."""
    sid = start_screening_where(pat, wanted, what, count=300, seed=11)
    pat.screenings.finalise(sid)
    return sid


def high(pat: Session) -> int:
    return finalised(pat, lambda a: a.final_level == "high", "High")


def none_level(pat: Session) -> int:
    return finalised(pat, lambda a: a.final_level == "none", "None")


def test_finalising_makes_the_referral_to_the_routed_destination(vault: Vault) -> None:
    with vault.login("pat") as pat:
        sid = high(pat)
        referral = pat.referrals.for_screening(sid)
    assert referral is not None
    assert referral.status == ReferralStatus.TO_SEND
    assert referral.decision == ReferralDecision.REFER
    assert referral.destination_id == "specialist_cse_team"
    assert referral.destination_name == "Northvale Child Exploitation Hub"
    assert referral.level == "high"
    # High: sent the same working day, a decision within one working day of sending.
    assert referral.send_due == working_day(referral.created_at.astimezone().date(), 0)
    assert referral.decision_due is None
    assert [s.kind for s in referral.steps] == [StepKind.CREATED]


def test_a_route_without_referral_records_the_decision_not_to_refer(vault: Vault) -> None:
    with vault.login("pat") as pat:
        sid = none_level(pat)
        referral = pat.referrals.for_screening(sid)
    assert referral is not None
    assert referral.status == ReferralStatus.NOT_REFERRED
    assert referral.decision == ReferralDecision.NOT_REFER
    assert referral.not_referred_reason
    assert "universal services" in referral.not_referred_reason
    assert referral.send_due is None
    assert referral.overdue(date.today() + timedelta(days=60)) is None


def test_the_whole_path_to_closed_with_outcomes_and_confirmation(vault: Vault) -> None:
    with vault.login("pat") as pat:
        rid = pat.referrals.for_screening(high(pat)).id  # type: ignore[union-attr]
        pat.referrals.mark_sent(rid, SendMethod.SECURE_EMAIL)
        pat.referrals.mark_received(rid)
        pat.referrals.mark_accepted(rid)
        pat.referrals.add_outcome(rid, "strategy_discussion")
        pat.referrals.add_outcome(rid, "preventative_work", "Safe Online Northvale Project")
        pat.referrals.confirm(rid, Confirmation.CONFIRMED, "strategy_discussion",
                              at=date.today())
        done = pat.referrals.close(rid)
    assert done.status == ReferralStatus.CLOSED
    assert done.sent_method == SendMethod.SECURE_EMAIL
    assert done.sent_by == "pat"
    assert done.sent_at is not None
    assert done.received_at is not None
    assert done.decided_at is not None
    assert done.closed_at is not None
    assert [(o.outcome_id, o.detail) for o in done.outcomes] == [
        ("strategy_discussion", None), ("preventative_work", "Safe Online Northvale Project")]
    assert done.outcomes[1].label == "Preventative work started"
    assert done.confirmation is not None
    assert done.confirmation.answer == Confirmation.CONFIRMED
    assert done.confirmation.source == "Strategy discussion"
    assert done.confirmation.on == date.today()
    assert [s.kind for s in done.steps] == [
        StepKind.CREATED, StepKind.SENT, StepKind.RECEIVED, StepKind.ACCEPTED,
        StepKind.OUTCOME, StepKind.OUTCOME, StepKind.CONFIRMATION, StepKind.CLOSED]
    assert done.decision_due == working_day(done.sent_at.astimezone().date(), 1)


def test_steps_out_of_order_are_refused_saying_what_comes_next(vault: Vault) -> None:
    with vault.login("pat") as pat:
        rid = pat.referrals.for_screening(high(pat)).id  # type: ignore[union-attr]
        with pytest.raises(ServiceError, match="to send, so it cannot be marked as accepted "
                                               "now: mark it as sent"):
            pat.referrals.mark_accepted(rid)
        pat.referrals.mark_sent(rid, "printed")
        pat.referrals.mark_declined(rid, "Already open to the CSE team")
        with pytest.raises(ServiceError, match="at least one outcome"):
            pat.referrals.close(rid)
        with pytest.raises(ServiceError, match="Say the reason"):
            pat.referrals.mark_declined(rid, "  ")
        with pytest.raises(ServiceError, match="which partner is doing it"):
            pat.referrals.add_outcome(rid, "preventative_work")
        with pytest.raises(ServiceError, match="no outcome 'nope'; use one of: "
                                               "strategy_discussion"):
            pat.referrals.add_outcome(rid, "nope")
        with pytest.raises(ServiceError, match="Say how it was sent"):
            pat.referrals.mark_sent(rid, "pigeon")
        with pytest.raises(ServiceError, match="in the future"):
            pat.referrals.add_outcome(rid, "strategy_discussion",
                                      at=datetime.now(UTC) + timedelta(days=2))
        with pytest.raises(ServiceError, match="no source 'gossip'"):
            pat.referrals.confirm(rid, "confirmed", "gossip")
        declined = pat.referrals.add_outcome(rid, "no_further_action", "Open to CSE team",
                                             close=True)
    assert declined.status == ReferralStatus.CLOSED
    assert declined.decline_reason == "Already open to the CSE team"


def test_a_decision_not_to_refer_needs_its_reason(vault: Vault) -> None:
    with vault.login("pat") as pat:
        rid = pat.referrals.for_screening(high(pat)).id  # type: ignore[union-attr]
        with pytest.raises(ServiceError, match="why it is not being referred"):
            pat.referrals.mark_not_referred(rid, "")
        done = pat.referrals.mark_not_referred(rid, "Already open to the CSE team")
    assert done.status == ReferralStatus.NOT_REFERRED
    assert done.decision == ReferralDecision.NOT_REFER
    assert done.not_referred_reason == "Already open to the CSE team"


def test_past_deadline_steps_are_flagged_and_listed(vault: Vault) -> None:
    with vault.login("pat") as pat:
        rid = pat.referrals.for_screening(high(pat)).id  # type: ignore[union-attr]
        referral = pat.referrals.get(rid)
        assert referral.send_due is not None
        later = referral.send_due + timedelta(days=1)
        assert referral.overdue(referral.send_due) is None
        assert "Not sent yet" in (referral.overdue(later) or "")
        assert [r.id for r in pat.referrals.find(overdue_only=True, today=later)] == [rid]
        assert pat.referrals.find(overdue_only=True, today=referral.send_due) == []
        sent = pat.referrals.mark_sent(rid, "secure_email")
        assert sent.decision_due is not None
        after = sent.decision_due + timedelta(days=1)
        assert "No decision yet" in (sent.overdue(after) or "")
        accepted = pat.referrals.mark_accepted(rid)
        assert accepted.overdue(after) is None


def test_working_days_skip_weekends() -> None:
    friday = date(2026, 12, 4)
    assert working_day(friday, 0) == friday
    assert working_day(friday, 1) == date(2026, 12, 7)
    assert working_day(friday, 5) == date(2026, 12, 11)
    assert working_day(date(2026, 12, 6), 0) == date(2026, 12, 7)


def test_roles_own_referrals_managers_all_administrators_none(vault: Vault) -> None:
    with vault.login("pat") as pat:
        rid = pat.referrals.for_screening(high(pat)).id  # type: ignore[union-attr]
    with vault.login("paula") as paula:
        with pytest.raises(NotFound):
            paula.referrals.get(rid)
        with pytest.raises(NotFound):
            paula.referrals.mark_sent(rid, "printed")
        assert paula.referrals.find() == []
        assert paula.referrals.confirmations() == {}
        assert paula.referrals.confirmed_answers() == {}
    with vault.login("mary") as mary:
        assert mary.referrals.mark_sent(rid, "printed").sent_by == "mary"
        assert [r.id for r in mary.referrals.find()] == [rid]
    with vault.login("admin") as admin:
        for call in (lambda: admin.referrals.get(rid), admin.referrals.find,
                     lambda: admin.referrals.mark_received(rid),
                     admin.referrals.confirmations, admin.referrals.confirmed_answers):
            with pytest.raises(PermissionDenied):
                call()


def test_every_step_is_audited_without_its_text(vault: Vault) -> None:
    with vault.login("pat") as pat:
        rid = pat.referrals.for_screening(high(pat)).id  # type: ignore[union-attr]
        pat.referrals.mark_sent(rid, "exchange_package")
        pat.referrals.mark_declined(rid, "A reason with a name in it: Jo")
        pat.referrals.add_outcome(rid, "no_further_action", "Another name: Jo")
        pat.referrals.confirm(rid, "not_known", "police")
        pat.referrals.close(rid)
        with pat.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT action, object, detail FROM audit_log WHERE object = :o ORDER BY seq"),
                {"o": f"referral:{rid}"}).all()
    actions = [r[0] for r in rows]
    assert actions == ["referral_create", "referral_sent", "referral_declined",
                       "referral_outcome", "referral_confirmation", "referral_closed"]
    assert all("Jo" not in r[2] for r in rows)
    assert json.loads(rows[1][2])["method"] == "exchange_package"
    assert json.loads(rows[4][2]) == {"answer": "not_known", "source": "police",
                                      "step": "confirmation"}


def test_confirmations_are_queryable_per_screening_latest_first(vault: Vault) -> None:
    with vault.login("pat") as pat:
        sid = high(pat)
        rid = pat.referrals.for_screening(sid).id  # type: ignore[union-attr]
        today = date.today()
        pat.referrals.confirm(rid, "not_known", "cse_team_assessment", at=today)
        pat.referrals.confirm(rid, "confirmed", "nrm_decision", at=today)
        other = none_level(pat)
        other_rid = pat.referrals.for_screening(other).id  # type: ignore[union-attr]
        pat.referrals.confirm(other_rid, "not_confirmed", "police", at=today)
    with vault.login("mary") as mary:
        truth = mary.referrals.confirmations()
        assert truth[sid].answer == Confirmation.CONFIRMED
        assert truth[sid].source_id == "nrm_decision"
        assert truth[other].answer == Confirmation.NOT_CONFIRMED
        assert set(mary.referrals.confirmations([sid])) == {sid}
        # The answers alone, as the calibration reads them: the same latest answer each.
        assert mary.referrals.confirmed_answers() == {
            k: record.answer for k, record in truth.items()}
        history = mary.referrals.get(rid).steps
    assert [s.answer for s in history if s.kind == StepKind.CONFIRMATION] == [
        Confirmation.NOT_KNOWN, Confirmation.CONFIRMED]


def test_a_screening_finalised_before_referrals_gets_one_on_request(vault: Vault) -> None:
    with vault.login("pat") as pat:
        sid = high(pat)
        with pat.engine.begin() as conn:  # as a database from before referrals would be
            conn.execute(text("DELETE FROM referral_steps"))
            conn.execute(text("DELETE FROM referrals"))
        assert pat.referrals.for_screening(sid) is None
        made = pat.referrals.record_for(sid)
        assert made.status == ReferralStatus.TO_SEND
        assert pat.referrals.record_for(sid).id == made.id
        assert [r.id for r in pat.referrals.for_child(made.child_id)] == [made.id]


def test_steps_cannot_be_dated_before_the_step_they_follow(vault: Vault) -> None:
    with vault.login("pat") as pat:
        rid = pat.referrals.for_screening(high(pat)).id  # type: ignore[union-attr]
        with pytest.raises(ServiceError, match="before the referral's last step"):
            pat.referrals.mark_sent(rid, "printed", at=date.today() - timedelta(days=400))


def test_referral_actions_read_as_plain_words() -> None:
    from riskscreen.services.audit_words import describe_entry

    line = describe_entry(7, "2026-11-30T10:00:00.000000Z", "pat", "referral_sent",
                          "referral:4", '{"method":"secure_email","step":"sent"}', {}, {})
    assert (line.what, line.about, line.detail) == (
        "Marked a referral as sent", "Referral 4", "by secure email")
    line = describe_entry(8, "2026-11-30T10:00:00.000000Z", "pat", "referral_confirmation",
                          "referral:4", '{"answer":"not_confirmed","source":"police"}', {}, {})
    assert line.what == "Answered “exploitation confirmed?”"
    assert line.detail == "not confirmed; source: police"



def test_the_referral_follows_the_routing_contacts_an_administrator_saved(
        vault: Vault) -> None:

    with vault.login("admin") as admin:
        service = admin
        destinations = service.settings.routing_data()["destinations"]
        hub = next(d for d in destinations if d["id"] == "specialist_cse_team")
        hub["name"] = "Renamed Exploitation Hub"
        service.settings.save_destinations(destinations)
    with vault.login("pat") as pat:
        referral = pat.referrals.for_screening(high(pat))
    assert referral is not None
    assert referral.destination_name == "Renamed Exploitation Hub"


def test_an_amendment_replaces_a_referral_not_yet_sent_and_keeps_one_sent(
        vault: Vault) -> None:
    with vault.login("pat") as pat:
        first = high(pat)
        amendment = pat.screenings.amend(first, "The date of birth was recorded wrongly.")
        pat.screenings.finalise(amendment)
        replaced = pat.referrals.for_screening(first)
        new = pat.referrals.for_screening(amendment)
        assert replaced is not None
        assert new is not None
        assert replaced.status == ReferralStatus.NOT_REFERRED
        assert replaced.not_referred_reason == (
            f"Replaced by the referral of the amended screening {amendment}, before it was "
            "sent.")
        assert new.status == ReferralStatus.TO_SEND
        pat.referrals.mark_sent(new.id, "secure_email")
        again = pat.screenings.amend(amendment, "A second correction to the record.")
        pat.screenings.finalise(again)
        kept = pat.referrals.for_screening(amendment)
    assert kept is not None
    assert kept.status == ReferralStatus.SENT


def test_levels_and_calibration_facts_read_as_plain_words() -> None:
    from riskscreen.services.audit_words import describe_entry

    line = describe_entry(9, "2026-11-30T10:00:00.000000Z", "jo", "practice_submit",
                          "practice:24", '{"level":"none","score":0}', {}, {})
    assert line.detail == "level No apparent risk; 0 points"
    line = describe_entry(10, "2026-11-30T10:00:00.000000Z", "mary", "calibration",
                          "model:e8d21d782a82", '{"draft":false,"outcomes":666}', {}, {})
    assert line.detail == "the published model; 666 outcomes"
    assert "False" not in line.detail
