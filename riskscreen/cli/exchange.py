"""``riskscreen keys | package | export``: exchange keys, referral packages, FHIR exports.

Key passphrases, like account passphrases, never go on the command line: they are asked
for without echo on a terminal, or read from the first line of ``--key-passphrase-file``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from riskscreen.cli.storage import (
    _common,
    _first_line,
    _interactive,
    _named,
    _passphrase,
    _unlocker,
)
from riskscreen.cli.storage import _UsageError as UsageError
from riskscreen.cli.storage import _user as account_name
from riskscreen.dates import iso

__all__ = ["register"]

KEY_FILE = "team.key.pem"
CERT_FILE = "team.cert.pem"
CSR_FILE = "team.csr.pem"


def register(subparsers: Any) -> None:
    """Add the exchange commands to the command line."""
    keys = subparsers.add_parser(
        "keys", help="exchange keys: make a team's key pair, install keys and senders",
        description="Keys for exchange packages (CMS, as S/MIME uses). A team makes its key "
                    "pair once, installs it in its own database, and hands its certificate "
                    "to the agencies that send to it; an administrator installs the "
                    "certificates of the agencies it trusts.")
    ks = keys.add_subparsers(title="commands", metavar="COMMAND", required=True)
    n = ks.add_parser(
        "new-team", help="make a key pair and a certificate (or a signing request)",
        description=f"Write DIR/{KEY_FILE} (the private key, encrypted PKCS#8 under the "
                    f"key passphrase) and DIR/{CERT_FILE} (a self-signed certificate). With "
                    f"--csr also DIR/{CSR_FILE}, a signing request for the organisation's "
                    "certificate authority: put the certificate it returns in place of "
                    f"{CERT_FILE}.")
    n.add_argument("--name", required=True, help="the team's or agency's name")
    n.add_argument("--organisation", help="the organisation it belongs to")
    n.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    n.add_argument("--key-passphrase-file", type=Path, metavar="FILE",
                   help="read the key passphrase from the first line of FILE")
    n.add_argument("--csr", action="store_true", help="also write a certificate signing request")
    n.add_argument("--days", type=int, default=730, help="validity in days (default 730)")
    n.set_defaults(func=_cmd("keys new-team", _new_team))

    i = ks.add_parser(
        "install", help="store this team's key pair in its database",
        description=f"Store DIR/{KEY_FILE} and DIR/{CERT_FILE} in the database (encrypted "
                    "with it), so importing packages needs no key file. Needs an "
                    "administrator account.")
    i.add_argument("dir", type=Path, metavar="DIR")
    i.add_argument("--key-passphrase-file", type=Path, metavar="FILE",
                   help="read the key passphrase from the first line of FILE")
    _common(i)
    i.set_defaults(func=_cmd("keys install", _install))

    s = ks.add_parser(
        "install-sender", help="trust a sending agency's certificate",
        description="Trust packages signed with the key of this certificate. Check its "
                    "SHA-256 fingerprint with the sender first (it is printed). Needs an "
                    "administrator account.")
    s.add_argument("cert", type=Path, metavar="CERT.pem")
    _common(s)
    s.set_defaults(func=_cmd("keys install-sender", _install_sender))

    sd = ks.add_parser(
        "set-destination", help="name a routing destination's exchange certificate",
        description="Referral packages to this destination are encrypted to CERT.pem (the "
                    "team's team.cert.pem). An expired or malformed certificate is refused. "
                    "Needs an administrator account.")
    sd.add_argument("destination", metavar="DESTINATION_ID")
    sd.add_argument("cert", type=Path, nargs="?", metavar="CERT.pem")
    sd.add_argument("--remove", action="store_true", help="remove the certificate instead")
    _common(sd)
    sd.set_defaults(func=_cmd("keys set-destination", _set_destination))

    show = ks.add_parser("show", help="this database's certificate, trusted senders and the "
                                      "routing's exchange certificates")
    _common(show)
    show.add_argument("--json", action="store_true")
    show.add_argument("--certificate", type=Path, metavar="FILE",
                      help="also write this database's certificate to FILE (to hand out)")
    show.set_defaults(func=_cmd("keys show", _show))

    package = subparsers.add_parser(
        "package", help="signed, encrypted referral packages between agencies",
        description="A package is a DER CMS EnvelopedData file (.p7m) holding CMS SignedData "
                    "of a ZIP archive: bundle.json (FHIR R4), summary.pdf, and the form and "
                    "scoring model by hash. 'openssl cms -decrypt' and 'openssl cms -verify' "
                    "read it too.")
    ps = package.add_subparsers(title="commands", metavar="COMMAND", required=True)
    r = ps.add_parser("referral", help="write the package of a referral",
                      description="Sign the referral with this database's key and encrypt "
                                  "it to the receiving team's certificate (the routing's, or "
                                  "--to). The referral is recorded as sent by package.")
    r.add_argument("referral", type=int, nargs="?", metavar="REFERRAL_ID")
    r.add_argument("--screening", type=int, metavar="ID",
                   help="the referral of this finalised screening")
    r.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.p7m")
    r.add_argument("--to", type=Path, metavar="CERT.pem",
                   help="the receiving team's certificate (instead of the routing's)")
    _common(r)
    r.set_defaults(func=_cmd("package referral", _package_referral))

    m = ps.add_parser(
        "import", help="import a package sent to this team",
        description="Check the signature and the sender, decrypt, match the child and store "
                    "the received referral (or, for a reply, update the referral it answers). "
                    "A person confirms the child: with --child ID or --new-child, or when "
                    "asked. Importing the same package again changes nothing.")
    m.add_argument("file", type=Path, metavar="FILE.p7m")
    m.add_argument("--json", action="store_true", help="print the result as JSON")
    choice = m.add_mutually_exclusive_group()
    choice.add_argument("--child", type=int, metavar="ID",
                        help="the child record here that is the package's child")
    choice.add_argument("--new-child", action="store_true",
                        help="create a new child record for the package's child")
    _common(m)
    m.set_defaults(func=_cmd("package import", _import))

    y = ps.add_parser("reply", help="write the reply to a received referral",
                      description="The team's decision and outcomes, signed and encrypted "
                                  "to the sender's certificate.")
    y.add_argument("referral", type=int, metavar="REFERRAL_ID",
                   help="the received referral's id (riskscreen package received)")
    y.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.p7m")
    _common(y)
    y.set_defaults(func=_cmd("package reply", _reply))

    lr = ps.add_parser("received", help="list received referrals")
    lr.add_argument("--json", action="store_true")
    _common(lr)
    lr.set_defaults(func=_cmd("package received", _received))

    d = ps.add_parser("decide", help="accept or decline a received referral")
    d.add_argument("referral", type=int, metavar="REFERRAL_ID")
    which = d.add_mutually_exclusive_group(required=True)
    which.add_argument("--accept", action="store_true")
    which.add_argument("--decline", metavar="REASON")
    _common(d)
    d.set_defaults(func=_cmd("package decide", _decide))

    o = ps.add_parser("outcome", help="record an outcome of a received referral")
    o.add_argument("referral", type=int, metavar="REFERRAL_ID")
    o.add_argument("--outcome", required=True, metavar="OUTCOME_ID")
    o.add_argument("--detail", metavar="TEXT",
                   help="what the outcome asks for (for example the service it went to)")
    o.add_argument("--confirmed", choices=("yes", "no", "unknown"))
    o.add_argument("--source", metavar="SOURCE_ID")
    _common(o)
    o.set_defaults(func=_cmd("package outcome", _outcome))

    c = ps.add_parser("close", help="close a received referral once an outcome is recorded")
    c.add_argument("referral", type=int, metavar="REFERRAL_ID")
    c.add_argument("--reason", required=True, metavar="TEXT", help="why it is closed")
    _common(c)
    c.set_defaults(func=_cmd("package close", _close))

    export = subparsers.add_parser("export", help="standard exports (FHIR R4 JSON)")
    es = export.add_subparsers(title="commands", metavar="COMMAND", required=True)
    f = es.add_parser("fhir", help="a finalised screening as a FHIR R4 Bundle")
    f.add_argument("--screening", type=int, required=True, metavar="ID")
    f.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.json")
    _common(f)
    f.set_defaults(func=_cmd("export fhir", _export_fhir))
    q = es.add_parser("fhir-questionnaire",
                      help="an instrument's form as a FHIR R4 Questionnaire with item weights")
    q.add_argument("--instrument", required=True, metavar="ID",
                   help="a shipped instrument id or an instrument folder")
    q.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.json")
    q.set_defaults(func=_cmd("export fhir-questionnaire", _export_questionnaire))


def _cmd(name: str, func: Any) -> Any:
    """:func:`_named`, with the package and FHIR errors said in the same one line."""
    def guarded(args: argparse.Namespace) -> int:
        from riskscreen.crypto.exchange import ExchangeError
        from riskscreen.summary.fhir import FhirError

        try:
            return int(func(args))
        except (ExchangeError, FhirError) as error:
            print(f"riskscreen {args.command_name}: {error}", file=sys.stderr)
            return 1

    return _named(name, guarded)


def _key_passphrase(args: argparse.Namespace, *, confirm: bool) -> str:
    if args.key_passphrase_file:
        return _first_line(args.key_passphrase_file, "key passphrase")
    if not _interactive():
        raise UsageError("no terminal to ask for the key passphrase: give "
                         "--key-passphrase-file")
    first = getpass.getpass("Key passphrase: ")
    if confirm and getpass.getpass("Again, to confirm: ") != first:
        raise UsageError("the two key passphrases differ")
    return first


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read the {what} {path} ({error.strerror})") from None


def _session(args: argparse.Namespace) -> Any:
    return _unlocker(args).unlock(account_name(args), _passphrase(args))


def _write_json(path: Path, data: Any) -> None:
    from riskscreen.crypto.atomic import atomic_write

    atomic_write(path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


# -- keys -------------------------------------------------------------------------------------


def _new_team(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import serialization

    from riskscreen.crypto.atomic import atomic_write
    from riskscreen.crypto.exchange import (
        certificate_pem,
        describe_certificate,
        encrypted_key_pem,
        new_private_key,
        self_signed_certificate,
        signing_request,
    )

    folder = Path(args.output)
    if (folder / KEY_FILE).exists():
        raise UsageError(f"{folder / KEY_FILE} already exists; choose another folder (a key "
                         "file is never overwritten)")
    if not 1 <= args.days <= 3650:
        raise UsageError("--days must be between 1 and 3650")
    passphrase = _key_passphrase(args, confirm=True)
    key = new_private_key()
    key_pem = encrypted_key_pem(key, passphrase)
    cert = self_signed_certificate(key, args.name, organisation=args.organisation,
                                   days=args.days)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create the folder {folder} ({error.strerror})") from None
    atomic_write(folder / KEY_FILE, key_pem)
    atomic_write(folder / CERT_FILE, certificate_pem(cert).encode("ascii"), mode=0o644)
    print(f"wrote {folder / KEY_FILE} (private, encrypted) and {folder / CERT_FILE}")
    if args.csr:
        csr = signing_request(key, args.name, organisation=args.organisation)
        atomic_write(folder / CSR_FILE, csr.public_bytes(serialization.Encoding.PEM),
                     mode=0o644)
        print(f"wrote {folder / CSR_FILE}: send it to your certificate authority")
    print(f"certificate: {describe_certificate(cert)}")
    return 0


def _install(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    key_pem = _read(folder / KEY_FILE, "key file")
    cert_pem = _read(folder / CERT_FILE, "certificate")
    key_passphrase = _key_passphrase(args, confirm=False)
    with _session(args) as session:
        info = session.exchange.install_key(key_pem, cert_pem, key_passphrase)
    print(f"installed the exchange key of {info.name} (SHA-256 {info.fingerprint}, valid "
          f"until {info.not_after:%Y-%m-%d})")
    return 0


def _install_sender(args: argparse.Namespace) -> int:
    data = _read(args.cert, "certificate")
    with _session(args) as session:
        info = session.exchange.install_sender(data)
    print(f"trusted sender: {info.name} (SHA-256 {info.fingerprint}, valid until "
          f"{info.not_after:%Y-%m-%d})")
    return 0


def _set_destination(args: argparse.Namespace) -> int:
    if (args.cert is None) != bool(args.remove):
        raise UsageError("give CERT.pem, or --remove")
    pem = None if args.remove else _read(args.cert, "certificate").decode("ascii", "replace")
    with _session(args) as session:
        session.settings.set_destination_certificate(args.destination, pem)
    print(f"destination {args.destination}: "
          + ("exchange certificate removed" if pem is None else "exchange certificate set"))
    return 0


def _routing_certificates(session: Any) -> list[tuple[str, str, str | None]]:
    from riskscreen.services.referral import routing_in_force

    table = routing_in_force(session.settings.read())
    return [(d.id, d.name, d.certificate_words()) for d in table.destinations]


def _show(args: argparse.Namespace) -> int:
    from riskscreen.crypto.atomic import atomic_write

    with _session(args) as session:
        identity = session.exchange.identity()
        senders = session.exchange.trusted_senders()
        routing = _routing_certificates(session)
    if args.certificate and identity is not None:
        atomic_write(args.certificate, identity.certificate_pem.encode("ascii"), mode=0o644)
    if args.json:
        print(json.dumps({
            "identity": None if identity is None else {
                "name": identity.name, "fingerprint": identity.fingerprint,
                "not_after": identity.not_after.isoformat()},
            "trusted_senders": [{"name": s.name, "fingerprint": s.fingerprint,
                                 "not_after": s.not_after.isoformat()} for s in senders],
            "routing": [{"destination": d, "name": n, "certificate": c}
                        for d, n, c in routing]},
            indent=1))
        return 0
    if identity is None:
        print("this database: no exchange key (riskscreen keys install DIR)")
    else:
        print(f"this database: {identity.name}, SHA-256 {identity.fingerprint}, valid until "
              f"{identity.not_after:%Y-%m-%d}")
    for s in senders:
        print(f"trusted sender: {s.name}, SHA-256 {s.fingerprint}, valid until "
              f"{s.not_after:%Y-%m-%d}")
    for dest, name, words in routing:
        print(f"destination {dest} ({name}): "
              + (f"exchange certificate {words}" if words else "no exchange certificate"))
    return 0


# -- packages ---------------------------------------------------------------------------------


def _package_referral(args: argparse.Namespace) -> int:
    if (args.referral is None) == (args.screening is None):
        raise UsageError("give REFERRAL_ID, or --screening ID")
    recipient = _read(args.to, "certificate") if args.to else None
    with _session(args) as session:
        referral = args.referral
        if referral is None:
            referral = session.exchange.referral_of_screening(args.screening)
        made = session.exchange.save_referral_package(referral, args.output, recipient)
    print(f"wrote {made.path} for {made.recipient} (certificate SHA-256 "
          f"{made.recipient_fingerprint}); reference {made.reference}"
          + ("; the referral is recorded as sent by package" if made.recorded_sent else ""),
          file=sys.stderr)
    return 0


def _choose_child(incoming: Any) -> int | str:
    """Ask at the terminal which record is the package's child (never guessed)."""
    print(f"The package's child: {incoming.child_name or 'name not given'}, born "
          f"{incoming.child_date_of_birth or 'date not given'}"
          + (f", NHS number {incoming.nhs_number}" if incoming.nhs_number else ""))
    for m in incoming.matches:
        print(f"  child {m.child.id}: {m.child.name}, born {m.child.date_of_birth} "
              f"({m.by.words})")
    while True:
        answer = input("Type a child id to confirm a match, 'new' for a new record, or "
                       "'cancel': ").strip().lower()
        if answer == "new":
            return "new"
        if answer in ("cancel", ""):
            raise UsageError("cancelled; nothing was imported")
        if answer.isdigit():
            return int(answer)


def _import(args: argparse.Namespace) -> int:
    from riskscreen.services.exchange import NeedsChildChoice
    from riskscreen.services.types import PackageKind

    data = _read(args.file, "package")
    child: int | str | None = args.child if args.child is not None else (
        "new" if args.new_child else None)
    with _session(args) as session:
        try:
            result = session.exchange.import_package(data, child)
        except NeedsChildChoice as needs:
            if not _interactive() or args.json:
                raise
            result = session.exchange.import_package(data, _choose_child(needs.incoming))
    if args.json:
        print(json.dumps({
            "received_id": result.received_id, "kind": result.kind, "changed": result.changed,
            "sender": result.sender, "sender_fingerprint": result.sender_fingerprint,
            "trusted": True, "child_id": result.child_id, "new_child": result.new_child,
            "referral_id": result.referral_id, "reference": result.reference}, indent=1))
        return 0
    who = f"from {result.sender} (trusted; SHA-256 {result.sender_fingerprint})"
    if not result.changed:
        print(f"already imported as received {result.kind} {result.received_id} {who}; "
              "nothing changed")
    elif result.kind == PackageKind.REPLY:
        print(f"imported the reply {who}: referral {result.referral_id} "
              f"({result.reference}) is updated")
    elif result.kind == PackageKind.INTELLIGENCE:
        print(f"imported the intelligence submission {result.reference} {who} as received "
              f"{result.received_id}; read it with 'riskscreen intel received'")
    else:
        print(f"imported received referral {result.received_id} {who} for "
              f"{'a new child record' if result.new_child else 'child'} {result.child_id}")
    return 0


def _reply(args: argparse.Namespace) -> int:
    with _session(args) as session:
        made = session.exchange.save_reply_package(args.referral, args.output)
    print(f"wrote {made.path} for {made.recipient} (certificate SHA-256 "
          f"{made.recipient_fingerprint}); reference {made.reference}", file=sys.stderr)
    return 0


def _received(args: argparse.Namespace) -> int:
    with _session(args) as session:
        rows = session.exchange.list_received()
    if args.json:
        print(json.dumps([{"id": r.id, "reference": r.reference, "sender": r.sender,
                           "received_at": iso(r.received_at), "child_id": r.child_id,
                           "status": r.status, "level": r.level,
                           "outcomes": [o[0] for o in r.outcomes]} for r in rows], indent=1))
        return 0
    for r in rows:
        print(f"{r.id}\t{iso(r.received_at.date())}\t{r.status}\t{r.level or ''}\t{r.reference}\t"
              f"from {r.sender}\tchild {r.child_id}")
    if not rows:
        print("no received referrals")
    return 0


def _decide(args: argparse.Namespace) -> int:
    with _session(args) as session:
        session.exchange.decide(args.referral, bool(args.accept), args.decline)
    print(f"received referral {args.referral}: {'accepted' if args.accept else 'declined'}")
    return 0


def _outcome(args: argparse.Namespace) -> int:
    confirmed = {"yes": "confirmed", "no": "not_confirmed", "unknown": "not_known"}.get(
        args.confirmed or "")
    if confirmed and not args.source:
        raise UsageError("--confirmed needs --source SOURCE_ID (who confirmed it)")
    with _session(args) as session:
        session.exchange.add_outcome(args.referral, args.outcome, args.detail,
                                     confirmed=confirmed, source=args.source)
    print(f"received referral {args.referral}: outcome {args.outcome} recorded")
    return 0


def _close(args: argparse.Namespace) -> int:
    with _session(args) as session:
        session.exchange.close(args.referral, args.reason)
    print(f"received referral {args.referral}: closed")
    return 0


# -- exports ----------------------------------------------------------------------------------


def _export_fhir(args: argparse.Namespace) -> int:
    with _session(args) as session:
        bundle = session.exchange.screening_bundle(args.screening)
    _write_json(args.output, bundle)
    print(f"wrote {args.output} (FHIR R4 Bundle)", file=sys.stderr)
    return 0


def _export_questionnaire(args: argparse.Namespace) -> int:
    from riskscreen.definitions import DefinitionError
    from riskscreen.instruments import load_instrument
    from riskscreen.summary.fhir import questionnaire

    try:
        instrument = load_instrument(args.instrument)
    except DefinitionError as error:
        raise UsageError(str(error).splitlines()[0]) from None
    model = instrument.models[-1] if instrument.models else None
    _write_json(args.output, questionnaire(instrument.form, model))
    print(f"wrote {args.output} (FHIR R4 Questionnaire of {instrument.form.id} "
          f"{instrument.form.version}"
          + (f", weights of model {model.version})" if model else ")"), file=sys.stderr)
    return 0
