"""Team-server benchmarks: loading, answer save latency and impact analysis on PostgreSQL.

``run(size, workdir)`` starts a throwaway PostgreSQL server (durable: fsync on, as a real one)
in a temporary folder, makes a team database at the head of the migrations and loads into it
every row of the storage benchmark's demo database of ``size`` screenings (built once in
``workdir``, reused) with ``COPY``, through the schema the migrations made (its constraints
and triggers apply). It then runs the same service code as the storage benchmark over a Unix
socket: the autosave (:meth:`ScreeningManager.save_answer`) and the manager's impact analysis
of a changed model. Without PostgreSQL 15 or later installed the area says so and measures
nothing.

    python -m bench --only server --size 20000
    python -m bench.bench_server --size 100000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, Integer, Table, TypeDecorator, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session as OrmSession

from bench import Unavailable
from bench.bench_storage import (
    FAST,
    _build,
    _draft_of,
    _login,
    _p99,
    _row,
    _save_times,
    storage_draft,
)
from riskscreen.services.demo import DEMO_ACCOUNTS
from riskscreen.services.passphrases import ServerVerifiers
from riskscreen.services.server import ServerUnlocker
from riskscreen.store.backend import (
    ServerLocation,
    follow_written_ids,
    parse_location,
    server_engine,
)
from riskscreen.store.local_server import LocalServer, ServerNotInstalled
from riskscreen.store.models import Base
from riskscreen.store.schema import upgrade

ROUNDS = 3
_BATCH = 5000


def _copy_table(src: Connection, dst: Connection, table: Table) -> int:
    """Every row of ``table`` from ``src`` into ``dst``; how many were read.

    An empty target table is filled with ``COPY``; one the migrations already filled (the
    shipped forms, settings) keeps its rows and gets the others by ``INSERT``.
    """
    rows = src.execute(select(table))
    columns = [c.name for c in table.columns]
    count = 0
    if dst.execute(select(func.count()).select_from(table)).scalar_one():
        while chunk := rows.fetchmany(_BATCH):
            dst.execute(insert(table).on_conflict_do_nothing(),
                        [dict(zip(columns, r, strict=True)) for r in chunk])
            count += len(chunk)
        return count
    names = ", ".join(f'"{c}"' for c in columns)
    raw = dst.connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    # COPY takes the values as stored: a column type of our own (timestamps kept as
    # microseconds) turns what the select read back into that.
    stored = [c.type.bind_processor(dst.dialect) if isinstance(c.type, TypeDecorator) else None
              for c in table.columns]
    with raw.cursor() as cursor, cursor.copy(
            f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        while chunk := rows.fetchmany(_BATCH):
            for r in chunk:
                copy.write_row(tuple(v if f is None else f(v)
                                     for v, f in zip(r, stored, strict=True)))
            count += len(chunk)
    return count


def load(source_db: Path, location: ServerLocation) -> tuple[dict[str, int], float]:
    """Make the schema in the empty server database and load every row of the demo database
    ``source_db`` into it, in one transaction (then verifiers for the demo accounts, which on
    a laptop are key-file slots); rows read per table, and the seconds the migrations took."""
    engine = server_engine(location)
    counts: dict[str, int] = {}
    try:
        started = time.perf_counter()
        upgrade(engine)
        migrations = time.perf_counter() - started
        with _login(source_db, "admin") as admin, admin.engine.connect() as src, \
                engine.begin() as dst:
            for table in Base.metadata.sorted_tables:
                if table.name != "server_passphrases":
                    counts[table.name] = _copy_table(src, dst, table)
            # The ids were given: the next ordinary insert takes the one after the largest.
            follow_written_ids(dst, *(t.name for t in Base.metadata.sorted_tables
                                      if "id" in t.c and t.c.id.primary_key
                                      and isinstance(t.c.id.type, Integer)))
        verifiers = ServerVerifiers(engine, FAST)
        with OrmSession(engine) as s, s.begin():
            for account, (_, passphrase) in DEMO_ACCOUNTS.items():
                verifiers.set(s, account, passphrase)
        with engine.connect() as conn:
            for name in ("screenings", "answers", "audit_log"):
                table = Base.metadata.tables[name]
                stored = conn.execute(select(func.count()).select_from(table)).scalar_one()
                if stored < counts[name]:
                    raise RuntimeError(f"{name}: {stored} rows on the server, "
                                       f"{counts[name]} in the demo database")
    finally:
        engine.dispose()
    return counts, migrations


def run(size: int, workdir: Path) -> list[dict[str, Any]]:
    """Load, save latency and impact analysis on a team server holding ``size`` screenings."""
    folder = Path(tempfile.mkdtemp(prefix="riskscreen-bench-pg-"))
    folder.chmod(0o711)  # as root the server runs as the postgres account
    try:
        server = LocalServer(folder / "server")
    except ServerNotInstalled as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise Unavailable(str(error)) from None
    enc, _ = _build(size, workdir)
    rows: list[dict[str, Any]] = []
    server.start()
    try:
        server.psql("CREATE DATABASE bench")
        location = parse_location(server.socket_url("bench"))
        assert isinstance(location, ServerLocation)
        started = time.perf_counter()
        counts, migrations = load(enc, location)
        took = time.perf_counter() - started - migrations
        print(f"  loaded {size:,} screenings into PostgreSQL in {took:.1f} s (and "
              f"{migrations:.1f} s of migrations before)", flush=True)
        rows.append(_row("load 100,000 screenings into PostgreSQL with COPY (scaled)", took,
                         "s", "reported", True,
                         f"{sum(counts.values()):,} rows of {len(counts)} tables in one "
                         f"transaction ({counts['screenings']:,} screenings, "
                         f"{counts['answers']:,} draft answers, {counts['audit_log']:,} audit "
                         "entries) read from the encrypted demo database; the migrations "
                         f"that made the schema before took {migrations:.1f} s",
                         "server_load_100k_s", scaled=True))

        def login(name: str) -> Any:
            return ServerUnlocker(location, sleep=lambda _: None,
                                  state_dir=folder / "state").unlock(name,
                                                                     DEMO_ACCOUNTS[name][1])

        with login("pat") as pat:
            sid = _draft_of(pat)
            times: list[float] = []
            for _ in range(ROUNDS):
                times += _save_times(pat, sid)
        rows.append(_row("answer save, PostgreSQL over a Unix socket (median)",
                         statistics.median(times) * 1000, "ms", "reported", True,
                         f"{len(times)} saves, fsync on, advisory lock and audit append "
                         "included", "server_save_median_ms"))
        rows.append(_row("answer save, PostgreSQL over a Unix socket (p99)",
                         _p99(times) * 1000, "ms", "reported", True,
                         figure="server_save_p99_ms"))

        with login("manager") as manager:
            changed = storage_draft(manager.models.in_force()[1])
            impact_times = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                report = manager.models.impact(changed)
                impact_times.append(time.perf_counter() - started)
        impact = statistics.median(impact_times)
        rows.append(_row("impact over 100,000 from PostgreSQL (scaled)", impact, "s",
                         "reported", True,
                         f"median of {ROUNDS} runs of the service's impact; "
                         f"{report.total:,} finalised screenings of {size:,}, "
                         f"{report.level_changed:,} change level", "server_impact_100k_s",
                         scaled=True))
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run this module alone and print its rows."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args(argv)
    workdir = Path(__file__).resolve().parent / "data" / str(args.size)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        rows = run(args.size, workdir)
    except Unavailable as error:
        print(f"server: not run: {error}")
        return 0
    for row in rows:
        print(f"{row['name']}: {row['value']:.4g} {row['unit']} ({row['target']}) "
              f"{row['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
