"""The ``riskscreen`` command: one entry point, one module per group of subcommands.

With no subcommand it starts the desktop application (when the GUI is installed); each
subcommand module exposes ``register(subparsers)`` and sets ``func`` on its parser.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from riskscreen import __version__

__all__ = ["build_parser", "main"]

#: Subcommand modules, in the order their commands appear in ``--help``.
COMMAND_MODULES = (
    "riskscreen.cli.definitions",
    "riskscreen.cli.scoring",
    "riskscreen.cli.summary",
    "riskscreen.cli.storage",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="riskscreen",
        description="Multi-agency CSE risk screening. Run with no command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"riskscreen {__version__}")
    parser.add_argument(
        "--self-test", action="store_true",
        help="check this installation (fonts, definitions, encryption, Qt), then exit")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:  # that group of commands is not built yet
                continue
            raise
        module.register(subparsers)
    return parser


def _start_gui(argv: Sequence[str]) -> int:
    try:
        app = importlib.import_module("riskscreen.ui.app")
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("riskscreen.ui"):
            build_parser().print_help()
            return 0
        raise
    result: int = app.run(list(argv))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["--self-test"]:  # checks an installation; see riskscreen.selftest
        from riskscreen.selftest import main as self_test

        return self_test(args_list[1:])
    if not args_list or (args_list[0].startswith("--") and args_list[0] not in (
        "--help", "--version"
    )):
        return _start_gui(args_list)
    parser = build_parser()
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    try:
        code: int = func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code
