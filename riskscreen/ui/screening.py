"""A screening open for editing or reading: the questionnaire beside the live score, with
the save status and the actions that apply to its state (finalise, amend, referral)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from riskscreen.forms.model import FormDefinition
from riskscreen.ui.followup import CarriedPanel
from riskscreen.ui.questionnaire import QuestionnaireView
from riskscreen.ui.score_panel import ScorePanel

__all__ = ["ScreeningView"]


class ScreeningView(QWidget):
    """Layout of one screening; a controller fills and wires it."""

    back_requested = Signal()
    finalise_requested = Signal()
    amend_requested = Signal()
    referral_requested = Signal()
    history_requested = Signal()
    intel_requested = Signal()

    def __init__(self, form: FormDefinition, screening_date: date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screeningView")
        self.heading = QLabel(self)
        self.heading.setObjectName("pageTitle")
        self.heading.setWordWrap(True)
        self.state = QLabel(self)
        self.state.setObjectName("screeningState")
        self.state.setWordWrap(True)
        self.back_button = QPushButton("← Screenings", self)
        self.back_button.setObjectName("backToList")
        self.history_button = QPushButton("Child's history", self)
        self.history_button.setObjectName("screeningHistory")
        self.finalise_button = QPushButton("Review and finalise…", self)
        self.finalise_button.setObjectName("reviewFinalise")
        self.amend_button = QPushButton("Amend…", self)
        self.amend_button.setObjectName("amend")
        self.referral_button = QPushButton("Referral summary", self)
        self.referral_button.setObjectName("referral")
        self.save_status = QLabel("Not changed yet", self)
        self.save_status.setObjectName("saveStatus")
        self.save_status.setAccessibleName("Save status")
        self.intel_button = QPushButton("Add intelligence…", self)
        self.intel_button.setObjectName("screeningIntel")
        self.intel_button.setToolTip("Record a person, place, vehicle or online account of "
                                     "concern linked to this child")

        self.questionnaire = QuestionnaireView(form, screening_date, self)
        self.score = ScorePanel(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("screeningSplitter")
        self.splitter.addWidget(self.questionnaire)
        self.splitter.addWidget(self.score)
        # The score gives up a share of the width on a small screen too, not only the questions.
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([900, 320])

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self.heading, 1)
        top.addWidget(self.history_button)
        top.addWidget(self.amend_button)
        top.addWidget(self.referral_button)
        top.addWidget(self.finalise_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.state, 1)
        bottom.addWidget(self.save_status)
        bottom.addWidget(self.intel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        #: Answers a re-screen carried over, to confirm (filled by the controller).
        self.carried = CarriedPanel(self)
        layout.addWidget(self.carried)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)

        self.back_button.clicked.connect(self.back_requested)
        self.finalise_button.clicked.connect(self.finalise_requested)
        self.amend_button.clicked.connect(self.amend_requested)
        self.referral_button.clicked.connect(self.referral_requested)
        self.history_button.clicked.connect(self.history_requested)
        self.intel_button.clicked.connect(self.intel_requested)
        self.score.collapsed_changed.connect(self._on_score_collapsed_changed)
        self._expanded_sizes: list[int] | None = None
        # The questionnaire's shortcuts (sections, undo) work anywhere on the screening.
        q = self.questionnaire
        self.addActions([q.next_action, q.previous_action, q.undo_action])

    def first_field(self) -> QWidget | None:
        """Where the cursor goes when the screening is shown: the section's first question."""
        return self.questionnaire.first_question()

    def set_editable(self, editable: bool, finalised: bool) -> None:
        """Drafts can be changed and finalised; finalised screenings can be amended."""
        self.questionnaire.set_read_only(not editable)
        self.finalise_button.setVisible(editable)
        self.amend_button.setVisible(finalised)
        self.referral_button.setVisible(finalised)

    def _on_score_collapsed_changed(self, collapsed: bool) -> None:
        if collapsed:
            self._expanded_sizes = self.splitter.sizes()
        elif self._expanded_sizes:
            self.splitter.setSizes(self._expanded_sizes)
