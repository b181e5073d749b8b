"""The unlock screen: account name and passphrase. Nothing about any child shows here."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from riskscreen.ui.widgets import MessageLabel

__all__ = ["UnlockView"]


class UnlockView(QWidget):
    """Asks for the account name and passphrase; emits ``unlock_requested(name, passphrase)``."""

    unlock_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unlockView")
        self.title = QLabel("Sign in to RiskScreen", self)
        self.title.setObjectName("lockedTitle")
        self.explanation = QLabel(
            "Enter your account name and passphrase. The information in RiskScreen is "
            "encrypted and can only be read after you sign in.", self)
        self.explanation.setWordWrap(True)
        self.name = QLineEdit(self)
        self.name.setObjectName("unlockName")
        self.name.setAccessibleName("Account name")
        self.passphrase = QLineEdit(self)
        self.passphrase.setObjectName("unlockPassphrase")
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        # Room for the message is kept, so the card and its button never move.
        self.error = MessageLabel(2, self)
        self.error.setObjectName("errorText")
        self.error.setVisible(False)
        self.error.setAccessibleName("Sign-in problem")
        self.button = QPushButton("Unlock", self)
        self.button.setObjectName("unlockButton")
        self.button.setDefault(True)
        self.status = QLabel(self)
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Account name:", self.name)
        form.addRow("&Passphrase:", self.passphrase)
        card = QFrame(self)
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setFixedWidth(520)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(24, 24, 24, 24)
        inner.addWidget(self.title)
        inner.addWidget(self.explanation)
        inner.addLayout(form)
        inner.addWidget(self.error)
        inner.addWidget(self.button, 0, Qt.AlignmentFlag.AlignRight)
        inner.addWidget(self.status)
        # Centred by stretches, not alignment: word-wrapped labels then get their full height.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        self.button.clicked.connect(self._on_button_clicked)
        self.passphrase.returnPressed.connect(self._on_button_clicked)
        self.name.returnPressed.connect(self.passphrase.setFocus)

    def _on_button_clicked(self) -> None:
        if not self.button.isEnabled():
            return
        name = self.name.text().strip()
        if not name or not self.passphrase.text():
            self.show_error("Enter both your account name and your passphrase.")
            return
        self.unlock_requested.emit(name, self.passphrase.text())

    def set_locked(self, locked_by: str | None) -> None:
        """Word the screen for a lock (the same account continues) or a fresh sign-in."""
        if locked_by:
            self.title.setText("RiskScreen is locked")
            self.explanation.setText(
                "RiskScreen locked itself to keep children's information private. Anything "
                "you were typing has been kept. Enter your passphrase to carry on.")
            self.name.setText(locked_by)
            self.passphrase.setFocus()
        else:
            self.title.setText("Sign in to RiskScreen")
            self.name.setFocus()
        self.passphrase.clear()
        self.error.setVisible(False)

    def set_busy(self, busy: bool) -> None:
        """Checking a passphrase takes a moment on purpose; say so."""
        self.button.setEnabled(not busy)
        self.name.setEnabled(not busy)
        self.passphrase.setEnabled(not busy)
        self.status.setText("Checking your passphrase…" if busy else "")

    def show_error(self, message: str) -> None:
        """A plain-words message, for example after a wrong passphrase."""
        self.error.setText(message)
        self.error.setVisible(True)
        self.passphrase.clear()
        self.passphrase.setFocus()
