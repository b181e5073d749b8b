"""Benchmark: start-up time to an interactive unlock window, and memory with a database open.

Targets: start to the unlock window in under 1 s; peak resident memory of the app with a
100,000-screening database open at most 300 MB (measured at the run's size too).

Every run is a fresh process running the real entry point (``riskscreen.cli.main.main`` with
``--db``, as the ``riskscreen`` command does). The parent times from starting the process to
the child's first event-loop turn with the window shown: the child makes the QApplication
itself (a subclass whose ``exec`` reports, and quits, once the loop is running) before handing
over to :func:`riskscreen.ui.app.run`, which takes that instance. The child also times its own
import of Qt (QtCore, QtGui, QtWidgets), reported as the Qt share of the start.

Memory: a child unlocks as the demo practitioner through the unlock screen's signal, waits for
the home list's first page, and reports its own peak resident set (``VmHWM``, read as it
exits; ``ru_maxrss`` from ``wait4`` where there is none). The database is the storage
benchmark's demo database (``workdir/storage-<size>.db``, built once with the same settings
if missing), copied first so the unlock's audit entries do not change the shared one. A run
smaller than 100,000 also measures the 100,000 figure when a full run has left that database
in ``bench/data/100000``.

    python -m bench --only startup --quick

Runs here use the ``offscreen`` Qt platform (no display on this machine); with a display,
set ``QT_QPA_PLATFORM`` to measure a real window. File caches are warm after the first run;
the first run's time is reported separately.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
START_RUNS = 7
START_TARGET_S = 1.0
MEMORY_TARGET_MB = 300.0
CHILD_TIMEOUT_S = 600
PRACTITIONER = "pat"  # a demo account (riskscreen.services.demo): public passphrase


# -- the child ------------------------------------------------------------------------------


def _child(mode: str, db: Path, passphrase: str) -> int:
    """Run the app in this process and print one JSON line with what it measured."""
    started = time.perf_counter()
    import PySide6.QtCore
    import PySide6.QtGui
    import PySide6.QtWidgets  # noqa: F401 - timing the import is the point

    qt_import = time.perf_counter() - started
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QAbstractItemView, QApplication

    from riskscreen.cli.main import main
    from riskscreen.ui import app as ui_app

    # What the entry point imports before the window (run() imports the rest itself, perhaps in
    # the background after the window is shown: that is part of the measured start too).
    app_import = time.perf_counter() - started - qt_import
    result: dict[str, Any] = {"qt_import_s": qt_import, "app_import_s": app_import,
                              "started_wall": time.time() - (time.perf_counter() - started)}

    def finish(**values: Any) -> None:
        result.update(values)
        print("BENCH " + json.dumps(result), flush=True)
        QApplication.quit()

    def on_loop_started() -> None:
        result["ready_wall"] = time.time()
        from riskscreen.ui.unlock import UnlockView

        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        views = [v for w in windows for v in w.findChildren(UnlockView)]
        unlock = next((v for v in views if v.isVisible()), None)
        result["unlock_visible"] = unlock is not None
        if mode == "start" or unlock is None:
            finish()
            return
        unlock_requested = time.perf_counter()
        unlock.unlock_requested.emit(PRACTITIONER, passphrase)
        deadline = time.monotonic() + CHILD_TIMEOUT_S - 30

        def poll() -> None:
            lists = [v for w in windows for v in w.findChildren(QAbstractItemView)
                     if v.isVisible() and v.model() is not None and v.model().rowCount() > 0]
            if lists:
                QApplication.processEvents()
                finish(home_s=time.perf_counter() - unlock_requested,
                       rows=lists[0].model().rowCount())
            elif time.monotonic() > deadline:
                finish(error="no list of screenings was shown in time")
            else:
                QTimer.singleShot(20, poll)

        poll()

    class BenchApplication(QApplication):
        """The application object ``run`` will find; reports once its loop is running."""

        def exec(self) -> int:  # type: ignore[override]
            QTimer.singleShot(0, on_loop_started)
            return super().exec()

    ui_app.configure_application()  # as run() does, before the QApplication exists
    app = BenchApplication([sys.argv[0]])
    code = main(["--db", str(db)])
    del app
    print(f"PEAK {_own_peak_kib()}", flush=True)
    return code


def _own_peak_kib() -> int:
    """This process's own peak resident memory in KiB (``VmHWM``), 0 where there is none.

    Not ``ru_maxrss``: on Linux a child's ``ru_maxrss`` starts from the resident size of the
    parent it was forked from, so after a bench parent that held 100,000 screenings' columns it
    reported the parent's size, not the app's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# -- the parent -----------------------------------------------------------------------------


def _child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_STATE_HOME=str(home / "state"),
               XDG_CACHE_HOME=str(home / "cache"))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    # An installed application has its bytecode compiled; let the runs from source cache it
    # too (this machine's environment turns that off), so they do not measure compiling.
    for name in ("RISKSCREEN_DB", "PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME"):
        env.pop(name, None)
    return env


def _spawn(mode: str, db: Path, home: Path) -> tuple[dict[str, Any], float, int]:
    """Run one child; return its report, the wall seconds to ready, and its peak RSS (KiB)."""
    from riskscreen.services.demo import DEMO_ACCOUNTS

    passphrase = DEMO_ACCOUNTS[PRACTITIONER][1]
    command = [sys.executable, "-m", "bench.bench_startup", "--child", mode, "--db", str(db),
               "--passphrase", passphrase]
    with tempfile.TemporaryDirectory(prefix="riskscreen-bench-child-") as logs:
        out_path, err_path = Path(logs) / "out", Path(logs) / "err"
        with out_path.open("w") as out, err_path.open("w") as err:
            spawned = time.time()
            process = subprocess.Popen(command, cwd=ROOT, env=_child_env(home),
                                       stdout=out, stderr=err, text=True)
            # wait4 rather than wait: it also gives the child's own peak resident memory.
            deadline = time.monotonic() + CHILD_TIMEOUT_S
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    process.kill()
                    os.wait4(process.pid, 0)
                    process.returncode = -9
                    raise RuntimeError(f"the {mode} child did not finish in "
                                       f"{CHILD_TIMEOUT_S} s")
                time.sleep(0.01)
            process.returncode = os.waitstatus_to_exitcode(status)
        out_text, err_text = out_path.read_text(), err_path.read_text()
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    maxrss_kib = usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1)
    peaks = [int(line.split()[1]) for line in out_text.splitlines() if line.startswith("PEAK ")]
    if peaks and peaks[-1] > 0:
        maxrss_kib = peaks[-1]
    lines = [line for line in out_text.splitlines() if line.startswith("BENCH ")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"the {mode} child failed (exit {process.returncode}): "
                           f"{(err_text or out_text).strip()[-800:]}")
    report: dict[str, Any] = json.loads(lines[-1].removeprefix("BENCH "))
    if "error" in report:
        raise RuntimeError(f"the {mode} child: {report['error']}")
    return report, report["ready_wall"] - spawned, maxrss_kib


def _database(size: int, workdir: Path) -> Path:
    """The storage benchmark's demo database of ``size`` screenings (built if missing)."""
    from bench.bench_storage import FAST
    from riskscreen.services.demo import create_demo_database

    shared = workdir / f"storage-{size}.db"
    if not shared.exists():
        started = time.perf_counter()
        create_demo_database(shared, size, kdf=FAST, seed=1).close()
        print(f"  built the {size:,}-screening database in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    return shared


def _copy_database(shared: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for source in shared.parent.glob(shared.name + "*"):
        if source.is_file() and not source.name.endswith(("-wal", "-shm")):
            shutil.copy2(source, folder / source.name)
    return folder / shared.name


#: The named memory figure's size, and where a run of that size keeps its database.
BIG_SIZE = 100_000
BIG_DATABASE = ROOT / "bench" / "data" / str(BIG_SIZE) / f"storage-{BIG_SIZE}.db"


def _memory(shared: Path, folder: Path) -> tuple[dict[str, Any], float]:
    """Peak resident MB of the app unlocked with the list shown, on a copy of ``shared``."""
    db = _copy_database(shared, folder / "db")
    report, _, maxrss_kib = _spawn("memory", db, folder / "home-memory")
    return report, maxrss_kib / 1024


def _memory_row(size: int, report: dict[str, Any], peak_mb: float) -> dict[str, Any]:
    return {
        "name": f"peak memory, {size:,}-screening database open", "value": peak_mb,
        # The named figure is for 100,000 screenings open; a smaller run is a row only.
        **({"figure": "peak_rss_100k_mb"} if size >= BIG_SIZE else {}),
        "unit": "MB", "target": f"<= {MEMORY_TARGET_MB:.0f} MB",
        "ok": peak_mb <= MEMORY_TARGET_MB,
        "note": (f"peak resident memory (VmHWM) of the app after unlocking and showing the "
                 f"list "
                 f"({report['rows']:,} rows in the model, {report['home_s']:.2f} s from "
                 f"unlock to list, which includes the day's first automatic backup of the "
                 f"whole database, made in the background after the unlock)")}


def run(size: int, workdir: Path) -> list[dict[str, Any]]:
    """Start-up time (median of fresh processes) and peak memory with ``size`` screenings.

    The named memory figure needs 100,000 screenings open: a smaller run measures it too
    when a 100,000-screening run has left its database (:data:`BIG_DATABASE`).
    """
    shared = _database(size, workdir)
    with tempfile.TemporaryDirectory(prefix="riskscreen-bench-startup-") as tmp:
        scratch = Path(tmp)
        db = _copy_database(shared, scratch / "db")
        times, visible = [], []
        parts: dict[str, list[float]] = {"interpreter": [], "qt": [], "imports": [],
                                         "window": []}
        for i in range(START_RUNS + 1):
            report, seconds, _ = _spawn("start", db, scratch / f"home-start-{i}")
            times.append(seconds)
            visible.append(bool(report.get("unlock_visible")))
            interpreter = report["started_wall"] - (report["ready_wall"] - seconds)
            parts["interpreter"].append(interpreter)
            parts["qt"].append(report["qt_import_s"])
            parts["imports"].append(report["app_import_s"])
            parts["window"].append(seconds - interpreter - report["qt_import_s"]
                                   - report["app_import_s"])
        first, median = times[0], statistics.median(times[1:])
        split = {k: statistics.median(v[1:]) for k, v in parts.items()}
        qt_median = split["qt"]
        memory = [_memory_row(size, *_memory(shared, scratch / "memory"))]
        if size < BIG_SIZE and BIG_DATABASE.exists():
            memory.append(_memory_row(BIG_SIZE, *_memory(BIG_DATABASE, scratch / "big")))
    platform = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    shown = "unlock window shown" if all(visible) else "unlock window NOT shown in every run"
    return [
        {"name": "start to interactive unlock window", "value": median, "unit": "s",
         "figure": "start_to_unlock_s",
         "target": f"< {START_TARGET_S} s", "ok": median < START_TARGET_S and all(visible),
         "note": (f"median of {START_RUNS} fresh processes (from source, {platform}); "
                  f"Qt import {qt_median:.2f} s of it ({qt_median / median:.0%}); "
                  f"Python start {split['interpreter']:.2f} s, the entry point's other "
                  f"imports {split['imports']:.2f} s, QApplication and window "
                  f"{split['window']:.2f} s; {shown}")},
        {"name": "start, first run (colder caches)", "value": first, "unit": "s",
         "target": "info", "ok": True, "note": f"Qt import {parts['qt'][0]:.2f} s"},
        *memory,
    ]


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", choices=("start", "memory"), required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--passphrase", default="")
    args = parser.parse_args(argv)
    return _child(args.child, args.db, args.passphrase)


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
