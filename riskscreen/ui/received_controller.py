"""Wires the received-referral pages (:mod:`riskscreen.ui.received`) to ``session.exchange``.

The same service methods as ``riskscreen package received|decide|outcome|close|reply``: the service
checks the role, records the audit entry and refuses what the status does not allow; its
message is shown in the page or dialog that asked. Reads run through
:class:`~riskscreen.ui.operations.QueryOp`, changes through
:class:`~riskscreen.ui.operations.ChangeOp`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog
from shiboken6 import isValid

from riskscreen.services import Session
from riskscreen.services.exchange import Imported, MadePackage, ReceivedReferral
from riskscreen.services.types import PackageKind
from riskscreen.ui.home import LevelStyle
from riskscreen.ui.operations import ChangeOp, QueryOp
from riskscreen.ui.received import (
    CloseDialog,
    DecisionDialog,
    ReceivedListView,
    ReceivedOutcomeDialog,
    ReceivedView,
    status_words,
)

__all__ = ["ReceivedController"]


class _App(Protocol):
    """What this needs of the application controller."""

    session: Session | None
    levels: dict[str, LevelStyle]

    @property
    def window(self) -> Any: ...

    def show_history(self, child_id: int) -> None: ...


class ReceivedController(QObject):
    """The received referrals list, one received referral, and the team's steps on it."""

    def __init__(self, app: _App, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        window = app.window
        self.list_view = ReceivedListView(window.stack)
        self.view = ReceivedView(window.stack)
        window.add_page(self.list_view)
        window.add_page(self.view)
        self.dialog: CloseDialog | DecisionDialog | ReceivedOutcomeDialog | None = None
        window.received_action.triggered.connect(self.show_list)
        self.list_view.open_requested.connect(self.open)
        self.list_view.import_requested.connect(window.import_action.trigger)
        self.list_view.back_requested.connect(window.home_action.trigger)
        self.view.back_requested.connect(self.show_list)
        self.view.child_requested.connect(app.show_history)
        self.view.decide_requested.connect(self._on_view_decide_requested)
        self.view.outcome_requested.connect(self._on_view_outcome_requested)
        self.view.reply_requested.connect(self._on_view_reply_requested)
        self.view.close_requested.connect(self._on_view_close_requested)

    # -- pages ---------------------------------------------------------------------------------

    def show_list(self) -> None:
        """Fetch the received referrals and show the list (the service checks the role)."""
        session = self.app.session
        if session is None:
            return
        QueryOp(session.exchange.list_received, show=self.app.window.show_message,
                what="received referrals").success(self._on_listed).run_in_background()

    def _on_listed(self, rows: list[ReceivedReferral]) -> None:
        if not isValid(self.list_view) or self.app.session is None:
            return
        self.list_view.set_rows(rows)
        self.app.window.show_page(self.list_view)

    def open(self, received_id: int) -> None:
        """Show one received referral."""
        session = self.app.session
        if session is None:
            return
        QueryOp(lambda: session.exchange.received(received_id),
                show=self.app.window.show_message, what="received referral") \
            .success(self._on_opened).run_in_background()

    def _on_opened(self, received: ReceivedReferral) -> None:
        if not isValid(self.view) or self.app.session is None:
            return
        self.view.show_received(received, self.app.levels)
        self.view.show_done("")
        self.app.window.show_page(self.view)

    def imported(self, result: Imported) -> None:
        """A package was imported from File › Import a package: a new received referral is
        opened, so the team can read and decide on it; a list on screen is refreshed."""
        if result.kind == PackageKind.REFERRAL and result.changed:
            self.open(result.received_id)
        elif self.app.window.stack.currentWidget() is self.list_view:
            self.show_list()

    def clear(self) -> None:
        """Forget what is shown (on locking or signing out)."""
        if self.dialog is not None:
            self.dialog.reject()
        self.list_view.set_rows([])
        self.view.clear()

    # -- the team's steps ----------------------------------------------------------------------

    def _step(self, dialog: CloseDialog | DecisionDialog | ReceivedOutcomeDialog,
              work: Callable[[ReceivedReferral, dict[str, Any]], ReceivedReferral],
              said: Callable[[ReceivedReferral], str]) -> None:
        """Show ``dialog``; its values go to ``work`` off the GUI thread; the page shows the
        referral as it now stands when it worked, the dialog the refusal when not."""
        received = self.view.received
        if received is None:
            return
        self.dialog = dialog

        def submitted(values: dict[str, Any]) -> None:
            dialog.ok_button.setEnabled(False)

            def busy(on: bool) -> None:
                if not on and isValid(dialog):
                    dialog.ok_button.setEnabled(True)

            def done(updated: ReceivedReferral) -> None:
                if isValid(dialog):
                    dialog.accept()
                if isValid(self.view) and self.app.session is not None:
                    self.view.show_received(updated, self.app.levels)
                    self.view.show_done(said(updated))

            ChangeOp(lambda: work(received, values), show=dialog.show_error,
                     what="received referral step").busy(busy).success(done) \
                .run_in_background()

        dialog.submitted.connect(submitted)
        dialog.finished.connect(self._on_dialog_finished)
        dialog.open()

    def _on_dialog_finished(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def _on_view_decide_requested(self) -> None:
        session = self.app.session
        if session is None:
            return
        exchange = session.exchange
        self._step(DecisionDialog(self.app.window),
                   lambda r, v: exchange.decide(r.id, v["accept"], v["reason"]),
                   lambda r: f"{status_words(r.status)}. Record outcomes as they happen, and "
                             "save a reply package to tell the sender.")

    def _on_view_outcome_requested(self) -> None:
        session = self.app.session
        if session is None:
            return
        exchange = session.exchange
        self._step(ReceivedOutcomeDialog(self.app.window),
                   lambda r, v: exchange.add_outcome(r.id, v["outcome"], v["detail"],
                                                     confirmed=v["confirmed"],
                                                     source=v["source"]),
                   lambda _r: "Outcome recorded. Save a reply package to tell the sender.")

    def _on_view_close_requested(self) -> None:
        session = self.app.session
        if session is None:
            return
        exchange = session.exchange
        self._step(CloseDialog(self.app.window),
                   lambda r, v: exchange.close(r.id, v["reason"]),
                   lambda _r: "Closed. Save a reply package to tell the sender.")

    def _on_view_reply_requested(self) -> None:
        session, received = self.app.session, self.view.received
        if session is None or received is None:
            return
        self.view.show_error("")
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", received.reference).strip("-") or "referral"
        path, _ = QFileDialog.getSaveFileName(
            self.app.window, "Save the reply package", str(Path.home() / f"reply-{safe}.p7m"),
            "Exchange packages (*.p7m)")
        if not path:
            return
        exchange, rid = session.exchange, received.id

        def done(made: MadePackage) -> None:
            if isValid(self.view):
                self.view.show_done(
                    f"Reply saved to {made.path} for {made.recipient} (certificate SHA-256 "
                    f"{made.recipient_fingerprint[:23]}…). Send it to them by secure email or "
                    "on an encrypted stick.")

        ChangeOp(lambda: exchange.save_reply_package(rid, Path(path)),
                 show=self.view.show_error, what="reply package") \
            .unexpected("The reply could not be saved there. Choose a folder you can write "
                        "to.") \
            .success(done).run_in_background()
