"""The receiving team's work in the app: File › Received referrals, one received referral with
the sender's assessment, the decision, an outcome and the reply package, on two real encrypted
databases exchanging real packages.

Only the platform's file choosers, the import dialog's exec and the information box are patched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QMessageBox,
)
from pytestqt.qtbot import QtBot

from riskscreen.ui.controller import AppController
from riskscreen.ui.exchange import ImportPackageDialog
from riskscreen.ui.main_window import MainWindow
from riskscreen.ui.received import (
    CloseDialog,
    DecisionDialog,
    ReceivedListView,
    ReceivedOutcomeDialog,
    ReceivedView,
)

from ..conftest import FAST
from ..exchange_helpers import (
    app_over,
    exchange_pair,
    finalised,
    imported_referral,
    login,
    make_package,
    unlock_demo,
)
from .helpers import click, type_into
from .test_layout import SIZES, assert_not_squeezed, rect_in, show_at

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An agency and the team, trusting each other (each test sends its own children)."""
    return exchange_pair(tmp_path_factory.mktemp("received"), FAST, agency_count=2)


@pytest.fixture
def team_app(qtbot: QtBot, tmp_path: Path, dbs: dict[str, Path]) -> Iterator[AppController]:
    """The application over the team's database, not yet unlocked."""
    with app_over(qtbot, dbs["team"], tmp_path / "settings.ini", FAST) as app:
        yield app


def _dialog(qtbot: QtBot, app: AppController
            ) -> CloseDialog | DecisionDialog | ReceivedOutcomeDialog:
    qtbot.waitUntil(lambda: app.received.dialog is not None
                    and app.received.dialog.isVisible(), timeout=60_000)
    dialog = app.received.dialog
    assert dialog is not None
    return dialog


def test_import_decide_record_an_outcome_and_reply_from_the_app(
        qtbot: QtBot, team_app: AppController, dbs: dict[str, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = team_app
    sid = finalised(dbs["agency"], "Synthetic Received Child", "401 023 2137")
    package = make_package(dbs, tmp_path / "referral.p7m", sid)
    unlock_demo(qtbot, app, "manager")

    # File › Import a package: the person chooses a new record; the referral then opens.
    def new_record(dialog: ImportPackageDialog) -> int:
        assert dialog.new_record is not None
        click(qtbot, dialog.new_record)
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(ImportPackageDialog, "exec", new_record)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(package), "")))
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda *a: None))
    app.window.import_action.trigger()
    view = app.received.view
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is view, timeout=60_000)
    received = view.received
    assert received is not None
    with login(dbs["agency"], "manager") as agency:
        assessment = agency.screenings.open(sid).assessment
    assert assessment is not None
    assert "Synthetic Received Child" in view.title.text()
    assert view.trust.text().startswith("Trusted here")
    assert received.sender_fingerprint in view.trust.text()
    assert assessment.model.sha256 in view.model_words.text()
    assert f"version {assessment.model.version}" in view.model_words.text()
    for rule in assessment.rules_fired:
        assert rule.reason in view.reasons.text()
    assert view.level.text() == received.facts.level
    assert "Synthetic Received Child" in view.child_here.text()
    assert not view.outcome_button.isEnabled(), "the decision comes first"
    assert not view.reply_button.isEnabled()

    # Decide: nothing is chosen at first; declining without a reason is refused in the dialog.
    click(qtbot, view.decide_button)
    decision = _dialog(qtbot, app)
    assert isinstance(decision, DecisionDialog)
    assert not decision.ok_button.isEnabled()
    click(qtbot, decision.decline_choice)
    click(qtbot, decision.ok_button)
    qtbot.waitUntil(lambda: decision.error.isVisible(), timeout=60_000)
    assert "Say why" in decision.error.text()
    assert "\n" not in decision.error.text()
    type_into(qtbot, decision.reason, "Already open to the MASH")
    click(qtbot, decision.ok_button)
    qtbot.waitUntil(lambda: app.received.dialog is None, timeout=60_000)
    assert view.decision.text().startswith("Declined on")
    assert "Already open to the MASH" in view.decision.text()
    assert not view.decide_button.isEnabled()
    assert view.outcome_button.isEnabled()

    # An outcome that asks for a detail, and "exploitation confirmed?" with its source.
    click(qtbot, view.outcome_button)
    outcome = _dialog(qtbot, app)
    assert isinstance(outcome, ReceivedOutcomeDialog)
    outcome.outcome.setCurrentIndex(outcome.outcome.findData("preventative_work"))
    assert outcome.detail.isVisible()
    assert not outcome.source.isEnabled()
    outcome.confirmed.setCurrentIndex(outcome.confirmed.findData("not_known"))
    assert outcome.source.isEnabled()
    click(qtbot, outcome.ok_button)
    qtbot.waitUntil(lambda: outcome.error.isVisible(), timeout=60_000)
    assert "needs" in outcome.error.text()
    assert "--" not in outcome.error.text()
    type_into(qtbot, outcome.detail, "Northvale Youth Project")
    click(qtbot, outcome.ok_button)
    qtbot.waitUntil(lambda: app.received.dialog is None, timeout=60_000)
    assert "Northvale Youth Project" in view.outcomes.text()
    assert view.confirmation.text().startswith("Not known yet")

    # Save reply package…: a real package that the agency imports, closing the loop.
    reply = tmp_path / "reply.p7m"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(reply), "")))
    click(qtbot, view.reply_button)
    qtbot.waitUntil(lambda: "Reply saved" in view.done.text(), timeout=60_000)
    with login(dbs["agency"], "manager") as agency:
        result = agency.exchange.import_package(reply.read_bytes())
        referral = agency.referrals.get(agency.exchange.referral_of_screening(sid))
    assert result.kind == "reply"
    assert str(referral.status) == "declined"
    assert referral.decline_reason == "Already open to the MASH"
    assert {o.outcome_id for o in referral.outcomes} == {"preventative_work"}
    assert referral.confirmation is not None

    # The child's record here, as confirmed at import, opens from the referral.
    assert received.child is not None
    click(qtbot, view.child_button)
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is app.history_view,
                    timeout=60_000)
    assert app.history_view.child_id == received.child.id

    # The service wrote the audit entries, one per step.
    with login(dbs["team"], "admin") as admin:
        actions = [e.action for e in admin.audit.entries()
                   if e.object == f"received:{received.id}"]
    assert {"import_package", "view", "decide", "outcome", "package"} <= set(actions)


def test_the_list_searches_filters_sorts_and_opens_from_the_keyboard(
        qtbot: QtBot, team_app: AppController, dbs: dict[str, Path], tmp_path: Path) -> None:
    app = team_app
    names = ("Synthetic Zara Hughes", "Synthetic Arthur Lewis")
    with login(dbs["team"], "manager") as team:
        ids = [imported_referral(dbs, team, tmp_path / f"{i}.p7m", name, nhs)
               for i, (name, nhs) in enumerate(
                   zip(names, ("485 777 3456", "450 557 7104"), strict=True))]
        team.exchange.decide(ids[0], accept=True)
    unlock_demo(qtbot, app, "manager")
    assert app.window.received_action.shortcut().toString() == "Ctrl+R"
    app.window.received_action.trigger()
    listing = app.received.list_view
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is listing, timeout=60_000)
    table, proxy = listing.table, listing.proxy

    def children() -> list[str]:
        return [proxy.index(r, 2).data() for r in range(proxy.rowCount())]

    assert set(names) <= set(children())
    type_into(qtbot, listing.search, "zara")
    assert children() == ["Synthetic Zara Hughes"]
    assert "1 of" in listing.count.text()
    listing.search.clear()
    listing.status.setCurrentIndex(listing.status.findData("accepted"))
    assert "Synthetic Zara Hughes" in children()
    assert "Synthetic Arthur Lewis" not in children()
    assert all(proxy.index(r, 4).data() == "Accepted" for r in range(proxy.rowCount()))
    listing.status.setCurrentIndex(0)

    # A click on a column's header sorts by it; a second click reverses it.
    header = table.horizontalHeader()
    middle = QPoint(header.sectionViewportPosition(2) + header.sectionSize(2) // 2,
                    header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=middle)
    first = children()
    assert first in (sorted(first, key=str.lower), sorted(first, key=str.lower, reverse=True))
    assert len(set(first)) > 1
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=middle)
    assert children() == first[::-1]

    # Keyboard only: type to search, Tab past the status filter into the list, Enter opens.
    type_into(qtbot, listing.search, "arthur")
    qtbot.keyClick(listing.search, Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is table
    qtbot.keyClick(table, Qt.Key.Key_Return)
    view = app.received.view
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is view, timeout=60_000)
    assert view.received is not None
    assert view.received.id == ids[1]
    assert QApplication.focusWidget() is view.decide_button
    click(qtbot, view.back_button)
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is listing, timeout=60_000)


def test_refusals_and_failures_are_one_line(
        qtbot: QtBot, team_app: AppController, dbs: dict[str, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = team_app
    with login(dbs["team"], "manager") as team:
        rid = imported_referral(dbs, team, tmp_path / "r.p7m", "Synthetic Refusal Child",
                                "943 476 5919")
        team.exchange.decide(rid, accept=True)
    # An administrator is not offered children's referrals; asked anyway, the service says no.
    unlock_demo(qtbot, app, "admin")
    app.window.hide_message()
    assert not app.window.received_action.isVisible()
    app.window.received_action.trigger()
    qtbot.waitUntil(lambda: app.window.banner.isVisible(), timeout=60_000)
    assert "\n" not in app.window.banner.text.text()
    assert app.window.stack.currentWidget() is not app.received.list_view
    app.lock()

    # A reply into a folder that does not exist: a plain message, nothing recorded.
    unlock_demo(qtbot, app, "manager")
    app.received.open(rid)
    view = app.received.view
    qtbot.waitUntil(lambda: view.received is not None and view.received.id == rid,
                    timeout=60_000)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(
        lambda *a, **k: (str(tmp_path / "missing" / "folder" / "reply.p7m"), "")))
    click(qtbot, view.reply_button)
    qtbot.waitUntil(lambda: view.error.isVisible(), timeout=60_000)
    assert "Choose a folder you can write to" in view.error.text()
    assert "Traceback" not in view.error.text()
    assert not (tmp_path / "missing").exists()

    # Locking forgets the referral shown.
    app.lock()
    assert view.received is None
    assert view.level.text() == ""
    assert "Synthetic Refusal Child" not in view.title.text()
    assert app.received.list_view.model.rows == []


def test_a_colleague_sees_the_teams_referral_and_closes_it_with_a_reason(
        qtbot: QtBot, team_app: AppController, dbs: dict[str, Path], tmp_path: Path) -> None:
    """The manager imported it; pat, another member of the team, finds it in the list, and
    once an outcome is recorded closes it with a reason; the list's status filter finds it."""
    app = team_app
    with login(dbs["team"], "manager") as team:
        rid = imported_referral(dbs, team, tmp_path / "c.p7m", "Synthetic Closing Child",
                                "401 023 2137")
    unlock_demo(qtbot, app, "pat")
    app.window.received_action.trigger()
    listing, view = app.received.list_view, app.received.view
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is listing, timeout=60_000)
    assert rid in {r.id for r in listing.model.rows}, "the team's referral, not the importer's"
    app.received.open(rid)
    qtbot.waitUntil(lambda: view.received is not None and view.received.id == rid,
                    timeout=60_000)
    assert view.close_button.isVisible()
    assert not view.close_button.isEnabled()
    assert "decision" in view.close_button.toolTip()
    with login(dbs["team"], "pat") as pat:
        pat.exchange.decide(rid, accept=True)
    app.received.open(rid)
    qtbot.waitUntil(lambda: view.received is not None and view.received.decision is not None,
                    timeout=60_000)
    assert not view.close_button.isEnabled()
    assert view.close_button.toolTip() == "Record an outcome first."
    with login(dbs["team"], "pat") as pat:
        pat.exchange.add_outcome(rid, "strategy_discussion")
    app.received.open(rid)
    qtbot.waitUntil(lambda: view.received is not None and bool(view.received.outcomes),
                    timeout=60_000)
    assert view.closing.text() == "Open"

    # Close the referral…: a reason is asked for; without one the dialog says so and stays.
    click(qtbot, view.close_button)
    dialog = _dialog(qtbot, app)
    assert isinstance(dialog, CloseDialog)
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=60_000)
    assert "Say why" in dialog.error.text()
    type_into(qtbot, dialog.reason, "Plan agreed; the case is held by social care.")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: app.received.dialog is None, timeout=60_000)
    assert view.status.text().startswith("Closed.")
    assert view.decision.text().startswith("Accepted on")
    assert "held by social care" in view.closing.text()
    assert "Closed" in view.done.text()
    assert not view.close_button.isEnabled()
    assert not view.outcome_button.isEnabled()
    assert view.reply_button.isEnabled(), "the reply can still tell the sender"

    # The list's status filter has "Closed", and it finds this referral.
    click(qtbot, view.back_button)
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is listing, timeout=60_000)
    qtbot.waitUntil(lambda: any(r.id == rid and r.status == "closed"
                                for r in listing.model.rows), timeout=60_000)
    listing.status.setCurrentIndex(listing.status.findData("closed"))
    shown = [listing.proxy.index(r, 2).data() for r in range(listing.proxy.rowCount())]
    assert "Synthetic Closing Child" in shown
    assert all(listing.proxy.index(r, 4).data() == "Closed"
               for r in range(listing.proxy.rowCount()))
    with login(dbs["team"], "admin") as admin:
        closes = [e.user for e in admin.audit.entries(action="close")
                  if e.object == f"received:{rid}"]
    assert closes == ["pat"]


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_the_pages_need_no_sideways_scrolling(qtbot: QtBot, dbs: dict[str, Path],
                                              tmp_path: Path, size: tuple[int, int]) -> None:
    """A received referral with a long reference and every answer, at 1024x768 and at 150 %
    of 1366x768: nothing scrolls sideways, nothing is cut off or squeezed."""
    with login(dbs["team"], "manager") as team:
        rid = imported_referral(dbs, team, tmp_path / "wide.p7m",
                                "Synthetic Child With A Rather Long Name Indeed",
                                "450 557 7104")
        team.exchange.decide(rid, accept=False, reason="A long reason " * 20)
        team.exchange.add_outcome(rid, "strategy_discussion")
        team.exchange.close(rid, "A long reason for closing " * 20)
        received = team.exchange.received(rid)
        rows = team.exchange.list_received()
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    listing, view = ReceivedListView(window.stack), ReceivedView(window.stack)
    listing.set_rows(rows)
    show_at(window, listing, size)
    assert not listing.table.horizontalScrollBar().isVisible()
    header = listing.table.horizontalHeader()
    assert header.length() <= listing.table.viewport().width()
    view.show_received(received, {})
    show_at(window, view, size)
    scroll = view.scroll_area
    assert not scroll.horizontalScrollBar().isVisible()
    viewport, page = scroll.viewport(), scroll.widget()
    checked = 0
    for widget in page.findChildren(QLabel) + page.findChildren(QAbstractButton):
        if not widget.isVisibleTo(page):
            continue
        assert rect_in(widget, viewport).right() < viewport.width(), widget
        assert_not_squeezed(widget)
        checked += 1
    assert checked > 2 * len(received.facts.answers)
    for widget in (view.title, view.decide_button, view.outcome_button, view.reply_button,
                   view.close_button):
        assert rect_in(widget, window).right() <= window.width(), widget
