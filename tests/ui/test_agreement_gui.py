"""Agreement exercises in the GUI: a manager makes an exercise, writes a vignette and assigns
practitioners; a practitioner screens it in the clearly marked practice window; the
manager reads the report."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from riskscreen.services import Session
from riskscreen.ui.agreement import (
    PRACTICE_TITLE,
    AgreementController,
    PracticeController,
)
from riskscreen.ui.manager.menus import RoleMenus
from riskscreen.ui.worker import wait_for_background

from ..conftest import Vault
from .helpers import answer_all, click, golden_case, type_into


def _idle(qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: wait_for_background(10_000), timeout=15_000)
    QApplication.processEvents()


def _practice(qtbot: QtBot, session: Session) -> PracticeController:
    """The practice window of ``session``'s practitioner, started and shown."""
    practice = PracticeController(session)
    qtbot.addWidget(practice.window)
    practice.start()
    practice.window.show()
    _idle(qtbot)
    return practice


def _manager(qtbot: QtBot, mary: Session) -> AgreementController:
    controller = AgreementController(mary)
    qtbot.addWidget(controller.window)
    controller.start()
    controller.window.show()
    _idle(qtbot)
    return controller


def test_manager_makes_an_exercise_and_a_practitioner_practises(
        qtbot: QtBot, vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    answers, expected = golden_case("17-current-exploitation")
    case = answers["answers"]
    mary = vault.login("mary")
    manager = _manager(qtbot, mary)
    view = manager.view
    assert not view.tabs.isEnabled()  # nothing to fill in before an exercise exists

    # New exercise (the title is asked in a dialog, the one thing patched).
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *a, **k: ("Spring practice", True)))
    with qtbot.waitSignal(manager.changed, timeout=10_000):
        click(qtbot, view.new_button)
    _idle(qtbot)
    qtbot.waitUntil(lambda: view.tabs.isEnabled(), timeout=10_000)
    assert view.exercises.count() == 1
    assert "Spring practice" in view.heading.text()

    # Write a vignette.
    type_into(qtbot, view.vignette_title, "Vignette A: Robin")
    # The date of birth is typed day/month/year, as every date in RiskScreen is.
    assert view.vignette_dob.line.placeholderText() == "dd/mm/yyyy"
    born = date.fromisoformat(case["date_of_birth"])
    type_into(qtbot, view.vignette_dob.line, born.strftime("%d/%m/%Y"))
    type_into(qtbot, view.vignette_text, "Robin is a made-up child whom older adults collect "
                                         "from school; a youth worker saw it twice.")
    with qtbot.waitSignal(manager.changed, timeout=10_000):
        click(qtbot, view.add_button)
    _idle(qtbot)
    qtbot.waitUntil(lambda: view.vignettes.count() == 1, timeout=10_000)
    assert view.vignette_title.text() == ""  # ready for the next one

    # Assign pat.
    view.tabs.setCurrentIndex(1)
    names = [view.practitioners.item(i).text() for i in range(view.practitioners.count())]
    assert names == ["pat", "paula"]
    view.practitioners.item(0).setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(manager.changed, timeout=10_000):
        click(qtbot, view.assign_button)
    _idle(qtbot)
    qtbot.waitUntil(lambda: view.practitioners.item(0).text() == "pat (assigned)",
                    timeout=10_000)
    (exercise,) = mary.agreement.exercises()
    assert exercise.practitioners == ("pat",)

    # Pat practises in a window that cannot be taken for the real one.
    pat = vault.login("pat")
    practice = _practice(qtbot, pat)
    pv = practice.view
    assert practice.window.windowTitle() == PRACTICE_TITLE
    assert pv.banner.isVisible()
    assert pv.banner.text().startswith("PRACTICE MODE")
    buttons = " ".join(b.text() for b in practice.window.findChildren(QPushButton))
    for real_only in ("Referral", "Print", "PDF", "Finalise", "Amend"):
        assert real_only not in buttons
    qtbot.waitUntil(lambda: pv.vignettes.count() == 2, timeout=10_000)  # prompt + vignette
    pv.vignettes.setFocus()
    with qtbot.waitSignal(practice.opened, timeout=10_000):
        qtbot.keyClick(pv.vignettes, Qt.Key.Key_Down)
    _idle(qtbot)
    assert pv.vignette_text.toPlainText().startswith("Robin is a made-up child")
    assert pv.questionnaire is not None
    assert pv.questionnaire.answers()["child_name"] == "Vignette A: Robin"
    answer_all(qtbot, pv.questionnaire, {k: v for k, v in case.items() if k != "child_name"})
    qtbot.waitUntil(lambda: pv.save_status.text() == "All answers saved (practice only).",
                    timeout=10_000)
    assert pv.score.chip.level_id == expected["level"]

    # Submit, after saying plainly what it means.
    click(qtbot, pv.submit_button)
    box = next(b for b in practice.window.findChildren(QMessageBox)
               if b.objectName() == "confirmSubmitPractice")
    assert "not a real screening" in box.text()
    with qtbot.waitSignal(practice.submitted, timeout=10_000):
        click(qtbot, next(b for b in box.buttons() if b.text() == "Submit"))
    _idle(qtbot)
    qtbot.waitUntil(lambda: not pv.submit_button.isVisible(), timeout=10_000)
    assert not pv.questionnaire.blocks["older_associates"].editor.isEnabled()
    qtbot.waitUntil(lambda: pv.vignettes.currentText().startswith(
        "Vignette A: Robin — Submitted"), timeout=10_000)
    # Nothing real was made.
    assert pat.screenings.find().total == 0

    # The manager's report says, in words, that one practitioner is too few.
    view.tabs.setCurrentIndex(2)
    with qtbot.waitSignal(manager.reported, timeout=30_000):
        click(qtbot, view.report_button)
    html = view.report.toPlainText()
    assert "Agreement needs at least two practitioners" in html
    assert "Levels given to each vignette" in html


def test_practice_and_exercises_are_offered_by_role(qtbot: QtBot, vault: Vault,
                                                    tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    qtbot.addWidget(window)
    said: list[str] = []
    menus = RoleMenus(window, said.append)
    for name, practice, exercises in (("pat", True, False), ("mary", False, True),
                                      ("admin", False, False)):
        session = vault.login(name)
        menus.session_provider = lambda s=session: s  # type: ignore[misc]
        menus.refresh(True)
        assert menus.practice_menu.menuAction().isVisible() is practice
        assert menus.agreement_action.isVisible() is exercises
        if practice:
            menus.practice_action.trigger()
            _idle(qtbot)
            (opened,) = menus.open
            assert opened.window.windowTitle() == PRACTICE_TITLE
            menus.practice_action.trigger()  # brought back, not opened twice
            assert len(menus.open) == 1
        menus.refresh(False)  # locked: every tool window closes
        assert menus.open == []
        session.close()


@pytest.mark.parametrize("size", [(1024, 768), (910, 512)], ids=["1024x768", "150%"])
def test_practice_window_fits_small_and_scaled_screens(qtbot: QtBot, vault: Vault,
                                                       size: tuple[int, int]) -> None:
    """At 1024x768 and at 1366x768 at 150 % (910x512 logical): the banner is whole, the
    questionnaire needs no sideways scrolling, and the live score and submit button are not
    cut off."""
    from PySide6.QtWidgets import QScrollArea

    mary = vault.login("mary")
    ex = mary.agreement.create_exercise("Layout")
    vignette = mary.agreement.add_vignette(ex.id, "Vignette A", "A made-up case. " * 20,
                                           "2012-01-01")
    mary.agreement.assign(ex.id, ["pat"])
    practice = PracticeController(vault.login("pat"))
    qtbot.addWidget(practice.window)
    practice.window.resize(*size)
    practice.start()
    practice.window.show()
    with qtbot.waitSignal(practice.opened, timeout=10_000):
        practice.open_vignette(vignette.id)
    _idle(qtbot)
    for _ in range(6):
        QApplication.processEvents()
    pv = practice.view
    window = practice.window
    banner = pv.banner
    assert banner.height() >= banner.heightForWidth(banner.width())
    assert pv.questionnaire is not None
    scroll = pv.questionnaire.pages.currentWidget()
    assert isinstance(scroll, QScrollArea)
    assert not scroll.horizontalScrollBar().isVisible()
    for widget in (pv.submit_button, pv.score, pv.vignettes):
        where = widget.mapTo(window, widget.rect().bottomRight())
        assert where.x() < window.width(), widget
        assert where.y() < window.height(), widget
    chip = pv.score.chip
    assert chip.width() >= chip.minimumSizeHint().width()
    assert pv.score.width() >= 200


def test_a_vignette_date_of_birth_that_is_not_a_date_is_said_and_nothing_is_added(
        qtbot: QtBot, vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    mary = vault.login("mary")
    manager = _manager(qtbot, mary)
    view = manager.view
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *a, **k: ("Dates", True)))
    with qtbot.waitSignal(manager.changed, timeout=10_000):
        click(qtbot, view.new_button)
    _idle(qtbot)
    qtbot.waitUntil(lambda: view.tabs.isEnabled(), timeout=10_000)
    banner = manager.window.banner
    assert not banner.isVisible()
    type_into(qtbot, view.vignette_title, "Vignette B: Sam")
    type_into(qtbot, view.vignette_dob.line, "31/02/2012")
    type_into(qtbot, view.vignette_text, "Sam is a made-up child.")
    click(qtbot, view.add_button)
    _idle(qtbot)
    # Said in the window's banner, not in a box that waits to be closed.
    assert banner.isVisible()
    assert "does not exist" in banner.text.text()
    assert not manager.window.findChildren(QMessageBox)
    assert view.vignettes.count() == 0
    assert view.vignette_title.text() == "Vignette B: Sam"  # nothing typed is lost


def test_a_practice_failure_is_said_in_the_practice_windows_banner_not_a_modal_box(
        qtbot: QtBot, vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    from riskscreen.services.errors import ServiceError

    pat = vault.login("pat")
    practice = _practice(qtbot, pat)
    banner = practice.window.banner
    assert not banner.isVisible()
    assert practice.view.banner.isVisible()  # the practice-mode marking, always there

    def refused() -> None:
        raise ServiceError("The practice list could not be read; try again.")

    monkeypatch.setattr(pat.agreement, "assigned", refused)
    practice.refresh()
    _idle(qtbot)
    qtbot.waitUntil(banner.isVisible, timeout=10_000)
    assert banner.text.text() == "The practice list could not be read; try again."
    assert not practice.window.findChildren(QMessageBox)
    assert banner.geometry().top() == 0  # above the practice page, edge to edge
    assert practice.view.geometry().top() > banner.geometry().bottom()
    click(qtbot, banner.dismiss)
    assert not banner.isVisible()
    assert practice.view.banner.isVisible()


def _open_practice(qtbot: QtBot, menus: RoleMenus, vignette_id: int) -> PracticeController:
    """Open the practice window from the menus, and in it the practice of this vignette."""
    menus.practice_action.trigger()
    _idle(qtbot)
    (practice,) = menus.open
    with qtbot.waitSignal(practice.opened, timeout=10_000):
        practice.open_vignette(vignette_id)
    _idle(qtbot)
    return practice


def _practice_in_a_window(qtbot: QtBot, vault: Vault,
                          title: str) -> tuple[RoleMenus, PracticeController, Session, int]:
    """Pat's practice window, opened from the menus, on a vignette of a new exercise Mary
    assigned to Pat; returns the menus, the practice, Pat's session and the vignette."""
    from PySide6.QtWidgets import QMainWindow

    mary = vault.login("mary")
    ex = mary.agreement.create_exercise(title)
    vignette = mary.agreement.add_vignette(ex.id, "Vignette A", "A made-up case. " * 5,
                                           "2012-01-01")
    mary.agreement.assign(ex.id, ["pat"])
    pat = vault.login("pat")
    window = QMainWindow()
    qtbot.addWidget(window)
    menus = RoleMenus(window, lambda _text: None)
    menus.session_provider = lambda: pat
    menus.refresh(True)
    practice = _open_practice(qtbot, menus, vignette.id)
    return menus, practice, pat, vignette.id


def test_an_answer_given_just_before_the_practice_window_closes_is_saved(
        qtbot: QtBot, vault: Vault) -> None:
    """A closed practice window is deleted with its save timer, so closing saves what waits."""
    from shiboken6 import isValid

    from .helpers import answer

    menus, practice, pat, vignette_id = _practice_in_a_window(qtbot, vault, "Closing")
    answers, _ = golden_case("17-current-exploitation")
    qid, value = next((k, v) for k, v in answers["answers"].items()
                      if k not in ("child_name", "date_of_birth"))
    assert practice.view.questionnaire is not None
    answer(qtbot, practice.view.questionnaire, qid, value)
    practice_window = practice.window
    del practice
    practice_window.close()
    qtbot.waitUntil(lambda: not isValid(practice_window), timeout=10_000)
    _idle(qtbot)
    assert menus.open == []
    assert pat.agreement.open_practice(vignette_id).answers[qid] == value


def test_a_submission_asked_for_during_a_save_survives_the_window_closing(
        qtbot: QtBot, vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    """Submit pressed while a save runs is made once the save ends, even when the window was
    closed meanwhile: a closed window is deleted as soon as nothing is pending."""
    import threading

    from shiboken6 import isValid

    from riskscreen.ui.manager.menus import _ClosedTools

    monkeypatch.setattr(_ClosedTools, "RETRY_MS", 0)
    answers, _ = golden_case("17-current-exploitation")
    _menus, practice, pat, vignette_id = _practice_in_a_window(qtbot, vault, "Submitting")
    pv = practice.view
    assert pv.questionnaire is not None
    answer_all(qtbot, pv.questionnaire, {k: v for k, v in answers["answers"].items()
                                         if k not in ("child_name", "date_of_birth")})
    qtbot.waitUntil(lambda: pv.save_status.text() == "All answers saved (practice only).",
                    timeout=10_000)

    gate = threading.Event()
    save = pat.agreement.save_practice

    def slow_save(*args: Any, **kwargs: Any) -> Any:
        gate.wait(10)
        return save(*args, **kwargs)

    monkeypatch.setattr(pat.agreement, "save_practice", slow_save)
    practice._dirty = True  # as after an answer; its save is under way, held by the gate
    practice._save()
    assert practice.current is not None
    practice.submit(practice.current.id)
    practice_window = practice.window
    del practice
    practice_window.close()
    gate.set()
    qtbot.waitUntil(lambda: not isValid(practice_window), timeout=10_000)
    _idle(qtbot)
    qtbot.wait(300)
    assert pat.agreement.open_practice(vignette_id).submitted


def test_a_save_failing_as_the_practice_window_closes_shows_the_window_again(
        qtbot: QtBot, vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    """The answers of a save that failed are only on screen: a window closed meanwhile is
    shown again with them and the reason, not deleted with both."""
    from shiboken6 import isValid

    from riskscreen.services.errors import NotEditable
    from riskscreen.ui.manager.menus import _ClosedTools

    from .helpers import answer

    monkeypatch.setattr(_ClosedTools, "RETRY_MS", 0)
    menus, practice, pat, _vignette = _practice_in_a_window(qtbot, vault, "Failing")

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise NotEditable("This practice screening can no longer change.")

    monkeypatch.setattr(pat.agreement, "save_practice", refuse)
    answers, _ = golden_case("17-current-exploitation")
    qid, value = next((k, v) for k, v in answers["answers"].items()
                      if k not in ("child_name", "date_of_birth"))
    q = practice.view.questionnaire
    assert q is not None
    answer(qtbot, q, qid, value)
    practice.window.close()
    _idle(qtbot)
    qtbot.wait(100)
    _idle(qtbot)
    assert isValid(practice.window)
    assert practice.window.isVisible()
    assert menus.open == [practice]
    assert q.answers()[qid] == value
    assert "can no longer change" in practice.view.save_status.text()


def _practice_open_in_app(qtbot: QtBot, app: Any, tmp_path: Path) -> tuple[Any, int, str, Any]:
    """Pat signed in to the application with a practice screening open and one answer
    typed (still waiting to be saved); returns the practice controller, the vignette, the
    question and its answer."""
    from riskscreen.services import Unlocker

    from .helpers import answer
    from .test_app_flow import PAT, unlock

    unlocker = Unlocker(tmp_path / "riskscreen.db", sleep=lambda _: None, auto_backups=False)
    with unlocker.unlock("admin", "admin passphrase") as admin:
        admin.accounts.create("molly", "manager", "manager passphrase")
    with unlocker.unlock("molly", "manager passphrase") as manager:
        ex = manager.agreement.create_exercise("Locking")
        vignette = manager.agreement.add_vignette(ex.id, "Vignette L", "A made-up case. " * 5,
                                                  "2012-01-01")
        manager.agreement.assign(ex.id, [PAT[0]])
    app.start()
    type_into(qtbot, app.unlock_view.name, PAT[0])
    unlock(qtbot, app, PAT[1])
    qtbot.waitUntil(lambda: app.session is not None and not app.home_view.loading,
                    timeout=20_000)
    menus = app.window.role_menus
    practice = _open_practice(qtbot, menus, vignette.id)
    answers, _ = golden_case("17-current-exploitation")
    qid, value = next((k, v) for k, v in answers["answers"].items()
                      if k not in ("child_name", "date_of_birth"))
    assert practice.view.questionnaire is not None
    answer(qtbot, practice.view.questionnaire, qid, value)
    return practice, vignette.id, qid, value


def test_locking_keeps_what_was_typed_in_a_practice_window(
        qtbot: QtBot, ready_app: Any, tmp_path: Path) -> None:
    """Locking closes the tool windows, which save their typing as they close; the key is
    forgotten only once those saves are over, so they do not fail on a closed session."""
    from riskscreen.services import Unlocker

    from .test_app_flow import PAT

    _practice, vignette_id, qid, value = _practice_open_in_app(qtbot, ready_app, tmp_path)
    ready_app.lock()
    _idle(qtbot)
    unlocker = Unlocker(tmp_path / "riskscreen.db", sleep=lambda _: None, auto_backups=False)
    with unlocker.unlock(PAT[0], PAT[1]) as pat:
        assert pat.agreement.open_practice(vignette_id).answers.get(qid) == value


def test_a_change_in_the_main_window_leaves_the_practice_window_open(
        qtbot: QtBot, ready_app: Any, tmp_path: Path) -> None:
    """While a screening is finalised or amended, the menus wait, but a practice screening
    open beside it stays open with what was typed in it."""
    practice, _vignette_id, qid, value = _practice_open_in_app(qtbot, ready_app, tmp_path)
    menus = ready_app.window.role_menus
    ready_app._set_changing(True)
    try:
        assert menus.open == [practice]
        assert practice.window.isVisible()
        assert not menus.practice_menu.isEnabled()
        assert not ready_app.window.lock_action.isEnabled()
    finally:
        ready_app._set_changing(False)
    assert menus.practice_menu.isEnabled()
    assert practice.view.questionnaire is not None
    assert practice.view.questionnaire.answers()[qid] == value
