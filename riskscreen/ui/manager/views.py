"""The manager's views: model editor, impact analysis, try-out and history (layout only).

:class:`riskscreen.ui.manager.controller.ManagerController` fills them and reacts to their
signals; no view calls a service.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedLayout,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from riskscreen.ui.manager.calibration import CalibrationPanel
from riskscreen.ui.manager.charts import BarChart
from riskscreen.ui.manager.live import LiveImpactPanel

__all__ = ["ChangesModel", "HistoryView", "ImpactView", "ModelEditorView",
           "SideBySide", "TryOutView"]

_ROOT = QModelIndex()


class SideBySide(QWidget):
    """Two panels side by side when the window is wide enough for both to show in full, else
    as two tabs (a small screen, or a large scale factor), so neither is ever cut off.

    Each panel says the width it needs with ``needed_width()``."""

    def __init__(self, first: LiveImpactPanel, second: CalibrationPanel,
                 titles: tuple[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panels = (first, second)
        self.titles = titles
        #: The panels' own titles, shown when they are side by side.
        self.boxed = (first.title(), second.title())
        self.tabs = QTabWidget()
        self.tabs.setObjectName("belowTabs")
        self.row = QWidget()
        self._row = row = QHBoxLayout(self.row)
        row.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedLayout(self)
        self.stack.setContentsMargins(0, 0, 0, 0)
        self.stack.addWidget(self.row)
        self.stack.addWidget(self.tabs)
        self.side_by_side = True
        row.addWidget(first, 1)
        row.addWidget(second, 1)

    def needed(self) -> int:
        """The width both panels need side by side."""
        first, second = self.panels
        return (int(first.needed_width()) + int(second.needed_width())
                + max(self._row.spacing(), 0))

    def arrange(self) -> None:
        """Side by side or as tabs, whichever fits the width now."""
        wide = self.width() >= self.needed()
        if wide == self.side_by_side:
            return
        self.side_by_side = wide
        if wide:
            self.tabs.clear()
            for panel, title in zip(self.panels, self.boxed, strict=True):
                self._row.addWidget(panel, 1)
                panel.setTitle(title)
                panel.setVisible(True)
            self.stack.setCurrentWidget(self.row)
        else:
            for panel, title in zip(self.panels, self.titles, strict=True):
                panel.setTitle("")  # the tab says it
                self.tabs.addTab(panel, title)
                self.tabs.setTabToolTip(self.tabs.count() - 1, panel.toolTip())
            self.stack.setCurrentWidget(self.tabs)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name, overridden
        """Re-arrange for the new width."""
        super().resizeEvent(event)
        self.arrange()


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class ModelEditorView(QWidget):
    """A draft model: version, change note, weights, levels and thresholds, rules, problems."""

    new_draft_requested = Signal()
    import_requested = Signal()
    export_requested = Signal()
    publish_requested = Signal()
    add_rule_requested = Signal()
    edit_rule_requested = Signal(int)
    remove_rule_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base = QLabel("No draft open.")
        self.base.setWordWrap(True)
        self.version = QLineEdit()
        self.version.setAccessibleName("Draft version")
        self.version.setMaximumWidth(120)
        self.change_note = QPlainTextEdit()
        self.change_note.setAccessibleName("Change note")
        self.change_note.setPlaceholderText("Required: what changed and why.")
        self.change_note.setFixedHeight(54)
        self.new_button = QPushButton("New draft from the model in force")
        self.import_button = QPushButton("Import YAML…")
        self.export_button = QPushButton("Export YAML…")
        self.publish_button = QPushButton("Publish…")
        self.publish_button.setEnabled(False)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.import_button, self.export_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.publish_button)
        head = QFormLayout()
        head.addRow("Based on:", self.base)
        head.addRow("New version:", self.version)
        head.addRow("Change note:", self.change_note)

        self.weights = QTreeWidget()
        self.weights.setColumnCount(3)
        self.weights.setHeaderLabels(["Question and answer", "Answer id", "Points"])
        self.weights.setAccessibleName("Weights")
        self.weights.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.weights.header().setStretchLastSection(False)
        self.weights.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                     | QAbstractItemView.EditTrigger.EditKeyPressed
                                     | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.levels = _table(["Level id", "Name", "Colour", "Points from"])
        self.levels.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                    | QAbstractItemView.EditTrigger.EditKeyPressed
                                    | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.levels.setAccessibleName("Levels and thresholds")
        self.max_reduction = QSpinBox()
        self.max_reduction.setRange(0, 1000)
        self.max_reduction.setAccessibleName("Protective factors: largest reduction")
        levels_page = QWidget()
        lv = QVBoxLayout(levels_page)
        lv.addWidget(QLabel("Level names and the points at which each level starts (the "
                            "lowest level needs none). Double-click a cell to change it."))
        lv.addWidget(self.levels, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Protective factors can reduce the points by at most:"))
        row.addWidget(self.max_reduction)
        row.addStretch(1)
        lv.addLayout(row)

        self.rules = QListWidget()
        self.rules.setWordWrap(True)
        self.rules.setAccessibleName("Rules")
        self.rules.setSpacing(4)
        self.rules.setAlternatingRowColors(True)
        self.add_rule = QPushButton("Add rule…")
        self.edit_rule = QPushButton("Edit rule…")
        self.remove_rule = QPushButton("Remove rule")
        rules_page = QWidget()
        rv = QVBoxLayout(rules_page)
        rv.addWidget(QLabel("Rules set a minimum level whatever the points say."))
        rv.addWidget(self.rules, 1)
        rb = QHBoxLayout()
        for b in (self.add_rule, self.edit_rule, self.remove_rule):
            rb.addWidget(b)
        rb.addStretch(1)
        rv.addLayout(rb)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.weights, "Weights")
        self.tabs.addTab(levels_page, "Levels and thresholds")
        self.tabs.addTab(rules_page, "Rules")

        self.status = QLabel()
        self.status.setObjectName("validationStatus")
        self.status.setWordWrap(True)
        self.problems = QListWidget()
        self.problems.setAccessibleName("Validation problems")
        self.problems.setWordWrap(True)
        self.problems.setMaximumHeight(110)
        # Shown only while there are problems, so the weights keep the room on a small screen.
        self.problems.setVisible(False)
        self.live = LiveImpactPanel()
        self.calibration = CalibrationPanel()
        self.below = SideBySide(self.live, self.calibration,
                                ("What this draft changes", "Against recorded outcomes"))

        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addLayout(head)
        layout.addWidget(self.tabs, 3)
        layout.addWidget(self.status)
        layout.addWidget(self.problems)
        layout.addWidget(self.below, 1)

        self.new_button.clicked.connect(self.new_draft_requested)
        self.import_button.clicked.connect(self.import_requested)
        self.export_button.clicked.connect(self.export_requested)
        self.publish_button.clicked.connect(self.publish_requested)
        self.add_rule.clicked.connect(self.add_rule_requested)
        self.edit_rule.clicked.connect(self._on_edit_rule_clicked)
        self.rules.itemDoubleClicked.connect(self._on_edit_rule_clicked)
        self.remove_rule.clicked.connect(self._on_remove_rule_clicked)

    def _on_edit_rule_clicked(self) -> None:
        if self.rules.currentRow() >= 0:
            self.edit_rule_requested.emit(self.rules.currentRow())

    def _on_remove_rule_clicked(self) -> None:
        if self.rules.currentRow() >= 0:
            self.remove_rule_requested.emit(self.rules.currentRow())

    def show_problems(self, problems: list[str], details: list[str] | None = None) -> None:
        """Validation result: every problem in plain words (with ``riskscreen validate``'s
        line as its tooltip), or that the draft is valid."""
        self.problems.clear()
        self.problems.addItems(problems)
        self.problems.setVisible(bool(problems))
        for i, detail in enumerate(details or []):
            item = self.problems.item(i)
            if item is not None:
                item.setToolTip(detail)
        if problems:
            self.status.setText(f"✗ {len(problems)} problem(s): the draft cannot be "
                                "published until they are fixed.")
            self.status.setStyleSheet("color: #b3261e; font-weight: bold;")
        else:
            self.status.setText("✓ The draft is valid (the same checks as "
                                "'riskscreen validate').")
            self.status.setStyleSheet("color: #1b5e20; font-weight: bold;")
        self.publish_button.setEnabled(not problems)

    def show_untouched(self, message: str) -> None:
        """A draft nobody has changed yet: nothing is wrong, there is just nothing to publish."""
        self.problems.clear()
        self.status.setText(message)
        self.status.setStyleSheet("color: #1b5e20; font-weight: bold;"
                                  if message.startswith("✓") else "")
        self.publish_button.setEnabled(False)


class ChangesModel(QAbstractTableModel):
    """The screenings that would change, shown lazily (there may be thousands)."""

    HEADERS = ("Screening", "Published level", "Draft level", "Points before",
               "Points after")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, str, str, int, int]] = []

    def set_rows(self, rows: list[tuple[str, str, str, int, int]]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:  # noqa: N802 - Qt's name
        """Rows (none under an item)."""
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:  # noqa: N802 - Qt's name
        """Five columns."""
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Display text."""
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return str(self.rows[index.row()][index.column()])
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt's name
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


class ImpactView(QWidget):
    """Run the draft against stored screenings: matrix, chart, changed screenings."""

    run_requested = Signal()
    cancel_requested = Signal()
    change_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.use_dates = QCheckBox("Only screenings dated from")
        self.since = QDateEdit(QDate.currentDate().addYears(-1))
        self.until = QDateEdit(QDate.currentDate())
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("dd/MM/yyyy")
        self.run_button = QPushButton("Run impact analysis")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Impact progress")
        self.status = QLabel("Compares the draft with the model in force over every "
                             "finalised screening.")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.use_dates)
        top.addWidget(self.since)
        top.addWidget(QLabel("to"))
        top.addWidget(self.until)
        top.addStretch(1)
        top.addWidget(self.run_button)
        top.addWidget(self.cancel_button)

        self.matrix = _table([])
        self.matrix.setAccessibleName("Transition matrix")
        self.matrix.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.matrix.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chart = BarChart("Screenings per level: published model and draft")
        self.changes = QTableView()
        self.changes_model = ChangesModel(self.changes)
        self.changes.setModel(self.changes_model)
        self.changes.verticalHeader().setVisible(False)
        self.changes.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.changes.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.changes.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.changes.horizontalHeader().setStretchLastSection(True)
        self.changes.setAccessibleName("Screenings that would change")
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("Differing contributions")
        matrix_box = QGroupBox("Transition matrix (rows: published level, columns: draft)")
        QVBoxLayout(matrix_box).addWidget(self.matrix)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(matrix_box)
        upper.addWidget(self.chart)
        upper.setSizes([520, 480])
        changes_box = QGroupBox("Screenings whose level would change (select one)")
        QVBoxLayout(changes_box).addWidget(self.changes)
        detail_box = QGroupBox("What differs for the selected screening")
        QVBoxLayout(detail_box).addWidget(self.detail)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(changes_box)
        lower.addWidget(detail_box)
        lower.setSizes([520, 480])
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(upper)
        main.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(main, 1)
        self.run_button.clicked.connect(self.run_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.changes.selectionModel().currentRowChanged.connect(
            self._on_changes_current_row_changed)

    def _on_changes_current_row_changed(self, current: QModelIndex, *_: object) -> None:
        if current.isValid():
            self.change_selected.emit(current.row())

    def set_running(self, running: bool) -> None:
        """Buttons while the analysis runs."""
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)


class TryOutView(QWidget):
    """One screening scored by the published model and by the draft, side by side."""

    try_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.screening = QComboBox()
        self.screening.setAccessibleName("Screening to try")
        self.screening.setMinimumWidth(320)
        self.try_button = QPushButton("Score with both models")
        self.published = QTextBrowser()
        self.published.setAccessibleName("Published model result")
        self.draft = QTextBrowser()
        self.draft.setAccessibleName("Draft result")
        top = QHBoxLayout()
        top.addWidget(QLabel("Finalised screening:"))
        top.addWidget(self.screening)
        top.addWidget(self.try_button)
        top.addStretch(1)
        left = QGroupBox("Published model (in force)")
        QVBoxLayout(left).addWidget(self.published)
        right = QGroupBox("Draft")
        QVBoxLayout(right).addWidget(self.draft)
        panes = QSplitter(Qt.Orientation.Horizontal)
        panes.addWidget(left)
        panes.addWidget(right)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(panes, 1)
        self.try_button.clicked.connect(self._on_try_button_clicked)

    def _on_try_button_clicked(self) -> None:
        data = self.screening.currentData()
        if isinstance(data, int):
            self.try_requested.emit(data)


class HistoryView(QWidget):
    """Published versions, and what differs between any two as a table in plain words."""

    diff_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = _table(["Version", "Published", "By", "Change note", "Hash"])
        self.table.setAccessibleName("Published versions")
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.first = QComboBox()
        self.first.setAccessibleName("Compare from")
        self.second = QComboBox()
        self.second.setAccessibleName("Compare to")
        self.diff_button = QPushButton("Show differences")
        self.diff_button.setDefault(True)
        self.summary = QLabel("Choose two versions and press “Show differences”.")
        self.summary.setWordWrap(True)
        self.changes = _table(["What changed", "Before", "After"])
        self.changes.setAccessibleName("Differences")
        self.changes.setWordWrap(True)
        header = self.changes.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare"))
        row.addWidget(self.first)
        row.addWidget(QLabel("with"))
        row.addWidget(self.second)
        row.addWidget(self.diff_button)
        row.addStretch(1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        box = QWidget()
        bl = QVBoxLayout(box)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addLayout(row)
        bl.addWidget(self.summary)
        bl.addWidget(self.changes, 1)
        split.addWidget(box)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        self.diff_button.clicked.connect(self._on_diff_button_clicked)

    def show_changes(self, before: str, after: str, rows: list[tuple[str, str, str]]) -> None:
        """The weights, thresholds and rules that differ, one per row."""
        self.changes.setHorizontalHeaderLabels(["What changed", f"In {before}", f"In {after}"])
        self.changes.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(value or "—")
                item.setToolTip(value)
                self.changes.setItem(r, c, item)
        self.changes.resizeRowsToContents()
        count = len(rows)
        self.summary.setText(
            f"Versions {before} and {after} score every screening the same way."
            if not count else
            f"{count} difference{'s' if count != 1 else ''} between version {before} and "
            f"version {after}.")

    def _on_diff_button_clicked(self) -> None:
        a, b = self.first.currentData(), self.second.currentData()
        if isinstance(a, str) and isinstance(b, str):
            self.diff_requested.emit(a, b)
