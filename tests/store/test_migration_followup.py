"""Revision 0009 on a database at revision 0008 holding real screenings and referrals: the
review dates of every finalised screening are filled in from its snapshot, and nothing stored
changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import text

from riskscreen.forms.loader import load_form
from riskscreen.scoring.engine import score
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.review import review_due
from riskscreen.services import OverrideRequest, Unlocker, create_database
from riskscreen.services.demo import populate
from riskscreen.store.models import digest_text, stamp_text
from riskscreen.store.schema import _config, current_revision, head_revision
from riskscreen.synthetic import generate_answer_sets

from ..conftest import FAST

_TABLES = ("users", "children", "screenings", "answers", "assessments", "answer_packs",
           "audit_log", "scoring_models", "record_dictionaries", "answer_keysets", "referrals",
           "referral_steps", "forms", "instruments")
# The answer-columns revision after 0009 replaces these two; its own test checks that move.
_REPLACED_LATER = ("answer_packs", "answer_keysets")


def _rows(conn: Any, tables: tuple[str, ...] = _TABLES) -> dict[str, list[tuple[object, ...]]]:
    return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
            for t in tables}


def _at_0008(db: Path) -> tuple[dict[int, str], dict[str, list[tuple[object, ...]]]]:
    """A database with 30 demo screenings and one overridden through the services, taken
    back to revision 0008 by Alembic's downgrade: the review date each
    finalised screening should get, and every row of the 0008 tables."""
    admin, _ = create_database(db, "admin", "admin passphrase", kdf=FAST)
    admin.accounts.create("mary", "manager", "manager passphrase")
    admin.accounts.create("pat", "practitioner", "practitioner pass")
    populate(admin, 30, seed=3)
    admin.close()
    pat = Unlocker(db, auto_backups=False).unlock("pat", "practitioner pass")
    form = load_form("cse-screening")
    model = load_model("cse-screening")
    answer_set = next(a for a in generate_answer_sets(form, 50, 11)
                      if score(form, model, a).level != "high")
    child = pat.children.create("Override Child", answer_set.answers.get("date_of_birth"))
    sid = pat.screenings.start(child.id, screening_date=answer_set.screening_date)
    for qid, value in answer_set.answers.items():
        if qid not in ("child_name", "date_of_birth"):
            pat.screenings.save_answer(sid, qid, value)
    pat.screenings.finalise(sid, OverrideRequest(
        "high", "The child told a teacher about an older man who meets her after school."))
    intervals = load_model("cse-screening").review.intervals
    expected = {}
    with pat.engine.connect() as conn:
        finalised = list(conn.execute(text("SELECT screening_id FROM assessments")).scalars())
    pat.close()
    pat = Unlocker(db, auto_backups=False).unlock("mary", "manager passphrase")
    for done in finalised:
        a = pat.screenings.open(done).assessment
        assert a is not None
        expected[done] = review_due(a.level, a.final_level, a.screening_date,
                                    a.review_date, intervals).isoformat()
    with pat.engine.begin() as conn:
        config = _config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0008")
        assert current_revision(conn) == "0008"
        before = _rows(conn)
        triggers = set(conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    assert "screenings_final_u" in triggers
    pat.close()
    return expected, before


def test_0009_fills_review_dates_and_keeps_the_data(tmp_path: Path) -> None:
    db = tmp_path / "data" / "riskscreen.db"
    expected, before = _at_0008(db)
    # Signing in upgrades (after a backup, here turned off).
    with Unlocker(db, auto_backups=False).unlock("mary", "manager passphrase") as s:
        with s.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            got = dict(conn.execute(text(
                "SELECT screening_id, review_date FROM screening_reviews")).all())
            rescreens = conn.execute(text("SELECT count(*) FROM screenings WHERE "
                                          "rescreen_of IS NOT NULL")).scalar_one()
            after = _rows(conn, tuple(t for t in _TABLES if t not in _REPLACED_LATER))
        report = s.maintenance.verify()
        due = s.reviews.due()
    assert got == expected
    assert len(got) > 20
    assert rescreens == 0
    for table in after:
        # Later revisions keep the growing tables' times as microseconds and the hashes as
        # bytes: compare them as the text they read back as.
        after[table] = [(*(stamp_text(v) if isinstance(v, int) and isinstance(b, str)
                           else digest_text(v) if isinstance(v, bytes) and isinstance(b, str)
                           and table != "audit_log"
                           else v for v, b in zip(r, old, strict=False)), *r[len(old):])
                        for r, old in zip(after[table], before[table], strict=False)
                        ] + after[table][len(before[table]):]
        if table == "audit_log":  # signing in adds entries; none before them changes
            # (a later revision keeps each hash once, as bytes)
            assert after[table][:len(before[table])] == [
                (*r[:6], bytes.fromhex(str(r[7]))) for r in before[table]]
        elif table == "screenings":  # columns added since, at the end: rescreen_of empty
            width = len(before[table][0])
            assert [r[:width] for r in after[table]] == before[table]
            assert {r[width] for r in after[table]} == {None}
        else:
            assert after[table] == before[table], table
    assert report.ok, report
    # The overridden screening's review follows its final level: high, one month.
    overridden = max(expected)
    [item] = [i for i in due if i.last_screening_id == overridden]
    assert item.due.isoformat() == got[overridden]
