"""One answer editor per question type, built from the question's definition.

Every editor has the same small interface: ``value()``, ``set_value(value)`` (which does not
emit), ``set_read_only(flag)``, ``flush()`` (emit typing still waiting to be given out) and the
``value_changed(value)`` signal. ``None`` always means "not answered".

Editors of typed text also say whether they hold typing not yet given out (``pending()``) or
text that cannot be saved as it is (``problem()``), and emit ``save_state_changed`` when that
changes, so the save status never says "saved" over unsaved typing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from riskscreen.forms.answers import (
    DEFAULT_LONG_TEXT_LIMIT,
    DEFAULT_TEXT_LIMIT,
    EVIDENCE_DETAILS_LIMIT,
    EVIDENCE_SOURCE_LIMIT,
)
from riskscreen.forms.model import NOT_KNOWN, Question, QuestionType
from riskscreen.ui.widgets import (
    DateField,
    FlowLayout,
    WrapCheckBox,
    WrapRadioButton,
    date_problem,
)

__all__ = [
    "INDICATOR_CHOICES",
    "PRESENT_VALUES",
    "SAVE_WITHIN_MS",
    "TIME_WINDOW_CHOICES",
    "AnswerEditor",
    "EvidenceEditor",
    "editor_for",
    "present_values",
    "time_window_choices",
]

#: (answer word, label, shortcut key) for yes/no/not-known indicators.
INDICATOR_CHOICES = (
    ("yes", "Yes", Qt.Key.Key_Y),
    ("no", "No", Qt.Key.Key_N),
    (NOT_KNOWN, "Not known", Qt.Key.Key_K),
)
#: Shortcut keys of a time-window question's answers, in order: not present, recent, older,
#: both, not known (the words come from the form's time windows).
TIME_WINDOW_KEYS = (Qt.Key.Key_N, Qt.Key.Key_R, Qt.Key.Key_O, Qt.Key.Key_B, Qt.Key.Key_K)


def time_window_choices(question: Question) -> list[tuple[str, str, Qt.Key | None]]:
    """(answer word, label, shortcut key) for a time-window question of its form."""
    labels = question.windows.short_labels()
    return [(value, labels[value], key)
            for value, key in zip(question.windows.values(), TIME_WINDOW_KEYS, strict=True)]


#: (answer word, label, shortcut key) for time-window indicators of the default windows.
TIME_WINDOW_CHOICES = tuple(time_window_choices(Question(id="q", text="q", kind="context",
                                                         type=QuestionType.TIME_WINDOW)))


def present_values(question: Question) -> frozenset[str]:
    """Answers that mean a sign is present, so the evidence behind it is asked for."""
    return frozenset({"yes", *question.windows.present_ids()})


#: Answers that mean a sign is present, for the default windows.
PRESENT_VALUES = frozenset({"yes", "recent", "older", "both"})

#: Typing is given out to be saved this long after the first key not yet saved, even while
#: the typing goes on (and at once when the field loses focus), so a crash loses at most the
#: last second of typing.
SAVE_WITHIN_MS = 500


def _key_name(key: Qt.Key) -> str:
    return chr(int(key.value)) if int(key.value) < 0x110000 else "?"


class AnswerEditor(QWidget):
    """Base of every editor: an answer in, an answer out, and a signal when it changes."""

    value_changed = Signal(object)
    save_state_changed = Signal()

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self.setAccessibleName(question.text)

    def value(self) -> Any:
        """The current answer, or ``None`` if not answered."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show an answer without emitting ``value_changed``."""
        raise NotImplementedError

    def set_read_only(self, read_only: bool) -> None:
        """Allow or prevent changes (finalised screenings are read-only)."""
        self.setEnabled(not read_only)

    def flush(self) -> None:
        """Emit any typing still waiting to be given out."""

    def pending(self) -> bool:
        """True while typing waits to be given out (it will be within a second)."""
        return False

    def problem(self) -> str | None:
        """Why what is shown cannot be saved as it is (for example half a date), or None."""
        return None

    def focus_target(self) -> QWidget:
        """The widget that takes focus for this question (the inner field if there is one)."""
        proxy = self.focusProxy()
        return proxy if proxy is not None else self


def _in_columns(widgets: list[QWidget], columns: int) -> QHBoxLayout:
    """Widgets down ``columns`` columns, filled column by column so that the reading order
    matches the tab order. Box layouts (unlike grids) give wrapped text its full height."""
    rows = max(1, (len(widgets) + columns - 1) // columns)
    outer = QHBoxLayout()
    outer.setContentsMargins(0, 0, 0, 0)
    outer.setSpacing(18)
    for start in range(0, len(widgets), rows):
        column = QVBoxLayout()
        column.setSpacing(4)
        for widget in widgets[start:start + rows]:
            column.addWidget(widget)
        column.addStretch(1)
        outer.addLayout(column, 1)
    return outer


class ChoiceButtons(AnswerEditor):
    """Radio buttons, one per answer, with single-key shortcuts while focus is inside.

    ``columns=0`` lets short answers flow side by side and onto a second row when the window
    is narrow; otherwise they sit in columns. Long answers wrap either way.
    """

    def __init__(self, question: Question, choices: list[tuple[str, str, Qt.Key | None]],
                 columns: int, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QRadioButton] = {}
        self._keys: dict[int, str] = {}
        created: list[QWidget] = []
        for i, (value, label, key) in enumerate(choices):
            button = WrapRadioButton(label, self)
            button.setObjectName(f"{question.id}__{value}")
            button.setAccessibleName(label)
            button.setAccessibleDescription(question.text)
            if key is not None:
                self._keys[int(key.value)] = value
                button.setToolTip(f"Press {_key_name(key)} to choose “{label}”")
            self.group.addButton(button, i)
            self.buttons[value] = button
            created.append(button)
        if columns:
            self.setLayout(_in_columns(created, columns))
        else:
            flow = FlowLayout(self)
            for widget in created:
                flow.addWidget(widget)
        self.group.buttonClicked.connect(self._on_group_button_clicked)

    def _on_group_button_clicked(self, button: QAbstractButton) -> None:
        self.value_changed.emit(self.value())

    def value(self) -> Any:
        for value, button in self.buttons.items():
            if button.isChecked():
                return value
        return None

    def set_value(self, value: Any) -> None:
        self.group.setExclusive(False)
        for key, button in self.buttons.items():
            button.setChecked(key == value)
        self.group.setExclusive(True)

    def choose(self, value: str | None) -> None:
        """Choose an answer as the user would (emits ``value_changed``)."""
        if value == self.value():
            return
        self.set_value(value)
        if value is not None:
            self.buttons[value].setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.value_changed.emit(self.value())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Single keys answer the question (Y, N, K ...); Delete clears the answer."""
        key = event.key()
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            super().keyPressEvent(event)
        elif key in self._keys and self.isEnabled():
            self.choose(self._keys[key])
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.isEnabled():
            self.choose(None)
        else:
            super().keyPressEvent(event)

    def focus_target(self) -> QWidget:
        checked = self.group.checkedButton()
        return checked if checked is not None else next(iter(self.buttons.values()))


class ComboChoice(AnswerEditor):
    """A drop-down list for single-choice questions with many options."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.combo = QComboBox(self)
        self.combo.setAccessibleName(question.text)
        self.combo.view().setAccessibleName(f"Choices for: {question.text}")
        self.combo.addItem("Choose…", None)
        for option in question.options or []:
            self.combo.addItem(option.label, option.id)
            if option.help:
                self.combo.setItemData(self.combo.count() - 1, option.help,
                                       Qt.ItemDataRole.ToolTipRole)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addStretch(1)
        self.setFocusProxy(self.combo)
        self.combo.activated.connect(self._on_combo_activated)

    def _on_combo_activated(self, index: int) -> None:
        self.value_changed.emit(self.value())

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        index = self.combo.findData(value) if value is not None else 0
        self.combo.setCurrentIndex(max(0, index))


class MultipleChoice(AnswerEditor):
    """Check boxes, one per option; the answer is the list of ticked option ids."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.boxes: dict[str, QCheckBox] = {}
        options = question.options or []
        for option in options:
            box = WrapCheckBox(option.label, self)
            box.setObjectName(f"{question.id}__{option.id}")
            box.setAccessibleName(option.label)
            box.setAccessibleDescription(question.text)
            if option.help:
                box.setToolTip(option.help)
            self.boxes[option.id] = box
            box.toggled.connect(self._on_box_toggled)
        self.setLayout(_in_columns(list(self.boxes.values()), 2 if len(options) > 4 else 1))

    def _on_box_toggled(self, checked: bool) -> None:
        self.value_changed.emit(self.value())

    def value(self) -> Any:
        ticked = [oid for oid, box in self.boxes.items() if box.isChecked()]
        return ticked or None

    def set_value(self, value: Any) -> None:
        chosen = set(value or [])
        for oid, box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(oid in chosen)
            box.blockSignals(False)

    def focus_target(self) -> QWidget:
        return next(iter(self.boxes.values()))


class NumberEditor(AnswerEditor):
    """A whole number within the question's bounds; blank means not answered."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.spin = QSpinBox(self)
        self.spin.setAccessibleName(question.text)
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else 1_000_000
        # One below the minimum is shown as "Not answered".
        self.spin.setRange(low - 1, high)
        self.spin.setSpecialValueText("Not answered")
        self.spin.setValue(low - 1)
        self.spin.setMinimumWidth(140)
        self.spin.setToolTip(f"A whole number from {low} to {high}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin)
        layout.addStretch(1)
        self.setFocusProxy(self.spin)
        self.spin.valueChanged.connect(self._on_spin_value_changed)

    def _on_spin_value_changed(self, value: int) -> None:
        self.value_changed.emit(self.value())

    def value(self) -> Any:
        v = self.spin.value()
        return None if v == self.spin.minimum() else v

    def set_value(self, value: Any) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(self.spin.minimum() if value is None else int(value))
        self.spin.blockSignals(False)

    def set_read_only(self, read_only: bool) -> None:
        self.spin.setReadOnly(read_only)


class _Debounced(AnswerEditor):
    """Text editors: typing is given out within :data:`SAVE_WITHIN_MS` of its first key, and at
    once on leaving the field; the timer is not restarted by later keys, so steady typing is
    saved as it goes rather than only at a pause."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_WITHIN_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._sent: Any = None
        self._reported: tuple[bool, str | None] = (False, None)

    def _typed(self) -> None:
        if not self._timer.isActive():
            self._timer.start()
        self._report()

    def _on_timer_timeout(self) -> None:
        self._emit_if_changed()

    def _acceptable(self) -> bool:
        """Whether what is shown can be given out as an answer."""
        return True

    def _emit_if_changed(self) -> None:
        self._timer.stop()
        if self._acceptable():
            value = self.value()
            if value != self._sent:
                self._sent = value
                self.value_changed.emit(value)
        self._report()

    def _shown(self) -> None:
        """A stored answer is shown: nothing is waiting to be saved."""
        self._timer.stop()
        self._sent = self.value()
        self._report()

    def _report(self) -> None:
        state = (self.pending(), self.problem())
        if state != self._reported:
            self._reported = state
            self.save_state_changed.emit()

    def flush(self) -> None:
        if self._timer.isActive():
            self._emit_if_changed()

    def pending(self) -> bool:
        return self._timer.isActive()


class DateEditor(_Debounced):
    """A date typed as day/month/year or picked from a calendar; no future dates unless the
    question allows them."""

    def __init__(self, question: Question, screening_date: date,
                 parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.field = DateField(None if question.allow_future else screening_date, self)
        self.field.line.setAccessibleName(question.text)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        self.setFocusProxy(self.field.line)
        self.field.edited.connect(self._typed)
        self.field.finished.connect(self._emit_if_changed)

    def value(self) -> Any:
        found = self.field.value()
        return found.isoformat() if found is not None else None

    def set_value(self, value: Any) -> None:
        self.field.set_date(date.fromisoformat(str(value)) if value else None)
        self._shown()

    def _acceptable(self) -> bool:
        # Half a date or an impossible one is not saved (nor does it clear the saved date):
        # the status says it is not saved yet until it is a whole date or empty.
        return not self.field.line.text().strip() or self.field.value() is not None

    def problem(self) -> str | None:
        if self._acceptable():
            return None
        problem = date_problem(self.field.line.text())
        if problem is None:  # a whole date, but after the screening date
            return "the date cannot be after the screening date"
        return problem[0].lower() + problem[1:].rstrip(".")

    def set_read_only(self, read_only: bool) -> None:
        self.field.set_read_only(read_only)


class TextEditor(_Debounced):
    """One line of text."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.line = QLineEdit(self)
        self.line.setAccessibleName(question.text)
        self.line.setMaxLength(question.max_length or DEFAULT_TEXT_LIMIT)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line)
        self.setFocusProxy(self.line)
        self.line.textEdited.connect(self._on_line_text_edited)
        self.line.editingFinished.connect(self._on_line_editing_finished)

    def _on_line_text_edited(self, text: str) -> None:
        self._typed()

    def _on_line_editing_finished(self) -> None:
        self._emit_if_changed()

    def value(self) -> Any:
        text = self.line.text()
        return text if text.strip() else None

    def set_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))
        self._shown()

    def set_read_only(self, read_only: bool) -> None:
        self.line.setReadOnly(read_only)


class _PlainText(QPlainTextEdit):
    """A plain text box where Tab moves to the next field instead of typing a tab, and that
    keeps at most ``limit`` characters (typing or pasting more stops there and says so)."""

    focus_lost = Signal()
    limit_reached = Signal(bool)

    def __init__(self, parent: QWidget | None = None, limit: int = 0) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.limit = limit
        if limit:
            self.textChanged.connect(self._on_self_text_changed)

    def _on_self_text_changed(self) -> None:
        text = self.toPlainText()
        over = len(text) > self.limit
        if over:
            self.blockSignals(True)
            self.setPlainText(text[: self.limit])
            self.blockSignals(False)
            self.moveCursor(QTextCursor.MoveOperation.End)
        self.limit_reached.emit(over or len(text) == self.limit)

    def focusOutEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """Report leaving the box so the answer is saved at once."""
        super().focusOutEvent(event)
        self.focus_lost.emit()


def _limit_note(limit: int, parent: QWidget) -> QLabel:
    """The note shown under a text box once its limit is reached."""
    note = QLabel(f"This box keeps up to {limit:,} characters; anything beyond that was not "
                  "added.", parent)
    note.setObjectName("limit_note")
    note.setWordWrap(True)
    note.hide()
    return note


class LongTextEditor(_Debounced):
    """Several lines of text, limited to the question's length."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.limit = question.max_length or DEFAULT_LONG_TEXT_LIMIT
        self.box = _PlainText(self, self.limit)
        self.box.setAccessibleName(question.text)
        self.box.setMinimumHeight(70)
        self.box.setMaximumHeight(140)
        self.limit_note = _limit_note(self.limit, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        layout.addWidget(self.limit_note)
        self.setFocusProxy(self.box)
        self.box.textChanged.connect(self._on_box_text_changed)
        self.box.limit_reached.connect(self.limit_note.setVisible)
        self.box.focus_lost.connect(self._on_box_focus_lost)

    def _on_box_text_changed(self) -> None:
        self._typed()

    def _on_box_focus_lost(self) -> None:
        self._emit_if_changed()

    def value(self) -> Any:
        text = self.box.toPlainText()
        return text if text.strip() else None

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        self.box.setPlainText("" if value is None else str(value))
        self.box.blockSignals(False)
        self._shown()

    def set_read_only(self, read_only: bool) -> None:
        self.box.setReadOnly(read_only)


BASIS_CHOICES = (
    ("observed", "Seen or heard directly"),
    ("reported", "Reported by someone else"),
    ("concern", "Professional concern"),
)


class EvidenceEditor(QWidget):
    """What lies behind a "yes": the basis, what was seen or heard, and its source."""

    evidence_changed = Signal(object)
    save_state_changed = Signal()

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self.setObjectName("evidence")
        prompt = question.evidence.prompt if question.evidence else "What is this based on?"
        self.prompt = QLabel(prompt, self)
        self.prompt.setWordWrap(True)
        self.group = QButtonGroup(self)
        self.basis: dict[str, QRadioButton] = {}
        row = FlowLayout()
        for value, label in BASIS_CHOICES:
            button = WrapRadioButton(label, self)
            button.setObjectName(f"{question.id}__basis_{value}")
            button.setAccessibleName(label)
            button.setAccessibleDescription(f"What the answer to “{question.text}” is based on")
            self.group.addButton(button)
            self.basis[value] = button
            row.addWidget(button)
        self.details = _PlainText(self, EVIDENCE_DETAILS_LIMIT)
        self.details.setObjectName(f"{question.id}__details")
        self.details.setAccessibleName(f"Evidence: {prompt}")
        self.details.setPlaceholderText("What was seen or heard, by whom, and when")
        self.details.setMaximumHeight(70)
        self.source = QLineEdit(self)
        self.source.setObjectName(f"{question.id}__source")
        self.source.setAccessibleName("Source of the information")
        self.source.setPlaceholderText("Source, for example a police report or a teacher")
        self.source.setMaxLength(EVIDENCE_SOURCE_LIMIT)
        self.limit_note = _limit_note(EVIDENCE_DETAILS_LIMIT, self)
        self.details.limit_reached.connect(self.limit_note.setVisible)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 4, 0, 4)
        layout.addWidget(self.prompt)
        layout.addLayout(row)
        layout.addWidget(self.details)
        layout.addWidget(self.limit_note)
        layout.addWidget(self.source)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_WITHIN_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._sent: Any = None
        self._reported: tuple[bool, str | None] = (False, None)
        self.group.buttonClicked.connect(self._on_group_button_clicked)
        self.details.textChanged.connect(self._on_text_changed)
        self.source.textEdited.connect(self._on_text_changed)
        self.details.focus_lost.connect(self._on_timer_timeout)
        self.source.editingFinished.connect(self._on_timer_timeout)

    def value(self) -> dict[str, Any] | None:
        """The evidence record as the service takes it, or None until a basis is chosen."""
        chosen = next((v for v, b in self.basis.items() if b.isChecked()), None)
        if chosen is None:
            return None
        return {"basis": chosen, "details": self.details.toPlainText().strip(),
                "source": self.source.text().strip()}

    def set_value(self, value: dict[str, Any] | None) -> None:
        """Show a stored record without emitting."""
        self.group.setExclusive(False)
        for key, button in self.basis.items():
            button.setChecked(value is not None and value.get("basis") == key)
        self.group.setExclusive(True)
        self.details.blockSignals(True)
        self.details.setPlainText(str((value or {}).get("details") or ""))
        self.details.blockSignals(False)
        self.source.setText(str((value or {}).get("source") or ""))
        self._timer.stop()
        self._sent = self.value()
        self._report()

    def set_read_only(self, read_only: bool) -> None:
        """Allow or prevent changes."""
        for button in self.basis.values():
            button.setEnabled(not read_only)
        self.details.setReadOnly(read_only)
        self.source.setReadOnly(read_only)

    def _on_group_button_clicked(self, button: QAbstractButton) -> None:
        self._emit_if_changed()

    def _on_text_changed(self, *args: object) -> None:
        if not self._timer.isActive():
            self._timer.start()
        self._report()

    def _on_timer_timeout(self) -> None:
        self._emit_if_changed()

    def _emit_if_changed(self) -> None:
        self._timer.stop()
        value = self.value()
        if value != self._sent:
            self._sent = value
            self.evidence_changed.emit(value)
        self._report()

    def _report(self) -> None:
        state = (self.pending(), self.problem())
        if state != self._reported:
            self._reported = state
            self.save_state_changed.emit()

    def flush(self) -> None:
        """Emit typing still waiting to be given out."""
        if self._timer.isActive():
            self._emit_if_changed()

    def pending(self) -> bool:
        """True while typing waits to be given out (it will be within a second)."""
        return self._timer.isActive()

    def problem(self) -> str | None:
        """Why the typed evidence cannot be saved yet, or None."""
        typed = self.details.toPlainText().strip() or self.source.text().strip()
        if typed and not any(b.isChecked() for b in self.basis.values()):
            return "choose what the evidence is based on"
        return None


def editor_for(question: Question, screening_date: date,
               parent: QWidget | None = None) -> AnswerEditor:
    """The editor for a question's type (the form decides; nothing is typed twice)."""
    t = question.type
    if t is QuestionType.INDICATOR:
        return ChoiceButtons(question, list(INDICATOR_CHOICES), 0, parent)
    if t is QuestionType.TIME_WINDOW:
        return ChoiceButtons(question, time_window_choices(question), 0, parent)
    if t is QuestionType.SINGLE_CHOICE:
        options = question.options or []
        if len(options) > 6:
            return ComboChoice(question, parent)
        choices: list[tuple[str, str, Qt.Key | None]] = [(o.id, o.label, None) for o in options]
        # A few answers flow side by side; more sit in two columns.
        editor = ChoiceButtons(question, choices, 2 if len(options) > 3 else 0, parent)
        for option in options:
            if option.help:
                editor.buttons[option.id].setToolTip(option.help)
        return editor
    if t is QuestionType.MULTIPLE_CHOICE:
        return MultipleChoice(question, parent)
    if t is QuestionType.NUMBER:
        return NumberEditor(question, parent)
    if t is QuestionType.DATE:
        return DateEditor(question, screening_date, parent)
    if t is QuestionType.TEXT:
        return TextEditor(question, parent)
    return LongTextEditor(question, parent)
