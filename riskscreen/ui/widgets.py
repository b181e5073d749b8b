"""Small reusable widgets: the level chip and a collapsible "what to look for" box."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

__all__ = ["DateField", "ExpandableText", "LevelChip", "parse_date", "text_colour_for"]


def text_colour_for(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``)."""
    value = background.lstrip("#")
    try:
        r, g, b = (int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))
    except (ValueError, IndexError):
        return "#000000"

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)

    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    # Contrast against white vs against black (WCAG formula); pick the larger.
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


class LevelChip(QLabel):
    """A risk level as a coloured chip that always carries the level's word too.

    Colour is never the only signal: the chip's text is the level name.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("levelChip")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.level_id: str | None = None
        self.clear_level()

    def set_level(self, level_id: str, name: str, colour: str, prefix: str = "") -> None:
        """Show a level: its name on its colour."""
        self.level_id = level_id
        self.setText(f"{prefix}{name}")
        fg = text_colour_for(colour)
        self.setStyleSheet(
            f"QLabel#levelChip {{ background: {colour}; color: {fg}; border-radius: 9px;"
            " padding: 2px 10px; font-weight: bold; }")
        self.setAccessibleName(f"Level: {name}")

    def clear_level(self, text: str = "No level yet") -> None:
        """Show that there is no level (for example a draft without a score)."""
        self.level_id = None
        self.setText(text)
        self.setStyleSheet(
            "QLabel#levelChip { border: 1px solid palette(mid); border-radius: 9px;"
            " padding: 2px 10px; }")
        self.setAccessibleName(text)


class ExpandableText(QWidget):
    """A button that shows or hides a block of guidance text ("What to look for")."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton(self)
        self.toggle.setText(f"{title}")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setAccessibleName(title)
        self.body = QLabel(text, self)
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setObjectName("helpText")
        self.body.setAccessibleName(title)
        self.body.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self.toggle.toggled.connect(self._on_toggle_toggled)

    def _on_toggle_toggled(self, checked: bool) -> None:
        self.body.setVisible(checked)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if checked else Qt.ArrowType.RightArrow)


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y", "%Y-%m-%d")


def parse_date(text: str) -> date | None:
    """A date typed as day/month/year (or ISO); None if it is not one."""
    text = " ".join(text.split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


class DateField(QWidget):
    """A date typed as dd/mm/yyyy, with a calendar to pick from; never later than ``latest``.

    Typing is plain text (a spin-box date editor fights partial input); the text is checked
    when the field is left and a problem is said in words under it.
    """

    edited = Signal()
    finished = Signal()

    def __init__(self, latest: date | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.latest = latest
        self.line = QLineEdit(self)
        self.line.setPlaceholderText("dd/mm/yyyy")
        self.line.setMaxLength(10)
        self.line.setMaximumWidth(140)
        self.button = QPushButton("Calendar", self)
        self.button.setAccessibleName("Choose the date from a calendar")
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.calendar.setAccessibleName("Calendar")
        if latest is not None:
            self.calendar.setMaximumDate(QDate(latest.year, latest.month, latest.day))
        menu = QMenu(self.button)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        self.button.setMenu(menu)
        self.problem = QLabel(self)
        self.problem.setObjectName("missingNote")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.line)
        row.addWidget(self.button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        self.setFocusProxy(self.line)
        self.line.textEdited.connect(self._on_line_text_edited)
        self.line.editingFinished.connect(self._on_line_editing_finished)
        self.calendar.clicked.connect(self._on_calendar_clicked)

    def value(self) -> date | None:
        """The date entered, or None if the field is empty or not a valid date."""
        text = self.line.text().strip()
        if not text:
            return None
        found = parse_date(text)
        if found is None or (self.latest is not None and found > self.latest):
            return None
        return found

    def set_date(self, value: date | None) -> None:
        """Show a date (or nothing) without signals."""
        self.line.setText(value.strftime("%d/%m/%Y") if value else "")
        self._check()

    def set_read_only(self, read_only: bool) -> None:
        """Allow or prevent changes."""
        self.line.setReadOnly(read_only)
        self.button.setEnabled(not read_only)

    def _check(self) -> None:
        text = self.line.text().strip()
        found = parse_date(text) if text else None
        message = ""
        if text and found is None:
            message = "Enter the date as day/month/year, for example 14/02/2009."
        elif found is not None and self.latest is not None and found > self.latest:
            message = "The date cannot be after the screening date."
        self.problem.setText(f"⚠ {message}" if message else "")
        self.problem.setVisible(bool(message))

    def _on_line_text_edited(self, text: str) -> None:
        self.problem.setVisible(False)
        self.edited.emit()

    def _on_line_editing_finished(self) -> None:
        self._check()
        self.finished.emit()

    def _on_calendar_clicked(self, value: QDate) -> None:
        self.line.setText(value.toString("dd/MM/yyyy"))
        menu = self.button.menu()
        if menu is not None:
            menu.hide()
        self._check()
        self.finished.emit()
