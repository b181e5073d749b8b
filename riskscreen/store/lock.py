"""Who has the database open: a lock file beside it, shared by every open session.

Every session holds a *shared* lock on ``<db>.lock`` for as long as it is open; a restore
needs the *exclusive* lock, so it is refused while any other window or process has the
database open, and nobody can open it while a restore is replacing it. SQLite's own locks
cannot say this: an idle WAL connection holds none that another process could test, and
replacing the file under an open connection sends its later writes to the old file.

POSIX uses ``flock`` (one lock per open file, so two sessions in one process are two
holders); Windows emulates a shared lock with one locked byte per holder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import sys
import time
from pathlib import Path

from riskscreen.store.db import StorageError

__all__ = ["DatabaseInUse", "OpenLock", "lock_path"]

_SLOTS = 4096  # Windows: how many holders may share the lock at once


class DatabaseInUse(StorageError):  # noqa: N818 - a domain name the GUI shows
    """Another window or process has the database open (or is restoring it)."""


def lock_path(db_path: Path) -> Path:
    """``<db>.lock`` beside the database."""
    return db_path.with_name(db_path.name + ".lock")


_IN_USE = ("The database is open in another RiskScreen window or process. Sign out and "
           "close RiskScreen there (and on any other account of this computer), then "
           "restore again.")
_RESTORING = ("A backup is being restored into this database right now. Wait until it has "
              "finished, then sign in again.")


class OpenLock:
    """A shared or exclusive hold on a database's lock file; :meth:`release` gives it up.

    A folder where the lock file cannot be created (a read-only copy) is not locked: nothing
    can replace a database there either.
    """

    def __init__(self, db_path: Path, *, exclusive: bool, wait: float = 0.0) -> None:
        self.path = lock_path(db_path)
        self.exclusive = exclusive
        self._fd: int | None = None
        self._slot = 0
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            if error.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise StorageError(f"The lock file {self.path} could not be opened "
                                   f"({error.strerror}).") from None
            try:
                self._fd = os.open(self.path, os.O_RDONLY)
            except OSError:
                return
        deadline = time.monotonic() + wait
        while not self._try(exclusive):
            if time.monotonic() >= deadline:
                os.close(self._fd)
                self._fd = None
                raise DatabaseInUse(_IN_USE if exclusive else _RESTORING)
            time.sleep(0.05)

    @property
    def held(self) -> bool:
        """Whether a lock is held (False after :meth:`release`, or where none could be)."""
        return self._fd is not None

    def upgrade(self) -> None:
        """Shared to exclusive, or :class:`DatabaseInUse` (still shared) if others hold it."""
        if self._fd is None or self.exclusive:
            return
        if sys.platform == "win32":
            if not self._win_exclusive(keep_slot=True):
                raise DatabaseInUse(_IN_USE)
            self._win_unlock(self._slot, 1)
            self._slot = 0
        else:
            import fcntl

            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                # A failed conversion drops the shared lock: take it back.
                deadline = time.monotonic() + 5
                while not self._try(False) and time.monotonic() < deadline:
                    time.sleep(0.05)
                raise DatabaseInUse(_IN_USE) from None
        self.exclusive = True

    def downgrade(self) -> None:
        """Exclusive to shared (always possible: nobody else holds it)."""
        if self._fd is None or not self.exclusive:
            return
        if sys.platform == "win32":
            self._win_unlock(1, _SLOTS)
            for _ in range(64):
                slot = 1 + secrets.randbelow(_SLOTS)
                if self._win_lock(slot, 1):
                    self._slot = slot
                    break
            self._win_unlock(0, 1)
        else:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_SH)
        self.exclusive = False

    def release(self) -> None:
        """Give the lock up (closing the file releases it)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def __enter__(self) -> OpenLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    # -- platforms -----------------------------------------------------------------------------

    def _try(self, exclusive: bool) -> bool:
        assert self._fd is not None
        if sys.platform == "win32":
            return self._win_exclusive(keep_slot=False) if exclusive else self._win_shared()
        import fcntl

        try:
            fcntl.flock(self._fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
                        | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    # Windows: byte 0 is the gate a restore holds; each sharer holds one byte of 1.._SLOTS.

    def _win_lock(self, offset: int, length: int) -> bool:
        import msvcrt

        assert self._fd is not None
        os.lseek(self._fd, offset, os.SEEK_SET)
        try:
            msvcrt.locking(self._fd, msvcrt.LK_NBLCK, length)  # type: ignore[attr-defined,unused-ignore]
        except OSError:
            return False
        return True

    def _win_unlock(self, offset: int, length: int) -> None:
        import msvcrt

        assert self._fd is not None
        os.lseek(self._fd, offset, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(self._fd, msvcrt.LK_UNLCK, length)  # type: ignore[attr-defined,unused-ignore]

    def _win_shared(self) -> bool:
        if not self._win_lock(0, 1):
            return False
        try:
            for _ in range(64):
                slot = 1 + secrets.randbelow(_SLOTS)
                if self._win_lock(slot, 1):
                    self._slot = slot
                    return True
            return False
        finally:
            self._win_unlock(0, 1)

    def _win_exclusive(self, *, keep_slot: bool) -> bool:
        if not self._win_lock(0, 1):
            return False
        own = self._slot if keep_slot else 0
        ranges = ([(1, own - 1), (own + 1, _SLOTS - own)] if own else [(1, _SLOTS)])
        taken: list[tuple[int, int]] = []
        for start, length in ranges:
            if length <= 0:
                continue
            if not self._win_lock(start, length):
                for s, n in taken:
                    self._win_unlock(s, n)
                self._win_unlock(0, 1)
                return False
            taken.append((start, length))
        return True
