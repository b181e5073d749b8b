"""Failed sign-ins kept beside the key file until the next successful unlock.

A wrong passphrase cannot open the database, so the attempt (account name as typed, time;
nothing else) is written to ``<db>.signins.json`` instead. The file makes the growing delay
survive a restart of the application, and the next successful unlock moves every attempt
into the hash-chained audit log and then clears it. A damaged file is treated as empty (a
warning without any content is logged): it must never stop anyone from unlocking.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from riskscreen.crypto.atomic import fsync_dir
from riskscreen.crypto.sidefile import read_checked, side_file_path, write_checked

__all__ = ["MAX_KEPT", "clear_failed", "failed_signins_path", "load_failed", "record_failed"]

_FORMAT = "riskscreen-failed-signins"
#: More attempts than this are not kept individually (the oldest are dropped, and counted).
MAX_KEPT = 1000
_log = logging.getLogger(__name__)

Attempt = tuple[str, str]


def failed_signins_path(db_path: Path) -> Path:
    """``<db>.signins.json`` beside the database and its key file."""
    return side_file_path(db_path, ".signins.json")


def _read(path: Path) -> tuple[list[Attempt], int]:
    try:
        body = read_checked(path, _FORMAT)
        if body is None:
            return [], 0
        attempts = [(str(a["user"]), str(a["at"])) for a in body["attempts"]]
        dropped = int(body.get("dropped", 0))
        return attempts, max(0, dropped)
    except (ValueError, KeyError, TypeError) as error:
        _log.warning("The record of failed sign-ins could not be used (%s); it is ignored.",
                     error if isinstance(error, ValueError) else "malformed")
    except OSError as error:
        _log.warning("The record of failed sign-ins could not be read (%s); it is ignored.",
                     error.strerror)
    return [], 0


def load_failed(path: Path) -> tuple[list[Attempt], int]:
    """(attempts as (account, time), how many older ones were dropped); never raises."""
    return _read(path)


def record_failed(path: Path, user: str, at: str) -> int:
    """Add one failed attempt; returns how many are recorded now (dropped ones included).

    ``OSError`` if the file cannot be written (the caller keeps the attempt in memory).
    """
    attempts, dropped = _read(path)
    attempts.append((user[:100], at))
    if len(attempts) > MAX_KEPT:
        dropped += len(attempts) - MAX_KEPT
        attempts = attempts[-MAX_KEPT:]
    write_checked(path, _FORMAT, {"attempts": [{"user": u, "at": t} for u, t in attempts],
                                  "dropped": dropped})
    return len(attempts) + dropped


def clear_failed(path: Path) -> None:
    """Forget the recorded attempts (after they are in the audit log)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        fsync_dir(path.parent)
