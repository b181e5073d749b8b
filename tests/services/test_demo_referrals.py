"""`riskscreen demo`: referrals with outcomes, everything dated in the past."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text

from riskscreen.forms.visibility import age_on
from riskscreen.services import Unlocker
from riskscreen.services.demo import DEMO_ACCOUNTS, create_demo_database
from riskscreen.services.types import ReferralStatus, StepKind

from ..conftest import FAST


def test_the_demo_has_referrals_with_outcomes_all_in_the_past(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    create_demo_database(db, 150, seed=2, kdf=FAST).close()
    with Unlocker(db, auto_backups=False).unlock(
            "manager", DEMO_ACCOUNTS["manager"][1]) as manager:
        with manager.engine.connect() as conn:
            latest = conn.execute(text("SELECT MAX(screening_date) FROM screenings")).scalar()
            finalised = conn.execute(text(
                "SELECT COUNT(*) FROM screenings WHERE status = 'final'")).scalar()
            born = conn.execute(text(
                "SELECT c.date_of_birth, s.screening_date FROM screenings s "
                "JOIN children c ON c.id = s.child_id")).all()
        referrals = manager.referrals.find()
        truth = manager.referrals.confirmations()
        report = manager.maintenance.verify()
    now = datetime.now(UTC)
    assert date.fromisoformat(latest) < date.today()
    # A screening is for a child: every child is under 18 at each of their screenings,
    # re-screens included.
    ages = [age_on(date.fromisoformat(b), date.fromisoformat(on)) for b, on in born]
    assert len(ages) > 150
    assert max(ages) < 18, Counter(ages)
    assert len(referrals) == finalised
    assert all(step.at < now for r in referrals for step in r.steps)
    statuses = Counter(r.status for r in referrals)
    assert statuses[ReferralStatus.CLOSED] > 10
    assert statuses[ReferralStatus.NOT_REFERRED] > 5
    closed = [r for r in referrals if r.status == ReferralStatus.CLOSED]
    assert all(r.outcomes for r in closed)
    assert {o.outcome_id for r in closed for o in r.outcomes} >= {
        "strategy_discussion", "preventative_work", "no_further_action"}
    assert any(r.overdue(date.today()) for r in referrals)
    assert {c.answer for c in truth.values()} == {"confirmed", "not_confirmed", "not_known"}
    assert all(r.steps[0].kind == StepKind.CREATED for r in referrals)
    flow = (StepKind.CREATED, StepKind.SENT, StepKind.RECEIVED, StepKind.ACCEPTED,
            StepKind.DECLINED, StepKind.CLOSED)
    for r in referrals:  # each step of the flow happens after the one before it
        times = [min(s.at for s in r.steps if s.kind == kind) for kind in flow
                 if any(s.kind == kind for s in r.steps)]
        assert times == sorted(times), (r.id, [(s.kind, s.at) for s in r.steps])
    assert report.ok, report


def test_the_demo_is_marked_synthetic_once_not_on_every_entry(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    create_demo_database(db, 40, seed=3, kdf=FAST).close()
    with Unlocker(db, auto_backups=False).unlock(
            "admin", DEMO_ACCOUNTS["admin"][1]) as admin:
        with admin.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT seq, action, object, detail FROM audit_log ORDER BY seq")).all()
        shown = admin.audit.lines(action="demo_data")
        report = admin.maintenance.verify()
    marks = [r for r in rows if r.action == "demo_data"]
    # The bulk referrals of the finalised screenings; the follow-up story adds a few more
    # through the services, as a practitioner would.
    after = [r.action for r in rows if r.seq > marks[1].seq]
    block = next((i for i, a in enumerate(after) if not a.startswith("referral_")), len(after))
    bulk = after[:block].count("referral_create")
    assert [(m.object, m.detail) for m in marks] == [
        ("database", '{"screenings":40}'), ("database", f'{{"referrals":{bulk}}}')]
    assert not any('"demo"' in r.detail for r in rows)
    # Each mark comes before the synthetic records it describes.
    assert marks[0].seq < min(r.seq for r in rows if r.object.startswith("screening:"))
    assert marks[1].seq < min(r.seq for r in rows if r.object.startswith("referral:"))
    assert {line.what for line in shown} == {
        "Added synthetic demonstration records (nobody in them is real)"}
    assert any("40" in line.detail for line in shown)
    assert report.ok, report
