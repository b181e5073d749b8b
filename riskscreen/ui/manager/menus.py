"""The hook the main window calls: a "Manage" menu whose entries depend on the role.

The main window gives a ``session_provider`` (the controller's signed-in session); the entries
open the manager's or the administrator's window. Roles are checked again by the services, so
hiding an entry is a convenience, never the protection.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QWidget,
)

if TYPE_CHECKING:
    from riskscreen.services import Session

# The services, storage and instruments are imported where they are used: the main window
# builds these menus before the unlock window shows, and importing them takes seconds.

#: The administrator's entry, named for what its window offers: a team server's database is
#: backed up by its IT department, so there the window has no backing up or restoring.
ADMIN_LABEL = "Accounts, backups, audit and settings…"
SERVER_ADMIN_LABEL = "Accounts, audit and settings…"

__all__ = ["ADMIN_LABEL", "SERVER_ADMIN_LABEL", "RoleMenus", "choose_instrument",
           "install_instrument", "open_admin_tools", "open_manager_tools"]


def choose_instrument(session: Session, parent: QWidget | None) -> str | None:
    """The instrument whose model and reports to open: the only one in use, or the one the
    manager picks when there are several (None if they cancel)."""
    from riskscreen.instruments import DEFAULT_INSTRUMENT

    offered = session.instruments.in_force()
    if len(offered) <= 1:
        return offered[0].id if offered else DEFAULT_INSTRUMENT
    titles = [i.title for i in offered]
    title, ok = QInputDialog.getItem(parent, "Scoring model and reports",
                                     "Which instrument's scoring model and reports?", titles,
                                     0, False)
    return offered[titles.index(title)].id if ok and title in titles else None


def open_manager_tools(session: Session, show_error: Callable[[str], Any],
                       parent: QWidget | None = None) -> Any:
    """The manager's window (model editor, impact, history, reports) for one instrument, or
    None if refused or cancelled."""
    from riskscreen.services import USER_ERRORS
    from riskscreen.ui.manager.controller import ManagerController

    try:
        session.models.history()  # the service checks the role
        instrument = choose_instrument(session, parent)
        if instrument is None:
            return None
        controller = ManagerController(session, instrument=instrument)
        controller.start()
        from riskscreen.ui.manager.reports import attach_reports

        attach_reports(controller)
    except USER_ERRORS as error:
        show_error(str(error))
        return None
    controller.window.show()
    return controller


def open_admin_tools(session: Session, show_error: Callable[[str], Any],
                     on_session_ended: Callable[[], Any] | None = None) -> Any:
    """The administrator's window (accounts, backups, audit, settings), or None if refused.

    ``on_session_ended`` is called once a restore has ended the session.
    """
    from riskscreen.services import USER_ERRORS
    from riskscreen.ui.admin.controller import AdminController

    try:
        controller = AdminController(session)
        if on_session_ended is not None:
            controller.restored.connect(on_session_ended)
        controller.start()
    except USER_ERRORS as error:
        show_error(str(error))
        return None
    controller.window.show()
    return controller


class _ClosedTools(QObject):
    """Deletes the tool windows that were closed, and lets go of their controllers.

    A closed tool window is only hidden, and its controller holds what it read (a manager's
    editor every finalised screening), so each one closed and opened again would stay for
    the rest of the day. A window is deleted once nothing can still report to it: no
    background work has an outcome to deliver (an administrator's key change shows the new
    recovery key when it ends, closed window or not) and no dialog is open.
    """

    #: How long to wait before looking again while work is still running.
    RETRY_MS = 500

    def __init__(self, parent: QObject, still_open: list[Any]) -> None:
        super().__init__(parent)
        #: The menus' list of open tools (a closed one is taken out of it).
        self.still_open = still_open
        #: Controllers whose windows closed, waiting to be deleted.
        self.waiting: list[Any] = []
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.delete_closed)

    def watch(self, controller: Any) -> None:
        """Delete ``controller``'s window once it has closed."""
        controller.window.installEventFilter(self)

    def closed(self, controller: Any) -> None:
        """``controller``'s window was closed: delete it when nothing can reach it any more."""
        if controller in self.still_open:
            self.still_open.remove(controller)
        if controller not in self.waiting:
            self.waiting.append(controller)
        self.timer.start(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Note a tool window's closing; whether it did close is looked at afterwards (a
        window may refuse). Nothing is filtered out."""
        if event.type() == QEvent.Type.Close:
            self.timer.start(0)
        return False

    def delete_closed(self) -> None:
        """Move the tools whose windows are hidden to the waiting ones; delete those if
        nothing can report to them now, else look again shortly."""
        from riskscreen.ui.worker import pending_outcomes

        for controller in list(self.still_open):
            window = controller.window
            if not shiboken6.isValid(window) or window.isHidden():
                self.closed(controller)
        for controller in list(self.waiting):  # shown again (a save failed as it closed)
            if shiboken6.isValid(controller.window) and not controller.window.isHidden():
                self.waiting.remove(controller)
                self.still_open.append(controller)
        if not self.waiting:
            return
        if pending_outcomes() or QApplication.activeModalWidget() is not None:
            self.timer.start(self.RETRY_MS)
            return
        waiting, self.waiting = self.waiting, []
        for controller in waiting:
            if shiboken6.isValid(controller.window):
                controller.window.deleteLater()


class RoleMenus:
    """Adds the "Manage" menu to a main window and shows its entries by role."""

    def __init__(self, window: QMainWindow, show: Callable[[str], None]) -> None:
        self.window = window
        #: Where a problem is said: the window's banner, never a modal box.
        self._show = show
        self.session_provider: Callable[[], Session | None] = lambda: None
        #: Called when a tool ended the session (a restore): the application signs out.
        self.on_session_ended: Callable[[], Any] = lambda: None
        bar = window.menuBar()
        self.menu = QMenu("&Manage", bar)
        existing = bar.actions()
        if existing:  # before Help, where people look for it
            bar.insertMenu(existing[-1], self.menu)
        else:
            bar.addMenu(self.menu)
        self.manager_action = QAction("Scoring model and reports…", window)
        self.admin_action = QAction(ADMIN_LABEL, window)
        self.install_action = QAction("Install an instrument…", window)
        self.install_action.setStatusTip("Check a folder holding a questionnaire, its scoring "
                                         "models and routing, then install it")
        self.agreement_action = QAction("Agreement exercises…", window)
        self.agreement_action.setStatusTip("Vignettes for practitioners to screen in practice "
                                           "mode, and how alike they scored them")
        self.menu.addAction(self.manager_action)
        self.menu.addAction(self.agreement_action)
        self.menu.addAction(self.admin_action)
        self.menu.addSeparator()
        self.menu.addAction(self.install_action)
        self.manager_action.triggered.connect(self._on_manager_action_triggered)
        self.admin_action.triggered.connect(self._on_admin_action_triggered)
        self.install_action.triggered.connect(self._on_install_action_triggered)
        self.agreement_action.triggered.connect(self._on_agreement_action_triggered)
        #: Practice mode for practitioners: vignettes to screen, never real screenings.
        self.practice_menu = QMenu("&Practice", bar)
        bar.insertMenu(self.menu.menuAction(), self.practice_menu)
        self.practice_action = QAction("Practice screenings of vignettes…", window)
        self.practice_menu.addAction(self.practice_action)
        self.practice_action.triggered.connect(self._on_practice_action_triggered)
        #: The tools whose windows are open (a closed one is deleted, see _ClosedTools).
        self.open: list[Any] = []
        self._closed = _ClosedTools(window, self.open)
        self.refresh(False)

    def refresh(self, signed_in: bool) -> None:
        """Show the entries the signed-in role may use; close the tools when locked."""
        session = self.session_provider() if signed_in else None
        # Role's values are its names in the database; comparing with them keeps the
        # services unimported while the unlock window is all there is.
        role = str(session.user.role) if session is not None else None
        self.manager_action.setVisible(role == "manager")
        self.agreement_action.setVisible(role == "manager")
        self.practice_action.setVisible(role == "practitioner")
        self.practice_menu.menuAction().setVisible(role == "practitioner")
        self.admin_action.setVisible(role == "administrator")
        self.admin_action.setText(SERVER_ADMIN_LABEL if session is not None and session.on_server
                                  else ADMIN_LABEL)
        self.install_action.setVisible(role in ("manager", "administrator"))
        self.menu.menuAction().setVisible(role in ("manager", "administrator"))
        if not signed_in:
            self.close_tools()

    def hold(self, busy: bool) -> None:
        """Keep the menus' entries from opening anything while a change is being made."""
        self.menu.setEnabled(not busy)
        self.practice_menu.setEnabled(not busy)

    def close_tools(self) -> None:
        """Close every tool window (each saves what was typed in it as it closes)."""
        for controller in list(self.open):
            controller.window.close()
            self._closed.closed(controller)

    def _on_manager_action_triggered(self) -> None:
        session = self.session_provider()
        if session is not None:
            opened = open_manager_tools(session, self._show, self.window)
            if opened is not None:
                self._add(opened)

    def _on_agreement_action_triggered(self) -> None:
        from riskscreen.ui.agreement import AgreementController

        self._open_tool(AgreementController)

    def _on_practice_action_triggered(self) -> None:
        from riskscreen.ui.agreement import PracticeController

        self._open_tool(PracticeController)

    def _open_tool(self, make: type[Any]) -> None:
        """Open one of the agreement windows (or bring back the one already open)."""
        from riskscreen.services import USER_ERRORS

        session = self.session_provider()
        if session is None:
            return
        for controller in self.open:
            if isinstance(controller, make) and not controller.window.isHidden():
                controller.window.raise_()
                controller.window.activateWindow()
                return
        try:
            controller = make(session)
            controller.start()
        except USER_ERRORS as error:
            self._show(str(error))
            return
        controller.window.show()
        self._add(controller)

    def _add(self, controller: Any) -> None:
        """Keep an opened tool until its window closes."""
        self.open.append(controller)
        self._closed.watch(controller)

    def _on_session_ended(self) -> None:
        self.on_session_ended()

    def _on_admin_action_triggered(self) -> None:
        session = self.session_provider()
        if session is not None:
            opened = open_admin_tools(session, self._show, self._on_session_ended)
            if opened is not None:
                self._add(opened)

    def _on_install_action_triggered(self) -> None:
        session = self.session_provider()
        if session is None:
            return
        folder = QFileDialog.getExistingDirectory(
            self.window, "Choose the instrument folder (the one holding instrument.yaml)")
        if folder:
            install_instrument(self.window, session, Path(folder), self._show)


def install_instrument(parent: QWidget, session: Session, folder: Path,
                       show: Callable[[str], None]) -> None:
    """Check and install an instrument folder off the GUI thread; then say what was
    installed, or list every problem that stopped it (any other failure goes to ``show``)."""
    from riskscreen.services.instruments import InstallResult, InstrumentRefused
    from riskscreen.ui.operations import ChangeOp

    def refused(error: BaseException) -> bool:
        if not isinstance(error, InstrumentRefused):
            return False
        count = len(error.problems)
        what = ("one problem to fix first:" if count == 1 else
                f"{count} problems to fix first (Show Details lists them all). The first:")
        box = QMessageBox(QMessageBox.Icon.Warning, "Instrument not installed",
                          f"The folder {folder.name} was not installed: {what}\n\n"
                          f"{error.problems[0] if error.problems else ''}", parent=parent)
        box.setObjectName("instrumentRefused")
        box.setDetailedText("\n".join(error.problems))
        box.open()
        return True

    def installed(result: InstallResult) -> None:
        info = result.instrument
        stored = ("a new version" if result.form_stored
                  else "already installed; nothing in it changed")
        models = (f" Scoring models published: {', '.join(result.models_published)}."
                  if result.models_published else "")
        box = QMessageBox(QMessageBox.Icon.Information, "Instrument installed",
                          f"{info.title} is installed: questionnaire version "
                          f"{info.form_version}, {stored}.{models} It is offered when a "
                          "screening starts.", parent=parent)
        box.setObjectName("instrumentInstalled")
        box.open()

    ChangeOp(lambda: session.instruments.install_folder(folder), show=show,
             what="instrument install").failure(refused).success(
        installed).run_in_background()
