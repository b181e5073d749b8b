"""The follow-up screens with real widgets: "Due for review" on the home screen, the episode
log and its dialogs, a re-screen's carried answers confirmed, and the chronology."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import QDateTime, Qt, QThreadPool
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from riskscreen.services.types import ChronologyKind, EpisodeInfo
from riskscreen.ui.controller import AppController
from riskscreen.ui.followup import EpisodeDialog, RhiDialog
from riskscreen.ui.worker import wait_for_background

from ..conftest import finalise_case
from .helpers import click, type_into
from .test_app_flow import PAT, read_db, set_up, unlock

CASE = "06-repeated-missing-with-indicator"


def _finalised_child(tmp_path: Path) -> int:
    """A child with one finalised screening (a golden case), made through the services."""
    with read_db(tmp_path) as pat:
        return finalise_case(pat, CASE).child


#: How long a step may take on a loaded computer (two cores shared by many test runs); each
#: wait ends as soon as its condition holds.
SLOW = 60_000


def _settle(qtbot: QtBot, app: AppController) -> None:
    """Wait until no background call is left and no change is running, so that what the
    window did is in the database before the test reads it there."""
    qtbot.waitUntil(lambda: QThreadPool.globalInstance().activeThreadCount() == 0
                    and not app.changing, timeout=SLOW)
    assert wait_for_background(SLOW)


def test_due_episodes_rescreen_and_chronology(qtbot: QtBot, app: AppController,
                                              tmp_path: Path) -> None:
    set_up(qtbot, app)
    child = _finalised_child(tmp_path)
    unlock(qtbot, app, PAT[1])
    due = app.home_view.due
    qtbot.waitUntil(lambda: len(due.items) == 1, timeout=SLOW)
    assert due.items[0].child_id == child
    cell = due.table.model().index(0, 2)
    when = cell.data()
    assert when.startswith(("Overdue by", "Due in", "Due today"))
    if due.items[0].overdue(date.today()):
        assert cell.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#8a1c1c"
    # Double-clicking the child opens their page with the (empty) episode log.
    due.child_requested.emit(child)
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is app.history_view,
                    timeout=SLOW)
    panel = app.history_view.episodes
    click(qtbot, panel.add_button)
    dialog = app.followup.dialog
    assert isinstance(dialog, EpisodeDialog)
    dialog.missing_from.setDateTime(QDateTime(datetime(2026, 3, 1, 21, 30)))
    dialog.returned_box.setChecked(True)
    dialog.returned.setDateTime(QDateTime(datetime(2026, 3, 2, 7, 45)))
    type_into(qtbot, dialog.where_found, "A friend's flat")
    type_into(qtbot, dialog.reported_by, "Foster carer")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: len(panel.episodes) == 1, timeout=SLOW)
    assert panel.table.item(0, 0).text() == "01/03/2026 21:30"
    assert "Overdue: it was due by 05/03/2026 07:45" in panel.table.item(0, 3).text()
    # The interview: "not done" needs a reason, said in the dialog, which stays open.
    panel.table.selectRow(0)
    click(qtbot, panel.rhi_button)
    rhi = app.followup.dialog
    assert isinstance(rhi, RhiDialog)
    assert "05/03/2026 07:45" in rhi.findChild(type(rhi.error), "rhiDeadline").text()
    rhi.not_done_choice.setChecked(True)
    click(qtbot, rhi.ok_button)
    qtbot.waitUntil(lambda: rhi.error.isVisible(), timeout=SLOW)
    assert "in a sentence" in rhi.error.text()
    type_into(qtbot, rhi.reason, "She was moved out of area; her social worker will visit.")
    click(qtbot, rhi.ok_button)
    qtbot.waitUntil(lambda: panel.episodes[0].rhi_status is not None, timeout=SLOW)
    assert panel.table.item(0, 3).text().startswith("Not done: She was moved")
    # The chronology, filtered, and saved as a PDF.
    click(qtbot, app.history_view.chronology_button)
    view = app.followup.chronology_view
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is view, timeout=SLOW)
    kinds = {e.kind for e in view.entries}
    assert {ChronologyKind.SCREENING, ChronologyKind.EPISODE, ChronologyKind.RHI,
            ChronologyKind.REFERRAL} <= kinds
    view.boxes[ChronologyKind.SCREENING].setChecked(False)
    qtbot.waitUntil(lambda: all(e.kind != ChronologyKind.SCREENING for e in view.entries),
                    timeout=SLOW)
    out = tmp_path / "chronology.pdf"
    app.followup.save_chronology(out, child, view.kinds())
    qtbot.waitUntil(out.exists, timeout=SLOW)
    text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Page 1 of" in text
    assert "Screening 1 finalised" not in text
    assert "Reported missing" in text
    # A re-screen opens with the carried answers to confirm; confirming them clears it.
    click(qtbot, view.back_button)
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is app.history_view,
                    timeout=SLOW)
    click(qtbot, app.history_view.rescreen_button)
    qtbot.waitUntil(lambda: app.current is not None and app.current.view.carried.isVisible(),
                    timeout=SLOW)
    carried = app.current.view.carried
    assert carried.list.count() > 5
    changed = [carried.list.item(i).text() for i in range(carried.list.count())
               if carried.list.item(i).text().startswith("CHANGED")]
    assert changed  # the new episode changed the missing-episode answers since last time
    click(qtbot, carried.tick_all)
    assert all(carried.list.item(i).checkState() == Qt.CheckState.Checked
               for i in range(carried.list.count()))
    click(qtbot, carried.confirm_button)
    qtbot.waitUntil(lambda: not carried.isVisible(), timeout=SLOW)
    sid = app.current.id
    _settle(qtbot, app)
    with read_db(tmp_path) as pat:
        assert pat.reviews.rescreen_info(sid).unconfirmed == []


def test_a_step_down_asks_why_then_finalises(qtbot: QtBot, app: AppController,
                                             tmp_path: Path) -> None:
    from riskscreen.services import OverrideRequest
    from riskscreen.ui.followup import StepDownDialog

    set_up(qtbot, app)
    with read_db(tmp_path) as pat:
        child = finalise_case(pat, CASE, override=OverrideRequest(
            "high", "She told her teacher that an older man collects her from school.")).child
        sid = pat.screenings.start(child, rescreen=True)
        pat.reviews.confirm(sid, pat.reviews.rescreen_info(sid).unconfirmed)
    unlock(qtbot, app, PAT[1])
    app.open_screening(sid)
    qtbot.waitUntil(lambda: app.current is not None and app.current.id == sid, timeout=SLOW)
    app._on_finalise_finalise_requested(None)
    qtbot.waitUntil(lambda: isinstance(app.followup.dialog, StepDownDialog), timeout=SLOW)
    dialog = app.followup.dialog
    assert isinstance(dialog, StepDownDialog)
    assert any("lower than at the last screening" in label.text()
               for label in dialog.findChildren(type(dialog.error)))
    click(qtbot, dialog.ok_button)
    assert "in a sentence" in dialog.error.text()
    type_into(qtbot, dialog.reason, "The plan is working: she is settled at home and at school.")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: app.current is not None and app.current.id == sid
                    and app.current.detail.row.status == "final", timeout=SLOW)
    _settle(qtbot, app)
    with read_db(tmp_path) as pat:
        assert pat.screenings.open(sid).row.status == "final"


def test_a_county_due_list_is_shown_from_its_records_and_opens_the_child(qtbot: QtBot) -> None:
    """Tens of thousands of children due: the list holds the records, not a table item per
    cell, and double-clicking still opens the child (overdue said in words and colour)."""
    from riskscreen.services.types import DueItem, DueKind
    from riskscreen.ui.followup import DuePanel

    today = date(2026, 6, 1)
    items = [DueItem(child_id=i, child_name=f"Synthetic {i}", kind=DueKind.REVIEW,
                     due=date(2026, 1, 1) if i % 2 else date(2026, 9, 1),
                     reason="Review of the screening", last_screening_id=i, last_level="low")
             for i in range(30_000)]
    panel = DuePanel()
    qtbot.addWidget(panel)
    panel.set_items(items, today)
    panel.show()
    model = panel.table.model()
    assert model.rowCount() == 30_000
    assert panel.summary.text().startswith("30000 due, 15000 overdue.")
    late = model.index(1, 2)
    assert late.data() == "Overdue by 151 days"
    assert late.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#8a1c1c"
    assert model.index(2, 2).data(Qt.ItemDataRole.ForegroundRole) is None
    with qtbot.waitSignal(panel.child_requested) as opened:
        panel.table.activated.emit(model.index(29_999, 0))
    assert opened.args == [29_999]


def test_the_rhi_dialog_starts_at_the_top_and_is_as_tall_as_its_fields(qtbot: QtBot) -> None:
    """Its words and choices begin at the top; room to spare is never left above them, and an
    error said later still fits."""
    returned = datetime(2026, 11, 30, 16, 15)
    episode = EpisodeInfo(1, 1, datetime(2026, 11, 29, 14, 15), returned, "Station Hotel",
                          "Carer", None, None, "", "pat")
    dialog = RhiDialog(episode)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    deadline = dialog.findChild(QLabel, "rhiDeadline")
    assert deadline is not None
    top = dialog.layout().contentsMargins().top()
    assert deadline.geometry().top() <= top + 2, deadline.geometry()
    assert deadline.height() <= deadline.heightForWidth(deadline.width()) + 2
    assert dialog.height() <= dialog.minimumSizeHint().height() + 4
    dialog.resize(dialog.width(), dialog.height() + 120)  # made taller: the fields stay put
    QApplication.processEvents()
    assert deadline.geometry().top() <= top + 2, deadline.geometry()
    dialog.show_error("The interview cannot be before the return.")
    QApplication.processEvents()
    assert dialog.error.isVisible()
    assert dialog.error.geometry().bottom() < dialog.buttons.geometry().top()
