"""Lists of records held in memory: a table model with one record a row, and the filter for
a search box beside a chooser ("all kinds", "all statuses").

The received referrals and the intelligence items are listed this way; each says only what
its cells show and which words a search looks in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QTableWidget

__all__ = ["SORT_ROLE", "ChoiceAndWordsFilter", "RecordsModel", "filling", "read_only_table"]

ModelIndex = QModelIndex | QPersistentModelIndex

#: The role a cell answers with the key its column sorts by.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

RowT = TypeVar("RowT")
TableT = TypeVar("TableT", bound=QTableView)


def read_only_table(table: TableT, name: str, accessible: str = "", *, single: bool = True,
                    wrap: bool = False, alternating: bool = False) -> TableT:
    """Set ``table`` up to show records: whole rows chosen (one, or several when not
    ``single``), nothing edited, no row numbers, Tab moving on, never scrolling sideways."""
    table.setObjectName(name)
    if accessible:
        table.setAccessibleName(accessible)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(alternating)
    table.setTabKeyNavigation(False)
    table.setWordWrap(wrap)
    table.verticalHeader().setVisible(False)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return table


@contextmanager
def filling(table: QTableWidget) -> Iterator[QTableWidget]:
    """Fill ``table`` cell by cell with its columns held at their widths, then fit them once.

    A column sized to its contents is measured again after every cell set while the table is
    on screen, so thousands of rows (the audit log) would keep the window frozen for minutes.
    """
    header = table.horizontalHeader()
    modes = [header.sectionResizeMode(c) for c in range(header.count())]
    header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.setUpdatesEnabled(False)
    try:
        yield table
    finally:
        for column, mode in enumerate(modes):
            header.setSectionResizeMode(column, mode)
        table.setUpdatesEnabled(True)


class RecordsModel(QAbstractTableModel, Generic[RowT]):
    """Records as table rows, under the titles of :attr:`COLUMNS`."""

    COLUMNS: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[RowT] = []

    def set_rows(self, rows: Iterable[RowT]) -> None:
        """Show these records."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's name and signature
        """How many records are listed."""
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's name and signature
        """The columns of :attr:`COLUMNS`."""
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt's name
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.COLUMNS)):
            return self.COLUMNS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """What :meth:`cell` says for this cell and role."""
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        return self.cell(self.rows[index.row()], index.column(), role)

    def cell(self, row: RowT, column: int, role: int) -> Any:
        """The words of one cell, its sort key (:data:`SORT_ROLE`) or another role's value."""
        raise NotImplementedError

    def row_at(self, index: ModelIndex) -> RowT | None:
        """The record of a row."""
        return self.rows[index.row()] if index.isValid() and index.row() < len(self.rows) \
            else None


class ChoiceAndWordsFilter(QSortFilterProxyModel, Generic[RowT]):
    """The records whose chosen value matches (``None``: any) and whose words hold every word
    searched for, in any case; sorted by :data:`SORT_ROLE`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.choice: object = None
        self.words: list[str] = []
        self.setSortRole(SORT_ROLE)

    def set_filter(self, choice: object, text: str) -> None:
        """Show the records of ``choice`` (``None``: all) holding every word of ``text``."""
        self.beginFilterChange()
        self.choice = choice
        self.words = text.lower().split()
        self.endFilterChange()

    def choice_of(self, row: RowT) -> object:
        """The value the chooser picks records by."""
        raise NotImplementedError

    def words_of(self, row: RowT) -> str:
        """The words a search looks in."""
        raise NotImplementedError

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:  # noqa: N802 - Qt's name
        """Whether the record of this row is chosen and holds every word."""
        source = self.sourceModel()
        if not isinstance(source, RecordsModel) or source_row >= len(source.rows):
            return False
        row: RowT = source.rows[source_row]
        if self.choice is not None and self.choice_of(row) != self.choice:
            return False
        text = self.words_of(row).lower()
        return all(word in text for word in self.words)
