"""Intelligence in the app: the Intelligence menu by role, recording an item from a child's
record with its 3x5x2 grade, the list each role sees, the "intelligence, not evidence"
banner, the legacy grade, the links between children, the problem profile and its export,
a submission to the analyst, and retention, on a real encrypted database.

Only the platform's file choosers are patched.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QTableWidget, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from riskscreen.services import Countersignature
from riskscreen.services.intel import NOT_EVIDENCE
from riskscreen.ui.controller import AppController
from riskscreen.ui.intel import IntelItemDialog, NotEvidenceBanner, ReasonDialog, SubmitDialog
from riskscreen.ui.worker import wait_for_background

from ..conftest import FAST, PASSPHRASES, Vault, VaultTemplates
from ..exchange_helpers import app_over, exchange_pair, login, unlock_demo
from .helpers import click, type_into

pytestmark = pytest.mark.gui

ANALYST = ("ana", "analyst passphrase")
PASSES = {**PASSPHRASES, ANALYST[0]: ANALYST[1]}
PHONE = "07700 900123"


def _seed(v: Vault) -> None:
    """Two practitioners' children linked by one man's phone number and one address; a
    restricted place only its recorder may see; an older vehicle record graded 5x5x5; and a
    place record past its retention period."""
    with v.login("admin") as admin:
        admin.accounts.create(ANALYST[0], "analyst", ANALYST[1], display_name="Ana Analyst",
                              countersign=Countersignature("mary", PASSPHRASES["mary"]))
    with v.login("pat") as pat, v.login("paula") as paula, v.login("mary") as mary:
        amy = pat.children.create("Amy Example", "2011-01-01")
        ben = paula.children.create("Ben Example", "2010-05-05")
        pat.intel.add("person", amy.id, "2/B/P", text="Gives lifts after school.",
                      details={"names": ["Darren"], "phones": [PHONE]}, source="Amy",
                      seen_on="2026-03-01")
        paula.intel.add("person", ben.id, "2/C/P", text="Calls himself Dazza.",
                        details={"nicknames": ["Dazza"], "phones": ["+44 7700 900123"]},
                        seen_on="2026-03-04")
        place = pat.intel.add("place", amy.id, "2/B/P", text="Parties at weekends.",
                              details={"address": "12 High Street", "place_type": "house or flat",
                                       "area": "Northvale"}, seen_on="2026-03-02")
        mary.intel.link(place.id, ben.id, source="Ben's return interview", seen_on="2026-03-05")
        paula.intel.add("place", ben.id, "1/A/C", text="Flat above the takeaway.",
                        details={"address": "3 Mill Lane", "area": "Northvale"},
                        handling_conditions="Not to be shared with the family.",
                        seen_on="2026-03-06")
        pat.intel.add("vehicle", amy.id, "B/2/1", details={"registration": "AB12 CDE"},
                      text="Older record, from the paper form.", allow_legacy=True,
                      seen_on="2025-06-01")
        old = pat.intel.add("online", amy.id, "3/D/P",
                            details={"platform": "Snapchat", "handle": "@old_one"},
                            seen_on="2025-01-01")
        with mary.engine.begin() as conn:  # an item whose retention period has ended
            conn.execute(text("UPDATE intel_items SET review_due = '2026-01-01' WHERE id = :i"),
                         {"i": old.id})


@pytest.fixture
def db(tmp_path: Path, vault_templates: VaultTemplates) -> Path:
    """A copy of the seeded database."""
    return vault_templates.copy(tmp_path / "data" / "riskscreen.db", ("mary", "pat", "paula"),
                                then=_seed, name="intel gui").db


@pytest.fixture
def app(qtbot: QtBot, tmp_path: Path, db: Path) -> Iterator[AppController]:
    """The application over the seeded database, not yet unlocked, at 1366x768."""
    with app_over(qtbot, db, tmp_path / "settings.ini", FAST) as controller:
        yield controller


def unlock(qtbot: QtBot, app: AppController, account: str) -> None:
    """Sign in through the unlock page, as a person would."""
    view = app.unlock_view
    view.name.clear()
    type_into(qtbot, view.name, account)
    view.passphrase.clear()
    type_into(qtbot, view.passphrase, PASSES[account])
    click(qtbot, view.button)
    qtbot.waitUntil(lambda: app.session is not None, timeout=20_000)
    wait_for_background()


def shown(qtbot: QtBot, app: AppController, page: QWidget) -> None:
    """Wait until ``page`` is the one on screen."""
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is page, timeout=20_000)


def banner_shown(page: QWidget) -> bool:
    """Whether ``page`` shows the intelligence-not-evidence notice."""
    banners = page.findChildren(NotEvidenceBanner)
    return any(b.isVisible() and b.text() == NOT_EVIDENCE for b in banners)


def labels(app: AppController) -> list[str]:
    """The "What" of every item the list shows."""
    model = app.intel.list_view.model
    return [r.label for r in model.rows]


def open_list(qtbot: QtBot, app: AppController) -> None:
    """Intelligence › Intelligence items."""
    app.intel.list_action.trigger()
    shown(qtbot, app, app.intel.list_view)


def offered(app: AppController) -> dict[str, list[str]]:
    """Each menu the menu bar shows, with the entries it offers (without "&" or "…")."""
    def words(text: str) -> str:
        return text.replace("&", "").rstrip("…")

    found: dict[str, list[str]] = {}
    for top in app.window.menuBar().actions():
        menu = top.menu()
        if top.isVisible() and menu is not None:
            found[words(top.text())] = [words(a.text()) for a in menu.actions()
                                        if a.isVisible() and not a.isSeparator()]
    return found


def test_every_role_is_offered_only_what_it_can_do(qtbot: QtBot, app: AppController) -> None:
    """The File menu and the role menus offer each role what its services allow, and
    nothing they refuse: an analyst starts no screening, an administrator sees no child."""
    screening = ["New screening", "Screenings list", "Import a package", "Received referrals",
                 "Lock", "Quit"]
    unlock(qtbot, app, "pat")
    menus = offered(app)
    assert menus["File"] == screening
    assert "Practice" in menus
    assert "Intelligence" in menus
    assert "Manage" not in menus
    assert "Administration" not in menus
    app.lock()

    unlock(qtbot, app, "mary")
    menus = offered(app)
    assert menus["File"] == screening
    assert "Intelligence" in menus
    assert "Practice" not in menus
    app.lock()

    unlock(qtbot, app, "ana")
    menus = offered(app)
    assert menus["File"] == ["Import a package", "Lock", "Quit"]
    assert "intelligence" in app.window.import_action.toolTip()
    assert "Intelligence" in menus
    assert not {"Practice", "Manage", "Administration"} & set(menus)
    # What was taken away cannot be reached by its shortcut either.
    qtbot.keyClick(app.window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert app.window.stack.currentWidget() is not app.received.list_view
    app.lock()

    unlock(qtbot, app, "admin")
    menus = offered(app)
    assert menus["File"] == ["Lock", "Quit"]
    assert "Intelligence" not in menus
    assert "Practice" not in menus
    assert "Settings" in menus
    assert "Help" in menus
    app.lock()
    # Locked: the usual entries show, none of them usable until someone signs in.
    assert offered(app)["File"] == screening
    assert not app.window.new_action.isEnabled()


def test_each_role_sees_what_the_service_allows_and_administrators_get_no_menu(
        qtbot: QtBot, app: AppController) -> None:
    menu = app.intel.menu.menuAction()
    assert not menu.isVisible(), "nothing is offered before signing in"
    unlock(qtbot, app, "admin")
    assert not menu.isVisible(), "administrators see none of it"
    app.lock()

    unlock(qtbot, app, "pat")
    assert menu.isVisible()
    assert not app.intel.network_action.isVisible()
    assert not app.intel.profile_action.isVisible()
    open_list(qtbot, app)
    view = app.intel.list_view
    assert banner_shown(view)
    seen = labels(app)
    # Pat's own items; not paula's, which concern only her child Ben (nor the restricted
    # Mill Lane place).
    assert any("Darren" in s for s in seen)
    assert any("12 High Street" in s for s in seen)
    assert not any("Dazza" in s for s in seen)
    assert not any("Mill Lane" in s for s in seen)
    assert not view.network_button.isVisible()
    assert not view.due_only.isVisible()
    # The High Street place is linked to Ben too, whom pat does not work with: a count only.
    row = next(r for r in view.model.rows if "High Street" in r.label)
    assert [lk.child_name for lk in row.links] == ["Amy Example"]
    assert row.other_children == 1
    app.lock()

    unlock(qtbot, app, "ana")
    shown(qtbot, app, app.intel.list_view)  # an analyst starts at the intelligence
    seen = labels(app)
    assert any("Dazza" in s for s in seen)
    assert any("Mill Lane" in s for s in seen)
    assert app.intel.network_action.isVisible()
    assert app.intel.profile_action.isVisible()
    assert app.intel.list_view.network_button.isVisible()


def test_recording_an_item_from_a_childs_record_with_its_grade(
        qtbot: QtBot, app: AppController) -> None:
    unlock(qtbot, app, "pat")
    assert app.session is not None
    amy = app.session.children.search("Amy")[0]
    app.show_history(amy.id)
    shown(qtbot, app, app.history_view)
    click(qtbot, app.history_view.intel_button)
    qtbot.waitUntil(lambda: isinstance(app.intel.dialog, IntelItemDialog)
                    and app.intel.dialog.isVisible(), timeout=5000)
    dialog = app.intel.dialog
    assert isinstance(dialog, IntelItemDialog)
    assert banner_shown(dialog)
    assert "Amy Example" in dialog.child_words.text()
    type_into(qtbot, dialog.names, "Kyle, K")
    type_into(qtbot, dialog.phones, "07700 900999")
    dialog.age.setValue(30)
    type_into(qtbot, dialog.text, "Waits outside the school in a silver car.")
    type_into(qtbot, dialog.source, "A teacher")
    # Without a grade it is refused in the dialog, which keeps what was typed.
    click(qtbot, dialog.ok_button)
    assert "Grade the item" in dialog.error.text()
    dialog.grade_source.set_code("2")
    dialog.grade_intelligence.set_code("B")
    dialog.grade_handling.set_code("C")
    assert dialog.conditions.isVisible(), "handling code C asks for its conditions"
    assert "with conditions" in dialog.grade_text.text()
    # The service refuses C without conditions; its one line shows in the dialog.
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "conditions" in dialog.error.text()
    assert "\n" not in dialog.error.text()
    type_into(qtbot, dialog.conditions, "Police and social care only")
    click(qtbot, dialog.ok_button)
    view = app.intel.item_view
    shown(qtbot, app, view)
    assert banner_shown(view)
    item = view.item
    assert item is not None
    assert item.kind == "person"
    assert item.details["names"] == ["Kyle", "K"]
    assert item.details["estimated_age"] == 30
    assert item.grade.text == "2/B/C"
    assert item.restricted
    assert "Restricted" in view.restriction.text()
    assert [(lk.child_name, lk.source) for lk in item.links] == [("Amy Example", "A teacher")]
    assert "Saved as item" in view.done.text()


def test_a_legacy_grade_is_shown_as_5x5x5_and_a_new_item_links_to_a_second_child(
        qtbot: QtBot, app: AppController, monkeypatch: pytest.MonkeyPatch) -> None:
    unlock(qtbot, app, "mary")
    open_list(qtbot, app)
    view = app.intel.list_view
    vehicle = next(r for r in view.model.rows if r.kind == "vehicle")
    app.intel.open(vehicle.id)
    item_view = app.intel.item_view
    shown(qtbot, app, item_view)
    assert "5x5x5" in item_view.grade.text()
    assert "legacy" in item_view.grade.text()
    assert banner_shown(item_view)
    # Link it to Ben, chosen by typing part of his name.
    click(qtbot, item_view.link_button)
    qtbot.waitUntil(lambda: app.intel.dialog is not None and app.intel.dialog.isVisible(),
                    timeout=5000)
    dialog = app.intel.dialog
    picker = dialog.picker  # type: ignore[union-attr]
    type_into(qtbot, picker.search, "Ben")
    qtbot.waitUntil(lambda: picker.matches.count() == 1, timeout=10_000)
    click(qtbot, dialog.ok_button)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: "Linked to Ben Example" in item_view.done.text(), timeout=10_000)
    assert {lk.child_name for lk in item_view.item.links} == {"Amy Example",  # type: ignore[union-attr]
                                                              "Ben Example"}


def test_the_notice_is_as_tall_as_its_words_at_the_width_it_has(qtbot: QtBot) -> None:
    """A page shown narrow first (as a page can be while its window is laid out) and then
    wide has a notice of a line or two, not the height its words needed when narrow."""
    page = QWidget()
    qtbot.addWidget(page)
    layout = QVBoxLayout(page)
    banner = NotEvidenceBanner(page)
    layout.addWidget(banner)
    layout.addWidget(QTableWidget(page), 1)
    page.resize(120, 700)
    page.show()
    qtbot.waitExposed(page)
    page.resize(1300, 700)
    for _ in range(6):
        QApplication.processEvents()
    lines = banner.fontMetrics().lineSpacing()
    assert banner.minimumHeight() == banner.words_height(banner.width())
    assert banner.height() <= 2 * lines + 16, (banner.size(), lines)
    page.resize(300, 700)  # narrow again: the words still have all the room they need
    for _ in range(6):
        QApplication.processEvents()
    assert banner.height() >= banner.words_height(banner.width()) > 2 * lines + 16


def test_links_between_children_and_the_problem_profile_with_its_export(
        qtbot: QtBot, app: AppController, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    unlock(qtbot, app, "ana")
    shown(qtbot, app, app.intel.list_view)
    click(qtbot, app.intel.list_view.network_button)
    net = app.intel.network_view
    shown(qtbot, app, net)
    assert banner_shown(net)
    rows = {(net.entities.item(r, 0).text(), net.entities.item(r, 1).text()):  # type: ignore[union-attr]
            net.entities.item(r, 2).text() for r in range(net.entities.rowCount())}  # type: ignore[union-attr]
    # Darren and Dazza share a phone number; the High Street address is linked to both.
    person = next(k for k in rows if k[0] == "Person of concern")
    assert rows[person] == "2"
    assert any("12 High Street" in k[1] and v == "2" for k, v in rows.items())
    assert net.pairs.rowCount() == 1
    assert {net.pairs.item(0, 0).text(), net.pairs.item(0, 1).text()} == {  # type: ignore[union-attr]
        "Amy Example", "Ben Example"}
    assert "12 High Street" in net.pairs.item(0, 2).text()  # type: ignore[union-attr]
    net.entities.selectRow(next(r for r in range(net.entities.rowCount())
                                if net.entities.item(r, 0).text() == "Person of concern"))  # type: ignore[union-attr]
    assert net.linked.count() == 2
    assert "phone" in net.why.text()

    click(qtbot, net.back_button)
    shown(qtbot, app, app.intel.list_view)
    click(qtbot, app.intel.list_view.profile_button)
    profile = app.intel.profile_view
    shown(qtbot, app, profile)
    profile.start.set_date(date(2026, 1, 1))
    profile.end.set_date(date(2026, 6, 30))
    click(qtbot, profile.show_button)
    qtbot.waitUntil(lambda: profile.table.rowCount() >= 2, timeout=10_000)
    table = {(profile.table.item(r, 0).text(), profile.table.item(r, 1).text()):  # type: ignore[union-attr]
             profile.table.item(r, 2).text() for r in range(profile.table.rowCount())}  # type: ignore[union-attr]
    assert table[("Area", "Northvale")] == "2", "exact counts in the app"
    out = tmp_path / "profile.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "")))
    click(qtbot, profile.export_button)
    qtbot.waitUntil(lambda: out.exists() and profile.done.isVisible(), timeout=10_000)
    exported = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    northvale = next(r for r in exported if r["place_or_area"] == "Northvale")
    assert northvale["children"] == "<5", "the export suppresses counts under 5"
    assert "Amy" not in out.read_text(encoding="utf-8")


def test_submitting_chosen_items_saves_the_form_and_records_it_as_sent(
        qtbot: QtBot, app: AppController, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    unlock(qtbot, app, "pat")
    open_list(qtbot, app)
    view = app.intel.list_view
    view.table.selectAll()
    chosen = view.selected()
    assert len(chosen) >= 2
    out = tmp_path / "submission.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "")))
    click(qtbot, view.submit_button)
    qtbot.waitUntil(lambda: isinstance(app.intel.dialog, SubmitDialog)
                    and app.intel.dialog.isVisible(), timeout=5000)
    dialog = app.intel.dialog
    assert isinstance(dialog, SubmitDialog)
    assert banner_shown(dialog)
    if dialog.package.isVisible():
        dialog.package.setChecked(False)
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: "Recorded as sent" in view.done.text(), timeout=20_000)
    assert out.read_bytes().startswith(b"%PDF")
    assert app.session is not None
    sent = app.session.intel.submissions()
    assert len(sent) == 1
    assert sent[0].form == "pdf"
    assert set(sent[0].item_ids) == {i.id for i in chosen}
    assert sent[0].reference in view.done.text()


def test_items_due_are_kept_or_deleted_by_a_manager_with_the_reason(
        qtbot: QtBot, app: AppController) -> None:
    unlock(qtbot, app, "mary")
    open_list(qtbot, app)
    view = app.intel.list_view
    assert view.due_only.isVisible()
    click(qtbot, view.due_only)
    qtbot.waitUntil(lambda: len(view.model.rows) == 1, timeout=10_000)
    due = view.model.rows[0]
    assert due.kind == "online"
    assert "due now" in view.model.data(view.model.index(0, 6))
    # Keep it: the reason is needed, then it is kept for another period.
    view.table.selectRow(0)
    click(qtbot, view.review_button)
    qtbot.waitUntil(lambda: isinstance(app.intel.dialog, ReasonDialog)
                    and app.intel.dialog.isVisible(), timeout=5000)
    dialog = app.intel.dialog
    assert isinstance(dialog, ReasonDialog)
    click(qtbot, dialog.ok_button)
    assert "Give the reason" in dialog.error.text()
    type_into(qtbot, dialog.reason, "Still active on the account")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: "is kept until" in view.done.text(), timeout=10_000)
    assert view.model.rows == [], "nothing else is due"
    # Delete another item from the whole list.
    click(qtbot, view.due_only)
    qtbot.waitUntil(lambda: len(view.model.rows) > 1, timeout=10_000)
    before = len(view.model.rows)
    view.table.selectRow(0)
    target = view.selected()[0]
    click(qtbot, view.delete_button)
    qtbot.waitUntil(lambda: isinstance(app.intel.dialog, ReasonDialog)
                    and app.intel.dialog.isVisible(), timeout=5000)
    dialog = app.intel.dialog
    assert isinstance(dialog, ReasonDialog)
    type_into(qtbot, dialog.reason, "Recorded against the wrong child")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: "is deleted" in view.done.text(), timeout=10_000)
    assert len(view.model.rows) == before - 1
    assert target.id not in {r.id for r in view.model.rows}


def test_locking_forgets_every_intelligence_page(qtbot: QtBot, app: AppController) -> None:
    unlock(qtbot, app, "mary")
    open_list(qtbot, app)
    assert app.intel.list_view.model.rows
    app.lock()
    assert app.intel.list_view.model.rows == []
    assert not app.intel.menu.menuAction().isVisible()
    assert QApplication.activeModalWidget() is None


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two demo databases (with the demo's intelligence) that trust each other."""
    return exchange_pair(tmp_path_factory.mktemp("intel-pair"), FAST, agency_count=2)


def test_a_package_submission_is_recorded_and_the_analyst_imports_and_reads_it(
        qtbot: QtBot, tmp_path: Path, pair: dict[str, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QDialog, QMessageBox

    from riskscreen.ui.exchange import ImportPackageDialog

    with login(pair["agency"], "pat") as pat:
        child = pat.children.create("Synthetic Intel Child", "2012-04-04")
        pat.intel.add("vehicle", child.id, "2/B/P", details={"registration": "ZZ99 ZZZ"},
                      text="Collects children from the park.")
    with app_over(qtbot, pair["agency"], tmp_path / "settings.ini", FAST) as app:
        unlock_demo(qtbot, app, "pat")
        open_list(qtbot, app)
        view = app.intel.list_view
        row = next(i for i, r in enumerate(view.model.rows) if "ZZ99" in r.label)
        view.table.selectRow(view.proxy.mapFromSource(view.model.index(row, 0)).row())
        chosen = view.selected()
        files = {".pdf": tmp_path / "sub.pdf", ".p7m": tmp_path / "sub.p7m"}
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(
            lambda *a, **k: (str(pair["root"] / "team.cert.pem"), "")))
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(
            lambda _parent, _title, suggested, *a: (str(files[Path(suggested).suffix]), "")))
        click(qtbot, view.submit_button)
        qtbot.waitUntil(lambda: isinstance(app.intel.dialog, SubmitDialog)
                        and app.intel.dialog.isVisible(), timeout=5000)
        dialog = app.intel.dialog
        assert isinstance(dialog, SubmitDialog)
        dialog.package.setChecked(True)
        click(qtbot, dialog.ok_button)
        qtbot.waitUntil(lambda: "Recorded as sent" in view.done.text(), timeout=30_000)
        assert files[".pdf"].read_bytes().startswith(b"%PDF")
        assert files[".p7m"].stat().st_size > 0
        assert app.session is not None
        sent = app.session.intel.submissions()
        assert sorted(s.form for s in sent) == ["package", "pdf"]
        assert all(s.item_ids == (chosen[0].id,) for s in sent)

    # The analyst at the team imports it with File › Import a package and reads it, graded as
    # the sender graded it, under Intelligence › Intelligence received.
    said: list[str] = []

    def accept(dialog: ImportPackageDialog) -> int:
        said.append(dialog.findChild(QWidget, "packageIntelligence").text())  # type: ignore[union-attr]
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(ImportPackageDialog, "exec", accept)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(files[".p7m"]), "")))
    monkeypatch.setattr(QMessageBox, "information",
                        staticmethod(lambda _parent, _title, words: said.append(words)))
    with app_over(qtbot, pair["team"], tmp_path / "team.ini", FAST) as team:
        unlock_demo(qtbot, team, "ana")
        team.window.import_action.trigger()
        received = team.intel.received_view
        qtbot.waitUntil(lambda: team.window.stack.currentWidget() is received
                        or team.window.banner.isVisible(), timeout=20_000)
        assert not team.window.banner.isVisible(), team.window.banner.text.text()
        assert "intelligence submission" in said[0]
        assert "Intelligence received" in said[1]
        assert banner_shown(received)
        assert received.submissions.rowCount() >= 1
        what = [received.items.item(r, 1).text()  # type: ignore[union-attr]
                for r in range(received.items.rowCount())]
        assert any("ZZ99 ZZZ" in w for w in what)
        assert received.items.item(0, 2).text() == "2/B/P"  # type: ignore[union-attr]


@pytest.mark.parametrize("size", [(1024, 768), (910, 512)], ids=["1024x768", "1366x768 at 150%"])
def test_the_pages_fit_small_and_scaled_screens(qtbot: QtBot, app: AppController,
                                                size: tuple[int, int]) -> None:
    """At 1024x768 and at 150 % of 1366x768 every intelligence page fits the window: no
    sideways scrolling, every button and label inside it, wrapped text not squeezed."""
    from PySide6.QtCore import QPoint, QRect, Qt
    from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QLabel

    unlock(qtbot, app, "mary")
    window = app.window
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(*size)
    intel = app.intel
    open_list(qtbot, app)
    person = next(r for r in intel.list_view.model.rows if r.kind == "person")
    intel.open(person.id)
    shown(qtbot, app, intel.item_view)
    pages: list[QWidget] = [intel.item_view]
    intel.show_network()
    shown(qtbot, app, intel.network_view)
    pages.append(intel.network_view)
    intel.show_profile()
    shown(qtbot, app, intel.profile_view)
    pages += [intel.profile_view, intel.list_view]
    for page in pages:
        window.show_page(page)
        for _ in range(6):
            QApplication.processEvents()
        assert window.minimumSizeHint().width() <= size[0], page
        for area in page.findChildren(QAbstractScrollArea):
            if area.isVisible():
                assert not area.horizontalScrollBar().isVisible(), (page, area)
        for widget in page.findChildren(QLabel) + page.findChildren(QAbstractButton):
            if not widget.isVisible() or any(isinstance(p, QAbstractScrollArea)
                                             for p in _parents(widget, page)):
                continue
            where = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
            assert where.right() <= window.width(), (page, widget)
            if widget.hasHeightForWidth():
                assert widget.height() >= widget.heightForWidth(widget.width()), widget
    # A child's page: its intelligence panel's notice keeps the room its words need.
    assert app.session is not None
    app.show_history(app.session.children.search("Amy")[0].id)
    panel = app.history_view.intel
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=20_000)
    for _ in range(6):
        QApplication.processEvents()
    banner = panel.banner
    assert banner.isVisible()
    assert banner.height() >= banner.heightForWidth(banner.width()), banner.size()
    assert QRect(banner.mapTo(window, QPoint(0, 0)), banner.size()).right() <= window.width()
    # The dialogs fit the screen too (their contents scroll instead).
    intel.add(None)
    qtbot.waitUntil(lambda: intel.dialog is not None and intel.dialog.isVisible(), timeout=5000)
    dialog = intel.dialog
    assert dialog is not None
    screen = dialog.screen().availableGeometry()
    assert dialog.height() <= screen.height()
    assert dialog.width() <= screen.width()
    dialog.close()


def _parents(widget: QWidget, top: QWidget) -> list[QWidget]:
    found: list[QWidget] = []
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        found.append(parent)
        parent = parent.parentWidget()
    return found


def test_opening_a_person_of_concern_is_written_to_the_audit_log(
        qtbot: QtBot, app: AppController) -> None:
    unlock(qtbot, app, "mary")
    open_list(qtbot, app)
    person = next(r for r in app.intel.list_view.model.rows if r.kind == "person")
    app.intel.open(person.id)
    shown(qtbot, app, app.intel.item_view)
    assert app.session is not None
    with app.session.engine.connect() as conn:
        viewed = conn.execute(text("SELECT object FROM audit_log WHERE action = 'intel_view' "
                                   "AND user = 'mary'")).scalars().all()
        listed = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'intel_list' "
                                   "AND user = 'mary'")).scalar_one()
    assert viewed == [f"intel:{person.id}"]
    assert listed >= 1


def test_add_intelligence_from_a_screening_and_from_the_menu_names_the_child(
        qtbot: QtBot, app: AppController) -> None:
    unlock(qtbot, app, "pat")
    assert app.session is not None
    amy = app.session.children.search("Amy")[0]
    sid = app.session.screenings.start(amy.id, screening_date=date(2026, 3, 2))
    app.open_screening(sid)
    assert app.current is not None
    view = app.current.view
    shown(qtbot, app, view)
    click(qtbot, view.intel_button)
    qtbot.waitUntil(lambda: isinstance(app.intel.dialog, IntelItemDialog)
                    and app.intel.dialog.isVisible(), timeout=5000)
    dialog = app.intel.dialog
    assert isinstance(dialog, IntelItemDialog)
    assert dialog.child == (amy.id, "Amy Example")
    assert not dialog.picker.isVisible()
    dialog.reject()
    qtbot.waitUntil(lambda: app.intel.dialog is None, timeout=5000)
    # The menu entry asks for the child when the page shown is not about one.
    open_list(qtbot, app)
    app.intel.add_action.trigger()
    qtbot.waitUntil(lambda: isinstance(app.intel.dialog, IntelItemDialog)
                    and app.intel.dialog.isVisible(), timeout=5000)
    dialog = app.intel.dialog
    assert isinstance(dialog, IntelItemDialog)
    assert dialog.child is None
    assert dialog.picker.isVisible()
    type_into(qtbot, dialog.picker.search, "Amy")
    qtbot.waitUntil(lambda: dialog.picker.matches.count() == 1, timeout=10_000)
    assert dialog.picker.child_id() == amy.id
    dialog.reject()


def test_the_recorder_changes_an_item_and_a_colleague_may_not(
        qtbot: QtBot, app: AppController, db: Path) -> None:
    """Change… on an item's page opens the item's own fields filled in; saving changes it
    through the service (audited); a practitioner who did not record it is not offered it."""
    from riskscreen.ui.intel import _GradePart

    unlock(qtbot, app, "pat")
    open_list(qtbot, app)
    darren = next(r for r in app.intel.list_view.model.rows if "Darren" in r.label)
    app.intel.open(darren.id)
    view = app.intel.item_view
    shown(qtbot, app, view)
    assert view.edit_button.isVisible()
    click(qtbot, view.edit_button)
    qtbot.waitUntil(lambda: isinstance(app.intel.dialog, IntelItemDialog)
                    and app.intel.dialog.isVisible(), timeout=5000)
    dialog = app.intel.dialog
    assert isinstance(dialog, IntelItemDialog)
    assert dialog.windowTitle() == "Change the item"
    assert not dialog.kind.isEnabled()
    assert dialog.names.text() == "Darren"
    assert dialog.phones.text() == PHONE
    assert dialog.text.toPlainText() == "Gives lifts after school."
    assert dialog.grade() == "2/B/P"
    assert not dialog.picker.isVisible()
    assert not dialog.seen_on.isVisible()
    dialog.nicknames.clear()
    type_into(qtbot, dialog.nicknames, "Daz")
    dialog.text.clear()
    type_into(qtbot, dialog.text, "Gives lifts after school in a silver car.")
    part = dialog.grade_intelligence
    assert isinstance(part, _GradePart)
    part.set_code("A")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: app.intel.dialog is None, timeout=20_000)
    qtbot.waitUntil(lambda: "Changed" in view.done.text(), timeout=20_000)
    assert view.item is not None
    assert view.item.grade.text == "2/A/P"
    assert view.item.text == "Gives lifts after school in a silver car."
    assert view.item.details["nicknames"] == ["Daz"]
    assert view.item.details["phones"] == [PHONE]
    assert "2/A/P" in view.grade.text()
    assert banner_shown(view)
    app.lock()

    # paula sees pat's High Street place (a manager linked it to her child Ben) but did not
    # record it: she is not offered Change….
    unlock(qtbot, app, "paula")
    open_list(qtbot, app)
    place = next(r for r in app.intel.list_view.model.rows if "High Street" in r.label)
    assert not place.may_change
    app.intel.open(place.id)
    qtbot.waitUntil(lambda: view.item is not None and view.item.id == place.id,
                    timeout=20_000)
    assert not view.edit_button.isVisible()
    assert view.link_button.isVisible()
    app.lock()
    from riskscreen.services import Unlocker

    with Unlocker(db, auto_backups=False).unlock("mary", PASSPHRASES["mary"]) as mary, \
            mary.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT user, detail FROM audit_log WHERE action = 'intel_edit'")).all()
    assert [r[0] for r in rows] == ["pat"]
    assert "Daz" not in rows[0][1]


def test_a_childs_page_lists_the_intelligence_linked_to_that_child(
        qtbot: QtBot, app: AppController) -> None:
    """Each child's page lists the items linked to that child that the account may see,
    under the intelligence-not-evidence notice, and opens one with Enter."""
    unlock(qtbot, app, "paula")
    assert app.session is not None
    ben = app.session.children.search("Ben")[0]
    app.show_history(ben.id)
    panel = app.history_view.intel
    shown(qtbot, app, app.history_view)
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=20_000)
    what = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]  # type: ignore[union-attr]
    assert any("Dazza" in w for w in what)
    assert any("12 High Street" in w for w in what), "linked to Ben by a manager"
    assert any("Mill Lane" in w for w in what), "her own restricted record"
    assert not any("AB12" in w or "Darren" in w for w in what), "about Amy only"
    assert panel.banner.isVisible()
    assert panel.banner.text().startswith("INTELLIGENCE, NOT EVIDENCE")
    assert panel.banner.toolTip() == NOT_EVIDENCE
    row = next(r for r, w in enumerate(what) if "Dazza" in w)
    panel.table.setCurrentCell(row, 0)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    shown(qtbot, app, app.intel.item_view)
    assert app.intel.item_view.item is not None
    assert "Dazza" in app.intel.item_view.item.label
    app.lock()
    assert panel.table.rowCount() == 0, "locking forgets the list"

    # pat works with Amy, not Ben: on Amy's page the restricted Mill Lane place never shows.
    unlock(qtbot, app, "pat")
    assert app.session is not None
    amy = app.session.children.search("Amy")[0]
    app.show_history(amy.id)
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=20_000)
    what = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]  # type: ignore[union-attr]
    assert any("Darren" in w for w in what)
    assert any("AB12 CDE" in w for w in what)
    assert not any("Mill Lane" in w or "Dazza" in w for w in what)


def test_dates_in_the_list_and_on_a_childs_page_read_day_month_year(
        qtbot: QtBot, app: AppController) -> None:
    """The list's "Recorded" and "Review due" columns and a child's page's "seen" column read
    as the app shows dates (dd/mm/yyyy on this computer's calendar), never as ISO text."""
    from riskscreen.dates import show_date

    unlock(qtbot, app, "pat")
    open_list(qtbot, app)
    model = app.intel.list_view.model
    columns = model.COLUMNS
    recorded, due = columns.index("Recorded"), columns.index("Review due")
    assert model.rows
    for r, item in enumerate(model.rows):
        shown_recorded = model.index(r, recorded).data()
        assert shown_recorded == show_date(item.created_at)
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", shown_recorded)
        assert model.index(r, due).data().startswith(show_date(item.review_due))
    assert app.session is not None
    amy = app.session.children.search("Amy")[0]
    app.show_history(amy.id)
    panel = app.history_view.intel
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=20_000)
    seen = {panel.table.item(r, 2).text() for r in range(panel.table.rowCount())}  # type: ignore[union-attr]
    assert "01/03/2026" in seen
    assert "01/06/2025" in seen


@pytest.mark.parametrize("size", [(1366, 768), (1024, 768), (910, 512)],
                         ids=["1366x768", "1024x768", "1366x768 at 150%"])
def test_a_childs_page_fits_without_clipping_or_sideways_scrolling(
        qtbot: QtBot, app: AppController, size: tuple[int, int]) -> None:
    """A child's page with missing episodes (long "where found" words) and linked
    intelligence: every table's columns and column titles fit its width, nothing scrolls
    sideways, and every button and label shows its words in full inside the window."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QLabel, QTableWidget

    with Vault(app.db_path, "").login("pat") as pat:
        amy = pat.children.search("Amy")[0].id
        for day, where in ((1, "With an older friend in another town, found by the police"),
                           (8, "A friend's house nearby")):
            pat.episodes.add(amy, f"2026-03-{day:02d}T19:30", f"2026-03-{day + 1:02d}T05:38",
                             where_found=where, reported_by="Residential home staff")
    unlock(qtbot, app, "pat")
    window = app.window
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(*size)
    app.show_history(amy)
    page = app.history_view
    shown(qtbot, app, page)
    qtbot.waitUntil(lambda: page.intel.table.rowCount() > 0
                    and len(page.episodes.episodes) == 2, timeout=20_000)
    for _ in range(6):
        QApplication.processEvents()
    assert window.minimumSizeHint().width() <= size[0]
    for area in page.findChildren(QAbstractScrollArea):
        if area.isVisible():
            assert not area.horizontalScrollBar().isVisible(), area.objectName()
    # The chart keeps each level's name clear of the next, and the tables keep room for
    # at least a row each under their titles.
    names = list(page.chart.chart_geometry().labels.values())
    assert not any(a.intersects(b) for i, a in enumerate(names) for b in names[i + 1:])
    for table in (page.table, page.episodes.table):
        assert table.viewport().height() >= table.rowHeight(0), table.objectName()
    for table in page.findChildren(QTableWidget):
        if not table.isVisible():
            continue
        header = table.horizontalHeader()
        used = sum(header.sectionSize(c) for c in range(table.columnCount()))
        assert used <= table.viewport().width() + 1, table.objectName()
        for c in range(table.columnCount()):
            title = table.horizontalHeaderItem(c).text()  # type: ignore[union-attr]
            needed = header.fontMetrics().horizontalAdvance(title)
            assert header.sectionSize(c) >= needed, (table.objectName(), title)
    for widget in page.findChildren(QLabel) + page.findChildren(QAbstractButton):
        if not widget.isVisible() or any(isinstance(p, QAbstractScrollArea)
                                         for p in _parents(widget, page)):
            continue
        where = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        assert where.right() <= window.width(), widget.objectName() or widget.text()
        if isinstance(widget, QAbstractButton):
            assert widget.width() >= widget.sizeHint().width(), widget.text()
        elif widget.hasHeightForWidth():
            assert widget.height() >= widget.heightForWidth(widget.width()), widget.text()
        elif not widget.wordWrap():
            assert widget.width() >= widget.minimumSizeHint().width(), widget.text()
