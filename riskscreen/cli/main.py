"""The ``riskscreen`` command: one entry point, one module per group of subcommands.

With no subcommand it starts the desktop application (when the GUI is installed); each
subcommand module exposes ``register(subparsers)`` and sets ``func`` on its parser.

Whatever goes wrong, a command ends with one readable line on stderr and an exit code, never
a traceback: commands report the errors they expect themselves, and :func:`main` catches the
rest (Ctrl+C, a closed pipe, a file that cannot be read or written, input nested too deeply,
anything unexpected, which is also noted in the log without personal data).
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING

import riskscreen

if TYPE_CHECKING:
    import argparse

__all__ = ["build_parser", "main"]

#: Subcommand modules, in the order their commands appear in ``--help``.
COMMAND_MODULES = (
    "riskscreen.cli.definitions",
    "riskscreen.cli.scoring",
    "riskscreen.cli.summary",
    "riskscreen.cli.storage",
    "riskscreen.cli.referrals",
    "riskscreen.cli.instruments",
    "riskscreen.cli.exchange",
    "riskscreen.cli.followup",
    "riskscreen.cli.evidence",
    "riskscreen.cli.agreement",
    "riskscreen.cli.intel",
    "riskscreen.cli.server",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every available subcommand."""
    import argparse  # here, not above: the moment before main() can catch Ctrl+C stays short

    parser = argparse.ArgumentParser(
        prog="riskscreen",
        description="Multi-agency CSE risk screening. Run with no command to open the app.",
        epilog="The app opens the database in your user data folder; riskscreen --db PATH|URL "
               "[--db-ca FILE] opens another file or a team server's database (or set "
               "RISKSCREEN_DB and RISKSCREEN_DB_CA).",
    )
    parser.add_argument("--version", action="version",
                        version=f"riskscreen {riskscreen.__version__}")
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


class _Terminated(BaseException):
    """The process was asked to stop (SIGTERM)."""


def _on_terminate(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


#: A stop that landed in a finaliser, waiting to be raised again.
_pending_stop: list[type[BaseException]] = []


def _redeliver_stops(unraisable: sys.UnraisableHookArgs) -> None:
    """Raise a stop again when it landed in a finaliser, which drops exceptions.

    Python runs a signal's handler between any two bytecodes, including inside a weak
    reference's callback during garbage collection. The ``_Terminated`` or
    ``KeyboardInterrupt`` it raises there cannot leave the callback, so Python would print a
    traceback and carry on with the command. A timer a moment later raises it once more, in
    whatever the command is doing then.
    """
    stop = unraisable.exc_type
    if issubclass(stop, (_Terminated, KeyboardInterrupt)) and hasattr(signal, "setitimer"):
        _pending_stop[:] = [stop]
        signal.signal(signal.SIGALRM, _raise_pending_stop)
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        return
    sys.__unraisablehook__(unraisable)


def _raise_pending_stop(signum: int, frame: FrameType | None) -> None:
    if _pending_stop:
        raise _pending_stop.pop()


#: What to do about an operating-system error, by errno.
_OS_HINTS = {
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a folder in the path is a file; check the path",
    errno.EISDIR: "give the path of a file, not a folder",
    errno.EACCES: "you may not use this file or folder; choose another place or ask your "
                  "administrator",
    errno.EPERM: "you may not use this file or folder; choose another place or ask your "
                 "administrator",
    errno.EROFS: "the disk or folder is read-only; choose a place you can write to",
    errno.ENOSPC: "the disk is full; free some space and try again",
    errno.EEXIST: "choose a new name",
}


def describe_os_error(error: OSError) -> str:
    """One line for an operating-system error: what, where, and what to do."""
    what = error.strerror or type(error).__name__
    where = f" {error.filename}" if error.filename else ""
    hint = _OS_HINTS.get(error.errno or 0, "check the path and try again")
    return f"cannot use{where}: {what} ({hint})"


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout already closed or replaced
        pass


def _command(args_list: Sequence[str]) -> str:
    first = next((a for a in args_list if not a.startswith("-")), "")
    return f"riskscreen {first}".strip()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    name = _command(args_list)
    previous = None
    previous_hook = sys.unraisablehook
    if argv is None and not _is_gui(args_list):  # the application handles its own signals
        previous = signal.signal(signal.SIGTERM, _on_terminate)
        sys.unraisablehook = _redeliver_stops
    try:
        code = _main(args_list)
        sys.stdout.flush()
    except KeyboardInterrupt:
        _say(name, "interrupted (Ctrl+C) before it finished")
        return 130
    except _Terminated:
        _say(name, "stopped before it finished")
        return 128 + signal.SIGTERM
    except BrokenPipeError:
        # The reader of the output (``| head``) has what it wanted: stop quietly, as other
        # command-line tools do.
        _silence_stdout()
        return 141
    except OSError as error:
        _say(name, describe_os_error(error))
        return 1
    except RecursionError:
        _say(name, "the input is nested too deeply to read (check the file is the right one)")
        return 1
    except MemoryError:
        _say(name, "not enough memory: the input is too large (check the file is the right "
                   "one)")
        return 1
    except Exception as error:  # the last line of defence: no traceback reaches a user
        from riskscreen.errorlog import record_unexpected

        log = record_unexpected(error, name)
        where = (f"a note without personal data was written to {log}; please send it to "
                 "your system administrator") if log else "please tell your system administrator"
        _say(name, f"unexpected error ({type(error).__name__}); {where}")
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        sys.unraisablehook = previous_hook
    return code


def _say(name: str, message: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr closed too: nothing to say
        print(f"{name}: {message}", file=sys.stderr, flush=True)


def _is_gui(args_list: Sequence[str]) -> bool:
    """Whether these arguments open the desktop application (no command, only its options)."""
    return not args_list or (args_list[0].startswith("--") and args_list[0] not in (
        "--help", "--version", "--self-test"))


def _main(args_list: list[str]) -> int:
    if args_list[:1] == ["--self-test"]:  # checks an installation; see riskscreen.selftest
        from riskscreen.selftest import main as self_test

        return self_test(args_list[1:])
    if _is_gui(args_list):
        return _start_gui(args_list)
    parser = build_parser()
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    code: int = func(args)
    return code
