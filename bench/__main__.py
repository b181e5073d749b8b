"""Run every benchmark and write ``bench/report.md`` and ``bench/report.json``.

    python -m bench            # 100,000 screenings (the targets' size)
    python -m bench --quick    # 2,000 screenings, for a fast look

Each ``bench/bench_<area>.py`` module exposes ``run(size, workdir) -> list[dict]`` with the keys
``name``, ``value``, ``unit``, ``target``, ``ok`` and ``note``; a row that measures one of the
named figures of :data:`FIGURES` also has ``figure`` (its name) and ``scaled`` (a time for the
whole dataset, scaled to 100,000 screenings in the JSON when ``--size`` differs). Generated data
lives in ``bench/data/<size>/`` and is reused between runs. An area that cannot run on this
machine (the server area without PostgreSQL installed) raises :class:`bench.Unavailable`, and
the report says why in one line. Timings are medians of several runs, taken here on a shared,
noisy machine; ratios measured in one run are the steadier figures.

``report.json`` is ``{"size": N, "machine": "...", "figures": {NAME: {"median": number or
null, "unit": "...", "target": number or null, "met": true/false}}}``; a figure nothing
measured yet has median null and met false, and the Markdown report says so.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import Unavailable

HERE = Path(__file__).resolve().parent
AREAS = ("scoring", "storage", "summary", "ui", "startup", "server")

#: The named figures of report.json: unit, target (None: reported only) and whether the
#: target is a floor (">=") or a ceiling ("<", "<=").
FIGURES: dict[str, tuple[str, float | None, str]] = {
    "score_explain_per_s": ("screenings/s", 20_000, ">="),
    "score_batch_per_s": ("screenings/s", 1_000_000, ">="),
    "impact_100k_memory_s": ("s", 0.3, "<"),
    "impact_100k_db_s": ("s", 2.0, "<"),
    "gui_impact_100k_s": ("s", 3.0, "<"),
    "gui_live_impact_update_s": ("s", 0.5, "<"),
    "gui_live_impact_first_edit_s": ("s", 0.5, "<"),
    "event_loop_max_block_ms": ("ms", 100, "<"),
    "save_median_ms": ("ms", None, "<"),
    "save_p99_ms": ("ms", None, "<"),
    "fsync_floor_median_ms": ("ms", None, "<"),
    "save_over_fsync_floor": ("x", 1.5, "<="),
    "bytes_per_screening": ("bytes", 4096, "<="),
    "peak_rss_100k_mb": ("MB", 300, "<="),
    "start_to_unlock_s": ("s", 1.0, "<"),
    "summary_pdf_ms": ("ms", 150, "<"),
    "server_load_100k_s": ("s", None, "<"),
    "server_save_median_ms": ("ms", None, "<"),
    "server_save_p99_ms": ("ms", None, "<"),
    "server_impact_100k_s": ("s", None, "<"),
}
#: Why a figure may be missing: what would measure it.
NOT_MEASURED: dict[str, str] = {
    "peak_rss_100k_mb": "measured with a 100,000-screening database: a `--size 100000` run, or "
                        "any run once one has left `bench/data/100000/storage-100000.db`; "
                        "the startup area's memory row gives this run's size",
    **dict.fromkeys(("server_load_100k_s", "server_save_median_ms", "server_save_p99_ms",
                     "server_impact_100k_s"),
                    "the server area measures it on a throwaway PostgreSQL server (needs "
                    "PostgreSQL 15 or later installed)"),
}


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
    not_run: list[str] = []
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
        except Unavailable as error:  # said in one line; not a failure of the code measured
            not_run.append(f"{area}: {error}")
            print(f"  not run: {error}", flush=True)
            continue
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
    figures = _figures(rows, size)
    _write_report(args.report, rows, failures, size, figures, not_run)
    json_path = args.report.with_suffix(".json")
    json_path.write_text(json.dumps({"size": size, "machine": _machine(), "figures": figures},
                                    indent=2) + "\n", encoding="utf-8")
    print(f"[bench] wrote {args.report} and {json_path}")
    return 1 if failures else 0


def _figures(rows: list[dict[str, Any]], size: int) -> dict[str, dict[str, Any]]:
    """The named figures from the rows, scaled to 100,000 screenings where they say so."""
    figures: dict[str, dict[str, Any]] = {}
    for name, (unit, target, sense) in FIGURES.items():
        row = next((r for r in rows if r.get("figure") == name), None)
        if row is None or row["value"] is None:
            figures[name] = {"median": None, "unit": unit, "target": target, "met": False}
            continue
        value = float(row["value"])
        if row.get("scaled") and size != 100_000:
            value *= 100_000 / size
        if target is None:
            met = True
        elif sense == ">=":
            met = value >= target
        elif sense == "<=":
            met = value <= target
        else:
            met = value < target
        figures[name] = {"median": round(value, 6), "unit": unit, "target": target,
                         "met": met}
    return figures


def _write_report(path: Path, rows: list[dict[str, Any]], failures: list[str], size: int,
                  figures: dict[str, dict[str, Any]], not_run: list[str]) -> None:
    lines = [
        "# RiskScreen benchmark report",
        "",
        f"- Generated: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Dataset: {size:,} synthetic screenings (`python -m bench"
        f"{' --quick' if size == 2000 else f' --size {size}' if size != 100_000 else ''}`)",
        f"- Machine: {_machine()}",
        "- Figures are medians of several runs unless the name says otherwise.",
        "",
        "| area | measure | median | target | met | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        value, note = r["value"], r["note"]
        if r.get("scaled") and size != 100_000:  # as the JSON has it, per 100,000
            value = float(value) * 100_000 / size
            note = (f"{note}; " if note else "") + (
                f"measured {r['value']:,.4g} {r['unit']} on {size:,}, scaled to 100,000")
        lines.append(f"| {r['area']} | {r['name']} | {value:,.4g} {r['unit']} | "
                     f"{r['target']} | {'yes' if r['ok'] else '**no**'} | {note} |")
    lines += ["", "## Named figures (report.json)", "",
              f"Figures named \"100k\" are scaled to 100,000 screenings"
              f"{' from this run of ' + format(size, ',') if size != 100_000 else ''}.", "",
              "| figure | median | unit | target | met |", "|---|---|---|---|---|"]
    for name, f in figures.items():
        median = "not measured" if f["median"] is None else f"{f['median']:,.4g}"
        target = "—" if f["target"] is None else f"{f['target']:,}"
        lines.append(f"| `{name}` | {median} | {f['unit']} | {target} | "
                     f"{'yes' if f['met'] else '**no**'} |")
    if not_run:
        lines += ["", "Areas not run on this machine:"] + [f"- {line}" for line in not_run]
    missing = [name for name, f in figures.items() if f["median"] is None]
    if missing:
        lines += ["", "Not measured in this run:"]
        lines += [f"- `{name}`: {NOT_MEASURED.get(name, 'its benchmark did not run')}"
                  for name in missing]
    if failures:
        lines += ["", "## Failures", ""] + [f"```\n{f}\n```" for f in failures]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
