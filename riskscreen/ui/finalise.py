"""The review page before finalising: what is unanswered or not known, the computed level,
and the professional-judgement step (agree, or choose another level with a reason)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from riskscreen.scoring.assessment import Assessment
from riskscreen.services.types import OverrideRequest
from riskscreen.ui.widgets import LevelChip, MessageLabel

__all__ = ["FinaliseView"]

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

        level_box = QGroupBox("Level", self)
        self.chip = LevelChip(level_box)
        self.explanation = QLabel(level_box)
        self.explanation.setWordWrap(True)
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
        self._on_other_toggled(False)

    def show_review(self, assessment: Assessment | None, missing: list[tuple[str, str]],
                    not_known: list[tuple[str, str]]) -> None:
        """Fill the page: (question id, text) pairs and the computed assessment."""
        self.assessment = assessment
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
            rules = "; ".join(r.reason for r in assessment.rules_fired)
            text = f"Total {assessment.score} points."
            if rules:
                text += f" Minimum levels set by rules: {rules}"
            self.explanation.setText(text)
            for level in sorted(assessment.levels, key=lambda lv: lv.rank):
                if level.id != assessment.level:
                    self.level.addItem(level.name, level.id)
        self.finalise_button.setEnabled(not missing and assessment is not None)
        self.finalise_button.setToolTip(
            "" if not missing else "Answer the required questions listed first.")

    def show_error(self, message: str) -> None:
        """A plain-words problem (for example an override the rules do not allow)."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _lowering(self) -> bool:
        if self.assessment is None or not self.other.isChecked():
            return False
        wanted = self.level.currentData()
        ranks = {lv.id: lv.rank for lv in self.assessment.levels}
        return bool(wanted) and ranks.get(wanted, 0) < ranks[self.assessment.level]

    def _on_other_toggled(self, checked: bool) -> None:
        self.override_fields.setVisible(checked)
        self._on_level_current_index_changed(self.level.currentIndex())

    def _on_level_current_index_changed(self, index: int) -> None:
        lowering = self._lowering()
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
            self.finalise_requested.emit(None)
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
        self.finalise_requested.emit(OverrideRequest(
            level=level, reason=reason,
            countersigned_by=self.manager.text().strip() if lowering else None,
            countersign_passphrase=self.manager_passphrase.text() if lowering else None))
