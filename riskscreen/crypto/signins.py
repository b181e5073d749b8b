"""Failed passphrase checks kept beside the key file, and the gate every check goes through.

A wrong passphrase cannot open the database, so the attempt (account name as typed, time,
which check; nothing else) is written to ``<db>.signins.json`` instead. The file makes the
growing delay survive a restart of the application, and the next successful unlock moves
every attempt not yet audited into the hash-chained audit log. A damaged file is treated as
empty (a warning without any content is logged): it must never stop anyone from unlocking.

:class:`PassphraseGate` is how every check of a passphrase or recovery key runs (sign-in,
restore, countersignature, recovery, passphrase change): one at a time across every process
on the computer (an exclusive lock on ``<db>.signins.lock``, held through the check and its
delay), with the delay growing with the failures recorded against that account name, so that
parallel guesses queue instead of all waiting at once, and signing in to one's own account
does not reset the delay of guesses at someone else's passphrase.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from riskscreen.crypto.atomic import fsync_dir
from riskscreen.crypto.sidefile import read_checked, side_file_path, write_checked

__all__ = [
    "MAX_KEPT",
    "RECOVERY_KEY",
    "Attempt",
    "PassphraseGate",
    "clear_failed",
    "delay_for",
    "failed_signins_path",
    "failures_of",
    "load_failed",
    "load_unaudited",
    "record_failed",
    "settle_failed",
]

_FORMAT = "riskscreen-failed-signins"
#: More attempts than this are not kept individually (the oldest are dropped, and counted).
MAX_KEPT = 1000
_log = logging.getLogger(__name__)

Attempt = tuple[str, str]
#: The pseudo account name under which wrong recovery keys are counted.
RECOVERY_KEY = "(recovery key)"


def delay_for(failures: int) -> float:
    """Seconds a failed check waits after ``failures`` earlier ones: 0, 1, 2, 4 ... at most 30."""
    return 0.0 if failures <= 0 else float(min(30, 2 ** (failures - 1)))


def failed_signins_path(db_path: Path) -> Path:
    """``<db>.signins.json`` beside the database and its key file."""
    return side_file_path(db_path, ".signins.json")


def _read_all(path: Path) -> tuple[list[dict[str, object]], int]:
    try:
        body = read_checked(path, _FORMAT)
        if body is None:
            return [], 0
        attempts = [{"user": str(a["user"]), "at": str(a["at"]),
                     "check": str(a.get("check", "sign-in")),
                     "audited": bool(a.get("audited", False))} for a in body["attempts"]]
        dropped = int(body.get("dropped", 0))
        return attempts, max(0, dropped)
    except (ValueError, KeyError, TypeError) as error:
        _log.warning("The record of failed sign-ins could not be used (%s); it is ignored.",
                     error if isinstance(error, ValueError) else "malformed")
    except OSError as error:
        _log.warning("The record of failed sign-ins could not be read (%s); it is ignored.",
                     error.strerror)
    return [], 0


def _write_all(path: Path, attempts: list[dict[str, object]], dropped: int) -> None:
    if not attempts and not dropped:
        clear_failed(path)
        return
    write_checked(path, _FORMAT, {"attempts": attempts, "dropped": dropped})


def load_failed(path: Path) -> tuple[list[Attempt], int]:
    """(attempts not yet audited as (account, time), how many older ones were dropped)."""
    attempts, dropped = _read_all(path)
    return [(str(a["user"]), str(a["at"])) for a in attempts if not a["audited"]], dropped


def load_unaudited(path: Path) -> tuple[list[tuple[str, str, str]], int]:
    """(attempts not yet audited as (account, time, check), dropped count); never raises."""
    attempts, dropped = _read_all(path)
    return ([(str(a["user"]), str(a["at"]), str(a["check"])) for a in attempts
             if not a["audited"]], dropped)


def failures_of(path: Path, user: str) -> int:
    """How many failed checks are recorded against ``user`` (audited or not)."""
    attempts, _ = _read_all(path)
    return sum(1 for a in attempts if a["user"] == user[:100])


def record_failed(path: Path, user: str, at: str, check: str = "sign-in", *,
                  audited: bool = False) -> int:
    """Add one failed attempt; returns how many are recorded now (dropped ones included).

    ``audited`` marks an attempt already written to the audit log (a check made inside a
    signed-in session). ``OSError`` if the file cannot be written (the caller keeps the
    attempt in memory).
    """
    attempts, dropped = _read_all(path)
    attempts.append({"user": user[:100], "at": at, "check": check, "audited": audited})
    if len(attempts) > MAX_KEPT:
        dropped += len(attempts) - MAX_KEPT
        attempts = attempts[-MAX_KEPT:]
    _write_all(path, attempts, dropped)
    return len(attempts) + dropped


def settle_failed(path: Path, user: str) -> None:
    """After the attempts are in the audit log: mark them all audited, and forget those
    against ``user``, whose passphrase was just given correctly."""
    attempts, _ = _read_all(path)
    kept = [{**a, "audited": True} for a in attempts if a["user"] != user[:100]]
    _write_all(path, kept, 0)


def clear_failed(path: Path) -> None:
    """Forget every recorded attempt."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        fsync_dir(path.parent)


# -- one check at a time ---------------------------------------------------------------------

_held: dict[str, tuple[threading.RLock, list[int]]] = {}
_held_guard = threading.Lock()


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` across processes, re-entrant within this process.

    POSIX ``flock`` (or one locked byte on Windows); where the file cannot be created (a
    read-only folder) only the threads of this process are serialised.
    """
    with _held_guard:
        lock, state = _held.setdefault(str(path), (threading.RLock(), [0, -1]))
    with lock:
        if state[0] == 0:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                fd = -1
            if fd >= 0:
                if sys.platform == "win32":  # pragma: no cover - Windows
                    import msvcrt

                    while True:
                        try:
                            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                            break
                        except OSError:
                            continue
                else:
                    import fcntl

                    fcntl.flock(fd, fcntl.LOCK_EX)
            state[1] = fd
        state[0] += 1
        try:
            yield
        finally:
            state[0] -= 1
            if state[0] == 0 and state[1] >= 0:
                os.close(state[1])  # closing the file releases flock and msvcrt locks
                state[1] = -1


class PassphraseGate:
    """Serialises every passphrase check of one database and applies the growing delay."""

    def __init__(self, db_path: Path, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.path = failed_signins_path(db_path)
        self.lock_path = side_file_path(db_path, ".signins.lock")
        self._sleep = sleep
        self.pending: list[tuple[str, str, str]] = []  # attempts the side file could not take

    @contextlib.contextmanager
    def checking(self) -> Iterator[None]:
        """Hold the gate for one check (and its delay, if it fails)."""
        with _exclusive(self.lock_path):
            yield

    def failures(self, user: str) -> int:
        """Failed checks recorded against ``user``, in any process, since their last success."""
        return failures_of(self.path, user) + sum(1 for u, _, _ in self.pending
                                                  if u == user[:100])

    def delay(self, user: str) -> float:
        """Seconds the next failed check against ``user`` will wait."""
        return delay_for(self.failures(user))

    def failed(self, user: str, check: str, at: str, *, audited: bool = False) -> float:
        """Record a failed check and wait (call while :meth:`checking`); returns the wait."""
        wait = self.delay(user)
        try:
            record_failed(self.path, user, at, check, audited=audited)
        except OSError as error:
            _log.warning("A failed passphrase check could not be recorded beside the key file "
                         "(%s); it is kept in memory.", error.strerror)
            self.pending.append((user[:100], at, check))
        if wait:
            self._sleep(wait)
        return wait
