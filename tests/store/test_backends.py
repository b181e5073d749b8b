"""The schema on both backends: the same migrations, and the database itself refusing changes to
what must never change (triggers on SQLite and on PostgreSQL alike)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import exc, text

from riskscreen.store import audit
from riskscreen.store.models import Base, stamp_micros
from riskscreen.store.schema import current_revision, head_revision

_NOW = "2026-03-01T09:30:00.000000Z"
#: The same time as the tables that grow with screenings store it (UtcStamp).
_STAMP = stamp_micros(_NOW)


def _rows(engine: Any) -> None:
    """One of everything the triggers protect: a published model, a finalised screening
    with its snapshot and answers, a draft, a dictionary, a received package, audit entries."""
    with engine.begin() as conn:
        def run(sql: str, **params: Any) -> None:
            conn.execute(text(sql), params)

        run("INSERT INTO users (id, name, display_name, role, disabled, created_at) "
            "VALUES (1, 'pat', '', 'practitioner', false, :t)", t=_NOW)
        run("INSERT INTO children (id, name, identifiers, created_by, created_at) "
            "VALUES (1, 'A Child', '{}', 1, :t)", t=_STAMP)
        run("INSERT INTO scoring_models (sha256, model_id, version, canonical_json, "
            "published_by, published_at, change_note) VALUES ('m', 'cse', '1.0.0', '{}', 1, "
            ":t, '')", t=_NOW)
        for sid in (1, 2):  # both drafts until the first has its snapshot
            run("INSERT INTO screenings (id, child_id, practitioner_id, form_id, form_version, "
                "model_id, model_version, model_sha256, screening_date, status, created_at, "
                "updated_at) VALUES (:id, 1, 1, 'cse-screening', '1.0.0', 'cse', '1.0.0', "
                "'m', '2026-03-01', 'draft', :t, :t)", id=sid, t=_STAMP)
            run("INSERT INTO answers (screening_id, question_id, value, saved_at) VALUES "
                "(:id, 'q1', '\"yes\"', :t)", id=sid, t=_STAMP)
        run("INSERT INTO record_dictionaries (id, model_sha256, data) VALUES (1, 'm', :d)",
            d=b"dictionary")
        run("INSERT INTO assessments (screening_id, final_level, finalised_by, finalised_at, "
            "dictionary_id, record) VALUES (1, 'low', 1, :t, 1, :r)", t=_STAMP, r=b"record")
        run("UPDATE screenings SET status = 'final' WHERE id = 1")
        run("INSERT INTO received_packages (id, package_id, sha256, kind, reference, "
            "sender_fingerprint, sender_name, received_by, received_at, content, status, "
            "outcomes) VALUES (1, 'p1', 's', 'referral', 'R1', 'f', 'Team', 1, :t, :c, "
            "'received', '[]')", t=_NOW, c=b"package")
    from sqlalchemy.orm import Session

    with Session(engine) as s, s.begin():
        audit.append(s, "pat", "login", "user:1")
        audit.append(s, "pat", "logout", "user:1")


#: Statements the database must refuse, with the message it refuses them with.
REFUSED = [
    ("UPDATE scoring_models SET change_note = 'x'", "published scoring models are immutable"),
    ("DELETE FROM scoring_models", "published scoring models are immutable"),
    ("UPDATE assessments SET final_level = 'high'", "assessment snapshots are immutable"),
    ("DELETE FROM assessments", "assessment snapshots are immutable"),
    ("UPDATE record_dictionaries SET data = 'x'", "assessment snapshots are immutable"),
    ("UPDATE audit_log SET action = 'x' WHERE seq = 1", "the audit log is append-only"),
    ("DELETE FROM audit_log WHERE seq = 2", "the audit log is append-only"),
    ("UPDATE screenings SET final_level = 'none' WHERE id = 1",
     "a finalised screening cannot be edited"),
    ("UPDATE answers SET value = '\"no\"' WHERE screening_id = 1",
     "a finalised screening cannot be edited"),
    ("DELETE FROM answers WHERE screening_id = 1", "a finalised screening cannot be edited"),
    ("INSERT INTO answers (screening_id, question_id, value, saved_at) VALUES "
     "(1, 'q2', '1', 0)", "a finalised screening cannot be edited"),
    ("UPDATE received_packages SET content = 'x'", "a received package is kept as it arrived"),
    ("DELETE FROM received_packages", "a received package is kept as it arrived"),
]


@pytest.mark.parametrize(("statement", "message"), REFUSED,
                         ids=[s.split(" WHERE")[0] for s, _ in REFUSED])
def test_the_database_refuses_changes_to_what_never_changes(store_engine: Any, statement: str,
                                                            message: str) -> None:
    _rows(store_engine)
    with pytest.raises(exc.DBAPIError, match=message), store_engine.begin() as conn:
        conn.execute(text(statement))


def test_drafts_stay_editable_and_the_chain_verifies(store_engine: Any) -> None:
    _rows(store_engine)
    with store_engine.begin() as conn:
        conn.execute(text("UPDATE answers SET value = '\"no\"' WHERE screening_id = 2"))
        conn.execute(text("UPDATE screenings SET version = version + 1 WHERE id = 2"))
        conn.execute(text("UPDATE received_packages SET status = 'accepted'"))
    with store_engine.connect() as conn:
        count, _, problems = audit.verify_chain(conn)
    assert (count, problems) == (2, [])


def test_postgresql_refuses_truncating_the_audit_log(pg_database: Any) -> None:
    from riskscreen.store.backend import server_engine

    engine = server_engine(pg_database)
    try:
        _rows(engine)
        for table in ("audit_log", "assessments", "scoring_models"):
            with pytest.raises(exc.DBAPIError, match=r"immutable|append-only"), \
                    engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {table} CASCADE"))
    finally:
        engine.dispose()


def test_every_migration_runs_on_postgresql_to_the_models_schema(pg_databases: Any) -> None:
    from riskscreen.store.backend import server_engine
    from riskscreen.store.schema import upgrade

    engine = server_engine(pg_databases.fresh(empty=True))
    try:
        upgrade(engine)
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def test_the_compact_audit_revision_keeps_the_chain_on_postgresql(pg_databases: Any) -> None:
    """Entries written at revision 0013 (hex hashes, each naming the one before) still verify
    after revision 0014 keeps each hash once as bytes, and going back restores them exactly."""
    from alembic import command

    from riskscreen.store.backend import server_engine
    from riskscreen.store.schema import _config, upgrade

    engine = server_engine(pg_databases.fresh(empty=True))
    try:
        upgrade(engine, "0013")
        old, prev = [], audit.GENESIS
        for seq in range(1, 6):
            detail = f'{{"n":{seq}}}'
            digest = audit.entry_hash(prev, seq, _NOW, "pat", "login", "user:1", detail)
            old.append((seq, _NOW, "pat", "login", "user:1", detail, prev, digest))
            prev = digest
        with engine.begin() as conn:
            for row in old:
                conn.execute(text(
                    'INSERT INTO audit_log (seq, at, "user", action, object, detail, prev_hash, '
                    "hash) VALUES (:s, :a, :u, :ac, :o, :d, :p, :h)"),
                    dict(zip(("s", "a", "u", "ac", "o", "d", "p", "h"), row, strict=True)))
        upgrade(engine)
        with engine.connect() as conn:
            count, head, problems = audit.verify_chain(conn)
            stored = conn.execute(text("SELECT hash FROM audit_log ORDER BY seq")).scalars()
            assert [bytes(h) for h in stored] == [bytes.fromhex(r[7]) for r in old]
        assert (count, head, problems) == (5, old[-1][7], [])
        with engine.begin() as conn:
            config = _config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0013")
        with engine.connect() as conn:
            back = [tuple(r) for r in conn.execute(text(
                'SELECT seq, at, "user", action, object, detail, prev_hash, hash '
                "FROM audit_log ORDER BY seq"))]
        assert back == old
    finally:
        engine.dispose()
