"""``riskscreen episodes | due | chronology``: after the screening, from the command line.

- ``episodes add --child ID --missing-from WHEN [--returned WHEN]``: record a missing episode;
  ``episodes list --child ID [--json]``; ``episodes rhi EPISODE --status ...``: the Return
  Home Interview.
- ``due [--json]``: reviews and screenings due, overdue first.
- ``chronology --child ID -o OUT.pdf [--only KIND ...]``: the child's timeline as a PDF.

Times are local, written ``YYYY-MM-DDTHH:MM`` (or with a space). Every command signs in with
``--db``, ``--user`` and ``--passphrase-file`` like the others.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from riskscreen.cli.storage import _common, _passphrase, _run, _unlocker, _user
from riskscreen.dates import show_date, show_moment

__all__ = ["register"]



class _ChronologyKinds:
    """The values of ``ChronologyKind``, the choices of ``chronology --only``: read from the
    enum only when the command line is checked or its help shown, since importing the
    services for every command line would slow each one down by seconds."""

    def _values(self) -> list[str]:
        from riskscreen.services.types import ChronologyKind

        return [kind.value for kind in ChronologyKind]

    def __contains__(self, value: object) -> bool:
        return value in self._values()

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())


_KINDS = _ChronologyKinds()


def register(subparsers: Any) -> None:
    """Add the follow-up commands to the command line."""
    e = subparsers.add_parser(
        "episodes", help="record and list a child's missing episodes",
        description="Missing episodes: when the child was reported missing and returned, "
                    "where they were found, who reported them, and the Return Home "
                    "Interview offered within 72 hours of the return. Each episode puts a "
                    "screening due on the child (see 'riskscreen due').")
    sub = e.add_subparsers(title="episode commands", metavar="COMMAND", required=True)
    add = sub.add_parser("add", help="record a missing episode",
                         description="Record that a child was reported missing. Times are "
                                     "local: YYYY-MM-DDTHH:MM, for example 2026-03-01T21:30.")
    _common(add)
    add.add_argument("--child", type=int, required=True, metavar="CHILD_ID")
    add.add_argument("--missing-from", required=True, metavar="ISO_DATETIME",
                     help="when the child was reported missing")
    add.add_argument("--returned", metavar="ISO_DATETIME",
                     help="when the child returned or was found, if they have")
    add.add_argument("--where-found", default="", metavar="TEXT")
    add.add_argument("--reported-by", default="", metavar="TEXT",
                     help="who reported the child missing")
    add.set_defaults(func=_add, command_name="episodes add")
    ls = sub.add_parser("list", help="list a child's missing episodes",
                        description="A child's missing episodes, oldest first, with the Return "
                                    "Home Interview deadline or what happened about it.")
    _common(ls)
    ls.add_argument("--child", type=int, required=True, metavar="CHILD_ID")
    ls.add_argument("--json", action="store_true", help="print JSON instead of text")
    ls.set_defaults(func=_list, command_name="episodes list")
    ret = sub.add_parser("return", help="record when a missing child returned",
                         description="Record when (and where) a missing child returned or "
                                     "was found.")
    _common(ret)
    ret.add_argument("episode", type=int, metavar="EPISODE_ID")
    ret.add_argument("--returned", required=True, metavar="ISO_DATETIME")
    ret.add_argument("--where-found", metavar="TEXT")
    ret.set_defaults(func=_return, command_name="episodes return")
    rhi = sub.add_parser("rhi", help="record the Return Home Interview",
                         description="Record the Return Home Interview: done or declined, "
                                     "with when; or not done, with the reason.")
    _common(rhi)
    rhi.add_argument("episode", type=int, metavar="EPISODE_ID")
    rhi.add_argument("--status", required=True, choices=("done", "declined", "not_done"))
    rhi.add_argument("--at", metavar="ISO_DATETIME", help="when (done or declined)")
    rhi.add_argument("--reason", default="", metavar="TEXT", help="why not (not_done)")
    rhi.set_defaults(func=_rhi, command_name="episodes rhi")

    d = subparsers.add_parser(
        "due", help="reviews and screenings due, overdue first",
        description="Every child you work with whose next screening is due: the review of "
                    "the last screening, or a screening after a missing episode, whichever "
                    "is sooner; overdue first.")
    _common(d)
    d.add_argument("--json", action="store_true", help="print JSON instead of text")
    d.set_defaults(func=_due, command_name="due")

    c = subparsers.add_parser(
        "chronology", help="write a child's chronology as a PDF",
        description="One timeline of the child's screenings, levels and overrides, "
                    "referrals, missing episodes and Return Home Interviews, written as a "
                    "PDF with the protective marking and page numbers on every page "
                    "(recorded in the audit trail).")
    _common(c)
    c.add_argument("--child", type=int, required=True, metavar="CHILD_ID")
    c.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.pdf")
    c.add_argument("--only", nargs="+", choices=_KINDS, metavar="KIND",
                   help="show only these kinds of entry (%(choices)s)")
    c.set_defaults(func=_chronology, command_name="chronology")


def _session(args: argparse.Namespace) -> Any:

    return _unlocker(args).unlock(_user(args), _passphrase(args))


def _episode_json(e: Any) -> dict[str, Any]:
    def at(value: Any) -> str | None:
        return None if value is None else value.strftime("%Y-%m-%dT%H:%M")

    return {"id": e.id, "child": e.child_id, "missing_from": at(e.missing_from),
            "returned": at(e.returned_at), "where_found": e.where_found,
            "reported_by": e.reported_by, "rhi_deadline": at(e.rhi_deadline),
            "rhi": e.rhi_status.value if e.rhi_status else None, "rhi_at": at(e.rhi_at),
            "rhi_reason": e.rhi_note or None, "recorded_by": e.recorded_by}


def _episode_line(e: Any) -> str:
    back = f"returned {show_moment(e.returned_at)}" if e.returned_at else "not returned yet"
    line = f"{e.id}\tmissing from {show_moment(e.missing_from)}, {back}"
    if e.where_found:
        line += f", found: {e.where_found}"
    return f"{line}\n\tReturn Home Interview: {e.rhi_words()}"


def _add(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        with _session(args) as session:
            e = session.episodes.add(args.child, args.missing_from, args.returned,
                                     where_found=args.where_found,
                                     reported_by=args.reported_by)
        print(f"Recorded missing episode {e.id} of child {e.child_id}. A screening is now "
              "due (see 'riskscreen due').")
        if e.rhi_deadline is not None:
            print(f"Offer a Return Home Interview by {show_moment(e.rhi_deadline)}.")
        return 0

    return _run(run, args)


def _list(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        with _session(args) as session:
            episodes = session.episodes.for_child(args.child)
        if args.json:
            print(json.dumps([_episode_json(e) for e in episodes], indent=2,
                             ensure_ascii=False))
        elif not episodes:
            print(f"No missing episodes are recorded for child {args.child}.")
        else:
            for e in episodes:
                print(_episode_line(e))
        return 0

    return _run(run, args)


def _return(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        with _session(args) as session:
            e = session.episodes.record_return(args.episode, args.returned,
                                               where_found=args.where_found)
        print(f"Recorded the return of episode {e.id}. Offer a Return Home Interview by "
              f"{show_moment(e.rhi_deadline)}.")
        return 0

    return _run(run, args)


def _rhi(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        with _session(args) as session:
            e = session.episodes.record_rhi(args.episode, args.status, args.at, args.reason)
        print(f"Episode {e.id}: Return Home Interview {e.rhi_words().lower()}.")
        return 0

    return _run(run, args)


def _due(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        today = date.today()
        with _session(args) as session:
            items = session.reviews.due()
        if args.json:
            print(json.dumps([{"child": i.child_id, "name": i.child_name, "kind": i.kind.value,
                               "due": i.due.isoformat(), "overdue": i.overdue(today),
                               "reason": i.reason, "last_screening": i.last_screening_id,
                               "last_level": i.last_level} for i in items],
                             indent=2, ensure_ascii=False))
        elif not items:
            print("Nothing is due.")
        else:
            for i in items:
                print(f"{show_date(i.due)}\t{i.words(today)}\tchild {i.child_id} "
                      f"{i.child_name}\t{i.reason}")
        return 0

    return _run(run, args)


def _chronology(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from riskscreen.services.types import ChronologyKind

        kinds = {ChronologyKind(k) for k in args.only} if args.only else None
        with _session(args) as session:
            session.chronology.export_pdf(args.child, Path(args.output), kinds)
        print(f"Wrote the chronology of child {args.child} to {args.output}")
        return 0

    return _run(run, args)
