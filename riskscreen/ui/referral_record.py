"""The referral record on the referral page: where it stands, and its next steps.

:class:`ReferralRecordPanel` lays out the status (overdue steps in words, not only in colour),
the outcomes, the answer to "exploitation confirmed?", and a button for each step the status
allows. :class:`ReferralStepDialog` asks for what a step needs (how it was sent, the reason,
the outcome and its detail, the answer and its source, when). :class:`ReferralRecordController`
wires them to ``session.referrals`` through :class:`~riskscreen.ui.operations.ChangeOp`; the
services check the role and the order of steps, and their messages are shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QDateTime, QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from riskscreen.dates import show_when
from riskscreen.routing.outcomes import load_outcomes
from riskscreen.services import Session
from riskscreen.services.types import (
    Confirmation,
    Referral,
    ReferralStatus,
    SendMethod,
    StepKind,
)
from riskscreen.ui.operations import ChangeOp
from riskscreen.ui.widgets import FlowLayout, MessageLabel

__all__ = ["ReferralRecordController", "ReferralRecordPanel", "ReferralStepDialog"]

RECORD = "record"
#: Button text of each step, in the order they are offered.
STEP_BUTTONS: dict[str, str] = {
    StepKind.SENT: "Mark as sent…",
    StepKind.RECEIVED: "Received…",
    StepKind.ACCEPTED: "Accepted…",
    StepKind.DECLINED: "Declined…",
    StepKind.NOT_REFERRED: "Not referring…",
    StepKind.OUTCOME: "Add an outcome…",
    StepKind.CLOSED: "Close the referral…",
    StepKind.CONFIRMATION: "Exploitation confirmed?…",
    RECORD: "Make the referral record",
}
#: The steps each status offers ("exploitation confirmed?" is offered at every status).
OFFERED: dict[ReferralStatus, tuple[str, ...]] = {
    ReferralStatus.TO_SEND: (StepKind.SENT, StepKind.NOT_REFERRED),
    ReferralStatus.SENT: (StepKind.RECEIVED, StepKind.ACCEPTED, StepKind.DECLINED,
                          StepKind.OUTCOME),
    ReferralStatus.RECEIVED: (StepKind.ACCEPTED, StepKind.DECLINED, StepKind.OUTCOME),
    ReferralStatus.ACCEPTED: (StepKind.OUTCOME, StepKind.CLOSED),
    ReferralStatus.DECLINED: (StepKind.OUTCOME, StepKind.CLOSED),
    ReferralStatus.CLOSED: (),
    ReferralStatus.NOT_REFERRED: (),
}
_TITLES = {
    StepKind.SENT: "The referral was sent", StepKind.RECEIVED: "The team received it",
    StepKind.ACCEPTED: "The team accepted it", StepKind.DECLINED: "The team declined it",
    StepKind.NOT_REFERRED: "Not referring", StepKind.OUTCOME: "An outcome",
    StepKind.CLOSED: "Close the referral", StepKind.CONFIRMATION: "Exploitation confirmed?",
}


def describe(referral: Referral, today: date) -> tuple[str, str, str, str]:
    """(headline, what happened, overdue in words or "", the confirmation answer) of a
    referral, as the panel shows them."""
    status = referral.status
    if status == ReferralStatus.NOT_REFERRED:
        headline = f"Not referred (the route was {referral.pathway})"
        happened = referral.not_referred_reason or ""
    else:
        headline = f"Referral to {referral.destination_name}: {status.words.lower()}"
        parts = []
        if referral.sent_at is not None:
            how = referral.sent_method.words if referral.sent_method else "a way not recorded"
            parts.append(f"Sent by {how} on {show_when(referral.sent_at)}"
                         + (f" by {referral.sent_by}" if referral.sent_by else "") + ".")
        elif referral.send_due is not None:
            parts.append(f"To send by {show_when(referral.send_due)} ({referral.deadline}).")
        if referral.decided_at is not None:
            word = "Declined" if referral.decline_reason else "Accepted"
            parts.append(f"{word} on {show_when(referral.decided_at)}"
                         + (f": {referral.decline_reason}" if referral.decline_reason else "")
                         + ".")
        elif referral.decision_due is not None:
            parts.append(f"Decision due by {show_when(referral.decision_due)}.")
        if referral.outcomes:
            parts.append("Outcomes: " + "; ".join(
                o.label + (f" ({o.detail})" if o.detail else "") for o in referral.outcomes)
                + ".")
        if referral.closed_at is not None:
            parts.append(f"Closed on {show_when(referral.closed_at)}.")
        happened = " ".join(parts)
    late = referral.overdue(today)
    confirmation = referral.confirmation
    answer = ("Exploitation confirmed? Not answered yet." if confirmation is None else
              f"Exploitation confirmed? {confirmation.answer.words} ({confirmation.source}, "
              f"{show_when(confirmation.on)}).")
    return headline, happened, f"Overdue: {late}." if late else "", answer


class ReferralRecordPanel(QFrame):
    """The referral record: status in words, and a button for each step allowed now."""

    step_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("referralRecord")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.headline = QLabel(self)
        self.headline.setObjectName("referralHeadline")
        self.headline.setWordWrap(True)
        self.happened = QLabel(self)
        self.happened.setObjectName("referralHappened")
        self.happened.setWordWrap(True)
        self.overdue = QLabel(self)
        self.overdue.setObjectName("overdueText")
        self.overdue.setWordWrap(True)
        self.answer = QLabel(self)
        self.answer.setObjectName("referralConfirmation")
        self.answer.setWordWrap(True)
        self.error = MessageLabel(1, self)
        self.error.setObjectName("errorText")
        self.error.set_reserved(False)
        self.buttons: dict[str, QPushButton] = {}
        row = QWidget(self)
        flow = FlowLayout(row, spacing=8)
        for kind, text in STEP_BUTTONS.items():
            button = QPushButton(text, row)
            button.setObjectName(f"referralStep_{kind}")
            button.clicked.connect(lambda _=False, k=kind: self.step_requested.emit(k))
            flow.addWidget(button)
            self.buttons[kind] = button
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(3)
        for widget in (self.headline, self.happened, self.overdue, self.answer, row,
                       self.error):
            layout.addWidget(widget)
        self.referral: Referral | None = None
        self.show_referral(None)

    def show_referral(self, referral: Referral | None, today: date | None = None, *,
                      can_record: bool = False) -> None:
        """Show a referral record, or that the screening has none (``can_record``: offer to
        make one, for a screening finalised before referrals were recorded)."""
        self.referral = referral
        self.show_error("")
        if referral is None:
            self.headline.setText("No referral record" if can_record else "")
            self.happened.setText("This screening was finalised before referrals were "
                                  "recorded. Make the record to follow what happens next."
                                  if can_record else "")
            self.overdue.setText("")
            self.answer.setText("")
            offered: tuple[str, ...] = (RECORD,) if can_record else ()
        else:
            headline, happened, late, answer = describe(referral, today or date.today())
            self.headline.setText(headline)
            self.happened.setText(happened)
            self.overdue.setText(late)
            self.answer.setText(answer)
            offered = (*OFFERED[referral.status], StepKind.CONFIRMATION)
        for kind, button in self.buttons.items():
            button.setVisible(kind in offered)
        self.happened.setVisible(bool(self.happened.text()))
        self.overdue.setVisible(bool(self.overdue.text()))
        self.answer.setVisible(bool(self.answer.text()))
        self.setVisible(referral is not None or can_record)

    def show_error(self, message: str) -> None:
        """A plain-words problem with the last step."""
        self.error.setText(message)
        self.error.setVisible(bool(message))


class ReferralStepDialog(QDialog):
    """Asks for what one step needs; stays open until the step is recorded."""

    step_chosen = Signal(dict)

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle(_TITLES.get(StepKind(kind), "Referral"))
        vocabulary = load_outcomes()
        form = QFormLayout()
        self.choice = QComboBox(self)
        self.choice.setObjectName("stepChoice")
        self.source = QComboBox(self)
        self.source.setObjectName("stepSource")
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("stepText")
        self.text.setTabChangesFocus(True)
        self.text.setMaximumHeight(90)
        self.text_label = QLabel(self)
        self.text_label.setWordWrap(True)
        self.close_too = QCheckBox("Close the referral after this outcome", self)
        self.close_too.setObjectName("stepClose")
        self.when = QDateTimeEdit(QDateTime.currentDateTime(), self)
        self.when.setObjectName("stepWhen")
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("dd/MM/yyyy HH:mm")
        self.when.setMaximumDateTime(QDateTime.currentDateTime().addSecs(300))
        self.error = QLabel(self)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self._details: dict[str, tuple[str | None, bool]] = {}
        if kind == StepKind.SENT:
            for method in SendMethod:
                self.choice.addItem(method.words.capitalize(), method.value)
            self.choice.setCurrentIndex(list(SendMethod).index(SendMethod.SECURE_EMAIL))
            form.addRow("How it was sent", self.choice)
        elif kind == StepKind.OUTCOME:
            for outcome in vocabulary.outcomes:
                if not outcome.retired:
                    self.choice.addItem(outcome.label, outcome.id)
                    self._details[outcome.id] = (outcome.detail, outcome.detail_required)
            form.addRow("Outcome", self.choice)
            self.choice.currentIndexChanged.connect(self._on_choice_current_index_changed)
        elif kind == StepKind.CONFIRMATION:
            for answer in Confirmation:
                self.choice.addItem(answer.words, answer.value)
            self.choice.setCurrentIndex(list(Confirmation).index(Confirmation.NOT_KNOWN))
            for source in vocabulary.confirmation_sources:
                if not source.retired:
                    self.source.addItem(source.label, source.id)
            form.addRow("Exploitation confirmed?", self.choice)
            form.addRow("Where the answer came from", self.source)
        asks_text = kind in (StepKind.DECLINED, StepKind.NOT_REFERRED, StepKind.OUTCOME)
        if kind == StepKind.DECLINED:
            self.text_label.setText("The reason the team gave")
        elif kind == StepKind.NOT_REFERRED:
            self.text_label.setText("Why it is not being referred (for example: already "
                                    "open to the CSE team)")
        if asks_text:
            form.addRow(self.text_label, self.text)
        if kind == StepKind.OUTCOME:
            form.addRow("", self.close_too)
        form.addRow("When", self.when)
        used = {StepKind.SENT: (self.choice,), StepKind.OUTCOME: (
                    self.choice, self.text, self.text_label, self.close_too),
                StepKind.CONFIRMATION: (self.choice, self.source),
                StepKind.DECLINED: (self.text, self.text_label),
                StepKind.NOT_REFERRED: (self.text, self.text_label)}.get(StepKind(kind), ())
        for widget in (self.choice, self.source, self.text, self.text_label, self.close_too):
            if widget not in used:
                widget.hide()  # not in the form: it would sit at the dialog's corner
        buttons = QDialogButtonBox(self)
        self.ok_button = buttons.addButton("Record", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("stepRecord")
        self.ok_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        if kind == StepKind.OUTCOME:
            self._on_choice_current_index_changed(self.choice.currentIndex())
        self.setMinimumWidth(440)

    def _on_choice_current_index_changed(self, _index: int) -> None:
        detail, required = self._details.get(str(self.choice.currentData()), (None, False))
        self.text_label.setText((detail or "") + ("" if required or not detail
                                                  else " (optional)"))
        self.text_label.setVisible(detail is not None)
        self.text.setVisible(detail is not None)
        if detail is None:
            self.text.clear()

    def values(self) -> dict[str, Any]:
        """What was chosen: ``choice``, ``source``, ``text``, ``close`` and ``at``."""
        moment = self.when.dateTime().toPython()
        return {"choice": self.choice.currentData(), "source": self.source.currentData(),
                "text": " ".join(self.text.toPlainText().split()) or None,
                "close": self.close_too.isChecked(),
                "at": moment if isinstance(moment, datetime) else None}

    def show_error(self, message: str) -> None:
        """Why the step was not recorded; the dialog stays open with what was typed."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _on_buttons_accepted(self) -> None:
        self.show_error("")
        self.step_chosen.emit(self.values())


class ReferralRecordController(QObject):
    """Shows the referral of the open screening and records its steps."""

    def __init__(self, panel: ReferralRecordPanel,
                 session: Callable[[], Session | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self._session = session
        self.screening_id: int | None = None
        self.dialog: ReferralStepDialog | None = None
        panel.step_requested.connect(self._on_panel_step_requested)

    def show(self, screening_id: int | None) -> None:
        """Show the referral of a finalised screening (``None``: nothing to show)."""
        self.screening_id = screening_id
        session = self._session()
        if screening_id is None or session is None:
            self.panel.show_referral(None)
            return
        from riskscreen.services import USER_ERRORS

        try:
            referral = session.referrals.for_screening(screening_id)
        except USER_ERRORS as error:
            self.panel.show_referral(None)
            self.panel.setVisible(True)
            self.panel.show_error(str(error))
            return
        self.panel.show_referral(referral, can_record=referral is None)

    def clear(self) -> None:
        """Forget the referral shown (on locking)."""
        self.screening_id = None
        if self.dialog is not None:
            self.dialog.reject()
            self.dialog = None
        self.panel.show_referral(None)

    def _on_panel_step_requested(self, kind: str) -> None:
        session, sid = self._session(), self.screening_id
        if session is None or sid is None:
            return
        if kind == RECORD:
            ChangeOp(lambda: session.referrals.record_for(sid), show=self.panel.show_error,
                     what="referral record").success(self._on_recorded).run_in_background()
            return
        dialog = ReferralStepDialog(kind, self.panel.window())
        dialog.step_chosen.connect(self._on_dialog_step_chosen)
        self.dialog = dialog
        dialog.open()

    def _on_dialog_step_chosen(self, values: dict[str, Any]) -> None:
        session, dialog, referral = self._session(), self.dialog, self.panel.referral
        if session is None or dialog is None or referral is None:
            return
        manager, rid, at, kind = session.referrals, referral.id, values["at"], dialog.kind
        text = values["text"] or ""
        work: Callable[[], Referral] = {
            StepKind.SENT: lambda: manager.mark_sent(rid, values["choice"], at),
            StepKind.RECEIVED: lambda: manager.mark_received(rid, at),
            StepKind.ACCEPTED: lambda: manager.mark_accepted(rid, at),
            StepKind.DECLINED: lambda: manager.mark_declined(rid, text, at),
            StepKind.NOT_REFERRED: lambda: manager.mark_not_referred(rid, text, at),
            StepKind.OUTCOME: lambda: manager.add_outcome(rid, values["choice"],
                                                          values["text"], at,
                                                          close=values["close"]),
            StepKind.CLOSED: lambda: manager.close(rid, at),
            StepKind.CONFIRMATION: lambda: manager.confirm(rid, values["choice"],
                                                           values["source"], at),
        }[StepKind(kind)]
        dialog.ok_button.setEnabled(False)

        def done(busy: bool) -> None:
            if not busy:
                dialog.ok_button.setEnabled(True)

        ChangeOp(work, show=dialog.show_error, what="referral step").busy(done) \
            .success(self._on_recorded).run_in_background()

    def _on_recorded(self, referral: Referral) -> None:
        if self.dialog is not None:
            self.dialog.accept()
            self.dialog = None
        self.panel.show_referral(referral)
