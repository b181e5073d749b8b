"""Finalising and amending in the real window: the level a child was given is never lowered
by one click, the choice of levels is safe, and finalising asks first.

Only the confirmation key presses go to the real message box; nothing is patched.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from riskscreen.services import Unlocker
from riskscreen.ui.controller import AppController
from riskscreen.ui.finalise import FinaliseView

from ..conftest import finalise_case
from .helpers import (
    answer_all,
    answer_confirmation,
    click,
    golden_case,
    type_into,
    wait_for_change,
)
from .test_app_flow import ADMIN, PAT, new_child_screening, read_db, set_up, unlock

pytestmark = pytest.mark.gui

MARY = ("mary", "manager passphrase here")
RAISE = "The school saw the child collected by unknown adults twice this week after lessons."
LOWER = "Police checks show the adult collecting the child is her uncle, who cares for her."


def _levels(review: FinaliseView) -> list[object]:
    return [review.level.itemData(i) for i in range(review.level.count())]


def _open_review(qtbot: QtBot, app: AppController) -> FinaliseView:
    assert app.current is not None
    click(qtbot, app.current.view.finalise_button)
    review = app.finalise_view
    assert app.window.stack.currentWidget() is review
    return review


def test_amending_a_level_raised_by_judgement_cannot_lower_it_in_one_click(
        qtbot: QtBot, app: AppController, tmp_path: Path) -> None:
    set_up(qtbot, app)
    with Unlocker(tmp_path / "data" / "riskscreen.db", auto_backups=False).unlock(*ADMIN) as a:
        a.accounts.create(*MARY[:1], "manager", MARY[1], display_name="Mary Manager")
    unlock(qtbot, app, PAT[1])
    answers, expected = golden_case("06-repeated-missing-with-indicator")
    case = answers["answers"]
    view = new_child_screening(qtbot, app, case["child_name"], case["date_of_birth"])
    answer_all(qtbot, view.questionnaire, case)
    assert view.score.chip.level_id == expected["level"] == "medium"

    # A new screening: the level list starts on no level, and offers nothing below the
    # rule's minimum, saying why in plain words before anyone types a passphrase.
    review = _open_review(qtbot, app)
    click(qtbot, review.other)
    assert review.level.currentData() is None
    assert _levels(review) == [None, "high"]
    assert review.floor_note.isVisible()
    assert "cannot be lower than Medium, because the child has been missing" in \
        review.floor_note.text()
    assert "repeated_missing" not in review.floor_note.text()
    type_into(qtbot, review.reason, RAISE)
    click(qtbot, review.finalise_button)
    assert "Choose the level" in review.error.text()
    review.level.setCurrentIndex(review.level.findData("high"))

    # Finalising asks first; Esc goes back without finalising, Enter finalises.
    click(qtbot, review.finalise_button)
    asked = answer_confirmation(qtbot, review, Qt.Key.Key_Escape)
    assert "“High”" in asked
    assert "cannot be changed or undone" in asked
    assert app.window.stack.currentWidget() is review
    assert app.current is not None
    assert app.current.detail.row.status == "draft"
    click(qtbot, review.finalise_button)
    answer_confirmation(qtbot, review)
    assert app.current.detail.row.status == "final"
    assert app.current.detail.row.level == "high"
    original = app.current.id

    # Amend: an empty reason says what is missing and keeps the dialog open.
    click(qtbot, app.current.view.amend_button)
    dialog = app.amend_dialog
    assert dialog is not None
    click(qtbot, dialog.ok_button)
    assert dialog.isVisible()
    assert dialog.error.isVisible()
    assert "why the screening is being amended" in dialog.error.text()
    type_into(qtbot, dialog.reason, "No")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    wait_for_change(qtbot, app)
    assert dialog.isVisible()
    assert "in a sentence" in dialog.error.text()
    dialog.reason.clear()
    type_into(qtbot, dialog.reason, "The school's name was recorded wrongly at first.")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    wait_for_change(qtbot, app)
    assert app.amend_dialog is None
    assert app.current.detail.row.amendment_of == original

    # The reported scenario: the review defaults to keeping High, says why, and one click
    # (and Enter) finalises High, never the computed Medium.
    review = _open_review(qtbot, app)
    assert review.chip.level_id == "medium"
    assert review.agree.isChecked()
    assert "Keep High" in review.agree.text()
    assert review.amend_notice.isVisible()
    assert "finalised at High" in review.amend_notice.text()
    assert "countersignature" in review.amend_notice.text()
    click(qtbot, review.finalise_button)
    assert "“High”" in answer_confirmation(qtbot, review, Qt.Key.Key_Escape)

    # Medium is offered as the computed level, only with a reason and a countersignature.
    click(qtbot, review.other)
    assert review.level.currentData() is None
    assert _levels(review) == [None, "medium"]
    review.level.setCurrentIndex(review.level.findData("medium"))
    assert review.manager.isVisible()
    assert "lower than High, the level carried forward" in review.countersign_note.text()
    type_into(qtbot, review.reason, LOWER)
    click(qtbot, review.finalise_button)
    assert "countersignature" in review.error.text()
    assert review.confirm_box is None
    type_into(qtbot, review.manager, MARY[0])
    type_into(qtbot, review.manager_passphrase, MARY[1])
    click(qtbot, review.finalise_button)
    assert "“Medium”" in answer_confirmation(qtbot, review)
    assert app.current.detail.row.status == "final"
    assessment = app.current.detail.assessment
    assert assessment is not None
    assert assessment.final_level == "medium"
    assert assessment.override is not None
    assert (assessment.override.from_level, assessment.override.countersigned_by) == \
        ("high", "mary")
    assert "Lowered from High, the level of the screening this amends" in \
        app.current.view.score.total.text()
    amendment = app.current.id
    app.lock()
    with read_db(tmp_path) as session:
        levels = [r.level for r in session.children.get(
            session.screenings.open(amendment).row.child_id).screenings]
    assert levels == ["high", "medium"]


def test_one_click_on_an_amendment_finalises_the_level_carried_forward(
        qtbot: QtBot, app: AppController) -> None:
    set_up(qtbot, app)
    unlock(qtbot, app, PAT[1])
    answers, _ = golden_case("06-repeated-missing-with-indicator")
    case = answers["answers"]
    view = new_child_screening(qtbot, app, case["child_name"], case["date_of_birth"])
    answer_all(qtbot, view.questionnaire, case)
    review = _open_review(qtbot, app)
    click(qtbot, review.other)
    review.level.setCurrentIndex(review.level.findData("high"))
    type_into(qtbot, review.reason, RAISE)
    click(qtbot, review.finalise_button)
    answer_confirmation(qtbot, review)
    assert app.current is not None
    click(qtbot, app.current.view.amend_button)
    assert app.amend_dialog is not None
    type_into(qtbot, app.amend_dialog.reason, "The school's name was recorded wrongly.")
    click(qtbot, app.amend_dialog.ok_button)
    wait_for_change(qtbot, app)
    review = _open_review(qtbot, app)
    click(qtbot, review.finalise_button)
    answer_confirmation(qtbot, review)
    detail = app.current.detail
    assert detail.row.status == "final"
    assert detail.assessment is not None
    assert (detail.assessment.level, detail.assessment.final_level) == ("medium", "high")
    assert detail.assessment.override is not None
    assert detail.assessment.override.reason == RAISE


def test_finalising_runs_off_the_gui_thread_and_a_lock_waits_for_it(
        qtbot: QtBot, app: AppController, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    set_up(qtbot, app)
    unlock(qtbot, app, PAT[1])
    answers, _ = golden_case("06-repeated-missing-with-indicator")
    case = answers["answers"]
    view = new_child_screening(qtbot, app, case["child_name"], case["date_of_birth"])
    answer_all(qtbot, view.questionnaire, case)
    session = app.session
    assert session is not None
    assert app.current is not None
    finalise, release = session.screenings.finalise, threading.Event()
    on_gui_thread: list[bool] = []
    released: list[bool] = []

    def held_finalise(*args: object) -> None:
        # The real finalise, held until the test has looked at the window meanwhile (bounded
        # only so that a broken test cannot hang the run; the test checks it was released).
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        released.append(release.wait(120))
        finalise(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(session.screenings, "finalise", held_finalise)
    sid = app.current.id
    review = _open_review(qtbot, app)
    click(qtbot, review.finalise_button)
    qtbot.waitUntil(lambda: review.confirm_box is not None and review.confirm_box.isVisible(),
                    timeout=60_000)
    assert review.confirm_box is not None
    qtbot.keyClick(review.confirm_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: on_gui_thread == [False], timeout=60_000)
    # Meanwhile the GUI answers, but nothing else can be asked of the session.
    assert not review.finalise_button.isEnabled()
    assert not app.window.lock_action.isEnabled()
    app.lock("Locked after 5 minutes without use.")
    assert app.session is session
    release.set()
    qtbot.waitUntil(lambda: app.session is None, timeout=60_000)
    assert released == [True], "the lock waited for the finalise the test released"
    assert app.window.stack.currentWidget() is app.unlock_view
    with read_db(tmp_path) as reader:
        assert reader.screenings.open(sid).row.status == "final"


def test_the_live_trend_is_the_trend_finalising_gives(qtbot: QtBot, app: AppController,
                                                     tmp_path: Path) -> None:
    from datetime import date

    set_up(qtbot, app)
    high, _ = golden_case("17-current-exploitation")
    with read_db(tmp_path) as session:  # an earlier screening of the child: no apparent risk
        child = session.children.create(high["answers"]["child_name"],
                                        high["answers"]["date_of_birth"])
        earlier = finalise_case(session, "01-no-concerns", child=child.id,
                                screening_date=date.fromisoformat(high["screening_date"])
                                ).assessment
    unlock(qtbot, app, PAT[1])
    app.start_screening(child.id)
    wait_for_change(qtbot, app)
    assert app.current is not None
    view = app.current.view
    answer_all(qtbot, view.questionnaire, {
        qid: value for qid, value in high["answers"].items()
        if qid not in ("child_name", "date_of_birth")})
    live = view.score.assessment
    assert live is not None
    assert live.rank() > earlier.rank(earlier.final_level)
    assert live.trend == "increased"  # against the earlier screening, as finalising says
    review = _open_review(qtbot, app)
    click(qtbot, review.finalise_button)
    answer_confirmation(qtbot, review)
    wait_for_change(qtbot, app)
    assert review.error.text() == ""
    assert app.current is not None
    final = app.current.detail.assessment
    assert final is not None
    assert (final.trend, final.level) == (live.trend, live.level)
