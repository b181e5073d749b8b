"""Background operations: service calls that may take a while, run off the GUI thread.

Two builders over :func:`riskscreen.ui.worker.run_in_background`:

- :class:`ChangeOp` for calls that change the records (finalise, set-up). It shows the wait
  cursor and keeps the caller's view busy until the call is over, so nothing else is asked of
  the session meanwhile.
- :class:`QueryOp` for calls that only read or prepare something (unlock, rendering a PDF).

Both show a service's own message (:data:`riskscreen.services.USER_ERRORS`) where the caller
says, unless a failure handler is given; anything unexpected is logged by its type only (never
personal data) and shown as the caller's plain fallback text.

    ChangeOp(lambda: session.screenings.finalise(sid), show=view.show_error) \\
        .success(lambda _: reopen()).run_in_background()
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, Self, TypeVar

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from riskscreen.services import USER_ERRORS
from riskscreen.services.errors import SessionClosed
from riskscreen.ui.worker import callback_owner, run_in_background

__all__ = ["ChangeOp", "QueryOp"]

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_UNEXPECTED = ("Something went wrong, and RiskScreen could not finish this. What was "
                      "saved before is kept; please tell your administrator.")


def _deleted(callback: Callable[..., object]) -> bool:
    """Whether ``callback`` is a method of a Qt object that has been deleted."""
    owner = callback_owner(callback)
    return owner is not None and not shiboken6.isValid(owner)


class _Op(Generic[T]):
    """What both builders share: the call, where its messages go, and the callbacks."""

    def __init__(self, op: Callable[[], T], *, show: Callable[[str], None],
                 what: str = "background operation") -> None:
        self._op = op
        self._show = show
        self._what = what
        self._unexpected: str | Callable[[BaseException], str] = DEFAULT_UNEXPECTED
        self._on_success: Callable[[T], None] = lambda _result: None
        self._on_failure: Callable[[BaseException], bool] | None = None
        self._busy: Callable[[bool], None] | None = None

    def success(self, fn: Callable[[T], None]) -> Self:
        """Call ``fn(result)`` on the GUI thread when the operation worked."""
        self._on_success = fn
        return self

    def failure(self, fn: Callable[[BaseException], bool]) -> Self:
        """Call ``fn(error)`` first when it failed; returning True means it was handled."""
        self._on_failure = fn
        return self

    def unexpected(self, text: str | Callable[[BaseException], str]) -> Self:
        """The plain words shown when the failure is not one the services describe (or a
        function of the error that gives them, for example naming its type)."""
        self._unexpected = text
        return self

    def busy(self, fn: Callable[[bool], None]) -> Self:
        """Call ``fn(True)`` before the operation and ``fn(False)`` once it is over."""
        self._busy = fn
        return self

    def _begin(self) -> None:
        if self._busy is not None:
            self._busy(True)

    def _end(self) -> None:
        # A busy method of a widget deleted meanwhile (the dialog was closed) cannot be
        # told; a function is, and looks after what it touches itself.
        if self._busy is not None and not _deleted(self._busy):
            self._busy(False)

    #: Whether a failure because the session ended meanwhile (a lock) goes unsaid.
    _quiet_when_closed = False

    def _gone(self) -> bool:
        """Whether the object a callback belongs to (the messages' label or window, the
        controller or view the outcome is for) was deleted meanwhile: the outcome then has
        no one to go to and is dropped (the busy state still ends)."""
        return any(_deleted(fn) for fn in (self._show, self._on_success, self._on_failure)
                   if fn is not None)

    def _failed(self, error: BaseException) -> None:
        self._end()
        if self._gone():
            return
        if self._on_failure is not None and self._on_failure(error):
            return
        if self._quiet_when_closed and isinstance(error, SessionClosed):
            log.info("%s ended with the session", self._what)
            return
        if isinstance(error, USER_ERRORS):
            self._show(str(error))
            return
        log.error("%s failed (%s)", self._what, type(error).__name__)
        self._show(self._unexpected if isinstance(self._unexpected, str)
                   else self._unexpected(error))

    def _succeeded(self, result: object) -> None:
        self._end()
        if self._gone():
            return
        self._on_success(result)  # type: ignore[arg-type]  # the worker carries T as object

    def run_in_background(self) -> None:
        """Start the operation; the callbacks run on the GUI thread afterwards."""
        self._begin()
        run_in_background(self._op, self._succeeded, self._failed)


class QueryOp(_Op[T]):
    """A call that reads or prepares something; the GUI stays usable meanwhile. If the
    session ends while it runs (RiskScreen locked), it ends without a word: what it read is
    no longer wanted, and the unlock screen is showing."""

    _quiet_when_closed = True


class ChangeOp(_Op[T]):
    """A call that changes the records: the wait cursor shows until it is over."""

    def _begin(self) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        super()._begin()

    def _end(self) -> None:
        super()._end()
        QGuiApplication.restoreOverrideCursor()
