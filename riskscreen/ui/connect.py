"""Connecting to a team server's database, before anyone signs in with their own account.

Layout only: the controller says which server it is, whether the database password is needed
(none over a Unix socket, or kept in this computer's keyring), and what went wrong.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from riskscreen.ui.widgets import MessageLabel, centred_card

__all__ = ["ConnectView"]


class ConnectView(QWidget):
    """The team database's address and, when it is needed, its password; emits
    ``connect_requested(password, remember)`` (an empty password when none is asked for)."""

    connect_requested = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectView")
        self.title = QLabel("Connect to the team database", self)
        self.title.setObjectName("lockedTitle")
        self.explanation = QLabel(
            "This RiskScreen works on your team's shared database. First it connects to the "
            "database server; then you sign in with your own account name and passphrase.",
            self)
        self.explanation.setWordWrap(True)
        self.server = QLabel(self)
        self.server.setObjectName("connectServer")
        self.server.setWordWrap(True)
        self.server.setAccessibleName("Team database")
        self.password = QLineEdit(self)
        self.password.setObjectName("connectPassword")
        self.password.setAccessibleName("Database password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Keep the password in this computer's keyring", self)
        self.remember.setObjectName("connectRemember")
        self.remember.setToolTip("The operating system's keyring keeps it encrypted, so "
                                 "RiskScreen does not ask for it each time.")
        self.error = MessageLabel(3, self)
        self.error.setObjectName("errorText")
        self.error.setVisible(False)
        self.error.setAccessibleName("Connection problem")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.button = QPushButton("Connect", self)
        self.button.setObjectName("connectButton")
        self.button.setDefault(True)

        self.form = QWidget(self)
        form = QFormLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Database &password:", self.password)
        form.addRow("", self.remember)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.button)
        inner = centred_card(self, 520)
        inner.addWidget(self.title)
        inner.addWidget(self.explanation)
        inner.addWidget(self.server)
        inner.addWidget(self.form)
        inner.addLayout(buttons)
        inner.addWidget(self.error)
        inner.addWidget(self.status)
        self.set_password_needed(False)

        self.button.clicked.connect(self._on_button_clicked)
        self.password.returnPressed.connect(self._on_button_clicked)

    def first_field(self) -> QWidget:
        """The password when it is asked for, else the button."""
        return self.password if self.form.isVisibleTo(self) else self.button

    def set_server(self, shown: str, account: str | None) -> None:
        """Name the database (``shown``, never with a password) and the database account
        whose password would be asked for."""
        text = f"Team database: {shown}"
        if account:
            text += f"\nDatabase account: {account}"
        self.server.setText(text)

    def set_password_needed(self, needed: bool) -> None:
        """Show the password field (none needed over a socket or with one in the keyring)."""
        self.form.setVisible(needed)
        self.button.setText("Connect" if needed else "Try again")
        if needed:
            self.password.clear()
            self.password.setFocus()

    def set_busy(self, busy: bool, text: str = "Connecting to the team database…") -> None:
        """Connecting may take a few seconds on a slow network; say so."""
        for widget in (self.button, self.password, self.remember):
            widget.setEnabled(not busy)
        self.status.setText(text if busy else "")
        if busy:
            self.error.setVisible(False)

    def show_error(self, message: str) -> None:
        """What went wrong, in one line that says what to do."""
        self.error.setText(message)
        self.error.setVisible(True)
        if self.form.isVisible():
            self.password.selectAll()
            self.password.setFocus()

    def set_unusable(self, message: str) -> None:
        """The address itself cannot be used: say why; nothing here can be retried."""
        self.set_password_needed(False)
        self.button.setVisible(False)
        self.show_error(message)

    def _on_button_clicked(self) -> None:
        if not self.button.isEnabled() or not self.button.isVisible():
            return
        if self.form.isVisible() and not self.password.text():
            self.show_error("Type the database password your IT department gave you.")
            return
        self.connect_requested.emit(self.password.text() if self.form.isVisible() else "",
                                    self.remember.isChecked() and self.form.isVisible())
