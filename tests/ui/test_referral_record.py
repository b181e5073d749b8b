"""The referral record on the referral page and in the child's history: its status in words,
and buttons that record each step through the services (real widgets, real database)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from riskscreen.services.types import ReferralStatus
from riskscreen.ui.controller import AppController
from riskscreen.ui.referral_record import ReferralStepDialog

from ..conftest import finalise_case
from .helpers import click, type_into
from .test_app_flow import PAT, read_db, set_up, unlock

pytestmark = pytest.mark.gui


def _finalised(qtbot: QtBot, app: AppController, tmp_path: Path, case: str) -> int:
    set_up(qtbot, app)
    with read_db(tmp_path) as session:
        sid = finalise_case(session, case, name="Synthetic Child").screening
    unlock(qtbot, app, PAT[1])
    return sid


def _open_referral(qtbot: QtBot, app: AppController, sid: int) -> None:
    app.open_screening(sid)
    assert app.current is not None
    click(qtbot, app.current.view.referral_button)
    qtbot.waitUntil(lambda: bool(app.referral_view.images), timeout=30_000)


def _dialog(qtbot: QtBot, app: AppController) -> ReferralStepDialog:
    qtbot.waitUntil(lambda: app.referral_record.dialog is not None
                    and app.referral_record.dialog.isVisible(), timeout=5_000)
    dialog = app.referral_record.dialog
    assert dialog is not None
    return dialog


def _record(qtbot: QtBot, app: AppController, dialog: ReferralStepDialog) -> None:
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: app.referral_record.dialog is None, timeout=30_000)


def test_a_referral_is_sent_declined_and_closed_from_the_referral_page(
        qtbot: QtBot, app: AppController, tmp_path: Path) -> None:
    sid = _finalised(qtbot, app, tmp_path, "07-disclosure")
    _open_referral(qtbot, app, sid)
    panel = app.referral_view.record
    assert panel.isVisible()
    assert panel.headline.text() == "Referral to Northvale Child Exploitation Hub: to send"
    assert panel.buttons["sent"].isVisible()
    assert not panel.buttons["accepted"].isVisible()

    click(qtbot, panel.buttons["sent"])
    dialog = _dialog(qtbot, app)
    dialog.choice.setCurrentIndex(dialog.choice.findData("exchange_package"))
    _record(qtbot, app, dialog)
    assert "Sent by exchange package" in panel.happened.text()
    assert panel.buttons["accepted"].isVisible()

    # A decline needs the team's reason: refused in the dialog, which stays open.
    click(qtbot, panel.buttons["declined"])
    dialog = _dialog(qtbot, app)
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=30_000)
    assert "Say the reason the team gave" in dialog.error.text()
    type_into(qtbot, dialog.text, "Already open to the CSE team")
    _record(qtbot, app, dialog)
    assert "Declined on" in panel.happened.text()
    assert "Already open to the CSE team" in panel.happened.text()

    click(qtbot, panel.buttons["outcome"])
    dialog = _dialog(qtbot, app)
    dialog.choice.setCurrentIndex(dialog.choice.findData("no_further_action"))
    assert dialog.text.isVisible()
    assert dialog.text_label.text() == "Why no further action is needed"
    type_into(qtbot, dialog.text, "Open to the CSE team already")
    click(qtbot, dialog.close_too)
    _record(qtbot, app, dialog)
    assert panel.headline.text().endswith(": closed")
    assert "No further action (Open to the CSE team already)" in panel.happened.text()

    click(qtbot, panel.buttons["confirmation"])
    dialog = _dialog(qtbot, app)
    dialog.choice.setCurrentIndex(dialog.choice.findData("not_confirmed"))
    dialog.source.setCurrentIndex(dialog.source.findData("police"))
    _record(qtbot, app, dialog)
    assert panel.answer.text().startswith(
        "Exploitation confirmed? Exploitation not confirmed (Police, ")
    with read_db(tmp_path) as session:
        referral = session.referrals.for_screening(sid)
        with session.engine.connect() as conn:
            actions = [r[0] for r in conn.execute(text(
                "SELECT action FROM audit_log WHERE object LIKE 'referral:%' ORDER BY seq"))]
    assert referral is not None
    assert referral.status == ReferralStatus.CLOSED
    assert referral.confirmation is not None
    assert actions == ["referral_create", "referral_sent", "referral_declined",
                       "referral_outcome", "referral_closed", "referral_confirmation"]


def test_an_overdue_referral_says_so_in_words_on_the_page_and_in_the_history(
        qtbot: QtBot, app: AppController, tmp_path: Path) -> None:
    sid = _finalised(qtbot, app, tmp_path, "07-disclosure")
    with read_db(tmp_path) as session, session.engine.begin() as conn:
        conn.execute(text("UPDATE referrals SET send_due = :d"),
                     {"d": (date.today() - timedelta(days=3)).isoformat()})
    _open_referral(qtbot, app, sid)
    panel = app.referral_view.record
    assert panel.overdue.isVisible()
    assert panel.overdue.text().startswith("Overdue: Not sent yet; it was due by ")
    assert app.current is not None
    child = app.current.detail.row.child_id
    app.show_history(child)
    table = app.history_view.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    column = headers.index("Referral")
    assert table.item(0, column).text() == "To send (overdue)"
    assert "Not sent yet" in table.item(0, column).toolTip()


def test_a_route_without_a_referral_offers_only_the_confirmation_answer(
        qtbot: QtBot, app: AppController, tmp_path: Path) -> None:
    sid = _finalised(qtbot, app, tmp_path, "01-no-concerns")
    _open_referral(qtbot, app, sid)
    panel = app.referral_view.record
    assert panel.headline.text().startswith("Not referred")
    visible = [k for k, b in panel.buttons.items() if b.isVisible()]
    assert visible == ["confirmation"]
    QApplication.processEvents()
