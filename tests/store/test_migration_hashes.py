"""Revision 0017: the form and model hashes are kept as their 32 bytes and read back as the
same hex text; amendments get a partial index; going back to 0016 gives the text back
exactly (both backends), and the database still verifies."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import exc, text

from riskscreen.services.demo import add_referral_demo, populate
from riskscreen.services.types import Status
from riskscreen.store import audit
from riskscreen.store.schema import current_revision, head_revision

from ..conftest import Vault
from .helpers import migrate
from .test_backends import _NOW, _STAMP
from .test_backends import _rows as one_of_everything

#: The hash columns revision 0017 converts, by table.
HASHES = {
    "forms": ("sha256",),
    "scoring_models": ("sha256",),
    "screenings": ("model_sha256", "form_sha256"),
    "instruments": ("form_sha256",),
    "agreement_exercises": ("model_sha256",),
}
_SHA = "ab" * 32


def _hashes(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row's hash columns as stored, by table, in key order."""
    return {t: [tuple(r) for r in conn.execute(text(
                f"SELECT {', '.join(cs)} FROM {t} ORDER BY 1"))]
            for t, cs in HASHES.items()}


def test_0017_keeps_every_hash_and_the_database_verifies(store: Vault) -> None:
    with store.login("mary") as mary:
        populate(mary, 30, seed=5)
        add_referral_demo(mary, seed=5)
        final = next(s.id for s in mary.screenings.find().items if s.status == Status.FINAL)
        amendment = mary.screenings.amend(final, "The date of birth was recorded wrongly.")
        shown = mary.screenings.open(final).model_sha256
        with mary.engine.begin() as conn:
            migrate(conn, "0016")
            before = _hashes(conn)
    texts = [v for rows in before.values() for row in rows for v in row if v is not None]
    assert all(before[t] for t in ("screenings", "forms", "scoring_models"))
    assert all(isinstance(v, str) and len(v) == 64 for v in texts)
    with store.login("mary") as mary:  # signing in brings it up to the head again
        with mary.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            after = _hashes(conn)
            plan = " ".join(str(r[-1]) for r in conn.execute(text(
                "EXPLAIN QUERY PLAN SELECT id FROM screenings WHERE amendment_of = :id"),
                {"id": final}))
            count, _, problems = audit.verify_chain(conn)
        report = mary.maintenance.verify()
        opened = mary.screenings.open(final)
        amended = mary.screenings.open(amendment)
    # Each hash is now its 32 bytes; the services show the same hex text as before.
    assert after == {t: [tuple(None if v is None else bytes.fromhex(v) for v in row)
                         for row in rows] for t, rows in before.items()}
    assert opened.model_sha256 == shown
    assert opened.assessment is not None
    assert opened.assessment.model.sha256 == shown
    assert amended.row.amendment_of == final
    assert "ix_screenings_amendment" in plan
    assert report.ok, report
    assert (count > 0, problems) == (True, [])


def test_0017_goes_back_to_0016_exactly(store: Vault) -> None:
    with store.login("mary") as mary:
        populate(mary, 12, seed=6)
        with mary.engine.begin() as conn:
            migrate(conn, "0016")
            before = _hashes(conn)
            migrate(conn, "head")
            migrate(conn, "0016")
            again = _hashes(conn)
            indexes = {str(n) for n in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'index'")).scalars()}
    assert again == before
    assert "ix_screenings_amendment" not in indexes


def test_0017_on_both_backends(store_engine: Any) -> None:
    """Up and down on SQLite and PostgreSQL 15 with a real hash and a value that is not
    one: each hash becomes its bytes and back, the foreign keys still hold, the triggers
    still refuse, the chain still verifies."""
    one_of_everything(store_engine)  # its model's "hash" is the text 'm'
    with store_engine.begin() as conn:
        migrate(conn, "0016")
        conn.execute(text(
            "INSERT INTO scoring_models (sha256, model_id, version, canonical_json, "
            "published_by, published_at, change_note) VALUES (:sha, 'cse', '2.0.0', '{}', 1, "
            ":t, '')"), {"sha": _SHA, "t": _NOW})
        conn.execute(text(
            "INSERT INTO screenings (id, child_id, practitioner_id, form_id, form_version, "
            "model_id, model_version, model_sha256, screening_date, status, created_at, "
            "updated_at) VALUES (3, 1, 1, 'cse-screening', '1.0.0', 'cse', '2.0.0', :sha, "
            "'2026-03-01', 'draft', :t, :t)"), {"sha": _SHA, "t": _STAMP})
        before = _hashes(conn)
        migrate(conn, "head")
        stored = dict(conn.execute(text("SELECT id, model_sha256 FROM screenings")).all())
        migrate(conn, "0016")
        assert _hashes(conn) == before
        migrate(conn, "head")
        count, _, problems = audit.verify_chain(conn)
    assert bytes(stored[3]) == bytes.fromhex(_SHA)
    # Not a hash: kept as its text (as that text's bytes on PostgreSQL).
    assert stored[1] in ("m", b"m")
    assert (count, problems) == (2, [])
    from sqlalchemy.orm import Session

    from riskscreen.store.models import Screening

    with Session(store_engine) as s:
        assert s.get(Screening, 3).model_sha256 == _SHA  # type: ignore[union-attr]
        assert s.get(Screening, 1).model_sha256 == "m"  # type: ignore[union-attr]
    with pytest.raises(exc.IntegrityError), store_engine.begin() as conn:
        conn.execute(text("UPDATE screenings SET model_sha256 = :other WHERE id = 3"),
                      {"other": bytes.fromhex("cd" * 32)})
    with pytest.raises(exc.DBAPIError, match="published scoring models are immutable"), \
            store_engine.begin() as conn:
        conn.execute(text("DELETE FROM scoring_models"))
