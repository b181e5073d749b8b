"""Small reusable widgets: the level chip, a collapsible "what to look for" box, a flow layout,
radio buttons and check boxes whose text wraps, a message line that keeps its space, and the
skeleton of a page about one record."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, datetime

from PySide6.QtCore import (
    QDate,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCalendarWidget,
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QListView,
    QListWidget,
    QMainWindow,
    QMenu,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QStylePainter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from riskscreen.dates import show_date

#: Room left for the window manager's title bar and borders around a window's first size.
FRAME_ALLOWANCE = 60

__all__ = [
    "FRAME_ALLOWANCE",
    "DateField",
    "ExpandableText",
    "FlowLayout",
    "LevelChip",
    "MessageBanner",
    "MessageLabel",
    "ShownTabMinimum",
    "UprightScroll",
    "WrapCheckBox",
    "WrapRadioButton",
    "WrappingItemDelegate",
    "banner_over",
    "centred_card",
    "date_problem",
    "error_line",
    "fit_to_screen",
    "parse_date",
    "record_form",
    "record_label",
    "record_page",
    "text_colour_for",
    "upright_scroll",
]


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


#: Three numbers that look like a day, a month and a year, however they are separated.
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
FORMAT_ADVICE = "Enter the date as day/month/year, for example 14/02/2009."


def date_problem(text: str) -> str | None:
    """Why ``text`` is not a date, in a sentence that says what to do; None if it is one.

    A date typed the right way that does not exist (31/02/2012) is told apart from one typed
    the wrong way, so the practitioner checks the day rather than the format.
    """
    text = " ".join(text.split())
    if not text or parse_date(text) is not None:
        return None
    parts: tuple[int, int, int] | None = None
    if found := _DAY_MONTH_YEAR.fullmatch(text):
        parts = int(found[1]), int(found[2]), int(found[3])
    elif found := _YEAR_MONTH_DAY.fullmatch(text):
        parts = int(found[3]), int(found[2]), int(found[1])
    if parts is None:
        return FORMAT_ADVICE
    _, month, year = parts
    if not 1 <= month <= 12:
        return f"There is no month {month}: the month comes second, from 1 to 12."
    if year < 1:
        return "There is no year 0: check the year."
    days = calendar.monthrange(year, month)[1]
    return (f"The date {text} does not exist: {calendar.month_name[month]} {year} has "
            f"{days} days. Check the day.")


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
        # Room is kept for the problem, so the fields below do not jump when it shows.
        self.problem = MessageLabel(2, self)
        self.problem.setObjectName("missingNote")
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
        self.line.setText(show_date(value) if value else "")
        self._check()

    def set_read_only(self, read_only: bool) -> None:
        """Allow or prevent changes (a read-only date needs no room for a problem)."""
        self.line.setReadOnly(read_only)
        self.button.setEnabled(not read_only)
        self.problem.set_reserved(not read_only)

    def _check(self) -> None:
        text = self.line.text().strip()
        found = parse_date(text) if text else None
        message = ""
        if text and found is None:
            message = date_problem(text) or FORMAT_ADVICE
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


class FlowLayout(QLayout):
    """Items side by side, moving to the next line when the width runs out.

    Qt has no flow layout of its own. Answer buttons use it so that a narrow window (a small
    screen, or a large scale factor) puts them on two rows instead of pushing the last one out
    of sight behind a horizontal scrollbar.
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 18,
                 line_spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self._line_spacing = line_spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt's name
        """Take ownership of an item (``addWidget`` ends up here)."""
        self._items.append(item)

    def count(self) -> int:
        """How many items."""
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        """The item at ``index``, or None."""
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        """Remove and return the item at ``index``."""
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt's name
        """A flow never asks for more space than its items need."""
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        """The height depends on how many lines the width allows."""
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        """The height the items need at ``width``."""
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt's name
        """Place the items line by line."""
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Everything on one line."""
        margins = self.contentsMargins()
        visible = [i for i in self._items if not i.isEmpty()]
        width = sum(i.sizeHint().width() for i in visible)
        width += self._spacing * max(0, len(visible) - 1)
        height = max((i.sizeHint().height() for i in visible), default=0)
        return QSize(width + margins.left() + margins.right(),
                     height + margins.top() + margins.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt's name
        """As narrow as the widest single item allows."""
        margins = self.contentsMargins()
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        return QSize(size.width() + margins.left() + margins.right(),
                     size.height() + margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, apply: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            width = min(hint.width(), max(area.width(), item.minimumSize().width()))
            if item.hasHeightForWidth():
                height = item.heightForWidth(width)
            else:
                height = max(hint.height(), item.minimumSize().height())
            if x > area.x() and x + width > area.right() + 1:
                x = area.x()
                y += line_height + self._line_spacing
                line_height = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), QSize(width, height)))
            x += width + self._spacing
            line_height = max(line_height, height)
        return y + line_height - rect.y() + margins.bottom()


class _WrapButtonMixin:
    """Paints a radio button's or check box's text word-wrapped beside its indicator.

    ``QRadioButton`` and ``QCheckBox`` only ever draw one line, so a long answer either forces
    the whole form wider than the window or is cut off. Here the text wraps to the width the
    layout gives, the indicator stays beside the first line, and the whole area is clickable.
    """

    _indicator_metric: QStyle.PixelMetric
    _spacing_metric: QStyle.PixelMetric
    _control: QStyle.ControlElement
    #: The narrowest text column allowed before words are broken.
    MIN_TEXT_WIDTH = 90

    def _button(self) -> QAbstractButton:
        assert isinstance(self, QAbstractButton)
        return self

    def _text_left(self) -> int:
        b = self._button()
        style = b.style()
        return (style.pixelMetric(self._indicator_metric, None, b)
                + style.pixelMetric(self._spacing_metric, None, b) + 2)

    def _text_rect(self, width: int) -> QRect:
        b = self._button()
        flags = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft)
        available = max(1, width - self._text_left())
        return b.fontMetrics().boundingRect(QRect(0, 0, available, 100_000), flags, b.text())

    def _line_height(self) -> int:
        b = self._button()
        indicator = b.style().pixelMetric(self._indicator_metric, None, b)
        return max(b.fontMetrics().height(), indicator) + 2

    def _wrap_size_hint(self) -> QSize:
        b = self._button()
        one_line = b.fontMetrics().horizontalAdvance(b.text())
        return QSize(self._text_left() + one_line + 2, self._line_height())

    def _wrap_minimum_size_hint(self) -> QSize:
        b = self._button()
        words = b.text().split()
        longest = max((b.fontMetrics().horizontalAdvance(w) for w in words), default=0)
        one_line = b.fontMetrics().horizontalAdvance(b.text())
        text = min(one_line, max(longest, self.MIN_TEXT_WIDTH))
        # The height comes from heightForWidth; one line here keeps layouts from reserving
        # the height of the narrowest possible wrap.
        return QSize(self._text_left() + text + 2, self._line_height())

    def _wrap_height_for_width(self, width: int) -> int:
        b = self._button()
        text = self._text_rect(width).height()
        return max(self._line_height(), text + self._line_height() - b.fontMetrics().height())

    def _wrap_paint(self) -> None:
        b = self._button()
        painter = QStylePainter(b)
        option = QStyleOptionButton()
        b.initStyleOption(option)  # type: ignore[attr-defined]
        option.text = ""
        option.state &= ~QStyle.StateFlag.State_HasFocus
        option.rect = QRect(0, 0, self._text_left(), self._line_height())
        painter.drawControl(self._control, option)
        text_rect = QRect(self._text_left(), (self._line_height() - b.fontMetrics().height()) // 2,
                          b.width() - self._text_left(), b.height())
        flags = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft
                    | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextShowMnemonic)
        painter.drawItemText(text_rect, flags, b.palette(), b.isEnabled(), b.text(),
                             b.foregroundRole())
        if b.hasFocus():
            focus = QStyleOptionButton()
            focus.initFrom(b)
            used = b.fontMetrics().boundingRect(text_rect, flags, b.text())
            focus.rect = used.adjusted(-2, -1, 2, 1)
            painter.drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, focus)
        painter.end()

    def _wrap_setup(self) -> None:
        b = self._button()
        policy = b.sizePolicy()
        policy.setHeightForWidth(True)
        policy.setHorizontalPolicy(QSizePolicy.Policy.Preferred)
        # Not Fixed (the buttons' default): layouts would cap the height at one line.
        policy.setVerticalPolicy(QSizePolicy.Policy.Minimum)
        b.setSizePolicy(policy)

    # Qt's virtual methods, shared by both buttons (PySide6 finds overrides on a mixin).
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """All the text on one line."""
        return self._wrap_size_hint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Narrow enough to wrap at word boundaries."""
        return self._wrap_minimum_size_hint()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        """Wrapped text is taller when narrower."""
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        """The height the wrapped text needs at ``width``."""
        return self._wrap_height_for_width(width)

    def hitButton(self, pos: QPoint) -> bool:  # noqa: N802 - Qt's name
        """The text is part of the button, on every line."""
        return self._button().rect().contains(pos)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        """The indicator, then the wrapped text."""
        self._wrap_paint()


class WrapRadioButton(_WrapButtonMixin, QRadioButton):
    """A radio button whose text wraps instead of widening the form."""

    _indicator_metric = QStyle.PixelMetric.PM_ExclusiveIndicatorWidth
    _spacing_metric = QStyle.PixelMetric.PM_RadioButtonLabelSpacing
    _control = QStyle.ControlElement.CE_RadioButton

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._wrap_setup()


class WrapCheckBox(_WrapButtonMixin, QCheckBox):
    """A check box whose text wraps instead of widening the form."""

    _indicator_metric = QStyle.PixelMetric.PM_IndicatorWidth
    _spacing_metric = QStyle.PixelMetric.PM_CheckBoxLabelSpacing
    _control = QStyle.ControlElement.CE_CheckBox

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._wrap_setup()


class MessageLabel(QLabel):
    """A line for messages that keeps its space while empty, so nothing moves when one appears.

    Room is kept for ``lines`` lines of text; a longer message still wraps and grows.
    """

    def __init__(self, lines: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines = lines
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self._reserved = True
        self._reserve()

    def set_reserved(self, reserved: bool) -> None:
        """Keep the room while empty (the default), or let it go (nothing can go wrong)."""
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(reserved)
        self.setSizePolicy(policy)
        self._reserved = reserved
        if reserved:
            self._reserve()
        else:
            self.setMinimumHeight(0)

    def _reserve(self) -> None:
        margins = self.contentsMargins()
        self.setMinimumHeight(self.fontMetrics().lineSpacing() * self.lines
                              + margins.top() + margins.bottom() + 2)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """Keep the reserved height right when the font or style changes."""
        super().changeEvent(event)
        if self._reserved and event.type() in (QEvent.Type.FontChange,
                                               QEvent.Type.StyleChange):
            self._reserve()


class WrappingItemDelegate(QStyledItemDelegate):
    """List items as tall as their wrapped text at the list's current width.

    The default delegate measures an item once, at whatever width it meets first, and then
    cuts the text short with "…" when the list is narrower.
    """

    @classmethod
    def install(cls, view: QListWidget, padding: tuple[int, int] = (10, 6)) -> None:
        """Wrap a list's items to its width, laid out again whenever the width changes.

        ``padding`` is the room around each item's text (width, height) that the style or
        style sheet adds, in pixels.
        """
        view.setWordWrap(True)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setTextElideMode(Qt.TextElideMode.ElideNone)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        delegate = cls(view)
        delegate.spare_width, delegate.spare_height = padding
        view.setItemDelegate(delegate)

    spare_width = 10
    spare_height = 6

    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802 - Qt's name
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        """Wrapped to the viewport's width."""
        view = self.parent()
        if not isinstance(view, QListWidget):
            return super().sizeHint(option, index)
        width = max(40, view.viewport().width() - 2 * view.spacing())
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        # Measured a little narrower than the text will be drawn, so it never wraps more.
        used = option.fontMetrics.boundingRect(
            QRect(0, 0, max(20, width - self.spare_width), 100_000),
            int(Qt.TextFlag.TextWordWrap), text)
        return QSize(width, used.height() + self.spare_height)


def upright_scroll(parent: QWidget, content: QWidget, name: str = "",
                   accessible: str = "") -> QScrollArea:
    """A frameless area that scrolls ``content`` up and down, never sideways: the content is
    as wide as the area, so its text wraps instead."""
    scroll = QScrollArea(parent)
    if name:
        scroll.setObjectName(name)
    if accessible:
        scroll.setAccessibleName(accessible)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(content)
    return scroll


class _MinimumFirstLayout(QVBoxLayout):
    """A layout that says it has no height for width, so a resizable scroll area gives its
    content the room the viewport has (down to the content's minimum) rather than the
    content's preferred height, which would make it scroll while everything could fit."""

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        """Never: see the class."""
        return False


class UprightScroll(QScrollArea):
    """An area that scrolls a page's content up and down when the window is too short for
    it, and never sideways: it asks the window for the content's full minimum width, and
    for at most ``lines`` lines of its height, so a tall page fits a short screen.

    Meant for content of tables and short lines: a paragraph that wraps gets the height of
    its minimum size, not of its wrapped text."""

    def __init__(self, content: QWidget, parent: QWidget | None = None, *, name: str = "",
                 lines: int = 8) -> None:
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        self.lines = lines
        self.content = content
        holder = QWidget(self)
        fill = _MinimumFirstLayout(holder)
        fill.setContentsMargins(0, 0, 0, 0)
        fill.addWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(holder)

    def _content_minimum(self) -> QSize:
        inner = self.widget()
        if inner is None:
            return QSize(0, 0)
        return inner.minimumSizeHint().expandedTo(inner.minimumSize())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """The content's minimum width with room for the scroll bar; a few lines high."""
        need = self._content_minimum()
        frame = 2 * self.frameWidth()
        bar = self.verticalScrollBar().sizeHint().width()
        height = min(need.height(), self.fontMetrics().lineSpacing() * self.lines)
        return QSize(need.width() + bar + frame, height + frame)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """The content's preferred size, with room for the scroll bar."""
        inner = self.widget()
        if inner is None:
            return super().sizeHint()
        hint = inner.sizeHint().expandedTo(self._content_minimum())
        frame = 2 * self.frameWidth()
        return QSize(hint.width() + self.verticalScrollBar().sizeHint().width() + frame,
                     hint.height() + frame)


class ShownTabMinimum(QTabWidget):
    """Tabs that ask the window for the shown tab's minimum height, not the tallest tab's,
    so one tall tool (a report's chart) does not make every tab taller than a small screen.
    Put them in an :class:`UprightScroll` so a tab taller than the window scrolls."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(self._on_self_current_changed)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """As wide as the widest tab needs; as tall as the shown tab needs."""
        every = super().minimumSizeHint()
        page = self.currentWidget()
        stack = page.parentWidget() if page is not None else None
        if page is None or stack is None:
            return every
        chrome = every.height() - stack.minimumSizeHint().height()
        need = page.minimumSizeHint().expandedTo(page.minimumSize())
        return QSize(max(every.width(), need.width()), need.height() + chrome)

    def _on_self_current_changed(self, _index: int) -> None:
        self.updateGeometry()


def record_label(parent: QWidget, name: str = "") -> QLabel:
    """A label for one fact on a record page: it wraps, and its words can be selected."""
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


def record_form(box: QWidget) -> QFormLayout:
    """A form of facts in ``box`` whose long rows wrap under their label."""
    form = QFormLayout(box)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def error_line(parent: QWidget) -> MessageLabel:
    """A hidden line for why a step did not happen; it takes no room until it says something."""
    error = MessageLabel(1, parent)
    error.setObjectName("errorText")
    error.set_reserved(False)
    error.setVisible(False)
    return error


def record_page(page: QWidget, back: QPushButton, title: QLabel, buttons: Sequence[QWidget],
                content: QWidget, *, heading: Sequence[QWidget] = (),
                messages: Sequence[QWidget] = (), name: str = "",
                accessible: str = "") -> QScrollArea:
    """Lay out ``page`` as a page about one record and return its scroll area.

    From the top: ``back`` beside the ``title``; the ``heading`` lines (a banner or a status);
    the ``buttons`` in rows that wrap on a narrow window; the ``messages`` (done, error); and
    ``content``, which scrolls up and down only.
    """
    scroll = upright_scroll(page, content, name, accessible)
    top = QHBoxLayout()
    top.addWidget(back)
    top.addWidget(title, 1)
    row = QWidget(page)
    flow = FlowLayout(row, spacing=8)
    for button in buttons:
        flow.addWidget(button)
    layout = QVBoxLayout(page)
    layout.addLayout(top)
    for line in heading:
        layout.addWidget(line)
    layout.addWidget(row)
    for line in messages:
        layout.addWidget(line)
    layout.addWidget(scroll, 1)
    return scroll


class MessageBanner(QFrame):
    """A problem in plain words across the top of a window (see :func:`banner_over`) until
    dismissed: it never blocks, so the window stays usable while it shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self.setStyleSheet("QFrame#messageBanner { background: #fdecea; border: 1px solid "
                           "#b3261e; }")
        self.text = QLabel(self)
        self.text.setObjectName("messageBannerText")
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Message")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss = QPushButton("Dismiss", self)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(QLabel("⚠", self))
        row.addWidget(self.text, 1)
        row.addWidget(self.dismiss)
        self.setVisible(False)
        self.dismiss.clicked.connect(self.clear)

    def show_message(self, text: str) -> None:
        """Show ``text`` (replacing any message shown before)."""
        self.text.setText(text)
        self.setVisible(True)

    def clear(self) -> None:
        """Remove the message."""
        self.setVisible(False)
        self.text.clear()


def banner_over(window: QMainWindow, banner: QWidget, page: QWidget) -> None:
    """Make ``window``'s central area the message ``banner`` over its ``page``, edge to edge:
    the page takes all the height the banner, hidden until there is something to say, leaves."""
    central = QWidget(window)
    layout = QVBoxLayout(central)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(banner)
    layout.addWidget(page, 1)
    window.setCentralWidget(central)


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Give a window its first size, or, on a screen too small for it (a small laptop, or
    150 % scaling), the whole screen less room for the title bar, so none of it hangs off."""
    screen = window.screen() or QApplication.primaryScreen()
    room = screen.availableGeometry() if screen is not None else None
    if room is None or (room.width() >= width + FRAME_ALLOWANCE
                        and room.height() >= height + FRAME_ALLOWANCE):
        window.resize(width, height)
        return
    window.resize(min(width, room.width() - FRAME_ALLOWANCE),
                  min(height, room.height() - FRAME_ALLOWANCE))
    window.move(room.topLeft())


def centred_card(page: QWidget, width: int, *, above: int = 1, below: int = 2,
                 grow: int = 0) -> QVBoxLayout:
    """A framed card ``width`` wide, centred on ``page`` by stretches rather than alignment
    (word-wrapped labels then get their full height); returns the card's layout to fill."""
    card = QFrame(page)
    card.setFrameShape(QFrame.Shape.StyledPanel)
    card.setFixedWidth(width)
    inner = QVBoxLayout(card)
    inner.setContentsMargins(24, 24, 24, 24)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(card)
    row.addStretch(1)
    outer = QVBoxLayout(page)
    outer.addStretch(above)
    outer.addLayout(row, grow)
    outer.addStretch(below)
    return inner
