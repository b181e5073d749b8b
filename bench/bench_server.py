"""Team-server benchmarks: answer save latency and impact analysis on PostgreSQL.

``run(size, workdir)`` starts a throwaway PostgreSQL server (durable: fsync on, as a real one)
in ``workdir``, makes a team database at the head of the migrations and copies into it every
row of the storage benchmark's demo database of ``size`` screenings (built once, reused), then
runs the same service code as the storage benchmark over a Unix socket: the autosave
(:meth:`Session.save_answer`) and the manager's impact analysis of a changed model.

    python -m bench.bench_server --size 100000
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session as OrmSession

from bench.bench_storage import FAST, _build, _draft_of, _login, _p99, _row, _save_times
from riskscreen.scoring.model import ScoringModel
from riskscreen.services.demo import DEMO_ACCOUNTS
from riskscreen.services.passphrases import ServerVerifiers
from riskscreen.services.server import ServerUnlocker
from riskscreen.store.backend import ServerLocation, parse_location, server_engine
from riskscreen.store.local_server import LocalServer
from riskscreen.store.models import Base
from riskscreen.store.schema import upgrade

ROUNDS = 3


def _copy(source_db: Path, location: ServerLocation) -> None:
    """Every row of the demo database into the empty server database (then verifiers for the
    demo accounts, which on a laptop are key-file slots)."""
    engine = server_engine(location)
    upgrade(engine)
    with _login(source_db, "admin") as admin, admin.engine.connect() as src, \
            engine.begin() as dst:
        for table in Base.metadata.sorted_tables:
            if table.name == "server_passphrases":
                continue
            rows = src.execute(select(table)).mappings()
            while chunk := rows.fetchmany(5000):
                # The migrations already stored the shipped forms: those rows are kept.
                dst.execute(insert(table).on_conflict_do_nothing(), [dict(r) for r in chunk])
        for name in ("id",):  # serial columns follow the copied ids
            for table in Base.metadata.sorted_tables:
                if name in table.c and table.c[name].autoincrement is True:
                    dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                     f"'id'), coalesce(max(id), 1)) FROM {table.name}"))
    verifiers = ServerVerifiers(engine, FAST)
    with OrmSession(engine) as s, s.begin():
        for account, (_, passphrase) in DEMO_ACCOUNTS.items():
            verifiers.set(s, account, passphrase)
    engine.dispose()


def run(size: int, workdir: Path) -> list[dict[str, Any]]:
    """Save latency and impact analysis on a team server holding ``size`` screenings."""
    enc, _ = _build(size, workdir)
    folder = Path(tempfile.mkdtemp(prefix="riskscreen-bench-pg-"))
    folder.chmod(0o711)  # as root the server runs as the postgres account
    rows: list[dict[str, Any]] = []
    server = LocalServer(folder / "server").start()
    try:
        server.psql("CREATE DATABASE bench")
        location = parse_location(server.socket_url("bench"))
        assert isinstance(location, ServerLocation)
        started = time.perf_counter()
        _copy(enc, location)
        print(f"  copied {size:,} screenings to PostgreSQL in "
              f"{time.perf_counter() - started:.0f} s", flush=True)

        def login(name: str) -> Any:
            return ServerUnlocker(location, sleep=lambda _: None,
                                  state_dir=folder / "state").unlock(name,
                                                                     DEMO_ACCOUNTS[name][1])

        with login("pat") as pat:
            sid = _draft_of(pat)
            times: list[float] = []
            for _ in range(ROUNDS):
                times += _save_times(pat, sid)
        median = statistics.median(times) * 1000
        rows.append(_row("answer save, PostgreSQL over a Unix socket (median)", median, "ms",
                         "reported", True, f"{len(times)} saves, fsync on, advisory lock and "
                         "audit append included"))
        rows.append(_row("answer save, PostgreSQL over a Unix socket (p99)",
                         _p99(times) * 1000, "ms", "reported", True))

        with login("manager") as manager:
            service = manager.models
            _, in_force = service.in_force()
            draft = json.loads(in_force.canonical_json())
            raised = draft["weights"]["hotels_parties_unknown_addresses"]
            raised["recent"] += 2
            raised["both"] = max(raised["both"], raised["recent"])
            major, minor, _ = (int(p) for p in in_force.version.split("."))
            draft["version"], draft["derived_from"] = f"{major}.{minor + 1}.0", in_force.version
            changed = ScoringModel.model_validate(draft)
            impact_times = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                report = service.impact(changed)
                impact_times.append(time.perf_counter() - started)
        impact = statistics.median(impact_times)
        rows.append(_row(f"impact over {size:,} screenings from PostgreSQL", impact, "s",
                         "< 2 s per 100,000", impact * 100_000 / size < 2,
                         f"median of {ROUNDS} runs; {report.total:,} finalised, "
                         f"{report.level_changed:,} change level"))
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run this module alone and print its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args(argv)
    workdir = Path(__file__).resolve().parent / "data" / str(args.size)
    workdir.mkdir(parents=True, exist_ok=True)
    for row in run(args.size, workdir):
        print(f"{row['name']}: {row['value']:.4g} {row['unit']} ({row['target']}) "
              f"{row['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
