"""Revision 0014 on a working database at revision 0013: the audit log keeps each hash once, as
bytes, and every entry written before it still verifies, as does the head recorded beside it."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from riskscreen.services.demo import populate
from riskscreen.store.audit import read_head
from riskscreen.store.models import stamp_text
from riskscreen.store.schema import _config, current_revision, head_revision

from ..conftest import Vault


def _audit(conn: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(text("SELECT * FROM audit_log ORDER BY seq"))]


def _at_0013(store: Vault) -> list[tuple[Any, ...]]:
    """Demo screenings and referrals written through the services, then the database taken
    back to revision 0013 by Alembic: its audit rows as that revision stores them."""
    with store.login("mary") as mary:
        populate(mary, 25, seed=5)
    with store.login("mary") as mary, mary.engine.begin() as conn:
        config = _config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0013")
        assert current_revision(conn) == "0013"
        rows = _audit(conn)
    return rows


def test_0014_keeps_every_entry_and_its_chain_verifies(store: Vault) -> None:
    before = _at_0013(store)
    assert len(before) > 50
    # Revision 0013 named each entry's previous hash, as hex, beside its own.
    assert all(r[6] == p[7] for p, r in itertools.pairwise(before))
    recorded = read_head(store.db)
    assert recorded is not None
    with store.login("mary") as mary:
        with mary.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            columns = [r[1] for r in conn.execute(text("PRAGMA table_info(audit_log)"))]
            # Revision 0016 keeps the times as microseconds; they read back as the same text.
            after = [(r[0], stamp_text(r[1]), *r[2:]) for r in _audit(conn)]
        report = mary.maintenance.verify(rescore=False)
    assert columns == ["seq", "at", "user", "action", "object", "detail", "hash"]
    # Every entry is kept with the same fields, its hash now the 32 bytes of the same digest.
    assert after[:len(before)] == [(*r[:6], bytes.fromhex(r[7])) for r in before]
    assert all(len(r[6]) == 32 for r in after)
    # The whole chain verifies (the entries from before and the sign-ins after the upgrade),
    # and the head recorded before the upgrade still matches its entry.
    assert report.audit_problems == []
    assert report.ok, report


def test_after_0014_a_changed_or_removed_entry_is_still_found(store: Vault) -> None:
    _at_0013(store)
    with store.login("admin") as admin, admin.engine.begin() as conn:
        # The append-only triggers came back with the rebuilt table.
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("UPDATE audit_log SET detail = '{}' WHERE seq = 5"))
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("DELETE FROM audit_log WHERE seq = 5"))
        # Someone holding the data key drops them and edits one entry, removes another.
        conn.execute(text("DROP TRIGGER audit_log_immutable_u"))
        conn.execute(text("DROP TRIGGER audit_log_immutable_d"))
        conn.execute(text("UPDATE audit_log SET detail = '{\"level\":\"low\"}' WHERE seq = 5"))
        conn.execute(text("DELETE FROM audit_log WHERE seq = 20"))
    with store.login("mary") as mary:
        problems = mary.maintenance.verify(rescore=False).audit_problems
    assert any(p.startswith("audit entry 5:") and "changed" in p for p in problems), problems
    assert any("entries 20 to 20 are missing" in p for p in problems), problems
    assert any(p.startswith("audit entry 21:") for p in problems), problems


def test_0014_goes_back_to_0013_exactly(store: Vault) -> None:
    before = _at_0013(store)
    with store.login("mary") as mary, mary.engine.begin() as conn:
        config = _config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0013")
        again = _audit(conn)
    # The downgrade names the previous hash again, as hex, for every entry.
    assert again[:len(before)] == before
    assert all(r[6] == p[7] for p, r in itertools.pairwise(again))
    assert again[0][6] == "0" * 64
