"""The review page before finalising: what is unanswered or not known, the computed level,
and the professional-judgement step (agree, or choose another level with a reason)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.engine import carry_forward
from riskscreen.services.types import OverrideRequest
from riskscreen.ui.widgets import LevelChip, MessageLabel

__all__ = ["AmendReasonDialog", "FinaliseView"]

#: A reason must be at least a sentence: this many words (the engine checks it too).
MIN_REASON_WORDS = 6


def _wrapped(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    return label


class FinaliseView(QWidget):
    """Lays out the review; emits ``finalise_requested(OverrideRequest | None)``."""

    finalise_requested = Signal(object)
    question_requested = Signal(str)
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("finaliseView")
        self.assessment: Assessment | None = None
        #: Where the judgement starts: the computed assessment, or for an amendment the
        #: amended screening's final level carried forward.
        self.start: Assessment | None = None
        title = QLabel("Review and finalise", self)
        title.setObjectName("pageTitle")
        intro = QLabel(
            "Check what is still unanswered or not known, then record your professional "
            "judgement. Once finalised, the screening cannot be changed; a correction is made "
            "as a linked amendment.", self)
        intro.setWordWrap(True)

        self.missing_box = QGroupBox("Required questions without an answer", self)
        self.missing = QListWidget(self.missing_box)
        self.missing.setObjectName("missingList")
        self.missing.setAccessibleName("Required questions without an answer")
        self.missing.setWordWrap(True)
        m = QVBoxLayout(self.missing_box)
        m.addWidget(_wrapped("These must be answered before finalising. Double-click one to "
                             "go to it.", self.missing_box))
        m.addWidget(self.missing)

        self.unknown_box = QGroupBox("Answered “Not known” or not answered", self)
        self.unknown = QListWidget(self.unknown_box)
        self.unknown.setObjectName("notKnownList")
        self.unknown.setAccessibleName("Questions answered not known")
        self.unknown.setWordWrap(True)
        u = QVBoxLayout(self.unknown_box)
        u.addWidget(_wrapped("Finding these out could change the level. Say in your analysis "
                             "what you will do to find out.", self.unknown_box))
        u.addWidget(self.unknown)
        # Short lists, so the level and the judgement fit on a laptop screen; they scroll.
        for listing in (self.missing, self.unknown):
            listing.setMaximumHeight(listing.fontMetrics().lineSpacing() * 7)

        level_box = QGroupBox("Level", self)
        self.chip = LevelChip(level_box)
        self.explanation = QLabel(level_box)
        self.explanation.setWordWrap(True)
        self.amend_notice = QLabel(level_box)
        self.amend_notice.setObjectName("amendNotice")
        self.amend_notice.setWordWrap(True)
        self.amend_notice.setVisible(False)
        self.agree = QRadioButton("I agree with the computed level", level_box)
        self.agree.setObjectName("agreeLevel")
        self.agree.setChecked(True)
        self.other = QRadioButton("My professional judgement is a different level", level_box)
        self.other.setObjectName("otherLevel")
        self.choice = QButtonGroup(self)
        self.choice.addButton(self.agree)
        self.choice.addButton(self.other)
        self.level = QComboBox(level_box)
        self.level.setObjectName("overrideLevel")
        self.level.setAccessibleName("Level chosen by professional judgement")
        self.floor_note = QLabel(level_box)
        self.floor_note.setObjectName("floorNote")
        self.floor_note.setWordWrap(True)
        self.reason = QPlainTextEdit(level_box)
        self.reason.setObjectName("overrideReason")
        self.reason.setAccessibleName("Reason for choosing a different level")
        self.reason.setPlaceholderText(
            "Say in at least a sentence what you know that the screening does not show.")
        self.reason.setTabChangesFocus(True)
        self.reason.setMaximumHeight(90)
        self.countersign_note = QLabel(
            "Lowering the level needs a manager to countersign now, with their own account "
            "name and passphrase.", level_box)
        self.countersign_note.setWordWrap(True)
        self.manager = QLineEdit(level_box)
        self.manager.setObjectName("countersignName")
        self.manager.setAccessibleName("Countersigning manager's account name")
        self.manager_passphrase = QLineEdit(level_box)
        self.manager_passphrase.setObjectName("countersignPassphrase")
        self.manager_passphrase.setAccessibleName("Countersigning manager's passphrase")
        self.manager_passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.override_fields = QWidget(level_box)
        of = QFormLayout(self.override_fields)
        of.setContentsMargins(20, 0, 0, 0)
        of.addRow("Level:", self.level)
        of.addRow(self.floor_note)
        of.addRow("Reason:", self.reason)
        of.addRow(self.countersign_note)
        of.addRow("Manager's account:", self.manager)
        of.addRow("Manager's passphrase:", self.manager_passphrase)
        chip_row = QHBoxLayout()
        chip_row.addWidget(QLabel("Computed level:", level_box))
        chip_row.addWidget(self.chip)
        chip_row.addStretch(1)
        lv = QVBoxLayout(level_box)
        lv.addLayout(chip_row)
        lv.addWidget(self.explanation)
        lv.addWidget(self.amend_notice)
        lv.addWidget(self.agree)
        lv.addWidget(self.other)
        lv.addWidget(self.override_fields)

        # The message keeps its room while empty, so the buttons beside it never move.
        self.error = MessageLabel(2, self)
        self.error.setObjectName("errorText")
        self.error.setVisible(False)
        self.back_button = QPushButton("← Back to the questions", self)
        self.back_button.setObjectName("backToQuestions")
        self.finalise_button = QPushButton("Finalise screening", self)
        self.finalise_button.setObjectName("finalise")

        content = QWidget(self)
        c = QVBoxLayout(content)
        c.addWidget(title)
        c.addWidget(intro)
        lists = QHBoxLayout()
        lists.addWidget(self.missing_box)
        lists.addWidget(self.unknown_box)
        c.addLayout(lists)
        c.addWidget(level_box)
        c.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.error, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.finalise_button)
        self.back_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.finalise_button.setSizePolicy(QSizePolicy.Policy.Maximum,
                                           QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

        self.other.toggled.connect(self._on_other_toggled)
        self.level.currentIndexChanged.connect(self._on_level_current_index_changed)
        self.missing.itemActivated.connect(self._on_missing_item_activated)
        self.unknown.itemActivated.connect(self._on_missing_item_activated)
        self.back_button.clicked.connect(self.back_requested)
        self.finalise_button.clicked.connect(self._on_finalise_button_clicked)
        self.confirm_box: QMessageBox | None = None
        self._on_other_toggled(False)

    def show_review(self, assessment: Assessment | None, missing: list[tuple[str, str]],
                    not_known: list[tuple[str, str]], amended: Assessment | None = None,
                    amended_id: int | None = None) -> None:
        """Fill the page: (question id, text) pairs, the computed assessment and, for an
        amendment, the final assessment of the screening it amends (``amended_id``)."""
        self.assessment = assessment
        self.start = (carry_forward(assessment, amended, "")
                      if assessment is not None and amended is not None else assessment)
        self.error.setVisible(False)
        self.agree.setChecked(True)
        self.reason.clear()
        self.manager.clear()
        self.manager_passphrase.clear()
        for widget, items in ((self.missing, missing), (self.unknown, not_known)):
            widget.clear()
            for qid, text in items:
                item = QListWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, qid)
                widget.addItem(item)
        if not missing:
            self.missing.addItem("None: every required question has an answer.")
        if not not_known:
            self.unknown.addItem("None.")
        self.level.clear()
        if assessment is None:
            self.chip.clear_level("Cannot be scored yet")
            self.explanation.setText("The level is worked out once the answers can be scored.")
        else:
            info = assessment.level_info()
            self.chip.set_level(info.id, info.name, info.colour)
            rules = " ".join(r.reason for r in assessment.rules_fired)
            text = f"Total {assessment.score} points."
            if rules:
                text += f" Minimum levels set by rules: {rules}"
            self.explanation.setText(text)
            self._fill_levels(assessment)
        self._show_amendment(amended, amended_id)
        self.finalise_button.setEnabled(not missing and assessment is not None)
        self.finalise_button.setToolTip(
            "" if not missing else "Answer the required questions listed first.")

    def _fill_levels(self, assessment: Assessment) -> None:
        """The levels judgement may choose: none below a fired rule's minimum, and no level
        until one is chosen (a default would be one click from the wrong level)."""
        start = self.start or assessment
        binding = assessment.binding_rule
        floor = assessment.rank(binding.minimum_level) if binding is not None else 0
        self.level.addItem("Choose a level…", None)
        for level in sorted(assessment.levels, key=lambda lv: lv.rank):
            if level.id == start.final_level or level.rank < floor:
                continue
            name = level.name
            if level.id == assessment.level:
                name += " (the computed level)"
            self.level.addItem(name, level.id)
        if binding is not None and floor > 0:
            lowest = assessment.level_info(binding.minimum_level).name
            self.floor_note.setText(f"It cannot be lower than {lowest}, because "
                                    f"{_lower_first(binding.reason)}")
        self.floor_note.setVisible(binding is not None and floor > 0)

    def _show_amendment(self, amended: Assessment | None, amended_id: int | None) -> None:
        start, assessment = self.start, self.assessment
        if amended is None or start is None or assessment is None:
            self.amend_notice.setVisible(False)
            self.agree.setText("I agree with the computed level")
            return
        earlier = assessment.level_info(amended.final_level).name
        which = f"screening #{amended_id}" if amended_id is not None else "the screening"
        text = f"This amends {which}, which was finalised at {earlier}"
        if amended.override is not None:
            o = amended.override
            text += f" by professional judgement (recorded by {o.by}: “{o.reason}”)"
        text += "."
        if start.final_level != assessment.level:
            final = assessment.level_info(start.final_level).name
            text += (f" The amendment starts at {final}, carried forward. Finalising at a "
                     "lower level needs a written reason and a manager's countersignature.")
            self.agree.setText(f"Keep {final}, the level carried forward from {which}")
        else:
            self.agree.setText("I agree with the computed level")
        self.amend_notice.setText(text)
        self.amend_notice.setVisible(True)

    def chosen_level(self) -> str | None:
        """The name of the level the screening will be finalised at, as chosen now."""
        start = self.start
        if start is None:
            return None
        level = self.level.currentData() if self.other.isChecked() else start.final_level
        if not isinstance(level, str):
            return None
        return start.level_info(level).name

    def set_busy(self, busy: bool) -> None:
        """While the screening is being finalised, neither button can be pressed again."""
        self.finalise_button.setEnabled(not busy)
        self.back_button.setEnabled(not busy)

    def show_error(self, message: str) -> None:
        """A plain-words problem (for example an override the rules do not allow)."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _lowering(self) -> bool:
        """Whether the chosen level is below the computed or the carried-forward level."""
        start = self.start
        if start is None or not self.other.isChecked():
            return False
        wanted = self.level.currentData()
        if not isinstance(wanted, str):
            return False
        return start.rank(wanted) < max(start.rank(), start.rank(start.final_level))

    def _lowering_carried(self) -> bool:
        start = self.start
        return (self._lowering() and start is not None
                and start.rank(start.final_level) > start.rank())

    def _on_other_toggled(self, checked: bool) -> None:
        self.override_fields.setVisible(checked)
        self._on_level_current_index_changed(self.level.currentIndex())

    def _on_level_current_index_changed(self, index: int) -> None:
        lowering = self._lowering()
        if self._lowering_carried() and self.start is not None:
            earlier = self.start.level_info(self.start.final_level).name
            self.countersign_note.setText(
                f"This is lower than {earlier}, the level carried forward. A manager must "
                "countersign now, with their own account name and passphrase.")
        else:
            self.countersign_note.setText(
                "Lowering the level needs a manager to countersign now, with their own "
                "account name and passphrase.")
        for w in (self.countersign_note, self.manager, self.manager_passphrase):
            w.setVisible(lowering)
        layout = self.override_fields.layout()
        if isinstance(layout, QFormLayout):
            for w in (self.manager, self.manager_passphrase):
                label = layout.labelForField(w)
                if label is not None:
                    label.setVisible(lowering)

    def _on_missing_item_activated(self, item: QListWidgetItem) -> None:
        qid = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(qid, str):
            self.question_requested.emit(qid)

    def _on_finalise_button_clicked(self) -> None:
        if not self.other.isChecked():
            self._confirm(None)
            return
        reason = " ".join(self.reason.toPlainText().split())
        if len(reason.split()) < MIN_REASON_WORDS:
            self.show_error("Give your reason for choosing a different level in at least a "
                            "sentence: what do you know that the screening does not show?")
            self.reason.setFocus()
            return
        level = self.level.currentData()
        if not isinstance(level, str):
            self.show_error("Choose the level your professional judgement gives.")
            return
        lowering = self._lowering()
        if lowering and not (self.manager.text().strip() and self.manager_passphrase.text()):
            self.show_error("Lowering the level needs a manager's countersignature: enter "
                            "their account name and passphrase.")
            return
        self._confirm(OverrideRequest(
            level=level, reason=reason,
            countersigned_by=self.manager.text().strip() if lowering else None,
            countersign_passphrase=self.manager_passphrase.text() if lowering else None))

    def _confirm(self, request: OverrideRequest | None) -> None:
        """Ask before finalising, which cannot be undone; Enter finalises, Esc goes back."""
        self.show_error("")
        name = self.chosen_level() or ""
        box = QMessageBox(QMessageBox.Icon.Question, "Finalise the screening",
                          f"Finalise this screening at the level “{name}”?",
                          QMessageBox.StandardButton.NoButton, self)
        box.setInformativeText("Once finalised it cannot be changed or undone. A correction "
                               "is made as a linked amendment, and the original is kept.")
        go = box.addButton(f"Finalise at {name}", QMessageBox.ButtonRole.AcceptRole)
        go.setObjectName("confirmFinalise")
        back = box.addButton("Go back", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(go)
        box.setEscapeButton(back)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def done() -> None:
            self.confirm_box = None
            box.deleteLater()
            if box.clickedButton() is go:
                self.finalise_requested.emit(request)

        box.finished.connect(done)
        self.confirm_box = box
        box.open()


class AmendReasonDialog(QDialog):
    """Asks why a finalised screening is being amended; stays open until the reason is
    accepted, showing what is missing (``reason_given`` carries the text to check)."""

    reason_given = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Amend the screening")
        intro = QLabel("Say in a sentence why the screening is being amended. The original is "
                       "kept unchanged; the amendment starts as a draft with the same answers "
                       "and level.", self)
        intro.setWordWrap(True)
        self.reason = QPlainTextEdit(self)
        self.reason.setObjectName("amendReason")
        self.reason.setAccessibleName("Why the screening is being amended")
        self.reason.setPlaceholderText("For example: the date of birth was recorded wrongly.")
        self.reason.setTabChangesFocus(True)
        self.error = QLabel(self)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton("Amend",
                                                QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(460, 260)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.reason.installEventFilter(self)
        self.reason.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Enter in the reason submits it (Shift+Enter starts a new line)."""
        if (watched is self.reason and isinstance(event, QKeyEvent)
                and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self._on_buttons_accepted()
            return True
        return super().eventFilter(watched, event)

    def text(self) -> str:
        """The reason as typed, with spaces tidied."""
        return " ".join(self.reason.toPlainText().split())

    def show_error(self, message: str) -> None:
        """What is missing, in plain words; the dialog stays open."""
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self.reason.setFocus()

    def _on_buttons_accepted(self) -> None:
        if not self.text():
            self.show_error("Write why the screening is being amended: the amendment "
                            "cannot be made without a reason.")
            return
        self.reason_given.emit(self.text())


def _lower_first(text: str) -> str:
    """A sentence that follows "because": its first letter in lower case."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text
