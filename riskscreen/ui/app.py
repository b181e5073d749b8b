"""Starting the desktop application: ``riskscreen`` with no subcommand calls :func:`run`.

Sets the names QSettings uses, high-DPI rounding, the style sheet and fonts, and an exception
hook that writes a log without personal data and tells the user, in plain words, where it is.
"""

from __future__ import annotations

import argparse
import importlib
import linecache
import logging
import logging.handlers
import os
import sys
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import Any

from platformdirs import user_data_dir
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFontDatabase, QGuiApplication, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

import riskscreen
from riskscreen.errorlog import describe_exception, log_path
from riskscreen.ui.collector import install_main_thread_collector

__all__ = ["APP_NAME", "ORGANISATION", "apply_style", "configure_application", "database_path",
           "log_path", "run"]

APP_NAME = "RiskScreen"
#: How a ``--db`` value naming a team server's database begins.
SERVER_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
ORGANISATION = "RiskScreen"

log = logging.getLogger("riskscreen")


def _setup_logging() -> Path:
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("riskscreen")
    if not any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


_showing = False


def _exception_hook(exc_type: type[BaseException], exc: BaseException,
                    tb: TracebackType | None) -> None:
    global _showing
    log.error("unexpected error (version %s):\n%s", riskscreen.__version__,
              describe_exception(exc_type, tb))
    app = QApplication.instance()
    if app is None or _showing:
        return
    _showing = True
    try:
        QMessageBox.critical(
            None, "Something went wrong",
            "RiskScreen ran into a problem it did not expect. Answers already shown as saved "
            "are safe in the database.\n\nA note of what went wrong, without any personal "
            f"information, was written to:\n{log_path()}\n\nPlease send that file to your "
            "system administrator. You can carry on working; if something looks wrong, "
            "close RiskScreen and open it again.")
    finally:
        _showing = False


def install_exception_hook() -> None:
    """Log unexpected exceptions without personal data and tell the user where the log is."""
    sys.excepthook = _exception_hook


def _resource(*parts: str) -> Traversable:
    """A shipped resource file, as :func:`riskscreen.definitions.data_file` finds it.

    Found here without importing :mod:`riskscreen.definitions`, whose YAML and validation
    libraries would delay the unlock window.
    """
    node = resources.files("riskscreen._defs.resources")
    for part in parts:
        node = node.joinpath(part)
    return node


def _load_fonts() -> None:
    """Register the shipped DejaVu fonts, so text renders the same on every machine."""
    folder = _resource("fonts")
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        node = folder / name
        if node.is_file():
            QFontDatabase.addApplicationFontFromData(node.read_bytes())


def apply_style(app: QApplication) -> None:
    """The application's style sheet (``resources/styles/app.qss``) and icon."""
    node = _resource("styles", "app.qss")
    if node.is_file():
        app.setStyleSheet(node.read_text(encoding="utf-8"))
    icon = _resource("icons", "app.png")
    if icon.is_file():
        pixmap = QPixmap()
        if pixmap.loadFromData(icon.read_bytes()):
            app.setWindowIcon(QIcon(pixmap))


def configure_application() -> None:
    """Names and high-DPI policy; call before the QApplication is created.

    The version follows once the unlock window is up (:func:`_note_version`): reading it
    from the package's metadata takes a noticeable part of the start.
    """
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APP_NAME)
    if QGuiApplication.instance() is None:  # only possible before the application exists
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="riskscreen", add_help=False)
    parser.add_argument("--db", default=None,
                        help="the database file (default: in your user data folder), or a "
                             "team server's postgresql://HOST/DATABASE")
    parser.add_argument("--db-ca", default=None,
                        help="a team server's certificate authority (default: "
                             "$RISKSCREEN_DB_CA, else the URL's sslrootcert)")
    args, _ = parser.parse_known_args(list(argv))
    return args


def database_path(given: Path | None) -> Path:
    """The database the app opens: ``--db``, else ``$RISKSCREEN_DB``, else the user data folder.

    The same rule as :func:`riskscreen.services.default_db_path` (a test keeps them equal),
    without importing the services: the unlock window appears before they are loaded.
    """
    if given is not None:
        return given.expanduser()
    env = os.environ.get("RISKSCREEN_DB")
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir("riskscreen", appauthor=False)) / "riskscreen.db"


class _UnkeptSourceLines(dict[str, Any]):
    """A :data:`linecache.cache` that keeps nothing: every lookup reads the file again."""

    def __setitem__(self, key: str, value: Any) -> None:
        pass


def keep_no_source_lines() -> None:
    """Stop :mod:`linecache` keeping the source of every module imported from now on.

    Once PySide6 is imported it reads the source of each module imported after it (its
    ``__feature__`` check calls ``inspect.getsource``), and linecache would keep those lines
    for the life of the process: about 40 MB for the app's modules, a seventh of its memory.
    Tracebacks still show their lines; they read them from the file when they need them.
    """
    linecache.clearcache()
    linecache.cache = _UnkeptSourceLines()


class _Startup(QObject):
    """Shows the unlock window at once and loads the rest of the app in the background.

    Importing the services, storage and PDF libraries takes a second or two; the
    practitioner types their passphrase meanwhile. The import starts once the unlock window
    has been painted, so it never delays the window itself (it would compete with it for the
    interpreter). An unlock asked for before the import finishes is carried out as soon as
    it has.
    """

    #: Start the import anyway after this long if no paint was seen (a hidden window).
    LOAD_AFTER_MS = 300

    def __init__(self, db_path: Path, server: str | None = None,
                 ca_file: Path | None = None) -> None:
        super().__init__()
        from PySide6.QtCore import QSettings

        from riskscreen.ui.connect import ConnectView
        from riskscreen.ui.main_window import MainWindow
        from riskscreen.ui.unlock import UnlockView

        self.db_path = db_path
        #: A team server's address: its connection window shows first, then the unlock one.
        self.server = server
        self.ca_file = ca_file
        self.settings = QSettings()
        self.window = MainWindow(self.settings)
        self.unlock_view = UnlockView()
        self.unlock_view.set_locked(None)
        self.connect_view: ConnectView | None = None
        if server is not None:
            self.connect_view = ConnectView()
            self.connect_view.set_busy(True, "Starting RiskScreen…")
            self.window.show_page(self.connect_view)
        else:
            self.window.show_page(self.unlock_view)
        self.controller: Any = None
        self.pending: tuple[str, str] | None = None
        self.loading = False
        self.unlock_view.unlock_requested.connect(self._on_unlock_view_unlock_requested)
        first = self.connect_view or self.unlock_view
        first.installEventFilter(self)
        QTimer.singleShot(self.LOAD_AFTER_MS, self, self._load)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Start loading once the first window has been painted; nothing is filtered out."""
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self._load)
        return False

    def _load(self) -> None:
        if self.loading:
            return
        self.loading = True
        _note_version()
        from riskscreen.ui.worker import run_in_background

        run_in_background(lambda: importlib.import_module("riskscreen.ui.controller"),
                          self._on_loaded, self._on_failed)

    def _on_unlock_view_unlock_requested(self, name: str, passphrase: str) -> None:
        if self.controller is None:
            self.pending = (name, passphrase)
            self.unlock_view.set_busy(True)

    def _on_loaded(self, module: Any) -> None:
        controller_class = module.AppController
        self.unlock_view.unlock_requested.disconnect(self._on_unlock_view_unlock_requested)
        self.controller = controller_class(db_path=self.db_path, settings=self.settings,
                                           window=self.window, unlock_view=self.unlock_view,
                                           server=self.server, ca_file=self.ca_file,
                                           connect_view=self.connect_view)
        if self.connect_view is not None:
            self.connect_view.set_busy(False)
            self.controller.start()
        if self.pending is not None:
            name, passphrase = self.pending
            self.pending = None
            self.unlock_view.set_busy(False)
            self.unlock_view.unlock_requested.emit(name, passphrase)

    def _on_failed(self, error: BaseException) -> None:
        _exception_hook(type(error), error, error.__traceback__)


def run(argv: Sequence[str]) -> int:
    """Start the application; returns the exit code."""
    args = _parse(argv)
    given = args.db or os.environ.get("RISKSCREEN_DB") or ""
    # The same test as riskscreen.store.backend.is_server_url, without importing the storage
    # before the first window shows (a test keeps them equal).
    server = given if given.startswith(SERVER_SCHEMES) else None
    keep_no_source_lines()
    _setup_logging()
    configure_application()
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    assert isinstance(app, QApplication)
    install_main_thread_collector()
    _load_fonts()
    apply_style(app)
    install_exception_hook()
    db_path = database_path(Path(args.db) if args.db and server is None else None)
    window: QWidget
    if server is not None or db_path.exists():
        startup = _Startup(db_path, server, Path(args.db_ca) if args.db_ca else None)
        window = startup.window
    else:
        from riskscreen.ui.controller import AppController

        controller = AppController(db_path=db_path)
        controller.start()
        window = controller.window
        _note_version()
    window.show()
    return app.exec()


def _note_version() -> None:
    """Give Qt the application's version and log the start (once the first window is up,
    when it is the unlock window)."""
    QCoreApplication.setApplicationVersion(riskscreen.__version__)
    log.info("started version %s", riskscreen.__version__)
