"""The manager's window driven through real widgets: weights, validation, impact, publish,
import refusal and try-out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QSpinBox, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from riskscreen.dates import show_date, show_moment
from riskscreen.scoring.draft import WeightCell
from riskscreen.scoring.impact import impact
from riskscreen.services import PermissionDenied
from riskscreen.services.models import next_version
from riskscreen.ui.manager.controller import ManagerController
from riskscreen.ui.worker import pending_outcomes, wait_for_background

from ..conftest import finalise_case
from .conftest import login, make_db, open_manager

pytestmark = pytest.mark.gui

@pytest.fixture
def manager(qtbot: QtBot, tmp_path: Path) -> Iterator[ManagerController]:
    session = login(make_db(tmp_path), "mary")
    yield open_manager(qtbot, session)
    # Every outcome arrives while the window is there: qtbot deletes it straight after, and
    # an outcome then (the live impact finished just before the window closed) would reach
    # its deleted widgets, failing whichever test happens to tear down at that moment.
    qtbot.waitUntil(lambda: wait_for_background() and not pending_outcomes(), timeout=30_000)
    session.close()


def weight_item(controller: ManagerController, qid: str, answer: str) -> QTreeWidgetItem:
    tree = controller.window.editor.weights
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        for j in range(top.childCount()):
            q = top.child(j)
            for k in range(q.childCount()):
                item = q.child(k)
                if item.data(0, Qt.ItemDataRole.UserRole) == WeightCell(qid, answer):
                    return item
    raise AssertionError(f"no weight row for {qid} {answer}")


def edit_weight(qtbot: QtBot, controller: ManagerController, qid: str, answer: str,
                points: int) -> None:
    """Type a new weight into the points cell, as a manager does."""
    tree = controller.window.editor.weights
    item = weight_item(controller, qid, answer)
    tree.window().activateWindow()
    tree.setFocus()
    tree.scrollToItem(item)
    tree.setCurrentItem(item, 2)
    tree.editItem(item, 2)
    # Closed editors linger until deleted later: take the one on screen.
    editor = next(w for w in tree.viewport().findChildren(QSpinBox) if w.isVisible())
    editor.setFocus()
    editor.selectAll()
    qtbot.keyClicks(editor, str(points))
    assert editor.value() == points
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The delegate commits the editor's value through a queued call.
    qtbot.waitUntil(lambda: item.data(2, Qt.ItemDataRole.EditRole) == points, timeout=5000)


def confirm_publish(qtbot: QtBot, controller: ManagerController) -> Any:
    """Press "Publish…" and answer Yes in the question it asks (a box that never blocks);
    return what :attr:`ManagerController.published` carried."""
    with qtbot.waitSignal(controller.published, timeout=10_000) as blocker:
        qtbot.mouseClick(controller.window.editor.publish_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: controller.confirm_box is not None
                        and controller.confirm_box.isVisible(), timeout=10_000)
        box = controller.confirm_box
        assert box is not None
        assert box.windowModality() == Qt.WindowModality.WindowModal
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    return blocker.args[0]


def type_note(qtbot: QtBot, controller: ManagerController, note: str) -> None:
    qtbot.keyClicks(controller.window.editor.change_note, note)


def test_weight_change_impact_matrix_matches_the_core(qtbot: QtBot,
                                                      manager: ManagerController) -> None:
    manager.window.show()
    type_note(qtbot, manager, "Raise hotels and parties")
    edit_weight(qtbot, manager, "hotels_parties_unknown_addresses", "recent", 14)
    edit_weight(qtbot, manager, "hotels_parties_unknown_addresses", "both", 15)
    qtbot.waitUntil(lambda: manager.window.editor.publish_button.isEnabled(), timeout=3000)
    assert manager.window.editor.problems.count() == 0
    with qtbot.waitSignal(manager.impact_finished, timeout=20_000) as blocker:
        qtbot.mouseClick(manager.window.impact.run_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    service = manager.service
    _, published = service.in_force()
    assert manager.model is not None
    core = impact(service.form(), published, manager.model,
                  [(str(sid), a) for sid, _, a in manager.session.finalised.answer_sets()])
    assert report.matrix == core.matrix
    table = manager.window.impact.matrix
    for r, old in enumerate(core.levels):
        for c, new in enumerate(core.levels):
            assert table.item(r, c).text() == str(core.matrix[old][new])
    changes = manager.window.impact.changes
    assert changes.model().rowCount() == len(core.changes)
    if core.changes:
        changes.setCurrentIndex(changes.model().index(0, 0))
        assert "Screening" in manager.window.impact.detail.toPlainText()


def test_invalid_edit_shows_validate_message_and_blocks_publish(
        qtbot: QtBot, manager: ManagerController) -> None:
    manager.window.show()
    type_note(qtbot, manager, "Unordered weights")
    edit_weight(qtbot, manager, "older_associates", "recent", 30)
    problems = manager.window.editor.problems
    qtbot.waitUntil(lambda: problems.count() == 1
                    and "counts less than “Within the last 3 months”" in problems.item(0).text(),
                    timeout=3000)
    assert not manager.window.editor.publish_button.isEnabled()


def test_publish_then_new_screening_uses_new_version(
        qtbot: QtBot, manager: ManagerController) -> None:
    manager.window.show()
    session = manager.session
    old = session.screenings.find().items[0].id
    old_sha = session.screenings.open(old).model_sha256
    proposed = manager.window.editor.version.text()
    type_note(qtbot, manager, "Lower the first threshold")
    table = manager.window.editor.levels
    table.item(1, 3).setData(Qt.ItemDataRole.EditRole, 2)
    qtbot.waitUntil(lambda: manager.window.editor.publish_button.isEnabled(), timeout=3000)
    info = confirm_publish(qtbot, manager)
    assert info.version == proposed
    child = session.children.create("Another Child", "2012-02-02")
    new = session.screenings.start(child.id)
    assert session.screenings.open(new).model_sha256 == info.sha256
    assert session.screenings.open(old).model_sha256 == old_sha
    assert manager.window.history.table.item(0, 0).text() == proposed
    assert info.published_at.tzinfo is not None
    assert manager.window.history.table.item(0, 1).text() == show_moment(info.published_at)
    assert "T" not in manager.window.history.table.item(1, 1).text()
    assert f"published {show_date(info.published_at)}" in manager.window.editor.base.text()
    assert manager.window.editor.version.text() == next_version(proposed)


def test_import_of_invalid_model_is_refused(qtbot: QtBot,
                                            manager: ManagerController) -> None:
    from riskscreen.services.models import model_data, model_to_yaml

    manager.window.show()
    _, model = manager.service.in_force()
    data = model_data(model)
    data["thresholds"][1]["from"] = data["thresholds"][0]["from"]  # out of order
    bad = model_to_yaml(data)
    with qtbot.waitSignal(manager.imported, timeout=10_000) as blocker:
        manager.import_text(bad, "county.yaml")
    assert blocker.args == [False]
    banner = manager.window.banner
    assert banner.isVisible()
    assert "refused" in banner.text.text()
    assert "county.yaml" in banner.text.text()
    assert "Nothing was changed" in banner.text.text()
    assert manager.window.editor.problems.count() >= 1
    qtbot.mouseClick(banner.dismiss, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()


def test_a_failed_publish_shows_the_services_words_and_the_editor_stays_usable(
        qtbot: QtBot, manager: ManagerController) -> None:
    """Another manager publishes the same version meanwhile: the editor's publish fails in
    the background, says the service's own message in its banner (no box to wait on), and
    the draft can still be edited and published under another version."""
    manager.window.show()
    type_note(qtbot, manager, "Raise older associates")
    edit_weight(qtbot, manager, "older_associates", "both", 9)
    editor = manager.window.editor
    qtbot.waitUntil(editor.publish_button.isEnabled, timeout=10_000)
    assert manager.model is not None
    taken = manager.model.version
    manager.service.publish(manager.model)  # the same version, published elsewhere first
    failed = []
    manager.published.connect(failed.append)
    qtbot.mouseClick(editor.publish_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: manager.confirm_box is not None, timeout=10_000)
    box = manager.confirm_box
    assert box is not None
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    banner = manager.window.banner
    qtbot.waitUntil(banner.isVisible, timeout=10_000)
    assert banner.text.text() == f"{manager.model.id} {taken} is already published."
    assert failed == []
    assert editor.publish_button.isEnabled()
    # Still usable: a new version number and another edit, then it publishes.
    editor.version.clear()
    qtbot.keyClicks(editor.version, next_version(taken))
    edit_weight(qtbot, manager, "older_associates", "both", 10)
    qtbot.waitUntil(lambda: editor.publish_button.isEnabled()
                    and manager.model is not None
                    and manager.model.version == next_version(taken), timeout=10_000)
    info = confirm_publish(qtbot, manager)
    assert info.version == next_version(taken)


def test_try_out_shows_both_models(qtbot: QtBot, manager: ManagerController) -> None:
    type_note(qtbot, manager, "Try")
    manager.validate()
    view = manager.window.try_out
    assert view.screening.count() > 0
    with qtbot.waitSignal(manager.tried, timeout=10_000):
        qtbot.mouseClick(view.try_button, Qt.MouseButton.LeftButton)
    assert "points" in view.published.toPlainText()
    assert "points" in view.draft.toPlainText()


def test_practitioner_cannot_open_the_model_editor(qtbot: QtBot, tmp_path: Path) -> None:
    session = login(make_db(tmp_path, 0), "pat")
    with pytest.raises(PermissionDenied):
        ManagerController(session).service.new_draft()
    from riskscreen.ui.manager.menus import open_manager_tools

    shown: list[Any] = []
    assert open_manager_tools(session, shown.append) is None
    assert shown
    assert "manager" in str(shown[0])
    session.close()


def test_reports_tab_counts_and_exports(qtbot: QtBot, manager: ManagerController,
                                        tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from riskscreen.ui.manager.reports import attach_reports

    reports = attach_reports(manager)
    view = reports.view
    with qtbot.waitSignal(reports.built, timeout=10_000):
        qtbot.mouseClick(view.build_button, Qt.MouseButton.LeftButton)
    assert reports.report is not None
    assert reports.report.total > 0
    view.tables.setCurrentRow(0)
    shown = [view.table.item(r, 1).text() for r in range(view.table.rowCount())]
    expected = [n for _, n in reports.report.tables[0].shown()]
    assert shown == expected
    # The export buttons write off the GUI thread; meanwhile no button starts another.
    for kind, button in (("csv", view.csv_button), ("pdf", view.pdf_button)):
        target = tmp_path / f"r.{kind}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName",
                            staticmethod(lambda *a, t=target, **k: (str(t), "")))
        with qtbot.waitSignal(reports.exported, timeout=30_000) as written:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            busy = [b.isEnabled() for b in (view.csv_button, view.pdf_button,
                                             view.build_button)]
            assert busy == [False, False, False]
        assert written.args == [target]
        assert [view.csv_button.isEnabled(), view.pdf_button.isEnabled()] == [True, True]
    assert (tmp_path / "r.csv").read_text(encoding="utf-8").startswith("table,category,count")
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def test_practitioner_cannot_build_reports(qtbot: QtBot, tmp_path: Path) -> None:

    session = login(make_db(tmp_path, 0), "pat")
    with pytest.raises(PermissionDenied):
        session.reports.build()
    session.close()


def test_rule_editor_round_trips_every_shipped_rule(qtbot: QtBot,
                                                    manager: ManagerController) -> None:
    from riskscreen.ui.manager.rule_editor import RuleDialog

    assert manager.draft is not None
    levels = [(lv.id, lv.name) for lv in manager.draft.levels]
    for rule in manager.draft.rules:
        dialog = RuleDialog(rule, levels, manager.form)
        qtbot.addWidget(dialog)
        edited = dialog.rule()
        when = rule["when"]
        expected = when if next(iter(when)) in ("all", "any") else {"all": [when]}
        assert edited == {**rule, "when": expected}


def test_rule_editor_changes_a_level_through_choices(qtbot: QtBot,
                                                     manager: ManagerController) -> None:
    from riskscreen.ui.manager.rule_editor import RuleDialog

    assert manager.draft is not None
    levels = [(lv.id, lv.name) for lv in manager.draft.levels]
    dialog = RuleDialog(manager.draft.rules[0], levels, manager.form)
    qtbot.addWidget(dialog)
    dialog.minimum.setCurrentIndex(dialog.minimum.findData("medium"))
    dialog.rows[1].value.setText("12")
    edited = dialog.rule()
    assert edited["minimum"] == "medium"
    assert edited["when"]["all"][1] == {"less_than": {"derived": "age", "value": 12}}
    manager.draft.rules[0] = edited
    manager.draft.change_note = "Under 12 rule"
    assert manager.validate() == []


def test_manage_menu_follows_the_role(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from riskscreen.ui.main_window import MainWindow

    db = make_db(tmp_path, 20)
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    menus = window.role_menus
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Manage") == titles.index("&Help") - 1
    assert not menus.menu.menuAction().isVisible()
    for name, manager_visible, admin_visible in (("pat", False, False),
                                                 ("mary", True, False),
                                                 ("admin", False, True)):
        session = login(db, name)
        menus.session_provider = lambda s=session: s  # type: ignore[misc]
        window.set_signed_in(True)
        assert menus.manager_action.isVisible() is manager_visible
        assert menus.admin_action.isVisible() is admin_visible
        assert menus.menu.menuAction().isVisible() is (manager_visible or admin_visible)
        if manager_visible:
            menus.manager_action.trigger()
            assert len(menus.open) == 1
            qtbot.addWidget(menus.open[0].window)
        if admin_visible:  # a file's administrator backs it up from that window
            assert menus.admin_action.text() == "Accounts, backups, audit and settings…"
            menus.admin_action.trigger()
            qtbot.addWidget(menus.open[0].window)
            assert menus.open[0].window.isVisible()
        window.set_signed_in(False)
        assert menus.open == []
        session.close()


def test_weight_edit_updates_live_impact_without_a_button(qtbot: QtBot,
                                                          manager: ManagerController) -> None:
    """After an edit the editor's matrix and count follow the draft by themselves, and agree
    with the core's impact analysis over every finalised screening."""
    manager.window.show()
    panel = manager.window.editor.live
    qtbot.waitUntil(lambda: manager.live_result is not None, timeout=20_000)
    assert manager.live_result is not None
    assert manager.live_result.level_changed == 0
    type_note(qtbot, manager, "Raise hotels and parties a lot")
    edit_weight(qtbot, manager, "hotels_parties_unknown_addresses", "recent", 40)
    edit_weight(qtbot, manager, "hotels_parties_unknown_addresses", "both", 41)
    service = manager.service
    _, published = service.in_force()
    assert manager.draft is not None
    draft = service.build(manager.draft.to_data())
    core = impact(service.form(), published, draft,
                  [(str(sid), a) for sid, _, a in manager.session.finalised.answer_sets()])
    assert core.level_changed > 0

    def shown() -> bool:
        result = manager.live_result
        return (result is not None and result.matrix == core.matrix
                and result.level_changed == core.level_changed
                and f"{core.level_changed:,} would change level" in panel.summary.text())

    qtbot.waitUntil(shown, timeout=10_000)
    assert manager.live_result is not None
    assert manager.live_result.total == core.total
    assert manager.live_result.score_changed == core.score_changed
    for r, old in enumerate(core.levels):
        for c, new in enumerate(core.levels):
            assert panel.matrix.item(r, c).text() == str(core.matrix[old][new])


def test_an_analysis_asked_for_while_loading_waits_for_the_loaded_screenings(
        qtbot: QtBot, tmp_path: Path) -> None:
    """Pressed before the editor has loaded the screenings, the analysis says it waits,
    then re-scores what was loaded (the same report as the core's); cancelled meanwhile, it
    never starts and the button can be pressed again."""
    session = login(make_db(tmp_path), "mary")
    try:
        manager = open_manager(qtbot, session, show=True)
        assert manager.draft is not None
        manager.draft.change_note = "Raise hotels and parties"
        manager.draft.weights["hotels_parties_unknown_addresses"].update(recent=14, both=15)
        assert manager.validate() == []
        view = manager.window.impact
        assert manager.live is None  # no event has been delivered since start()
        qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
        assert view.status.text() == "Loading the finalised screenings…"
        assert not view.run_button.isEnabled()
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
        assert view.status.text() == "Cancelled before it started."
        assert view.run_button.isEnabled()
        qtbot.waitUntil(lambda: manager.live is not None, timeout=20_000)
        assert manager.report is None
        # A second editor, left to wait this time: it starts once its own load is done.
        manager2 = open_manager(qtbot, session, show=True)
        assert manager2.draft is not None
        manager2.draft.change_note = "Raise hotels and parties"
        manager2.draft.weights["hotels_parties_unknown_addresses"].update(recent=14, both=15)
        assert manager2.validate() == []
        with qtbot.waitSignal(manager2.impact_finished, timeout=30_000) as blocker:
            qtbot.mouseClick(manager2.window.impact.run_button, Qt.MouseButton.LeftButton)
            assert manager2.window.impact.status.text() == "Loading the finalised screenings…"
        report = blocker.args[0]
        assert manager2.live is not None
        _, published = manager2.service.in_force()
        assert manager2.model is not None
        core = impact(manager2.service.form(), published, manager2.model,
                      [(str(sid), a) for sid, _, a in session.finalised.answer_sets()])
        assert report.matrix == core.matrix
        assert [c.key for c in report.changes] == [c.key for c in core.changes]
    finally:
        wait_for_background()
        session.close()


def test_a_report_export_that_fails_is_said_in_the_banner_not_a_modal_box(
        qtbot: QtBot, manager: ManagerController, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal box would stop everything until dismissed (and stall an offscreen run); the
    Reports tab says the problem in the window's banner, as the rest of the window does."""
    boxes: list[tuple[Any, ...]] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a: boxes.append(a)))
    from riskscreen.ui.manager.reports import attach_reports

    manager.window.show()
    reports = attach_reports(manager)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    reports.export_in_background("csv", blocker / "report.csv")
    banner = manager.window.banner
    qtbot.waitUntil(banner.isVisible, timeout=20_000)
    assert banner.text.text().startswith("The file could not be written: ")
    banner.clear()
    assert reports.export("pdf", blocker / "report.pdf") is None
    assert banner.isVisible()
    assert banner.text.text().startswith("The file could not be written: ")
    assert boxes == []


def _finalise_elsewhere(db: Path, name: str) -> None:
    """A practitioner, signed in on their own, finalises a screening of a new child."""
    with login(db, "pat") as pat:
        finalise_case(pat, "17-current-exploitation", name=name)


def test_screenings_finalised_meanwhile_are_counted_before_publishing_and_in_the_analysis(
        qtbot: QtBot, tmp_path: Path) -> None:
    """The editor says over how many finalised screenings, and as of when, its figures are;
    screenings finalised by someone else while it is open are taken in before the question
    before publishing (which gives the figures), before an impact analysis, and when the
    manager comes back to the window, without reopening it."""
    from PySide6.QtWidgets import QApplication, QWidget

    db = make_db(tmp_path)
    session = login(db, "mary")
    try:
        manager = open_manager(qtbot, session, show=True)
        qtbot.waitUntil(lambda: manager.live_result is not None, timeout=30_000)
        assert manager.live_result is not None
        first = manager.live_result.total
        summary = manager.window.editor.live.summary
        assert f"Over all {first:,} finalised screenings as of " in summary.text()

        _finalise_elsewhere(db, "Elsewhere Child")
        type_note(qtbot, manager, "Raise hotels and parties")
        edit_weight(qtbot, manager, "hotels_parties_unknown_addresses", "recent", 40)
        edit_weight(qtbot, manager, "hotels_parties_unknown_addresses", "both", 41)
        qtbot.waitUntil(lambda: manager.window.editor.publish_button.isEnabled(),
                        timeout=10_000)
        qtbot.mouseClick(manager.window.editor.publish_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: manager.confirm_box is not None
                        and manager.confirm_box.isVisible(), timeout=30_000)
        box = manager.confirm_box
        assert box is not None
        said = box.informativeText()
        assert f"Over the {first + 1:,} finalised screenings as of " in said
        assert "could not check" not in said
        assert manager.live is not None
        assert manager.live.total == first + 1, "taken in without reopening the editor"
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.No), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: manager.confirm_box is None, timeout=10_000)
        assert manager.service.history()[0].version != manager.window.editor.version.text()
        qtbot.waitUntil(lambda: manager.live_result is not None
                        and manager.live_result.total == first + 1, timeout=30_000)
        assert f"Over all {first + 1:,} finalised screenings as of " in summary.text()

        # The analysis brings them up to date first, and says as of when.
        _finalise_elsewhere(db, "Another Child")
        with qtbot.waitSignal(manager.impact_finished, timeout=60_000) as blocker:
            qtbot.mouseClick(manager.window.impact.run_button, Qt.MouseButton.LeftButton)
        assert blocker.args[0].total == first + 2
        assert f"Done: {first + 2:,} screenings finalised by " in \
            manager.window.impact.status.text()

        # Coming back to the window takes in what was finalised meanwhile.
        manager.recheck_after = timedelta(0)
        _finalise_elsewhere(db, "Third Child")
        other = QWidget()
        qtbot.addWidget(other)
        other.show()
        other.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is other, timeout=10_000)
        manager.window.activateWindow()
        qtbot.waitUntil(lambda: manager.live_result is not None
                        and manager.live_result.total == first + 3, timeout=60_000)
    finally:
        wait_for_background()
        session.close()
