"""After the screening, in the GUI: what is due, the missing-episode log, carried-over answers
to confirm, the reason for a step down, and the child's chronology.

Widgets only: the controller gives them data from ``session.reviews``, ``session.episodes``
and ``session.chronology`` and runs the changes they ask for (through
:mod:`riskscreen.ui.operations`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QDateTime, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from riskscreen.dates import show_date, show_moment
from riskscreen.forms.kinds import ANSWER_LABELS
from riskscreen.forms.model import FormDefinition
from riskscreen.services.types import (
    CHRONOLOGY_WORDS,
    RHI_WITHIN,
    ChronologyEntry,
    ChronologyKind,
    DueItem,
    EpisodeInfo,
    RescreenInfo,
    RhiStatus,
)
from riskscreen.ui.tables import RecordsModel, read_only_table

__all__ = ["CarriedPanel", "ChronologyView", "DuePanel", "EpisodeDialog", "EpisodePanel",
           "ReturnDialog", "RhiDialog", "StepDownDialog", "answer_words"]

OVERDUE = QColor("#8a1c1c")


def _table(parent: QWidget, headers: list[str], name: str) -> QTableWidget:
    """A read-only table whose columns fit the width (no sideways scrolling): the last
    column stretches and wraps."""
    table = read_only_table(_WrappingTable(0, len(headers), parent), name, wrap=True)
    table.setHorizontalHeaderLabels(headers)
    header = table.horizontalHeader()
    for c in range(len(headers) - 1):
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    return table


class _WrappingTable(QTableWidget):
    """A table whose rows keep the height their wrapped text needs at the current width."""

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self.resizeRowsToContents)


def _fill(table: QTableWidget, rows: list[list[str]]) -> list[list[QTableWidgetItem]]:
    table.setRowCount(len(rows))
    items = []
    for r, values in enumerate(rows):
        line = []
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            table.setItem(r, c, item)
            line.append(item)
        items.append(line)
    table.resizeRowsToContents()
    QTimer.singleShot(0, table, table.resizeRowsToContents)  # again once laid out at its width
    return items


def _when(value: datetime | None) -> str:
    return "" if value is None else show_moment(value)


def _now_edit(parent: QWidget, name: str, accessible: str) -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime.currentDateTime(), parent)
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setDisplayFormat("dd/MM/yyyy HH:mm")
    edit.setCalendarPopup(True)
    edit.setMaximumDateTime(QDateTime.currentDateTime().addSecs(600))
    return edit


def _value(edit: QDateTimeEdit) -> datetime:
    moment = edit.dateTime().toPython()
    assert isinstance(moment, datetime)
    return moment.replace(second=0, microsecond=0)


def answer_words(form: FormDefinition, question_id: str, value: Any,
                 limit: int | None = 80) -> str:
    """An answer as the screen shows it (option labels, "Not known", numbers), each part cut
    to ``limit`` characters (None: in full, for text someone typed)."""
    if value is None:
        return "no answer"
    question = form.question_index().get(question_id)
    labels = {o.id: o.label for o in (question.options or [])} if question else {}

    def one(v: Any) -> str:
        text = labels.get(str(v)) or ANSWER_LABELS.get(str(v)) or str(v)
        return text if limit is None or len(text) <= limit else text[:limit - 3] + "…"

    if isinstance(value, list):
        return ", ".join(one(v) for v in value) or "none"
    return one(value)


# -- home ------------------------------------------------------------------------------------


class _DueModel(RecordsModel[DueItem]):
    """What is due, one child a row: words made when a cell is drawn, so a county's list
    holds only its records (no table item per cell)."""

    COLUMNS = ("Child", "Due by", "When", "Why")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = date.today()
        self.bold = QFont()
        self.bold.setBold(True)

    def cell(self, row: DueItem, column: int, role: int) -> Any:
        """A cell's words (and tooltip); "Due by" and "When" in bold dark red when overdue."""
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (row.child_name, show_date(row.due), row.words(self.today),
                    row.reason)[column]
        if column in (1, 2) and row.overdue(self.today):
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(OVERDUE)
            if role == Qt.ItemDataRole.FontRole:
                return self.bold
        return None


class _WrappingView(QTableView):
    """A table whose rows keep the height their wrapped text needs at the current width,
    while there are few enough rows to measure (a county's list keeps one line a row)."""

    MEASURED_ROWS = 1000

    def fit_rows(self) -> None:
        """Give each row the height its wrapped text needs, when there are few enough."""
        model = self.model()
        if model is not None and model.rowCount() <= self.MEASURED_ROWS:
            self.resizeRowsToContents()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self.fit_rows)


class DuePanel(QWidget):
    """"Due for review" on the home screen: each child's next screening, overdue first, said
    in words as well as in colour."""

    child_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duePanel")
        self.title = QLabel("Due for review", self)
        self.title.setObjectName("sectionTitle")
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        self.summary = QLabel(self)
        self.summary.setObjectName("dueSummary")
        self.summary.setWordWrap(True)
        self.model = _DueModel(self)
        self.table = read_only_table(_WrappingView(self), "dueTable", wrap=True)
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        for c in range(len(_DueModel.COLUMNS) - 1):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(_DueModel.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("Screenings due for review")
        self.table.setMaximumHeight(170)
        self.items: list[DueItem] = []
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.table)
        self.table.activated.connect(self._on_table_activated)

    def set_items(self, items: Iterable[DueItem], today: date) -> None:
        """Show what is due (overdue first, as the service orders it)."""
        self.items = list(items)
        overdue = sum(1 for i in self.items if i.overdue(today))
        self.summary.setText("Nothing is due." if not self.items else
                             f"{len(self.items)} due, {overdue} overdue. Double-click a child "
                             "to open their record.")
        self.model.today = today
        self.model.set_rows(self.items)
        self.table.fit_rows()
        QTimer.singleShot(0, self.table, self.table.fit_rows)  # again once laid out at its width
        self.table.setVisible(bool(self.items))

    def _on_table_activated(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self.items):
            self.child_requested.emit(self.items[index.row()].child_id)


# -- the child's page ------------------------------------------------------------------------


class EpisodePanel(QWidget):
    """The child's missing episodes with their Return Home Interviews, and the actions."""

    add_requested = Signal()
    return_requested = Signal(int)
    rhi_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("episodePanel")
        title = QLabel("Missing episodes", self)
        font = QFont(title.font())
        font.setBold(True)
        title.setFont(font)
        self.table = _table(self, ["Reported missing", "Returned", "Reported by",
                                   "Return Home Interview"], "episodeTable")
        self.table.setAccessibleName("Missing episodes of this child")
        # The moment keeps its width; the three columns of words share the rest and wrap.
        header = self.table.horizontalHeader()
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton("Record a missing episode…", self)
        self.add_button.setObjectName("addEpisode")
        self.return_button = QPushButton("Record the return…", self)
        self.return_button.setObjectName("recordReturn")
        self.rhi_button = QPushButton("Record the interview…", self)
        self.rhi_button.setObjectName("recordRhi")
        self.episodes: list[EpisodeInfo] = []
        buttons = QHBoxLayout()
        buttons.addWidget(title)
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.return_button)
        buttons.addWidget(self.rhi_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.add_button.clicked.connect(self.add_requested)
        self.return_button.clicked.connect(self._on_return_button_clicked)
        self.rhi_button.clicked.connect(self._on_rhi_button_clicked)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()

    def set_episodes(self, episodes: Iterable[EpisodeInfo], now: datetime) -> None:
        """Show the log, newest first; an interview past its deadline says so."""
        self.episodes = sorted(episodes, key=lambda e: e.missing_from, reverse=True)
        rows = []
        for e in self.episodes:
            back = _when(e.returned_at) or "Not returned yet"
            if e.where_found:
                back += f"\nFound: {e.where_found}"
            rhi = e.rhi_words()
            if e.rhi_overdue(now):
                rhi = f"Overdue: it was due by {_when(e.rhi_deadline)}"
            rows.append([_when(e.missing_from), back, e.reported_by, rhi])
        for e, line in zip(self.episodes, _fill(self.table, rows), strict=True):
            if e.rhi_overdue(now):
                line[3].setForeground(OVERDUE)
        self._update_buttons()

    def selected(self) -> EpisodeInfo | None:
        """The episode selected in the table."""
        row = self.table.currentRow()
        return self.episodes[row] if 0 <= row < len(self.episodes) else None

    def _update_buttons(self) -> None:
        chosen = self.selected()
        self.return_button.setEnabled(chosen is not None)
        self.rhi_button.setEnabled(chosen is not None and chosen.returned_at is not None)

    def _on_return_button_clicked(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.return_requested.emit(chosen.id)

    def _on_rhi_button_clicked(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.rhi_requested.emit(chosen.id)


class _Dialog(QDialog):
    """A small form with an error line that keeps the dialog open until the service agrees."""

    def __init__(self, title: str, ok: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.error = QLabel(self)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        # Room to spare goes below the fields, never above or between them.
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

    def fit(self, width: int) -> None:
        """Open ``width`` wide and as tall as the fields need at that width, no taller."""
        layout = self.layout()
        height = layout.totalHeightForWidth(width) if layout is not None else -1
        self.resize(width, height if height > 0 else self.sizeHint().height())

    def show_error(self, text: str) -> None:
        """Say what is wrong; the dialog stays open."""
        self.error.setText(text)
        self.error.setVisible(True)

    def _on_buttons_accepted(self) -> None:
        self.error.setVisible(False)
        self.submit()

    def submit(self) -> None:
        """Send the values (the subclass's signal)."""
        raise NotImplementedError


class EpisodeDialog(_Dialog):
    """Record that a child was reported missing (and, if known, their return)."""

    submitted = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Record a missing episode", "Record", parent)
        self.missing_from = _now_edit(self, "missingFrom", "When the child was reported missing")
        self.returned_box = QCheckBox("The child has returned or been found", self)
        self.returned_box.setObjectName("hasReturned")
        self.returned = _now_edit(self, "returnedAt", "When the child returned")
        self.returned.setEnabled(False)
        self.where_found = QLineEdit(self)
        self.where_found.setObjectName("whereFound")
        self.where_found.setMaxLength(500)
        self.reported_by = QLineEdit(self)
        self.reported_by.setObjectName("reportedBy")
        self.reported_by.setMaxLength(200)
        self.reported_by.setPlaceholderText("For example: foster carer")
        self.form.addRow("Reported missing at", self.missing_from)
        self.form.addRow("Reported by", self.reported_by)
        self.form.addRow(self.returned_box)
        self.form.addRow("Returned at", self.returned)
        self.form.addRow("Where found", self.where_found)
        self.returned_box.toggled.connect(self.returned.setEnabled)
        self.fit(460)

    def submit(self) -> None:
        self.submitted.emit({
            "missing_from": _value(self.missing_from),
            "returned_at": _value(self.returned) if self.returned_box.isChecked() else None,
            "where_found": self.where_found.text(), "reported_by": self.reported_by.text()})


class ReturnDialog(_Dialog):
    """Record when (and where) a missing child returned."""

    submitted = Signal(object)

    def __init__(self, episode: EpisodeInfo, parent: QWidget | None = None) -> None:
        super().__init__("Record the return", "Record", parent)
        intro = QLabel(f"Reported missing at {_when(episode.missing_from)}. A Return Home "
                       f"Interview should be offered within "
                       f"{int(RHI_WITHIN.total_seconds() // 3600)} hours of the return.", self)
        intro.setWordWrap(True)
        self.returned = _now_edit(self, "returnedAt", "When the child returned")
        if episode.returned_at is not None:
            self.returned.setDateTime(
                QDateTime.fromSecsSinceEpoch(int(episode.returned_at.timestamp())))
        self.where_found = QLineEdit(episode.where_found, self)
        self.where_found.setObjectName("whereFound")
        self.where_found.setMaxLength(500)
        self.form.addRow(intro)
        self.form.addRow("Returned at", self.returned)
        self.form.addRow("Where found", self.where_found)
        self.fit(440)

    def submit(self) -> None:
        self.submitted.emit({"returned_at": _value(self.returned),
                             "where_found": self.where_found.text()})


class RhiDialog(_Dialog):
    """Record the Return Home Interview: done, declined, or not done with the reason."""

    submitted = Signal(object)

    def __init__(self, episode: EpisodeInfo, parent: QWidget | None = None) -> None:
        super().__init__("Record the Return Home Interview", "Record", parent)
        deadline = QLabel(f"To be offered by {_when(episode.rhi_deadline)} (72 hours after "
                          "the return).", self)
        deadline.setObjectName("rhiDeadline")
        deadline.setWordWrap(True)
        self.done_choice = QRadioButton("It took place", self)
        self.declined_choice = QRadioButton("It was offered; the child did not want one", self)
        self.not_done_choice = QRadioButton("It did not take place", self)
        self.group = QButtonGroup(self)
        for i, button in enumerate((self.done_choice, self.declined_choice, self.not_done_choice)):
            self.group.addButton(button, i)
        self.done_choice.setChecked(True)
        self.at = _now_edit(self, "rhiAt", "When it took place or was declined")
        self.reason = QPlainTextEdit(self)
        self.reason.setObjectName("rhiReason")
        self.reason.setAccessibleName("Why it did not take place, and what is planned instead")
        self.reason.setTabChangesFocus(True)
        self.reason.setEnabled(False)
        self.reason.setFixedHeight(70)
        choices = QVBoxLayout()
        for button in (self.done_choice, self.declined_choice, self.not_done_choice):
            choices.addWidget(button)
        self.form.addRow(deadline)
        self.form.addRow("Interview", choices)
        self.form.addRow("When", self.at)
        self.form.addRow("Why not, and what instead", self.reason)
        self.not_done_choice.toggled.connect(self._on_not_done_toggled)
        self.fit(480)

    def _on_not_done_toggled(self, on: bool) -> None:
        self.reason.setEnabled(on)
        self.at.setEnabled(not on)

    def submit(self) -> None:
        status = (RhiStatus.DONE, RhiStatus.DECLINED, RhiStatus.NOT_DONE)[self.group.checkedId()]
        self.submitted.emit({"status": status,
                             "at": None if status == RhiStatus.NOT_DONE else _value(self.at),
                             "note": self.reason.toPlainText()})


# -- re-screens ------------------------------------------------------------------------------


class CarriedPanel(QFrame):
    """The answers a re-screen carried over from the last screening: each is ticked to
    confirm it (or changed in the questionnaire, which confirms it); what changed since last
    time is marked."""

    confirm_requested = Signal(list)
    question_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("carriedPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("carriedList")
        self.list.setAccessibleName("Answers carried over from the last screening")
        self.list.setMaximumHeight(96)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.confirm_button = QPushButton("Confirm the ticked answers", self)
        self.confirm_button.setObjectName("confirmCarried")
        self.tick_all = QPushButton("Tick all", self)
        self.tick_all.setObjectName("tickAllCarried")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.tick_all)
        buttons.addWidget(self.confirm_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.intro)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.confirm_button.clicked.connect(self._on_confirm_button_clicked)
        self.tick_all.clicked.connect(self._on_tick_all_clicked)
        self.list.itemActivated.connect(self._on_list_item_activated)
        self.setVisible(False)

    def set_info(self, info: RescreenInfo | None, form: FormDefinition,
                 editable: bool) -> None:
        """Show the answers still to confirm (hidden when there are none)."""
        self.list.clear()
        waiting = [c for c in (info.carried if info else []) if not c.confirmed]
        if info is None or not waiting:
            self.setVisible(False)
            return
        when = show_date(info.previous_date) if info.previous_date else "last time"
        changed = sum(1 for c in info.carried if c.changed)
        self.intro.setText(
            f"{len(waiting)} answer{'s' if len(waiting) != 1 else ''} carried over from the "
            f"screening of {when} still to confirm ({changed} changed since last time). Tick "
            "each one that is still right and confirm, or change it in the questions; "
            "double-click one to go to it.")
        questions = form.question_index()
        for c in waiting:
            text = questions[c.question_id].text if c.question_id in questions else c.question_id
            line = f"{text} — {answer_words(form, c.question_id, c.current)}"
            if c.changed:
                line = (f"CHANGED since last time: {line} (last time: "
                        f"{answer_words(form, c.question_id, c.previous)})")
            item = QListWidgetItem(line, self.list)
            item.setData(Qt.ItemDataRole.UserRole, c.question_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            if c.changed:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
        self.confirm_button.setEnabled(editable)
        self.tick_all.setEnabled(editable)
        self.setVisible(True)

    def holds(self, question_id: str) -> bool:
        """Whether that question's carried answer is listed as still to confirm."""
        return any(self.list.item(i).data(Qt.ItemDataRole.UserRole) == question_id
                   for i in range(self.list.count()))

    def ticked(self) -> list[str]:
        """Questions ticked for confirmation."""
        return [str(self.list.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def _on_tick_all_clicked(self) -> None:
        for i in range(self.list.count()):
            self.list.item(i).setCheckState(Qt.CheckState.Checked)

    def _on_confirm_button_clicked(self) -> None:
        ticked = self.ticked()
        if ticked:
            self.confirm_requested.emit(ticked)

    def _on_list_item_activated(self, item: QListWidgetItem) -> None:
        self.question_requested.emit(str(item.data(Qt.ItemDataRole.UserRole)))


class StepDownDialog(_Dialog):
    """Asks why the child's level is lower than at the last screening."""

    submitted = Signal(str)

    def __init__(self, message: str, parent: QWidget | None = None) -> None:
        super().__init__("A lower level than last time", "Finalise", parent)
        intro = QLabel(message, self)
        intro.setWordWrap(True)
        self.reason = QPlainTextEdit(self)
        self.reason.setObjectName("stepDownReason")
        self.reason.setAccessibleName("Why the level is lower than last time")
        self.reason.setPlaceholderText("For example: she has been settled in her placement "
                                       "for two months and attends school every day.")
        self.reason.setTabChangesFocus(True)
        self.form.addRow(intro)
        self.form.addRow(self.reason)
        self.resize(480, 260)
        self.reason.setFocus()

    def submit(self) -> None:
        self.submitted.emit(self.reason.toPlainText())


# -- chronology ------------------------------------------------------------------------------


class ChronologyView(QWidget):
    """The child's timeline, filtered by kind, with Save as PDF."""

    back_requested = Signal()
    filter_changed = Signal()
    save_requested = Signal()
    open_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chronologyView")
        self.child_id: int | None = None
        self.back_button = QPushButton("← Child's history", self)
        self.title = QLabel(self)
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        self.save_button = QPushButton("Save as PDF…", self)
        self.save_button.setObjectName("saveChronology")
        self.boxes: dict[ChronologyKind, QCheckBox] = {}
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Show:", self))
        for kind in ChronologyKind:
            box = QCheckBox(CHRONOLOGY_WORDS[kind], self)
            box.setObjectName(f"show_{kind.value}")
            box.setChecked(True)
            box.toggled.connect(self.filter_changed)
            self.boxes[kind] = box
            filters.addWidget(box)
        filters.addStretch(1)
        self.count = QLabel(self)
        self.table = _table(self, ["Date and time", "What", "Details"], "chronologyTable")
        self.table.setAccessibleName("The child's chronology, oldest first")
        self.entries: list[ChronologyEntry] = []
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self.title, 1)
        top.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        self.back_button.clicked.connect(self.back_requested)
        self.save_button.clicked.connect(self.save_requested)
        self.table.cellActivated.connect(self._on_table_cell_activated)

    def kinds(self) -> set[ChronologyKind]:
        """The kinds ticked."""
        return {k for k, box in self.boxes.items() if box.isChecked()}

    def show_entries(self, child_id: int, name: str, entries: Iterable[ChronologyEntry]) -> None:
        """Show the entries (already filtered by the service)."""
        self.child_id = child_id
        self.title.setText(f"Chronology: {name}")
        self.entries = list(entries)
        rows = [[show_date(e.when) if (e.when.hour, e.when.minute) == (0, 0)
                 else show_moment(e.when), CHRONOLOGY_WORDS[e.kind],
                 f"{e.title}\n{e.detail}".strip()] for e in self.entries]
        _fill(self.table, rows)
        self.count.setText(f"{len(self.entries)} entr{'y' if len(self.entries) == 1 else 'ies'}"
                           ", oldest first.")

    def _on_table_cell_activated(self, row: int, column: int) -> None:
        if 0 <= row < len(self.entries) and self.entries[row].ref.startswith("screening:"):
            self.open_requested.emit(self.entries[row].ref)

