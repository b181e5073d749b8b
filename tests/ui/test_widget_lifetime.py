"""Every widget of the application goes with its window: none survives a full flow."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from riskscreen.services import Session
from riskscreen.ui.controller import AppController
from riskscreen.ui.manager.controller import ManagerController
from riskscreen.ui.worker import wait_for_background

from .conftest import login, make_db
from .helpers import answer_all, answer_confirmation, click, golden_case, type_into
from .test_app_flow import FAST, PAT, new_child_screening, set_up, unlock

pytestmark = pytest.mark.gui


def _settle() -> None:
    """Run what is waiting: deferred deletions and the cycles they free."""
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()
        gc.collect()


def _flow(qtbot: QtBot, tmp_path: Path) -> weakref.ref[AppController]:
    """Set up, unlock, answer and finalise a screening, lock and close: the pages not visited
    on the way (the referral, the child's history) must go with the window as well. Returns
    a weak reference to the controller, which must go too."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    app = AppController(tmp_path / "data" / "riskscreen.db", settings=settings, kdf=FAST,
                        sleep=lambda _: None, auto_backups=False)
    app.window.resize(1366, 768)
    app.window.show()
    set_up(qtbot, app)
    unlock(qtbot, app, PAT[1])
    answers, _ = golden_case("01-no-concerns")
    case = answers["answers"]
    view = new_child_screening(qtbot, app, case["child_name"], case["date_of_birth"])
    answer_all(qtbot, view.questionnaire, case)
    click(qtbot, view.finalise_button)
    click(qtbot, app.finalise_view.finalise_button)
    answer_confirmation(qtbot, app.finalise_view)
    qtbot.waitUntil(lambda: app.current is not None and app.current.detail.assessment
                    is not None, timeout=20_000)
    app.lock()
    wait_for_background()
    app.window.close()
    app.window.deleteLater()
    return weakref.ref(app)


def test_no_widget_outlives_the_window(qtbot: QtBot, tmp_path: Path) -> None:
    _settle()
    # The wrappers are kept alive, so each widget of an earlier test keeps its wrapper and its
    # id(); a set of bare ids would let Qt-owned children get new wrappers and count as new.
    earlier = QApplication.allWidgets()
    before = {id(w) for w in earlier}
    _flow(qtbot, tmp_path)

    def left() -> list[str]:
        return [type(w).__name__ for w in QApplication.allWidgets() if id(w) not in before]

    # Deleting the window posts deletions that post more (children, then what they held), and
    # a callback of the last background call may still be queued: on a busy computer that
    # takes more rounds than on a quiet one. Every widget must go in the end all the same.
    def gone() -> bool:
        _settle()
        return not left()

    try:
        qtbot.waitUntil(gone, timeout=30_000)
    except AssertionError:
        found = left()
        raise AssertionError(f"{len(found)} widgets outlived the window, e.g. "
                             f"{sorted(set(found))[:8]}") from None


def test_the_controller_goes_with_its_window(qtbot: QtBot, tmp_path: Path) -> None:
    """Each background call of the flow (set-up, unlock, the list, saves, finalising) must
    let go of its callbacks, which reach the controller and through it every view."""
    controller = _flow(qtbot, tmp_path)

    def gone() -> bool:
        _settle()
        return controller() is None

    qtbot.waitUntil(gone, timeout=30_000)


def _open_and_close_manager(qtbot: QtBot, session: Session) -> weakref.ref[ManagerController]:
    """Open the manager's tools, let the screenings load, close the window; a weak
    reference to the controller."""
    manager = ManagerController(session)
    manager.start()
    manager.window.show()
    qtbot.waitUntil(lambda: manager.live is not None, timeout=20_000)
    manager.window.close()
    manager.window.deleteLater()
    wait_for_background()
    return weakref.ref(manager)


def test_the_managers_tools_go_when_closed(qtbot: QtBot, tmp_path: Path) -> None:
    """Once the screenings are loaded the editor keeps the collector off what is alive; the
    window's closing must hand that back, or the closed tools would stay for good."""
    session = login(make_db(tmp_path, 10), "mary")
    controller = _open_and_close_manager(qtbot, session)

    def gone() -> bool:
        _settle()
        return controller() is None

    try:
        qtbot.waitUntil(gone, timeout=30_000)
    finally:
        session.close()


def test_a_table_deleted_before_its_timer_fires_is_left_alone(qtbot: QtBot) -> None:
    """A wrapping table asks to fit its rows once laid out; if the table is gone by then
    (its page closed), the request goes with it instead of reaching a deleted object."""
    from PySide6.QtWidgets import QWidget
    from shiboken6 import Shiboken

    from riskscreen.ui.followup import _fill, _table

    page = QWidget()
    qtbot.addWidget(page)
    table = _table(page, ["When", "What"], "test_table")
    table.resize(300, 200)
    _fill(table, [["today", "a long line of words " * 10]])
    Shiboken.delete(table)
    qtbot.wait(30)  # pytest-qt fails the test on an exception raised in the event loop


def test_every_single_shot_timer_names_its_receiver() -> None:
    """A one-off timer without a receiver object outlives the window it was for; with one,
    Qt drops it when the receiver goes."""
    import re

    root = Path(__file__).resolve().parents[2] / "riskscreen" / "ui"
    calls = [(path.name, line.strip()) for path in root.rglob("*.py")
             for line in path.read_text().splitlines() if "QTimer.singleShot(" in line]
    assert calls
    bare = [call for call in calls
            if not re.search(r"singleShot\([^,]+, (self|table|self\.table)\b,", call[1])]
    assert bare == []


def _gated_op(gate: threading.Event) -> Callable[[], bool]:
    """Work that runs until ``gate`` opens: the test deletes a widget meanwhile."""
    return lambda: gate.wait(10)


def test_a_change_whose_widget_went_meanwhile_ends_without_calling_it(qtbot: QtBot) -> None:
    """A change's busy state was ended by calling into its widget even when that widget (a
    dialog's button, a closed window's view) was deleted while the change ran."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QLabel, QWidget
    from shiboken6 import Shiboken

    from riskscreen.ui.operations import ChangeOp

    page = QWidget()
    qtbot.addWidget(page)
    label = QLabel(page)
    gate = threading.Event()
    ChangeOp(_gated_op(gate), show=page.setWindowTitle).busy(label.setDisabled) \
        .run_in_background()
    Shiboken.delete(label)
    gate.set()
    wait_for_background()
    qtbot.wait(30)  # pytest-qt fails the test on an exception raised in the event loop
    assert QGuiApplication.overrideCursor() is None  # the wait cursor went all the same


def test_an_outcome_for_a_deleted_object_is_dropped(qtbot: QtBot) -> None:
    """The success callback's own object counts, not only where messages go: a closure
    saying problems and a method of a view deleted meanwhile."""
    from PySide6.QtWidgets import QLabel, QWidget
    from shiboken6 import Shiboken

    from riskscreen.ui.operations import QueryOp

    page = QWidget()
    qtbot.addWidget(page)
    label = QLabel(page)
    said: list[str] = []
    gate = threading.Event()
    QueryOp(_gated_op(gate), show=said.append).success(label.setNum).run_in_background()
    Shiboken.delete(label)
    gate.set()
    wait_for_background()
    qtbot.wait(30)
    assert said == []


def test_each_sign_in_leaves_one_list_model(qtbot: QtBot, ready_app: AppController) -> None:
    """The screenings list is the home page's child: one made at each sign-in stayed, with
    the rows the ended session had read, as long as the window."""
    from riskscreen.ui.home import LevelDelegate, ScreeningListModel

    ready_app.start()
    type_into(qtbot, ready_app.unlock_view.name, PAT[0])

    def signed_in() -> None:
        unlock(qtbot, ready_app, PAT[1])
        qtbot.waitUntil(lambda: ready_app.list_model is not None
                        and not ready_app.home_view.loading, timeout=20_000)

    for _ in range(3):
        signed_in()
        ready_app.lock()
        wait_for_background()
    signed_in()
    _settle()
    home = ready_app.home_view
    assert home.findChildren(ScreeningListModel) == [ready_app.list_model]
    assert len(home.table.findChildren(LevelDelegate)) == 1


def test_a_closed_tool_window_goes_with_its_controller(qtbot: QtBot, tmp_path: Path) -> None:
    """A manager closing the scoring model tools and opening them again kept every earlier
    editor (and every finalised screening it held) until the next lock."""
    from riskscreen.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    qtbot.addWidget(window)
    session = login(make_db(tmp_path, 10), "mary")
    menus = window.role_menus
    menus.session_provider = lambda: session
    window.set_signed_in(True)
    try:
        menus.manager_action.trigger()
        assert len(menus.open) == 1
        qtbot.waitUntil(lambda: menus.open[0].live is not None, timeout=20_000)
        controller = weakref.ref(menus.open[0])
        menus.open[0].window.close()

        def gone() -> bool:
            _settle()
            return controller() is None

        qtbot.waitUntil(gone, timeout=30_000)
        assert menus.open == []
    finally:
        wait_for_background()
        session.close()
