"""Deleting the newest audit entries is caught by the head recorded outside the database."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from riskscreen.dates import moment, show_date
from riskscreen.services import restore_backup
from riskscreen.store.audit import head_path, read_head

from ..conftest import PASSPHRASES, Vault


def _delete_newest(db_login: Vault, count: int) -> None:
    """What someone holding the data key could do: drop the trigger, delete, put it back."""
    with db_login.login("admin") as admin, admin.engine.begin() as conn:
        sql = conn.execute(text("SELECT sql FROM sqlite_master "
                                "WHERE name='audit_log_immutable_d'")).scalar_one()
        last = conn.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
        conn.execute(text("DROP TRIGGER audit_log_immutable_d"))
        conn.execute(text("DELETE FROM audit_log WHERE seq > :s"), {"s": last - count})
        conn.execute(text(sql))


def _audit_problems(store: Vault) -> list[str]:
    with store.login("mary") as mary:
        return mary.maintenance.verify(rescore=False).audit_problems


def test_closing_records_the_head_and_verify_finds_deleted_newest_entries(
        store: Vault) -> None:
    with store.login("pat") as pat:
        pat.children.create("Head Child")
    recorded = read_head(store.db)
    assert recorded is not None
    assert recorded.seq > 0
    assert "Head Child" not in head_path(store.db).read_text()
    assert _audit_problems(store) == []
    # The chain alone cannot see the newest entries go; the recorded head can.
    _delete_newest(store, 3)
    problems = _audit_problems(store)
    assert len(problems) == 1
    assert "newest entries were deleted" in problems[0]
    assert f"recorded on {show_date(moment(recorded.recorded_at))}:" in problems[0]
    # Later sessions, verifies and new entries (reusing the deleted numbers) do not paper
    # over it.
    store.login("pat").close()
    assert "newest entries were deleted" in _audit_problems(store)[0]
    with store.login("pat") as pat:
        for i in range(5):
            pat.children.create(f"Later Child {i}")
    assert "newest entries were deleted" in _audit_problems(store)[0]


def test_a_rewritten_head_entry_is_reported(store: Vault) -> None:
    store.login("pat").close()
    recorded = read_head(store.db)
    assert recorded is not None
    with store.login("admin") as admin, admin.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_immutable_u"))
        conn.execute(text("UPDATE audit_log SET hash = :h WHERE seq = :s"),
                     {"h": "f" * 64, "s": recorded.seq})
    assert any("rewritten" in p for p in _audit_problems(store))


def test_a_damaged_record_is_reported_and_then_replaced(store: Vault) -> None:
    store.login("pat").close()
    path = head_path(store.db)
    data = json.loads(path.read_text())
    data["seq"] = 1
    path.write_text(json.dumps(data))
    problems = _audit_problems(store)  # verify reports it, and its own close rewrites it
    assert any("damaged" in p for p in problems)
    assert _audit_problems(store) == []


def test_backup_records_the_head_and_restore_starts_afresh(store: Vault,
                                                           tmp_path: Path) -> None:
    with store.login("admin") as admin:
        copy = admin.maintenance.backup(tmp_path / "copy.db")
        after_backup = read_head(store.db)
        assert after_backup is not None
        with admin.engine.connect() as conn:
            assert after_backup.seq == conn.execute(
                text("SELECT max(seq) FROM audit_log")).scalar_one()
    with store.login("pat") as pat:
        for i in range(3):
            pat.children.create(f"After Backup {i}")
    restore_backup(store.db, copy, "admin", PASSPHRASES["admin"])
    # The restored log is behind what was recorded, legitimately: no problem reported.
    assert _audit_problems(store) == []
