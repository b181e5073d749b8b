"""Intelligence pages: the list of items, one item, the links between children, the problem
profile, and the dialogs that record, link, grade, submit, keep or delete an item.

Layout only; :class:`riskscreen.ui.intel_controller.IntelController` calls ``session.intel``,
which decides who sees what, enforces handling restrictions, audits every view of a person of
concern and suppresses small counts in exports. Every page carries the "intelligence, not
evidence" notice (:data:`riskscreen.services.intel.NOT_EVIDENCE`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from riskscreen.dates import iso, show_date, show_moment
from riskscreen.intel.details import PLACE_TYPES
from riskscreen.intel.grading import (
    CURRENT,
    HANDLING_WORDS,
    INTELLIGENCE_WORDS,
    SOURCE_WORDS,
    Grade,
)
from riskscreen.intel.profile import ProfileRow
from riskscreen.services.intel import (
    NOT_EVIDENCE,
    NOT_EVIDENCE_SHORT,
    IntelNetwork,
    ItemInfo,
    ReceivedIntelligence,
)
from riskscreen.services.types import ChildInfo, ItemKind
from riskscreen.ui.home import find_action
from riskscreen.ui.tables import (
    SORT_ROLE,
    ChoiceAndWordsFilter,
    RecordsModel,
    read_only_table,
)
from riskscreen.ui.widgets import (
    DateField,
    FlowLayout,
    error_line,
    record_form,
    record_label,
    record_page,
    upright_scroll,
)

__all__ = ["KIND_WORDS", "ChildIntelPanel", "ChildPicker", "IntelItemDialog", "IntelItemView",
           "IntelListView", "LinkDialog", "NetworkView", "NotEvidenceBanner", "ProfileView",
           "ReasonDialog", "ReceivedIntelView", "SubmitDialog", "grade_words"]

ModelIndex = QModelIndex | QPersistentModelIndex
_ID = Qt.ItemDataRole.UserRole
KIND_WORDS = {"person": "Person of concern", "place": "Place", "vehicle": "Vehicle",
              "online": "Online account"}
#: Dark red text on a pale background: readable, and not a level colour.
_BANNER_STYLE = ("QLabel#notEvidence { background: #fff4e5; color: #5c2b00; "
                 "border: 1px solid #b35c00; padding: 4px 8px; font-weight: bold; }")
_DUE_COLOUR = "#8a1c1c"


def grade_words(grade: Grade) -> str:
    """An item's grade in words, saying when it is a legacy 5x5x5 grade."""
    source, intelligence, handling = grade.words()
    scheme = ("legacy 5x5x5 grade, from before the national change to 3x5x2"
              if grade.legacy else "3x5x2")
    return (f"{grade.text} ({scheme}): source {source}; intelligence {intelligence}; "
            f"handling: {handling}.")


class NotEvidenceBanner(QLabel):
    """The notice every page about a named adult carries: intelligence, not evidence
    (``short``: its first words, for a panel inside another page; the whole notice is its
    tooltip and shows on each item's own page)."""

    def __init__(self, parent: QWidget | None = None, *, short: bool = False) -> None:
        super().__init__(NOT_EVIDENCE_SHORT if short else NOT_EVIDENCE, parent)
        if short:
            self.setToolTip(NOT_EVIDENCE)
        self.setObjectName("notEvidence")
        self.setWordWrap(True)
        self.setAccessibleName("Intelligence, not evidence")
        self.setStyleSheet(_BANNER_STYLE)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        """Keep the height its wrapped words need at this width: on a short window the
        tables beside it give way, never the notice (a box layout would squeeze it)."""
        super().resizeEvent(event)
        if self.isVisible():  # a page not shown yet is laid out narrow, at no real width
            self._fit()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """Fit the words at the width the page is shown at."""
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        needed = self.words_height(self.width())
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)

    def words_height(self, width: int) -> int:
        """The height the wrapped words need at ``width``, whatever the minimum height is now
        (QLabel's own answer never goes below it, so a height set at an earlier, narrower
        width would stay: a notice hundreds of pixels tall)."""
        kept = self.minimumHeight()
        self.setMinimumHeight(0)
        needed = self.heightForWidth(width)
        self.setMinimumHeight(kept)
        return needed


def _title(parent: QWidget, text: str = "") -> QLabel:
    title = QLabel(text, parent)
    title.setObjectName("pageTitle")
    title.setWordWrap(True)
    return title


def _table(parent: QWidget, name: str, accessible: str) -> QTableView:
    return read_only_table(QTableView(parent), name, accessible, single=False, alternating=True)


def _table_widget(parent: QWidget, name: str, accessible: str,
                  columns: Sequence[str]) -> QTableWidget:
    table = read_only_table(QTableWidget(0, len(columns), parent), name, accessible)
    table.setHorizontalHeaderLabels(list(columns))
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[object]],
          ids: Sequence[object] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(str(value))
            item.setToolTip(str(value))
            if isinstance(value, int):
                item.setData(Qt.ItemDataRole.DisplayRole, value)
            if ids is not None and c == 0:
                item.setData(_ID, ids[r])
            table.setItem(r, c, item)


def _children_words(item: ItemInfo) -> str:
    names = list(dict.fromkeys(lk.child_name for lk in item.links))
    words = ", ".join(names)
    if item.other_children:
        more = (f"{item.other_children} other child" if item.other_children == 1
                else f"{item.other_children} other children")
        words = f"{words} and {more}" if words else more
    return words


# -- the list ----------------------------------------------------------------------------------


class IntelListModel(RecordsModel[ItemInfo]):
    """Intelligence items as table rows."""

    COLUMNS = ("Kind", "What", "Grade", "Children", "Recorded by", "Recorded", "Review due")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = date.today()

    def set_rows(self, rows: Iterable[ItemInfo], today: date | None = None) -> None:
        """Show these items, with reviews due by ``today`` marked."""
        self.today = today or date.today()
        super().set_rows(rows)

    def cell(self, i: ItemInfo, column: int, role: int) -> Any:
        """The words of one cell, its sort key, or the colour of a review that is due."""
        if role == SORT_ROLE:
            if column == 5:
                return iso(i.created_at)
            if column == 6:
                return i.review_due.isoformat()
            return str(self.cell(i, column, Qt.ItemDataRole.DisplayRole) or "").lower()
        if role == Qt.ItemDataRole.ForegroundRole and column == 6 and i.due(self.today):
            return QColor(_DUE_COLOUR)
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            return grade_words(i.grade)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        grade = i.grade.text + (" (5x5x5)" if i.grade.legacy else "")
        due = show_date(i.review_due) + (" — due now" if i.due(self.today) else "")
        return (KIND_WORDS.get(i.kind, i.kind), i.label, grade, _children_words(i),
                i.entered_by, show_date(i.created_at), due)[column]


class _ListFilter(ChoiceAndWordsFilter[ItemInfo]):
    """The rows of the chosen kind whose words hold every word searched for."""

    def choice_of(self, row: ItemInfo) -> object:
        """An item is chosen by its kind."""
        return row.kind

    def words_of(self, row: ItemInfo) -> str:
        """Its label, text, grade, children, recorder and details."""
        i = row
        return " ".join((i.label, i.text, i.grade.text, _children_words(i), i.entered_by,
                         " ".join(str(v) for v in i.details.values())))


class IntelListView(QWidget):
    """The intelligence items this account may see, with search, a kind filter, sortable
    columns and (for analysts and managers) the items due for review or deletion."""

    open_requested = Signal(int)
    add_requested = Signal()
    submit_requested = Signal(list)
    network_requested = Signal()
    profile_requested = Signal()
    due_changed = Signal(bool)
    review_requested = Signal(int)
    delete_requested = Signal(int)
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("intelListView")
        self.back_button = QPushButton("← Screenings", self)
        self.back_button.setObjectName("intelBack")
        self.title = _title(self, "Intelligence")
        self.banner = NotEvidenceBanner(self)
        self.search = QLineEdit(self)
        self.search.setObjectName("intelSearch")
        self.search.setPlaceholderText("Search by name, place, registration, handle or child")
        self.search.setAccessibleName("Search intelligence")
        self.search.setClearButtonEnabled(True)
        self.kind = QComboBox(self)
        self.kind.setObjectName("intelKindFilter")
        self.kind.setAccessibleName("Show items of kind")
        self.kind.addItem("All kinds", None)
        for kind, words in KIND_WORDS.items():
            self.kind.addItem(words, kind)
        self.due_only = QCheckBox("Only those due for review or deletion", self)
        self.due_only.setObjectName("intelDueOnly")
        self.model = IntelListModel(self)
        self.proxy = _ListFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = _table(self, "intelTable", "Intelligence items")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 4, 5, 6):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.open_button = QPushButton("Open", self)
        self.open_button.setObjectName("intelOpen")
        self.add_button = QPushButton("Add an item…", self)
        self.add_button.setObjectName("intelAdd")
        self.submit_button = QPushButton("Submit to the analyst…", self)
        self.submit_button.setObjectName("intelSubmit")
        self.submit_button.setToolTip("Choose one or more items (Ctrl+click), then save the "
                                      "submission form or an exchange package")
        self.network_button = QPushButton("Links between children", self)
        self.network_button.setObjectName("intelNetwork")
        self.profile_button = QPushButton("Problem profile", self)
        self.profile_button.setObjectName("intelProfile")
        self.review_button = QPushButton("Keep for another period…", self)
        self.review_button.setObjectName("intelReview")
        self.delete_button = QPushButton("Delete…", self)
        self.delete_button.setObjectName("intelDelete")
        self.count = QLabel(self)
        self.count.setObjectName("intelCount")
        self.empty = QLabel(self)
        self.empty.setObjectName("intelEmpty")
        self.empty.setWordWrap(True)
        self.done = record_label(self, "intelDone")
        self.done.setVisible(False)
        self.error = error_line(self)

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self.title, 1)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        filters.addWidget(self.kind)
        filters.addWidget(self.due_only)
        actions_row = QWidget(self)
        actions = FlowLayout(actions_row, spacing=8)
        for button in (self.open_button, self.add_button, self.submit_button,
                       self.network_button, self.profile_button, self.review_button,
                       self.delete_button):
            actions.addWidget(button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.done, 1)
        bottom.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.error)
        layout.addWidget(actions_row)
        layout.addLayout(bottom)

        self.search.textChanged.connect(self._on_filter_changed)
        self.kind.currentIndexChanged.connect(self._on_filter_changed)
        self.due_only.toggled.connect(self.due_changed)
        self.table.activated.connect(self._on_table_activated)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.add_button.clicked.connect(self.add_requested)
        self.submit_button.clicked.connect(self._on_submit_button_clicked)
        self.network_button.clicked.connect(self.network_requested)
        self.profile_button.clicked.connect(self.profile_requested)
        self.review_button.clicked.connect(self._on_review_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.back_button.clicked.connect(self.back_requested)
        self.find_action = find_action(self, self.search)
        self.analysis = False
        self.set_rows([], date.today())

    def first_field(self) -> QWidget:
        """The cursor starts in the list when it has rows, in the search otherwise."""
        return self.table if self.proxy.rowCount() else self.search

    def set_analysis(self, analysis: bool) -> None:
        """Offer the network, the profile and retention only to analysts and managers (the
        service refuses them to anyone else in any case)."""
        self.analysis = analysis
        for widget in (self.network_button, self.profile_button, self.review_button,
                       self.delete_button, self.due_only):
            widget.setVisible(analysis)
        if not analysis:
            self.due_only.setChecked(False)
        self._update()

    def set_rows(self, rows: Iterable[ItemInfo], today: date) -> None:
        """Show the items, keeping the search, filter and sort."""
        self.model.set_rows(rows, today)
        self._update()

    def show_done(self, text: str) -> None:
        """What has just been done (empty: nothing to say)."""
        self.done.setText(text)
        self.done.setVisible(bool(text))
        self.show_error("")

    def show_error(self, text: str) -> None:
        """Why something asked for did not happen."""
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def selected(self) -> list[ItemInfo]:
        """The highlighted items, in the order shown."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        found = [self.model.row_at(self.proxy.mapToSource(r)) for r in rows]
        return [i for i in found if i is not None]

    def _update(self) -> None:
        shown, total = self.proxy.rowCount(), len(self.model.rows)
        noun = "item" if total == 1 else "items"
        self.count.setText(f"{total} {noun}" if shown == total else f"{shown} of {total} {noun}")
        self.empty.setText("Nothing is due for review or deletion." if self.due_only.isChecked()
                           else "No intelligence is recorded that you may see. Add an item "
                                "from a child's record, a screening or “Add an item…”.")
        self.empty.setVisible(total == 0)
        if shown and not self.table.selectionModel().selectedRows():
            self.table.selectRow(0)
        self._on_selection_changed()

    def _on_selection_changed(self, *_args: object) -> None:
        chosen = self.selected()
        self.open_button.setEnabled(len(chosen) == 1)
        self.submit_button.setEnabled(bool(chosen))
        self.review_button.setEnabled(len(chosen) == 1)
        self.delete_button.setEnabled(len(chosen) == 1)

    def _on_filter_changed(self, *_args: object) -> None:
        self.proxy.set_filter(self.kind.currentData(), self.search.text())
        self._update()

    def _one(self) -> ItemInfo | None:
        chosen = self.selected()
        return chosen[0] if len(chosen) == 1 else None

    def _on_open_button_clicked(self) -> None:
        if (item := self._one()) is not None:
            self.open_requested.emit(item.id)

    def _on_review_button_clicked(self) -> None:
        if (item := self._one()) is not None:
            self.review_requested.emit(item.id)

    def _on_delete_button_clicked(self) -> None:
        if (item := self._one()) is not None:
            self.delete_requested.emit(item.id)

    def _on_submit_button_clicked(self) -> None:
        chosen = self.selected()
        if chosen:
            self.submit_requested.emit([i.id for i in chosen])

    def _on_table_activated(self, index: QModelIndex) -> None:
        item = self.model.row_at(self.proxy.mapToSource(index))
        if item is not None:
            self.open_requested.emit(item.id)


# -- one item ----------------------------------------------------------------------------------

_DETAIL_WORDS = {"names": "Names", "nicknames": "Nicknames", "estimated_age": "Estimated age",
                 "phones": "Phone numbers", "handles": "Online handles",
                 "vehicles": "Vehicles (registrations)", "description": "Description",
                 "address": "Address", "place_type": "Type of place", "area": "Area",
                 "registration": "Registration", "make": "Make", "model": "Model",
                 "colour": "Colour", "platform": "Platform", "handle": "Handle"}


def _value_words(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class ChildIntelPanel(QWidget):
    """On a child's page: the intelligence items linked to that child that this account may
    see, under the intelligence-not-evidence notice; Enter or a double-click opens one."""

    item_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("childIntelPanel")
        title = QLabel("Intelligence about this child", self)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        self.banner = NotEvidenceBanner(self, short=True)
        self.table = _table_widget(self, "childIntelTable",
                                   "Intelligence items linked to this child",
                                   ("What", "Grade", "Seen on"))
        header = self.table.horizontalHeader()
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = record_label(self, "childIntelEmpty")
        self.empty.setText("No intelligence linked to this child that you may see.")
        self.items: list[ItemInfo] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.banner)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.table.cellActivated.connect(self._on_table_cell_activated)
        self.set_items([], None)

    def set_items(self, items: Sequence[ItemInfo], child_id: int | None) -> None:
        """Show ``items`` (those linked to ``child_id``), newest seen first."""
        def seen(item: ItemInfo) -> date:
            days = [lk.seen_on for lk in item.links if lk.child_id == child_id]
            return max(days) if days else date.min

        self.items = sorted(items, key=seen, reverse=True)
        _fill(self.table, [(f"{KIND_WORDS.get(i.kind, i.kind)}: {i.label}", i.grade.text,
                            show_date(seen(i)) if seen(i) != date.min else "")
                           for i in self.items], [i.id for i in self.items])
        shown = bool(self.items)
        self.table.setVisible(shown)
        self.banner.setVisible(shown)
        self.empty.setVisible(not shown)
        # Without a table the panel is a title and a line: it gives the rest of the page's
        # height to the tables beside or above it.
        self.setSizePolicy(QSizePolicy.Policy.Preferred,
                           QSizePolicy.Policy.Preferred if shown else QSizePolicy.Policy.Maximum)

    def _on_table_cell_activated(self, row: int, _column: int) -> None:
        cell = self.table.item(row, 0)
        if cell is not None:
            self.item_requested.emit(int(cell.data(_ID)))


class IntelItemView(QWidget):
    """One item: what it says, its grade in words, its handling, and the children it is
    linked to, with the steps this account may take."""

    back_requested = Signal()
    edit_requested = Signal(int)
    link_requested = Signal(int)
    submit_requested = Signal(list)
    review_requested = Signal(int)
    delete_requested = Signal(int)
    child_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("intelItemView")
        self.item: ItemInfo | None = None
        self.back_button = QPushButton("← Intelligence", self)
        self.back_button.setObjectName("intelItemBack")
        self.title = _title(self)
        self.banner = NotEvidenceBanner(self)
        self.edit_button = QPushButton("Change…", self)
        self.edit_button.setObjectName("intelItemEdit")
        self.edit_button.setToolTip("Change what is recorded, or its grade")
        self.link_button = QPushButton("Link to a child…", self)
        self.link_button.setObjectName("intelLink")
        self.submit_button = QPushButton("Submit to the analyst…", self)
        self.submit_button.setObjectName("intelItemSubmit")
        self.review_button = QPushButton("Keep for another period…", self)
        self.review_button.setObjectName("intelItemReview")
        self.delete_button = QPushButton("Delete…", self)
        self.delete_button.setObjectName("intelItemDelete")
        self.done = record_label(self, "intelItemDone")
        self.done.setVisible(False)
        self.error = error_line(self)

        content = QWidget(self)
        inner = QVBoxLayout(content)
        self.grade_box = QGroupBox("Grading and handling", content)
        grade_form = record_form(self.grade_box)
        self.grade = record_label(self.grade_box, "intelGrade")
        self.restriction = record_label(self.grade_box, "intelRestriction")
        self.conditions = record_label(self.grade_box, "intelConditions")
        grade_form.addRow("Grade", self.grade)
        grade_form.addRow("Who may see it", self.restriction)
        grade_form.addRow("Handling conditions", self.conditions)
        self.details_box = QGroupBox("What is recorded", content)
        self.details_form = record_form(self.details_box)
        self.record_box = QGroupBox("The record", content)
        facts_form = record_form(self.record_box)
        self.recorded = record_label(self.record_box, "intelRecorded")
        self.review_due = record_label(self.record_box, "intelReviewDue")
        facts_form.addRow("Recorded", self.recorded)
        facts_form.addRow("Review or delete by", self.review_due)
        self.links_box = QGroupBox("Children it is linked to", content)
        links_layout = QVBoxLayout(self.links_box)
        self.links = _table_widget(self.links_box, "intelLinks", "Children it is linked to",
                                   ("Child", "Seen on", "Source", "Linked by"))
        self.others = record_label(self.links_box, "intelOthers")
        links_layout.addWidget(self.links)
        links_layout.addWidget(self.others)
        for box in (self.details_box, self.grade_box, self.links_box, self.record_box):
            inner.addWidget(box)
        inner.addStretch(1)
        self.scroll_area = record_page(
            self, self.back_button, self.title,
            (self.edit_button, self.link_button, self.submit_button, self.review_button,
             self.delete_button),
            content, heading=(self.banner,), messages=(self.done, self.error),
            name="intelItemScroll")

        self.back_button.clicked.connect(self.back_requested)
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        self.link_button.clicked.connect(self._on_link_button_clicked)
        self.submit_button.clicked.connect(self._on_submit_button_clicked)
        self.review_button.clicked.connect(self._on_review_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.links.cellActivated.connect(self._on_links_cell_activated)

    def show_item(self, item: ItemInfo, today: date, analysis: bool) -> None:
        """Show an item; ``analysis`` offers the retention steps (analysts and managers)."""
        self.item = item
        self.title.setText(f"{KIND_WORDS.get(item.kind, item.kind)}: {item.label}")
        self.grade.setText(grade_words(item.grade))
        self.restriction.setText(
            "Restricted by its handling code: only the person who recorded it, analysts and "
            "managers see it." if item.restricted else
            "The person who recorded it, practitioners working with the children it is "
            "linked to, analysts and managers.")
        self.conditions.setText(item.handling_conditions or "None recorded")
        while self.details_form.rowCount():
            self.details_form.removeRow(0)
        for key, value in item.details.items():
            if value in ("", [], None):
                continue
            field = record_label(self.details_box, f"intelDetail_{key}")
            field.setText(_value_words(value))
            self.details_form.addRow(_DETAIL_WORDS.get(key, key.replace("_", " ").capitalize()),
                                     field)
        if item.text:
            text = record_label(self.details_box, "intelText")
            text.setText(item.text)
            self.details_form.addRow("What was seen or said", text)
        recorded, changed = show_date(item.created_at), show_date(item.updated_at)
        self.recorded.setText(f"{recorded} by {item.entered_by}"
                              + (f"; changed {changed}" if changed != recorded else ""))
        due = show_date(item.review_due)
        self.review_due.setText(f"{due} — due now: keep it for another period or delete it"
                                if item.due(today) else due)
        _fill(self.links, [(lk.child_name, show_date(lk.seen_on), lk.source or "—",
                            lk.linked_by) for lk in item.links],
              [lk.child_id for lk in item.links])
        # As tall as its rows (up to ten; more scroll), not a tall empty box.
        shown_rows = min(max(len(item.links), 1), 10)
        self.links.setFixedHeight(self.links.horizontalHeader().sizeHint().height()
                                  + shown_rows * self.links.verticalHeader().defaultSectionSize()
                                  + 2 * self.links.frameWidth() + 2)
        self.others.setText(
            f"Also linked to {item.other_children} "
            f"{'child' if item.other_children == 1 else 'children'} you do not work with."
            if item.other_children else "")
        self.others.setVisible(bool(item.other_children))
        self.edit_button.setVisible(item.may_change)
        self.review_button.setVisible(analysis)
        self.delete_button.setVisible(analysis)

    def show_done(self, text: str) -> None:
        """What has just been done."""
        self.done.setText(text)
        self.done.setVisible(bool(text))
        self.show_error("")

    def show_error(self, text: str) -> None:
        """Why something asked for did not happen."""
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def clear(self) -> None:
        """Forget the item shown (on locking)."""
        self.item = None
        self.title.clear()
        self.links.setRowCount(0)
        while self.details_form.rowCount():
            self.details_form.removeRow(0)
        for label in (self.grade, self.conditions, self.recorded, self.review_due, self.others):
            label.clear()

    def _on_edit_button_clicked(self) -> None:
        if self.item is not None:
            self.edit_requested.emit(self.item.id)

    def _on_link_button_clicked(self) -> None:
        if self.item is not None:
            self.link_requested.emit(self.item.id)

    def _on_submit_button_clicked(self) -> None:
        if self.item is not None:
            self.submit_requested.emit([self.item.id])

    def _on_review_button_clicked(self) -> None:
        if self.item is not None:
            self.review_requested.emit(self.item.id)

    def _on_delete_button_clicked(self) -> None:
        if self.item is not None:
            self.delete_requested.emit(self.item.id)

    def _on_links_cell_activated(self, row: int, _column: int) -> None:
        cell = self.links.item(row, 0)
        if cell is not None:
            self.child_requested.emit(int(cell.data(_ID)))


# -- links between children ----------------------------------------------------------------------


class NetworkView(QWidget):
    """Which children are linked by a shared person, place, vehicle or account: the shared
    records with how many children each links, the children linked through the one chosen,
    and every pair of linked children."""

    back_requested = Signal()
    item_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("intelNetworkView")
        self.network: IntelNetwork | None = None
        self.back_button = QPushButton("← Intelligence", self)
        self.back_button.setObjectName("networkBack")
        title = _title(self, "Links between children")
        self.banner = NotEvidenceBanner(self)
        self.counts = record_label(self, "networkCounts")
        self.entities = _table_widget(self, "networkEntities",
                                      "Shared people, places, vehicles and accounts",
                                      ("Kind", "Shared record", "Children"))
        header = self.entities.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.entities.setSortingEnabled(True)
        self.linked = QListWidget(self)
        self.linked.setObjectName("networkChildren")
        self.linked.setAccessibleName("Children linked through the chosen record")
        self.linked.setWordWrap(True)
        self.linked_title = QLabel("Children linked through it", self)
        self.linked_title.setWordWrap(True)
        self.why = record_label(self, "networkWhy")
        self.open_button = QPushButton("Open its records", self)
        self.open_button.setObjectName("networkOpen")
        self.pairs = _table_widget(self, "networkPairs", "Pairs of linked children",
                                   ("Child", "Child", "Linked through"))
        self.pairs.setSortingEnabled(True)
        self.empty = QLabel("No two children are linked by a shared person, place, vehicle or "
                            "account yet.", self)
        self.empty.setObjectName("networkEmpty")
        self.empty.setWordWrap(True)

        right = QWidget(self)
        r = QVBoxLayout(right)
        r.setContentsMargins(0, 0, 0, 0)
        r.addWidget(self.linked_title)
        r.addWidget(self.linked, 1)
        r.addWidget(self.why)
        r.addWidget(self.open_button)
        upper = QSplitter(Qt.Orientation.Horizontal, self)
        upper.setObjectName("networkSplitter")
        upper.addWidget(self.entities)
        upper.addWidget(right)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 2)
        upper.setChildrenCollapsible(False)
        pairs_box = QGroupBox("Pairs of children linked", self)
        p = QVBoxLayout(pairs_box)
        p.addWidget(self.pairs)
        outer = QSplitter(Qt.Orientation.Vertical, self)
        outer.addWidget(upper)
        outer.addWidget(pairs_box)
        outer.setChildrenCollapsible(False)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(title, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.counts)
        layout.addWidget(self.empty)
        layout.addWidget(outer, 1)
        self.back_button.clicked.connect(self.back_requested)
        self.entities.itemSelectionChanged.connect(self._on_entities_item_selection_changed)
        self.open_button.clicked.connect(self._on_open_button_clicked)

    def show_network(self, network: IntelNetwork) -> None:
        """Show who is connected to whom."""
        self.network = network
        c = network.counts
        self.counts.setText(
            f"{c.get('children_linked', 0)} children linked to another child, through "
            f"{c.get('shared_entities', 0)} shared records; {c.get('child_pairs', 0)} pairs "
            f"of children; {c.get('possible_links', 0)} possible links by name only (check "
            "them: the same name is not always the same person).")
        names = {n.id: n.label for n in network.nodes if n.kind == "child"}
        entities = [n for n in network.nodes if n.kind != "child"]
        self.entities.setSortingEnabled(False)
        _fill(self.entities, [(KIND_WORDS.get(n.kind, n.kind), n.label, n.count)
                              for n in entities], [n.id for n in entities])
        self.entities.setSortingEnabled(True)
        self.entities.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        labels = {n.id.split(":")[1]: n.label for n in entities}
        rows: list[tuple[str, str, str]] = []
        for (a, b), through in sorted(network.pairs().items()):
            rows.append((names.get(f"child:{a}", f"Child {a}"),
                         names.get(f"child:{b}", f"Child {b}"),
                         "; ".join(labels.get(str(e), f"record {e}") for e in through)))
        self.pairs.setSortingEnabled(False)
        _fill(self.pairs, rows)
        self.pairs.setSortingEnabled(True)
        self.pairs.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.empty.setVisible(not entities)
        if entities:
            self.entities.selectRow(0)
        else:
            self._on_entities_item_selection_changed()

    def clear(self) -> None:
        """Forget what is shown (on locking)."""
        self.network = None
        self.entities.setRowCount(0)
        self.pairs.setRowCount(0)
        self.linked.clear()
        self.counts.clear()
        self.why.clear()

    def chosen(self) -> str | None:
        """The node id of the chosen shared record."""
        rows = self.entities.selectionModel().selectedRows()
        if not rows:
            return None
        cell = self.entities.item(rows[0].row(), 0)
        return str(cell.data(_ID)) if cell is not None else None

    def _on_entities_item_selection_changed(self) -> None:
        self.linked.clear()
        self.why.clear()
        node_id, network = self.chosen(), self.network
        self.open_button.setEnabled(node_id is not None)
        if node_id is None or network is None:
            return
        names = {n.id: n.label for n in network.nodes if n.kind == "child"}
        for edge in network.edges:
            if edge.target == node_id and edge.strength == "shared":
                when = ""
                if edge.first_seen is not None and edge.last_seen is not None:
                    when = (f" — seen {show_date(edge.first_seen)}" if edge.first_seen
                            == edge.last_seen else
                            f" — seen {show_date(edge.first_seen)} to {show_date(edge.last_seen)}")
                entry = QListWidgetItem(names.get(edge.source, edge.source) + when)
                self.linked.addItem(entry)
        possible = [e for e in network.edges if e.strength == "possible"
                    and node_id in (e.source, e.target)]
        entity_id = int(node_id.split(":")[1])
        matched = next((e for e in network.matching.entities if e.id == entity_id), None)
        why = ""
        if matched is not None and matched.matched_on:
            kinds = sorted({str(k[0]) for k in matched.matched_on})
            why = "Matched on the same " + ", ".join(k.replace("_", " ") for k in kinds) + "."
        if possible:
            why += (f" Possibly the same person as {len(possible)} other record(s), by name "
                    "only.")
        self.why.setText(why.strip())

    def _on_open_button_clicked(self) -> None:
        node_id, network = self.chosen(), self.network
        if node_id is None or network is None:
            return
        node = next((n for n in network.nodes if n.id == node_id), None)
        if node is not None and node.item_ids:
            self.item_requested.emit(node.item_ids[0])


# -- the problem profile ---------------------------------------------------------------------------


class ProfileView(QWidget):
    """Places and areas by the number of children linked to them over a period, and by level
    of concern, with an anonymised CSV export."""

    back_requested = Signal()
    show_requested = Signal(object, object)
    export_requested = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("intelProfileView")
        self.back_button = QPushButton("← Intelligence", self)
        self.back_button.setObjectName("profileBack")
        title = _title(self, "Problem profile: places and areas")
        today = date.today()
        self.start = DateField(today, self)
        self.start.setObjectName("profileFrom")
        self.start.line.setAccessibleName("From")
        self.end = DateField(today, self)
        self.end.setObjectName("profileTo")
        self.end.line.setAccessibleName("To")
        self.start.set_date(date(today.year - 1, today.month, min(today.day, 28)))
        self.end.set_date(today)
        self.show_button = QPushButton("Show", self)
        self.show_button.setObjectName("profileShow")
        self.export_button = QPushButton("Export anonymised CSV…", self)
        self.export_button.setObjectName("profileExport")
        self.note = record_label(self, "profileNote")
        self.note.setText("Counts here are exact, for your analysis only. The CSV export has "
                          "no child, person or record number in it, and shows any count from "
                          "1 to 4 as “<5”.")
        self.table = _table_widget(self, "profileTable", "Problem profile", ("Kind",))
        self.table.setSortingEnabled(True)
        self.empty = QLabel("No place or area has a child linked to it in this period.", self)
        self.empty.setObjectName("profileEmpty")
        self.empty.setWordWrap(True)
        self.empty.setVisible(False)
        self.done = record_label(self, "profileDone")
        self.done.setVisible(False)
        self.error = error_line(self)

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(title, 1)
        period_row = QWidget(self)
        period = FlowLayout(period_row, spacing=8)
        for widget in (QLabel("From", self), self.start, QLabel("to", self), self.end,
                       self.show_button, self.export_button):
            period.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(period_row)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(self.done)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self.back_button.clicked.connect(self.back_requested)
        self.show_button.clicked.connect(self._on_show_button_clicked)
        self.export_button.clicked.connect(self._on_export_button_clicked)

    def first_field(self) -> QWidget:
        """The cursor starts in the period's first date."""
        return self.start.line

    def period(self) -> tuple[date, date] | None:
        """The period chosen, or None (and the problem said) if a date is not valid."""
        start, end = self.start.value(), self.end.value()
        if start is None or end is None:
            self.show_error("Enter both dates as day/month/year, no later than today.")
            return None
        return start, end

    def show_rows(self, rows: Sequence[ProfileRow], levels: Mapping[str, str]) -> None:
        """Show the profile; ``levels`` names each level id in words, in the order to show."""
        present = {lv for r in rows for lv, _ in r.by_level}
        order = [lv for lv in levels if lv in present]
        order += sorted(lv for lv in present if lv not in order)
        columns = ["Kind", "Place or area", "Children", *(levels.get(lv, lv.capitalize())
                                                          for lv in order)]
        self.table.setSortingEnabled(False)
        self.table.clear()
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        _fill(self.table, [("Place" if r.kind == "place" else "Area", r.label, r.children,
                            *(dict(r.by_level).get(lv, 0) for lv in order)) for r in rows])
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.empty.setVisible(not rows)
        self.show_error("")

    def show_done(self, text: str) -> None:
        """What has just been done."""
        self.done.setText(text)
        self.done.setVisible(bool(text))
        self.show_error("")

    def show_error(self, text: str) -> None:
        """Why something asked for did not happen."""
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def clear(self) -> None:
        """Forget what is shown (on locking)."""
        self.table.setRowCount(0)
        self.show_done("")

    def _on_show_button_clicked(self) -> None:
        if (period := self.period()) is not None:
            self.show_requested.emit(*period)

    def _on_export_button_clicked(self) -> None:
        if (period := self.period()) is not None:
            self.export_requested.emit(*period)


# -- submissions received -------------------------------------------------------------------------


def _received_item_row(item: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    grading = item.get("grading")
    grade = ""
    if isinstance(grading, Mapping):
        grade = str(grading.get("text", ""))
        if grading.get("scheme") == "5x5x5":
            grade += " (5x5x5)"
    children = item.get("children")
    names = ", ".join(str(c.get("name", "")) for c in children if isinstance(c, Mapping)) \
        if isinstance(children, list) else ""
    kind = str(item.get("kind", ""))
    return (KIND_WORDS.get(kind, kind), str(item.get("label", "")), grade, names,
            " ".join(str(item.get("text", "")).split()))


class ReceivedIntelView(QWidget):
    """Intelligence submissions received here as exchange packages, read-only as the sender
    graded them: the submissions, and the items of the one chosen."""

    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("receivedIntelView")
        self.rows: list[ReceivedIntelligence] = []
        self.back_button = QPushButton("← Intelligence", self)
        self.back_button.setObjectName("receivedIntelBack")
        title = _title(self, "Intelligence received")
        self.banner = NotEvidenceBanner(self)
        note = record_label(self)
        note.setText("As the sender recorded and graded them (read-only). Import a package "
                     "with File › Import a package.")
        self.submissions = _table_widget(self, "receivedIntelSubmissions",
                                         "Submissions received",
                                         ("Received", "From", "Reference", "Items"))
        header = self.submissions.horizontalHeader()
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.items = _table_widget(self, "receivedIntelItems", "Items of the submission",
                                   ("Kind", "What", "Grade", "Children", "What was seen or said"))
        header = self.items.horizontalHeader()
        for column in (0, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel("No intelligence submission has been received yet.", self)
        self.empty.setObjectName("receivedIntelEmpty")
        self.empty.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.submissions)
        split.addWidget(self.items)
        split.setChildrenCollapsible(False)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(title, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(note)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)
        self.back_button.clicked.connect(self.back_requested)
        self.submissions.itemSelectionChanged.connect(self._on_submissions_selection_changed)

    def set_rows(self, rows: Sequence[ReceivedIntelligence]) -> None:
        """Show the submissions received, newest first."""
        self.rows = list(rows)
        _fill(self.submissions, [(show_moment(r.received_at), r.sender, r.reference,
                                  len(r.items)) for r in self.rows],
              list(range(len(self.rows))))
        self.empty.setVisible(not self.rows)
        if self.rows:
            self.submissions.selectRow(0)
        else:
            self.items.setRowCount(0)

    def _on_submissions_selection_changed(self) -> None:
        chosen = self.submissions.selectionModel().selectedRows()
        if not chosen or chosen[0].row() >= len(self.rows):
            self.items.setRowCount(0)
            return
        _fill(self.items, [_received_item_row(i) for i in self.rows[chosen[0].row()].items])


# -- dialogs ---------------------------------------------------------------------------------------


class _Dialog(QDialog):
    """What the dialogs share: an error line, an OK button named for the step and Cancel, and
    staying open (with what was typed) until the service has done it."""

    submitted = Signal(dict)

    def __init__(self, title: str, ok: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.error = error_line(self)
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("dialogOk")
        self.ok_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

    def values(self) -> dict[str, Any]:
        """What was entered."""
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        """Why it was not done; the dialog stays open with what was typed."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _on_buttons_accepted(self) -> None:
        self.show_error("")
        values = self.values()
        if values:
            self.submitted.emit(values)


def _split(text: str) -> list[str]:
    """A list typed with commas or semicolons, or one a line."""
    return [p.strip() for p in text.replace(";", ",").replace("\n", ",").split(",")
            if p.strip()]


def _edit(parent: QWidget, name: str, accessible: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    if placeholder:
        edit.setPlaceholderText(placeholder)
    return edit


class ChildPicker(QWidget):
    """Choose a child: type part of a name to search (the controller fills the matches), or a
    child record number."""

    search_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = _edit(self, "childSearch", "Child",
                            "Type part of the child's name, or their record number")
        self.matches = QListWidget(self)
        self.matches.setObjectName("childMatches")
        self.matches.setAccessibleName("Children found")
        self.matches.setMaximumHeight(110)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.matches)
        self.setFocusProxy(self.search)
        self.search.textChanged.connect(self._on_search_text_changed)

    def set_matches(self, children: Iterable[ChildInfo]) -> None:
        """The children found for what was typed."""
        self.matches.clear()
        for child in children:
            born = f" (born {show_date(child.date_of_birth)})" if child.date_of_birth else ""
            entry = QListWidgetItem(f"{child.name}{born} — record {child.id}")
            entry.setData(_ID, child.id)
            self.matches.addItem(entry)
        if self.matches.count():
            self.matches.setCurrentRow(0)

    def child_id(self) -> int | None:
        """The child chosen from the matches, or the record number typed."""
        current = self.matches.currentItem()
        if current is not None and current.isSelected():
            return int(current.data(_ID))
        text = self.search.text().strip()
        return int(text) if text.isdigit() else None

    def _on_search_text_changed(self, text: str) -> None:
        self.matches.clear()
        if len(text.strip()) >= 2 and not text.strip().isdigit():
            self.search_changed.emit(text.strip())


class _GradePart(QWidget):
    """One part of a grade: a choice of codes with what the chosen code means beside it."""

    changed = Signal()

    def __init__(self, name: str, accessible: str, words: Mapping[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice = QComboBox(self)
        self.choice.setObjectName(name)
        self.choice.setAccessibleName(accessible)
        self.choice.addItem("Choose…", None)
        for code, meaning in words.items():
            self.choice.addItem(f"{code} — {meaning}", code)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.choice)
        self.choice.currentIndexChanged.connect(self.changed)

    def code(self) -> str | None:
        """The code chosen."""
        value = self.choice.currentData()
        return str(value) if value is not None else None

    def set_code(self, code: str) -> None:
        """Choose a code."""
        index = self.choice.findData(code)
        if index >= 0:
            self.choice.setCurrentIndex(index)


GRADE_HELP = {
    "source": "How reliable the source is, on what is known of them (1 reliable, 2 untested, "
              "3 not reliable).",
    "intelligence": "How the source knows it: directly (A), indirectly but backed up by "
                    "something else (B), indirectly (C), not known (D) or suspected false (E).",
    "handling": "Whether it may be shared lawfully (P), or only on conditions you write down "
                "(C). An item graded C is seen only by you, analysts and managers.",
}


class IntelItemDialog(_Dialog):
    """Record an item: its kind and details, what was seen or said, the child it concerns
    with the source and date seen, and its 3x5x2 grade with what each code means.

    Given an ``item``, it changes that item instead: the same fields filled in as recorded,
    its kind fixed, and no child, source or date (those belong to its links).
    """

    search_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, child: tuple[int, str] | None = None,
                 today: date | None = None, item: ItemInfo | None = None) -> None:
        super().__init__("Change the item" if item is not None else "Add intelligence",
                         "Save the changes" if item is not None else "Save the item", parent)
        self.setObjectName("intelItemDialog")
        self.child = child
        self.item = item
        today = today or date.today()
        self.banner = NotEvidenceBanner(self)
        self.kind = QComboBox(self)
        self.kind.setObjectName("intelKind")
        self.kind.setAccessibleName("Kind of item")
        for kind, words in KIND_WORDS.items():
            self.kind.addItem(words, kind)
        self.pages = QStackedWidget(self)
        # A person of concern.
        person = QWidget(self.pages)
        pf = record_form(person)
        self.names = _edit(person, "personNames", "Names", "Separate several with commas")
        self.nicknames = _edit(person, "personNicknames", "Nicknames",
                               "Separate several with commas")
        self.person_description = _edit(person, "personDescription", "Description",
                                        "What they look like, where they are seen")
        self.age = QSpinBox(person)
        self.age.setObjectName("personAge")
        self.age.setAccessibleName("Estimated age")
        self.age.setRange(0, 100)
        self.age.setSpecialValueText("Not known")
        self.vehicles = _edit(person, "personVehicles", "Vehicles",
                              "Registrations, separated with commas")
        self.phones = _edit(person, "personPhones", "Phone numbers",
                            "Separate several with commas")
        self.handles = _edit(person, "personHandles", "Online handles",
                             "For example @name, separated with commas")
        pf.addRow("Names", self.names)
        pf.addRow("Nicknames", self.nicknames)
        pf.addRow("Description", self.person_description)
        pf.addRow("Estimated age", self.age)
        pf.addRow("Vehicles", self.vehicles)
        pf.addRow("Phone numbers", self.phones)
        pf.addRow("Online handles", self.handles)
        # A place.
        place = QWidget(self.pages)
        lf = record_form(place)
        self.address = _edit(place, "placeAddress", "Address")
        self.place_description = _edit(place, "placeDescription", "Description",
                                       "If there is no address: how to recognise it")
        self.place_type = QComboBox(place)
        self.place_type.setObjectName("placeType")
        self.place_type.setAccessibleName("Type of place")
        self.place_type.setEditable(True)
        self.place_type.addItem("")
        self.place_type.addItems(list(PLACE_TYPES))
        self.area = _edit(place, "placeArea", "Area", "Neighbourhood, estate or ward")
        lf.addRow("Address", self.address)
        lf.addRow("Or a description", self.place_description)
        lf.addRow("Type of place", self.place_type)
        lf.addRow("Area", self.area)
        # A vehicle.
        vehicle = QWidget(self.pages)
        vf = record_form(vehicle)
        self.registration = _edit(vehicle, "vehicleRegistration", "Registration")
        self.make = _edit(vehicle, "vehicleMake", "Make")
        self.vehicle_model = _edit(vehicle, "vehicleModel", "Model")
        self.colour = _edit(vehicle, "vehicleColour", "Colour")
        self.vehicle_description = _edit(vehicle, "vehicleDescription", "Description")
        vf.addRow("Registration", self.registration)
        vf.addRow("Make", self.make)
        vf.addRow("Model", self.vehicle_model)
        vf.addRow("Colour", self.colour)
        vf.addRow("Description", self.vehicle_description)
        # An online account.
        online = QWidget(self.pages)
        of = record_form(online)
        self.platform = _edit(online, "onlinePlatform", "Platform", "For example Snapchat")
        self.handle = _edit(online, "onlineHandle", "Handle")
        self.online_description = _edit(online, "onlineDescription", "Description")
        of.addRow("Platform", self.platform)
        of.addRow("Handle", self.handle)
        of.addRow("Description", self.online_description)
        for page in (person, place, vehicle, online):
            self.pages.addWidget(page)

        self.text = QPlainTextEdit(self)
        self.text.setObjectName("intelText")
        self.text.setAccessibleName("What was seen or said")
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText("What was seen or said, in the words used; who, where and "
                                     "when")
        self.text.setMaximumHeight(90)
        self.picker = ChildPicker(self)
        self.child_words = QLabel(self)
        self.child_words.setObjectName("intelChild")
        self.child_words.setWordWrap(True)
        self.source = _edit(self, "intelSource", "Source",
                            "Where it came from, for example “the child, in a return "
                            "interview”")
        self.seen_on = DateField(today, self)
        self.seen_on.setObjectName("intelSeenOn")
        self.seen_on.line.setAccessibleName("Date seen")
        self.seen_on.set_date(today)
        self.grade_source = _GradePart("gradeSource", "Source evaluation",
                                       SOURCE_WORDS[CURRENT], self)
        self.grade_intelligence = _GradePart("gradeIntelligence", "Intelligence assessment",
                                             INTELLIGENCE_WORDS[CURRENT], self)
        self.grade_handling = _GradePart("gradeHandling", "Handling code",
                                         HANDLING_WORDS[CURRENT], self)
        self.conditions = _edit(self, "intelConditions", "Handling conditions",
                                "Who it may be shared with, and on what conditions")
        self.conditions_label = QLabel("Handling conditions", self)
        self.grade_text = record_label(self, "intelGradeText")
        grade_box = QGroupBox("Grading (national 3x5x2)", self)
        gf = record_form(grade_box)
        for part, key, words in ((self.grade_source, "source", "Source evaluation"),
                                 (self.grade_intelligence, "intelligence",
                                  "Intelligence assessment"),
                                 (self.grade_handling, "handling", "Handling code")):
            gf.addRow(words, part)
            help_text = QLabel(GRADE_HELP[key], grade_box)
            help_text.setWordWrap(True)
            help_text.setObjectName(f"gradeHelp_{key}")
            gf.addRow("", help_text)
        gf.addRow(self.conditions_label, self.conditions)
        gf.addRow("Grade", self.grade_text)

        content = QWidget(self)
        form = record_form(content)
        form.addRow("Kind", self.kind)
        form.addRow(self.pages)
        form.addRow("What was seen or said", self.text)
        if child is None:
            form.addRow("Child it concerns", self.picker)
            self.child_words.setVisible(False)
        else:
            self.child_words.setText(child[1])
            self.picker.setVisible(False)
            form.addRow("Child it concerns", self.child_words)
        form.addRow("Source", self.source)
        form.addRow("Date seen", self.seen_on)
        form.addRow(grade_box)
        if item is not None:
            for field in (self.picker, self.child_words, self.source, self.seen_on):
                if form.indexOf(field) >= 0:
                    form.setRowVisible(field, False)
        scroll = upright_scroll(self, content)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self.pages.setCurrentIndex)
        self.picker.search_changed.connect(self.search_changed)
        for part in (self.grade_source, self.grade_intelligence, self.grade_handling):
            part.changed.connect(self._on_grade_changed)
        if item is not None:
            self._load(item)
        self._on_grade_changed()
        self.setMinimumWidth(min(620, _available_width(parent)))
        _fit(self, 720, 640)

    def _load(self, item: ItemInfo) -> None:
        """Fill the fields with the item as recorded (a legacy grade stays as it is unless
        a new 3x5x2 grade is chosen)."""
        self.set_kind(item.kind)
        self.kind.setEnabled(False)
        d = item.details

        def words(key: str) -> str:
            value = d.get(key)
            if isinstance(value, (list, tuple)):
                return ", ".join(str(v) for v in value)
            return "" if value is None else str(value)

        fields = {ItemKind.PERSON: {"names": self.names, "nicknames": self.nicknames,
                             "description": self.person_description,
                             "vehicles": self.vehicles, "phones": self.phones,
                             "handles": self.handles},
                  ItemKind.PLACE: {"address": self.address, "description": self.place_description,
                            "area": self.area},
                  ItemKind.VEHICLE: {"registration": self.registration, "make": self.make,
                              "model": self.vehicle_model, "colour": self.colour,
                              "description": self.vehicle_description},
                  ItemKind.ONLINE: {"platform": self.platform, "handle": self.handle,
                             "description": self.online_description}}.get(item.kind, {})
        for key, edit in fields.items():
            edit.setText(words(key))
        if item.kind == ItemKind.PERSON and isinstance(d.get("estimated_age"), int):
            self.age.setValue(int(d["estimated_age"]))
        if item.kind == ItemKind.PLACE:
            self.place_type.setCurrentText(words("place_type"))
        self.text.setPlainText(item.text)
        if not item.grade.legacy:
            self.grade_source.set_code(item.grade.source)
            self.grade_intelligence.set_code(item.grade.intelligence)
            self.grade_handling.set_code(item.grade.handling)
        self.conditions.setText(item.handling_conditions)

    def set_kind(self, kind: str) -> None:
        """Start with the fields of one kind."""
        index = self.kind.findData(kind)
        if index >= 0:
            self.kind.setCurrentIndex(index)

    def grade(self) -> str | None:
        """The grade chosen, written S/I/H, or None until all three parts are chosen."""
        parts = (self.grade_source.code(), self.grade_intelligence.code(),
                 self.grade_handling.code())
        return "/".join(p for p in parts if p) if all(parts) else None

    def details(self) -> dict[str, Any]:
        """The kind's fields as the service takes them."""
        kind = str(self.kind.currentData())
        if kind == ItemKind.PERSON:
            return {"names": _split(self.names.text()), "nicknames": _split(self.nicknames.text()),
                    "description": self.person_description.text().strip(),
                    "estimated_age": self.age.value() or None,
                    "vehicles": _split(self.vehicles.text()),
                    "phones": _split(self.phones.text()), "handles": _split(self.handles.text())}
        if kind == ItemKind.PLACE:
            return {"address": self.address.text().strip(),
                    "description": self.place_description.text().strip(),
                    "place_type": self.place_type.currentText().strip(),
                    "area": self.area.text().strip()}
        if kind == ItemKind.VEHICLE:
            return {"registration": self.registration.text().strip(),
                    "make": self.make.text().strip(), "model": self.vehicle_model.text().strip(),
                    "colour": self.colour.text().strip(),
                    "description": self.vehicle_description.text().strip()}
        return {"platform": self.platform.text().strip(), "handle": self.handle.text().strip(),
                "description": self.online_description.text().strip()}

    def values(self) -> dict[str, Any]:
        """``kind``, ``child_id``, ``grade``, ``text``, ``details``, ``source``, ``seen_on``
        and ``handling_conditions``; empty (and the problem said) if something is missing.
        Changing an item: ``text``, ``details``, ``handling_conditions`` and ``grade`` (None
        to keep the grade it has)."""
        if self.item is not None:
            grade = self.grade()
            if grade is None and not self.item.grade.legacy:
                self.show_error("Grade the item: choose the source evaluation, the "
                                "intelligence assessment and the handling code.")
                return {}
            return {"text": self.text.toPlainText().strip(), "details": self.details(),
                    "grade": None if grade in (None, self.item.grade.text) else grade,
                    "handling_conditions": self.conditions.text().strip()}
        child_id = self.child[0] if self.child is not None else self.picker.child_id()
        if child_id is None:
            self.show_error("Choose the child this concerns: type part of their name and pick "
                            "them, or type their record number.")
            return {}
        grade = self.grade()
        if grade is None:
            self.show_error("Grade the item: choose the source evaluation, the intelligence "
                            "assessment and the handling code.")
            return {}
        seen = self.seen_on.value()
        if seen is None:
            self.show_error("Enter the date seen as day/month/year, no later than today.")
            return {}
        return {"kind": str(self.kind.currentData()), "child_id": child_id, "grade": grade,
                "text": self.text.toPlainText().strip(), "details": self.details(),
                "source": self.source.text().strip(), "seen_on": seen,
                "handling_conditions": self.conditions.text().strip()}

    def _on_grade_changed(self) -> None:
        conditional = self.grade_handling.code() == "C"
        self.conditions.setVisible(conditional)
        self.conditions_label.setVisible(conditional)
        grade = self.grade()
        if grade is None and self.item is not None and self.item.grade.legacy:
            self.grade_text.setText(f"Keeps its older 5x5x5 grade {self.item.grade.text} "
                                    "unless you choose all three parts of a 3x5x2 grade.")
            return
        if grade is None:
            self.grade_text.setText("Choose all three parts.")
            return
        source, intelligence, handling = grade.split("/")
        self.grade_text.setText(
            f"{grade}: source {SOURCE_WORDS[CURRENT][source]}; intelligence "
            f"{INTELLIGENCE_WORDS[CURRENT][intelligence]}; {HANDLING_WORDS[CURRENT][handling]}.")


def _available_width(parent: QWidget | None) -> int:
    screen = parent.screen() if parent is not None else None
    return screen.availableGeometry().width() - 40 if screen is not None else 620


def _fit(dialog: QDialog, width: int, height: int) -> None:
    """Size a dialog to ``width`` x ``height``, or less on a small (or scaled) screen: its
    contents scroll rather than run off the bottom."""
    screen = dialog.screen()
    if screen is not None:
        room = screen.availableGeometry()
        width, height = min(width, room.width() - 40), min(height, room.height() - 80)
    dialog.resize(width, height)


class LinkDialog(_Dialog):
    """Link an item to a child it concerns, with the source and the date seen."""

    search_changed = Signal(str)

    def __init__(self, label: str, parent: QWidget | None = None, *,
                 today: date | None = None) -> None:
        super().__init__("Link to a child", "Link", parent)
        today = today or date.today()
        what = QLabel(f"Link “{label}” to a child it concerns.", self)
        what.setWordWrap(True)
        self.picker = ChildPicker(self)
        self.source = _edit(self, "linkSource", "Source")
        self.seen_on = DateField(today, self)
        self.seen_on.line.setAccessibleName("Date seen")
        self.seen_on.set_date(today)
        holder = QWidget(self)
        form = record_form(holder)
        form.addRow("Child", self.picker)
        form.addRow("Source", self.source)
        form.addRow("Date seen", self.seen_on)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addWidget(holder)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.picker.search_changed.connect(self.search_changed)
        self.setMinimumWidth(min(460, _available_width(parent)))

    def values(self) -> dict[str, Any]:
        """``child_id``, ``source`` and ``seen_on``; empty if something is missing."""
        child_id = self.picker.child_id()
        if child_id is None:
            self.show_error("Choose the child: type part of their name and pick them, or type "
                            "their record number.")
            return {}
        seen = self.seen_on.value()
        if seen is None:
            self.show_error("Enter the date seen as day/month/year, no later than today.")
            return {}
        return {"child_id": child_id, "source": self.source.text().strip(), "seen_on": seen}


class ReasonDialog(_Dialog):
    """Keep an item for another period, or delete it: either needs the reason (audited)."""

    def __init__(self, title: str, ok: str, what: str, parent: QWidget | None = None) -> None:
        super().__init__(title, ok, parent)
        text = QLabel(what, self)
        text.setWordWrap(True)
        self.reason = _edit(self, "reason", "Reason")
        holder = QWidget(self)
        form = record_form(holder)
        form.addRow("Reason (recorded in the audit log)", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(holder)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(min(460, _available_width(parent)))

    def values(self) -> dict[str, Any]:
        """``reason``; empty (and the problem said) if none is given."""
        reason = " ".join(self.reason.text().split())
        if not reason:
            self.show_error("Give the reason: it is written to the audit log.")
            return {}
        return {"reason": reason}


class SubmitDialog(_Dialog):
    """Submit items to the police analyst: the items, and whether to save the submission
    form (PDF), an exchange package for the analyst, or both."""

    def __init__(self, items: Sequence[ItemInfo], parent: QWidget | None = None, *,
                 packages: bool = True) -> None:
        super().__init__("Submit to the analyst", "Save and record as sent", parent)
        self.setObjectName("intelSubmitDialog")
        self.items = list(items)
        banner = NotEvidenceBanner(self)
        listing = QListWidget(self)
        listing.setObjectName("submitItems")
        listing.setAccessibleName("Items to submit")
        listing.setWordWrap(True)
        for i in self.items:
            listing.addItem(f"{KIND_WORDS.get(i.kind, i.kind)}: {i.label} — {i.grade.text}"
                            + (" (restricted: handling conditions apply)" if i.restricted
                               else ""))
        listing.setMaximumHeight(140)
        self.pdf = QCheckBox("Save the submission form (PDF), laid out like the national form",
                             self)
        self.pdf.setObjectName("submitPdf")
        self.pdf.setChecked(True)
        self.package = QCheckBox("Save an exchange package for the analyst (encrypted to "
                                 "their certificate)", self)
        self.package.setObjectName("submitPackage")
        self.package.setVisible(packages)
        note = QLabel("Each file saved is recorded as a submission sent, with the items and "
                      "their grades.", self)
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(banner)
        layout.addWidget(QLabel(f"{len(self.items)} item(s):", self))
        layout.addWidget(listing)
        layout.addWidget(self.pdf)
        layout.addWidget(self.package)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(min(520, _available_width(parent)))

    def values(self) -> dict[str, Any]:
        """``item_ids``, ``pdf`` and ``package``; empty if neither form is chosen."""
        if not (self.pdf.isChecked() or self.package.isChecked()):
            self.show_error("Choose the submission form, the exchange package, or both.")
            return {}
        return {"item_ids": [i.id for i in self.items], "pdf": self.pdf.isChecked(),
                "package": self.package.isChecked()}
