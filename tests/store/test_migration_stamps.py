"""Revision 0016: the timestamps of the tables that grow with every screening are kept as
integer microseconds and read back as the same text; carried answers lose their rowid; the
screenings' indexes change; going back to 0015 gives the text back exactly (both backends)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import exc, text

from riskscreen.services.demo import add_referral_demo, populate
from riskscreen.services.types import Status
from riskscreen.store import audit
from riskscreen.store.models import digest_text, stamp_text
from riskscreen.store.schema import current_revision, head_revision

from ..conftest import Vault
from .helpers import migrate
from .test_backends import _NOW, _STAMP
from .test_backends import _rows as one_of_everything

#: The columns revision 0016 converts, by table.
STAMPED = {
    "children": ("created_at",),
    "screenings": ("created_at", "updated_at"),
    "answers": ("saved_at",),
    "assessments": ("finalised_at",),
    "referrals": ("created_at", "updated_at", "sent_at", "decided_at", "closed_at"),
    "referral_steps": ("at", "recorded_at"),
    "audit_log": ("at",),
}


def _tables(conn: Any) -> dict[str, list[dict[str, Any]]]:
    return {t: [dict(r._mapping) for r in conn.execute(
                text(f'SELECT * FROM "{t}" ORDER BY 1, 2'))]
            for t in (*STAMPED, "carried_answers")}


def _as_text(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The rows with their times as text, and the hashes (bytes since revision 0017) too."""
    def shown(table: str, column: str, value: Any) -> Any:
        if value is not None and column in STAMPED.get(table, ()):
            return stamp_text(value)
        hashed = column in ("model_sha256", "form_sha256") and isinstance(value, bytes)
        return digest_text(value) if hashed else value

    return {t: [{k: shown(t, k, v) for k, v in row.items()} for row in rows]
            for t, rows in tables.items()}


def _demo(store: Vault) -> None:
    """Finalised and draft screenings, referrals with their steps, a re-screen with carried
    answers: every converted table has rows."""
    with store.login("mary") as mary:
        populate(mary, 30, seed=3)
        add_referral_demo(mary, seed=3)
        child = next(s.child_id for s in mary.screenings.find().items
                     if s.status == Status.FINAL)
        mary.screenings.start(child, rescreen=True)


def test_0016_keeps_every_value_and_the_database_verifies(store: Vault) -> None:
    _demo(store)
    with store.login("mary") as mary, mary.engine.begin() as conn:
        migrate(conn, "0015")
        before = _tables(conn)
    assert all(before.values())
    stamps = [row[c] for t, cs in STAMPED.items() for row in before[t] for c in cs]
    assert stamps
    assert all(s is None or (isinstance(s, str) and len(s) == 27) for s in stamps)
    with store.login("mary") as mary:  # signing in brings it up to the head again
        with mary.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            after = _tables(conn)
            kinds = {str(r[0]) for r in conn.execute(text(
                "SELECT DISTINCT typeof(at) FROM audit_log UNION "
                "SELECT DISTINCT typeof(updated_at) FROM screenings UNION "
                "SELECT DISTINCT typeof(saved_at) FROM answers"))}
            with pytest.raises(exc.OperationalError, match="rowid"):
                conn.execute(text("SELECT rowid FROM carried_answers"))
            indexes = {str(r[0]): str(r[1]) for r in conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                "tbl_name = 'screenings' AND sql IS NOT NULL"))}
        report = mary.maintenance.verify()
        # The services read the times as the text they always were.
        listed = mary.screenings.find().items[0]
    assert kinds == {"integer"}
    converted = _as_text(after)
    # Every row as it was, the times the same text; signing in appended audit entries.
    converted["audit_log"] = converted["audit_log"][:len(before["audit_log"])]
    assert converted == before
    assert report.ok, report
    assert report.audit_problems == []
    assert "ix_screenings_form" not in indexes
    assert "child_id, practitioner_id" in indexes["ix_screenings_child"]
    assert len(str(listed.updated_at)) >= 19


def test_0016_goes_back_to_0015_exactly(store: Vault) -> None:
    _demo(store)
    with store.login("mary") as mary, mary.engine.begin() as conn:
        migrate(conn, "0015")
        before = _tables(conn)
        migrate(conn, "head")
        migrate(conn, "0015")
        again = _tables(conn)
    assert again == before


def test_0016_on_both_backends(store_engine: Any) -> None:
    """Up and down on SQLite and PostgreSQL 15 with rows in every protected table: the
    values change form only, the triggers still refuse, the chain still verifies."""
    one_of_everything(store_engine)
    with store_engine.begin() as conn:
        migrate(conn, "0015")
        assert conn.execute(text("SELECT updated_at FROM screenings WHERE id = 1")
                            ).scalar() == _NOW
        assert audit.verify_chain(conn)[2] == []
        migrate(conn, "head")
        assert conn.execute(text("SELECT updated_at FROM screenings WHERE id = 1")
                            ).scalar() == _STAMP
        assert conn.execute(text("SELECT saved_at FROM answers WHERE screening_id = 2")
                            ).scalar() == _STAMP
        count, _, problems = audit.verify_chain(conn)
    assert (count, problems) == (2, [])
    with pytest.raises(exc.DBAPIError, match="a finalised screening cannot be edited"), \
            store_engine.begin() as conn:
        conn.execute(text("UPDATE answers SET value = '1' WHERE screening_id = 1"))
    with pytest.raises(exc.DBAPIError, match="append-only"), store_engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
