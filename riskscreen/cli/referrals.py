"""``riskscreen referrals list`` and ``riskscreen referral show | sent | received | accepted |
declined | not-referred | outcome | confirm | close | record``: referral records.

Every command signs in like the others (``--db``, ``--user``, ``--passphrase-file``) and acts
with that account's role: a practitioner on the referrals of their own screenings, a manager
on all. ``--json`` prints the records as JSON for scripts (dates as ISO 8601).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

from riskscreen.cli.storage import _common, _passphrase, _unlocker, _UsageError, _user
from riskscreen.cli.storage import _named as _command
from riskscreen.dates import show_date, show_moment

__all__ = ["register"]

_CONFIRMED = {"yes": "confirmed", "no": "not_confirmed", "unknown": "not_known"}
_HOW = {"printed": "printed", "secure-email": "secure_email",
        "exchange-package": "exchange_package"}


def _on(p: argparse.ArgumentParser) -> None:
    p.add_argument("--on", metavar="WHEN", type=_when,
                   help="when it happened: YYYY-MM-DD or YYYY-MM-DDTHH:MM (default: now)")


def _when(text: str) -> date | datetime:
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None


def _id(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", type=int, metavar="ID", help="the referral's number")


def register(subparsers: Any) -> None:
    """Add ``referrals`` and ``referral`` to the command line."""
    many = subparsers.add_parser(
        "referrals", help="list referral records",
        description="List the referrals you may see (a practitioner: those of their own "
                    "screenings; a manager: all), newest first.")
    many_sub = many.add_subparsers(title="commands", metavar="COMMAND", required=True)
    listing = many_sub.add_parser("list", help="list referrals, newest first")
    _common(listing)
    listing.add_argument("--overdue", action="store_true",
                         help="only referrals with a step past the route's deadline")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_command("referrals list", _list))

    one = subparsers.add_parser(
        "referral", help="show a referral or record its next step",
        description="Show one referral, or record what happened next: sent (how), received, "
                    "accepted, declined (why), an outcome, an answer to \"exploitation "
                    "confirmed?\", closed.")
    sub = one.add_subparsers(title="commands", metavar="COMMAND", required=True)

    show = sub.add_parser("show", help="a referral with its history")
    _common(show)
    _id(show)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=_command("referral show", _show))

    sent = sub.add_parser("sent", help="record that the referral was sent, and how")
    _common(sent)
    _id(sent)
    sent.add_argument("--how", required=True, choices=sorted(_HOW),
                      help="how it was sent")
    _on(sent)
    sent.set_defaults(func=_command("referral sent", _sent))

    for name, words in (("received", "the receiving team has it"),
                        ("accepted", "the receiving team accepted it")):
        step = sub.add_parser(name, help=f"record that {words}")
        _common(step)
        _id(step)
        _on(step)
        step.set_defaults(func=_command(f"referral {name}", _simple(name)))

    declined = sub.add_parser("declined", help="record that the team declined it, and why")
    _common(declined)
    _id(declined)
    declined.add_argument("--reason", required=True, help="the reason the team gave")
    _on(declined)
    declined.set_defaults(func=_command("referral declined", _declined))

    not_referred = sub.add_parser(
        "not-referred", help="record a decision not to send it, and why",
        description="Record a decision not to send a referral that is still to send, with "
                    "the reason (for example: already open to the CSE team).")
    _common(not_referred)
    _id(not_referred)
    not_referred.add_argument("--reason", required=True, help="why it is not being referred")
    _on(not_referred)
    not_referred.set_defaults(func=_command("referral not-referred", _not_referred))

    outcome = sub.add_parser(
        "outcome", help="record an outcome (and the answer to \"exploitation confirmed?\")",
        description="Record an outcome from resources/outcomes.yaml; with --confirmed and "
                    "--source, also the answer to \"exploitation confirmed?\".")
    _common(outcome)
    _id(outcome)
    outcome.add_argument("--outcome", required=True, metavar="OUTCOME_ID",
                         help="an outcome id (riskscreen referral outcomes lists them)")
    outcome.add_argument("--detail", help="the partner, reason or other detail the outcome "
                                          "asks for")
    outcome.add_argument("--confirmed", choices=sorted(_CONFIRMED),
                         help="exploitation confirmed? yes, no, or unknown (not known yet)")
    outcome.add_argument("--source", metavar="SOURCE_ID",
                         help="where the answer came from (with --confirmed)")
    outcome.add_argument("--close", action="store_true", help="then close the referral")
    _on(outcome)
    outcome.set_defaults(func=_command("referral outcome", _outcome))

    confirm = sub.add_parser("confirm", help="answer \"exploitation confirmed?\" with its source")
    _common(confirm)
    _id(confirm)
    confirm.add_argument("--confirmed", required=True, choices=sorted(_CONFIRMED))
    confirm.add_argument("--source", required=True, metavar="SOURCE_ID")
    _on(confirm)
    confirm.set_defaults(func=_command("referral confirm", _confirm))

    close = sub.add_parser("close", help="close an accepted or declined referral")
    _common(close)
    _id(close)
    _on(close)
    close.set_defaults(func=_command("referral close", _simple("close")))

    record = sub.add_parser(
        "record", help="make the referral of a screening finalised before referrals were "
                       "recorded")
    _common(record)
    record.add_argument("--screening", required=True, type=int, metavar="ID")
    record.set_defaults(func=_command("referral record", _record))

    vocabulary = sub.add_parser("outcomes", help="list the outcome and source ids")
    vocabulary.set_defaults(func=_command("referral outcomes", _vocabulary))


# -- plumbing ---------------------------------------------------------------------------------


def _session(args: argparse.Namespace) -> Any:

    return _unlocker(args).unlock(_user(args), _passphrase(args))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _json(referral: Any, today: date) -> dict[str, Any]:
    data: dict[str, Any] = _plain(dataclasses.asdict(referral))
    data["overdue"] = referral.overdue(today)
    return data


def _day(moment: datetime | None) -> str:
    return show_moment(moment) if moment is not None else ""


def _describe(referral: Any, today: date) -> str:
    lines = [f"Referral {referral.id} (screening {referral.screening_id}, child's record "
             f"{referral.child_id})",
             f"  Status:      {referral.status.words}",
             f"  Level:       {referral.level}",
             f"  Route:       {referral.pathway}, to {referral.destination_name}",
             f"  Deadline:    {referral.deadline}"]
    if referral.send_due:
        lines.append(f"  Send by:     {show_date(referral.send_due)}")
    if referral.decision_due:
        lines.append(f"  Decision by: {show_date(referral.decision_due)}")
    late = referral.overdue(today)
    if late:
        lines.append(f"  OVERDUE:     {late}")
    if referral.confirmation is not None:
        c = referral.confirmation
        lines.append(f"  Exploitation confirmed?  {c.answer.words} ({c.source}, "
                     f"{show_date(c.on)})")
    else:
        lines.append("  Exploitation confirmed?  Not answered yet")
    lines.append("  History:")
    for step in referral.steps:
        lines.append(f"    {_day(step.at)}  {_step_words(step)} (by {step.by})")
    return "\n".join(lines)


def _step_words(step: Any) -> str:
    from riskscreen.services.types import StepKind

    kind = StepKind(step.kind)
    if kind == StepKind.CREATED:
        return "Referral recorded at finalising"
    if kind == StepKind.SENT:
        return f"Sent by {step.method.words}" if step.method else "Sent"
    if kind in (StepKind.DECLINED, StepKind.NOT_REFERRED):
        head = "Declined" if kind == StepKind.DECLINED else "Not referred"
        return f"{head}: {step.reason}"
    if kind == StepKind.OUTCOME:
        return f"Outcome: {step.outcome}" + (f" ({step.detail})" if step.detail else "")
    if kind == StepKind.CONFIRMATION:
        return f"{step.answer.words if step.answer else ''} (source: {step.source})"
    return str(kind).replace("_", " ").capitalize()


def _print(referral: Any) -> int:
    print(_describe(referral, date.today()))
    return 0


# -- commands ---------------------------------------------------------------------------------


def _list(args: argparse.Namespace) -> int:
    today = date.today()
    with _session(args) as session:
        found = session.referrals.find(overdue_only=args.overdue, today=today)
    if args.json:
        print(json.dumps([_json(r, today) for r in found], indent=2, ensure_ascii=False))
        return 0
    if not found:
        print("No referrals are overdue." if args.overdue else "No referrals yet.")
        return 0
    print(f"{'ID':>5}  {'Screening':>9}  {'Status':<12}  {'Level':<8}  Destination")
    for r in found:
        late = r.overdue(today)
        flag = f"  OVERDUE: {late}" if late else ""
        print(f"{r.id:>5}  {r.screening_id:>9}  {r.status.words:<12}  {r.level:<8}  "
              f"{r.destination_name}{flag}")
    return 0


def _show(args: argparse.Namespace) -> int:
    with _session(args) as session:
        referral = session.referrals.get(args.id)
    if args.json:
        print(json.dumps(_json(referral, date.today()), indent=2, ensure_ascii=False))
        return 0
    return _print(referral)


def _sent(args: argparse.Namespace) -> int:
    with _session(args) as session:
        return _print(session.referrals.mark_sent(args.id, _HOW[args.how], args.on))


def _simple(step: str) -> Callable[[argparse.Namespace], int]:
    def body(args: argparse.Namespace) -> int:
        with _session(args) as session:
            calls = {"received": session.referrals.mark_received,
                     "accepted": session.referrals.mark_accepted,
                     "close": session.referrals.close}
            return _print(calls[step](args.id, args.on))

    return body


def _declined(args: argparse.Namespace) -> int:
    with _session(args) as session:
        return _print(session.referrals.mark_declined(args.id, args.reason, args.on))


def _not_referred(args: argparse.Namespace) -> int:
    with _session(args) as session:
        return _print(session.referrals.mark_not_referred(args.id, args.reason, args.on))


def _outcome(args: argparse.Namespace) -> int:
    from riskscreen.routing.outcomes import load_outcomes

    if (args.confirmed is None) != (args.source is None):
        raise _UsageError("give --confirmed and --source together (for example --confirmed "
                          "yes --source strategy_discussion)")
    sources = [s.id for s in load_outcomes().confirmation_sources if not s.retired]
    if args.source is not None and args.source not in sources:
        # Checked before anything is recorded, so a mistyped source records nothing.
        raise _UsageError(f"there is no source '{args.source}'; use one of: "
                          f"{', '.join(sources)}")
    with _session(args) as session:
        referral = session.referrals.add_outcome(args.id, args.outcome, args.detail, args.on,
                                                 close=args.close)
        if args.confirmed is not None:
            referral = session.referrals.confirm(args.id, _CONFIRMED[args.confirmed],
                                                 args.source, args.on)
    return _print(referral)


def _confirm(args: argparse.Namespace) -> int:
    with _session(args) as session:
        return _print(session.referrals.confirm(args.id, _CONFIRMED[args.confirmed],
                                                args.source, args.on))


def _record(args: argparse.Namespace) -> int:
    with _session(args) as session:
        return _print(session.referrals.record_for(args.screening))


def _vocabulary(args: argparse.Namespace) -> int:
    from riskscreen.routing.outcomes import load_outcomes

    vocabulary = load_outcomes()
    print("Outcomes (--outcome):")
    for o in vocabulary.outcomes:
        if not o.retired:
            extra = f"  [--detail: {o.detail}{'' if o.detail_required else ', optional'}]" \
                if o.detail else ""
            print(f"  {o.id:<24} {o.label}{extra}")
    print("Sources of \"exploitation confirmed?\" (--source):")
    for s in vocabulary.confirmation_sources:
        if not s.retired:
            print(f"  {s.id:<24} {s.label}")
    sys.stdout.flush()
    return 0
