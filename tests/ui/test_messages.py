"""What users read: plain-words problems in the model editor, a readable history of changes,
a true status after publishing, and dates that do not exist."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from riskscreen.ui.manager.controller import ManagerController
from riskscreen.ui.new_screening import NewScreeningView
from riskscreen.ui.worker import wait_for_background

from .conftest import login, make_db, open_manager
from .test_manager import confirm_publish, edit_weight, type_note

pytestmark = pytest.mark.gui

DEVELOPER_WORDS = ("draft.yaml", "String should", "Input should", "[at ", "hint:", "_")


@pytest.fixture
def manager(qtbot: QtBot, tmp_path: Path) -> Iterator[ManagerController]:
    session = login(make_db(tmp_path, 0), "mary")
    yield open_manager(qtbot, session, show=True)
    wait_for_background()
    session.close()


def problems(manager: ManagerController) -> list[str]:
    view = manager.window.editor.problems
    return [view.item(i).text() for i in range(view.count())]


def edit_cell(manager: ManagerController, row: int, column: int, value: str | int) -> None:
    """Change a cell of the levels table as its editor does when a manager types."""
    manager.window.editor.tabs.setCurrentIndex(1)
    item = manager.window.editor.levels.item(row, column)
    item.setData(Qt.ItemDataRole.EditRole, value)
    manager.window.editor.tabs.setCurrentIndex(0)


def test_editor_problems_name_the_field_in_plain_words(qtbot: QtBot,
                                                      manager: ManagerController) -> None:
    type_note(qtbot, manager, "Rename a level")
    edit_cell(manager, 1, 1, "")
    qtbot.waitUntil(lambda: bool(problems(manager)), timeout=3000)
    assert problems(manager) == ["The name of level 2 is empty: fill it in."]
    edit_cell(manager, 1, 1, "Lower")
    edit_weight(qtbot, manager, "older_associates", "recent", 30)
    qtbot.waitUntil(lambda: problems(manager)[:1] != ["The name of level 2 is empty: fill it "
                                                      "in."], timeout=3000)
    text = problems(manager)[0]
    assert text.startswith("In “Is the child spending time with")
    assert "“Both recently and 3 to 12 months ago” (6) counts less than “Within the last 3 " \
        "months” (30)" in text
    for shown in problems(manager):
        assert not any(word in shown for word in DEVELOPER_WORDS), shown
    # The technical line stays at hand for whoever checks the file with the command line.
    assert "draft.yaml" in manager.window.editor.problems.item(0).toolTip()
    assert "cannot be published" in manager.window.editor.status.text()


def test_after_publishing_the_editor_says_so_and_history_is_a_table(
        qtbot: QtBot, manager: ManagerController) -> None:
    editor = manager.window.editor
    # An untouched draft is not an error.
    assert "cannot be published" not in editor.status.text()
    assert not editor.publish_button.isEnabled()
    old_version = manager.window.history.table.item(0, 0).text()
    type_note(qtbot, manager, "Medium starts one point later")
    start = editor.levels.item(2, 3).data(Qt.ItemDataRole.EditRole)
    edit_cell(manager, 2, 3, start + 1)
    edit_weight(qtbot, manager, "older_associates", "both", 9)
    qtbot.waitUntil(lambda: editor.publish_button.isEnabled(), timeout=3000)
    version = confirm_publish(qtbot, manager).version
    assert editor.status.text().startswith(f"✓ Version {version} is published")
    assert "cannot be published" not in editor.status.text()
    assert editor.problems.count() == 0
    # The history compares the two versions as rows of what changed.
    history = manager.window.history
    manager.window.tabs.setCurrentWidget(history)
    history.first.setCurrentIndex(history.first.findText(old_version))
    history.second.setCurrentIndex(history.second.findText(version))
    qtbot.mouseClick(history.diff_button, Qt.MouseButton.LeftButton)
    rows = [tuple(history.changes.item(r, c).text() for c in range(3))
            for r in range(history.changes.rowCount())]
    level = editor.levels.item(2, 1).text()
    assert (f"{level} starts at", f"{start} points", f"{start + 1} points") in rows
    assert any(what.startswith("“Is the child spending time with") and
               what.endswith("answered “Both recently and 3 to 12 months ago”")
               and after == "9 points" for what, _, after in rows)
    assert len(rows) == 2
    assert "2 differences" in history.summary.text()
    assert history.changes.horizontalHeaderItem(1).text() == f"In {old_version}"


@pytest.mark.parametrize(("typed", "says"), [
    ("31/02/2012", "The date 31/02/2012 does not exist: February 2012 has 29 days."),
    ("29/02/2013", "The date 29/02/2013 does not exist: February 2013 has 28 days."),
    ("14/13/2009", "There is no month 13"),
    ("14 Feb", "Enter the date as day/month/year"),
])
def test_a_date_that_does_not_exist_is_not_called_a_wrong_format(
        qtbot: QtBot, typed: str, says: str) -> None:
    view = NewScreeningView()
    qtbot.addWidget(view)
    view.show()
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view, timeout=3000)
    field = view.dob.line
    field.setFocus()
    qtbot.keyClicks(field, typed)
    qtbot.keyClick(field, Qt.Key.Key_Tab)
    assert view.dob.problem.isVisible()
    assert says in view.dob.problem.text()
    assert view.dob.value() is None
