"""Keyboard use through the real application: where the cursor starts, Tab order, the
shortcuts (sections, undo, search, print, help) and Enter in dialogs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from riskscreen.forms.model import FormDefinition
from riskscreen.ui.controller import AppController
from riskscreen.ui.questionnaire import QuestionBlock
from riskscreen.ui.referral import ReferralView
from riskscreen.ui.score_panel import ScorePanel
from riskscreen.ui.screening import ScreeningView

from .conftest import PAT
from .helpers import click, two_clause_rule_dialog, type_into, wait_for_change

pytestmark = pytest.mark.gui



@pytest.fixture
def app(ready_app: AppController) -> AppController:
    """Every test here starts from the application over a database with Pat."""
    return ready_app


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def key(qtbot: QtBot, k: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
        ) -> None:
    """A key pressed wherever the cursor is, as a user presses it."""
    target = focused()
    assert target is not None
    qtbot.keyClick(target, k, modifier)


def block_of(widget: QWidget | None) -> QuestionBlock | None:
    while widget is not None:
        if isinstance(widget, QuestionBlock):
            return widget
        widget = widget.parentWidget()
    return None


def inside(widget: QWidget | None, kind: type) -> bool:
    while widget is not None:
        if isinstance(widget, kind):
            return True
        widget = widget.parentWidget()
    return False


def sign_in_and_start(qtbot: QtBot, app: AppController) -> ScreeningView:
    """From the unlock screen to a new screening, by keyboard only."""
    app.start()
    assert focused() is app.unlock_view.name
    qtbot.keyClicks(app.unlock_view.name, PAT[0])
    key(qtbot, Qt.Key.Key_Return)
    assert focused() is app.unlock_view.passphrase
    qtbot.keyClicks(app.unlock_view.passphrase, PAT[1])
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is app.home_view, timeout=20_000)
    assert focused() is app.home_view.search
    key(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert app.window.stack.currentWidget() is app.new_view
    assert focused() is app.new_view.search
    type_into(qtbot, app.new_view.name, "Sam Example")
    click(qtbot, app.new_view.create_button)
    wait_for_change(qtbot, app)
    assert app.current is not None
    return app.current.view


def test_every_new_page_puts_the_cursor_in_its_first_field(qtbot: QtBot,
                                                          app: AppController) -> None:
    view = sign_in_and_start(qtbot, app)
    q = view.questionnaire
    first = q.form.sections[0].questions[0].id
    assert block_of(focused()) is q.blocks[first]
    # Locked with Ctrl+L, the unlock screen starts in the passphrase (the name is known).
    key(qtbot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert app.window.stack.currentWidget() is app.unlock_view
    assert focused() is app.unlock_view.passphrase
    # Ctrl+F on the list goes back to the search from anywhere on the page.
    qtbot.keyClicks(app.unlock_view.passphrase, PAT[1])
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.session is not None, timeout=20_000)
    app.window.home_action.trigger()
    app.home_view.table.setFocus()
    key(qtbot, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert focused() is app.home_view.search


def test_after_next_section_tab_goes_to_the_next_question_not_the_score(
        qtbot: QtBot, app: AppController) -> None:
    view = sign_in_and_start(qtbot, app)
    q = view.questionnaire
    click(qtbot, q.next_button)
    assert q.current_section() == 1
    second = q.form.sections[1]
    assert block_of(focused()) is q.blocks[second.questions[0].id]
    shown = [x.id for x in second.questions if x.id in q.visible_ids()]
    visited: list[str] = [shown[0]]
    for _ in range(30):
        key(qtbot, Qt.Key.Key_Tab)
        block = block_of(focused())
        if block is None:
            break
        if block.question.id != visited[-1]:
            visited.append(block.question.id)
    # Every question of the section in turn, then the section's own buttons.
    assert visited == shown
    assert focused() in (q.previous_button, q.next_button)
    assert not inside(focused(), ScorePanel)


def test_what_to_look_for_is_no_tab_stop_and_f1_opens_it(
        qtbot: QtBot, app: AppController, monkeypatch: pytest.MonkeyPatch) -> None:
    view = sign_in_and_start(qtbot, app)
    q = view.questionnaire
    section = next(i for i, s in enumerate(q.form.sections) if s.id == "exploitation_indicators")
    q.show_section(section)
    q.focus_first_question()
    questions = [qid for qid in (x.id for x in q.form.sections[section].questions)
                 if qid in q.visible_ids()]
    seen: list[str] = []
    for _ in range(40):
        block = block_of(focused())
        assert block is not None
        assert not (block.help is not None and focused() is block.help.toggle)
        if block.question.id not in seen:
            seen.append(block.question.id)
        if len(seen) == 4:
            break
        key(qtbot, Qt.Key.Key_Tab)
    # Four questions in as many presses as they have Tab stops: no stop on their links.
    assert seen == questions[:4]
    block = block_of(focused())
    assert block is not None
    assert block.help is not None
    assert not block.help.body.isVisible()
    key(qtbot, Qt.Key.Key_F1)
    assert block.help.body.isVisible()
    assert block_of(focused()) is block  # the cursor stays in the question
    key(qtbot, Qt.Key.Key_F1)
    assert not block.help.body.isVisible()
    # Away from a question F1 opens the help, which lists the shortcuts.
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information",
                        lambda parent, title, words: shown.append(words))
    view.back_button.setFocus()
    key(qtbot, Qt.Key.Key_F1)
    assert shown
    assert "Ctrl+Page Down" in shown[0]
    assert "Ctrl+Z" in shown[0]


def test_shortcuts_go_to_the_next_and_previous_section(qtbot: QtBot,
                                                       app: AppController) -> None:
    view = sign_in_and_start(qtbot, app)
    q = view.questionnaire
    key(qtbot, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert q.current_section() == 1
    assert block_of(focused()) is q.blocks[q.form.sections[1].questions[0].id]
    key(qtbot, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert q.current_section() == 2
    view.score.setFocus()  # anywhere on the screening
    key(qtbot, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert q.current_section() == 1
    key(qtbot, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert q.current_section() == 0


def test_ctrl_z_undoes_the_last_answer_saved_and_audited(qtbot: QtBot,
                                                         app: AppController) -> None:
    view = sign_in_and_start(qtbot, app)
    q = view.questionnaire
    section = next(s for s in q.form.sections if s.id == "exploitation_indicators")
    qid = section.questions[0].id
    q.show_question(qid)
    key(qtbot, Qt.Key.Key_R)
    key(qtbot, Qt.Key.Key_N)
    assert q.answers()[qid] == "none"
    assert app.session is not None
    assert app.current is not None
    sid = app.current.id

    def edits() -> int:
        assert app.session is not None
        with app.session.context.transaction() as s:
            return int(s.execute(text("SELECT count(*) FROM audit_log WHERE action = 'edit' "
                                      "AND object = :o"), {"o": f"screening:{sid}"}).scalar()
                       or 0)

    before = edits()
    view.score.setFocus()
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert q.answers()[qid] == "recent"
    assert q.blocks[qid].editor.value() == "recent"
    assert block_of(focused()) is q.blocks[qid]
    assert app.session.screenings.open(sid).answers[qid].value == "recent"
    assert edits() == before + 1
    assert "back as it was" in app.window.statusBar().currentMessage()
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert qid not in q.answers()
    assert qid not in app.session.screenings.open(sid).answers


def test_ctrl_p_prints_the_referral(qtbot: QtBot) -> None:
    view = ReferralView()
    qtbot.addWidget(view)
    view.show()
    image = QImage(20, 20, QImage.Format.Format_RGB888)
    image.fill(Qt.GlobalColor.white)
    view.show_pages([image], "1 page.")
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view, timeout=3000)
    view.back_button.setFocus()
    with qtbot.waitSignal(view.print_requested, timeout=1000):
        qtbot.keyClick(view.back_button, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)


def test_enter_accepts_the_rule_dialog(qtbot: QtBot, form: FormDefinition) -> None:
    dialog = two_clause_rule_dialog(qtbot, form)
    dialog.open()
    qtbot.waitExposed(dialog)
    dialog.rule_id.setFocus()
    dialog.rule_id.selectAll()
    qtbot.keyClicks(dialog.rule_id, "renamed")
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        qtbot.keyClick(dialog.rule_id, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.rule()["id"] == "renamed"
    assert len(dialog.rule()["when"]["all"]) == 2  # Enter removed no condition
