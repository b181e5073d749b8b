"""A child's history: their screenings over time, so the trajectory is visible."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from riskscreen.dates import show_date
from riskscreen.services.types import ChildRecord, Referral, ScreeningRow, Status
from riskscreen.ui.followup import EpisodePanel
from riskscreen.ui.home import STATUS_LABELS, LevelStyle
from riskscreen.ui.intel import ChildIntelPanel
from riskscreen.ui.widgets import UprightScroll, text_colour_for

__all__ = ["ChartGeometry", "HistoryView", "LevelChart"]


DOT_RADIUS = 6
#: Space between the level names and the plot.
LABEL_GAP = 10
#: The page width (logical pixels) from which the missing episodes and the intelligence sit
#: side by side; below it each takes the whole width, so their columns never squeeze.
SIDE_BY_SIDE_WIDTH = 1200


@dataclass(frozen=True)
class ChartGeometry:
    """The parts of a :class:`LevelChart`: plot area, level rows and names, dots, dates."""

    plot: QRectF
    y_of: dict[str, float]
    labels: dict[str, QRectF]
    dots: list[QRectF]
    dates: list[tuple[QRectF, str]]


class LevelChart(QWidget):
    """Levels of finalised screenings over time; each level's word labels its row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(110)
        self.setAccessibleName("Levels over time")
        self.levels: list[tuple[str, LevelStyle]] = []
        self.points: list[tuple[date, str]] = []

    def set_data(self, levels: list[tuple[str, LevelStyle]], points: list[tuple[date, str]]
                 ) -> None:
        """Levels lowest first, and (screening date, level id) of each finalised screening."""
        self.levels = levels
        self.points = sorted(points)
        description = "; ".join(
            f"{show_date(d)}: {dict(levels)[lv].name if lv in dict(levels) else lv}"
            for d, lv in self.points)
        self.setAccessibleDescription(description or "No finalised screening yet")
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """A short, wide chart: a line of text a level and the dates below, so that on a
        small or scaled screen the tables under it keep room for their rows."""
        line = self.fontMetrics().height()
        return QSize(600, max(self.minimumHeight(),
                              (line + 12) * max(2, len(self.levels)) + line + 14))

    def chart_geometry(self) -> ChartGeometry:
        """Where each part is drawn at the current size (painting and tests share it)."""
        metrics = self.fontMetrics()
        label_width = max((metrics.horizontalAdvance(s.name) for _, s in self.levels),
                          default=40)
        date_half = metrics.horizontalAdvance("00/00/00") / 2 + 4
        # The plot starts clear of the level names by more than a dot's radius, and ends far
        # enough from the edge for the last date to be written in full.
        left = max(label_width + LABEL_GAP + DOT_RADIUS, date_half)
        top = DOT_RADIUS + 4
        bottom_room = metrics.height() + 14
        plot = QRectF(left, top, max(10.0, self.width() - left - date_half - 4),
                      max(10.0, self.height() - top - bottom_room))
        rows = max(1, len(self.levels) - 1)
        y_of = {lv: plot.bottom() - i * plot.height() / rows
                for i, (lv, _) in enumerate(self.levels)}
        labels = {lv: QRectF(0, y_of[lv] - metrics.height() / 2, label_width,
                             metrics.height()) for lv, _ in self.levels}
        dots: list[QRectF] = []
        dates: list[tuple[QRectF, str]] = []
        if self.points:
            first, last = self.points[0][0], self.points[-1][0]
            span = max(1, (last - first).days)
            for d, lv in self.points:
                x = (plot.center().x() if len(self.points) == 1
                     else plot.left() + (d - first).days / span * plot.width())
                y = y_of.get(lv, plot.bottom())
                dots.append(QRectF(x - DOT_RADIUS, y - DOT_RADIUS, 2 * DOT_RADIUS,
                                   2 * DOT_RADIUS))
                text = d.strftime("%d/%m/%y")
                rect = QRectF(x - date_half, plot.bottom() + DOT_RADIUS + 4, 2 * date_half,
                              metrics.height())
                # Dates that would run into the one before are left out (each dot's date is
                # in the table below and in the accessible description).
                if not dates or rect.left() >= dates[-1][0].right():
                    dates.append((rect, text))
        return ChartGeometry(plot, y_of, labels, dots, dates)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        """Axis labels in words, a line through the levels, a dot per screening."""
        g = self.chart_geometry()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#999999"), 1, Qt.PenStyle.DotLine))
        for y in g.y_of.values():
            painter.drawLine(QPointF(g.plot.left() - DOT_RADIUS, y),
                             QPointF(g.plot.right() + DOT_RADIUS, y))
        painter.setPen(self.palette().windowText().color())
        for lv, style in self.levels:
            painter.drawText(g.labels[lv],
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                             style.name)
        if not self.points:
            painter.drawText(g.plot, int(Qt.AlignmentFlag.AlignCenter),
                             "No finalised screening yet")
            painter.end()
            return
        painter.setPen(QPen(QColor("#1f4e79"), 2))
        for a, b in itertools.pairwise(g.dots):
            painter.drawLine(a.center(), b.center())
        styles = dict(self.levels)
        for (_, lv), dot in zip(self.points, g.dots, strict=True):
            found = styles.get(lv)
            painter.setBrush(QColor(found.colour if found else "#777777"))
            painter.setPen(QPen(QColor("#222222"), 1))
            painter.drawEllipse(dot)
        painter.setPen(self.palette().windowText().color())
        for rect, text in g.dates:
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.end()


class HistoryView(QWidget):
    """The chart above a table of the child's screenings (oldest first)."""

    open_requested = Signal(int)
    back_requested = Signal()
    new_requested = Signal(int)
    rescreen_requested = Signal(int)
    chronology_requested = Signal(int)
    intel_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyView")
        self.child_id: int | None = None
        self.title = QLabel(self)
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        self.chart = LevelChart(self)
        self.table = QTableWidget(0, 6, self)
        self.table.setObjectName("historyTable")
        self.table.setAccessibleName("Screenings of this child")
        self.table.setHorizontalHeaderLabels(
            ["Screening date", "Status", "Level", "Referral", "Practitioner", "Amendment of"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.back_button = QPushButton("← Screenings", self)
        self.new_button = QPushButton("New screening for this child", self)
        self.new_button.setObjectName("newForChild")
        self.rescreen_button = QPushButton("Re-screen from the last answers", self)
        self.rescreen_button.setObjectName("rescreen")
        self.rescreen_button.setToolTip("A new screening that starts from the answers of the "
                                        "last finalised one; confirm or change each answer.")
        self.chronology_button = QPushButton("Chronology", self)
        self.chronology_button.setObjectName("chronology")
        self.intel_button = QPushButton("Add intelligence…", self)
        self.intel_button.setObjectName("historyIntel")
        self.intel_button.setToolTip("Record a person, place, vehicle or online account of "
                                     "concern linked to this child")
        #: The child's missing episodes (filled by the controller).
        self.episodes = EpisodePanel(self)
        #: The intelligence linked to the child (filled by the intelligence controller;
        #: hidden for roles that see none).
        self.intel = ChildIntelPanel(self)
        self.intel.setVisible(False)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self.title, 1)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.intel_button)
        actions.addWidget(self.chronology_button)
        actions.addWidget(self.rescreen_button)
        actions.addWidget(self.new_button)
        #: The chart and the tables, which scroll up and down when the window is too short
        #: for them (a small or scaled screen); the buttons above stay where they are.
        self.body = QWidget(self)
        self.body.setObjectName("historyBody")
        content = QVBoxLayout(self.body)
        content.setContentsMargins(0, 0, 0, 0)
        content.addWidget(self.chart)
        content.addWidget(self.table, 1)
        #: The episodes beside the intelligence where the page is wide enough for both
        #: tables' columns, one above the other where it is not (see :meth:`resizeEvent`).
        self.below = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.below.addWidget(self.episodes, 1)
        self.below.addWidget(self.intel, 1)
        content.addLayout(self.below, 1)
        self.scroll_area = UprightScroll(self.body, self, name="historyScroll")
        self.scroll_area.setAccessibleName("This child's screenings, missing episodes and "
                                      "intelligence")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(actions)
        layout.addWidget(self.scroll_area, 1)
        self.back_button.clicked.connect(self.back_requested)
        self.new_button.clicked.connect(self._on_new_button_clicked)
        self.rescreen_button.clicked.connect(self._on_rescreen_button_clicked)
        self.chronology_button.clicked.connect(self._on_chronology_button_clicked)
        self.intel_button.clicked.connect(self._on_intel_button_clicked)
        self.table.cellActivated.connect(self._on_table_cell_activated)
        self._rows: list[ScreeningRow] = []

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        """Side by side when wide, stacked when narrow (a small or scaled screen)."""
        super().resizeEvent(event)
        wide = event.size().width() >= SIDE_BY_SIDE_WIDTH
        self.below.setDirection(QBoxLayout.Direction.LeftToRight if wide
                                else QBoxLayout.Direction.TopToBottom)

    def show_record(self, record: ChildRecord, levels: dict[str, LevelStyle],
                    level_order: list[str],
                    referrals: Mapping[int, Referral] | None = None) -> None:
        """Show a child's record, with the referral of each screening (by screening id)."""
        today = date.today()
        self.child_id = record.child.id
        self._rows = list(record.screenings)
        self.title.setText(f"History: {record.child.name}")
        ordered = [(lv, levels[lv]) for lv in level_order if lv in levels]
        points = [(row.screening_date, row.level) for row in self._rows
                  if row.status == Status.FINAL and row.level]
        self.chart.set_data(ordered, points)
        self.table.setRowCount(len(self._rows))
        for r, row in enumerate(self._rows):
            level = levels.get(row.level) if row.level else None
            referral = (referrals or {}).get(row.id)
            late = referral.overdue(today) if referral is not None else None
            values = [show_date(row.screening_date),
                      STATUS_LABELS.get(row.status, row.status),
                      level.name if level else "Not yet finalised",
                      "" if referral is None else referral.status.words
                      + (" (overdue)" if late else ""),
                      row.practitioner, f"#{row.amendment_of}" if row.amendment_of else ""]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c == 2 and level is not None:
                    item.setBackground(QColor(level.colour))
                    item.setForeground(QColor(text_colour_for(level.colour)))
                if c == 3 and late:
                    item.setToolTip(late)
                    item.setForeground(QColor("#8a1c1c"))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        # Up to three rows in sight, even when the page scrolls on a short screen.
        shown = min(3, max(1, len(self._rows)))
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height()
                                    + sum(self.table.rowHeight(r) for r in range(shown))
                                    + 2 * self.table.frameWidth() + 2)

    def _on_rescreen_button_clicked(self) -> None:
        if self.child_id is not None:
            self.rescreen_requested.emit(self.child_id)

    def _on_chronology_button_clicked(self) -> None:
        if self.child_id is not None:
            self.chronology_requested.emit(self.child_id)

    def _on_intel_button_clicked(self) -> None:
        if self.child_id is not None:
            self.intel_requested.emit(self.child_id)

    def _on_new_button_clicked(self) -> None:
        if self.child_id is not None:
            self.new_requested.emit(self.child_id)

    def _on_table_cell_activated(self, row: int, column: int) -> None:
        if 0 <= row < len(self._rows):
            self.open_requested.emit(self._rows[row].id)
