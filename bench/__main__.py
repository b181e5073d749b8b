"""Run every benchmark and write ``bench/report.md``.

    python -m bench            # 100,000 screenings (the targets' size)
    python -m bench --quick    # 2,000 screenings, for a fast look

Each ``bench/bench_<area>.py`` module exposes ``run(size, workdir) -> list[dict]`` with the keys
``name``, ``value``, ``unit``, ``target``, ``ok`` and ``note``. Generated data lives in
``bench/data/<size>/`` and is reused between runs. Timings are medians of several runs, taken
here on a shared, noisy machine; ratios measured in one run are the steadier figures.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
AREAS = ("scoring", "storage", "summary", "ui", "startup")


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} logical CPUs, "
            f"Python {platform.python_version()}")


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmark areas and write the report."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 screenings instead of 100,000")
    parser.add_argument("--size", type=int, help="number of screenings (overrides --quick)")
    parser.add_argument("--only", nargs="*", choices=AREAS, help="run only these areas")
    parser.add_argument("--report", type=Path, default=HERE / "report.md")
    args = parser.parse_args(argv)
    size = args.size or (2_000 if args.quick else 100_000)
    workdir = HERE / "data" / str(size)
    workdir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    for area in args.only or AREAS:
        try:
            module = importlib.import_module(f"bench.bench_{area}")
        except ModuleNotFoundError as error:
            if error.name == f"bench.bench_{area}":
                continue
            raise
        print(f"[bench] {area} (size {size:,})", flush=True)
        started = time.perf_counter()
        try:
            results = module.run(size, workdir)
        except Exception:  # a failing area is reported, the others still run
            failures.append(f"{area}: {traceback.format_exc(limit=3)}")
            print(failures[-1], file=sys.stderr)
            continue
        for r in results:
            r.setdefault("note", "")
            r["area"] = area
            rows.append(r)
            mark = "ok" if r["ok"] else "MISSED"
            print(f"  {r['name']}: {r['value']:.4g} {r['unit']} (target {r['target']}) {mark}")
        print(f"  ({time.perf_counter() - started:.1f} s)")
    _write_report(args.report, rows, failures, size)
    print(f"[bench] wrote {args.report}")
    return 1 if failures else 0


def _write_report(path: Path, rows: list[dict[str, Any]], failures: list[str], size: int) -> None:
    lines = [
        "# RiskScreen benchmark report",
        "",
        f"- Generated: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Dataset: {size:,} synthetic screenings (`python -m bench"
        f"{' --quick' if size == 2000 else ''}`)",
        f"- Machine: {_machine()}",
        "- Figures are medians of several runs unless the name says otherwise.",
        "",
        "| area | measure | median | target | met | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['area']} | {r['name']} | {r['value']:,.4g} {r['unit']} | "
                     f"{r['target']} | {'yes' if r['ok'] else '**no**'} | {r['note']} |")
    if failures:
        lines += ["", "## Failures", ""] + [f"```\n{f}\n```" for f in failures]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
