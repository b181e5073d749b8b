"""Wiring of the administrator's window to the session's managers (accounts, audit log,
settings) and its backups."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QTableWidgetItem

from riskscreen.crypto.exchange import ExchangeError, fingerprint, load_certificate
from riskscreen.services import USER_ERRORS, Countersignature, Session, restore_backup
from riskscreen.services.audit_log import ChainResult
from riskscreen.services.maintenance import SERVER_BACKUPS
from riskscreen.ui.admin.views import AdminWindow
from riskscreen.ui.tables import filling
from riskscreen.ui.worker import run_in_background

__all__ = ["AdminController"]

_CONTACT_KEYS = ("id", "name", "service", "address", "secure_email", "phone",
                 "referral_hours", "out_of_hours")


def _certificate_item(destination: dict[str, Any]) -> QTableWidgetItem:
    """The destination's exchange certificate in words (set with 'riskscreen keys
    set-destination'); read-only here."""
    pem = destination.get("exchange_certificate")
    if pem:
        try:
            cert = load_certificate(pem)
            words = (f"SHA-256 {fingerprint(cert)[:23]}…, valid until "
                     f"{cert.not_valid_after_utc:%Y-%m-%d}")
            tip = f"SHA-256 {fingerprint(cert)}"
        except ExchangeError as error:
            words, tip = "Not readable", str(error)
    else:
        words, tip = "None (packages need a certificate given)", ""
    item = QTableWidgetItem(words)
    item.setToolTip(tip)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


class _Progress(QObject):
    progressed = Signal(int, int)


def _say(label: QLabel, text: str, ok: bool) -> None:
    label.setText(("✓ " if ok else "✗ ") + text)
    label.setStyleSheet("color: #1b5e20; font-weight: bold;" if ok
                        else "color: #b3261e; font-weight: bold;")


class AdminController(QObject):
    """Accounts, backups, audit and settings; the window never holds the session."""

    backup_finished = Signal(object)
    restored = Signal()

    def __init__(self, session: Session, window: AdminWindow | None = None, *,
                 settings: QSettings | None = None) -> None:
        super().__init__()
        self.session = session
        self.qsettings = settings or QSettings()
        self.window = window or AdminWindow()
        self._progress = _Progress(self)
        self._progress.progressed.connect(self._on_progress_progressed)
        self._logo = ""
        a = self.window.accounts
        a.table.currentCellChanged.connect(self._on_accounts_current_cell_changed)
        a.create_button.clicked.connect(self.create_account)
        a.role_button.clicked.connect(self.change_role)
        a.disable_button.clicked.connect(self.disable_account)
        a.enable_button.clicked.connect(self.enable_account)
        a.reset_button.clicked.connect(self.reset_passphrase)
        a.recovery_button.clicked.connect(self.reset_with_recovery_key)
        b = self.window.backup
        b.browse_button.clicked.connect(self._on_browse_button_clicked)
        b.backup_button.clicked.connect(self.back_up)
        b.choose_button.clicked.connect(self._on_choose_button_clicked)
        b.restore_button.clicked.connect(self._on_restore_button_clicked)
        u = self.window.audit
        u.apply_button.clicked.connect(self.refresh_audit)
        u.verify_button.clicked.connect(self.verify_audit)
        s = self.window.settings
        s.save_button.clicked.connect(self.save_settings)
        s.logo_button.clicked.connect(self._on_logo_button_clicked)
        s.contacts_button.clicked.connect(self.save_contacts)

    def start(self) -> None:
        """Fill every tab (refused with PermissionDenied for other roles)."""
        self.refresh_accounts()
        if self.session.on_server:
            self.window.backup.set_not_offered(SERVER_BACKUPS)
            self.window.accounts.hide_recovery_key()
        else:
            self.window.backup.folder.setText(str(self.session.db_path.parent / "backups"))
        self.refresh_audit()
        self.refresh_privileged()
        self.refresh_settings()

    def _try(self, label: QLabel, fn: Any, done: str) -> bool:
        try:
            fn()
        except USER_ERRORS as error:
            _say(label, str(error), False)
            return False
        _say(label, done, True)
        return True

    # -- accounts ------------------------------------------------------------------------------

    def refresh_accounts(self) -> None:
        """The accounts list."""
        table = self.window.accounts.table
        users = self.session.accounts.all()
        table.setRowCount(len(users))
        roles = self.window.accounts.role
        for r, u in enumerate(users):
            # The role as the list beside names it ("Practitioner"), its id kept with it.
            shown = roles.itemText(roles.findData(u.role)) or u.role
            for c, value in enumerate((u.name, u.display_name, shown,
                                       "Disabled" if u.disabled else "Active")):
                item = QTableWidgetItem(value)
                if c == 2:
                    item.setData(Qt.ItemDataRole.UserRole, u.role)
                table.setItem(r, c, item)

    def _on_accounts_current_cell_changed(self, row: int, *_: int) -> None:
        table, a = self.window.accounts.table, self.window.accounts
        cells = [table.item(row, c) for c in range(3)] if row >= 0 else []
        if not cells or any(c is None for c in cells):
            return
        name, shown = (c.text() for c in cells[:2] if c is not None)
        role = cells[2].data(Qt.ItemDataRole.UserRole) if cells[2] is not None else None
        a.name.setText(name)
        a.display_name.setText(shown)
        a.role.setCurrentIndex(a.role.findData(role))

    def _account(self, fn: Any, done: str) -> bool:
        a = self.window.accounts
        ok = self._try(a.status, fn, done)
        a.passphrase.clear()
        a.recovery_key.clear()
        a.countersigner.clear()
        a.countersign_passphrase.clear()
        self.refresh_accounts()
        self.refresh_privileged()
        return ok

    def _countersign(self) -> Countersignature | None:
        """The second person's countersignature typed in the form, if any."""
        a = self.window.accounts
        name = a.countersigner.text().strip()
        return Countersignature(name, a.countersign_passphrase.text()) if name else None

    def create_account(self) -> bool:
        """Create the account typed in the form."""
        a = self.window.accounts
        name, role, phrase = a.name.text().strip(), a.role.currentData(), a.passphrase.text()
        sign = self._countersign()
        return self._account(lambda: self.session.accounts.create(
            name, role, phrase, a.display_name.text().strip(), sign), f"Account {name} created.")

    def change_role(self) -> bool:
        """Give the account the role chosen in the form."""
        a = self.window.accounts
        name, role = a.name.text().strip(), a.role.currentData()
        sign = self._countersign()
        return self._account(lambda: self.session.accounts.set_role(name, role, sign),
                             f"{name} is now a {role}.")

    def disable_account(self) -> None:
        """Disable the account in the background: the database's key changes (the whole file
        is re-encrypted, which takes about a minute for a very large database), so that the
        account's old key opens nothing."""
        a = self.window.accounts
        name = a.name.text().strip()
        a.disable_button.setEnabled(False)
        a.status.setStyleSheet("")
        a.status.setText(f"Disabling {name}…" if self.session.on_server
                         else f"Disabling {name} and changing the database's key…")
        session = self.session
        run_in_background(lambda: session.accounts.disable(name),
                          lambda key: self._on_disable_done(name, key),
                          self._on_disable_failed)

    def _on_disable_done(self, name: str, new_recovery: object) -> None:
        a = self.window.accounts
        a.disable_button.setEnabled(True)
        # A team server has no data key: the account's passphrase verifier goes instead.
        self._account(lambda: None, f"{name} is disabled, and their passphrase no longer "
                                    "signs in." if self.session.on_server else
                                    f"{name} is disabled, and the database's key was changed "
                                    "so that the account's old key opens nothing.")
        if isinstance(new_recovery, str):
            self.show_new_recovery_key(new_recovery)

    def _on_disable_failed(self, error: BaseException) -> None:
        a = self.window.accounts
        a.disable_button.setEnabled(True)

        def fail() -> None:
            raise error

        self._account(fail, "")

    def show_new_recovery_key(self, key: str) -> None:
        """Show a new recovery key once (the old one stopped working with the key change)."""
        box = QMessageBox(QMessageBox.Icon.Warning, "New recovery key",
                          "The database's recovery key has changed, and the old one no longer "
                          "opens it. Write this new recovery key down or print it now, and "
                          "keep it away from the laptop. It is shown only this once.\n\n"
                          + key, QMessageBox.StandardButton.Ok, self.window)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.exec()

    def enable_account(self) -> bool:
        """Enable a disabled account with the passphrase typed."""
        a = self.window.accounts
        name, phrase = a.name.text().strip(), a.passphrase.text()
        sign = self._countersign()
        return self._account(lambda: self.session.accounts.enable(name, phrase, sign),
                             f"{name} is enabled with the new passphrase.")

    def reset_passphrase(self) -> bool:
        """Set the account's passphrase (administrator's reset)."""
        a = self.window.accounts
        name, phrase = a.name.text().strip(), a.passphrase.text()
        sign = self._countersign()
        return self._account(lambda: self.session.accounts.reset_passphrase(name, phrase, sign),
                             f"{name}'s passphrase was reset.")

    def reset_with_recovery_key(self) -> bool:
        """Set the account's passphrase after checking the recovery key."""
        a = self.window.accounts
        name, phrase, key = a.name.text().strip(), a.passphrase.text(), a.recovery_key.text()
        return self._account(
            lambda: self.session.accounts.reset_with_recovery_key(key, name, phrase),
            f"{name}'s passphrase was reset with the recovery key.")

    # -- backup and restore ----------------------------------------------------------------------

    def _on_browse_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Backup folder",
                                                  self.window.backup.folder.text())
        if folder:
            self.window.backup.folder.setText(folder)

    def back_up(self) -> None:
        """Write a backup in the background, with progress."""
        b = self.window.backup
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        dest = Path(b.folder.text()).expanduser() / f"riskscreen-{stamp}.db"
        b.backup_button.setEnabled(False)
        b.progress.setRange(0, 3)
        b.progress.setValue(0)
        b.status.setText("Backing up…")
        maintenance, relay = self.session.maintenance, self._progress
        run_in_background(lambda: maintenance.backup_and_check(dest, relay.progressed.emit),
                          self._on_backup_done, self._on_backup_failed)

    def _on_progress_progressed(self, step: int, total: int) -> None:
        self.window.backup.progress.setRange(0, total)
        self.window.backup.progress.setValue(step)

    def _on_backup_done(self, path: object) -> None:
        b = self.window.backup
        b.backup_button.setEnabled(True)
        _say(b.status, f"Backup written and checked: {path}", True)
        self.backup_finished.emit(path)

    def _on_backup_failed(self, error: BaseException) -> None:
        b = self.window.backup
        b.backup_button.setEnabled(True)
        if not isinstance(error, USER_ERRORS):
            raise error
        _say(b.status, str(error), False)
        self.backup_finished.emit(None)

    def _on_choose_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Backup to restore",
                                              self.window.backup.folder.text(),
                                              "RiskScreen backups (*.db)")
        if path:
            self.window.backup.source.setText(path)

    def _on_restore_button_clicked(self) -> None:
        answer = QMessageBox.question(
            self.window, "Restore a backup",
            "Replace the database with this backup? Everything saved since the backup was "
            "made will be set aside (kept, not deleted). Everyone else must have closed "
            "RiskScreen first, and you will sign in again afterwards.")
        if answer == QMessageBox.StandardButton.Yes:
            self.restore()

    def restore(self) -> bool:
        """Restore the chosen backup. Refused (the session carries on) for a wrong
        passphrase, a bad backup or while others have the database open; after a restore
        this session has ended and ``restored`` asks the application to sign everyone out."""
        b = self.window.backup
        source = Path(b.source.text()).expanduser()
        phrase = b.passphrase.text()
        b.passphrase.clear()
        session = self.session
        try:
            aside = restore_backup(session.db_path, source, session.user.name, phrase,
                                   session=session)
        except USER_ERRORS as error:
            if not session.closed:
                _say(b.restore_status, str(error), False)
                return False
            _say(b.restore_status, str(error) + " Sign in again to carry on.", False)
            self.restored.emit()
            return False
        _say(b.restore_status, f"Restored. The previous database was kept at {aside}. "
             "Sign in again.", True)
        self.restored.emit()
        return True

    # -- audit -----------------------------------------------------------------------------------

    def _fill_audit_filters(self) -> None:
        """The accounts and actions in the log, in words, keeping what is chosen."""
        users, actions = self.session.audit.filter_choices()
        u = self.window.audit
        for combo, anything, choices in ((u.user, "anyone", users),
                                         (u.action, "any action", actions)):
            chosen = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(anything, "")
            for shown, value in choices:
                combo.addItem(shown, value)
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.blockSignals(False)

    def refresh_audit(self) -> None:
        """The entries matching the filters, newest first."""
        self._fill_audit_filters()
        u = self.window.audit
        since = until = None
        if u.use_dates.isChecked():
            since = date.fromisoformat(u.since.date().toString("yyyy-MM-dd"))
            until = date.fromisoformat(u.until.date().toString("yyyy-MM-dd"))
        lines = self.session.audit.lines(u.user.currentData() or None,
                                         u.action.currentData() or None, since, until)
        with filling(u.table) as table:
            table.setRowCount(len(lines))
            for r, e in enumerate(lines):
                for c, value in enumerate((str(e.seq), e.at, e.who, e.what, e.about, e.detail)):
                    item = QTableWidgetItem(value)
                    # The entry as stored stays at hand for whoever checks the log itself.
                    item.setToolTip(e.raw if c == 5 and e.raw not in ("", "{}") else value)
                    table.setItem(r, c, item)

    def refresh_privileged(self) -> None:
        """The front page: every change that gave access to screenings, and its countersigner."""
        table = self.window.audit.privileged
        rows = self.session.audit.privileged_changes()
        signers: list[str | None] = []
        rest = []
        for e in rows:
            detail = json.loads(e.detail)
            signers.append(detail.pop("countersigned_by", None))
            rest.append(replace(e, detail=json.dumps(detail)))
        lines = self.session.audit.describe(rest)
        names = {u.name: u.display_name or u.name for u in self.session.accounts.all()}
        table.setRowCount(len(lines))
        for r, (line, signer) in enumerate(zip(lines, signers, strict=True)):
            signed = (f"{names[signer]} ({signer})" if signer in names and names[signer] != signer
                      else signer or "nobody (the first manager)")
            for c, value in enumerate((str(line.seq), line.at, line.who, line.what, line.about,
                                       signed, line.detail)):
                table.setItem(r, c, QTableWidgetItem(value))

    def verify_audit(self) -> ChainResult:
        """Check the chain and say clearly whether it is intact."""
        result = self.session.audit.verify_chain()
        _say(self.window.audit.result, result.message(), result.ok)
        self.refresh_audit()
        return result

    # -- settings --------------------------------------------------------------------------------

    def refresh_settings(self) -> None:
        """The stored settings and routing contacts."""
        s = self.window.settings
        values = self.session.settings.editable()
        s.idle.setValue(self.session.settings.idle_lock_limit())
        s.marking.setText(values["protective_marking"])
        s.organisation.setText(values["organisation_name"])
        self._show_logo(values["logo_png_base64"])
        destinations = self.session.settings.routing_data().get("destinations", [])
        s.contacts.setRowCount(len(destinations))
        for r, d in enumerate(destinations):
            for c, key in enumerate(_CONTACT_KEYS):
                value = d.get(key) or ""
                if key == "address":
                    value = " / ".join(value)
                s.contacts.setItem(r, c, QTableWidgetItem(str(value)))
            s.contacts.setItem(r, len(_CONTACT_KEYS), _certificate_item(d))
        s.contacts.resizeColumnsToContents()
        for c in range(s.contacts.columnCount()):
            s.contacts.setColumnWidth(c, min(s.contacts.columnWidth(c), 230))
        s.contacts.resizeRowsToContents()

    def _show_logo(self, encoded: str) -> None:
        self._logo = encoded
        label = self.window.settings.logo
        pixmap = QPixmap()
        if encoded and pixmap.loadFromData(base64.b64decode(encoded)):
            label.setPixmap(pixmap.scaled(label.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation))
        else:
            label.setText("No logo")

    def _on_logo_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Logo", "", "PNG images (*.png)")
        if path:
            try:
                self._show_logo(base64.b64encode(Path(path).read_bytes()).decode("ascii"))
            except OSError as error:
                _say(self.window.settings.status, f"The logo could not be read: "
                     f"{error.strerror}", False)

    def save_settings(self) -> bool:
        """Store the general settings (and the idle time for this computer's app)."""
        s = self.window.settings
        minutes = s.idle.value()
        changes = {"idle_lock_minutes": str(minutes), "protective_marking": s.marking.text(),
                   "organisation_name": s.organisation.text().strip(),
                   "logo_png_base64": self._logo}
        ok = self._try(s.status, lambda: self.session.settings.save(changes),
                       "Settings saved.")
        if ok:
            self.qsettings.setValue("security/idle_lock_minutes", float(minutes))
        return ok

    def save_contacts(self) -> bool:
        """Write the edited routing contacts after the routing checks."""
        table = self.window.settings.contacts
        destinations: list[dict[str, Any]] = []
        for r in range(table.rowCount()):
            d: dict[str, Any] = {}
            for c, key in enumerate(_CONTACT_KEYS):
                item = table.item(r, c)
                value = item.text().strip() if item is not None else ""
                if key == "address":
                    d[key] = [part.strip() for part in value.split("/") if part.strip()]
                elif value or key != "out_of_hours":
                    d[key] = value
            destinations.append(d)
        return self._try(self.window.settings.status,
                         lambda: self.session.settings.save_destinations(destinations),
                         "Routing contacts saved and checked.")
