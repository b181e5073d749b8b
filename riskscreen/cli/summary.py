"""``riskscreen summary``: score an answers file, route it, and write the referral summary PDF.

Errors are reported as one readable line each and exit code 1, never a traceback, and never
with answers or names in them.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``summary`` to the command line."""
    from riskscreen.summary.marking import DEFAULT_MARKING

    p = subparsers.add_parser(
        "summary", help="write the referral summary PDF for a screening",
        description="Score ANSWERS.json with the scoring model, route it with the routing "
                    "table, and write the referral summary as a PDF; or, with --screening, "
                    "write the summary of a finalised screening stored in the database "
                    "(recorded in the audit trail).")
    p.add_argument("answers", type=Path, nargs="?", metavar="ANSWERS.json",
                   help="the screening's answers (not with --screening)")
    p.add_argument("--instrument", metavar="DIR_OR_ID",
                   help="instrument folder or shipped instrument id: its form, newest model and "
                        "routing (with ANSWERS.json; --form, --model and --routing override)")
    p.add_argument("--form", help="form file or shipped form id (with ANSWERS.json)")
    p.add_argument("--model",
                   help="scoring model file or shipped model id (e.g. cse-screening@1.0.0)")
    s = p.add_argument_group("a stored screening, or an instrument installed in the database")
    s.add_argument("--screening", type=int, metavar="ID", help="a finalised screening's number")
    s.add_argument("--db", metavar="PATH|URL",
                   help="database file or postgresql:// URL (default: $RISKSCREEN_DB or the "
                        "user's data folder)")
    s.add_argument("--db-ca", type=Path, metavar="FILE",
                   help="a team server's certificate authority")
    s.add_argument("--user", metavar="NAME", help="account (default: $RISKSCREEN_USER)")
    s.add_argument("--passphrase-file", type=Path, metavar="FILE",
                   help="read the passphrase from the first line of FILE")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.pdf")
    p.add_argument("--routing", type=Path, help="routing table (default: the shipped one)")
    p.add_argument("--marking", default=DEFAULT_MARKING,
                   help=f"protective marking on every page (default {DEFAULT_MARKING})")
    p.add_argument("--reference", help="reference number (default: made from the date and a "
                                       "hash of the answers file)")
    p.add_argument("--password-file", type=Path, metavar="FILE",
                   help="encrypt the PDF (AES-256) with the password on the first line of FILE")
    p.add_argument("--organisation", default="", help="organisation issuing the summary")
    p.add_argument("--referrer-name", default="")
    p.add_argument("--referrer-role", default="")
    p.add_argument("--referrer-email", default="")
    p.add_argument("--referrer-phone", default="")
    g = p.add_argument_group("professional judgement override")
    g.add_argument("--override-level", metavar="LEVEL", help="level set by professional judgement")
    g.add_argument("--override-reason", default="", help="why (required with --override-level)")
    g.add_argument("--override-by", default="", help="who made the judgement")
    g.add_argument("--countersigned-by",
                   help="manager countersigning (needed to lower a level); printed as not "
                        "verified, since no account is checked here")
    p.set_defaults(func=_summary)


def _fail(message: str) -> int:
    print(f"riskscreen summary: {message}", file=sys.stderr)
    return 1


def _read_password(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise ValueError(f"cannot read the password file {path}") from None
    password = text.splitlines()[0] if text else ""
    if not password:
        raise ValueError(f"the password file {path} is empty")
    return password


def _summary(args: argparse.Namespace) -> int:
    from riskscreen.definitions import DefinitionError
    from riskscreen.forms.answers import AnswerError
    from riskscreen.routing import RoutingError

    try:
        return _run(args)
    except DefinitionError as error:
        for problem in error.problems:
            print(problem.format(), file=sys.stderr)
        return 1
    except AnswerError as error:
        where = f"{error.source}: " if error.source else ""
        return _fail(where + "; ".join(p.format() for p in error.problems[:10]))
    except (RoutingError, ValueError) as error:
        # Engine and routing errors name ids and levels, never answers or names.
        return _fail(str(error))
    except _Refused as error:
        _fail(str(error))
        return error.code
    except OSError as error:
        return _fail(f"cannot write {args.output}: {error.strerror or error}")


def _run(args: argparse.Namespace) -> int:
    if args.screening is not None:
        if args.answers is not None:
            raise ValueError("give either ANSWERS.json or --screening, not both")
        return _run_stored(args)
    if args.answers is None or not (args.instrument or (args.form and args.model)):
        raise ValueError("give ANSWERS.json with --instrument (or --form and --model), or "
                         "--screening ID")
    from riskscreen.forms.answers import AnswerError, check_answers, load_answer_set
    from riskscreen.forms.loader import load_form
    from riskscreen.routing import load_routing, route
    from riskscreen.summary import Referrer, build_summary, render_pdf

    engine: Any = importlib.import_module("riskscreen.scoring.engine")
    scoring_loader: Any = importlib.import_module("riskscreen.scoring.loader")
    password = _read_password(args.password_file) if args.password_file else None
    from riskscreen.cli.instruments import wants_database

    if wants_database(args):
        form, model, table = _installed(args)
        if args.model:
            model = scoring_loader.load_model(args.model, form)
        if args.routing:
            table = load_routing(args.routing, form=form, levels=[lv.id for lv in model.levels])
    elif args.instrument:
        from riskscreen.instruments import load_instrument

        instrument = load_instrument(args.instrument)
        form = load_form(args.form) if args.form else instrument.form
        model = (scoring_loader.load_model(args.model, form) if args.model
                 else instrument.model())
        table = (load_routing(args.routing, form=form, levels=[lv.id for lv in model.levels])
                 if args.routing else instrument.routing)
    else:
        form = load_form(args.form)
        model = scoring_loader.load_model(args.model, form)
        table = (load_routing(args.routing, form=form, levels=[lv.id for lv in model.levels])
                 if args.routing else load_routing())
    answer_set = load_answer_set(args.answers)
    problems = check_answers(form, answer_set)
    if problems:
        raise AnswerError(problems, str(args.answers))
    assessment = engine.score(form, model, answer_set)
    if args.override_level:
        assessment = engine.apply_override(assessment, args.override_level,
                                           args.override_reason, args.override_by,
                                           _unverified(args.countersigned_by))
    reference = args.reference or _reference(args.answers, answer_set.screening_date.isoformat())
    summary = build_summary(
        form, answer_set, assessment, route(assessment, table, form.kind_roles()),
        reference=reference, generated_at=datetime.now().astimezone(),
        marking=args.marking,
        referrer=Referrer(name=args.referrer_name, role=args.referrer_role,
                          email=args.referrer_email, phone=args.referrer_phone),
        organisation=args.organisation, fields=table.summary_fields,
        concern_labels=table.concerns, model=model)
    render_pdf(summary, args.output, password=password)
    print(f"wrote {args.output} ({summary.level.name}; to {summary.route.destination.name}"
          f"{'; encrypted' if password else ''})", file=sys.stderr)
    return 0


class _Refused(Exception):  # noqa: N818 - a refusal, said in one line
    """The database refused (its message is the line to print); ``code`` is the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _installed(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """Form, model and routing in force of an instrument installed in the database."""
    from riskscreen.cli.instruments import unlock_for_instrument
    from riskscreen.cli.storage import _UsageError
    from riskscreen.services import USER_ERRORS
    from riskscreen.services.referral import instrument_routing

    try:
        with unlock_for_instrument(args) as session:
            return (session.instruments.form(args.instrument),
                    session.instruments.model(args.instrument),
                    instrument_routing(session, args.instrument))
    except _UsageError as error:
        raise _Refused(str(error), 2) from None
    except USER_ERRORS as error:
        raise _Refused(str(error), 1) from None


def _run_stored(args: argparse.Namespace) -> int:
    """The summary of a stored, finalised screening, opened with the user's own account."""
    from riskscreen.cli.storage import _passphrase, _unlocker, _UsageError, _user
    from riskscreen.services import USER_ERRORS
    from riskscreen.services.referral import referral_summary
    from riskscreen.summary import render_pdf

    password = _read_password(args.password_file) if args.password_file else None
    try:
        unlocker = _unlocker(args)
        with unlocker.unlock(_user(args), _passphrase(args)) as session:
            detail = session.screenings.open(args.screening)
            summary = referral_summary(session, detail,
                                       session.screenings.form(detail.form_id, detail.form_version))
            render_pdf(summary, args.output, password=password)
            session.screenings.record_export(args.screening, "pdf_password" if password else "pdf")
    except _UsageError as error:
        print(f"riskscreen summary: {error}", file=sys.stderr)
        return 2
    except USER_ERRORS as error:
        return _fail(str(error))
    print(f"wrote {args.output} ({summary.level.name}; to {summary.route.destination.name}"
          f"{'; encrypted' if password else ''})", file=sys.stderr)
    return 0


def _unverified(name: str | None) -> str | None:
    """A countersignature named on the command line, marked as such: this command checks no
    account (``--screening`` prints the one the application checked)."""
    return f"{name} (not verified: named on the command line)" if name else None


def _reference(path: Path, screening_date: str) -> str:
    """``RS-YYYYMMDD-XXXXXXXX``: the screening date and a hash of the answers file, so the
    same answers always get the same reference and no personal data is in it."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8].upper()
    return f"RS-{screening_date.replace('-', '')}-{digest}"
