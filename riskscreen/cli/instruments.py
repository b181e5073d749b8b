"""``riskscreen instrument add | list``: instruments installed in the encrypted database.

``add`` checks the folder as ``riskscreen validate DIR`` does and refuses it with every
``FILE:LINE: message`` found; an administrator or a manager installs it. ``list`` shows what
is installed, with every stored form version (``--json`` for scripts).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from riskscreen.cli.storage import _common, _passphrase, _run, _unlocker, _user
from riskscreen.dates import iso

__all__ = ["register", "unlock_for_instrument", "wants_database"]


def register(subparsers: Any) -> None:
    """Add ``instrument add`` and ``instrument list`` to the command line."""
    p = subparsers.add_parser(
        "instrument", help="install an instrument in the database, or list those installed",
        description="Instruments installed in the encrypted database: a questionnaire with "
                    "its scoring models and routing. Installing needs an administrator or a "
                    "manager account.")
    commands = p.add_subparsers(title="instrument commands", metavar="COMMAND")
    a = commands.add_parser(
        "add", help="check an instrument folder and install it",
        description="Check the instrument folder DIR (as 'riskscreen validate DIR' does) and "
                    "install it: its form version is stored by hash beside every earlier "
                    "one, its new scoring models are published, and it is offered for new "
                    "screenings. Refused, with every problem as FILE:LINE, if it is not "
                    "valid.")
    a.add_argument("folder", metavar="DIR", help="the instrument folder (or the id of an "
                                                 "instrument shipped with RiskScreen, such "
                                                 "as child-exploitation)")
    _common(a)
    a.set_defaults(func=_add)
    ls = commands.add_parser("list", help="list the installed instruments",
                             description="List the installed instruments with their form "
                                         "versions and scoring models.")
    _common(ls)
    ls.add_argument("--json", action="store_true", help="print the list as JSON")
    ls.set_defaults(func=_list)
    p.set_defaults(func=lambda args: _help(p))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _add(args: argparse.Namespace) -> int:
    args.command_name = "instrument add"
    return _run(_do_add, args)


def _do_add(args: argparse.Namespace) -> int:
    from riskscreen.definitions import DefinitionError
    from riskscreen.instruments import load_instrument
    from riskscreen.services.instruments import InstrumentRefused

    folder = args.folder  # a folder, or the id of an instrument shipped with RiskScreen
    try:
        instrument = load_instrument(folder)
    except DefinitionError as error:
        for problem in error.problems:
            print(problem.format(), file=sys.stderr)
        count = len(error.problems)
        print(f"riskscreen instrument add: {folder} was not installed: "
              + ("one problem" if count == 1 else f"{count} problems") + " to fix first",
              file=sys.stderr)
        return 1
    for warning in instrument.warnings:
        print(warning.format(), file=sys.stderr)
    unlocker = _unlocker(args)
    with unlocker.unlock(_user(args), _passphrase(args)) as session:
        try:
            result = session.instruments.install(instrument)
        except InstrumentRefused as error:
            for line in error.problems:
                print(f"{str(folder).rstrip('/')}/{line}", file=sys.stderr)
            print(f"riskscreen instrument add: {folder} was not installed", file=sys.stderr)
            return 1
    info = result.instrument
    stored = ("stored as a new version" if result.form_stored
              else "already stored; nothing changed in it")
    print(f"Installed {info.id} ({info.title}): form version {instrument.form.version} "
          f"{stored}.")
    if result.models_published:
        print("Published scoring models: " + ", ".join(result.models_published) + ".")
    print(f"New screenings use form version {info.form_version}.")
    return 0


def _list(args: argparse.Namespace) -> int:
    args.command_name = "instrument list"
    return _run(_do_list, args)


def _do_list(args: argparse.Namespace) -> int:

    unlocker = _unlocker(args)
    with unlocker.unlock(_user(args), _passphrase(args)) as session:
        infos = session.instruments.installed()
    if args.json:
        print(json.dumps([i.to_dict() for i in infos], indent=2, ensure_ascii=False))
        return 0
    for info in infos:
        state = "in use" if info.in_force else "not offered"
        print(f"{info.id}: {info.title} ({state})")
        print(f"  new screenings: form version {info.form_version} "
              f"(sha256 {info.form_sha256[:12]})")
        for version in info.versions:
            print(f"  form {version.version}: sha256 {version.sha256[:12]}, installed "
                  f"{iso(version.installed_at.date())} by {version.installed_by}")
        if info.models:
            print(f"  scoring models: {', '.join(info.models)}")
        if info.owner or info.approved_by:
            print(f"  owner: {info.owner or '-'}; approved by: {info.approved_by or '-'}")
    return 0


def wants_database(args: argparse.Namespace) -> bool:
    """Whether ``--instrument`` names an installed instrument: an id (not a folder) with
    ``--db``, ``--user`` or ``--passphrase-file`` given."""
    given = args.instrument
    if not given or Path(given).is_dir() or "/" in given or "\\" in given:
        return False
    return bool(getattr(args, "db", None) or getattr(args, "user", None)
                or getattr(args, "passphrase_file", None))


def unlock_for_instrument(args: argparse.Namespace) -> Any:
    """A session on the database named by ``--db``/``--user``/``--passphrase-file``."""

    return _unlocker(args).unlock(_user(args), _passphrase(args))
