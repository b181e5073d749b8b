"""The managers' reports tab: aggregates with a chart, and CSV/PDF export (anonymised)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QDate, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from riskscreen.instruments import DEFAULT_INSTRUMENT
from riskscreen.services import USER_ERRORS, Session
from riskscreen.services.reports import Report
from riskscreen.ui.manager.charts import BarChart
from riskscreen.ui.manager.views import _table
from riskscreen.ui.operations import ChangeOp, QueryOp
from riskscreen.ui.widgets import WrappingItemDelegate

__all__ = ["ReportsController", "ReportsView", "attach_reports"]


class ReportsView(QWidget):
    """Period, the list of tables, the selected table with its chart, export buttons."""

    build_requested = Signal()
    csv_requested = Signal()
    pdf_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.use_dates = QCheckBox("Only screenings dated from")
        self.since = QDateEdit(QDate.currentDate().addYears(-1))
        self.until = QDateEdit(QDate.currentDate())
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("dd/MM/yyyy")
        self.build_button = QPushButton("Build report")
        self.csv_button = QPushButton("Export CSV…")
        self.pdf_button = QPushButton("Export PDF…")
        top = QHBoxLayout()
        top.addWidget(self.use_dates)
        top.addWidget(self.since)
        top.addWidget(QLabel("to"))
        top.addWidget(self.until)
        top.addWidget(self.build_button)
        top.addStretch(1)
        top.addWidget(self.csv_button)
        top.addWidget(self.pdf_button)
        self.summary = QLabel("Anonymised aggregates of finalised screenings: counts under 5 "
                              "are shown as <5.")
        self.summary.setWordWrap(True)
        self.tables = QListWidget()
        self.tables.setAccessibleName("Report tables")
        self.tables.setMaximumWidth(240)
        WrappingItemDelegate.install(self.tables)
        self.table = _table(["Category", "Count"])
        self.table.setAccessibleName("Report table")
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.chart = BarChart()
        right = QSplitter(Qt.Orientation.Vertical)
        box = QWidget()
        bl = QVBoxLayout(box)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.note)
        bl.addWidget(self.table, 1)
        right.addWidget(box)
        # Long category names make the chart taller than its pane: it scrolls, never cuts.
        self.chart_scroll = QScrollArea()
        self.chart_scroll.setWidgetResizable(True)
        self.chart_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chart_scroll.setWidget(self.chart)
        self.chart_scroll.setAccessibleName("Chart of the report table")
        right.addWidget(self.chart_scroll)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tables)
        split.addWidget(right)
        split.setSizes([220, 1100])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        self.build_button.clicked.connect(self.build_requested)
        self.csv_button.clicked.connect(self.csv_requested)
        self.pdf_button.clicked.connect(self.pdf_requested)


class _ReportMaker(Protocol):
    """What the tab needs of a report service."""

    def build(self, since: date | None = None, until: date | None = None) -> Report: ...

    def export_csv(self, report: Report, path: Path) -> Path: ...

    def export_pdf(self, report: Report, path: Path) -> Path: ...


class _PathwayService:
    """The pathway report with the managers' report's calls (the PDF takes the settings)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def build(self, since: date | None = None, until: date | None = None) -> Report:
        return self.session.pathways.build(since, until)

    def export_csv(self, report: Report, path: Path) -> Path:
        return self.session.pathways.export_csv(report, path)

    def export_pdf(self, report: Report, path: Path) -> Path:
        return self.session.pathways.export_pdf(report, path, self.session.settings.read())


def _not_written(error: OSError) -> str:
    return f"The file could not be written: {error.strerror}"


class ReportsController(QObject):
    """Builds the report through the service and shows one table at a time (the screenings
    report, or with ``pathway`` the pathway report: what happened after the screenings)."""

    built = Signal(object)
    #: A file was exported (its path).
    exported = Signal(object)

    def __init__(self, session: Session, view: ReportsView, *, show: Callable[[str], None],
                 pathway: bool = False, instrument: str = DEFAULT_INSTRUMENT) -> None:
        super().__init__(view)
        #: Where a problem is said: the window's banner, never a modal box.
        self._warn = show
        self.service: _ReportMaker = (_PathwayService(session) if pathway
                                      else session.reports.for_instrument(instrument))
        self.file_name = ("cse-pathway-report" if pathway else f"{instrument}-report")
        self.view = view
        self.report: Report | None = None
        view.build_requested.connect(self.build_in_background)
        view.csv_requested.connect(self._on_view_csv_requested)
        view.pdf_requested.connect(self._on_view_pdf_requested)
        view.tables.currentRowChanged.connect(self._on_tables_current_row_changed)

    def _period(self) -> tuple[date | None, date | None]:
        if not self.view.use_dates.isChecked():
            return None, None
        return (date.fromisoformat(self.view.since.date().toString("yyyy-MM-dd")),
                date.fromisoformat(self.view.until.date().toString("yyyy-MM-dd")))

    def build(self) -> Report | None:
        """Aggregate now, on the calling thread (exports and tests)."""
        try:
            report = self.service.build(*self._period())
        except USER_ERRORS as error:
            self._warn(str(error))
            return None
        self.show(report)
        return report

    def build_in_background(self) -> None:
        """Aggregate off the GUI thread (large databases take seconds); show when done."""
        self.view.summary.setText("Counting…")
        service, period = self.service, self._period()
        QueryOp(lambda: service.build(*period), show=self.view.summary.setText,
                what="report").busy(self._set_busy) \
            .unexpected("The report could not be built. Please tell your administrator.") \
            .success(self._on_build_done).run_in_background()

    def _set_busy(self, busy: bool) -> None:
        """While a report is counted or written, no button starts another."""
        for button in (self.view.build_button, self.view.csv_button, self.view.pdf_button):
            button.setEnabled(not busy)

    def _on_build_done(self, report: Report) -> None:
        self.show(report)
        self.built.emit(report)

    def show(self, report: Report) -> None:
        """Show a built report."""
        self.report = report
        self.view.summary.setText(
            f"{report.total_label}: {report.total}. Anonymised aggregates: counts under 5 "
            "are shown as <5, in the window and in every export.")
        self.view.tables.clear()
        self.view.tables.addItems([t.title for t in report.tables])
        self.view.tables.setCurrentRow(0)

    def _on_tables_current_row_changed(self, row: int) -> None:
        if self.report is None or not 0 <= row < len(self.report.tables):
            return
        t = self.report.tables[row]
        self.view.note.setText(t.note)
        shown = t.shown()
        self.view.table.setRowCount(len(shown))
        for r, (label, n) in enumerate(shown):
            self.view.table.setItem(r, 0, QTableWidgetItem(label))
            item = QTableWidgetItem(n)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.view.table.setItem(r, 1, item)
        self.view.table.resizeRowsToContents()
        # Every row the table (and the CSV) has is charted. Suppressed counts are drawn as a
        # stub labelled "<5", never at their true height.
        heights = [0 if 0 < n < 5 else n for _, n in t.rows]
        self.view.chart.title = t.title
        self.view.chart.set_data([label for label, _ in t.rows], [("Count", heights)],
                                 [[n for _, n in shown]])

    def export(self, kind: str, path: Path) -> Path | None:
        """Write the CSV or PDF export (building the report first if needed)."""
        report = self.report or self.build()
        if report is None:
            return None
        try:
            if kind == "csv":
                return self.service.export_csv(report, path)
            return self.service.export_pdf(report, path)
        except USER_ERRORS as error:
            self._warn(str(error))
        except OSError as error:
            self._warn(_not_written(error))
        return None

    def export_in_background(self, kind: str, path: Path) -> None:
        """Write the CSV or PDF export off the GUI thread (building the report first if none
        is shown); :attr:`exported` says when the file is there."""
        service, shown, period = self.service, self.report, self._period()

        def work() -> tuple[Report, Path]:
            report = shown or service.build(*period)
            written = (service.export_csv(report, path) if kind == "csv"
                       else service.export_pdf(report, path))
            return report, written

        def done(result: tuple[Report, Path]) -> None:
            report, written = result
            if self.report is None:
                self.show(report)
            self.exported.emit(written)

        def failed(error: BaseException) -> bool:
            if isinstance(error, OSError) and not isinstance(error, USER_ERRORS):
                self._warn(_not_written(error))
                return True
            return False

        ChangeOp(work, show=self._warn, what="report export").busy(self._set_busy) \
            .failure(failed).success(done).run_in_background()

    def _ask(self, kind: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.view, "Export the report", f"{self.file_name}.{kind}",
            "CSV files (*.csv)" if kind == "csv" else "PDF files (*.pdf)")
        if path:
            self.export_in_background(kind, Path(path))

    def _on_view_csv_requested(self) -> None:
        self._ask("csv")

    def _on_view_pdf_requested(self) -> None:
        self._ask("pdf")


def attach_reports(controller: Any) -> ReportsController:
    """Add the reports tab, and the pathway report's, to a manager's window."""
    view = ReportsView()
    show = controller.window.show_message
    reports = ReportsController(controller.session, view, show=show,
                                instrument=controller.service.form_id)
    controller.window.tabs.addTab(view, "Reports")
    controller.reports = reports
    pathway_view = ReportsView()
    pathway_view.use_dates.setText("Only referrals of screenings dated from")
    pathway_view.summary.setText("What happened after the screenings: referrals, decisions "
                                 "against their deadlines, reviews, Return Home Interviews, "
                                 "re-screening levels and outcomes. Counts under 5 are shown "
                                 "as <5.")
    controller.pathway_reports = ReportsController(controller.session, pathway_view,
                                                   show=show, pathway=True)
    controller.window.tabs.addTab(pathway_view, "Pathway report")
    return reports
