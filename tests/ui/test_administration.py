"""Administration and wording through the real widgets: the lock screen says why it is
locked, the idle lock stays within the administrator's limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QSpinBox
from pytestqt.qtbot import QtBot

from riskscreen.services.admin import AdminService
from riskscreen.services.idle_lock import idle_lock_minutes
from riskscreen.ui.controller import AppController

from .test_keyboard import PAT, key, running_app, sign_in_and_start

pytestmark = pytest.mark.gui


@pytest.fixture
def app(qtbot: QtBot, tmp_path: Path) -> Iterator[AppController]:
    yield from running_app(qtbot, tmp_path)


def unlock_again(qtbot: QtBot, app: AppController) -> None:
    qtbot.keyClicks(app.unlock_view.passphrase, PAT[1])
    qtbot.keyClick(app.unlock_view.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.session is not None, timeout=20_000)


def test_the_lock_screen_says_who_locked_it_or_after_how_long(qtbot: QtBot,
                                                              app: AppController) -> None:
    sign_in_and_start(qtbot, app)
    key(qtbot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    words = app.unlock_view.explanation.text()
    assert words.startswith("Locked by Pat Example.")
    assert "locked itself" not in words
    assert "Anything you were typing has been kept" in words
    unlock_again(qtbot, app)
    app.idle.set_minutes(5)
    app.idle.idle.emit()  # five minutes without input have passed
    words = app.unlock_view.explanation.text()
    assert words.startswith("Locked after 5 minutes without use.")
    assert "locked itself" not in words


def test_a_practitioner_chooses_the_idle_lock_only_within_the_administrators_limit(
        qtbot: QtBot, app: AppController, tmp_path: Path) -> None:
    sign_in_and_start(qtbot, app)
    assert app.session is not None
    assert app.idle.minutes == 5
    asked: list[tuple[int, int]] = []

    def answer_the_dialog() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets()
                      if isinstance(w, QInputDialog) and w.isVisible())
        try:
            asked.append((dialog.intMinimum(), dialog.intMaximum()))
            spin = dialog.findChild(QSpinBox)
            assert spin is not None
            spin.selectAll()
            qtbot.keyClicks(spin, "0")  # "never" is not on offer: the lowest is 1
            spin.interpretText()
            assert spin.value() >= 1
        finally:
            dialog.accept()

    QTimer.singleShot(200, answer_the_dialog)
    app.window.idle_action.trigger()
    assert asked == [(1, 5)]
    assert app.idle.minutes >= 1
    assert idle_lock_minutes(app.session) == app.idle.minutes

    # The administrator raises the limit; Pat's next sign-in may choose up to it.
    admin = app._current_unlocker().unlock("admin", "administrator passphrase")
    AdminService(admin).save_settings({"idle_lock_minutes": "20"})
    admin.close()

    def choose_twelve() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets()
                      if isinstance(w, QInputDialog) and w.isVisible())
        asked.append((dialog.intMinimum(), dialog.intMaximum()))
        dialog.setIntValue(12)
        dialog.accept()

    QTimer.singleShot(200, choose_twelve)
    app.window.idle_action.trigger()
    assert asked[-1] == (1, 20)
    assert app.idle.minutes == 12
    assert idle_lock_minutes(app.session) == 12
    assert "locks after 12 minutes" in app.window.statusBar().currentMessage()
