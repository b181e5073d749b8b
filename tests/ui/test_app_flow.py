"""The practitioner's path through the real application, from set-up to a saved referral.

Only the platform's modal dialogs (file chooser, print dialog) are patched.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSettings
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from riskscreen.services import Session, Unlocker
from riskscreen.services.maintenance import Maintenance
from riskscreen.summary import render_pdf_bytes
from riskscreen.ui import controller as controller_module
from riskscreen.ui.controller import AppController
from riskscreen.ui.home import ScreeningListModel
from riskscreen.ui.screening import ScreeningView
from riskscreen.ui.worker import wait_for_background

from ..conftest import FAST
from .helpers import (
    answer,
    answer_all,
    answer_confirmation,
    click,
    golden_case,
    type_into,
    wait_for_change,
)

pytestmark = pytest.mark.gui

ADMIN = ("admin", "administrator passphrase")
PAT = ("pat", "practitioner passphrase")


def set_up(qtbot: QtBot, app: AppController) -> str:
    """Run the set-up assistant; return the recovery key it showed."""
    app.start()
    view = app.setup_view
    assert view is not None
    assert app.window.stack.currentWidget() is view
    click(qtbot, view.next_button)
    type_into(qtbot, view.admin.name, ADMIN[0])
    type_into(qtbot, view.admin.passphrase, ADMIN[1])
    type_into(qtbot, view.admin.repeat, "not the same")
    click(qtbot, view.next_button)
    assert "not the same" in view.error.text()
    view.admin.repeat.clear()
    type_into(qtbot, view.admin.repeat, ADMIN[1])
    click(qtbot, view.next_button)
    assert view.step() == 2
    type_into(qtbot, view.practitioner.name, PAT[0])
    type_into(qtbot, view.practitioner.display_name, "Pat Example")
    type_into(qtbot, view.practitioner.passphrase, PAT[1])
    type_into(qtbot, view.practitioner.repeat, PAT[1])
    click(qtbot, view.next_button)
    qtbot.waitUntil(lambda: view.step() == 3, timeout=20_000)
    key = view.recovery_key.text()
    assert len(key) > 20
    assert not view.next_button.isEnabled()  # not before "I have stored it safely"
    click(qtbot, view.stored)
    assert view.next_button.isEnabled()
    click(qtbot, view.next_button)
    assert app.window.stack.currentWidget() is app.unlock_view
    assert app.unlock_view.name.text() == PAT[0]
    return key


def unlock(qtbot: QtBot, app: AppController, passphrase: str) -> None:
    view = app.unlock_view
    view.passphrase.clear()
    type_into(qtbot, view.passphrase, passphrase)
    click(qtbot, view.button)
    qtbot.waitUntil(lambda: view.button.isEnabled(), timeout=20_000)


def screening_view(app: AppController) -> ScreeningView:
    assert app.current is not None
    return app.current.view


def new_child_screening(qtbot: QtBot, app: AppController, name: str, dob: str) -> ScreeningView:
    click(qtbot, app.home_view.new_button)
    assert app.window.stack.currentWidget() is app.new_view
    type_into(qtbot, app.new_view.name, name)
    type_into(qtbot, app.new_view.dob.line, date.fromisoformat(dob).strftime("%d/%m/%Y"))
    click(qtbot, app.new_view.create_button)
    wait_for_change(qtbot, app)
    view = screening_view(app)
    assert app.window.stack.currentWidget() is view
    return view


def amend(qtbot: QtBot, app: AppController, reason: str) -> None:
    """Amend the open screening through the real reason dialog."""
    assert app.current is not None
    click(qtbot, app.current.view.amend_button)
    dialog = app.amend_dialog
    assert dialog is not None
    assert dialog.isVisible()
    type_into(qtbot, dialog.reason, reason)
    click(qtbot, dialog.ok_button)
    wait_for_change(qtbot, app)
    assert app.amend_dialog is None


def read_db(tmp_path: Path) -> Session:
    return Unlocker(tmp_path / "data" / "riskscreen.db", auto_backups=False).unlock(*PAT)


def test_set_up_unlock_complete_finalise_and_save_the_referral(
        qtbot: QtBot, app: AppController, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    set_up(qtbot, app)

    # A wrong passphrase says so in plain words and stays locked.
    unlock(qtbot, app, "wrong passphrase")
    assert app.session is None
    assert app.unlock_view.error.isVisible()
    assert "passphrase is wrong" in app.unlock_view.error.text()
    unlock(qtbot, app, PAT[1])
    assert app.session is not None
    assert app.window.stack.currentWidget() is app.home_view

    answers, expected = golden_case("17-current-exploitation")
    case = answers["answers"]
    view = new_child_screening(qtbot, app, case["child_name"], case["date_of_birth"])
    questionnaire = view.questionnaire
    # Pre-filled from the child's record.
    assert questionnaire.answers()["child_name"] == case["child_name"]

    # The screening date of the golden case is fixed; this screening is dated today, so
    # the age is checked on the answers that do not depend on it.
    answer_all(qtbot, questionnaire, case)
    qtbot.waitUntil(lambda: view.save_status.text().startswith("All answers saved"),
                    timeout=3000)
    assert view.score.chip.level_id == expected["level"]
    for rule in expected["rules_fired"]:
        assert view.score.assessment is not None
        assert rule in [r.id for r in view.score.assessment.rules_fired]

    # Review and finalise, agreeing with the computed level.
    click(qtbot, view.finalise_button)
    review = app.finalise_view
    assert app.window.stack.currentWidget() is review
    assert review.finalise_button.isEnabled()
    assert review.chip.level_id == expected["level"]
    click(qtbot, review.finalise_button)
    assert "cannot be changed or undone" in answer_confirmation(qtbot, review)
    view = screening_view(app)
    assert app.current is not None
    assert app.current.detail.row.status == "final"
    assert not view.finalise_button.isVisible()
    assert view.amend_button.isVisible()
    assert not view.questionnaire.blocks["older_associates"].editor.isEnabled()

    # Preview and save the referral (the file chooser is the only thing patched).
    click(qtbot, view.referral_button)
    referral = app.referral_view
    qtbot.waitUntil(lambda: bool(referral.images), timeout=30_000)
    assert referral.pages_layout.count() == len(referral.images)
    target = tmp_path / "referral.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "PDF files (*.pdf)")))
    click(qtbot, referral.protect)
    type_into(qtbot, referral.password, "a PDF password")
    type_into(qtbot, referral.repeat, "a PDF password")
    click(qtbot, referral.save_button)
    wait_for_change(qtbot, app)
    assert target.read_bytes().startswith(b"%PDF")
    assert b"/Encrypt" in target.read_bytes()
    assert "Saved with a password" in referral.status.text()
    screening_id = app.current.id

    assert referral.password.text() == ""  # the password is not kept after use

    # "Print to file" in the platform's print dialog (patched) writes the same PDF.
    printed = tmp_path / "printed.pdf"

    class FakePrintDialog:
        def __init__(self, printer: QPrinter, parent: object = None) -> None:
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(printed))

        def exec(self) -> int:
            return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(controller_module, "QPrintDialog", FakePrintDialog)
    click(qtbot, referral.protect)  # this time without a password
    click(qtbot, referral.print_button)
    wait_for_change(qtbot, app)
    assert printed.read_bytes().startswith(b"%PDF")
    assert b"/Encrypt" not in printed.read_bytes()
    assert "Saved to" in referral.status.text()

    # Everything is in the database.
    app.lock()
    with read_db(tmp_path) as session:
        detail = session.screenings.open(screening_id)
        assert detail.row.status == "final"
        assert detail.assessment is not None
        assert detail.assessment.final_level == expected["level"]
        stored = {qid: a.value for qid, a in detail.answers.items()}
        assert stored == case
        with session.engine.connect() as conn:
            actions = [r[0] for r in conn.execute(text(
                "SELECT action FROM audit_log ORDER BY seq"))]
            details = [r[0] for r in conn.execute(text(
                "SELECT detail FROM audit_log WHERE action = 'export'"))]
        assert "finalise" in actions
        kinds = [json.loads(d)["kind"] for d in details]
        assert kinds == ["pdf_password", "pdf"]


def test_override_needs_a_reason_and_is_recorded(
        qtbot: QtBot, app: AppController, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    set_up(qtbot, app)
    unlock(qtbot, app, PAT[1])
    answers, expected = golden_case("01-no-concerns")
    case = answers["answers"]
    view = new_child_screening(qtbot, app, case["child_name"], case["date_of_birth"])
    answer_all(qtbot, view.questionnaire, case)
    assert view.score.chip.level_id == expected["level"] == "none"
    click(qtbot, view.finalise_button)
    review = app.finalise_view
    click(qtbot, review.other)
    review.level.setCurrentIndex(review.level.findData("low"))
    type_into(qtbot, review.reason, "Worried")
    click(qtbot, review.finalise_button)
    assert review.error.isVisible()
    assert "at least a sentence" in review.error.text()
    assert app.window.stack.currentWidget() is review
    reason = ("The school saw the child collected by an unknown adult in a car yesterday, "
              "after this screening was written.")
    review.reason.clear()
    type_into(qtbot, review.reason, reason)
    click(qtbot, review.finalise_button)
    answer_confirmation(qtbot, review)
    assert app.current is not None
    assert app.current.detail.row.status == "final"
    assert app.current.detail.assessment is not None
    assert app.current.detail.assessment.final_level == "low"
    screening_id = app.current.id

    # "Amend" makes a linked draft.
    amend(qtbot, app, "The date of birth was recorded wrongly at first.")
    assert app.current.id != screening_id
    assert app.current.detail.row.amendment_of == screening_id
    assert app.current.detail.editable
    app.lock()
    with read_db(tmp_path) as session:
        detail = session.screenings.open(screening_id)
        assert detail.assessment is not None
        assert detail.assessment.override is not None
        assert detail.assessment.override.reason == reason
        with session.engine.connect() as conn:
            override = conn.execute(text(
                "SELECT detail FROM audit_log WHERE action = 'override'")).scalar()
        assert json.loads(override)["to"] == "low"


def test_lock_hides_the_screening_and_keeps_unsaved_typing(
        qtbot: QtBot, app: AppController, monkeypatch: pytest.MonkeyPatch) -> None:
    set_up(qtbot, app)
    unlock(qtbot, app, PAT[1])
    view = new_child_screening(qtbot, app, "Synthetic Child", "2011-05-04")
    editor = view.questionnaire.blocks["screening_reason_detail"].editor
    view.questionnaire.show_question("screening_reason_detail")
    type_into(qtbot, editor.focus_target(), "Typed just before the lock")
    app.window.lock_action.trigger()
    assert app.session is None
    assert app.window.stack.currentWidget() is app.unlock_view
    assert not view.isVisible()
    assert "locked" in app.unlock_view.title.text()
    unlock(qtbot, app, PAT[1])
    assert app.window.stack.currentWidget() is view
    assert view.questionnaire.answers()["screening_reason_detail"] == \
        "Typed just before the lock"
    assert app.session is not None
    assert app.current is not None
    detail = app.session.screenings.open(app.current.id)
    assert detail.answers["screening_reason_detail"].value == "Typed just before the lock"


def test_idle_time_locks(qtbot: QtBot, app: AppController) -> None:
    set_up(qtbot, app)
    unlock(qtbot, app, PAT[1])
    app.idle.set_minutes(0.001)
    qtbot.waitUntil(lambda: app.session is None, timeout=3000)
    assert app.window.stack.currentWidget() is app.unlock_view


def test_home_list_search_filter_history_and_amend(
        qtbot: QtBot, app: AppController, monkeypatch: pytest.MonkeyPatch) -> None:
    set_up(qtbot, app)
    unlock(qtbot, app, PAT[1])
    view = new_child_screening(qtbot, app, "Alex Synthetic", "2010-01-01")
    answer(qtbot, view.questionnaire, "older_associates", "recent")
    click(qtbot, view.back_button)
    view = new_child_screening(qtbot, app, "Sam Example", "2012-02-02")
    click(qtbot, view.back_button)
    model = app.home_view.table.model()
    assert isinstance(model, ScreeningListModel)
    # The list is fetched in the background: each change waits for its rows.
    qtbot.waitUntil(lambda: not app.home_view.loading, timeout=20_000)
    assert model.rowCount() == 2
    assert model.rows[0].child_name == "Sam Example"  # newest first
    type_into(qtbot, app.home_view.search, "Alex")
    qtbot.waitUntil(lambda: not app.home_view.loading and model.rowCount() == 1,
                    timeout=20_000)
    assert model.rows[0].child_name == "Alex Synthetic"
    app.home_view.status.setCurrentIndex(app.home_view.status.findData("final"))
    assert app.home_view.loading
    qtbot.waitUntil(lambda: not app.home_view.loading, timeout=20_000)
    assert model.rowCount() == 0
    assert app.home_view.placeholder.text() == "No screenings match the search and filters."
    app.home_view.status.setCurrentIndex(0)
    qtbot.waitUntil(lambda: not app.home_view.loading, timeout=20_000)
    assert model.rowCount() == 1

    # Duplicate check when creating a record with a similar name.
    click(qtbot, app.home_view.new_button)
    type_into(qtbot, app.new_view.name, "Alex Other")
    qtbot.waitUntil(lambda: "Alex Synthetic" in app.new_view.duplicates.text(), timeout=3000)
    type_into(qtbot, app.new_view.search, "Alex")
    qtbot.waitUntil(lambda: app.new_view.results.count() == 1, timeout=3000)
    app.new_view.results.setCurrentRow(0)
    click(qtbot, app.new_view.use_button)
    wait_for_change(qtbot, app)
    assert app.current is not None
    assert app.current.detail.row.child_name == "Alex Synthetic"

    click(qtbot, screening_view(app).history_button)
    assert app.window.stack.currentWidget() is app.history_view
    assert app.history_view.table.rowCount() == 2


def test_daily_backup_runs_after_unlock_in_the_background(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unlocking never waits for the day's backup; the backup still happens and is audited."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    app = AppController(tmp_path / "data" / "riskscreen.db", settings=settings, kdf=FAST,
                        sleep=lambda _: None, auto_backups=True)
    qtbot.addWidget(app.window)
    app.window.show()
    set_up(qtbot, app)
    calls: list[str] = []
    real = Maintenance.automatic_backup

    def slow_backup(maintenance: Maintenance) -> bool:
        calls.append("started")
        # The app is already unlocked and usable.
        assert app.session is not None
        assert app.session.maintenance is maintenance
        return real(maintenance)

    monkeypatch.setattr(Maintenance, "automatic_backup", slow_backup)
    unlock(qtbot, app, PAT[1])
    assert app.window.stack.currentWidget() is app.home_view
    qtbot.waitUntil(lambda: bool(calls) and any((tmp_path / "data" / "backups").glob("*")),
                    timeout=20_000)
    wait_for_background()
    qtbot.waitUntil(lambda: "automatic backup" in app.window.statusBar().currentMessage(),
                    timeout=5_000)
    assert app.session is not None
    app.session.close()
    with read_db(tmp_path) as s, s.context.transaction() as orm:
        actions = [a for (a,) in orm.execute(text(
            "SELECT action FROM audit_log WHERE detail LIKE '%automatic%'"))]
    assert actions == ["backup"]


def test_manage_menu_follows_the_signed_in_role(qtbot: QtBot, app: AppController) -> None:
    """The real controller hands its session to the Manage menu: admins get their tools."""
    set_up(qtbot, app)
    menus = app.window.role_menus
    unlock(qtbot, app, PAT[1])
    assert not menus.menu.menuAction().isVisible()
    app.lock()
    app.unlock_view.name.clear()
    type_into(qtbot, app.unlock_view.name, ADMIN[0])
    unlock(qtbot, app, ADMIN[1])
    assert app.session is not None
    assert app.session.user.role == "administrator"
    assert menus.menu.menuAction().isVisible()
    assert menus.admin_action.isVisible()
    assert not menus.manager_action.isVisible()
    menus.admin_action.trigger()
    assert len(menus.open) == 1
    tools = menus.open[0]
    qtbot.addWidget(tools.window)
    assert tools.window.isVisible()
    app.lock()
    assert menus.open == []


def test_switching_user_at_the_lock_screen_names_the_new_user(
        qtbot: QtBot, app: AppController) -> None:
    """Whoever signs in at the lock screen is the one named in the header, whatever the role."""
    set_up(qtbot, app)
    unlock(qtbot, app, PAT[1])
    assert app.home_view.greeting.text() == "Signed in as Pat Example"
    assert "Pat Example" in app.window.windowTitle()
    app.window.lock_action.trigger()
    assert app.home_view.greeting.text() == ""
    assert "Pat" not in app.window.windowTitle()
    app.unlock_view.name.clear()
    type_into(qtbot, app.unlock_view.name, ADMIN[0])
    unlock(qtbot, app, ADMIN[1])
    assert app.window.stack.currentWidget() is app.home_view
    assert app.home_view.greeting.text() == f"Signed in as {ADMIN[0]}"
    assert "Pat" not in app.window.windowTitle()
    app.window.lock_action.trigger()
    unlock(qtbot, app, ADMIN[1])
    app.window.lock_action.trigger()
    app.unlock_view.name.clear()
    type_into(qtbot, app.unlock_view.name, PAT[0])
    unlock(qtbot, app, PAT[1])
    assert app.home_view.greeting.text() == "Signed in as Pat Example"


def test_unlock_with_the_recovery_key_from_the_unlock_window(
        qtbot: QtBot, app: AppController) -> None:
    from riskscreen.services import create_database

    session, recovery = create_database(app.db_path, ADMIN[0], ADMIN[1], kdf=FAST, models=[])
    session.accounts.create(PAT[0], "practitioner", PAT[1])
    session.close()
    app.start()
    view = app.unlock_view
    type_into(qtbot, view.name, PAT[0])
    click(qtbot, view.recovery_link)
    assert view.recovery.isVisible()
    assert not view.sign_in.isVisible()
    assert view.recovery_name.text() == PAT[0]
    assert view.recovery_key.echoMode() == view.recovery_key.EchoMode.Password

    type_into(qtbot, view.recovery_key, "ABCDEFG " * 8)
    type_into(qtbot, view.new_passphrase, "pat's new passphrase")
    type_into(qtbot, view.repeat, "something else")
    click(qtbot, view.recover_button)
    assert "not the same" in view.error.text()
    type_into(qtbot, view.new_passphrase, "pat's new passphrase")
    type_into(qtbot, view.repeat, "pat's new passphrase")
    click(qtbot, view.recover_button)
    qtbot.waitUntil(lambda: view.recover_button.isEnabled(), timeout=20_000)
    assert "recovery key cannot be used" in view.error.text()
    assert view.recovery.isVisible()
    assert app.session is None

    assert view.new_passphrase.text() == "pat's new passphrase"  # only the key to retype
    view.recovery_key.clear()
    type_into(qtbot, view.recovery_key, recovery.lower())
    click(qtbot, view.recover_button)
    qtbot.waitUntil(lambda: app.session is not None, timeout=20_000)
    assert app.session is not None
    assert app.session.user.name == PAT[0]
    assert view.recovery_key.text() == ""
    assert view.new_passphrase.text() == ""
    app.lock()
    wait_for_background()
    Unlocker(app.db_path, auto_backups=False).unlock(PAT[0], "pat's new passphrase").close()
    Unlocker(app.db_path, auto_backups=False).unlock(*ADMIN).close()  # kept its passphrase


def test_a_screening_open_when_locked_is_not_resumed_into_a_restored_database(
        qtbot: QtBot, app: AppController, tmp_path: Path) -> None:
    from riskscreen.services import create_database, restore_backup

    session, _ = create_database(app.db_path, ADMIN[0], ADMIN[1], kdf=FAST)
    session.accounts.create(PAT[0], "practitioner", PAT[1])
    copy = session.maintenance.backup(tmp_path / "copy.db")
    session.close()
    app.start()
    type_into(qtbot, app.unlock_view.name, PAT[0])
    type_into(qtbot, app.unlock_view.passphrase, PAT[1])
    click(qtbot, app.unlock_view.button)
    qtbot.waitUntil(lambda: app.session is not None, timeout=20_000)
    assert app.session is not None
    child = app.session.children.create("Child Example")
    app.start_screening(child.id)
    wait_for_change(qtbot, app)
    assert app.current is not None
    app.lock()
    restore_backup(app.db_path, copy, ADMIN[0], ADMIN[1])  # the lock released the database
    type_into(qtbot, app.unlock_view.passphrase, PAT[1])
    click(qtbot, app.unlock_view.button)
    qtbot.waitUntil(lambda: app.session is not None, timeout=20_000)
    assert app.current is None
    assert not isinstance(app.window.stack.currentWidget(), ScreeningView)
    assert "backup was restored while RiskScreen was locked" in app.window.banner.text.text()


def test_the_case_reference_typed_for_a_new_record_reaches_the_referral(
        qtbot: QtBot, app: AppController) -> None:
    """Typed once when the child's record is created; in the screening and on the PDF."""
    set_up(qtbot, app)
    unlock(qtbot, app, PAT[1])
    click(qtbot, app.home_view.new_button)
    type_into(qtbot, app.new_view.name, "Synthetic Child")
    type_into(qtbot, app.new_view.dob.line, "04/05/2011")
    type_into(qtbot, app.new_view.reference, "NV-CSC-4711")
    click(qtbot, app.new_view.create_button)
    wait_for_change(qtbot, app)
    view = screening_view(app)
    questionnaire = view.questionnaire
    assert questionnaire.answers()["case_number"] == "NV-CSC-4711"
    editor = questionnaire.blocks["case_number"].editor
    assert editor.value() == "NV-CSC-4711"
    # The contacts a receiving team needs are asked beside the child's details.
    answer(qtbot, questionnaire, "practitioner_phone", "0114 496 0555")
    answer(qtbot, questionnaire, "child_school", "Northvale Academy")
    qtbot.waitUntil(lambda: view.save_status.text().startswith("All answers saved"), timeout=3000)
    answers, _ = golden_case("01-no-concerns")
    assert app.session is not None
    assert app.current is not None
    for qid, value in answers["answers"].items():
        if qid not in ("child_name", "date_of_birth"):
            app.session.screenings.save_answer(app.current.id, qid, value)
    app.session.screenings.finalise(app.current.id)
    app.open_screening(app.current.id)
    click(qtbot, screening_view(app).referral_button)
    qtbot.waitUntil(lambda: bool(app.referral_view.images), timeout=30_000)
    assert app.summary is not None
    whole = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(
        render_pdf_bytes(app.summary))).pages)
    assert "NV-CSC-4711" in whole
    assert "0114 496 0555" in whole
    assert "Northvale Academy" in whole
