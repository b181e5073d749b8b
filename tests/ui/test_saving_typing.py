"""Typed text is saved as it is typed, and the save status never says "saved" over it.

The real application, driven by keys and clicks; the database is read through a second
session, as another process would, to see what is really stored.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from riskscreen.ui.controller import AppController
from riskscreen.ui.editors import DateEditor, EvidenceEditor, LongTextEditor, NumberEditor
from riskscreen.ui.screening import ScreeningView

from .helpers import click, type_into
from .test_app_flow import PAT, new_child_screening, read_db, set_up, unlock

pytestmark = pytest.mark.gui

SAVED = "All answers saved"


@pytest.fixture
def screening(qtbot: QtBot, app: AppController) -> ScreeningView:
    """A new draft, open, with the window active so keys and focus behave as on a desktop."""
    set_up(qtbot, app)
    unlock(qtbot, app, PAT[1])
    view = new_child_screening(qtbot, app, "Synthetic Child", "2011-05-04")
    app.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window, timeout=3000)
    qtbot.waitUntil(lambda: view.save_status.text().startswith(SAVED), timeout=3000)
    return view


def stored(tmp_path: Path, app: AppController) -> dict[str, Any]:
    """Answers (and evidence) of the open screening as the database holds them now."""
    assert app.current is not None
    with read_db(tmp_path) as session:
        detail = session.screenings.open(app.current.id)
    answers: dict[str, Any] = {qid: a.value for qid, a in detail.answers.items()}
    answers.update({f"{qid}:evidence": a.evidence for qid, a in detail.answers.items()
                    if a.evidence})
    return answers


def focus_field(view: ScreeningView, qid: str) -> QWidget:
    view.questionnaire.show_question(qid)
    return view.questionnaire.blocks[qid].editor.focus_target()


def test_steady_typing_is_saved_as_it_goes_and_the_status_says_so(
        qtbot: QtBot, app: AppController, screening: ScreeningView, tmp_path: Path) -> None:
    view = screening
    box = focus_field(view, "screening_reason_detail")
    words = "The school raised a concern about a new older friend who collects the child"
    saved_while_typing = False
    for word in words.split():
        qtbot.keyClicks(box, word + " ")
        assert view.save_status.text() == "Saving…"
        qtbot.wait(120)  # typing on, never pausing long enough to count as a pause
        saved_while_typing = saved_while_typing or bool(
            stored(tmp_path, app).get("screening_reason_detail"))
    assert saved_while_typing, "nothing was saved while the typing went on"
    assert QApplication.focusWidget() is box
    qtbot.waitUntil(lambda: view.save_status.text().startswith(SAVED), timeout=3000)
    assert stored(tmp_path, app)["screening_reason_detail"] == words + " "


@pytest.mark.parametrize("qid", ["ethnicity", "screening_reason_detail", "date_of_birth",
                                 "missing_episodes_3_months"])
def test_each_kind_of_field_is_saved_without_leaving_it(
        qtbot: QtBot, app: AppController, screening: ScreeningView, tmp_path: Path,
        qid: str) -> None:
    view = screening
    field = focus_field(view, qid)
    editor = view.questionnaire.blocks[qid].editor
    typed: Any
    if isinstance(editor, DateEditor):
        editor.field.line.selectAll()
        qtbot.keyClicks(field, "14/02/2011")
        typed = "2011-02-14"
    elif isinstance(editor, NumberEditor):
        editor.spin.lineEdit().selectAll()
        qtbot.keyClicks(field, "3")
        typed = 3
    else:
        qtbot.keyClicks(field, "Typed and left in the field")
        typed = "Typed and left in the field"
    if not isinstance(editor, NumberEditor):  # a number is saved at each key
        assert view.save_status.text() == "Saving…"
    qtbot.waitUntil(lambda: view.save_status.text().startswith(SAVED), timeout=3000)
    assert QApplication.focusWidget() is field
    assert stored(tmp_path, app)[qid] == typed


def _evidence(view: ScreeningView, qtbot: QtBot) -> EvidenceEditor:
    view.questionnaire.show_question("older_associates")
    editor = view.questionnaire.blocks["older_associates"].editor
    click(qtbot, editor.findChild(QWidget, "older_associates__recent"))
    evidence = view.questionnaire.blocks["older_associates"].evidence
    assert evidence is not None
    assert evidence.isVisible()
    return evidence


def test_evidence_typed_before_its_basis_is_not_called_saved(
        qtbot: QtBot, app: AppController, screening: ScreeningView, tmp_path: Path) -> None:
    view = screening
    evidence = _evidence(view, qtbot)
    qtbot.waitUntil(lambda: view.save_status.text().startswith(SAVED), timeout=3000)
    type_into(qtbot, evidence.details, "Seen getting into a car after school")
    qtbot.waitUntil(lambda: "Not saved yet" in view.save_status.text(), timeout=3000)
    assert "choose what the evidence is based on" in view.save_status.text()
    assert "older_associates:evidence" not in stored(tmp_path, app)
    click(qtbot, evidence.basis["observed"])
    assert view.save_status.text().startswith(SAVED)
    type_into(qtbot, evidence.source, "Class teacher")
    assert view.save_status.text() == "Saving…"
    qtbot.waitUntil(lambda: view.save_status.text().startswith(SAVED), timeout=3000)
    assert stored(tmp_path, app)["older_associates:evidence"] == {
        "basis": "observed", "details": "Seen getting into a car after school",
        "source": "Class teacher", "when": None}


def test_half_a_date_is_not_saved_and_the_status_says_so(
        qtbot: QtBot, app: AppController, screening: ScreeningView, tmp_path: Path) -> None:
    view = screening
    field = focus_field(view, "date_of_birth")
    editor = view.questionnaire.blocks["date_of_birth"].editor
    assert isinstance(editor, DateEditor)
    editor.field.line.selectAll()
    qtbot.keyClicks(field, "14/02/20")
    qtbot.waitUntil(lambda: "Not saved yet" in view.save_status.text(), timeout=3000)
    assert "question 1.2" in view.save_status.text()
    qtbot.keyClick(field, Qt.Key.Key_Tab)  # leaving it does not clear the saved date
    assert "Not saved yet" in view.save_status.text()
    assert stored(tmp_path, app)["date_of_birth"] == "2011-05-04"


def _lock_by_keyboard(qtbot: QtBot, app: AppController, field: QWidget) -> None:
    qtbot.keyClick(field, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert app.session is None


def _lock_when_idle(qtbot: QtBot, app: AppController, field: QWidget) -> None:
    app.idle.set_minutes(0.0005)
    qtbot.waitUntil(lambda: app.session is None, timeout=3000)


def _next_section(qtbot: QtBot, app: AppController, field: QWidget) -> None:
    assert app.current is not None
    click(qtbot, app.current.view.questionnaire.next_button)


def _leave_the_field(qtbot: QtBot, app: AppController, field: QWidget) -> None:
    qtbot.keyClick(field, Qt.Key.Key_Tab)


def _close_the_window(qtbot: QtBot, app: AppController, field: QWidget) -> None:
    assert app.window.close()


def _quit(qtbot: QtBot, app: AppController, field: QWidget) -> None:
    instance = QCoreApplication.instance()
    assert instance is not None
    instance.aboutToQuit.emit()  # what QApplication.quit() emits, without ending the tests


Trigger = Callable[[QtBot, AppController, QWidget], None]


@pytest.mark.parametrize("trigger", [_lock_by_keyboard, _lock_when_idle, _next_section,
                                     _leave_the_field, _close_the_window, _quit])
def test_typing_is_saved_at_once_on_lock_close_section_change_and_focus_loss(
        qtbot: QtBot, app: AppController, screening: ScreeningView, tmp_path: Path,
        trigger: Trigger) -> None:
    field = focus_field(screening, "where_found")  # 2.4, with a section after it
    assert isinstance(screening.questionnaire.blocks["where_found"].editor, LongTextEditor)
    qtbot.keyClicks(field, "Typed a moment before")
    assert "where_found" not in stored(tmp_path, app)  # not given out yet
    trigger(qtbot, app, field)
    assert stored(tmp_path, app)["where_found"] == "Typed a moment before"
