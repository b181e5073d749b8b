"""The one helper that runs long work off the GUI thread (unlocking, rendering PDFs).

``run_in_background(fn, on_done, on_error)`` runs ``fn`` on Qt's global thread pool and calls
back on the GUI thread. The worker never touches a widget; only the callbacks do.

An outcome nobody can receive any more is dropped without a word: when the object the
callbacks belong to (``receiver``, or the owner of a bound-method callback) was deleted first,
and when the application quits while the work runs (it waits a moment for the work to end, so
no worker is left running Python while the interpreter shuts down).

Once its outcome has been delivered a task leaves nothing behind: the pool lets go of it (it
is deleted after running), and its relay, whose connections Qt holds and would otherwise keep
the callbacks and all they refer to (an operation, its controller, a closed window's views)
alive, is deleted from the event loop. What the work and its callbacks held is let go on the
GUI thread, so a Qt object is never freed in a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, SignalInstance

__all__ = ["Task", "callback_owner", "pending_outcomes", "run_in_background",
           "wait_for_background"]

log = logging.getLogger(__name__)

#: How long quitting waits for work still running before the interpreter shuts down.
QUIT_WAIT_MS = 30_000


class _Relay(QObject):
    """Carries the outcome back to the GUI thread through a queued signal."""

    succeeded = Signal(object)
    failed = Signal(object)


class Task(QRunnable):
    """A callable run on the thread pool; its relay lives on the GUI thread."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self._fn: Callable[[], Any] | None = fn
        # Owned by the application, not by this task: the worker may drop the last Python
        # reference to the task, and a Qt object must not be deleted from there.
        self.relay = _Relay(QCoreApplication.instance())
        #: Set on the GUI thread when the outcome is no longer wanted; read by the worker.
        self.dropped = False

    def drop(self) -> None:
        """Forget the outcome: nothing is reported when the work ends."""
        self.dropped = True

    def release(self) -> None:
        """Let go of the work and the relay (on the GUI thread, once the outcome came)."""
        self._fn = None
        if shiboken6.isValid(self.relay):
            self.relay.deleteLater()

    def run(self) -> None:
        """Run the work; report the result or the exception (never raise into Qt)."""
        fn = self._fn
        try:
            assert fn is not None, "a task runs once"
            result = fn()
        except BaseException as error:  # every failure is reported to the GUI, never lost
            del fn  # the task's own reference is let go on the GUI thread (release)
            self._report(self.relay.failed, error)
            return
        del fn
        self._report(self.relay.succeeded, result)

    def _report(self, signal: SignalInstance, outcome: object) -> None:
        if self.dropped or not shiboken6.isValid(self.relay):
            return
        try:
            signal.emit(outcome)
        except RuntimeError:  # the relay was deleted between the check and the emit
            self.dropped = True


_running: set[Task] = set()
_quit_hooked: list[QCoreApplication] = []


def callback_owner(callback: Callable[..., Any]) -> QObject | None:
    """The Qt object a bound-method callback belongs to (None for any other callable)."""
    owner = getattr(callback, "__self__", None)
    return owner if isinstance(owner, QObject) else None


def _on_app_about_to_quit() -> None:
    """Drop every running task's outcome and let the work end before the interpreter does."""
    for task in list(_running):
        task.drop()
    if _running and not QThreadPool.globalInstance().waitForDone(QUIT_WAIT_MS):
        log.warning("background work still running at exit")


def _hook_quit() -> None:
    app = QCoreApplication.instance()
    if app is not None and app not in _quit_hooked:
        app.aboutToQuit.connect(_on_app_about_to_quit)
        _quit_hooked[:] = [app]


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None],
                      on_error: Callable[[BaseException], None], *,
                      receiver: QObject | None = None) -> Task:
    """Run ``fn()`` off the GUI thread; call ``on_done(result)`` or ``on_error(exc)`` after.

    The callbacks run on the GUI thread (queued signal), so they may update widgets. They are
    not called once ``receiver`` (by default the object a bound-method ``on_done`` or
    ``on_error`` belongs to) has been deleted.
    """
    owner = receiver or callback_owner(on_done) or callback_owner(on_error)
    task = Task(fn)
    _running.add(task)
    _hook_quit()

    def wanted() -> bool:
        _running.discard(task)
        task.release()
        return not task.dropped and (owner is None or shiboken6.isValid(owner))

    def finished_ok(result: object) -> None:
        if wanted():
            on_done(result)

    def finished_error(error: object) -> None:
        assert isinstance(error, BaseException)
        if wanted():
            on_error(error)

    task.relay.succeeded.connect(finished_ok)
    task.relay.failed.connect(finished_error)
    QThreadPool.globalInstance().start(task)
    return task


def pending_outcomes() -> int:
    """How many background tasks have yet to deliver their outcome (running, or finished with
    the callback still queued).

    A task whose outcome was dropped or whose relay is gone never delivers one, so it is not
    counted: otherwise whoever waits for the count to reach nought would wait for ever."""
    return sum(1 for task in _running if not task.dropped and shiboken6.isValid(task.relay))


def wait_for_background(timeout_ms: int = 30_000) -> bool:
    """Block until every background task has finished (used at exit and by tests)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
