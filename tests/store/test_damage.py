"""Tampering, damage, a full disk, backup and restore: clear errors, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from riskscreen.services import (
    DatabaseDamaged,
    PermissionDenied,
    Session,
    StorageError,
    StorageFull,
    Unlocker,
    restore_backup,
)
from riskscreen.store.audit import head_path

from ..conftest import PASSPHRASES, Vault

PAGE = 4096


def _populate(pat: Session, n: int = 20) -> list[int]:
    ids = []
    for i in range(n):
        sid = pat.screenings.start(pat.children.create(f"Child {i}", "2010-01-02").id)
        pat.screenings.save_answer(sid, "child_views", f"views of child {i} " * 40)
        ids.append(sid)
    return ids


def _flip(path: Path, page: int, offset: int = 200) -> None:
    with open(path, "r+b") as handle:
        handle.seek(page * PAGE + offset)
        byte = handle.read(1)
        handle.seek(page * PAGE + offset)
        handle.write(bytes([byte[0] ^ 0xFF]))


def _use_everything(store: Vault) -> None:
    """Sign in, list, open every screening and verify: what a user would do."""
    with store.login("mary") as mary:
        for row in mary.screenings.find().items:
            mary.screenings.open(row.id)
        report = mary.maintenance.verify()
        if not report.ok:
            raise DatabaseDamaged("; ".join(report.integrity_problems[:1]))


def test_flipped_byte_in_any_page_is_a_clear_error(store: Vault) -> None:
    with store.login("pat") as pat:
        _populate(pat)
    pages = store.db.stat().st_size // PAGE
    assert pages > 10
    original = store.db.read_bytes()
    for page in (0, 1, pages // 2, pages - 1):
        store.db.write_bytes(original)
        _flip(store.db, page)
        with pytest.raises(StorageError) as info:
            _use_everything(store)
        assert isinstance(info.value, DatabaseDamaged | StorageError)
        assert "damaged" in str(info.value) or "key file" in str(info.value)
    store.db.write_bytes(original)
    # A copy put back by hand is behind the audit head recorded meanwhile, which verify
    # rightly reports (tests/store/test_audit_head.py); here only the pages matter.
    head_path(store.db).unlink()
    _use_everything(store)


def test_verify_reports_a_damaged_page(store: Vault) -> None:
    with store.login("pat") as pat:
        _populate(pat, 40)
    mary = store.login("mary")
    pages = store.db.stat().st_size // PAGE
    mary.close()
    _flip(store.db, pages - 2)
    problems = Unlocker(store.db).check_file("admin", PASSPHRASES["admin"])
    assert problems
    assert any("page" in p or "damaged" in p for p in problems)


def _tamper_audit(store: Vault, sql: str) -> None:
    with store.login("admin") as admin, admin.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_immutable_u"))
        conn.execute(text("DROP TRIGGER audit_log_immutable_d"))
        conn.execute(text(sql))


def test_audit_chain_detects_an_edited_entry(store: Vault) -> None:
    with store.login("pat") as pat:
        _populate(pat, 3)
    with store.login("mary") as mary:
        assert mary.maintenance.verify().audit_problems == []
    _tamper_audit(store, "UPDATE audit_log SET user='someone' WHERE seq=5")
    with store.login("mary") as mary:
        report = mary.maintenance.verify()
    assert not report.ok
    assert any("entry 5" in p and "changed" in p for p in report.audit_problems)


def test_audit_chain_detects_a_deleted_entry(store: Vault) -> None:
    with store.login("pat") as pat:
        _populate(pat, 3)
    _tamper_audit(store, "DELETE FROM audit_log WHERE seq=4")
    with store.login("mary") as mary:
        report = mary.maintenance.verify()
    assert any("missing" in p for p in report.audit_problems)


def test_rescoring_detects_an_altered_snapshot(store: Vault, edit_record: Any) -> None:
    from riskscreen.forms.loader import load_form
    from riskscreen.synthetic import generate_answer_sets

    form = load_form("cse-screening")
    with store.login("pat") as pat:
        for n, answer_set in enumerate(generate_answer_sets(form, 3, 5)):
            sid = pat.screenings.start(pat.children.create(f"C{n}").id)
            for qid, value in answer_set.answers.items():
                if qid != "child_name":
                    pat.screenings.save_answer(sid, qid, value)
            pat.screenings.finalise(sid)
    with store.login("mary") as mary:
        report = mary.maintenance.verify()
        assert report.ok
        assert report.rescored == 3
    with store.login("admin") as admin, admin.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER assessments_immutable_u"))
        edit_record(conn, 2, lambda snap: snap.update(score=999))
    with store.login("mary") as mary:
        report = mary.maintenance.verify()
    assert [d.split(":")[0] for d in report.rescore_differences] == ["screening 2"]


def test_full_disk_fails_the_save_cleanly_and_keeps_the_previous_state(store: Vault) -> None:
    pat = store.login("pat")
    sid = pat.screenings.start(pat.children.create("Full Disk").id)
    pat.screenings.save_answer(sid, "child_views", "saved before the disk filled")
    engine = pat.engine
    engine.dispose()
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    def limit(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")  # type: ignore[attr-defined]

    event.listen(engine, "connect", limit)
    engine.dispose()
    with pytest.raises(StorageFull) as info:
        pat.screenings.save_answer(sid, "child_views", "x" * 40_000)
    assert "NOT saved" in str(info.value)
    assert "xxxx" not in str(info.value)
    event.remove(engine, "connect", limit)
    engine.dispose()
    assert pat.screenings.open(sid).answers["child_views"].value == "saved before the disk filled"
    assert pat.maintenance.check_integrity() == []
    pat.screenings.save_answer(sid, "child_views", "x" * 40_000)  # space again: saves work again
    pat.close()


def test_backup_and_restore(store: Vault, tmp_path: Path) -> None:
    with store.login("pat") as pat:
        ids = _populate(pat, 5)
    dest = tmp_path / "backups" / "copy.db"
    with store.login("admin") as admin:
        admin.maintenance.backup(dest)
    assert dest.exists()
    assert Path(str(dest) + ".keys.json").exists()
    with store.login("pat") as pat:
        pat.screenings.save_answer(ids[0], "child_views", "changed after the backup")
        _populate(pat, 2)
    _flip(store.db, 3)
    with pytest.raises(PermissionDenied):
        restore_backup(store.db, dest, "pat", PASSPHRASES["pat"])
    aside = restore_backup(store.db, dest, "admin", PASSPHRASES["admin"])
    assert aside is not None
    assert aside.exists()
    with store.login("pat") as pat:
        assert pat.screenings.find().total == 5
        assert pat.screenings.open(ids[0]).answers["child_views"].value.startswith("views of")
        assert pat.maintenance.check_integrity() == []


def test_restore_refuses_a_damaged_backup_and_keeps_the_database(store: Vault,
                                                                 tmp_path: Path) -> None:
    with store.login("pat") as pat:
        _populate(pat, 5)
    dest = tmp_path / "copy.db"
    with store.login("admin") as admin:
        admin.maintenance.backup(dest)
    _flip(dest, 2)
    before = store.db.read_bytes()
    with pytest.raises(DatabaseDamaged):
        restore_backup(store.db, dest, "admin", PASSPHRASES["admin"])
    assert store.db.read_bytes() == before
    assert sorted(os.listdir(store.db.parent)) == sorted(
        p.name for p in store.db.parent.iterdir())


def test_automatic_backups_keep_seven(store: Vault) -> None:
    from datetime import UTC, datetime, timedelta

    from riskscreen.store.backup import auto_backup, list_backups

    with store.login("admin") as admin, admin.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        start = datetime(2026, 1, 1, tzinfo=UTC)
        key = admin.context.data_key
        for day in range(10):
            auto_backup(raw, key, store.db, today=start + timedelta(days=day))
        assert auto_backup(raw, key, store.db, today=start + timedelta(days=9)) is None
    names = [p.name for p in list_backups(store.db)]
    assert names == [f"auto-2026-01-{d:02d}.db" for d in range(10, 3, -1)]
    assert len(list(store.db.parent.glob("backups/*.keys.json"))) == 7
