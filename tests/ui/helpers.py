"""Driving the real widgets the way a practitioner does: clicks and typing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QRadioButton, QWidget
from pytestqt.qtbot import QtBot

from riskscreen.ui.editors import (
    ChoiceButtons,
    ComboChoice,
    DateEditor,
    LongTextEditor,
    MultipleChoice,
    NumberEditor,
    TextEditor,
)
from riskscreen.ui.finalise import FinaliseView
from riskscreen.ui.questionnaire import QuestionnaireView

CASES = Path(__file__).resolve().parent.parent / "cases"


def golden_case(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answers file and the expected outcome of a golden case."""
    answers = json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))
    expected = json.loads((CASES / f"{name}.expected.json").read_text(encoding="utf-8"))
    return answers, expected


def click(qtbot: QtBot, widget: QAbstractButton | QWidget) -> None:
    """A left click where a user would click: on the box of a check box or radio button
    (which may be stretched wider than its text), else in the middle."""
    if isinstance(widget, (QCheckBox, QRadioButton)):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(8, widget.height() // 2))
    else:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Focus a field and type into it."""
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def answer(qtbot: QtBot, view: QuestionnaireView, qid: str, value: Any) -> None:
    """Answer one question through its editor, as a user would, and wait for the fact."""
    view.show_question(qid)
    editor = view.blocks[qid].editor
    if editor.value() == value:
        return
    with qtbot.waitSignal(view.answer_changed, timeout=30_000,
                          check_params_cb=lambda q, v: q == qid):
        if isinstance(editor, ChoiceButtons):
            click(qtbot, editor.buttons[value])
        elif isinstance(editor, ComboChoice):
            index = editor.combo.findData(value)
            editor.combo.setCurrentIndex(index)
            editor.combo.activated.emit(index)
        elif isinstance(editor, MultipleChoice):
            for option in value:
                click(qtbot, editor.boxes[option])
        elif isinstance(editor, NumberEditor):
            editor.spin.lineEdit().selectAll()
            type_into(qtbot, editor.spin, str(value))
        elif isinstance(editor, DateEditor):
            editor.field.line.clear()
            type_into(qtbot, editor.field.line, date.fromisoformat(value).strftime("%d/%m/%Y"))
            qtbot.keyClick(editor.field.line, Qt.Key.Key_Return)
        elif isinstance(editor, TextEditor):
            editor.line.clear()
            type_into(qtbot, editor.line, value)
            qtbot.keyClick(editor.line, Qt.Key.Key_Return)
        elif isinstance(editor, LongTextEditor):
            type_into(qtbot, editor.box, value)
            editor.box.clearFocus()
    assert view.answers().get(qid) == value, qid


def answer_all(qtbot: QtBot, view: QuestionnaireView, answers: dict[str, Any]) -> None:
    """Answer a whole case in form order (so conditional questions have appeared)."""
    order = list(view.blocks)
    for qid in sorted(answers, key=order.index):
        answer(qtbot, view, qid, answers[qid])


def answer_confirmation(qtbot: QtBot, review: FinaliseView, key: Qt.Key = Qt.Key.Key_Return
                        ) -> str:
    """Answer the real "Finalise?" question by key (Enter finalises, Esc goes back); return
    the question it asked."""
    qtbot.waitUntil(lambda: review.confirm_box is not None and review.confirm_box.isVisible(),
                    timeout=30_000)
    box = review.confirm_box
    assert box is not None
    asked = f"{box.text()} {box.informativeText()}"
    qtbot.keyClick(box, key)
    assert review.confirm_box is None
    # Finalising runs in the background under the wait cursor; wait until it is over.
    qtbot.waitUntil(lambda: QGuiApplication.overrideCursor() is None, timeout=60_000)
    return asked


def wait_for_change(qtbot: QtBot, app: Any) -> None:
    """Wait until the change the last action started off the GUI thread has been made (and
    what follows it shown)."""
    qtbot.waitUntil(lambda: not app.changing, timeout=60_000)


def two_clause_rule_dialog(qtbot: QtBot, form: Any) -> Any:
    """The model editor's rule dialog on a rule of two "present" clauses over the form's
    first two questions."""
    from riskscreen.ui.manager.rule_editor import RuleDialog

    questions = list(form.questions())
    rule = {"id": "a_rule", "minimum": "high", "reason": "Because.", "source": "Local policy",
            "when": {"all": [{"present": {"question": questions[0].id}},
                             {"present": {"question": questions[1].id}}]}}
    dialog = RuleDialog(rule, [("low", "Low"), ("high", "High")], form)
    qtbot.addWidget(dialog)
    return dialog
