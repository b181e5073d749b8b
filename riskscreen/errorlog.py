"""The log of unexpected errors, shared by the desktop application and the command line.

Only an exception's type and its code locations are written: messages and local values can
hold a child's name or an answer, so they never reach the log.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from types import TracebackType

from platformdirs import user_log_dir

import riskscreen  # its version is read when a note is written (reading it takes a moment)

__all__ = ["describe_exception", "log_path", "record_unexpected"]


def log_path() -> Path:
    """Where the application log is written (the user's log folder)."""
    return Path(user_log_dir("riskscreen", appauthor=False)) / "riskscreen.log"


def describe_exception(exc_type: type[BaseException], tb: TracebackType | None) -> str:
    """The exception's type and where it happened, without its message.

    Messages and local values can hold a child's name or an answer, so only the type and the
    code locations (file, line, function) are logged.
    """
    frames = traceback.extract_tb(tb)
    where = "\n".join(f"  {Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames)
    return f"{exc_type.__module__}.{exc_type.__qualname__}\n{where}"


def record_unexpected(error: BaseException, context: str) -> Path | None:
    """Append a note of ``error`` (type and locations only) to the log; return the log's path,
    or None when the log cannot be written."""
    path = log_path()
    note = (f"{time.strftime('%Y-%m-%d %H:%M:%S')} ERROR riskscreen: unexpected error in "
            f"{context} (version {riskscreen.__version__}):\n"
            f"{describe_exception(type(error), error.__traceback__)}\n")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as stream:
            stream.write(note)
    except OSError:
        return None
    return path
