"""The model editor's live impact: what the draft changes, kept up to date as it is edited."""

from __future__ import annotations

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

from riskscreen.services.models import LiveResult

__all__ = ["LiveImpactPanel"]


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
        self.matrix.setMaximumHeight(130)  # a small matrix: the weights keep the room
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.matrix)

    def show_waiting(self, text: str) -> None:
        """Say why no figures are shown yet (loading, or the draft has problems)."""
        self.summary.setText(text)

    def show_result(self, result: LiveResult) -> None:
        """Show the matrix and the counts of one live update."""
        names = [result.level_names.get(lv, lv) for lv in result.levels]
        m = self.matrix
        m.setColumnCount(len(names))
        m.setRowCount(len(names))
        m.setHorizontalHeaderLabels(names)
        m.setVerticalHeaderLabels(names)
        for r, old in enumerate(result.levels):
            for c, new in enumerate(result.levels):
                n = result.matrix.get(old, {}).get(new, 0)
                item = QTableWidgetItem(str(n))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if r != c and n:
                    item.setBackground(Qt.GlobalColor.yellow)
                    item.setForeground(Qt.GlobalColor.black)
                m.setItem(r, c, item)
        skipped = (f" ({result.skipped:,} of another form version left out)"
                   if result.skipped else "")
        self.summary.setText(
            f"Over all {result.total:,} finalised screenings{skipped}: "
            f"{result.level_changed:,} would change level and {result.score_changed:,} "
            "would change points. Rows: the model in force; columns: this draft.")
