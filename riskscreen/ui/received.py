"""Received referrals: the co-located team's list of referrals that arrived as packages, one
referral with the sender's assessment (read-only), and the dialogs for the team's decision and
outcomes.

Layout only; :class:`riskscreen.ui.received_controller.ReceivedController` calls the services.
A received referral is the sender's record as it arrived: nothing on these pages edits it; the
team adds its own decision and outcomes beside it, which the reply package carries back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from riskscreen.dates import iso, show_date, show_when
from riskscreen.routing.outcomes import load_outcomes
from riskscreen.services.exchange import ReceivedReferral
from riskscreen.services.types import Confirmation, ReferralStatus
from riskscreen.ui.home import LevelStyle, find_action
from riskscreen.ui.tables import (
    SORT_ROLE,
    ChoiceAndWordsFilter,
    RecordsModel,
    read_only_table,
)
from riskscreen.ui.widgets import (
    LevelChip,
    error_line,
    record_form,
    record_label,
    record_page,
)

__all__ = ["CloseDialog", "DecisionDialog", "ReceivedListModel", "ReceivedListView",
           "ReceivedOutcomeDialog", "ReceivedView", "status_words"]

STATUS_WORDS: dict[str, str] = {ReferralStatus.RECEIVED: "Waiting for a decision",
                                 ReferralStatus.ACCEPTED: "Accepted",
                                 ReferralStatus.DECLINED: "Declined",
                                 ReferralStatus.CLOSED: "Closed"}


def status_words(status: str) -> str:
    """A received referral's status as the team says it."""
    return STATUS_WORDS.get(status, status.capitalize())


def _child_words(r: ReceivedReferral) -> str:
    if r.child is not None:
        return r.child.name
    return r.facts.child_name or "Name not given"


class ReceivedListModel(RecordsModel[ReceivedReferral]):
    """Received referrals as table rows (newest first until the user sorts)."""

    COLUMNS = ("Received", "From", "Child", "Level", "Status", "Reference")

    def cell(self, r: ReceivedReferral, column: int, role: int) -> Any:
        """The words of one cell, or its sort key."""
        if role == SORT_ROLE:
            if column == 0:
                return iso(r.received_at)
            return str(self.cell(r, column, Qt.ItemDataRole.DisplayRole) or "").lower()
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        return (show_when(r.received_at), r.sender, _child_words(r), r.level or "Not given",
                status_words(r.status), r.reference)[column]


class _Filter(ChoiceAndWordsFilter[ReceivedReferral]):
    """The rows whose status is chosen and whose words hold every word searched for."""

    def choice_of(self, row: ReceivedReferral) -> object:
        """A received referral is chosen by its status."""
        return row.status

    def words_of(self, row: ReceivedReferral) -> str:
        """Its sender, child, reference and level."""
        return " ".join((row.sender, _child_words(row), row.reference, row.level or ""))


class ReceivedListView(QWidget):
    """The received referrals, with search, a status filter and sortable columns."""

    open_requested = Signal(int)
    import_requested = Signal()
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("receivedListView")
        self.back_button = QPushButton("← Screenings", self)
        self.back_button.setObjectName("receivedBack")
        title = QLabel("Received referrals", self)
        title.setObjectName("pageTitle")
        self.search = QLineEdit(self)
        self.search.setObjectName("receivedSearch")
        self.search.setPlaceholderText("Search by child, sender or reference")
        self.search.setAccessibleName("Search by child, sender or reference")
        self.search.setClearButtonEnabled(True)
        self.status = QComboBox(self)
        self.status.setObjectName("receivedStatusFilter")
        self.status.setAccessibleName("Show received referrals with status")
        self.status.addItem("All statuses", None)
        for status, words in STATUS_WORDS.items():
            self.status.addItem(words, status)
        self.model = ReceivedListModel(self)
        self.proxy = _Filter(self)
        self.proxy.setSourceModel(self.model)
        self.table = read_only_table(QTableView(self), "receivedTable", "Received referrals",
                                     alternating=True)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for column in (0, 3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.open_button = QPushButton("Open", self)
        self.open_button.setObjectName("openReceived")
        self.import_button = QPushButton("Import a package…", self)
        self.import_button.setObjectName("importReceived")
        self.count = QLabel(self)
        self.count.setObjectName("receivedCount")
        self.empty = QLabel("No referrals have been received yet. When a sending agency gives "
                            "you a package (.p7m), choose “Import a package…”.", self)
        self.empty.setObjectName("receivedEmpty")
        self.empty.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(title, 1)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        filters.addWidget(self.status)
        actions = QHBoxLayout()
        actions.addWidget(self.open_button)
        actions.addWidget(self.import_button)
        actions.addStretch(1)
        actions.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(actions)

        self.search.textChanged.connect(self._on_filter_changed)
        self.status.currentIndexChanged.connect(self._on_filter_changed)
        self.table.activated.connect(self._on_table_activated)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.import_button.clicked.connect(self.import_requested)
        self.back_button.clicked.connect(self.back_requested)
        self.find_action = find_action(self, self.search)
        self.set_rows([])

    def first_field(self) -> QWidget:
        """The cursor starts in the list when it has rows, in the search otherwise."""
        return self.table if self.proxy.rowCount() else self.search

    def set_rows(self, rows: Iterable[ReceivedReferral]) -> None:
        """Show the received referrals, keeping the search, filter and sort."""
        self.model.set_rows(rows)
        self._update()

    def selected(self) -> ReceivedReferral | None:
        """The highlighted received referral."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(self.proxy.mapToSource(rows[0])) if rows else None

    def _update(self) -> None:
        shown, total = self.proxy.rowCount(), len(self.model.rows)
        noun = "referral" if total == 1 else "referrals"
        self.count.setText(f"{total} received {noun}" if shown == total
                           else f"{shown} of {total} received {noun}")
        self.empty.setVisible(total == 0)
        self.open_button.setEnabled(shown > 0)
        if shown and not self.table.selectionModel().selectedRows():
            self.table.selectRow(0)

    def _on_filter_changed(self, *_args: object) -> None:
        self.proxy.set_filter(self.status.currentData(), self.search.text())
        self._update()

    def _on_open_button_clicked(self) -> None:
        row = self.selected()
        if row is not None:
            self.open_requested.emit(row.id)

    def _on_table_activated(self, index: QModelIndex) -> None:
        row = self.model.row_at(self.proxy.mapToSource(index))
        if row is not None:
            self.open_requested.emit(row.id)


class ReceivedView(QWidget):
    """One received referral: the sender's assessment as it arrived, the child's record here,
    and the team's decision, outcomes and reply."""

    back_requested = Signal()
    decide_requested = Signal()
    outcome_requested = Signal()
    reply_requested = Signal()
    close_requested = Signal()
    child_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("receivedView")
        self.received: ReceivedReferral | None = None
        self.back_button = QPushButton("← Received referrals", self)
        self.back_button.setObjectName("receivedDetailBack")
        self.title = QLabel(self)
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        self.status = record_label(self, "receivedStatus")
        self.decide_button = QPushButton("Decide…", self)
        self.decide_button.setObjectName("receivedDecide")
        self.outcome_button = QPushButton("Record an outcome…", self)
        self.outcome_button.setObjectName("receivedOutcome")
        self.reply_button = QPushButton("Save reply package…", self)
        self.reply_button.setObjectName("receivedReply")
        self.close_button = QPushButton("Close the referral…", self)
        self.close_button.setObjectName("receivedClose")
        self.child_button = QPushButton("Open the child's record", self)
        self.child_button.setObjectName("receivedChild")
        self.error = error_line(self)
        self.done = record_label(self, "receivedDone")
        self.done.setVisible(False)

        content = QWidget(self)
        inner = QVBoxLayout(content)
        self.sender_box = QGroupBox("From", content)
        sender_form = record_form(self.sender_box)
        self.sender_words = record_label(self.sender_box, "receivedSender")
        self.trust = record_label(self.sender_box, "receivedTrust")
        self.referred_by = record_label(self.sender_box)
        self.when = record_label(self.sender_box)
        sender_form.addRow("Sender", self.sender_words)
        sender_form.addRow("Certificate", self.trust)
        sender_form.addRow("Referred by", self.referred_by)
        sender_form.addRow("Received", self.when)

        self.child_box = QGroupBox("The child", content)
        child_form = record_form(self.child_box)
        self.child_sent = record_label(self.child_box, "receivedChildSent")
        self.child_here = record_label(self.child_box, "receivedChildHere")
        child_form.addRow("As sent", self.child_sent)
        child_form.addRow("Record here", self.child_here)
        button_row = QHBoxLayout()
        button_row.addWidget(self.child_button)
        button_row.addStretch(1)
        child_form.addRow("", button_row)

        self.assessment_box = QGroupBox("The sender's assessment (read-only, as it arrived)",
                                        content)
        assessment_form = record_form(self.assessment_box)
        self.level = LevelChip(self.assessment_box)
        self.rationale = record_label(self.assessment_box, "receivedRationale")
        self.notes = record_label(self.assessment_box)
        self.reasons = record_label(self.assessment_box, "receivedReasons")
        self.model_words = record_label(self.assessment_box, "receivedModel")
        assessment_form.addRow("Level", self.level)
        assessment_form.addRow("Why", self.rationale)
        assessment_form.addRow("Score", self.notes)
        assessment_form.addRow("Rules that set a minimum level", self.reasons)
        assessment_form.addRow("Scoring model", self.model_words)

        self.referral_box = QGroupBox("The referral", content)
        referral_form = record_form(self.referral_box)
        self.pathway = record_label(self.referral_box)
        self.reason = record_label(self.referral_box)
        self.lawful_basis = record_label(self.referral_box, "receivedLawfulBasis")
        self.next_step = record_label(self.referral_box)
        referral_form.addRow("Pathway", self.pathway)
        referral_form.addRow("Reason", self.reason)
        referral_form.addRow("Consent or lawful basis", self.lawful_basis)
        referral_form.addRow("Next step", self.next_step)

        self.team_box = QGroupBox("Your team's decision and outcomes", content)
        team_form = record_form(self.team_box)
        self.decision = record_label(self.team_box, "receivedDecision")
        self.outcomes = record_label(self.team_box, "receivedOutcomes")
        self.confirmation = record_label(self.team_box, "receivedConfirmation")
        self.closing = record_label(self.team_box, "receivedClosing")
        team_form.addRow("Decision", self.decision)
        team_form.addRow("Outcomes", self.outcomes)
        team_form.addRow("Exploitation confirmed?", self.confirmation)
        team_form.addRow("Closed", self.closing)

        self.answers_box = QGroupBox("The sender's answers", content)
        self.answers_grid = QGridLayout(self.answers_box)
        self.answers_grid.setColumnStretch(0, 3)
        self.answers_grid.setColumnStretch(1, 2)
        self.answers_grid.setVerticalSpacing(6)
        self.answer_labels: list[QLabel] = []

        for box in (self.team_box, self.sender_box, self.child_box, self.assessment_box,
                    self.referral_box, self.answers_box):
            inner.addWidget(box)
        inner.addStretch(1)
        self.scroll_area = record_page(
            self, self.back_button, self.title,
            (self.decide_button, self.outcome_button, self.reply_button, self.close_button),
            content,
            heading=(self.status,), messages=(self.error, self.done), name="receivedScroll",
            accessible="Received referral")

        self.back_button.clicked.connect(self.back_requested)
        self.decide_button.clicked.connect(self.decide_requested)
        self.outcome_button.clicked.connect(self.outcome_requested)
        self.reply_button.clicked.connect(self.reply_requested)
        self.close_button.clicked.connect(self.close_requested)
        self.child_button.clicked.connect(self._on_child_button_clicked)

    def first_field(self) -> QWidget:
        """The cursor starts on the first step the status allows."""
        for button in (self.decide_button, self.outcome_button, self.reply_button,
                       self.close_button):
            if button.isEnabled() and not button.isHidden():
                return button
        return self.back_button

    def show_received(self, r: ReceivedReferral, levels: dict[str, LevelStyle]) -> None:
        """Show a received referral (``levels``: this database's level colours, used when the
        sender's level has the same id)."""
        self.received = r
        f = r.facts
        self.show_error("")
        self.title.setText(f"Received referral {r.reference}: {_child_words(r)}")
        self.status.setText(f"{status_words(r.status)}. Received {show_when(r.received_at)} from "
                            f"{r.sender}.")
        self.sender_words.setText(r.sender + (f" ({f.organisation})" if f.organisation
                                        and f.organisation != r.sender else ""))
        self.trust.setText(
            ("Trusted here" if r.trusted else
             "NOT trusted here any more: an administrator installs the sender's certificate "
             "again before you can reply")
            + f". SHA-256 {r.sender_fingerprint}")
        self.referred_by.setText(f.referred_by or "Not given")
        self.when.setText(show_when(r.received_at))
        dob = f"{show_date(f.date_of_birth)}" if f.date_of_birth else "date of birth not given"
        self.child_sent.setText(f"{f.child_name or 'Name not given'}, born {dob}"
                                + (f", NHS number {f.nhs_number}" if f.nhs_number else ""))
        if r.child is not None:
            born = (f"{show_date(r.child.date_of_birth)}" if r.child.date_of_birth
                    else "date of birth not recorded")
            self.child_here.setText(f"Child {r.child.id}: {r.child.name}, born {born} "
                                    "(confirmed when the package was imported)")
        else:
            self.child_here.setText("No record")
        self.child_button.setVisible(r.child is not None)
        style = levels.get(f.level_id or "")
        if style is not None and f.level_id:
            self.level.set_level(f.level_id, f.level or style.name, style.colour)
        else:
            self.level.clear_level(f.level or "Level not given")
        self.rationale.setText(f.rationale or "Not given")
        self.notes.setText(" ".join(f.notes) or "Not given")
        self.reasons.setText("\n".join(f"• {words}" for _, words in f.reasons)
                             or "None fired")
        self.model_words.setText(
            f"{f.model_id or 'not named'} version {f.model_version or '?'}"
            + (f", SHA-256 {f.model_sha256}" if f.model_sha256 else "")
            + (f"; form {f.form.replace('|', ' version ')}" if f.form else ""))
        self.pathway.setText(f.pathway or "Not given")
        self.reason.setText(f.reason or "Not given")
        self.lawful_basis.setText(f.lawful_basis or "Not given")
        self.next_step.setText((f.next_step or "").removeprefix("Next step: ") or "Not given")
        self._show_team(r)
        self._clear_answers()
        for row, (question, answer) in enumerate(f.answers):
            words = record_label(self.answers_box)
            words.setText(question)
            text = record_label(self.answers_box)
            text.setText(answer or "Not answered")
            self.answers_grid.addWidget(words, row, 0, Qt.AlignmentFlag.AlignTop)
            self.answers_grid.addWidget(text, row, 1, Qt.AlignmentFlag.AlignTop)
            self.answer_labels += [words, text]
        self.scroll_area.verticalScrollBar().setValue(0)

    def _show_team(self, r: ReceivedReferral) -> None:
        if r.decision is None:
            self.decision.setText("Not decided yet")
        else:
            self.decision.setText(f"{status_words(r.decision)} on {show_when(r.decided_at)}"
                                  + (f": {r.decision_reason}" if r.decision_reason else ""))
        self.closing.setText(f"{show_when(r.closed_at)}: {r.close_reason}" if r.closed_at
                             else "Open")
        vocabulary = load_outcomes()
        labels = {o.id: o.label for o in vocabulary.outcomes}
        lines = []
        for outcome_id, words, on in r.outcomes:
            label = labels.get(outcome_id, words)
            lines.append(f"• {label}" + (f": {words}" if words != label else "")
                         + f" ({show_when(on)})")
        self.outcomes.setText("\n".join(lines) or "None recorded yet")
        if r.confirmed:
            sources = {c.id: c.label for c in vocabulary.confirmation_sources}
            source = r.confirmed_source or ""
            self.confirmation.setText(f"{Confirmation(r.confirmed).words} "
                                      f"({sources.get(source, source or 'source not given')})")
        else:
            self.confirmation.setText("Not answered yet")
        decided, closed = r.decision is not None, r.closed_at is not None
        self.decide_button.setEnabled(not decided and not closed)
        self.outcome_button.setEnabled(decided and not closed)
        self.reply_button.setEnabled(decided and r.trusted)
        self.close_button.setEnabled(decided and bool(r.outcomes) and not closed)
        for button, why in (
                (self.decide_button, "The decision is recorded."),
                (self.outcome_button, "The referral is closed." if closed
                 else "Record the decision first."),
                (self.reply_button, "Record the decision first." if not decided
                 else "The sender's certificate is not trusted here."),
                (self.close_button, "The referral is closed." if closed
                 else "Record an outcome first." if decided
                 else "Record the decision, then an outcome, first.")):
            button.setToolTip("" if button.isEnabled() else why)

    def show_error(self, message: str) -> None:
        """A plain-words problem with the last step."""
        self.error.setText(message)
        self.error.setVisible(bool(message))
        if message:
            self.done.setVisible(False)

    def show_done(self, message: str) -> None:
        """What the last step did."""
        self.done.setText(message)
        self.done.setVisible(bool(message))

    def clear(self) -> None:
        """Forget the referral shown (on locking)."""
        self.received = None
        self.show_error("")
        self.show_done("")
        self._clear_answers()
        for label in self.findChildren(QLabel):
            if label.wordWrap() and label is not self.title:
                label.clear()
        self.title.clear()
        self.level.clear_level("")

    def _clear_answers(self) -> None:
        for label in self.answer_labels:
            self.answers_grid.removeWidget(label)
            label.deleteLater()
        self.answer_labels = []

    def _on_child_button_clicked(self) -> None:
        if self.received is not None and self.received.child is not None:
            self.child_requested.emit(self.received.child.id)


class _StepDialog(QDialog):
    """What the two dialogs share: an error line, Record and Cancel, and staying open until
    the service has recorded the step."""

    submitted = Signal(dict)

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.error = QLabel(self)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        buttons = QDialogButtonBox(self)
        self.ok_button = buttons.addButton("Record", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("stepRecord")
        self.ok_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(420)

    def values(self) -> dict[str, Any]:
        """What was chosen."""
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        """Why the step was not recorded; the dialog stays open with what was typed."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _on_buttons_accepted(self) -> None:
        self.show_error("")
        self.submitted.emit(self.values())


def _text_edit(parent: QWidget, name: str) -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    edit.setObjectName(name)
    edit.setTabChangesFocus(True)
    edit.setMaximumHeight(90)
    return edit


class DecisionDialog(_StepDialog):
    """Accept the referral, or decline it with the reason the sender is told. Nothing is
    chosen at first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("The team's decision", parent)
        self.accept_choice = QRadioButton("Accept the referral", self)
        self.accept_choice.setObjectName("decideAccept")
        self.decline_choice = QRadioButton("Decline it", self)
        self.decline_choice.setObjectName("decideDecline")
        group = QButtonGroup(self)
        group.addButton(self.accept_choice)
        group.addButton(self.decline_choice)
        self.reason = _text_edit(self, "declineReason")
        self.reason.setAccessibleName("Why it is declined")
        self.reason_label = QLabel("Why it is declined (the sender is told)", self)
        self.reason_label.setWordWrap(True)
        self.form.addRow(self.accept_choice)
        self.form.addRow(self.decline_choice)
        self.form.addRow(self.reason_label, self.reason)
        self.ok_button.setEnabled(False)
        group.buttonToggled.connect(self._on_group_button_toggled)
        self._on_group_button_toggled()

    def _on_group_button_toggled(self, *_args: object) -> None:
        declining = self.decline_choice.isChecked()
        self.reason.setVisible(declining)
        self.reason_label.setVisible(declining)
        self.ok_button.setEnabled(declining or self.accept_choice.isChecked())

    def values(self) -> dict[str, Any]:
        """``accept`` and ``reason`` (None when accepting)."""
        accept = self.accept_choice.isChecked()
        return {"accept": accept,
                "reason": None if accept else " ".join(self.reason.toPlainText().split())}


class CloseDialog(_StepDialog):
    """Close the referral, saying why (kept on the team's record; the audit log says that it
    was closed). A reply saved afterwards tells the sender an accepted referral is completed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Close the referral", parent)
        self.ok_button.setText("Close the referral")
        self.reason = _text_edit(self, "closeReason")
        self.reason.setAccessibleName("Why the referral is closed")
        label = QLabel("Why it is closed (for example: the plan is in place and the case is "
                       "held by children's social care)", self)
        label.setWordWrap(True)
        self.form.addRow(label)
        self.form.addRow(self.reason)

    def values(self) -> dict[str, Any]:
        """``reason``, its spaces folded."""
        return {"reason": " ".join(self.reason.toPlainText().split())}


class ReceivedOutcomeDialog(_StepDialog):
    """An outcome from the shared vocabulary, its detail when it asks for one, and the answer
    to "exploitation confirmed?" with where it came from (optional)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("An outcome", parent)
        vocabulary = load_outcomes()
        self.outcome = QComboBox(self)
        self.outcome.setObjectName("outcomeChoice")
        self._details: dict[str, tuple[str | None, bool]] = {}
        for outcome in vocabulary.outcomes:
            if not outcome.retired:
                self.outcome.addItem(outcome.label, outcome.id)
                self._details[outcome.id] = (outcome.detail, outcome.detail_required)
        self.detail = _text_edit(self, "outcomeDetail")
        self.detail_label = QLabel(self)
        self.detail_label.setWordWrap(True)
        self.confirmed = QComboBox(self)
        self.confirmed.setObjectName("outcomeConfirmed")
        self.confirmed.addItem("Not answering now", None)
        for answer in Confirmation:
            self.confirmed.addItem(answer.words, answer.value)
        self.source = QComboBox(self)
        self.source.setObjectName("outcomeSource")
        for source in vocabulary.confirmation_sources:
            if not source.retired:
                self.source.addItem(source.label, source.id)
        self.form.addRow("Outcome", self.outcome)
        self.form.addRow(self.detail_label, self.detail)
        self.form.addRow("Exploitation confirmed?", self.confirmed)
        self.form.addRow("Where the answer came from", self.source)
        self.outcome.currentIndexChanged.connect(self._on_outcome_current_index_changed)
        self.confirmed.currentIndexChanged.connect(self._on_confirmed_current_index_changed)
        self._on_outcome_current_index_changed()
        self._on_confirmed_current_index_changed()

    def _on_outcome_current_index_changed(self, *_args: object) -> None:
        detail, required = self._details.get(str(self.outcome.currentData()), (None, False))
        self.detail_label.setText((detail or "").capitalize()
                                  + ("" if required or not detail else " (optional)"))
        self.detail_label.setVisible(detail is not None)
        self.detail.setVisible(detail is not None)
        self.detail.setAccessibleName(detail or "Detail")
        if detail is None:
            self.detail.clear()

    def _on_confirmed_current_index_changed(self, *_args: object) -> None:
        self.source.setEnabled(self.confirmed.currentData() is not None)

    def values(self) -> dict[str, Any]:
        """``outcome``, ``detail``, ``confirmed`` and ``source`` (None when not answered)."""
        confirmed = self.confirmed.currentData()
        return {"outcome": self.outcome.currentData(),
                "detail": " ".join(self.detail.toPlainText().split()) or None,
                "confirmed": confirmed,
                "source": self.source.currentData() if confirmed is not None else None}
