"""Revision 0018: an index of each child's finalised screenings of a form in date order, so
the calibration's first screenings are read from the index alone; an existing database gains
it at the next sign-in, and going back to 0017 drops it (both backends)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from riskscreen.services.demo import populate
from riskscreen.store.schema import current_revision, head_revision

from ..conftest import Vault
from .helpers import migrate

_FIRST = "ix_screenings_first"


def _indexes(conn: Any) -> set[str]:
    if conn.dialect.name == "sqlite":
        found = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
    else:
        found = conn.execute(text("SELECT indexname FROM pg_indexes "
                                  "WHERE tablename = 'screenings'"))
    return {str(n) for n in found.scalars()}


def test_0018_an_existing_database_gains_the_index_and_the_first_screenings_use_it(
        store: Vault) -> None:
    with store.login("mary") as mary:
        populate(mary, 20, seed=7)
        with mary.engine.begin() as conn:
            migrate(conn, "0017")
            assert _FIRST not in _indexes(conn)
        before = mary.evidence.cohort("cse-screening")
    with store.login("mary") as mary:  # signing in brings it up to the head again
        with mary.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert _FIRST in _indexes(conn)
            plan = " ".join(str(r[-1]) for r in conn.execute(text(
                "EXPLAIN QUERY PLAN SELECT id, child_id, form_version FROM screenings "
                "WHERE form_id = 'cse-screening' AND status = 'final' "
                "ORDER BY child_id, screening_date, id")))
            amended = " ".join(str(r[-1]) for r in conn.execute(text(
                "EXPLAIN QUERY PLAN SELECT amendment_of, status FROM screenings "
                "WHERE amendment_of IS NOT NULL")))
        after = mary.evidence.cohort("cse-screening")
        report = mary.maintenance.verify()
    assert f"COVERING INDEX {_FIRST}" in plan
    assert "ix_screenings_amendment" in amended
    assert (after.size, after.not_known, after.unreadable) \
        == (before.size, before.not_known, before.unreadable)
    assert report.ok, report


def test_0018_up_and_down_on_both_backends(store_engine: Any) -> None:
    with store_engine.begin() as conn:
        assert _FIRST in _indexes(conn)
        migrate(conn, "0017")
        assert _FIRST not in _indexes(conn)
        migrate(conn, "head")
        assert _FIRST in _indexes(conn)
