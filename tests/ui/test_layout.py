"""Layout on small and scaled screens, measured on the real widgets.

The two sizes are the issue's extremes in logical pixels: 1024x768 at 100 %, and a 1366x768
screen at 150 % (910x512). Qt scales every logical pixel alike, so a layout that fits 910x512
logical pixels fits that screen.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QScrollArea,
    QWidget,
)
from pytestqt.qtbot import QtBot

from riskscreen.forms.model import FormDefinition, QuestionType
from riskscreen.scoring.model import ScoringModel
from riskscreen.services.types import ChildInfo
from riskscreen.ui.finalise import FinaliseView
from riskscreen.ui.history import LevelChart
from riskscreen.ui.home import HomeView, LevelStyle
from riskscreen.ui.live_score import LiveScore
from riskscreen.ui.main_window import MainWindow
from riskscreen.ui.new_screening import NewScreeningView
from riskscreen.ui.referral import ReferralView
from riskscreen.ui.screening import ScreeningView
from riskscreen.ui.unlock import UnlockView

from .conftest import SCREENING_DATE
from .helpers import golden_case, two_clause_rule_dialog

pytestmark = pytest.mark.gui

SIZES = {"1024x768": (1024, 768), "1366x768 at 150%": (910, 512)}


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(settings)
    qtbot.addWidget(main)
    return main


def show_at(window: MainWindow, page: QWidget, size: tuple[int, int]) -> None:
    """Show ``page`` in the main window at a given logical size, laid out."""
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.show_page(page)
    window.resize(*size)
    window.show()
    settle()


def settle() -> None:
    """Deliver the posted layout requests (they cascade, so a few rounds)."""
    for _ in range(6):
        QApplication.processEvents()


def every_sign_present(form: FormDefinition) -> dict[str, Any]:
    """Answers that show every evidence box (and the questions that depend on signs)."""
    answers: dict[str, Any] = {}
    for q in form.questions():
        if q.type is QuestionType.INDICATOR:
            answers[q.id] = "yes"
        elif q.type is QuestionType.TIME_WINDOW:
            answers[q.id] = "recent"
    return answers


def rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


def assert_not_squeezed(widget: QWidget) -> None:
    """A word-wrapped label or button has at least the height its text needs."""
    if widget.hasHeightForWidth():
        assert widget.height() >= widget.heightForWidth(widget.width()), widget


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_questionnaire_needs_no_sideways_scrolling(qtbot: QtBot, window: MainWindow,
                                                  form: FormDefinition, model: ScoringModel,
                                                  size: tuple[int, int]) -> None:
    view = ScreeningView(form, SCREENING_DATE)
    LiveScore(view.questionnaire, view.score, model, SCREENING_DATE)
    view.questionnaire.set_answers(every_sign_present(form))
    show_at(window, view, size)
    checked = 0
    for index in range(len(form.sections)):
        view.questionnaire.show_section(index)
        settle()
        scroll = view.questionnaire.pages.currentWidget()
        assert isinstance(scroll, QScrollArea)
        assert not scroll.horizontalScrollBar().isVisible(), form.sections[index].id
        viewport = scroll.viewport()
        page = scroll.widget()
        for button in page.findChildren(QAbstractButton):
            if not button.isVisibleTo(page):
                continue
            where = rect_in(button, viewport)
            assert where.left() >= 0, button.text()
            assert where.right() < viewport.width(), button.text()
            assert button.width() >= button.minimumSizeHint().width(), button.text()
            assert_not_squeezed(button)
            checked += 1
        for label in page.findChildren(QLabel):
            if label.isVisibleTo(page) and label.wordWrap():
                where = rect_in(label, viewport)
                assert where.right() < viewport.width(), label.text()
                assert_not_squeezed(label)
    assert checked > 100  # every answer button of the form was looked at
    sections = view.questionnaire.sections
    assert not sections.horizontalScrollBar().isVisible()
    fm = sections.fontMetrics()
    for row in range(sections.count()):
        item = sections.item(row)
        rect = sections.visualItemRect(item)
        assert rect.right() < sections.viewport().width()
        needed = fm.boundingRect(QRect(0, 0, rect.width() - 12, 10_000),
                                 int(Qt.TextFlag.TextWordWrap), item.text())
        assert rect.height() >= needed.height(), item.text()  # not cut short with "…"


def test_time_window_answers_move_onto_a_second_row_when_narrow(
        qtbot: QtBot, window: MainWindow, form: FormDefinition) -> None:
    view = ScreeningView(form, SCREENING_DATE)
    show_at(window, view, SIZES["1366x768 at 150%"])
    qid = next(q.id for q in form.questions() if q.type is QuestionType.TIME_WINDOW)
    view.questionnaire.show_question(qid)
    settle()
    editor = view.questionnaire.blocks[qid].editor
    not_known = editor.buttons["not_known"]
    first = editor.buttons["none"]
    assert not_known.isVisible()
    assert not_known.geometry().right() < editor.width()
    assert not_known.y() > first.y()  # wrapped, not pushed out of sight


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_every_page_fits_and_the_status_line_stays_on_screen(
        qtbot: QtBot, window: MainWindow, form: FormDefinition, tmp_path: Path,
        size: tuple[int, int]) -> None:
    from riskscreen.ui.history import HistoryView
    from riskscreen.ui.setup import SetupView

    screening = ScreeningView(form, SCREENING_DATE)
    pages = [SetupView(tmp_path / "x.db"), UnlockView(), HomeView(), NewScreeningView(),
             screening, FinaliseView(), ReferralView(), HistoryView()]
    for page in pages:
        window.show_page(page)
    minimum = window.minimumSizeHint()
    assert minimum.width() <= size[0]
    assert minimum.height() <= size[1]
    show_at(window, screening, size)
    status = rect_in(screening.save_status, window)
    assert window.rect().contains(status)
    assert screening.state.isVisible()


def test_score_panel_scrolls_instead_of_cutting_text_at_150_percent(
        qtbot: QtBot, window: MainWindow, form: FormDefinition, model: ScoringModel) -> None:
    answers, _ = golden_case("07-disclosure")
    view = ScreeningView(form, SCREENING_DATE)
    live = LiveScore(view.questionnaire, view.score, model, SCREENING_DATE)
    view.questionnaire.set_answers(answers["answers"])
    assessment = live.rescore()
    assert assessment is not None
    assert assessment.rules_fired
    show_at(window, view, SIZES["1366x768 at 150%"])
    panel = view.score
    assert panel.rules.isVisible()
    viewport = panel.body_scroll.viewport()
    for label in panel.body.findChildren(QLabel):  # the level chip too
        if label.isVisible():
            assert_not_squeezed(label)
            assert rect_in(label, viewport).right() < viewport.width(), label.text()
    assert panel.body.height() > panel.body_scroll.viewport().height()
    assert panel.body_scroll.verticalScrollBar().isVisible()
    assert not panel.body_scroll.horizontalScrollBar().isVisible()


def test_collapsed_score_panel_shows_its_whole_title(qtbot: QtBot, window: MainWindow,
                                                      form: FormDefinition) -> None:
    view = ScreeningView(form, SCREENING_DATE)
    show_at(window, view, SIZES["1024x768"])
    expanded = view.score.width()
    view.score.set_title("Score when finalised")
    view.score.set_collapsed(True)
    settle()
    toggle = view.score.toggle
    assert toggle.width() >= toggle.sizeHint().width()
    assert view.score.width() < expanded
    view.score.set_collapsed(False)
    settle()
    assert view.score.width() == expanded


def test_unlock_button_stays_put_when_a_message_appears(qtbot: QtBot,
                                                        window: MainWindow) -> None:
    view = UnlockView()
    show_at(window, view, SIZES["1024x768"])
    before = rect_in(view.button, window)
    view.show_error("The account name or passphrase is wrong. Check Caps Lock and try "
                    "again; after several attempts each try waits a little longer.")
    settle()
    assert view.error.isVisible()
    assert rect_in(view.button, window) == before
    view.set_locked(None)
    settle()
    assert rect_in(view.button, window) == before


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_review_page_buttons_stay_put_and_nothing_scrolls_sideways(
        qtbot: QtBot, window: MainWindow, form: FormDefinition, model: ScoringModel,
        size: tuple[int, int]) -> None:
    answers, _ = golden_case("07-disclosure")
    view = ScreeningView(form, SCREENING_DATE)
    live = LiveScore(view.questionnaire, view.score, model, SCREENING_DATE)
    view.questionnaire.set_answers(answers["answers"])
    assessment = live.rescore()
    review = FinaliseView()
    questions = [(q.id, q.text) for q in form.questions()]
    review.show_review(assessment, [], questions[:12])
    show_at(window, review, size)
    scroll = review.findChild(QScrollArea)
    assert scroll is not None
    assert not scroll.horizontalScrollBar().isVisible()
    before = (rect_in(review.finalise_button, window), rect_in(review.back_button, window))
    review.show_error("Give your reason for choosing a different level in at least a "
                      "sentence: what do you know that the screening does not show?")
    settle()
    assert review.error.isVisible()
    assert (rect_in(review.finalise_button, window),
            rect_in(review.back_button, window)) == before
    review.show_error("")
    settle()
    assert (rect_in(review.finalise_button, window),
            rect_in(review.back_button, window)) == before


def test_create_button_stays_put_when_similar_records_are_found(
        qtbot: QtBot, window: MainWindow) -> None:
    view = NewScreeningView()
    show_at(window, view, SIZES["1024x768"])
    before = rect_in(view.create_button, window)
    view.show_duplicates([ChildInfo(i, f"Robin Example {i}", date(2011, 6, 14), {})
                          for i in range(4)])
    settle()
    assert view.duplicates.isVisible()
    assert rect_in(view.create_button, window) == before
    view.dob.line.setText("not a date")
    view.dob.line.editingFinished.emit()
    settle()
    assert view.dob.problem.isVisible()
    assert rect_in(view.create_button, window) == before


LEVELS = [("none", LevelStyle("No apparent risk", "#2e7d32")),
          ("low", LevelStyle("Low", "#f9a825")),
          ("medium", LevelStyle("Medium", "#ef6c00")),
          ("high", LevelStyle("High", "#c62828"))]


@pytest.mark.parametrize("width", [420, 900])
def test_history_dots_never_touch_the_level_names(qtbot: QtBot, width: int) -> None:
    chart = LevelChart()
    qtbot.addWidget(chart)
    chart.resize(width, 200)
    points = [(date(2026, 3, 22), "high"), (date(2026, 6, 14), "high"),
              (date(2026, 6, 20), "low"), (date(2026, 8, 9), "none")]
    chart.set_data(LEVELS, points)
    g = chart.chart_geometry()
    assert len(g.dots) == len(points)
    for dot in g.dots:
        for label in g.labels.values():
            assert not dot.intersects(label)
        assert chart.rect().toRectF().contains(dot)
    widget = chart.rect().toRectF()
    for i, (rect, _) in enumerate(g.dates):
        assert widget.contains(rect)
        assert not any(rect.intersects(other) for other, _ in g.dates[i + 1:])
        assert not any(rect.intersects(label) for label in g.labels.values())


def test_report_chart_shows_every_month_and_every_name_in_full(
        qtbot: QtBot, tmp_path: Path, window: MainWindow) -> None:
    from riskscreen.ui.manager.controller import ManagerController
    from riskscreen.ui.manager.reports import attach_reports

    from .conftest import login, make_db

    session = login(make_db(tmp_path, count=300), "mary")
    manager = ManagerController(session)
    qtbot.addWidget(manager.window)
    manager.start()
    reports = attach_reports(manager)
    try:
        manager.window.resize(*SIZES["1024x768"])
        manager.window.show()
        manager.window.tabs.setCurrentWidget(reports.view)
        report = reports.build()
        assert report is not None
        path = reports.export("csv", tmp_path / "report.csv")
        assert path is not None
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        titles = [t.title for t in report.tables]
        for title in ("By month", "Indicator prevalence"):
            in_csv = [r["category"] for r in rows if r["table"] == title]
            reports.view.tables.setCurrentRow(titles.index(title))
            settle()
            chart = reports.view.chart
            assert chart.categories == in_csv
            g = chart.chart_layout()
            assert [name for _, name in g.labels] == in_csv
            assert len(g.bars) == len(in_csv)
            area = chart.rect().toRectF()
            fm = chart.fontMetrics()
            for rect, name in g.labels:
                assert area.contains(rect), name
                if g.mode == "turned":
                    assert rect.height() >= fm.horizontalAdvance(name)
                else:
                    needed = fm.boundingRect(0, 0, int(rect.width()), 10_000,
                                             int(Qt.TextFlag.TextWordWrap), name)
                    assert rect.height() >= needed.height()
                    assert rect.width() >= needed.width()
            for swatch, text, name in g.legend:
                assert area.contains(swatch)
                assert area.contains(text)
                assert text.width() >= fm.horizontalAdvance(name)
        assert len([r for r in rows if r["table"] == "By month"]) > 12
    finally:
        session.close()


_GEOMETRY_SCRIPT = """
import sys
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from riskscreen.ui.main_window import MainWindow
app = QApplication([])
window = MainWindow(QSettings(sys.argv[1], QSettings.Format.IniFormat))
if len(sys.argv) > 2:
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(int(sys.argv[2]), int(sys.argv[3]))
window.show()
app.processEvents()
print(window.width(), window.height())
window.close()
"""


def _open_window(settings: Path, scale: str, *size: int) -> tuple[int, int]:
    result = subprocess.run(
        [sys.executable, "-c", _GEOMETRY_SCRIPT, str(settings), *map(str, size)],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale},
        capture_output=True, text=True, check=True, timeout=60)
    width, height = result.stdout.split()
    return int(width), int(height)


def test_a_window_size_left_at_150_percent_is_not_reused_at_100(tmp_path: Path) -> None:
    settings = tmp_path / "settings.ini"
    assert _open_window(settings, "1.5", 400, 300) == (400, 300)
    assert _open_window(settings, "1.5") == (400, 300)  # kept for that screen and scale
    assert _open_window(settings, "1") != (400, 300)
    assert _open_window(settings, "1", 700, 560) == (700, 560)
    assert _open_window(settings, "1") == (700, 560)
    assert _open_window(settings, "1.5") == (400, 300)


def test_a_remembered_window_larger_than_the_screen_is_not_used(
        qtbot: QtBot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    first = MainWindow(settings)
    qtbot.addWidget(first)
    available = first.screen().availableGeometry()
    first.setWindowState(Qt.WindowState.WindowNoState)
    first.setGeometry(available.x(), available.y(), available.width() + 400,
                      available.height() + 300)
    first.show()
    settle()
    first.close()
    second = MainWindow(settings)
    qtbot.addWidget(second)
    assert second.width() <= available.width()
    assert second.height() <= available.height()


def test_referral_pages_fit_the_preview_width(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtGui import QColor, QImage

    page = QImage(1300, 1800, QImage.Format.Format_RGB888)
    page.fill(QColor("white"))
    view = ReferralView()
    show_at(window, view, SIZES["1366x768 at 150%"])
    view.show_pages([page, page], "2 pages.")
    settle()
    assert not view.scroll_area.horizontalScrollBar().isVisible()
    shown = [label for label in view.pages.findChildren(QLabel) if label.isVisible()]
    assert len(shown) == 2
    for label in shown:
        assert rect_in(label, view.scroll_area.viewport()).right() < (
            view.scroll_area.viewport().width())
    assert view.images[0].width() == 1300  # printing and saving keep the full pages


def test_child_search_results_wrap_instead_of_scrolling_sideways(
        qtbot: QtBot, window: MainWindow) -> None:
    view = NewScreeningView()
    show_at(window, view, SIZES["1366x768 at 150%"])
    view.search.setText("Ivy")
    view.show_results([ChildInfo(1, "Ivy Campbell", date(2015, 10, 7),
                                 {"reference": "Synthetic 000088, Synthetic 000091"}),
                       ChildInfo(2, "Ivy White", date(2016, 12, 8), {"reference": "Synthetic 00"})])
    settle()
    assert not view.results.horizontalScrollBar().isVisible()
    for row in range(view.results.count()):
        rect = view.results.visualItemRect(view.results.item(row))
        assert rect.right() < view.results.viewport().width()


def test_a_few_long_names_wrap_under_their_columns(qtbot: QtBot) -> None:
    from riskscreen.ui.manager.charts import BarChart

    chart = BarChart("Screenings per level")
    qtbot.addWidget(chart)
    chart.resize(420, 260)
    chart.set_data(["No apparent risk", "Low", "Medium", "High"],
                   [("Published model", [121, 105, 146, 112]), ("Draft", [121, 104, 142, 117])])
    g = chart.chart_layout()
    assert g.mode == "columns"
    assert g.plot.height() > chart.height() / 2  # the bars keep most of the height
    fm = chart.fontMetrics()
    for rect, name in g.labels:
        needed = fm.boundingRect(0, 0, int(rect.width()), 10_000,
                                 int(Qt.TextFlag.TextWordWrap), name)
        assert rect.height() >= needed.height()
        assert rect.width() >= needed.width()


def test_a_read_only_date_keeps_no_room_for_a_problem(qtbot: QtBot) -> None:
    from riskscreen.ui.widgets import DateField

    field = DateField(SCREENING_DATE)
    qtbot.addWidget(field)
    editable = field.sizeHint().height()
    field.set_read_only(True)
    assert field.sizeHint().height() < editable
    field.set_read_only(False)
    assert field.sizeHint().height() == editable


@pytest.mark.parametrize("make", ["admin", "manager", "agreement", "practice"])
def test_other_windows_start_no_larger_than_the_screen(qtbot: QtBot, make: str) -> None:
    from riskscreen.ui.admin.views import AdminWindow
    from riskscreen.ui.agreement import AgreementWindow, PracticeWindow
    from riskscreen.ui.manager.controller import ManagerWindow

    kinds = {"admin": AdminWindow, "manager": ManagerWindow, "agreement": AgreementWindow,
             "practice": PracticeWindow}
    window = kinds[make]()
    qtbot.addWidget(window)
    available = window.screen().availableGeometry()
    assert available.width() < 1366  # the offscreen screen is smaller than a laptop's
    assert window.width() <= available.width()
    assert window.height() <= available.height()


@pytest.mark.parametrize("width", [1024, 910])  # 1024x768, and 1366x768 at 150 %
def test_the_audit_filters_fit_a_small_screen_whatever_the_log_holds(
        qtbot: QtBot, width: int) -> None:
    from riskscreen.ui.admin.views import AdminWindow

    window = AdminWindow()
    qtbot.addWidget(window)
    audit = window.audit
    # The longest names and actions a demo's log offers as filters, and longer.
    for shown in ("Demo administrator (admin)",
                  "Alexandra Practitioner-Whitfield (alexandra.whitfield)"):
        audit.user.addItem(shown, shown)
    for shown in ("Made a calibration report of a scoring model",
                  "Changed an answer of a practice screening",
                  "Recorded the return of a child from a missing episode"):
        audit.action.addItem(shown, shown)
    audit.result.setText("The audit log is intact: all 15613 entries link up and none was "
                         "changed (head 76fe943d7983).")
    window.tabs.setCurrentWidget(audit)
    assert window.minimumSizeHint().width() <= width


def test_a_page_not_shown_does_not_make_the_window_taller(qtbot: QtBot,
                                                          tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    from riskscreen.ui.main_window import MainWindow

    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    small, tall = QWidget(), QWidget()
    QVBoxLayout(small).addWidget(QLabel("A short page."))
    tall.setMinimumHeight(900)  # as the links between children asked at 150 % with data
    window.add_page(tall)
    window.show_page(small)
    window.show()
    qtbot.waitExposed(window)
    assert window.minimumSizeHint().height() < 512
    window.show_page(tall)
    assert window.minimumSizeHint().height() >= 900  # the shown page still gets its room


def test_a_childs_history_with_episodes_and_intelligence_fits_at_150_percent(
        qtbot: QtBot, window: MainWindow) -> None:
    from datetime import UTC, datetime

    from riskscreen.services.types import ChildRecord, ScreeningRow, Status
    from riskscreen.ui.history import HistoryView

    view = HistoryView()
    rows = [ScreeningRow(id=i, child_id=1, child_name="Robin Example",
                         date_of_birth=date(2011, 6, 14), practitioner="pat",
                         status=Status.FINAL, level="high", screening_date=date(2026, i, 3),
                         updated_at=datetime(2026, i, 3, tzinfo=UTC), amendment_of=None)
            for i in range(1, 6)]
    view.show_record(ChildRecord(ChildInfo(1, "Robin Example", date(2011, 6, 14), {}), rows),
                     dict(LEVELS), [lv for lv, _ in LEVELS])
    # The intelligence panel as a role that sees intelligence has it, with items listed.
    view.intel.setVisible(True)
    view.intel.table.setRowCount(3)
    view.intel.table.setVisible(True)
    view.intel.banner.setVisible(True)
    view.intel.empty.setVisible(False)
    view.episodes.table.setRowCount(4)
    show_at(window, view, SIZES["1366x768 at 150%"])
    # 768 physical pixels at 150 % are 512 logical ones: the page scrolls inside instead.
    assert window.minimumSizeHint().height() <= 512
    assert window.height() <= 512
    assert not view.scroll_area.horizontalScrollBar().isVisible()
    assert view.scroll_area.verticalScrollBar().isVisible() or (
        view.scroll_area.widget().height() <= view.scroll_area.viewport().height())
    viewport = view.scroll_area.viewport()
    for button in view.body.findChildren(QAbstractButton):
        if button.isVisible():
            assert rect_in(button, viewport).right() < viewport.width(), button.text()
    before = [rect_in(b, window) for b in (view.back_button, view.new_button,
                                           view.rescreen_button)]
    view.scroll_area.verticalScrollBar().setValue(view.scroll_area.verticalScrollBar().maximum())
    settle()
    assert [rect_in(b, window) for b in (view.back_button, view.new_button,
                                         view.rescreen_button)] == before


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_the_managers_window_fits_the_screen_on_every_tab(
        qtbot: QtBot, tmp_path: Path, size: tuple[int, int]) -> None:
    from riskscreen.ui.manager.controller import ManagerController
    from riskscreen.ui.manager.reports import attach_reports

    from .conftest import login, make_db

    session = login(make_db(tmp_path, count=300), "mary")
    manager = ManagerController(session)
    qtbot.addWidget(manager.window)
    manager.start()
    attach_reports(manager)
    try:
        window = manager.window
        window.resize(*size)
        window.show()
        manager.reports.build()  # type: ignore[attr-defined]
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            settle()
            name = window.tabs.tabText(index)
            assert window.minimumSizeHint().height() <= size[1], name
            assert window.minimumSizeHint().width() <= size[0], name
            assert window.height() <= size[1], name
            assert not window.scroll_area.horizontalScrollBar().isVisible(), name
            page = window.tabs.currentWidget()
            assert page.width() >= page.minimumSizeHint().width(), name
    finally:
        session.close()


def test_the_rule_dialog_starts_no_larger_than_the_screen(qtbot: QtBot,
                                                          form: FormDefinition) -> None:
    dialog = two_clause_rule_dialog(qtbot, form)
    available = dialog.screen().availableGeometry()
    assert available.width() < 900  # the offscreen screen is narrower than the dialog was
    assert dialog.width() <= available.width()
    assert dialog.height() <= available.height()
    assert dialog.minimumSizeHint().height() <= SIZES["1366x768 at 150%"][1]
