"""The administrator's views (layout only); :mod:`.controller` wires them to the services."""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from riskscreen.services.types import Role
from riskscreen.ui.manager.views import _table
from riskscreen.ui.widgets import fit_to_screen

__all__ = ["AccountsView", "AdminWindow", "AuditView", "BackupView", "SettingsView"]


def _password(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


class AccountsView(QWidget):
    """Every account, and a form to create or change one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = _table(["Account", "Name shown", "Role", "Status"])
        self.table.setAccessibleName("Accounts")
        self.name = QLineEdit()
        self.name.setAccessibleName("Account name")
        self.display_name = QLineEdit()
        self.display_name.setAccessibleName("Name shown")
        self.role = QComboBox()
        self.role.setAccessibleName("Role")
        for role in Role:
            self.role.addItem(role.capitalize(), role)
        self.passphrase = _password("New passphrase")
        self.recovery_key = QLineEdit()
        self.recovery_key.setAccessibleName("Recovery key")
        self.recovery_key.setPlaceholderText("only to reset with the recovery key")
        self.countersigner = QLineEdit()
        self.countersigner.setAccessibleName("Countersigning account")
        self.countersigner.setPlaceholderText("a second person's account name")
        self.countersign_passphrase = _password("Countersigning passphrase")
        self.countersign_passphrase.setPlaceholderText("typed by them")
        self.countersign_note = QLabel(
            "Creating, promoting or enabling a manager or administrator, or resetting a "
            "manager's passphrase, needs a second person to countersign here with their own "
            "account: a manager for manager accounts.")
        self.countersign_note.setWordWrap(True)
        self.create_button = QPushButton("Create account")
        self.role_button = QPushButton("Change role")
        self.disable_button = QPushButton("Disable")
        self.enable_button = QPushButton("Enable with this passphrase")
        self.reset_button = QPushButton("Reset passphrase")
        self.recovery_button = QPushButton("Reset with recovery key")
        self.status = QLabel()
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Account name:", self.name)
        form.addRow("Name shown:", self.display_name)
        form.addRow("Role:", self.role)
        form.addRow("New passphrase:", self.passphrase)
        form.addRow("Recovery key:", self.recovery_key)
        self.form = form
        form.addRow(self.countersign_note)
        form.addRow("Countersigned by:", self.countersigner)
        form.addRow("Their passphrase:", self.countersign_passphrase)
        box = QGroupBox("Account (select one in the list, or type a new name)")
        bl = QVBoxLayout(box)
        bl.addLayout(form)
        for pair in ((self.create_button, self.role_button),
                     (self.disable_button, self.enable_button),
                     (self.reset_button, self.recovery_button)):
            row = QHBoxLayout()
            for b in pair:
                row.addWidget(b)
            bl.addLayout(row)
        bl.addWidget(self.status)
        bl.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.table, 3)
        layout.addWidget(box, 2)

    def hide_recovery_key(self) -> None:
        """A database without a recovery key (a team server's): no field, no button."""
        self.form.setRowVisible(self.recovery_key, False)
        self.recovery_button.setVisible(False)


class BackupView(QWidget):
    """Back up to a folder; restore a backup (administrator's passphrase)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = QLineEdit()
        self.folder.setAccessibleName("Backup folder")
        self.browse_button = QPushButton("Choose folder…")
        self.backup_button = QPushButton("Back up now")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Backup progress")
        self.status = QLabel("A backup is encrypted like the database, with its key file "
                             "beside it.")
        self.status.setWordWrap(True)
        b = QGroupBox("Back up")
        bl = QVBoxLayout(b)
        row = QHBoxLayout()
        row.addWidget(QLabel("Folder:"))
        row.addWidget(self.folder, 1)
        row.addWidget(self.browse_button)
        row.addWidget(self.backup_button)
        bl.addLayout(row)
        bl.addWidget(self.progress)
        bl.addWidget(self.status)
        self.source = QLineEdit()
        self.source.setAccessibleName("Backup file to restore")
        self.choose_button = QPushButton("Choose backup…")
        self.passphrase = _password("Your passphrase")
        self.restore_button = QPushButton("Restore…")
        self.restore_status = QLabel("Restoring replaces the database with the backup (the "
                                     "current file is kept aside). Everyone else must have "
                                     "closed RiskScreen first; you sign in again afterwards.")
        self.restore_status.setWordWrap(True)
        r = QGroupBox("Restore")
        self.groups = (b, r)
        #: Says why there is nothing to do here (a team server's backups are its IT's).
        self.not_offered = QLabel()
        self.not_offered.setObjectName("backupsNotOffered")
        self.not_offered.setWordWrap(True)
        self.not_offered.setVisible(False)
        rl = QFormLayout(r)
        row2 = QHBoxLayout()
        row2.addWidget(self.source, 1)
        row2.addWidget(self.choose_button)
        rl.addRow("Backup file:", row2)
        rl.addRow("Your passphrase:", self.passphrase)
        rl.addRow("", self.restore_button)
        rl.addRow(self.restore_status)
        layout = QVBoxLayout(self)
        layout.addWidget(self.not_offered)
        layout.addWidget(b)
        layout.addWidget(r)
        layout.addStretch(1)

    def set_not_offered(self, why: str) -> None:
        """Hide backing up and restoring, and say ``why`` instead."""
        for group in self.groups:
            group.setVisible(False)
        self.not_offered.setText(why)
        self.not_offered.setVisible(True)


class AuditView(QWidget):
    """The audit log with filters, and the hash-chain check."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user = QComboBox()
        self.user.setAccessibleName("User filter")
        self.action = QComboBox()
        self.action.setAccessibleName("Action filter")
        # As wide as a typical choice, not the longest one the log holds: the longest
        # ("Made a calibration report of a scoring model") made the window wider than the
        # screen. The list that opens shows every choice in full.
        for combo, letters in ((self.user, 14), (self.action, 18)):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(letters)
        self.use_dates = QCheckBox("From")
        self.since = QDateEdit(QDate.currentDate().addMonths(-1))
        self.until = QDateEdit(QDate.currentDate())
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("dd/MM/yyyy")
        self.apply_button = QPushButton("Show")
        self.verify_button = QPushButton("Verify the hash chain")
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Verification result")
        self.privileged = _table(["#", "When (UTC)", "By", "Change", "Account", "Countersigned by",
                                  "Detail"])
        self.privileged.setAccessibleName("Account changes that needed a countersignature")
        self.privileged.setMaximumHeight(150)
        self.table = _table(["#", "When (UTC)", "Who", "What", "About", "Details"])
        self.table.setAccessibleName("Audit entries")
        row = QHBoxLayout()
        row.addWidget(QLabel("User:"))
        row.addWidget(self.user)
        row.addWidget(QLabel("Action:"))
        row.addWidget(self.action)
        row.addWidget(self.use_dates)
        row.addWidget(self.since)
        row.addWidget(QLabel("to"))
        row.addWidget(self.until)
        row.addWidget(self.apply_button)
        row.addStretch(1)
        checked = QHBoxLayout()
        checked.addWidget(self.result, 1)
        checked.addWidget(self.verify_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        heading = QLabel("<b>Access to screenings given</b> (manager and administrator accounts "
                         "created, promoted or enabled, managers' passphrases reset) and who "
                         "countersigned:")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(self.privileged)
        layout.addLayout(row)
        layout.addLayout(checked)
        layout.addWidget(self.table, 1)


class SettingsView(QWidget):
    """Idle lock time, protective marking, organisation name and logo, routing contacts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.idle = QSpinBox()
        # Always some time: "never" would leave children's information open on a desk.
        self.idle.setRange(1, 240)
        self.idle.setSuffix(" minutes")
        self.idle.setAccessibleName("Longest idle time before RiskScreen locks")
        self.idle.setToolTip("Each practitioner may choose a shorter time, never a longer one.")
        self.idle.setMaximumWidth(160)
        self.marking = QLineEdit()
        self.marking.setAccessibleName("Protective marking")
        self.organisation = QLineEdit()
        self.organisation.setAccessibleName("Organisation name")
        self.marking.setMaximumWidth(480)
        self.organisation.setMaximumWidth(480)
        self.logo = QLabel("No logo")
        self.logo.setFixedSize(160, 60)
        self.logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo.setStyleSheet("border: 1px solid palette(mid);")
        self.logo_button = QPushButton("Choose logo (PNG)…")
        self.save_button = QPushButton("Save settings")
        self.status = QLabel()
        self.status.setWordWrap(True)
        general = QGroupBox("General")
        form = QFormLayout(general)
        form.addRow("Lock after no input for at most:", self.idle)
        form.addRow("Protective marking:", self.marking)
        form.addRow("Organisation name:", self.organisation)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo)
        logo_row.addWidget(self.logo_button)
        logo_row.addStretch(1)
        form.addRow("Logo for reports:", logo_row)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addStretch(1)
        form.addRow("", save_row)
        self.contacts = _table(["Id", "Team", "Service", "Address (lines split by /)",
                                "Secure email", "Phone", "Referral hours", "Out of hours",
                                "Exchange certificate"])
        self.contacts.setAccessibleName("Routing contacts")
        self.contacts.setWordWrap(True)
        self.contacts.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Interactive)
        self.contacts.setEditTriggers(self.contacts.EditTrigger.DoubleClicked
                                      | self.contacts.EditTrigger.EditKeyPressed
                                      | self.contacts.EditTrigger.AnyKeyPressed)
        self.contacts_button = QPushButton("Save routing contacts")
        routing = QGroupBox("Routing contacts (where referrals are sent; double-click to edit)")
        rl = QVBoxLayout(routing)
        rl.addWidget(self.contacts, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.contacts_button)
        rl.addLayout(row)
        layout = QVBoxLayout(self)
        layout.addWidget(general)
        layout.addWidget(self.status)
        layout.addWidget(routing, 1)


class AdminWindow(QMainWindow):
    """The administrator's window: one tab per area."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("RiskScreen – administration")
        self.accounts = AccountsView()
        self.backup = BackupView()
        self.audit = AuditView()
        self.settings = SettingsView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.accounts, "Accounts")
        self.tabs.addTab(self.backup, "Backup and restore")
        self.tabs.addTab(self.audit, "Audit log")
        self.tabs.addTab(self.settings, "Settings")
        self.setCentralWidget(self.tabs)
        fit_to_screen(self, 1366, 768)
