"""The unlock screen: account name and passphrase. Nothing about any child shows here."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from riskscreen.ui.widgets import MessageLabel, centred_card

__all__ = ["UnlockView"]


class UnlockView(QWidget):
    """Asks for the account name and passphrase; emits ``unlock_requested(name, passphrase)``.

    "Use the recovery key" switches to a second form (account, recovery key, new passphrase
    twice) that emits ``recovery_requested(name, recovery_key, new_passphrase)``.
    """

    unlock_requested = Signal(str, str)
    recovery_requested = Signal(str, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unlockView")
        self.title = QLabel("Sign in to RiskScreen", self)
        self.title.setObjectName("lockedTitle")
        #: The team database's address when signing in to one (None: this computer's file).
        self.server: str | None = None
        self.explanation = QLabel(self._sign_in_words(), self)
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

        self.recovery_link = QPushButton("Forgotten your passphrase? Use the recovery key", self)
        self.recovery_link.setObjectName("recoveryLink")
        self.recovery_link.setFlat(True)
        self.recovery_link.setStyleSheet("text-decoration: underline; color: palette(link);")
        self.recovery_link.setAutoDefault(False)
        # A team server has no recovery key: an administrator there sets a new passphrase.
        self.no_recovery = QLabel("Forgotten your passphrase? An administrator of the team "
                                  "database can set a new one for you.", self)
        self.no_recovery.setObjectName("noRecovery")
        self.no_recovery.setWordWrap(True)
        self.no_recovery.setVisible(False)

        form = QFormLayout()
        form.addRow("&Account name:", self.name)
        form.addRow("&Passphrase:", self.passphrase)
        self.sign_in = QWidget(self)
        sign_in = QVBoxLayout(self.sign_in)
        sign_in.setContentsMargins(0, 0, 0, 0)
        sign_in.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.recovery_link)
        buttons.addStretch(1)
        buttons.addWidget(self.button)
        sign_in.addLayout(buttons)
        sign_in.addWidget(self.no_recovery)
        self.recovery = self._recovery_form()
        self.recovery.setVisible(False)
        inner = centred_card(self, 520)
        inner.addWidget(self.title)
        inner.addWidget(self.explanation)
        inner.addWidget(self.sign_in)
        inner.addWidget(self.recovery)
        inner.addWidget(self.error)
        inner.addWidget(self.status)

        self.button.clicked.connect(self._on_button_clicked)
        self.passphrase.returnPressed.connect(self._on_button_clicked)
        self.name.returnPressed.connect(self.passphrase.setFocus)
        self.recovery_link.clicked.connect(self._on_recovery_link_clicked)
        self.back_button.clicked.connect(self._on_back_button_clicked)
        self.recover_button.clicked.connect(self._on_recover_button_clicked)
        self.repeat.returnPressed.connect(self._on_recover_button_clicked)
        self.show_key.toggled.connect(self._on_show_key_toggled)

    def _sign_in_words(self) -> str:
        if self.server is not None:
            return (f"Connected to the team database ({self.server}). Now enter your own "
                    "account name and passphrase.")
        return ("Enter your account name and passphrase. The information in RiskScreen is "
                "encrypted and can only be read after you sign in.")

    def set_server(self, shown: str | None) -> None:
        """Word the window for a team server's database (``shown``, its address) or for
        this computer's encrypted file (None); only a file has a recovery key."""
        self.server = shown
        self.recovery_link.setVisible(shown is None)
        self.no_recovery.setVisible(shown is not None)
        self.explanation.setText(self._sign_in_words())

    def first_field(self) -> QWidget:
        """The cursor starts where typing starts: the passphrase once the name is known."""
        if self.recovery.isVisibleTo(self):
            return self.recovery_key if self.recovery_name.text() else self.recovery_name
        return self.passphrase if self.name.text().strip() else self.name

    def _recovery_form(self) -> QWidget:
        box = QWidget(self)
        self.recovery_explanation = QLabel(
            "Type the recovery key printed when RiskScreen was set up, then choose a new "
            "passphrase for your account. Every other account keeps its passphrase.", box)
        self.recovery_explanation.setWordWrap(True)
        self.recovery_name = QLineEdit(box)
        self.recovery_name.setAccessibleName("Account name")
        self.recovery_key = QLineEdit(box)
        self.recovery_key.setObjectName("recoveryKeyInput")
        self.recovery_key.setAccessibleName("Recovery key")
        self.recovery_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.recovery_key.setPlaceholderText("8 groups of 7 letters and digits")
        self.show_key = QCheckBox("Show the key while typing", box)
        self.new_passphrase = QLineEdit(box)
        self.new_passphrase.setAccessibleName("New passphrase")
        self.new_passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit(box)
        self.repeat.setAccessibleName("New passphrase again")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.back_button = QPushButton("Back to sign-in", box)
        self.back_button.setAutoDefault(False)
        self.recover_button = QPushButton("Set the new passphrase and sign in", box)
        self.recover_button.setObjectName("recoverButton")
        form = QFormLayout()
        form.addRow("A&ccount name:", self.recovery_name)
        form.addRow("&Recovery key:", self.recovery_key)
        form.addRow("", self.show_key)
        form.addRow("&New passphrase:", self.new_passphrase)
        form.addRow("New passphrase a&gain:", self.repeat)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.recovery_explanation)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.recover_button)
        layout.addLayout(buttons)
        return box

    def show_recovery(self, shown: bool) -> None:
        """Switch between signing in and unlocking with the recovery key."""
        self.sign_in.setVisible(not shown)
        self.explanation.setVisible(not shown)
        self.recovery.setVisible(shown)
        self.error.setVisible(False)
        self.button.setDefault(not shown)
        self.recover_button.setDefault(shown)
        if shown:
            self.title.setText("Use the recovery key")
            self.recovery_name.setText(self.name.text().strip())
            (self.recovery_key if self.recovery_name.text() else self.recovery_name).setFocus()
        else:
            self._clear_recovery()
            self.title.setText("Sign in to RiskScreen")
            self.name.setFocus()

    def _clear_recovery(self) -> None:
        for field in (self.recovery_key, self.new_passphrase, self.repeat):
            field.clear()

    def _on_recovery_link_clicked(self) -> None:
        self.show_recovery(True)

    def _on_back_button_clicked(self) -> None:
        self.show_recovery(False)

    def _on_show_key_toggled(self, shown: bool) -> None:
        self.recovery_key.setEchoMode(QLineEdit.EchoMode.Normal if shown
                                      else QLineEdit.EchoMode.Password)

    def _on_recover_button_clicked(self) -> None:
        if not self.recover_button.isEnabled():
            return
        name = self.recovery_name.text().strip()
        if not name or not self.recovery_key.text().strip() or not self.new_passphrase.text():
            self.show_error("Enter your account name, the recovery key and a new passphrase.")
            return
        if self.new_passphrase.text() != self.repeat.text():
            self.show_error("The two new passphrases are not the same; type them again.")
            self.new_passphrase.clear()
            self.repeat.clear()
            self.new_passphrase.setFocus()
            return
        self.recovery_requested.emit(name, self.recovery_key.text(),
                                     self.new_passphrase.text())

    def _on_button_clicked(self) -> None:
        if not self.button.isEnabled():
            return
        name = self.name.text().strip()
        if not name or not self.passphrase.text():
            self.show_error("Enter both your account name and your passphrase.")
            return
        self.unlock_requested.emit(name, self.passphrase.text())

    def set_locked(self, locked_by: str | None, why: str = "") -> None:
        """Word the screen for a lock (the same account continues) or a fresh sign-in;
        ``why`` says who locked it or after how long ("Locked after 5 minutes without use.")."""
        if locked_by:
            self.title.setText("RiskScreen is locked")
            self.explanation.setText(
                f"{why or 'Locked.'} Children's information is hidden until you sign in "
                "again. Anything you were typing has been kept. Enter your passphrase to "
                "carry on.")
            self.name.setText(locked_by)
            self.passphrase.setFocus()
        else:
            self.title.setText("Sign in to RiskScreen")
            self.explanation.setText(self._sign_in_words())
            self.name.setFocus()
        self.passphrase.clear()
        self.sign_in.setVisible(True)
        self.explanation.setVisible(True)
        self.recovery.setVisible(False)
        self.button.setDefault(True)
        self._clear_recovery()
        self.error.setVisible(False)

    def set_busy(self, busy: bool) -> None:
        """Checking a passphrase takes a moment on purpose; say so."""
        for widget in (self.button, self.name, self.passphrase, self.recovery_link,
                       self.recover_button, self.back_button, self.recovery_name,
                       self.recovery_key, self.new_passphrase, self.repeat):
            widget.setEnabled(not busy)
        self.status.setText(("Checking the recovery key…" if self.recovery.isVisible()
                             else "Checking your passphrase…") if busy else "")

    def show_error(self, message: str) -> None:
        """A plain-words message, for example after a wrong passphrase."""
        self.error.setText(message)
        self.error.setVisible(True)
        if self.recovery.isVisible():
            if not self.new_passphrase.hasFocus():
                self.recovery_key.setFocus()
            return
        self.passphrase.clear()
        self.passphrase.setFocus()
