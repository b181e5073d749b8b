"""The model editor's calibration panel: how the draft changes the figures against recorded
outcomes, in words and numbers. Layout only: the controller fills it."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGroupBox,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from riskscreen.services.evidence import CalibrationChange

__all__ = ["CalibrationPanel"]

LIMITS = ("Only referred children have outcomes (verification bias): these figures describe "
          "the model and do not validate it. No weight is ever proposed here.")


class _FittingScroll(QScrollArea):
    """A scroll area that asks for the room its contents need, and scrolls only when the
    window cannot give it."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name, overridden
        inner = self.widget()
        if inner is None:
            return super().sizeHint()
        hint = inner.sizeHint()
        width = max(self.viewport().width(), hint.width())
        return QSize(hint.width(), inner.heightForWidth(width)
                     if inner.hasHeightForWidth() else hint.height())


class CalibrationPanel(QGroupBox):
    """Beside the live matrix: the draft against the model in force on the children whose
    outcome is recorded (their first screening)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        # The title says the main limit, so it shows however small the window is.
        super().__init__("Against recorded outcomes (describes the model, does not validate "
                         "it)", parent)
        self.setToolTip(LIMITS)
        self.summary = QLabel("Loading the recorded outcomes…")
        self.summary.setObjectName("calibrationSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, 5)
        self.table.setAccessibleName("Sensitivity and specificity at each threshold: the "
                                     "model in force and this draft")
        self.table.setHorizontalHeaderLabels(["At or above", "Sensitivity", "with draft",
                                              "Specificity", "with draft"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in range(1, 5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.limits = QLabel(LIMITS)
        self.limits.setObjectName("calibrationLimits")
        self.limits.setWordWrap(True)
        self.limits.setStyleSheet("color: #555555;")
        # On a small screen the words scroll rather than being cut off.
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(self.limits)
        layout.addStretch(1)
        scroll = _FittingScroll()
        scroll.setObjectName("calibrationScroll")
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        QVBoxLayout(self).addWidget(scroll)
        self.table.setVisible(False)

    def needed_width(self) -> int:
        """The width at which its table shows every heading and figure in full (the words
        wrap to any width)."""
        from riskscreen.ui.manager.live import needed_width

        if not self.table.isVisibleTo(self):
            return 0
        margins = self.contentsMargins()
        scroll = self.findChild(QScrollArea, "calibrationScroll")
        bar = scroll.verticalScrollBar().sizeHint().width() if scroll is not None else 0
        return needed_width(self.table) + bar + margins.left() + margins.right() + 24

    def show_waiting(self, text: str) -> None:
        """Say why no figures are shown (loading, no outcomes yet, a draft with problems)."""
        self.summary.setText(text)
        self.table.setVisible(False)

    def show_change(self, change: CalibrationChange) -> None:
        """Show the draft's change in words, and the figures before and after."""
        text = change.words()
        if change.after.warning:
            text += " " + change.after.warning
        self.summary.setText(text)
        rows = change.rows()
        self.table.clearSpans()
        self.table.setRowCount(len(rows) + 1)
        for r, cells in enumerate(rows):
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if c in (2, 4) and value != cells[c - 1]:
                    item.setBackground(Qt.GlobalColor.yellow)
                    item.setForeground(Qt.GlobalColor.black)
                self.table.setItem(r, c, item)
        # The AUC of the points: one figure per model, across each pair of columns.
        last = len(rows)
        before, after = change.auc()
        for column, text_ in ((0, "AUC (95% interval)"), (1, before), (3, after)):
            item = QTableWidgetItem(text_)
            if column:
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setSpan(last, column, 1, 2)
            if column == 3 and after != before:
                item.setBackground(Qt.GlobalColor.yellow)
                item.setForeground(Qt.GlobalColor.black)
            self.table.setItem(last, column, item)
        # Exactly as tall as its rows, so the scroll area, not the table, gives way.
        height = (self.table.horizontalHeader().sizeHint().height()
                  + sum(self.table.rowHeight(r) for r in range(len(rows) + 1))
                  + 2 * self.table.frameWidth())
        self.table.setFixedHeight(height)
        self.table.setVisible(True)
