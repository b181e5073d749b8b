"""``riskscreen agreement EXERCISE_ID [--json]``: how alike practitioners screened an
exercise's vignettes (managers).

Signs in like the other commands (``--db``, ``--user``, ``--passphrase-file``). ``--list``
lists the exercises instead. Practice screenings are made in the application (Practice).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from riskscreen.cli.storage import _common, _named, _passphrase, _unlocker, _UsageError, _user
from riskscreen.dates import iso

__all__ = ["register", "report_text"]


def register(subparsers: Any) -> None:
    """Add ``agreement`` to the command line."""
    p = subparsers.add_parser(
        "agreement", help="agreement between practitioners on an exercise's vignettes",
        description="Agreement on the level (Krippendorff's alpha, ordinal, with a 95% "
                    "bootstrap interval) and on each indicator, over the practice screenings "
                    "submitted for one agreement exercise, naming the indicators read most "
                    "differently (managers).")
    _common(p)
    p.add_argument("exercise", nargs="?", type=int, metavar="EXERCISE_ID",
                   help="the exercise's number (--list shows them)")
    p.add_argument("--list", action="store_true", help="list the exercises instead")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_named("agreement", _agreement))


def _agreement(args: argparse.Namespace) -> int:

    if args.exercise is None and not args.list:
        raise _UsageError("give the exercise's number (riskscreen agreement --list shows "
                          "them)")
    with _unlocker(args).unlock(_user(args),
                                                        _passphrase(args)) as session:
        if args.list:
            rows = session.agreement.exercises()
            if args.json:
                print(json.dumps([{"id": e.id, "title": e.title, "model": e.model_id,
                                   "model_version": e.model_version, "vignettes": e.vignettes,
                                   "practitioners": list(e.practitioners),
                                   "practice_screenings": e.submitted} for e in rows],
                                 indent=2, ensure_ascii=False))
            elif not rows:
                print("No agreement exercises yet; a manager makes one in the application "
                      "(Manage › Agreement exercises).")
            for e in [] if args.json else rows:
                print(f"{e.id:>4}  {e.title}  ({e.vignettes} vignettes, "
                      f"{len(e.practitioners)} practitioners, {e.submitted} practice "
                      "screenings submitted)")
            return 0
        report = session.agreement.report(args.exercise)
        if args.json:
            print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            print(report_text(report))
    return 0


def report_text(report: Any) -> str:
    """An agreement report as plain text, for the terminal."""
    e = report.exercise
    lines = [
        f"Agreement exercise {e.id}: {e.title}",
        f"Instrument {e.form_id} {e.form_version}, scored with {e.model_id} {e.model_version} "
        f"({e.model_sha256[:12]}); set by {e.created_by} on {iso(e.created_at.date())}.",
        f"{report.practitioners} practitioners, {report.vignettes} vignettes "
        f"({report.shared_vignettes} screened by two or more), {report.screenings} practice "
        "screenings submitted.",
        "",
    ]
    lines += [f"Warning: {w}" for w in report.warnings]
    if report.warnings:
        lines.append("")
    lines += [report.level_words(), "", "Levels given to each vignette:"]
    width = max([len(t) for t, _ in report.levels_by_vignette] + [8])
    for title, counts in report.levels_by_vignette:
        given = ", ".join(f"{name} {n}" for name, n in zip(report.level_names, counts,
                                                          strict=True))
        lines.append(f"  {title:<{width}}  {given}")
    lines += ["", "Agreement on each indicator (Krippendorff's alpha, nominal; lowest first):"]
    alike = [row for row in report.indicators if row.alpha is None]
    for row in report.indicators:
        if row.alpha is not None:
            lines.append(f"  {row.alpha:5.2f}  {row.text}")
    if alike:
        lines.append(f"  {len(alike)} other indicator{'s' if len(alike) != 1 else ''} had no "
                     "alpha: everyone gave the same answer, or too few answered (--json lists "
                     "them).")
    lines += ["", report.indicator_words()]
    return "\n".join(lines)
