"""A team's own instrument installed through the Manage menu and offered when a screening
starts: the real application, real widgets; only the folder chooser is patched."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from riskscreen.ui.controller import AppController
from riskscreen.ui.worker import wait_for_background

from ..conftest import FAST, VaultTemplates
from .helpers import click, type_into, wait_for_change

pytestmark = pytest.mark.gui

MARY = ("mary", "manager passphrase")


@pytest.fixture
def app(qtbot: QtBot, tmp_path: Path,
        vault_templates: VaultTemplates) -> Iterator[AppController]:
    db = tmp_path / "data" / "riskscreen.db"
    with vault_templates.copy(db, ()).login("admin") as admin:
        admin.accounts.create(MARY[0], "manager", MARY[1], display_name="Mary Manager")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    controller = AppController(db, settings=settings, kdf=FAST, sleep=lambda _: None,
                               auto_backups=False)
    qtbot.addWidget(controller.window)
    controller.window.resize(1366, 768)
    controller.window.show()
    controller.start()
    view = controller.unlock_view
    view.name.clear()
    type_into(qtbot, view.name, MARY[0])
    type_into(qtbot, view.passphrase, MARY[1])
    click(qtbot, view.button)
    qtbot.waitUntil(lambda: controller.session is not None, timeout=20_000)
    yield controller
    wait_for_background()
    if controller.session is not None:
        controller.session.close()


def _box(app: AppController, name: str) -> QMessageBox:
    found = app.window.findChild(QMessageBox, name)
    assert found is not None
    return found


def _install(qtbot: QtBot, app: AppController, folder: Path, name: str,
             monkeypatch: pytest.MonkeyPatch) -> QMessageBox:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *args, **kwargs: str(folder)))
    action = app.window.role_menus.install_action
    assert action.isVisible()
    action.trigger()
    qtbot.waitUntil(lambda: app.window.findChild(QMessageBox, name) is not None,
                    timeout=20_000)
    return _box(app, name)


def test_a_team_instrument_installs_and_is_offered_when_a_screening_starts(
        qtbot: QtBot, app: AppController, monkeypatch: pytest.MonkeyPatch,
        team_instrument: Callable[[str], Path]) -> None:
    # One instrument in use: no choice to make.
    click(qtbot, app.home_view.new_button)
    assert app.window.stack.currentWidget() is app.new_view
    assert not app.new_view.instrument_row.isVisible()
    click(qtbot, app.new_view.cancel_button)

    box = _install(qtbot, app, team_instrument("eastbrook"), "instrumentInstalled", monkeypatch)
    assert "Eastbrook sexual exploitation risk screening is installed" in box.text()
    box.close()

    click(qtbot, app.home_view.new_button)
    choice = app.new_view.instrument
    assert app.new_view.instrument_row.isVisible()
    titles = [choice.itemText(i) for i in range(choice.count())]
    assert titles == ["Child sexual exploitation (CSE) risk screening",
                      "Eastbrook sexual exploitation risk screening"]
    assert choice.currentText() == "Child sexual exploitation (CSE) risk screening"
    choice.setCurrentIndex(titles.index("Eastbrook sexual exploitation risk screening"))
    type_into(qtbot, app.new_view.name, "Synthetic Child")
    click(qtbot, app.new_view.create_button)
    wait_for_change(qtbot, app)
    assert app.current is not None
    assert app.window.stack.currentWidget() is app.current.view
    assert app.current.detail.form_id == "eastbrook-seraf"
    assert app.current.detail.model_id == "eastbrook-seraf"


def test_an_invalid_instrument_is_refused_with_every_problem(
        qtbot: QtBot, app: AppController, monkeypatch: pytest.MonkeyPatch,
        team_instrument: Callable[[str], Path]) -> None:
    folder = team_instrument("broken")
    routing = folder / "routing.yaml"
    routing.write_text(routing.read_text("utf-8").replace("form: eastbrook-seraf",
                                                          "form: no-such-form"), "utf-8")
    box = _install(qtbot, app, folder, "instrumentRefused", monkeypatch)
    assert "was not installed" in box.text()
    assert f"{folder}/routing.yaml:" in box.detailedText()
    box.close()
    assert app.session is not None
    assert "eastbrook-seraf" not in {i.id for i in app.session.instruments.in_force()}


def test_the_manager_chooses_which_instrument_to_analyse(
        qtbot: QtBot, app: AppController, monkeypatch: pytest.MonkeyPatch,
        team_instrument: Callable[[str], Path]) -> None:
    box = _install(qtbot, app, team_instrument("eastbrook"), "instrumentInstalled",
                   monkeypatch)
    box.close()
    asked: list[list[str]] = []

    def pick(parent: object, title: str, label: str, items: list[str], *args: object
             ) -> tuple[str, bool]:
        asked.append(items)
        return "Eastbrook sexual exploitation risk screening", True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(pick))
    menus = app.window.role_menus
    menus.manager_action.trigger()
    assert asked == [["Child sexual exploitation (CSE) risk screening",
                      "Eastbrook sexual exploitation risk screening"]]
    manager = menus.open[-1]
    qtbot.addWidget(manager.window)
    assert "Eastbrook sexual exploitation risk screening" in manager.window.windowTitle()
    assert manager.service.form_id == manager.reports.service.form_id == "eastbrook-seraf"
    report = manager.reports.build()
    assert report is not None
    assert report.title == "Eastbrook sexual exploitation risk screening: report"


def test_an_install_that_fails_is_said_in_the_banner_not_a_modal_box(
        qtbot: QtBot, app: AppController, monkeypatch: pytest.MonkeyPatch,
        team_instrument: Callable[[str], Path]) -> None:
    """A failure other than a refused folder (here the service refusing the account) is
    said in the main window's banner; a modal box would stop everything until dismissed."""
    from riskscreen.services import PermissionDenied

    boxes: list[object] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a: boxes.append(a)))
    assert app.session is not None

    def refuse(folder: Path) -> None:
        raise PermissionDenied("Only an administrator or a manager may install an instrument.")

    monkeypatch.setattr(app.session.instruments, "install_folder", refuse)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *args, **kwargs: str(team_instrument("eastbrook"))))
    app.window.role_menus.install_action.trigger()
    qtbot.waitUntil(app.window.banner.isVisible, timeout=20_000)
    assert app.window.banner.text.text() == ("Only an administrator or a manager may install "
                                             "an instrument.")
    assert boxes == []
