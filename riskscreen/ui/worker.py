"""The one helper that runs long work off the GUI thread (unlocking, rendering PDFs).

``run_in_background(fn, on_done, on_error)`` runs ``fn`` on Qt's global thread pool and calls
back on the GUI thread. The worker never touches a widget; only the callbacks do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

__all__ = ["Task", "run_in_background", "wait_for_background"]

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries the outcome back to the GUI thread through a queued signal."""

    succeeded = Signal(object)
    failed = Signal(object)


class Task(QRunnable):
    """A callable run on the thread pool; its relay lives on the GUI thread."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self._fn = fn
        self.relay = _Relay()

    def run(self) -> None:
        """Run the work; report the result or the exception (never raise into Qt)."""
        try:
            result = self._fn()
        except BaseException as error:  # every failure is reported to the GUI, never lost
            self.relay.failed.emit(error)
            return
        self.relay.succeeded.emit(result)


_running: set[Task] = set()


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None],
                      on_error: Callable[[BaseException], None]) -> Task:
    """Run ``fn()`` off the GUI thread; call ``on_done(result)`` or ``on_error(exc)`` after.

    The callbacks run on the GUI thread (queued signal), so they may update widgets.
    """
    task = Task(fn)
    task.setAutoDelete(False)
    _running.add(task)

    def finished_ok(result: object) -> None:
        _running.discard(task)
        on_done(result)

    def finished_error(error: object) -> None:
        _running.discard(task)
        assert isinstance(error, BaseException)
        on_error(error)

    task.relay.succeeded.connect(finished_ok)
    task.relay.failed.connect(finished_error)
    QThreadPool.globalInstance().start(task)
    return task


def wait_for_background(timeout_ms: int = 30_000) -> bool:
    """Block until every background task has finished (used at exit and by tests)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
