"""Home: the list of screenings, fetched page by page from the service as the user scrolls.

The model never holds a database session: it is given a function that returns one
:class:`~riskscreen.services.Page` for a :class:`~riskscreen.services.ScreeningQuery`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from riskscreen.dates import show_date
from riskscreen.services.types import Page, ScreeningQuery, ScreeningRow, Status
from riskscreen.ui.followup import DuePanel
from riskscreen.ui.operations import QueryOp
from riskscreen.ui.tables import RecordsModel
from riskscreen.ui.widgets import text_colour_for

__all__ = ["HomeView", "LevelDelegate", "LevelStyle", "ScreeningListModel", "find_action"]

ModelIndex = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 200
STATUS_LABELS = {Status.DRAFT: "Draft", Status.FINAL: "Finalised"}
LEVEL_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class LevelStyle:
    """How a level id is shown: its word and its colour."""

    name: str
    colour: str


class ScreeningListModel(RecordsModel[ScreeningRow]):
    """Screenings, newest first with drafts first, fetched on demand in pages off the GUI
    thread.

    One page query runs at a time. A query asked for while another runs waits for it and
    then only the newest one asked for runs: a search typed word by word never queues a
    search for every word, and a result that is no longer wanted never replaces a newer one.
    The rows shown stay until the new ones have arrived; :attr:`loading` says they are due.
    """

    COLUMNS = ("Child", "Screening date", "Status", "Level", "Practitioner", "Last changed")
    #: True while a page is being fetched, False once it has arrived (or failed).
    loading_changed = Signal(bool)
    #: A query's first page has been shown (its rows replaced the earlier ones).
    loaded = Signal()

    def __init__(self, fetch: Callable[[ScreeningQuery], Page],
                 levels: dict[str, LevelStyle], parent: Any = None, *,
                 show: Callable[[str], None] = lambda _text: None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._show = show
        self.levels = levels
        self.query = ScreeningQuery(drafts_first=True, limit=PAGE_SIZE)
        self.total = 0
        #: Counts the queries asked for; a result of an older one is dropped.
        self._wanted = 0
        #: Whether a page query is running off the GUI thread.
        self._running = False
        #: The query whose rows are shown (None before the first has arrived).
        self._shown: int | None = None
        self._discarded = False

    @property
    def loading(self) -> bool:
        """Whether the first page of the query asked for last has yet to arrive."""
        return self._shown != self._wanted

    # -- paging --------------------------------------------------------------------------------

    def set_query(self, query: ScreeningQuery) -> None:
        """Start again with other filters; the rows arrive from the background."""
        self.query = replace(query, drafts_first=True, offset=0, limit=PAGE_SIZE)
        self._wanted += 1
        if not self._running:
            self._start_first_page()
        self.loading_changed.emit(True)

    def refresh(self) -> None:
        """Fetch the first page again (after a change)."""
        self.set_query(self.query)

    def discard(self) -> None:
        """Forget this list (its session is ending): a result still on its way is dropped."""
        self._discarded = True
        self._wanted += 1

    def _start_first_page(self) -> None:
        wanted, query = self._wanted, self.query
        self._run(wanted, lambda: self._fetch(query),
                  lambda page: self._first_page_arrived(wanted, page))

    def _run(self, wanted: int, fetch: Callable[[], Page],
             arrived: Callable[[Page], None]) -> None:
        self._running = True
        QueryOp(fetch, show=self._show, what="screenings list").success(arrived) \
            .failure(lambda error: self._fetch_failed(wanted)).run_in_background()

    def _still_wanted(self, wanted: int) -> bool:
        """After a query ended: whether its result is still wanted. If a newer query was
        asked for meanwhile, that one starts now."""
        self._running = False
        if self._discarded:
            return False
        if wanted != self._wanted:
            self._start_first_page()
            return False
        return True

    def _first_page_arrived(self, wanted: int, page: Page) -> None:
        if not self._still_wanted(wanted):
            return
        self.beginResetModel()
        self.rows = list(page.items)
        self.total = page.total
        self._shown = wanted
        self.endResetModel()
        self.loading_changed.emit(False)
        self.loaded.emit()

    def _fetch_failed(self, wanted: int) -> bool:
        """A query that failed: said (by the operation) only while it is still the one
        wanted; True (nothing to say) otherwise."""
        if not self._still_wanted(wanted):
            return True
        self._shown = wanted  # the earlier rows stay, and may be asked for again
        self.loading_changed.emit(False)
        return False

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: N802, B008 - Qt's name and signature
        """Whether more rows match than are loaded (and nothing is being fetched now)."""
        return (not parent.isValid() and not self._running and not self.loading
                and not self._discarded and len(self.rows) < self.total)

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: N802, B008 - Qt's name and signature
        """Load the next page in the background."""
        if parent.isValid() or not self.canFetchMore():
            return
        wanted, query = self._wanted, replace(self.query, offset=len(self.rows))
        self._run(wanted, lambda: self._fetch(query),
                  lambda page: self._next_page_arrived(wanted, query.offset, page))

    def _next_page_arrived(self, wanted: int, offset: int, page: Page) -> None:
        if not self._still_wanted(wanted) or offset != len(self.rows):
            return
        if not page.items:
            self.total = len(self.rows)
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page.items) - 1)
        self.rows.extend(page.items)
        self.total = page.total
        self.endInsertRows()

    # -- table ---------------------------------------------------------------------------------

    def level_text(self, level: str | None) -> str:
        """A level's word ("Not yet scored" for drafts)."""
        if level is None:
            return "Not yet finalised"
        style = self.levels.get(level)
        return style.name if style else level

    def cell(self, row: ScreeningRow, column: int, role: int) -> Any:
        """Cell text; the level column also gives its id for the chip delegate."""
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            values = (row.child_name, show_date(row.screening_date),
                      STATUS_LABELS.get(row.status, row.status)
                      + (" (amendment)" if row.amendment_of else ""),
                      self.level_text(row.level), row.practitioner, show_date(row.updated_at))
            return values[column]
        if role == LEVEL_ROLE and column == 3:
            return row.level
        if role == ROW_ROLE:
            return row
        return None


class LevelDelegate(QStyledItemDelegate):
    """Paints the level as a chip: its colour and, always, its word."""

    def __init__(self, levels: dict[str, LevelStyle], parent: Any = None) -> None:
        super().__init__(parent)
        self.levels = levels

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        """A rounded chip with the level's name."""
        level = index.data(LEVEL_ROLE)
        style = self.levels.get(level) if isinstance(level, str) else None
        if style is None:
            super().paint(painter, option, index)
            return
        widget = option.widget
        qstyle = widget.style() if widget is not None else None
        if qstyle is not None:
            qstyle.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter,
                                 widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = option.font
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        rect: QRect = option.rect
        width = min(rect.width() - 8, metrics.horizontalAdvance(style.name) + 20)
        height = min(rect.height() - 4, metrics.height() + 4)
        chip = QRect(rect.x() + 4, rect.y() + (rect.height() - height) // 2, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(style.colour))
        painter.drawRoundedRect(chip, height / 2, height / 2)
        painter.setPen(QColor(text_colour_for(style.colour)))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, style.name)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:  # noqa: N802 - Qt's name
        """Room for the chip."""
        size = super().sizeHint(option, index)
        return QSize(size.width() + 24, max(size.height(), 26))


def find_action(page: QWidget, field: QLineEdit) -> QAction:
    """Ctrl+F on ``page`` (while it is shown) puts the cursor in its search field."""
    action = QAction("Search", page)
    action.setShortcut(QKeySequence.StandardKey.Find)
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def find() -> None:
        field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        field.selectAll()

    action.triggered.connect(find)
    page.addAction(action)
    field.setToolTip(f"{field.accessibleName()} (Ctrl+F)")
    return action


class HomeView(QWidget):
    """The screenings list with search and filters, and the actions on a screening."""

    new_requested = Signal()
    open_requested = Signal(int)
    history_requested = Signal(int)
    query_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("homeView")
        title = QLabel("Screenings", self)
        title.setObjectName("pageTitle")
        self.greeting = QLabel(self)
        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search by name or reference")
        self.search.setAccessibleName("Search by name or reference")
        self.search.setClearButtonEnabled(True)
        self.status = QComboBox(self)
        self.status.setObjectName("statusFilter")
        self.status.setAccessibleName("Show screenings with status")
        self.status.addItem("All statuses", None)
        self.status.addItem("Drafts", Status.DRAFT)
        self.status.addItem("Finalised", Status.FINAL)
        self.level = QComboBox(self)
        self.level.setObjectName("levelFilter")
        self.level.setAccessibleName("Show screenings with level")
        self.level.addItem("All levels", None)
        self.new_button = QPushButton("New screening…", self)
        self.new_button.setObjectName("newScreening")
        self.open_button = QPushButton("Open", self)
        self.open_button.setObjectName("openScreening")
        self.history_button = QPushButton("Child's history", self)
        self.history_button.setObjectName("childHistory")
        self.table = QTableView(self)
        self.table.setObjectName("screenings")
        self.table.setAccessibleName("Screenings")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.setTabKeyNavigation(False)
        self.count = QLabel(self)
        self.count.setObjectName("screeningCount")
        #: Said over the empty list while it loads, or when nothing matches.
        self.placeholder = QLabel(self.table.viewport())
        self.placeholder.setObjectName("screeningsPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.placeholder.hide()
        over = QVBoxLayout(self.table.viewport())
        over.addWidget(self.placeholder)
        #: The screening highlighted before the list was refilled, highlighted again after.
        self._keep: int | None = None

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.greeting)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        filters.addWidget(self.status)
        filters.addWidget(self.level)
        actions = QHBoxLayout()
        actions.addWidget(self.new_button)
        actions.addWidget(self.open_button)
        actions.addWidget(self.history_button)
        actions.addStretch(1)
        actions.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        #: Each child's next screening, overdue first (filled by the controller).
        self.due = DuePanel(self)
        layout.addWidget(self.due)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(300)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.status.currentIndexChanged.connect(self._on_filter_changed)
        self.level.currentIndexChanged.connect(self._on_filter_changed)
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.history_button.clicked.connect(self._on_history_button_clicked)
        self.table.activated.connect(self._on_table_activated)
        self.find_action = find_action(self, self.search)

    def first_field(self) -> QWidget:
        """The cursor starts in the search."""
        return self.search

    def set_model(self, model: ScreeningListModel) -> None:
        """Show a list model; the level column is drawn as chips."""
        self.table.setModel(model)
        # One delegate at a time: the table owns each one, and the last sign-in's would stay.
        old = self.table.itemDelegateForColumn(3)
        self.table.setItemDelegateForColumn(3, LevelDelegate(model.levels, self.table))
        if isinstance(old, LevelDelegate):
            old.deleteLater()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.level.blockSignals(True)
        while self.level.count() > 1:
            self.level.removeItem(1)
        for level_id, style in model.levels.items():
            self.level.addItem(style.name, level_id)
        self.level.blockSignals(False)
        model.modelAboutToBeReset.connect(self._on_model_about_to_be_reset)
        model.modelReset.connect(self._on_model_reset)
        model.rowsInserted.connect(self._on_model_changed)
        model.loading_changed.connect(self._on_model_changed)
        self._on_model_changed()

    @property
    def loading(self) -> bool:
        """Whether the list shown is waiting for its screenings."""
        model = self.table.model()
        return isinstance(model, ScreeningListModel) and model.loading

    def current_query(self) -> ScreeningQuery:
        """The filters as the user set them."""
        return ScreeningQuery(status=self.status.currentData(), level=self.level.currentData(),
                              search=self.search.text().strip() or None, drafts_first=True)

    def selected(self) -> ScreeningRow | None:
        """The highlighted screening."""
        model = self.table.model()
        if not isinstance(model, ScreeningListModel):
            return None
        rows = self.table.selectionModel().selectedRows()
        return model.row_at(rows[0]) if rows else None

    def _on_model_changed(self, *args: object) -> None:
        model = self.table.model()
        if not isinstance(model, ScreeningListModel):
            return
        noun = "screening" if model.total == 1 else "screenings"
        self.count.setText("Loading…" if model.loading else f"{model.total:,} {noun}")
        self.table.setAccessibleDescription("Loading the screenings" if model.loading else "")
        if model.rows:
            self.placeholder.hide()
            return
        filtered = self.current_query() != ScreeningQuery(drafts_first=True)
        self.placeholder.setText(
            "Loading the screenings…" if model.loading
            else "No screenings match the search and filters." if filtered
            else "No screenings yet. Press “New screening…” to start one.")
        self.placeholder.show()

    def _on_model_about_to_be_reset(self) -> None:
        row = self.selected()
        self._keep = row.id if row is not None else None

    def _on_model_reset(self) -> None:
        """Highlight again the screening highlighted before, if the new rows hold it."""
        model = self.table.model()
        if isinstance(model, ScreeningListModel) and self._keep is not None:
            found = next((r for r, row in enumerate(model.rows) if row.id == self._keep), None)
            if found is not None:
                flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                         | QItemSelectionModel.SelectionFlag.Rows)
                self.table.selectionModel().setCurrentIndex(model.index(found, 0), flags)
        self._on_model_changed()

    def _on_search_text_changed(self, text: str) -> None:
        self._search_timer.start()

    def _on_search_timer_timeout(self) -> None:
        self.query_changed.emit(self.current_query())

    def _on_filter_changed(self, index: int) -> None:
        self.query_changed.emit(self.current_query())

    def _on_open_button_clicked(self) -> None:
        row = self.selected()
        if row is not None:
            self.open_requested.emit(row.id)

    def _on_history_button_clicked(self) -> None:
        row = self.selected()
        if row is not None:
            self.history_requested.emit(row.child_id)

    def _on_table_activated(self, index: QModelIndex) -> None:
        model = self.table.model()
        if isinstance(model, ScreeningListModel):
            row = model.row_at(index)
            if row is not None:
                self.open_requested.emit(row.id)
