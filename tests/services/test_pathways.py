"""Pathway reports: counts that agree with the referral records, suppressed under 5."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from riskscreen.services import PermissionDenied, Session, Unlocker
from riskscreen.services.demo import DEMO_ACCOUNTS, create_demo_database
from riskscreen.services.server import ServerUnlocker
from riskscreen.services.types import StepKind

from ..conftest import BACKENDS, FAST, Vault
from .test_referrals import high


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Session]:
    """A demo database of 120 screenings on each backend: ``demo(name)`` signs in."""
    folder = tmp_path_factory.mktemp("pathways")
    if request.param == "sqlite":
        db = folder / "demo.db"
        create_demo_database(db, 120, seed=5, kdf=FAST).close()
        return lambda name: Unlocker(db, auto_backups=False).unlock(
            name, DEMO_ACCOUNTS[name][1])
    location = request.getfixturevalue("pg_databases").fresh(empty=True)
    create_demo_database(location, 120, seed=5, kdf=FAST, state_dir=folder).close()
    return lambda name: ServerUnlocker(location, state_dir=folder).unlock(
        name, DEMO_ACCOUNTS[name][1])


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


def test_counts_agree_with_the_referral_records(demo: Callable[[str], Session],
                                                tmp_path: Path) -> None:
    with demo("manager") as manager:
        report = manager.pathways.build()
        referrals = manager.referrals.find()
        csv_path = manager.pathways.export_csv(report, tmp_path / "pathway.csv")
        pdf_path = manager.pathways.export_pdf(report, tmp_path / "pathway.pdf",
                                               {"protective_marking": "OFFICIAL-SENSITIVE"})
        with manager.engine.connect() as conn:
            audited = [r[0] for r in conn.execute(text(
                "SELECT action FROM audit_log WHERE object = 'referrals' ORDER BY seq"))]
    assert report.total == len(referrals)
    decisions = dict(report.table("Referrals by decision").rows)
    assert sum(decisions.values()) == len(referrals)
    accepted = sum(1 for r in referrals if any(s.kind == StepKind.ACCEPTED for s in r.steps))
    assert decisions["referred: accepted"] == accepted
    routes = dict(report.table("Referrals by route").rows)
    assert routes == dict(Counter(f"{r.pathway}: {r.destination_name}" for r in referrals))
    timing = dict(report.table("Time to decision against the deadline").rows)
    decided = [r for r in referrals if r.decided_at is not None and r.sent_at is not None]
    assert timing["decided within the deadline"] + timing["decided after the deadline"] \
        == len(decided)
    # Anonymised: every count from 1 to 4 is exported as "<5".
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    small = {(t.title, c) for t in report.tables for c, n in t.rows if 0 < n < 5}
    exported = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert small, "the demo should have some small groups to suppress"
    assert all(exported[key] == "<5" for key in small)
    assert not any(v in {"1", "2", "3", "4"} for v in exported.values())
    text_ = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(
        pdf_path.read_bytes())).pages)
    assert "CSE pathway report" in text_
    assert "OFFICIAL-SENSITIVE" in text_
    pages = len(PdfReader(io.BytesIO(pdf_path.read_bytes())).pages)
    assert f"Page 1 of {pages}" in text_
    assert f"Page {pages} of {pages}" in text_
    assert audited == ["report", "report_export", "report_export"]


def test_only_managers_see_pathway_reports(demo: Callable[[str], Session]) -> None:
    for name in ("pat", "admin"):
        with demo(name) as user, pytest.raises(PermissionDenied):
            user.pathways.build()


def test_level_at_re_screening_after_an_intervention(vault: Vault) -> None:
    with vault.login("pat") as pat:
        first = high(pat)
        referral = pat.referrals.for_screening(first)
        assert referral is not None
        pat.referrals.mark_sent(referral.id, "secure_email")
        pat.referrals.mark_accepted(referral.id)
        pat.referrals.add_outcome(referral.id, "cse_team_allocated")
        earlier = pat.screenings.open(first)
        again = pat.screenings.start(referral.child_id,
                                     screening_date=earlier.row.screening_date
                                     + timedelta(days=40))
        for qid, answer in earlier.answers.items():
            if qid not in ("child_name", "date_of_birth"):
                pat.screenings.save_answer(again, qid, answer.value, answer.evidence)
        pat.screenings.finalise(again)
    with vault.login("mary") as mary:
        report = mary.pathways.build()
    levels = dict(report.table("Levels at re-screening after each kind of intervention").rows)
    moved = dict(report.table("Level at re-screening against the level before").rows)
    assert levels["Allocated to the CSE team: High"] == 1
    assert moved["Allocated to the CSE team: the same"] == 1
    assert dict(report.table("Levels at re-screening after each kind of intervention")
                .shown())["Allocated to the CSE team: High"] == "<5"
    outcomes = dict(report.table("Outcomes by first level").rows)
    assert outcomes["High: Allocated to the CSE team"] == 1
