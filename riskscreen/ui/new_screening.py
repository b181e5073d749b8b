"""New screening: find the child's existing record, or create one after checking for
records that may be the same child (to avoid duplicates)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from riskscreen.dates import show_date
from riskscreen.services.types import ChildInfo
from riskscreen.ui.home import find_action
from riskscreen.ui.widgets import DateField, MessageLabel, WrappingItemDelegate

__all__ = ["NewScreeningView"]

def child_label(child: ChildInfo) -> str:
    """A child record as listed: name, date of birth and references."""
    parts = [child.name]
    if child.date_of_birth:
        parts.append("born " + show_date(child.date_of_birth))
    refs = ", ".join(f"{v}" for v in child.identifiers.values() if v)
    if refs:
        parts.append(f"ref. {refs}")
    return " · ".join(parts)


class NewScreeningView(QWidget):
    """Search for a child or create a record; emits the choice."""

    search_changed = Signal(str)
    child_chosen = Signal(int)
    create_requested = Signal(str, object, str)
    duplicate_check_requested = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newScreeningView")
        title = QLabel("New screening", self)
        title.setObjectName("pageTitle")
        intro = QLabel("First find the child's record, so that all of a child's screenings "
                       "stay together. If there is no record yet, create one below.", self)
        intro.setWordWrap(True)

        # Which questionnaire: shown only when more than one instrument is in use, so that
        # with one there is nothing more to choose.
        self.instrument_row = QWidget(self)
        self.instrument_label = QLabel("Questionnaire:", self.instrument_row)
        self.instrument = QComboBox(self.instrument_row)
        self.instrument.setObjectName("instrumentChoice")
        self.instrument.setAccessibleName("Questionnaire for this screening")
        self.instrument.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.instrument_label.setBuddy(self.instrument)
        row = QHBoxLayout(self.instrument_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.instrument_label)
        row.addWidget(self.instrument)
        row.addStretch(1)
        self.instrument_row.setVisible(False)

        find = QGroupBox("Find an existing record", self)
        self.search = QLineEdit(find)
        self.search.setObjectName("childSearch")
        self.search.setPlaceholderText("Type part of the child's name")
        self.search.setAccessibleName("Search child records by name")
        self.results = QListWidget(find)
        self.results.setObjectName("childResults")
        self.results.setAccessibleName("Child records found")
        WrappingItemDelegate.install(self.results)
        self.use_button = QPushButton("Start a screening for this child", find)
        self.use_button.setObjectName("useChild")
        self.use_button.setEnabled(False)
        f = QVBoxLayout(find)
        f.addWidget(self.search)
        f.addWidget(self.results, 1)
        f.addWidget(self.use_button, 0, Qt.AlignmentFlag.AlignRight)

        create = QGroupBox("Create a new record", self)
        self.name = QLineEdit(create)
        self.name.setObjectName("newChildName")
        self.name.setAccessibleName("Child's full name")
        self.name.setMaxLength(200)
        self.dob = DateField(date.today(), create)
        self.dob.setObjectName("newChildDob")
        self.dob.line.setAccessibleName("Date of birth, if known")
        self.reference = QLineEdit(create)
        self.reference.setObjectName("newChildReference")
        self.reference.setAccessibleName("Case or reference number")
        self.reference.setMaxLength(100)
        self.duplicates = QLabel(create)
        self.duplicates.setObjectName("duplicates")
        self.duplicates.setWordWrap(True)
        self.create_button = QPushButton("Create record and start", create)
        self.create_button.setObjectName("createChild")
        form = QFormLayout(create)
        form.addRow("Full name:", self.name)
        form.addRow("Date of birth:", self.dob)
        form.addRow("Case or reference number:", self.reference)
        # The warning goes under the button, so the button stays put when it appears.
        form.addRow(self.create_button)
        form.addRow(self.duplicates)

        self.error = MessageLabel(2, self)
        self.error.setObjectName("errorText")
        self.error.setVisible(False)
        self.cancel_button = QPushButton("Back to the list", self)
        columns = QHBoxLayout()
        columns.addWidget(find, 1)
        columns.addWidget(create, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.error, 1)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.instrument_row)
        layout.addLayout(columns, 1)
        layout.addLayout(bottom)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._dup_timer = QTimer(self)
        self._dup_timer.setSingleShot(True)
        self._dup_timer.setInterval(250)
        self._dup_timer.timeout.connect(self._on_dup_timer_timeout)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.name.textChanged.connect(self._on_name_text_changed)
        self.results.currentItemChanged.connect(self._on_results_current_item_changed)
        self.results.itemActivated.connect(self._on_use_button_clicked)
        self.use_button.clicked.connect(self._on_use_button_clicked)
        self.create_button.clicked.connect(self._on_create_button_clicked)
        self.cancel_button.clicked.connect(self.cancelled)
        self.find_action = find_action(self, self.search)

    def first_field(self) -> QWidget:
        """The cursor starts in the search for an existing record."""
        return self.search

    def reset(self) -> None:
        """Empty every field (a new start)."""
        for line in (self.search, self.name, self.reference):
            line.clear()
        self.dob.set_date(None)
        self.results.clear()
        self.duplicates.clear()
        self.error.setVisible(False)
        self.search.setFocus()

    def set_instruments(self, instruments: list[tuple[str, str]]) -> None:
        """The instruments in use, as (id, title); the choice shows only for two or more,
        and keeps the one chosen before when it is still offered."""
        before = self.chosen_instrument()
        self.instrument.clear()
        for instrument_id, title in instruments:
            self.instrument.addItem(title, instrument_id)
        index = self.instrument.findData(before) if before is not None else -1
        self.instrument.setCurrentIndex(max(index, 0) if instruments else -1)
        self.instrument_row.setVisible(len(instruments) > 1)

    def chosen_instrument(self) -> str | None:
        """The id of the instrument a new screening uses (None before any is known)."""
        found = self.instrument.currentData()
        return found if isinstance(found, str) else None

    def show_results(self, children: list[ChildInfo]) -> None:
        """The records matching the search."""
        self.results.clear()
        for child in children:
            item = QListWidgetItem(child_label(child))
            item.setData(Qt.ItemDataRole.UserRole, child.id)
            self.results.addItem(item)
        if not children and self.search.text().strip():
            self.results.addItem(QListWidgetItem("No record found with that name."))

    def show_duplicates(self, children: list[ChildInfo]) -> None:
        """Records with a similar name to the one being created."""
        if not children:
            self.duplicates.clear()
            return
        names = "; ".join(child_label(c) for c in children[:5])
        self.duplicates.setText(f"⚠ Records with a similar name already exist: {names}. If "
                                "one of them is this child, use the search on the left "
                                "instead of creating a second record.")

    def show_error(self, message: str) -> None:
        """A plain-words problem."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _on_search_text_changed(self, text: str) -> None:
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        self.search_changed.emit(self.search.text().strip())

    def _on_name_text_changed(self, text: str) -> None:
        self._dup_timer.start()

    def _on_dup_timer_timeout(self) -> None:
        text = self.name.text().strip()
        if len(text) >= 2:
            self.duplicate_check_requested.emit(text)
        else:
            self.duplicates.clear()

    def _on_results_current_item_changed(self, current: QListWidgetItem | None,
                                         previous: QListWidgetItem | None) -> None:
        self.use_button.setEnabled(
            current is not None and current.data(Qt.ItemDataRole.UserRole) is not None)

    def _on_use_button_clicked(self, *args: object) -> None:
        item = self.results.currentItem()
        if item is None:
            return
        child_id = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(child_id, int):
            self.child_chosen.emit(child_id)

    def _on_create_button_clicked(self) -> None:
        name = self.name.text().strip()
        if not name:
            self.show_error("Enter the child's name to create a record.")
            return
        if self.dob.line.text().strip() and self.dob.value() is None:
            self.show_error("Check the date of birth, or leave it empty if it is not known.")
            return
        self.create_requested.emit(name, self.dob.value(), self.reference.text().strip())
