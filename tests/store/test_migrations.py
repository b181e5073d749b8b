"""Schema upgrades: a database written by the first schema opens with its data intact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from riskscreen.crypto.keyfile import KeyFile, key_file_path
from riskscreen.crypto.keys import new_data_key
from riskscreen.forms.loader import load_form
from riskscreen.services import Unlocker
from riskscreen.store.columns import read_columns
from riskscreen.store.db import create_db_engine
from riskscreen.store.schema import current_revision, head_revision, upgrade

from ..conftest import FAST

NOW = "2026-01-05T10:00:00.000000Z"
ANSWERS = json.dumps({"form": "cse-screening", "form_version": "1.0.0",
                      "screening_date": "2026-01-04", "evidence": {},
                      "answers": {"child_views": "final one", "gender": "female"}},
                     separators=(",", ":"))


def _first_schema_database(db: Path) -> None:
    """A database at revision 0001 with a user, a child, a draft and a final screening."""
    key = new_data_key()
    keyfile = KeyFile(database_id="db-0001")
    keyfile.set_passphrase("pat", "practitioner pass", key, FAST)
    keyfile.save(key_file_path(db))
    engine = create_db_engine(db, key)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        for sql in [
            "INSERT INTO meta VALUES ('database_id', 'db-0001')",
            f"INSERT INTO users VALUES (1, 'pat', 'Pat', 'practitioner', 0, '{NOW}')",
            f"INSERT INTO children VALUES (1, 'Old Child', '2011-01-01', '{{}}', 1, '{NOW}')",
            f"INSERT INTO scoring_models VALUES ('{'a' * 64}', 'm', '1.0.0', '{{}}', 1, "
            f"'{NOW}', 'first')",
            f"INSERT INTO screenings VALUES (1, 1, 1, 'cse-screening', '1.0.0', 'm', '1.0.0', "
            f"'{'a' * 64}', '2026-01-05', 'draft', NULL, NULL, '{NOW}', '{NOW}')",
            f"INSERT INTO screenings VALUES (2, 1, 1, 'cse-screening', '1.0.0', 'm', '1.0.0', "
            f"'{'a' * 64}', '2026-01-04', 'draft', NULL, NULL, '{NOW}', '{NOW}')",
            f"""INSERT INTO answers VALUES (1, 'child_views', '"kept"', NULL, '{NOW}')""",
            f"""INSERT INTO answers VALUES (2, 'child_views', '"final one"', NULL, '{NOW}')""",
            f"INSERT INTO assessments VALUES (2, '{'a' * 64}', '{ANSWERS}', NULL, "
            f"""'{{"final_level": "high"}}', 'high', 1, '{NOW}')""",
            f"INSERT INTO screenings VALUES (3, 1, 1, 'cse-screening', '1.0.0', 'm', '1.0.0', "
            f"'{'a' * 64}', '2026-01-03', 'draft', NULL, NULL, '{NOW}', '{NOW}')",
            f"INSERT INTO assessments VALUES (3, '{'a' * 64}', '{{}}', NULL, "
            f"""'{{"final_level": "low"}}', 'low', 1, '{NOW}')""",
            "UPDATE screenings SET status='final' WHERE id IN (2, 3)",
        ]:
            conn.execute(text(sql))
        assert current_revision(conn) == "0001"
    engine.dispose()


def test_first_schema_database_upgrades_with_data_intact(tmp_path: Path,
                                                         read_records: Any) -> None:
    db = tmp_path / "old.db"
    _first_schema_database(db)
    session = Unlocker(db, auto_backups=False).unlock("pat", "practitioner pass")
    with session.engine.connect() as conn:
        assert current_revision(conn) == head_revision() != "0001"
        rows = conn.execute(text("SELECT id, status, final_level FROM screenings "
                                 "ORDER BY id")).all()
        answers = conn.execute(text("SELECT screening_id, value FROM answers "
                                    "ORDER BY screening_id")).all()
        names = conn.execute(text("SELECT name FROM children")).scalars().all()
        indexes = conn.execute(text("SELECT name FROM sqlite_master WHERE type='index'"))
        index_names = set(indexes.scalars())
        # The finalised-screening trigger is back after the back-fill.
        triggers = set(conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type='trigger'")).scalars())
        chunks = conn.execute(text("SELECT form_id, form_version, data FROM answer_columns"
                                   )).all()
        tables = set(conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type='table'")).scalars())
        records = read_records(conn)
        answers_sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = "
                                        "'answers'")).scalar_one()
    session.close()
    assert [tuple(r) for r in rows] == [(1, "draft", None), (2, "final", "high"),
                                        (3, "final", "low")]
    # Revision 0005: a finalised screening's answers live in its record, exactly as they
    # were kept, with the snapshot's text; the draft keeps its rows.
    assert [(r[0], json.loads(r[1])) for r in answers] == [(1, "kept")]
    assert records == [(2, '{"final_level": "high"}', ANSWERS),
                       (3, '{"final_level": "low"}', "{}")]
    assert "WITHOUT ROWID" in answers_sql
    assert {"assessments_immutable_u", "assessments_immutable_d", "answers_final_i",
            "answers_final_u", "answers_final_d", "record_dictionaries_immutable_u",
            "record_dictionaries_immutable_d"} <= triggers
    assert names == ["Old Child"]
    assert "ix_screenings_level_updated" in index_names
    assert "screenings_final_u" in triggers
    # Revision 0006 made answer columns from the records (a malformed answer set has none;
    # verify reports it) and dropped the packs that revisions 0003 and 0004 made.
    form = load_form("cse-screening")
    assert [(f, v) for f, v, _ in chunks] == [("cse-screening", form.version)]
    stored = read_columns(form, [d for _, _, d in chunks])
    assert stored.ids.tolist() == [2]
    [code] = stored.columns.column("child_views").tolist()
    assert stored.columns.texts["child_views"][code - 1] == "final one"
    assert stored.columns.unscorable == {}
    assert not {"answer_packs", "answer_keysets"} & tables
    # A backup was taken before the upgrade, in the data folder.
    assert list((tmp_path / "backups").glob("before-upgrade-0001-*.db"))


def _schema(conn: Any) -> list[tuple[str, str]]:
    return sorted((str(n), str(s)) for n, s in conn.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT "
        "NULL")))


def test_a_database_at_the_previous_head_gains_referrals_with_its_data_intact(
        store: Any, tmp_path: Path) -> None:
    """A working database (real finalised screenings, drafts, audit) taken back to revision
    0005, the schema before referrals, then opened: everything is kept, and its old
    screenings can be referred."""
    from alembic import command

    from riskscreen.services.demo import populate
    from riskscreen.store.schema import _config

    with store.login("mary") as mary:
        populate(mary, 40, seed=3)
        sid = mary.screenings.find().items[0].id
    key = KeyFile.load(key_file_path(store.db)).open_slot("mary", "manager passphrase").data_key
    engine = create_db_engine(store.db, key)
    with engine.begin() as conn:
        config = _config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")
    with engine.connect() as conn:
        before_schema = _schema(conn)
        before = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
                  for t in ("children", "screenings", "answers", "assessments", "answer_packs",
                            "audit_log")}
        assert current_revision(conn) == "0005"
    engine.dispose()
    fresh = create_db_engine(tmp_path / "fresh.db", new_data_key())
    upgrade(fresh, "0005")
    with fresh.connect() as conn:
        assert _schema(conn) == before_schema  # exactly the schema revision 0005 makes
    fresh.dispose()

    with store.login("mary") as mary:
        with mary.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            after = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
                     for t in before if t != "answer_packs"}
            after["answer_packs"] = conn.execute(text(
                "SELECT COALESCE(SUM(rows), 0) FROM answer_columns")).scalar()
        report = mary.maintenance.verify()
        final = next(r for r in mary.screenings.find().items if r.status == "final")
        made = mary.referrals.record_for(final.id)
        sent = mary.referrals.mark_sent(made.id, "secure_email")
        assert mary.screenings.open(sid).row.id == sid
    assert report.ok, report
    # Opening appended sign-in entries to the audit log; nothing else changed in number (the
    # packs became answer columns).
    assert {t: n for t, n in after.items() if t not in ("audit_log", "answer_packs")} == {
        t: n for t, n in before.items() if t not in ("audit_log", "answer_packs")}
    assert after["answer_packs"] == before["answer_packs"] == before["assessments"]
    assert after["audit_log"] > before["audit_log"]
    assert sent.status == "sent"
    assert list((store.db.parent / "backups").glob("before-upgrade-0005-*.db"))


def test_an_upgrade_that_drops_tables_gives_their_space_back(tmp_path: Path) -> None:
    """The answer packs and key sets the upgrade drops leave the file smaller, not only free
    pages inside it; the copy that replaced it opens with the same key and holds the data."""
    db = tmp_path / "old.db"
    _first_schema_database(db)
    key = KeyFile.load(key_file_path(db))
    data_key = key.unlock("pat", "practitioner pass")
    engine = create_db_engine(db, data_key)
    upgrade(engine, "0009")
    with engine.begin() as conn:  # what years of finalised screenings' packs would weigh
        conn.execute(text("INSERT INTO answer_keysets (keys) VALUES (:k)"),
                     [{"k": json.dumps([f"q{i}-{n}" for i in range(300)])} for n in range(400)])
    engine.dispose()
    before = db.stat().st_size
    assert before > 2_000_000
    session = Unlocker(db, auto_backups=False).unlock("pat", "practitioner pass")
    with session.engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        assert conn.execute(text("SELECT count(*) FROM meta WHERE key = 'compact_pending'")
                            ).scalar() == 0
        assert conn.execute(text("SELECT name FROM children")).scalars().all() == ["Old Child"]
    session.close()
    assert db.stat().st_size < before / 4
    assert not list(tmp_path.glob(".old.db.compacting*"))
    again = Unlocker(db, auto_backups=False).unlock("pat", "practitioner pass")
    again.close()


def test_no_compaction_while_another_session_has_the_database_open(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _first_schema_database(db)
    data_key = KeyFile.load(key_file_path(db)).unlock("pat", "practitioner pass")
    engine = create_db_engine(db, data_key)
    upgrade(engine, "0009")
    engine.dispose()
    from riskscreen.store.lock import OpenLock

    other = OpenLock(db, exclusive=False)  # another session's shared lock
    try:
        session = Unlocker(db, auto_backups=False).unlock("pat", "practitioner pass")
        with session.engine.connect() as conn:  # still asked for, for a later sign-in
            assert conn.execute(text("SELECT value FROM meta WHERE key = 'compact_pending'")
                                ).scalar() == "1"
        session.close()
    finally:
        other.release()
    session = Unlocker(db, auto_backups=False).unlock("pat", "practitioner pass")
    with session.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM meta WHERE key = 'compact_pending'")
                            ).scalar() == 0
    session.close()
