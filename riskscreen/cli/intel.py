"""``riskscreen intel``: intelligence items, the links across children, the problem profile
and submissions to the police analyst.

- ``intel add --child CHILD_ID --kind person|place|vehicle|online --grade S/I/H --text TEXT``
  records an item about a child (3x5x2 grade, for example ``2/B/P``), with optional details
  (``--name``, ``--phone``, ``--address``, ``--registration``...);
- ``intel link ITEM_ID --child CHILD_ID`` links it to another child;
- ``intel list [--child ID] [--kind KIND] [--due] [--json]`` lists what you may see;
- ``intel links [--json]``: which children are linked by a shared person, place, vehicle or
  account (analysts and managers);
- ``intel profile --from DATE --to DATE [--json] [-o OUT.csv]``: places and areas by the
  number of linked children and by concern; anonymised, counts under 5 shown as ``<5``;
- ``intel submit ITEM_IDS... -o OUT.pdf [--package OUT.p7m --to CERT.pem]``: the
  submission form (and the exchange package), recorded as sent;
- ``intel received [--json]``: intelligence packages received here;
- ``intel review ITEM_ID --reason TEXT`` / ``intel delete ITEM_ID --reason TEXT``: after the
  retention period.

Every command signs in with ``--db``, ``--user`` and ``--passphrase-file``. What it prints
about persons of concern is intelligence, not evidence, and every view is audited.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from riskscreen.cli.storage import _common, _named, _passphrase, _unlocker, _user
from riskscreen.cli.storage import _UsageError as UsageError
from riskscreen.dates import iso, show_date
from riskscreen.intel.kinds import ItemKind

__all__ = ["register"]

_KINDS = tuple(k.value for k in ItemKind)


def register(subparsers: Any) -> None:
    """Add the ``intel`` commands to the command line."""
    parser = subparsers.add_parser(
        "intel", help="intelligence: persons of concern, places, vehicles, online accounts",
        description="Intelligence linked to children: persons of concern, places, vehicles "
                    "and online accounts, graded on the national 3x5x2 model (source 1-3, "
                    "intelligence A-E, handling P or C). It is intelligence, not evidence.")
    sub = parser.add_subparsers(title="intel commands", metavar="COMMAND", required=True)

    add = sub.add_parser("add", help="record an item about a child",
                         description="Record an intelligence item about a child. The grade "
                                     "is S/I/H on the 3x5x2 scale, for example 2/B/P; "
                                     "handling code C needs --conditions.")
    _common(add)
    add.add_argument("--child", type=int, required=True, metavar="CHILD_ID")
    add.add_argument("--kind", required=True, choices=_KINDS)
    add.add_argument("--grade", required=True, metavar="S/I/H")
    add.add_argument("--text", required=True, metavar="TEXT",
                     help="what was seen or said, in plain words")
    add.add_argument("--source", default="", metavar="TEXT",
                     help="where the information came from")
    add.add_argument("--seen", metavar="DATE", help="the date it was seen (default today)")
    add.add_argument("--conditions", default="", metavar="TEXT",
                     help="the conditions on sharing (needed for handling code C)")
    add.add_argument("--legacy", action="store_true",
                     help="accept a 5x5x5 grade (an older record being entered)")
    person = add.add_argument_group("a person of concern")
    person.add_argument("--name", action="append", default=[], metavar="NAME")
    person.add_argument("--nickname", action="append", default=[], metavar="NAME")
    person.add_argument("--age", type=int, metavar="YEARS", help="estimated age")
    person.add_argument("--phone", action="append", default=[], metavar="NUMBER")
    person.add_argument("--handle", action="append", default=[], metavar="HANDLE",
                        help="an online handle (for an online account: its handle)")
    person.add_argument("--registration", action="append", default=[], metavar="REG",
                        help="a vehicle's registration (a person's vehicles, or the vehicle)")
    place = add.add_argument_group("a place")
    place.add_argument("--address", default="", metavar="TEXT")
    place.add_argument("--place-type", default="", metavar="TYPE",
                       help="hotel, takeaway, park, party address, taxi firm...")
    place.add_argument("--area", default="", metavar="AREA")
    other = add.add_argument_group("a vehicle or an online account")
    other.add_argument("--make", default="", metavar="TEXT")
    other.add_argument("--model", default="", metavar="TEXT")
    other.add_argument("--colour", default="", metavar="TEXT")
    other.add_argument("--platform", default="", metavar="TEXT")
    add.set_defaults(func=_named("intel add", _add))

    link = sub.add_parser("link", help="link an item to another child",
                          description="Link an intelligence item to another child it "
                                      "concerns, with the source and the date seen.")
    _common(link)
    link.add_argument("item", type=int, metavar="ITEM_ID")
    link.add_argument("--child", type=int, required=True, metavar="CHILD_ID")
    link.add_argument("--source", default="", metavar="TEXT")
    link.add_argument("--seen", metavar="DATE")
    link.set_defaults(func=_named("intel link", _link))

    edit = sub.add_parser("edit", help="change an item's text, grade or handling conditions",
                          description="Change an intelligence item you may change (you "
                                      "recorded it, or you are an analyst or a manager); "
                                      "the change is audited.")
    _common(edit)
    edit.add_argument("item", type=int, metavar="ITEM_ID")
    edit.add_argument("--text", metavar="TEXT", help="what was seen or said, in full")
    edit.add_argument("--grade", metavar="S/I/H", help="a new 3x5x2 grade, such as 2/B/P")
    edit.add_argument("--conditions", metavar="TEXT", help="handling conditions (code C)")
    edit.set_defaults(func=_named("intel edit", _edit))

    ls = sub.add_parser("list", help="list the items you may see",
                        description="The intelligence items you may see, newest first.")
    _common(ls)
    ls.add_argument("--child", type=int, metavar="CHILD_ID")
    ls.add_argument("--kind", choices=_KINDS)
    ls.add_argument("--due", action="store_true", help="only items due for review")
    ls.add_argument("--json", action="store_true", help="print JSON instead of text")
    ls.set_defaults(func=_named("intel list", _list))

    links = sub.add_parser("links", help="which children are linked by a shared item",
                           description="Which children are linked by a shared person, place, "
                                       "vehicle or online account, with counts (analysts and "
                                       "managers). Records are the same when they share a "
                                       "phone number, registration, handle or address; a "
                                       "shared name alone is only a possible link.")
    _common(links)
    links.add_argument("--json", action="store_true", help="print JSON instead of text")
    links.set_defaults(func=_named("intel links", _links))

    profile = sub.add_parser("profile", help="places and areas by linked children and concern",
                             description="A problem profile: places and areas by the number "
                                         "of children linked to them in the period, and by "
                                         "each child's level of concern. Anonymised: counts "
                                         "from 1 to 4 are shown as <5.")
    _common(profile)
    profile.add_argument("--from", dest="start", required=True, metavar="DATE")
    profile.add_argument("--to", dest="end", required=True, metavar="DATE")
    profile.add_argument("--json", action="store_true", help="print JSON instead of text")
    profile.add_argument("-o", "--output", type=Path, metavar="OUT.csv",
                         help="write the profile as CSV")
    profile.set_defaults(func=_named("intel profile", _profile))

    submit = sub.add_parser("submit", help="the submission to the police analyst",
                            description="Write items as an intelligence submission form "
                                        "(PDF), and optionally as an exchange package for "
                                        "the analyst; the submission is recorded as sent.")
    _common(submit)
    submit.add_argument("items", type=int, nargs="+", metavar="ITEM_IDS")
    submit.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.pdf")
    submit.add_argument("--package", type=Path, metavar="OUT.p7m",
                        help="also write an exchange package carrying the items")
    submit.add_argument("--to", type=Path, metavar="CERT.pem",
                        help="the analyst's certificate (with --package)")
    submit.set_defaults(func=_named("intel submit", _submit))

    rec = sub.add_parser("received", help="intelligence packages received here",
                         description="Intelligence submissions received here as exchange "
                                     "packages ('riskscreen package import'), with the items "
                                     "as the sender graded them.")
    _common(rec)
    rec.add_argument("--json", action="store_true", help="print JSON instead of text")
    rec.set_defaults(func=_named("intel received", _received))

    for name, words in (("review", "keep an item for another retention period"),
                        ("delete", "delete an item after its retention period")):
        p = sub.add_parser(name, help=words, description=f"{words.capitalize()} (analysts "
                           "and managers), with the reason; written to the audit log.")
        _common(p)
        p.add_argument("item", type=int, metavar="ITEM_ID")
        p.add_argument("--reason", required=True, metavar="TEXT")
        p.set_defaults(func=_named(f"intel {name}", _review if name == "review" else _delete))


def _session(args: argparse.Namespace) -> Any:

    return _unlocker(args).unlock(_user(args), _passphrase(args))


def _details(args: argparse.Namespace) -> dict[str, Any]:
    kind = args.kind
    given = {"names": args.name, "nicknames": args.nickname, "estimated_age": args.age,
             "phones": args.phone, "handles": args.handle, "vehicles": args.registration,
             "address": args.address, "place_type": args.place_type, "area": args.area,
             "make": args.make, "model": args.model, "colour": args.colour,
             "platform": args.platform}
    if kind == ItemKind.VEHICLE:
        given["registration"] = args.registration[0] if args.registration else ""
        given.pop("vehicles")
    if kind == ItemKind.ONLINE:
        given["handle"] = args.handle[0] if args.handle else ""
        given.pop("handles")
    allowed = {ItemKind.PERSON: {"names", "nicknames", "estimated_age", "phones", "handles",
                                 "vehicles"},
               ItemKind.PLACE: {"address", "place_type", "area"},
               ItemKind.VEHICLE: {"registration", "make", "model", "colour"},
               ItemKind.ONLINE: {"platform", "handle"}}[ItemKind(kind)]
    extra = sorted(k for k, v in given.items() if v not in ("", [], None) and k not in allowed)
    if extra:
        flags = ", ".join("--" + _FLAGS.get(k, k).replace("_", "-") for k in extra)
        it = "it" if len(extra) == 1 else "them"
        raise ValueError(f"{flags}: not for a {kind}; leave {it} out")
    return {k: v for k, v in given.items() if k in allowed and v not in ("", [], None)}


_FLAGS = {"names": "name", "nicknames": "nickname", "estimated_age": "age", "phones": "phone",
          "handles": "handle", "vehicles": "registration"}


def _item_json(i: Any) -> dict[str, Any]:
    return {"id": i.id, "kind": i.kind, "label": i.label, "text": i.text,
            "details": dict(i.details), "grade": i.grade.text, "scheme": i.grade.scheme,
            "restricted": i.restricted, "handling_conditions": i.handling_conditions,
            "recorded_by": i.entered_by, "review_due": i.review_due.isoformat(),
            "children": [{"child": lk.child_id, "seen_on": lk.seen_on.isoformat(),
                          "source": lk.source} for lk in i.links],
            "other_children": i.other_children}


def _notice() -> None:
    from riskscreen.services.intel import NOT_EVIDENCE

    print(NOT_EVIDENCE, file=sys.stderr)


def _add(args: argparse.Namespace) -> int:
    from riskscreen.services import ServiceError

    try:
        details = _details(args)
    except ValueError as error:
        raise ServiceError(str(error)) from None
    with _session(args) as session:
        item = session.intel.add(args.kind, args.child, args.grade, text=args.text,
                                 details=details, source=args.source, seen_on=args.seen,
                                 handling_conditions=args.conditions,
                                 allow_legacy=args.legacy)
    print(f"Recorded intelligence item {item.id} ({item.kind}, {item.grade.scheme} "
          f"{item.grade.text}) about child {args.child}; due for review "
          f"{show_date(item.review_due)}.")
    return 0


def _link(args: argparse.Namespace) -> int:
    with _session(args) as session:
        link = session.intel.link(args.item, args.child, source=args.source, seen_on=args.seen)
    print(f"Linked item {link.item_id} to child {link.child_id} (seen {show_date(link.seen_on)}).")
    return 0


def _edit(args: argparse.Namespace) -> int:
    if args.text is None and args.grade is None and args.conditions is None:
        raise UsageError("say what to change: --text, --grade or --conditions")
    with _session(args) as session:
        item = session.intel.edit(args.item, text=args.text, grade=args.grade,
                                  handling_conditions=args.conditions)
    print(f"Changed item {item.id}, graded {item.grade.text}.")
    return 0


def _list(args: argparse.Namespace) -> int:
    with _session(args) as session:
        items = session.intel.items(kind=args.kind, child_id=args.child, due_only=args.due)
    _notice()
    if args.json:
        print(json.dumps([_item_json(i) for i in items], indent=2, ensure_ascii=False))
    elif not items:
        print("No intelligence items that you may see.")
    else:
        for i in items:
            children = ", ".join(str(lk.child_id) for lk in i.links) or "none you work with"
            print(f"{i.id}\t{i.kind}\t{i.grade.scheme} {i.grade.text}\t{i.label}\t"
                  f"children: {children}" + (f" (+{i.other_children} more)"
                                             if i.other_children else ""))
    return 0


def _links(args: argparse.Namespace) -> int:
    with _session(args) as session:
        net = session.intel.network()
    entities = net.matching.shared_entities
    if args.json:
        print(json.dumps({
            "counts": dict(net.counts),
            "nodes": [{"id": n.id, "kind": n.kind, "count": n.count,
                       **({"child_id": n.child_id} if n.kind == "child" else
                          {"label": n.label, "items": list(n.item_ids)})}
                      for n in net.nodes],
            "edges": [{"source": e.source, "target": e.target, "strength": e.strength,
                       "first_seen": e.first_seen.isoformat() if e.first_seen else None,
                       "last_seen": e.last_seen.isoformat() if e.last_seen else None}
                      for e in net.edges],
            "entities": [{"id": e.id, "kind": e.kind, "label": e.label,
                          "children": list(e.children), "items": list(e.item_ids),
                          "matched_on": [list(k) for k in e.matched_on]} for e in entities],
            "pairs": [{"children": list(pair), "entities": list(ids)}
                      for pair, ids in net.pairs().items()]}, indent=2, ensure_ascii=False))
        return 0
    _notice()
    c = net.counts
    print(f"{_n(c['children_linked'], 'child', 'children')} linked through "
          f"{_n(c['shared_entities'], 'shared entity', 'shared entities')} "
          f"({_n(c['child_pairs'], 'pair', 'pairs')} of children); "
          f"{_n(c['possible_links'], 'possible link', 'possible links')} by name only.")
    for e in entities:
        matched = "; ".join(f"{k} {v}" for k, v in e.matched_on) or (
            "one record, linked to each")
        print(f"entity {e.id}\t{e.kind}\t{e.label}\t{len(e.children)} children: "
              f"{', '.join(map(str, e.children))}\titems {', '.join(map(str, e.item_ids))}"
              f"\tmatched on: {matched}")
    for edge in net.edges:
        if edge.strength == "possible":
            print(f"possible\t{edge.source} and {edge.target} share only a name or nickname")
    return 0


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _profile(args: argparse.Namespace) -> int:
    with _session(args) as session:
        if args.output is not None:
            count = session.intel.write_profile_csv(args.start, args.end, args.output)
            print(f"Wrote {count} rows to {args.output} (counts under 5 shown as <5).",
                  file=sys.stderr)
        rows = session.intel.profile_export(args.start, args.end)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif args.output is None:
        if not rows:
            print("No places or areas with children linked in this period.")
        for row in rows:
            levels = ", ".join(f"{k}: {v}" for k, v in row.items()
                               if k not in ("kind", "place_or_area", "children"))
            print(f"{row['kind']}\t{row['place_or_area']}\tchildren: {row['children']}\t"
                  f"{levels}")
    return 0


def _submit(args: argparse.Namespace) -> int:
    from riskscreen.services import ServiceError

    if args.package is not None and args.to is None:
        raise ServiceError("--package needs --to CERT.pem, the analyst's certificate.")
    if args.to is not None and args.package is None:
        raise ServiceError("--to is for the package: give --package OUT.p7m as well.")
    recipient = args.to.read_bytes() if args.to is not None else None
    with _session(args) as session:
        sub = session.intel.submit_pdf(args.items, args.output)
        print(f"Wrote the intelligence submission {sub.reference} to {args.output}; "
              "recorded as sent.")
        if args.package is not None and recipient is not None:
            made = session.intel.submit_package(args.items, args.package, recipient)
            print(f"Wrote the exchange package {made.reference} for {made.recipient} to "
                  f"{args.package}; recorded as sent.")
    return 0


def _received(args: argparse.Namespace) -> int:
    with _session(args) as session:
        packages = session.intel.received()
    if args.json:
        print(json.dumps([{"id": p.id, "reference": p.reference, "sender": p.sender,
                           "sender_fingerprint": p.sender_fingerprint,
                           "received_at": iso(p.received_at), "items": list(p.items)}
                          for p in packages], indent=2, ensure_ascii=False))
        return 0
    _notice()
    if not packages:
        print("No intelligence packages have been received.")
    for p in packages:
        print(f"{p.id}	{p.reference}	from {p.sender}	received {iso(p.received_at.date())}	"
              f"{len(p.items)} items")
        for item in p.items:
            grading = item.get("grading", {})
            print(f"	{item.get('kind')}	{grading.get('scheme')} {grading.get('text')}	"
                  f"{item.get('label')}")
    return 0


def _review(args: argparse.Namespace) -> int:
    with _session(args) as session:
        item = session.intel.review(args.item, args.reason)
    print(f"Kept item {item.id}; next review {show_date(item.review_due)}.")
    return 0


def _delete(args: argparse.Namespace) -> int:
    with _session(args) as session:
        session.intel.delete(args.item, args.reason)
    print(f"Deleted item {args.item}.")
    return 0
