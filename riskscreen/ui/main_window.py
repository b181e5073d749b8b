"""The main window: one page at a time in a stack, the menus, and a banner for problems.

Layout only; :class:`riskscreen.ui.controller.AppController` decides what is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from riskscreen.ui.widgets import FRAME_ALLOWANCE, MessageBanner, banner_over

__all__ = ["IdleWatcher", "MainWindow", "PageStack", "first_field"]

DEFAULT_SIZE = (1280, 720)
#: What counts as a field for the cursor to start in (rather than a button).
FIELD_TYPES = (QLineEdit, QPlainTextEdit, QComboBox, QAbstractSpinBox, QAbstractItemView)


class IdleWatcher(QObject):
    """Emits ``idle`` when there has been no keyboard or mouse input for a while."""

    idle = Signal()

    INPUT_EVENTS = frozenset({
        QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
        QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.InputMethod,
    })

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self._watching = False
        self.set_minutes(minutes)

    def set_minutes(self, minutes: float) -> None:
        """Change the idle time (0 turns automatic locking off)."""
        self.minutes = minutes
        self.timer.setInterval(max(1, int(minutes * 60_000)))
        self.restart()

    def restart(self) -> None:
        """Start counting again."""
        if self.minutes > 0:
            self.timer.start()
            self._watch(True)
        else:
            self.stop()

    def stop(self) -> None:
        """Stop counting (while locked)."""
        self.timer.stop()
        self._watch(False)

    def _watch(self, on: bool) -> None:
        """Look at the application's events only while counting: the filter sees every event
        of every object (paints, timers, database replies), each one a call into Python, so
        while locked or with locking off nothing passes through it."""
        app = QApplication.instance()
        if app is None or on == self._watching:
            return
        if on:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)
        self._watching = on

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Any input restarts the count; nothing is filtered out."""
        if event.type() in self.INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False


def first_field(page: QWidget) -> QWidget | None:
    """Where the cursor goes when ``page`` is shown.

    A page may name it (``first_field()``, for example the unlock screen's passphrase);
    otherwise it is the first field in the page's Tab order that can be typed into or
    chosen from, and failing that its first Tab stop of any kind.
    """
    chooser = getattr(page, "first_field", None)
    if callable(chooser):
        chosen = chooser()
        if isinstance(chosen, QWidget):
            return chosen
    first_stop: QWidget | None = None
    widget = page.nextInFocusChain()
    while widget is not None and widget is not page and page.isAncestorOf(widget):
        if (widget.isVisibleTo(page) and widget.isEnabled()
                and widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
            if isinstance(widget, FIELD_TYPES):
                return widget
            first_stop = first_stop or widget
        widget = widget.nextInFocusChain()
    return first_stop


class PageStack(QStackedWidget):
    """The window's pages, one shown at a time, asking only the shown page's room.

    A stack is as large as its largest page by default, so a page never shown on this visit
    (the links between children, with their word-wrapped notes) made every other page taller
    than a 1366x768 screen at 150 %.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(self._on_self_current_changed)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """The shown page's minimum."""
        page = self.currentWidget()
        if page is None:
            return super().minimumSizeHint()
        return page.minimumSizeHint().expandedTo(page.minimumSize())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """The shown page's preferred size."""
        page = self.currentWidget()
        return super().sizeHint() if page is None else page.sizeHint()

    def _on_self_current_changed(self, _index: int) -> None:
        self.updateGeometry()


class MainWindow(QMainWindow):
    """Pages, menus and the problem banner; ``closing`` is emitted when the window closes or
    the application quits, so what is being typed can be saved first."""

    closing = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("RiskScreen")
        self.setObjectName("mainWindow")
        self.stack = PageStack(self)
        self.banner = MessageBanner(self)
        banner_over(self, self.banner, self.stack)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.new_action = QAction("&New screening…", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.home_action = QAction("&Screenings list", self)
        self.home_action.setShortcut("Ctrl+Home")
        self.import_action = QAction("&Import a package…", self)
        self.import_action.setToolTip("Import a referral or a reply sent as an exchange package")
        self.received_action = QAction("&Received referrals", self)
        self.received_action.setShortcut("Ctrl+R")
        self.received_action.setToolTip("Referrals sent to your team as exchange packages: "
                                        "decide, record outcomes and reply")
        self.lock_action = QAction("&Lock", self)
        self.lock_action.setShortcut("Ctrl+L")
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        for action in (self.new_action, self.home_action, self.import_action,
                       self.received_action, self.lock_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        settings_menu = menu.addMenu("&Settings")
        self.idle_action = QAction("Lock automatically after…", self)
        settings_menu.addAction(self.idle_action)
        help_menu = menu.addMenu("&Help")
        self.help_action = QAction("&Help and keyboard shortcuts", self)
        # F1 on a question opens its "What to look for"; elsewhere it opens this help.
        self.help_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        help_menu.addAction(self.help_action)
        self.log_action = QAction("Where is the problem log?", self)
        self.about_action = QAction("&About RiskScreen", self)
        help_menu.addAction(self.log_action)
        help_menu.addAction(self.about_action)
        self.quit_action.triggered.connect(self.close)
        app = QApplication.instance()
        if app is not None:
            # Quitting without closing the window (for example at log-out) saves typing too.
            app.aboutToQuit.connect(self._on_app_about_to_quit)
        # Manager and administrator tools, shown by role; the controller gives the session
        # through ``role_menus.session_provider`` (riskscreen.ui.manager.menus).
        from riskscreen.ui.manager.menus import RoleMenus

        self.role_menus = RoleMenus(self, self.show_message)
        self.role: str | None = None
        self.set_role(None)
        self.set_signed_in(False)
        self.restore_geometry()

    def set_role(self, role: str | None) -> None:
        """Offer in the File menu only what ``role`` can do (None: nobody signed in, when
        every entry shows, disabled). The services check again."""
        self.role = role
        analyst = administrator = False
        screens = True
        if role is not None:
            # Imported here: the window is built before the services have loaded.
            from riskscreen.services.types import Role

            # The roles that screen children start screenings and work on received referrals.
            screens = role in (Role.PRACTITIONER, Role.MANAGER)
            analyst, administrator = role == Role.ANALYST, role == Role.ADMINISTRATOR
        for action in (self.new_action, self.home_action, self.received_action):
            action.setVisible(screens)
        self.import_action.setVisible(not administrator)
        self.import_action.setToolTip(
            "Import an intelligence submission sent as an exchange package"
            if analyst else
            "Import a referral or a reply sent as an exchange package")

    def set_signed_in(self, signed_in: bool) -> None:
        """Actions that touch children's data exist only while unlocked."""
        self._enable_actions(signed_in)
        self.role_menus.refresh(signed_in)

    def hold(self, busy: bool) -> None:
        """While a change is being made, nothing that starts another one can be chosen; the
        tool windows (a practice screening, the scoring model) stay open as they are."""
        self._enable_actions(not busy)
        self.role_menus.hold(busy)

    def _enable_actions(self, enabled: bool) -> None:
        for action in (self.new_action, self.home_action, self.import_action,
                       self.received_action, self.lock_action, self.idle_action):
            action.setEnabled(enabled)

    def add_page(self, page: QWidget) -> None:
        """Put a page in the stack (the window owns it from then on) without showing it."""
        if self.stack.indexOf(page) < 0:
            self.stack.addWidget(page)

    def show_page(self, page: QWidget) -> None:
        """Show one page (adding it to the stack if needed), with the cursor in its first
        field."""
        self.add_page(page)
        self.stack.setCurrentWidget(page)
        target = first_field(page)
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_message(self, text: str) -> None:
        """A problem in plain words, shown in the banner until dismissed."""
        self.banner.show_message(text)

    def hide_message(self) -> None:
        """Remove the banner."""
        self.banner.clear()

    # -- remembered geometry -------------------------------------------------------------------

    def geometry_key(self) -> str:
        """Where the geometry is kept: one entry per screen size and scale factor.

        A window sized on a 1366x768 screen at 150 % (910x512 logical) would be far too small
        at 100 %, and one sized at 100 % would not fit at 150 %, so each is kept apart.
        """
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return "window/geometry"
        size = screen.availableGeometry().size()
        ratio = round(screen.devicePixelRatio() * 100)
        return f"window/geometry-{size.width()}x{size.height()}-{ratio}"

    def restore_geometry(self) -> None:
        """Size, position and window state as last left on this screen at this scale, if it
        still fits; a laptop-sized default that fits the screen otherwise."""
        screen = self.screen() or QApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        geometry = self.settings.value(self.geometry_key())
        if (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)
                and (available is None or available.contains(self.geometry()))):
            return
        width, height = DEFAULT_SIZE
        self.setWindowState(Qt.WindowState.WindowNoState)
        if available is not None and (available.width() < width + FRAME_ALLOWANCE
                                      or available.height() < height + FRAME_ALLOWANCE):
            # A small screen: fill it, title bar and all, rather than hang off its bottom.
            self.resize(available.width() - FRAME_ALLOWANCE, available.height() - FRAME_ALLOWANCE)
            self.move(available.topLeft())
            self.setWindowState(Qt.WindowState.WindowMaximized)
            return
        self.resize(width, height)

    def restore_splitter(self, splitter: QSplitter) -> None:
        """A splitter's sizes as last left."""
        state = self.settings.value(f"splitters/{splitter.objectName()}")
        if isinstance(state, QByteArray):
            splitter.restoreState(state)

    def save_splitter(self, splitter: QSplitter) -> None:
        """Remember a splitter's sizes."""
        self.settings.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())

    def _on_app_about_to_quit(self) -> None:
        self.closing.emit()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Save what is being typed and remember the window's geometry."""
        self.closing.emit()
        self.settings.setValue(self.geometry_key(), self.saveGeometry())
        self.settings.sync()
        super().closeEvent(event)
