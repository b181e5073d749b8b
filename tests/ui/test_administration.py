"""Administration and wording through the real widgets: the lock screen says why it is
locked, the idle lock stays within the administrator's limit, the audit viewer speaks in
words, the recovery key is printed and never broken inside a group."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt, QTimer
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QInputDialog, QSpinBox
from pytestqt.qtbot import QtBot

from riskscreen.ui import controller as controller_module
from riskscreen.ui.admin.controller import AdminController
from riskscreen.ui.controller import AppController
from riskscreen.ui.worker import wait_for_background

from ..conftest import FAST
from .conftest import PAT, login
from .test_keyboard import key, sign_in_and_start

pytestmark = pytest.mark.gui


@pytest.fixture
def app(ready_app: AppController) -> AppController:
    """Every test here starts from the application over a database with Pat."""
    return ready_app


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
    assert app.session.settings.idle_lock_minutes() == app.idle.minutes

    # The administrator raises the limit; Pat's next sign-in may choose up to it.
    admin = app._current_unlocker().unlock("admin", "admin passphrase")
    admin.settings.save({"idle_lock_minutes": "20"})
    admin.close()

    still_open: list[bool] = []

    def choose_twelve() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets()
                      if isinstance(w, QInputDialog) and w.isVisible())
        asked.append((dialog.intMinimum(), dialog.intMaximum()))
        spin = dialog.findChild(QSpinBox)
        assert spin is not None
        spin.selectAll()
        qtbot.keyClicks(spin, "12")
        qtbot.keyClick(spin, Qt.Key.Key_Return)  # Enter gives the answer
        still_open.append(dialog.isVisible())
        if dialog.isVisible():
            dialog.reject()

    QTimer.singleShot(200, choose_twelve)
    app.window.idle_action.trigger()
    assert asked[-1] == (1, 20)
    assert still_open == [False]
    assert app.idle.minutes == 12
    assert app.session.settings.idle_lock_minutes() == 12
    assert "locks after 12 minutes" in app.window.statusBar().currentMessage()


def test_the_audit_viewer_shows_names_and_actions_in_words(qtbot: QtBot,
                                                          admin: AdminController) -> None:
    mary = login(admin.session.db_path, "mary")
    child = mary.children.create("Sam Example", "2012-01-01")
    mary.screenings.start(child.id)
    mary.close()
    u = admin.window.audit
    qtbot.mouseClick(u.apply_button, Qt.MouseButton.LeftButton)
    rows = [[u.table.item(r, c).text() for c in range(u.table.columnCount())]
            for r in range(u.table.rowCount())]
    assert rows
    for row in rows:
        for cell in row:
            assert not re.search(r"\b(user|child|screening):\d", cell), row
            assert not cell.startswith("{"), row
            assert "_" not in cell, row
        assert "Sam Example" not in " ".join(row)  # children's names never show here
    assert ["Mary Manager (mary)", "Created a screening", "Screening 1",
            "for child's record 1"] in [row[2:] for row in rows]
    created = next(row for row in rows
                   if row[3] == "Created an account" and row[4] == "Mary Manager (mary)")
    assert created[2] == "admin"
    assert "as manager" in created[5]
    headers = [u.table.horizontalHeaderItem(c).text() for c in range(u.table.columnCount())]
    assert headers[2:] == ["Who", "What", "About", "Details"]
    # The filters offer the same words.
    assert u.user.findText("Mary Manager (mary)") >= 0
    u.action.setCurrentIndex(u.action.findText("Created an account"))
    qtbot.mouseClick(u.apply_button, Qt.MouseButton.LeftButton)
    assert {u.table.item(r, 3).text() for r in range(u.table.rowCount())} == \
        {"Created an account"}


def test_the_recovery_key_page_prints_the_key_in_whole_groups(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    app = AppController(tmp_path / "data" / "riskscreen.db", settings=settings, kdf=FAST,
                        sleep=lambda _: None, auto_backups=False)
    qtbot.addWidget(app.window)
    app.window.resize(1024, 768)
    app.window.show()
    app.start()
    view = app.setup_view
    assert view is not None
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    for field, text_ in ((view.admin.name, "admin"), (view.admin.passphrase, "admin passphrase"),
                         (view.admin.repeat, "admin passphrase")):
        field.setFocus()
        qtbot.keyClicks(field, text_)
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.make_practitioner, Qt.MouseButton.LeftButton, pos=QPoint(8, 8))
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.step() == 3, timeout=20_000)
    key = view.key
    groups = key.split("-")
    assert len(groups) == 8

    # On screen: whole groups on each line, and each line fits (nothing wraps or is cut).
    lines = view.recovery_key.text().splitlines()
    assert [g for line in lines for g in line.split("-")] == groups
    assert all(len(line.split("-")) == 4 for line in lines)
    assert not view.recovery_key.wordWrap()
    metrics = view.recovery_key.fontMetrics()
    assert view.recovery_key.width() >= max(metrics.horizontalAdvance(x) for x in lines)

    # Print: the real printer, printing to a file (only the modal dialog is replaced).
    printed = tmp_path / "key.pdf"

    class PrintToFile:
        def __init__(self, printer: QPrinter, parent: object = None) -> None:
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(printed))

        def exec(self) -> int:
            return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(controller_module, "QPrintDialog", PrintToFile)
    qtbot.mouseClick(view.print_button, Qt.MouseButton.LeftButton)
    assert "sent to the printer" in view.status.text()
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(printed.read_bytes())
    try:
        words = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    assert "RiskScreen recovery key" in words
    for line in lines:
        assert line in words.replace("\r", "")
    wait_for_background()
