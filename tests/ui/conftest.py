"""Fixtures for the GUI tests: the shipped form, its model, and a fast encrypted database."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.model import ScoringModel
from riskscreen.services import Session
from riskscreen.ui.admin.controller import AdminController
from riskscreen.ui.controller import AppController
from riskscreen.ui.manager.controller import ManagerController
from riskscreen.ui.worker import wait_for_background

from ..conftest import FAST, PASSPHRASES, Vault, VaultTemplates, make_vault

SCREENING_DATE = date(2026, 3, 2)
#: The practitioner that :func:`ready_app`'s database holds (GUI tests type these).
PAT = ("pat", "practitioner passphrase")


@pytest.fixture(scope="session")
def form() -> FormDefinition:
    """The shipped questionnaire."""
    return load_form("cse-screening")


@pytest.fixture(scope="session")
def model(form: FormDefinition) -> ScoringModel:
    """The shipped scoring model."""
    return load_model("cse-screening", form)


#: Harmless messages of Qt's offscreen platform, which has no window manager.
OFFSCREEN_NOISE = ("This plugin does not support",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every GUI test ignores the offscreen platform's notices (and nothing else)."""
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread() -> Iterator[None]:
    """Free each test's leftover cycles here, on the GUI thread, before the next test starts
    workers (the application collects from a GUI-thread timer; tests may not run it long).
    The widgets pytest-qt closed are deleted first: it only asks for their deletion, which
    outside an event loop waits for a later test's wait, so a module that never waits kept
    every earlier test's widgets for the next ones to pay for."""
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def _close(controller: AppController) -> None:
    wait_for_background()
    # Until it is collected, a finished test's controller would otherwise go on counting
    # input through an application-wide event filter in every later test.
    controller.idle.stop()
    if controller.session is not None:
        controller.session.close()


@pytest.fixture
def app(qtbot: QtBot, tmp_path: Path) -> Iterator[AppController]:
    """The application in a 1366x768 window, before its first start (no database yet: the
    test runs the set-up assistant)."""
    controller = AppController(tmp_path / "data" / "riskscreen.db", settings=_settings(tmp_path),
                               kdf=FAST, sleep=lambda _: None, auto_backups=False)
    qtbot.addWidget(controller.window)
    controller.window.resize(1366, 768)
    controller.window.show()
    yield controller
    _close(controller)


@pytest.fixture
def ready_app(qtbot: QtBot, tmp_path: Path,
              vault_templates: VaultTemplates) -> Iterator[AppController]:
    """The application in an active 1366x768 window over a database with a practitioner,
    Pat Example (:data:`PAT`)."""
    def add_pat(vault: Vault) -> None:
        with vault.login("admin") as admin:
            admin.accounts.create(PAT[0], "practitioner", PAT[1], display_name="Pat Example")

    db = tmp_path / "riskscreen.db"
    vault_templates.copy(db, (), then=add_pat, name="pat example")
    controller = AppController(db, settings=_settings(tmp_path), kdf=FAST,
                               sleep=lambda _: None, auto_backups=False)
    qtbot.addWidget(controller.window)
    controller.window.resize(1366, 768)
    controller.window.show()
    controller.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is controller.window, timeout=3000)
    yield controller
    _close(controller)


_TEMPLATES: list[VaultTemplates] = []


@pytest.fixture(autouse=True, scope="session")
def _templates_for_make_db(vault_templates: VaultTemplates) -> None:
    """Give :func:`make_db` the run's template databases."""
    _TEMPLATES[:] = [vault_templates]


def make_db(folder: Path, count: int = 80) -> Path:
    """A database with an administrator, a manager (Mary Manager) and a practitioner, and
    ``count`` demonstration screenings (a copy of one made once per run)."""
    from riskscreen.services.demo import populate

    def build(vault: Vault) -> None:
        with vault.login("admin") as admin:
            admin.accounts.create("mary", "manager", PASSPHRASES["mary"], "Mary Manager")
        if count:
            with vault.login("mary") as mary:
                populate(mary, count, seed=5)

    if not _TEMPLATES:  # outside a test run
        vault = make_vault(folder / "riskscreen.db", ("pat",))
        build(vault)
        return vault.db
    return _TEMPLATES[0].copy(folder / "riskscreen.db", ("pat",), then=build,
                              name=f"manager {count}").db


def login(db: Path, name: str) -> Session:
    """Sign in to a database :func:`make_db` made."""
    return Vault(db, "").login(name)


def open_manager(qtbot: QtBot, session: Session, *, show: bool = False) -> ManagerController:
    """The manager's tools on a signed-in session, started."""
    controller = ManagerController(session)
    qtbot.addWidget(controller.window)
    controller.start()
    if show:
        controller.window.show()
    return controller


@pytest.fixture
def admin(qtbot: QtBot, tmp_path: Path) -> Iterator[AdminController]:
    """The administrator's tools, shown, over a database without screenings."""
    session = login(make_db(tmp_path, 0), "admin")
    controller = AdminController(session, settings=QSettings(
        str(tmp_path / "app.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(controller.window)
    controller.start()
    controller.window.show()
    yield controller
    wait_for_background()
    session.close()
