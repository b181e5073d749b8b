"""The model editor's live impact: what the draft changes, kept up to date as it is edited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from riskscreen.dates import show_clock, show_moment
from riskscreen.services.models import LiveResult

__all__ = ["LiveImpactPanel", "fill_transition_matrix", "needed_width", "two_lines"]


class LiveImpactPanel(QGroupBox):
    """The level-to-level matrix of the draft against the model in force over every
    finalised screening, and how many would change. Layout only: the controller fills it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("What this draft changes", parent)
        self.summary = QLabel("Loading the finalised screenings…")
        self.summary.setObjectName("liveImpactSummary")
        self.summary.setWordWrap(True)
        self.matrix = QTableWidget()
        self.matrix.setAccessibleName("Live transition matrix: rows the model in force, "
                                      "columns the draft")
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.matrix.verticalHeader().setDefaultSectionSize(22)
        self.matrix.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.matrix.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.matrix.setMaximumHeight(130)  # a small matrix: the weights keep the room
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.matrix)

    def needed_width(self) -> int:
        """The width at which the matrix shows every level name in full."""
        margins = self.contentsMargins()
        layout = self.layout()
        inner = layout.contentsMargins() if layout is not None else margins
        return (needed_width(self.matrix) + margins.left() + margins.right()
                + inner.left() + inner.right())

    def show_waiting(self, text: str) -> None:
        """Say why no figures are shown yet (loading, or the draft has problems)."""
        self.summary.setText(text)

    def show_result(self, result: LiveResult, checked_at: datetime | None = None, *,
                    stale: bool = False) -> None:
        """Show the matrix and the counts of one live update: over how many finalised
        screenings, read when, and when they were last found to be all of them (``stale``:
        the last attempt to find out failed)."""
        fill_transition_matrix(self.matrix, result.levels, result.level_names, result.matrix)
        # Level names over two lines, so the columns stay narrow beside the calibration.
        self.matrix.setHorizontalHeaderLabels(
            [two_lines(result.level_names.get(lv, lv)) for lv in result.levels])
        header = self.matrix.horizontalHeader()
        self.matrix.setFixedHeight(header.sizeHint().height() + 2 * self.matrix.frameWidth()
                                   + sum(self.matrix.rowHeight(r)
                                         for r in range(self.matrix.rowCount())))
        self.updateGeometry()
        skipped = (f" ({result.skipped:,} of another form version left out)"
                   if result.skipped else "")
        if result.as_of is None:
            when = ""
        elif stale:
            when = (f" as of {show_moment(result.as_of)} (RiskScreen could not check for "
                    "any finalised since)")
        elif checked_at is not None and checked_at > result.as_of:
            when = (f" as of {show_moment(result.as_of)}, none finalised since (checked at "
                    f"{show_clock(checked_at)})")
        else:
            when = f" as of {show_moment(result.as_of)}"
        self.summary.setText(
            f"Over all {result.total:,} finalised screenings{when}{skipped}: "
            f"{result.level_changed:,} would change level and {result.score_changed:,} "
            "would change points. Rows: the model in force; columns: this draft.")


def two_lines(name: str) -> str:
    """A name of several words over two lines, broken at the space nearest its middle."""
    spaces = [i for i, ch in enumerate(name) if ch == " "]
    if not spaces:
        return name
    cut = min(spaces, key=lambda i: abs(len(name) / 2 - i))
    return name[:cut] + "\n" + name[cut + 1:]


def needed_width(table: QTableWidget) -> int:
    """The width at which every header and cell of ``table`` shows in full."""
    header = table.horizontalHeader()
    widths = [max(header.sectionSizeFromContents(c).width(), table.sizeHintForColumn(c))
              for c in range(table.columnCount())]
    # Stretched columns share the room equally: each needs the widest one's width.
    stretched = [c for c in range(len(widths))
                 if header.sectionResizeMode(c) == QHeaderView.ResizeMode.Stretch]
    widest = max((widths[c] for c in stretched), default=0)
    columns = sum(widest if c in stretched else w for c, w in enumerate(widths))
    side = table.verticalHeader()
    # Whether it shows as part of the table, not on screen now: in a tab not shown, the
    # header is not visible either, and the width needed would drop by its width.
    return (columns + (side.sizeHint().width() if side.isVisibleTo(table) else 0)
            + 2 * table.frameWidth())


def fill_transition_matrix(table: QTableWidget, levels: Sequence[str],
                           level_names: Mapping[str, str],
                           matrix: Mapping[str, Mapping[str, int]]) -> None:
    """Rows: the model in force; columns: the draft; cells that move a screening highlighted."""
    names = [level_names.get(lv, lv) for lv in levels]
    table.setColumnCount(len(names))
    table.setRowCount(len(names))
    table.setHorizontalHeaderLabels(names)
    table.setVerticalHeaderLabels(names)
    for r, old in enumerate(levels):
        for c, new in enumerate(levels):
            n = matrix.get(old, {}).get(new, 0)
            item = QTableWidgetItem(str(n))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            if r != c and n:
                item.setBackground(Qt.GlobalColor.yellow)
                item.setForeground(Qt.GlobalColor.black)
            table.setItem(r, c, item)
