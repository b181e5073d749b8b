"""Storage benchmarks: autosave latency (encrypted and plain), list paging, bulk load, size.

``run(size, workdir)`` builds (once, then reuses) a demo database of ``size`` screenings in
``workdir`` and a plain-SQLite copy of it made with ``sqlcipher_export``, then runs the same
service code (:meth:`ScreeningManager.save_answer`) against both, so the ratio measures encryption
alone. Key derivation is set cheap here: it is paid once per sign-in, not per operation.

    python -m bench --only storage --size 10000
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.pool import QueuePool

from bench.bench_scoring import changed_model
from riskscreen.crypto.keys import KdfParams
from riskscreen.forms.loader import load_form
from riskscreen.scoring.model import ScoringModel
from riskscreen.services import ScreeningQuery, Session, Status, Unlocker
from riskscreen.services.demo import DEMO_ACCOUNTS, create_demo_database
from riskscreen.services.rows import user_info
from riskscreen.store.db import connect_raw
from riskscreen.store.models import Screening, User

# Cheap Argon2 settings for throw-away demo databases (below the minimum a real key file
# must meet, so they are allowed only with this variable set).
os.environ["RISKSCREEN_TEST_CHEAP_KDF"] = "1"
FAST = KdfParams(memory_cost=1024, iterations=1, lanes=1, salt=b"0" * 16)
SAVES_PER_ROUND = 100
ROUNDS = 3
QUESTIONS = ("child_views", "child_wishes", "practitioner_analysis", "actions_taken",
             "parent_carer_views", "online_grooming", "missing_overnight")


def _login(db: Path, name: str) -> Session:
    return Unlocker(db, auto_backups=False, sleep=lambda _: None).unlock(
        name, DEMO_ACCOUNTS[name][1])


def _build(size: int, workdir: Path) -> tuple[Path, Path]:
    enc = workdir / f"storage-{size}.db"
    plain = workdir / f"storage-{size}-plain.db"
    if not enc.exists():
        started = time.perf_counter()
        create_demo_database(enc, size, kdf=FAST, seed=1).close()
        print(f"  built the {size:,}-screening database in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    if not plain.exists():
        with _login(enc, "admin") as admin:
            key = admin.context.data_key
        conn = connect_raw(enc, key)
        try:
            conn.execute(f"ATTACH DATABASE '{plain}' AS plaintext KEY ''")
            conn.execute("SELECT sqlcipher_export('plaintext')")
            conn.execute("DETACH DATABASE plaintext")
        finally:
            conn.close()
    return enc, plain


def _plain_session(plain: Path, enc_session: Session) -> Session:
    """The same service code on an unencrypted copy with the same pragmas."""

    def creator() -> Any:
        conn = sqlite3.connect(str(plain), timeout=30, check_same_thread=False,
                               isolation_level=None)
        for pragma in ("temp_store = MEMORY", "foreign_keys = ON", "journal_mode = WAL",
                       "synchronous = FULL"):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    engine = create_engine("sqlite://", creator=creator, poolclass=QueuePool)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    with OrmSession(engine) as s:
        user = s.scalar(select(User).where(User.name == enc_session.user.name))
        assert user is not None
        info = user_info(user)
    return Session(engine, b"\0" * 32, plain, enc_session.key_path, info)


def storage_draft(in_force: ScoringModel) -> ScoringModel:
    """The draft the storage and server benchmarks analyse: one weight of the model in force
    raised by two."""
    return changed_model(in_force, "hotels_parties_unknown_addresses", 2)


def _draft_of(session: Session) -> int:
    with OrmSession(session.engine) as s:
        sid = s.scalar(select(Screening.id).where(
            Screening.practitioner_id == session.user.id, Screening.status == Status.DRAFT)
            .order_by(Screening.id.desc()).limit(1))
    if sid is None:
        child = session.children.create("Bench Child", "2012-02-02")
        sid = session.screenings.start(child.id)
    return sid


def _save_times(session: Session, sid: int) -> list[float]:
    form = load_form("cse-screening")
    index = form.question_index()
    values = {q: ("recent" if index[q].type.value == "time_window" else
                  "yes" if index[q].type.value == "indicator" else None) for q in QUESTIONS}
    times: list[float] = []
    for n in range(SAVES_PER_ROUND):
        qid = QUESTIONS[n % len(QUESTIONS)]
        value = values[qid] or f"Benchmark note {n}: " + "words of a note " * (n % 20)
        started = time.perf_counter()
        session.screenings.save_answer(sid, qid, value)
        times.append(time.perf_counter() - started)
    return times


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _row(name: str, value: float, unit: str, target: str, ok: bool,
         note: str = "", figure: str | None = None, scaled: bool = False) -> dict[str, Any]:
    row = {"name": name, "value": value, "unit": unit, "target": target, "ok": ok,
           "note": note}
    if figure is not None:
        row |= {"figure": figure, "scaled": scaled}
    return row


def fsync_floor(folder: Path, commits: int = 100) -> list[float]:
    """Seconds per bare one-row commit with ``synchronous=FULL`` (WAL, as the app) in
    ``folder``: the floor no answer save on this disk can beat."""
    path = folder / "fsync-floor.db"
    for leftover in folder.glob(path.name + "*"):
        leftover.unlink()
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        times = []
        for i in range(commits):
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (v) VALUES (?)", (f"value {i}",))
            conn.execute("COMMIT")
            times.append(time.perf_counter() - started)
        return times
    finally:
        conn.close()
        for leftover in folder.glob(path.name + "*"):
            leftover.unlink()


def _child_check(enc: Path) -> dict[str, Any]:
    """How long the check "is this child one of this practitioner's" takes (every episode,
    chronology and re-screen call makes it): over children they screened and children of
    others (refused), on the ORM session the services use."""
    from riskscreen.services.errors import PermissionDenied
    from riskscreen.services.followup_base import child_for

    with _login(enc, "pat") as pat, OrmSession(pat.engine) as s:
        mine = list(s.scalars(select(Screening.child_id).where(
            Screening.practitioner_id == pat.user.id).limit(25)))
        others = list(s.scalars(select(Screening.child_id).where(
            Screening.practitioner_id != pat.user.id).limit(25)))
        timings = []
        for child in mine + others:
            started = time.perf_counter()
            with contextlib.suppress(PermissionDenied):
                child_for(s, pat.user, child)
            timings.append(time.perf_counter() - started)
        practitioner_screenings = s.scalar(select(func.count()).select_from(Screening).where(
            Screening.practitioner_id == pat.user.id))
    value = statistics.median(timings) * 1000
    return _row("is this child the practitioner's (episodes, chronology, re-screens)", value,
                "ms", "< 5 ms", value < 5,
                f"median over {len(mine)} of their children and {len(others)} of others' "
                f"(refused); they made {practitioner_screenings:,} screenings")


def run(size: int, workdir: Path) -> list[dict[str, Any]]:
    """Measure with a database of ``size`` screenings kept in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    enc, plain = _build(size, workdir)
    rows: list[dict[str, Any]] = []

    pat = _login(enc, "pat")
    plain_pat = _plain_session(plain, pat)
    enc_sid, plain_sid = _draft_of(pat), _draft_of(plain_pat)
    enc_times: list[float] = []
    plain_times: list[float] = []
    floor_times: list[float] = []
    round_ratios: list[float] = []
    for _ in range(ROUNDS):  # interleaved, so machine noise hits all alike
        e = _save_times(pat, enc_sid)
        p = _save_times(plain_pat, plain_sid)
        floor_times += fsync_floor(workdir, SAVES_PER_ROUND)
        enc_times += e
        plain_times += p
        round_ratios.append(statistics.median(e) / statistics.median(p))
    plain_pat.close()
    pat.close()
    enc_median = statistics.median(enc_times) * 1000
    enc_p99 = _p99(enc_times) * 1000
    plain_median = statistics.median(plain_times) * 1000
    ratio = statistics.median(round_ratios)
    saves = f"{len(enc_times)} saves in {ROUNDS} rounds; fsync per commit (synchronous=FULL)"
    floor_median = statistics.median(floor_times) * 1000
    over_floor = enc_median / floor_median
    rows.append(_row("answer save, encrypted (median)", enc_median, "ms", "reported", True,
                     saves, "save_median_ms"))
    rows.append(_row("answer save, encrypted (p99)", enc_p99, "ms", "reported", True,
                     figure="save_p99_ms"))
    rows.append(_row("fsync floor: bare one-row commit, synchronous=FULL (median)",
                     floor_median, "ms", "reference", True,
                     f"{len(floor_times)} commits of one row to a plain SQLite file in WAL mode "
                     "beside the databases, interleaved with the saves",
                     "fsync_floor_median_ms"))
    rows.append(_row("answer save over the fsync floor", over_floor, "x", "<= 1.5x",
                     over_floor <= 1.5, "encrypted save median / fsync floor median",
                     "save_over_fsync_floor"))
    rows.append(_row("answer save, plain SQLite (median)", plain_median, "ms", "reference",
                     True, "same service code on a sqlcipher_export copy"))
    rows.append(_row("answer save, plain SQLite (p99)", _p99(plain_times) * 1000, "ms",
                     "reference", True))
    rows.append(_row("answer save, encrypted / plain", ratio, "x", "< 1.3x", ratio < 1.3,
                     "median of per-round ratios"))

    rows.append(_child_check(enc))
    with _login(enc, "manager") as manager:
        for label, query in (("newest 200", ScreeningQuery(limit=200)),
                             ("newest 200, drafts first",
                              ScreeningQuery(limit=200, drafts_first=True)),
                             ("level filter + name search",
                              ScreeningQuery(limit=200, level="high", search="son"))):
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                page = manager.screenings.find(query)
                timings.append(time.perf_counter() - started)
            value = statistics.median(timings) * 1000
            rows.append(_row(f"list {label}", value, "ms", "< 300 ms", value < 300,
                             f"{len(page.items)} rows of {page.total:,} (with the count)"))

        form = load_form("cse-screening")
        load_times = []
        count = 0
        for _ in range(3):
            started = time.perf_counter()
            stored = manager.finalised.columns(form)
            load_times.append(time.perf_counter() - started)
            count = stored.size
        load = statistics.median(load_times)
        rows.append(_row("decrypt + read every finalised screening's answers as columns", load,
                         "s", f"< {5 * size / 100_000:.3g} s", load < 5 * size / 100_000,
                         f"{count:,} screenings, every question (target scaled from 5 s for "
                         "100,000)"))

        from riskscreen.scoring.engine import compile_model

        # The model in force, and a draft changing one weight of it.
        service = manager.models
        _, in_force = service.in_force()
        changed = storage_draft(in_force)
        db_times = []
        for _ in range(3):
            started = time.perf_counter()
            db_report = service.impact(changed)
            db_times.append(time.perf_counter() - started)
        db_s = statistics.median(db_times)
        rows.append(_row("impact over 100,000 from the encrypted database (scaled)", db_s, "s",
                         "< 2 s per 100,000", db_s * 100_000 / size < 2,
                         f"median of 3 runs of the service's impact: decrypt, read the models' "
                         f"columns, batch-score both models, explain the "
                         f"{db_report.level_changed:,} that change level from their records; "
                         f"{db_report.total:,} finalised screenings of {size:,}",
                         "impact_100k_db_s", scaled=True))

        started = time.perf_counter()
        stored = manager.finalised.columns(form)
        compile_model(form, in_force).batch(stored.columns)
        rescore = time.perf_counter() - started
        rows.append(_row("decrypt + read + re-score all (impact path)", rescore, "s",
                         f"< {5 * size / 100_000:.3g} s", rescore < 5 * size / 100_000,
                         "every column read, level and points with the plan's batch executor"))

        with manager.engine.connect() as conn:
            answers = conn.execute(text("SELECT count(*) FROM answers")).scalar()
            audit = conn.execute(text("SELECT count(*) FROM audit_log")).scalar()
    # Every session is closed: the last one folded the write-ahead log into the file.
    size_mb = sum(p.stat().st_size for p in enc.parent.glob(enc.name + "*")
                  if p.suffix != ".json") / 1e6
    plain_mb = plain.stat().st_size / 1e6
    rows.append(_row("database size, encrypted", size_mb, "MB", "reported", True,
                     f"{size:,} screenings, {answers:,} answers, {audit:,} audit entries; "
                     f"plain copy {plain_mb:.1f} MB"))
    per_screening = size_mb * 1e6 / max(count, 1)
    rows.append(_row("bytes on disk per finalised screening", per_screening, "bytes",
                     "<= 4,096", per_screening <= 4096,
                     f"the encrypted database with indexes and audit log over its {count:,} "
                     f"finalised screenings (drafts included in the bytes)",
                     "bytes_per_screening"))
    with contextlib.suppress(OSError):
        os.sync()
    return rows


if __name__ == "__main__":  # pragma: no cover
    import sys

    for r in run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000,
                 Path(__file__).resolve().parent / "data" / "storage"):
        print(f"{r['name']}: {r['value']:.4g} {r['unit']} (target {r['target']}) "
              f"{'ok' if r['ok'] else 'MISSED'}  {r['note']}")
