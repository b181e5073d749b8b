"""Importing an exchange package: who sent it, and a person's choice of the child's record.

The dialog never chooses for the user: no option is selected at first, so "Import" stays
disabled until a match is confirmed or a new record asked for (never a silent merge).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from riskscreen.services.exchange import Incoming
from riskscreen.services.types import PackageKind

__all__ = ["ImportPackageDialog"]


def _date(value: object) -> str:
    return f"{value:%d %B %Y}" if value is not None else "not given"


class ImportPackageDialog(QDialog):
    """Shows a checked package and asks which child record it is about."""

    def __init__(self, incoming: Incoming, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importPackageDialog")
        self.setWindowTitle("Import a package")
        self.incoming = incoming
        layout = QVBoxLayout(self)
        trust = ("a sender this database trusts" if incoming.trusted else
                 "a sender this database does NOT trust: it cannot be imported until an "
                 "administrator installs their certificate")
        sender = QLabel(f"<b>From {incoming.sender}</b>, {trust}.<br>"
                        f"Certificate SHA-256 {incoming.sender_fingerprint}", self)
        sender.setObjectName("packageSender")
        sender.setWordWrap(True)
        layout.addWidget(sender)
        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton("Import",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("importPackage")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.choices = QButtonGroup(self)
        self.choices.setExclusive(True)
        self.new_record: QRadioButton | None = None
        if incoming.already_imported is not None:
            note = QLabel("This package was imported before; importing it again changes "
                          "nothing.", self)
            note.setWordWrap(True)
            layout.addWidget(note)
        elif incoming.kind == PackageKind.REPLY:
            reply = QLabel(f"A reply about referral {incoming.reference}: importing it "
                           "records the team's decision and outcomes on that referral.", self)
            reply.setWordWrap(True)
            layout.addWidget(reply)
        elif incoming.kind == PackageKind.INTELLIGENCE:
            intel = QLabel(f"An intelligence submission ({incoming.reference}): importing it "
                           "keeps it read-only, as the sender graded it, under Intelligence › "
                           "Intelligence received. It is intelligence, not evidence.", self)
            intel.setObjectName("packageIntelligence")
            intel.setWordWrap(True)
            layout.addWidget(intel)
        else:
            self._child_choices(layout)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.choices.buttonToggled.connect(self._on_choices_button_toggled)
        needs_choice = incoming.kind == PackageKind.REFERRAL and incoming.already_imported is None
        self.import_button.setEnabled(incoming.trusted and not needs_choice)

    def _child_choices(self, layout: QVBoxLayout) -> None:
        incoming = self.incoming
        child = QLabel(
            f"Referral {incoming.reference} ({incoming.level or 'level not given'}) about "
            f"<b>{incoming.child_name or 'a child whose name is not given'}</b>, born "
            f"{_date(incoming.child_date_of_birth)}"
            + (f", NHS number {incoming.nhs_number}" if incoming.nhs_number else "") + ".",
            self)
        child.setObjectName("packageChild")
        child.setWordWrap(True)
        layout.addWidget(child)
        question = QLabel("Which record is this child's? Check before you choose: records "
                          "are never merged for you.", self)
        question.setWordWrap(True)
        layout.addWidget(question)
        for match in incoming.matches:
            button = QRadioButton(
                f"Child {match.child.id}: {match.child.name}, born "
                f"{_date(match.child.date_of_birth)} ({match.by.words})", self)
            button.setProperty("child_id", match.child.id)
            self.choices.addButton(button)
            layout.addWidget(button)
        self.new_record = QRadioButton("None of these: create a new child record"
                                       if incoming.matches else
                                       "No record here matches: create a new child record",
                                       self)
        self.new_record.setObjectName("newChildRecord")
        self.choices.addButton(self.new_record)
        layout.addWidget(self.new_record)

    def _on_choices_button_toggled(self, _button: QRadioButton, _checked: bool) -> None:
        self.import_button.setEnabled(self.incoming.trusted
                                      and self.choices.checkedButton() is not None)

    def choice(self) -> int | str | None:
        """The confirmed child id, ``"new"`` for a new record, or None (not chosen)."""
        checked = self.choices.checkedButton()
        if checked is None:
            return None
        if checked is self.new_record:
            return "new"
        value = checked.property("child_id")
        return int(value) if value is not None else None
