"""Nothing readable at rest: every byte of the data folder is scanned for marker strings."""

from __future__ import annotations

from pathlib import Path

from riskscreen.services import Session

from ..conftest import Vault

MARKERS = ["ZQXMARKERNAME", "ZQXMARKERANSWER", "ZQXMARKEREVIDENCE", "ZQXMARKERCASE",
           "ZQXMARKERAMEND"]


def _write_marked_screenings(pat: Session) -> None:
    for i in range(3):
        child = pat.children.create(f"ZQXMARKERNAME Child {i}", "2010-01-02",
                                 {"case_number": f"ZQXMARKERCASE-{i}"})
        sid = pat.screenings.start(child.id)
        pat.screenings.save_answer(sid, "child_views", "ZQXMARKERANSWER " * 50)
        pat.screenings.save_answer(sid, "practitioner_analysis", "Analysis ZQXMARKERANSWER")
        pat.screenings.save_answer(sid, "online_grooming", "recent",
                                   {"basis": "observed", "details": "ZQXMARKEREVIDENCE seen"})
        # The old value is overwritten.
        pat.screenings.save_answer(sid, "online_grooming", "not_known")
        pat.screenings.save_answer(sid, "screening_reason_detail", "ZQXMARKERAMEND")
        pat.screenings.save_answer(sid, "screening_reason_detail", None)


def _scan(folder: Path) -> list[str]:
    found = []
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for marker in MARKERS:
            for encoded in (marker.encode(), marker.encode("utf-16-le"),
                            marker.lower().encode()):
                if encoded in data:
                    found.append(f"{path.name}: {marker}")
    return found


def test_no_marker_in_any_file_while_open_and_after_close(store: Vault, tmp_path: Path) -> None:
    pat = store.login("pat")
    _write_marked_screenings(pat)
    folder = store.db.parent
    wal = Path(str(store.db) + "-wal")
    assert wal.exists()
    assert wal.stat().st_size > 0
    assert _scan(folder) == []
    pat.close()
    admin = store.login("admin", auto_backups=True)  # today's automatic backup
    admin.maintenance.backup(folder / "manual" / "copy.db")
    admin.close()
    assert list((folder / "backups").glob("auto-*.db"))
    assert _scan(folder) == []


def test_the_scan_can_fail(tmp_path: Path) -> None:
    """The scanner itself finds a marker written in plain text."""
    (tmp_path / "plain.txt").write_text("x ZQXMARKERNAME y")
    assert _scan(tmp_path) == ["plain.txt: ZQXMARKERNAME"]
