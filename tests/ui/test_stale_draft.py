"""No lost update from the questionnaire: an answer given in a copy of a draft that someone
else has saved since is refused, the practitioner is told calmly what was not saved, and the
draft is reloaded with the other person's answers (on a laptop's file and on a team server).

The "someone else" is the same practitioner signed in on a second computer: a session of
its own on the same database, as another process would have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from riskscreen.ui.controller import AppController

from .helpers import answer
from .test_server_signin import PAT, sign_in, signed_in_app

pytestmark = pytest.mark.gui


def _other_computer(app: AppController, vault: Any) -> Any:
    """Pat's session on another computer (the same database, its own connection)."""
    return vault.unlocker().unlock(*PAT)


def test_an_answer_over_someone_elses_newer_save_is_refused_shown_and_reloaded(
        qtbot: QtBot, backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    app, vault = signed_in_app(qtbot, tmp_path, request, backend)
    with _other_computer(app, vault) as other:
        child = other.children.create("Shared Child", "2011-04-05")
        sid = other.screenings.start(child.id)
        app.open_screening(sid)
        assert app.current is not None
        assert app.current.id == sid
        questionnaire = app.current.view.questionnaire
        # Pat's other computer saves two answers to the draft meanwhile.
        other.screenings.save_answer(sid, "gender", "female")
        other.screenings.save_answer(sid, "ethnicity", "Written on the other computer")

        answer(qtbot, questionnaire, "gender", "male")

        qtbot.waitUntil(lambda: app.stale_box is not None and app.stale_box.isVisible(),
                        timeout=5000)
        box = app.stale_box
        assert box is not None
        assert "NOT saved" in box.text()
        assert "nothing of theirs was overwritten" in box.text()
        assert "you gave “Male”; it now shows “Female”" in box.informativeText()
        # Nothing of the other computer's answers was written over.
        stored = other.screenings.open(sid).answers
        assert stored["gender"].value == "female"
        assert stored["ethnicity"].value == "Written on the other computer"
        # The draft on screen is theirs now, and the next answer from it is saved.
        reloaded = app.current.view.questionnaire
        assert reloaded is not questionnaire
        assert reloaded.answers()["gender"] == "female"
        assert reloaded.answers()["ethnicity"] == "Written on the other computer"
        box.button(QMessageBox.StandardButton.Ok).click()
        answer(qtbot, reloaded, "gender", "male")
        assert other.screenings.open(sid).answers["gender"].value == "male"
        assert "All answers saved" in app.current.view.save_status.text()


def test_typing_still_waiting_elsewhere_is_shown_too_not_lost_or_saved(
        qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    app, vault = signed_in_app(qtbot, tmp_path, request, "sqlite")
    with _other_computer(app, vault) as other:
        sid = other.screenings.start(other.children.create("Typing Child", "2011-04-05").id)
        app.open_screening(sid)
        assert app.current is not None
        questionnaire = app.current.view.questionnaire
        other.screenings.save_answer(sid, "gender", "female")
        questionnaire.show_question("ethnicity")
        editor = questionnaire.blocks["ethnicity"].editor
        qtbot.keyClicks(editor.focus_target(), "Typed here, not yet given out")
        assert editor.pending()
        answer(qtbot, questionnaire, "gender", "male")
        qtbot.waitUntil(lambda: app.stale_box is not None, timeout=5000)
        assert app.stale_box is not None
        shown = app.stale_box.informativeText()
        assert "“Typed here, not yet given out”; it now shows “no answer”" in shown
        assert "ethnicity" not in other.screenings.open(sid).answers


def test_a_refusal_met_while_locking_is_said_only_after_the_same_person_unlocks(
        qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    app, vault = signed_in_app(qtbot, tmp_path, request, "sqlite")
    with _other_computer(app, vault) as other:
        sid = other.screenings.start(other.children.create("Locked Child", "2011-04-05").id)
        app.open_screening(sid)
        assert app.current is not None
        questionnaire = app.current.view.questionnaire
        other.screenings.save_answer(sid, "ethnicity", "Saved on the other computer")
        questionnaire.show_question("ethnicity")
        qtbot.keyClicks(questionnaire.blocks["ethnicity"].editor.focus_target(),
                        "Typed before the lock")

        app.lock()  # saving what is typed meets the other computer's newer save
        QCoreApplication.processEvents()
        assert app.stale_box is None  # nothing of the screening shows on the lock screen
        assert other.screenings.open(sid).answers["ethnicity"].value == \
            "Saved on the other computer"

        sign_in(qtbot, app, *PAT)
        qtbot.waitUntil(lambda: app.stale_box is not None, timeout=5000)
        assert app.stale_box is not None
        assert "“Typed before the lock”; it now shows “Saved on the other computer”" in \
            app.stale_box.informativeText()
        assert app.current is not None
        assert app.current.view.questionnaire.answers()["ethnicity"] == \
            "Saved on the other computer"
        assert app.window.stack.currentWidget() is app.current.view
