"""Tables filled cell by cell stay responsive: a column sized to its contents is measured once
after the fill, not again after every cell set (the administrator's audit log holds
thousands of entries, and the window froze for minutes while it filled)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem
from pytestqt.qtbot import QtBot

from riskscreen.ui.admin.views import AdminWindow
from riskscreen.ui.tables import filling

ROWS = 60
CELLS = ("42", "30/11/2026 10:00", "pat", "saved an answer", "screening 12",
         '{"question": "older_associates"}')


class _CountingItem(QTableWidgetItem):
    """A cell that counts how often its text is read (to measure or paint it)."""

    reads = 0

    def data(self, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            _CountingItem.reads += 1
        return super().data(role)


def _audit_table_on_screen(qtbot: QtBot) -> tuple[AdminWindow, QTableWidget]:
    window = AdminWindow()
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    window.tabs.setCurrentWidget(window.audit)
    qtbot.waitExposed(window)
    return window, window.audit.table


def _fill(table: QTableWidget) -> None:
    table.setRowCount(ROWS)
    for r in range(ROWS):
        for c, text in enumerate(CELLS):
            table.setItem(r, c, _CountingItem(text))


def test_filling_the_shown_audit_table_reads_each_cell_a_few_times_not_once_per_cell_set(
        qtbot: QtBot) -> None:
    _window, table = _audit_table_on_screen(qtbot)
    with filling(table):
        _fill(table)  # the entries shown when the window opened
    qtbot.wait(10)
    _CountingItem.reads = 0
    with filling(table):  # the entries again, after a check of the chain or a new filter
        _fill(table)
    qtbot.wait(10)
    # Refilled cell by cell with its columns fitted to their contents, every cell was read
    # again after each cell set (about 100,000 reads here), so the time grew as a square.
    assert _CountingItem.reads < 10 * ROWS * len(CELLS)


def test_after_filling_the_columns_fit_their_contents_again(qtbot: QtBot) -> None:
    _window, table = _audit_table_on_screen(qtbot)
    header = table.horizontalHeader()
    modes = [header.sectionResizeMode(c) for c in range(header.count())]
    with filling(table):
        _fill(table)
    assert [header.sectionResizeMode(c) for c in range(header.count())] == modes
    assert modes[0] == QHeaderView.ResizeMode.ResizeToContents
    assert table.updatesEnabled()
    qtbot.waitUntil(lambda: header.sectionSize(3) >= table.sizeHintForColumn(3))
