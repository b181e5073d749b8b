"""The set-up assistant shown on first start: where the data goes, the administrator, the
first practitioner account, and the recovery key shown once."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from riskscreen.ui.widgets import centred_card

__all__ = ["AccountFields", "SetupView", "key_lines", "recovery_sheet_html"]

MIN_PASSPHRASE = 10
#: Groups of the recovery key on one line (two lines for the usual eight groups).
GROUPS_PER_LINE = 4


def key_lines(key: str) -> str:
    """The recovery key as lines of whole groups, dashes kept between groups."""
    groups = key.split("-")
    return "\n".join("-".join(groups[i:i + GROUPS_PER_LINE])
                     for i in range(0, len(groups), GROUPS_PER_LINE))


def recovery_sheet_html(key: str, db_path: Path, made: str) -> str:
    """The printed sheet: what the key is for, the key in whole groups, and how to keep it."""
    lines = "<br>".join(escape(line) for line in key_lines(key).splitlines())
    return (
        "<h2>RiskScreen recovery key</h2>"
        f"<p>For the database at {escape(str(db_path))}, created {escape(made)}.</p>"
        f"<p style='font-family: monospace; font-size: 16pt'>{lines}</p>"
        "<p>If every passphrase is forgotten, this key is the only way to open the database. "
        "Anyone with it can read the database: keep this sheet somewhere safe and separate "
        "from the computer, as your organisation's policy says. Dashes and line breaks do not "
        "need to be typed.</p>")


class AccountFields(QWidget):
    """Name, display name and a passphrase typed twice."""

    def __init__(self, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit(self)
        self.name.setObjectName(f"{prefix}Name")
        self.name.setAccessibleName("Account name")
        self.name.setPlaceholderText("for example jsmith (no spaces)")
        self.display_name = QLineEdit(self)
        self.display_name.setObjectName(f"{prefix}DisplayName")
        self.display_name.setAccessibleName("Full name")
        self.passphrase = QLineEdit(self)
        self.passphrase.setObjectName(f"{prefix}Passphrase")
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit(self)
        self.repeat.setObjectName(f"{prefix}Repeat")
        self.repeat.setAccessibleName("Passphrase again")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Account name:", self.name)
        form.addRow("Full name:", self.display_name)
        form.addRow("Passphrase:", self.passphrase)
        form.addRow("Passphrase again:", self.repeat)

    def problem(self) -> str | None:
        """Why these fields cannot be used yet, in plain words; None when they can."""
        name = self.name.text().strip()
        if not name or any(ch.isspace() for ch in name):
            return "Choose an account name without spaces."
        if len(self.passphrase.text()) < MIN_PASSPHRASE:
            return (f"Choose a passphrase of at least {MIN_PASSPHRASE} characters; a few "
                    "unrelated words are easy to remember and hard to guess.")
        if self.passphrase.text() != self.repeat.text():
            return "The two passphrases are not the same."
        return None


class SetupView(QWidget):
    """Four steps; emits ``create_requested`` after step 3 and ``finished`` at the end."""

    create_requested = Signal()
    print_requested = Signal()
    finished = Signal()

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setupView")
        self.steps = QStackedWidget(self)

        welcome = QWidget()
        w = QVBoxLayout(welcome)
        w.addWidget(self._title("Welcome to RiskScreen"))
        w.addWidget(self._text(
            "RiskScreen helps practitioners in every agency bring together what is known "
            "when they are worried a child may be at risk of sexual exploitation, and make a "
            "clear, well-evidenced referral. It supports your professional judgement and "
            "your local safeguarding procedures; it never replaces them."))
        w.addWidget(self._text(
            "This assistant creates the encrypted database where screenings are kept, an "
            "administrator account, and your own account for completing screenings."))
        self.location = self._text(f"The database will be created at:\n{db_path}")
        self.location.setObjectName("dbLocation")
        self.location.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        w.addWidget(self.location)
        w.addStretch(1)
        self.steps.addWidget(welcome)

        admin = QWidget()
        a = QVBoxLayout(admin)
        a.addWidget(self._title("The administrator account"))
        a.addWidget(self._text(
            "The administrator manages accounts and backups. For privacy, this account "
            "cannot see any child's information."))
        self.admin = AccountFields("admin", admin)
        a.addWidget(self.admin)
        a.addStretch(1)
        self.steps.addWidget(admin)

        practitioner = QWidget()
        p = QVBoxLayout(practitioner)
        p.addWidget(self._title("Your account for screenings"))
        p.addWidget(self._text(
            "Screenings are completed with a practitioner account. Create yours now; the "
            "administrator can add colleagues' accounts later. You can skip this if you "
            "only administer RiskScreen."))
        self.make_practitioner = QCheckBox("Create a practitioner account now", practitioner)
        self.make_practitioner.setObjectName("makePractitioner")
        self.make_practitioner.setChecked(True)
        self.practitioner = AccountFields("practitioner", practitioner)
        p.addWidget(self.make_practitioner)
        p.addWidget(self.practitioner)
        p.addStretch(1)
        self.steps.addWidget(practitioner)

        recovery = QWidget()
        r = QVBoxLayout(recovery)
        r.addWidget(self._title("Your recovery key"))
        r.addWidget(self._text(
            "If every passphrase is forgotten, this recovery key is the only way to open the "
            "database. It is shown once, now. Write it down or print it, and keep it "
            "somewhere safe and separate from this computer, as your organisation's policy "
            "says. Anyone with this key can read the database."))
        self.recovery_key = QLabel(recovery)
        self.recovery_key.setObjectName("recoveryKey")
        # Whole groups on each line, never wrapped inside one: a key copied by hand from a
        # broken group is easily copied wrongly.
        self.recovery_key.setWordWrap(False)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(mono.pointSizeF() * 1.3)
        self.recovery_key.setFont(mono)
        self.recovery_key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.recovery_key.setAccessibleName("Recovery key")
        self.key = ""
        self.copy_button = QPushButton("Copy to clipboard", recovery)
        self.print_button = QPushButton("Print…", recovery)
        self.print_button.setObjectName("printRecoveryKey")
        self.stored = QCheckBox("I have stored the recovery key safely", recovery)
        self.stored.setObjectName("recoveryStored")
        r.addWidget(self.recovery_key)
        key_buttons = QHBoxLayout()
        key_buttons.addWidget(self.print_button)
        key_buttons.addWidget(self.copy_button)
        key_buttons.addStretch(1)
        r.addLayout(key_buttons)
        r.addWidget(self.stored)
        r.addStretch(1)
        self.steps.addWidget(recovery)

        self.error = QLabel(self)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.status = QLabel(self)
        self.back_button = QPushButton("Back", self)
        self.back_button.setObjectName("setupBack")
        self.next_button = QPushButton("Next", self)
        self.next_button.setObjectName("setupNext")
        self.next_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)

        inner = centred_card(self, 680, below=1, grow=4)
        inner.addWidget(self.steps, 1)
        inner.addWidget(self.error)
        inner.addLayout(buttons)

        self.back_button.clicked.connect(self._on_back_button_clicked)
        self.next_button.clicked.connect(self._on_next_button_clicked)
        self.make_practitioner.toggled.connect(self.practitioner.setEnabled)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.print_button.clicked.connect(self.print_requested)
        self.stored.toggled.connect(self._on_stored_toggled)
        self._update_buttons()

    @staticmethod
    def _title(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("pageTitle")
        label.setWordWrap(True)
        return label

    @staticmethod
    def _text(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        return label

    def step(self) -> int:
        """The step shown (0 welcome, 1 administrator, 2 practitioner, 3 recovery key)."""
        return self.steps.currentIndex()

    def show_error(self, message: str) -> None:
        """A problem with what was entered, or with creating the database."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def set_busy(self, busy: bool) -> None:
        """Creating the database takes a few seconds (the passphrase is stretched)."""
        self.next_button.setEnabled(not busy)
        self.back_button.setEnabled(not busy)
        self.status.setText("Creating the encrypted database…" if busy else "")

    def show_recovery_key(self, key: str) -> None:
        """Step 4: the recovery key, once."""
        self.key = key
        self.recovery_key.setText(key_lines(key))
        self.steps.setCurrentIndex(3)
        self.show_error("")
        self._step_shown()

    def forget_recovery_key(self) -> None:
        """Remove the key from the screen when the assistant ends."""
        self.recovery_key.clear()
        self.key = ""

    def first_field(self) -> QWidget:
        """The cursor starts in the step's first field, or on Next."""
        from riskscreen.ui.main_window import first_field

        page = self.steps.currentWidget()
        found = first_field(page) if page is not None else None
        return found if found is not None else self.next_button

    def _update_buttons(self) -> None:
        step = self.step()
        self.back_button.setVisible(step in (1, 2))
        self.next_button.setText({2: "Create database", 3: "Finish"}.get(step, "Next"))
        self.next_button.setEnabled(step != 3 or self.stored.isChecked())

    def _step_shown(self) -> None:
        """A new step: its buttons, and the cursor in its first field."""
        self._update_buttons()
        if self.isVisible():
            self.first_field().setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_back_button_clicked(self) -> None:
        self.steps.setCurrentIndex(max(0, self.step() - 1))
        self.show_error("")
        self._step_shown()

    def _on_next_button_clicked(self) -> None:
        step = self.step()
        if step == 1:
            problem = self.admin.problem()
            if problem:
                self.show_error(problem)
                return
        if step == 2:
            problem = self.practitioner.problem() if self.make_practitioner.isChecked() else None
            if problem:
                self.show_error(problem)
                return
            if (self.make_practitioner.isChecked()
                    and self.practitioner.name.text().strip() == self.admin.name.text().strip()):
                self.show_error("Use a different account name from the administrator's.")
                return
            self.show_error("")
            self.create_requested.emit()
            return
        if step == 3:
            if self.stored.isChecked():
                self.finished.emit()
            return
        self.steps.setCurrentIndex(step + 1)
        self.show_error("")
        self._step_shown()

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.key)

    def _on_stored_toggled(self, checked: bool) -> None:
        self._update_buttons()
