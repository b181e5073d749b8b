"""``riskscreen calibration`` and ``riskscreen evidence``: how a scoring model's levels line up
with recorded outcomes, and the evidence statement of a model version.

Both sign in like the other database commands (``--db``, ``--user``, ``--passphrase-file``)
and need a manager's account.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from riskscreen.cli.storage import _common, _named, _passphrase, _unlocker, _UsageError, _user

__all__ = ["format_calibration", "register"]


def register(subparsers: Any) -> None:
    """Add ``calibration`` and ``evidence`` to the command line."""
    p = subparsers.add_parser(
        "calibration", help="how a scoring model's levels line up with recorded outcomes",
        description="Score each child's first finalised screening with a scoring model and "
                    "compare the levels with the answers to \"exploitation confirmed?\": "
                    "levels for confirmed and not-confirmed children, sensitivity and "
                    "specificity at each threshold, the AUC of the points with a bootstrap "
                    "95% interval, and how common each indicator is in each group. Counts "
                    "under 5 are not shown. Needs a manager's account.")
    _common(p)
    p.add_argument("--model", required=True, metavar="ID_OR_FILE",
                   help="a published model (ID for the version published last, ID@VERSION, "
                        "or the start of its hash), or a draft model YAML file scored over "
                        "the stored screenings")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=_named("calibration", _calibration))

    e = subparsers.add_parser(
        "evidence", help="write the evidence statement PDF of a scoring model version",
        description="Write the evidence statement of a published scoring model version, for "
                    "the safeguarding partnership: what changed from the version before and "
                    "why, its impact on the screenings already made, its calibration and "
                    "agreement figures with their limits, and who approved it and when. "
                    "Needs a manager's account.")
    _common(e)
    e.add_argument("--model", required=True, metavar="ID",
                   help="a published model: ID (the version published last), ID@VERSION, or "
                        "the start of its hash")
    e.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.pdf",
                   help="where to write the PDF (readable by you only)")
    e.set_defaults(func=_named("evidence", _evidence))


def _session(args: argparse.Namespace) -> Any:

    return _unlocker(args).unlock(_user(args), _passphrase(args))


def _model_file(ref: str) -> Path | None:
    """The draft file ``--model`` names, or None for a published model's id."""
    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise _UsageError(f"{ref}: no such model file (check the path, or give a "
                              "published model's ID@VERSION)")
        return path
    return None


def _calibration(args: argparse.Namespace) -> int:
    file = _model_file(args.model)
    text = None
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise _UsageError(f"{file}: not a text file; give a model YAML file") from None
    with _session(args) as session:
        if text is not None and file is not None:
            model = session.evidence.draft(text, str(file))
        else:
            model = session.evidence.published(args.model)[1]
        report = session.evidence.calibration(model, draft=file is not None)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_calibration(report))
    return 0


def _evidence(args: argparse.Namespace) -> int:
    from riskscreen.crypto.atomic import atomic_write
    from riskscreen.summary.evidence import evidence_pdf_bytes

    target: Path = args.output
    if target.is_dir():
        raise _UsageError(f"{target} is a folder; give the PDF's file name, e.g. "
                          f"{target / 'evidence.pdf'}")
    if not target.parent.is_dir():
        raise _UsageError(f"the folder {target.parent} does not exist; create it or choose "
                          "another place")
    with _session(args) as session:
        statement = session.evidence.statement(args.model)
    atomic_write(target, evidence_pdf_bytes(statement))
    print(f"Wrote the evidence statement to {target}")
    return 0


def _percent(value: float | None) -> str:
    return "not shown" if value is None else f"{value * 100:.1f}%"


def format_calibration(report: Any) -> str:
    """The calibration report as ``riskscreen calibration`` prints it."""
    r = report
    d = r.distribution
    kind = "draft" if r.draft else "published"
    lines = [f"Calibration of {r.model_id} {r.model_version} ({kind}, sha256 "
             f"{r.model_sha256[:12]}) against recorded outcomes",
             f"Children with an outcome: {r.outcomes} ({d.confirmed_total} exploitation "
             f"confirmed, {d.not_confirmed_total} not confirmed); {r.not_known} more have "
             "no known outcome yet."]
    for why, n in r.left_out.items():
        lines.append(f"Left out: {n} whose {why.removeprefix('their ')}.")
    if r.warning:
        lines += ["", f"WARNING: {r.warning}"]
    width = max(len(r.level_names[lv]) for lv in r.levels) + 2
    lines += ["", "Level at the first screening:",
              f"  {'':{width}}{'confirmed':>14}{'not confirmed':>16}"]
    for lv, yes, no in zip(r.levels, d.confirmed, d.not_confirmed, strict=True):
        lines.append(f"  {r.level_names[lv]:{width}}{yes!s:>14}{no!s:>16}")
    lines += ["", "At each threshold (a level at or above it counts as positive):"]
    for row in r.thresholds:
        sens, spec = r.rates_shown(row)
        lines.append(f"  {r.threshold_name(row)}: sensitivity {_percent(sens)}, "
                     f"specificity {_percent(spec)}")
    lines.append("")
    if r.auc is None:
        lines.append("AUC of the points: not shown (it needs at least 5 confirmed and 5 "
                     "not-confirmed children).")
    else:
        i = r.auc_interval
        interval = "" if i is None else (f" (95% bootstrap interval {i.low:.2f} to "
                                         f"{i.high:.2f}, {i.resamples} resamples)")
        lines.append(f"AUC of the points: {r.auc:.2f}{interval}; 0.5 is no better than "
                     "chance, 1 is perfect ordering.")
    lines += ["", "How common each indicator is (present at the first screening):"]
    for ind in r.indicators:
        share_yes = "" if ind.confirmed_share is None else f" ({ind.confirmed_share:.0%})"
        share_no = "" if ind.not_confirmed_share is None else (
            f" ({ind.not_confirmed_share:.0%})")
        lines.append(f"  {ind.label}")
        lines.append(f"      confirmed {ind.confirmed}{share_yes}; not confirmed "
                     f"{ind.not_confirmed}{share_no}")
    lines += ["", "What these figures mean:"]
    lines += [f"  - {words}" for words in r.meaning]
    return "\n".join(lines)
