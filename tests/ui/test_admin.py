"""The administrator's window through real widgets: accounts, audit viewer with a tampered
entry, settings and routing contacts, backup with progress."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from riskscreen.services import PermissionDenied
from riskscreen.ui.admin.controller import AdminController
from riskscreen.ui.worker import wait_for_background

from .conftest import login, make_db

pytestmark = pytest.mark.gui


def click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def test_account_management(qtbot: QtBot, admin: AdminController) -> None:
    a = admin.window.accounts
    qtbot.keyClicks(a.name, "nina")
    qtbot.keyClicks(a.display_name, "Nina Nurse")
    a.role.setCurrentIndex(a.role.findData("practitioner"))
    qtbot.keyClicks(a.passphrase, "short")
    click(qtbot, a.create_button)
    assert "10 characters" in a.status.text()
    qtbot.keyClicks(a.passphrase, "nina's long passphrase")
    click(qtbot, a.create_button)
    assert "created" in a.status.text()
    names = [a.table.item(r, 0).text() for r in range(a.table.rowCount())]
    row = names.index("nina")
    a.table.setCurrentCell(row, 0)
    assert a.name.text() == "nina"
    a.role.setCurrentIndex(a.role.findData("manager"))
    click(qtbot, a.role_button)  # alone, an administrator cannot make a manager
    assert "countersignature" in a.status.text()
    assert a.table.item(row, 2).text() == "Practitioner"
    qtbot.keyClicks(a.countersigner, "mary")
    qtbot.keyClicks(a.countersign_passphrase, "manager passphrase")
    click(qtbot, a.role_button)
    assert a.table.item(row, 2).text() == "Manager"  # as the role list names it
    a.table.setCurrentCell((row + 1) % a.table.rowCount(), 0)
    a.table.setCurrentCell(row, 0)
    assert a.role.currentData() == "manager"
    assert a.countersign_passphrase.text() == ""  # never kept in the form
    front = admin.window.audit.privileged
    assert front.item(0, 3).text() == "Changed an account's role"
    assert front.item(0, 5).text() == "Mary Manager (mary)"
    click(qtbot, a.disable_button)  # in the background: the database is re-encrypted
    qtbot.waitUntil(lambda: a.table.item(row, 3).text() == "Disabled", timeout=60_000)
    assert a.disable_button.isEnabled()
    qtbot.keyClicks(a.passphrase, "a fresh passphrase")
    qtbot.keyClicks(a.countersigner, "mary")
    qtbot.keyClicks(a.countersign_passphrase, "manager passphrase")
    click(qtbot, a.enable_button)
    assert a.table.item(row, 3).text() == "Active"
    qtbot.keyClicks(a.passphrase, "reset by admin now")
    qtbot.keyClicks(a.countersigner, "mary")
    qtbot.keyClicks(a.countersign_passphrase, "manager passphrase")
    click(qtbot, a.reset_button)
    assert "reset" in a.status.text()
    assert login_as(admin, "nina", "reset by admin now")
    a.name.setText("admin")
    click(qtbot, a.disable_button)
    qtbot.waitUntil(lambda: "last administrator" in a.status.text(), timeout=60_000)


def login_as(admin: AdminController, name: str, passphrase: str) -> bool:
    from riskscreen.services import Unlocker

    session = Unlocker(admin.session.db_path, auto_backups=False).unlock(name, passphrase)
    session.close()
    return True


def test_audit_viewer_filters_and_detects_an_edited_entry(qtbot: QtBot,
                                                         admin: AdminController) -> None:
    u = admin.window.audit
    click(qtbot, u.verify_button)
    assert u.result.text().startswith("✓")
    u.action.setCurrentIndex(u.action.findData("account_create"))
    click(qtbot, u.apply_button)
    assert u.table.rowCount() == 3
    assert {u.table.item(r, 3).text() for r in range(3)} == {"Created an account"}
    with admin.session.engine.begin() as conn:
        for (name,) in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'")):
            conn.execute(text(f'DROP TRIGGER "{name}"'))
        conn.execute(text("UPDATE audit_log SET action='view' WHERE seq=3"))
    click(qtbot, u.verify_button)
    assert u.result.text().startswith("✗")
    assert "entry 3 was changed" in u.result.text()


def test_settings_and_routing_contacts(qtbot: QtBot, admin: AdminController) -> None:
    s = admin.window.settings
    s.idle.setValue(12)
    s.organisation.clear()
    qtbot.keyClicks(s.organisation, "Northvale Council")
    click(qtbot, s.save_button)
    assert s.status.text().startswith("✓")
    assert float(admin.qsettings.value("security/idle_lock_minutes")) == 12.0  # type: ignore[arg-type]
    assert admin.session.settings.editable()["organisation_name"] == "Northvale Council"
    s.contacts.item(0, 5).setText("0114 496 0777")
    click(qtbot, s.contacts_button)
    assert s.status.text().startswith("✓")
    assert admin.session.settings.routing_data()["destinations"][0]["phone"] == "0114 496 0777"
    s.contacts.item(0, 4).setText("nobody")
    click(qtbot, s.contacts_button)
    assert "not an email address" in s.status.text()


def test_backup_from_the_gui(qtbot: QtBot, admin: AdminController, tmp_path: Path) -> None:
    b = admin.window.backup
    b.folder.setText(str(tmp_path / "copies"))
    with qtbot.waitSignal(admin.backup_finished, timeout=20_000) as blocker:
        click(qtbot, b.backup_button)
    assert isinstance(blocker.args[0], Path)
    assert blocker.args[0].exists()
    assert b.progress.value() == 3
    assert b.status.text().startswith("✓")


def test_non_administrators_cannot_open_admin_tools(qtbot: QtBot, tmp_path: Path) -> None:
    session = login(make_db(tmp_path, 0), "mary")
    controller = AdminController(session)
    qtbot.addWidget(controller.window)
    with pytest.raises(PermissionDenied):
        controller.start()
    session.close()


def test_restore_from_the_gui(qtbot: QtBot, admin: AdminController, tmp_path: Path) -> None:
    b = admin.window.backup
    b.folder.setText(str(tmp_path / "copies"))
    with qtbot.waitSignal(admin.backup_finished, timeout=20_000) as blocker:
        click(qtbot, b.backup_button)
    b.source.setText(str(blocker.args[0]))
    qtbot.keyClicks(b.passphrase, "admin passphrase")
    with qtbot.waitSignal(admin.restored, timeout=20_000):
        assert admin.restore()
    assert b.restore_status.text().startswith("✓")
    assert b.passphrase.text() == ""


def test_restore_from_the_app_keeps_the_session_when_refused_and_signs_out_after(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from riskscreen.ui.controller import AppController

    db = make_db(tmp_path, 0)
    settings = QSettings(str(tmp_path / "app.ini"), QSettings.Format.IniFormat)
    app = AppController(db, settings=settings, sleep=lambda _: None, auto_backups=False)
    qtbot.addWidget(app.window)
    app.window.show()
    app.start()
    qtbot.keyClicks(app.unlock_view.name, "admin")
    qtbot.keyClicks(app.unlock_view.passphrase, "admin passphrase")
    click(qtbot, app.unlock_view.button)
    qtbot.waitUntil(lambda: app.session is not None, timeout=20_000)
    app.window.role_menus.admin_action.trigger()
    admin = app.window.role_menus.open[-1]
    b = admin.window.backup
    b.folder.setText(str(tmp_path / "copies"))
    with qtbot.waitSignal(admin.backup_finished, timeout=20_000) as blocker:
        click(qtbot, b.backup_button)
    b.source.setText(str(blocker.args[0]))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *_: QMessageBox.StandardButton.Yes)

    qtbot.keyClicks(b.passphrase, "not my passphrase")
    click(qtbot, b.restore_button)
    assert "passphrase is wrong" in b.restore_status.text()
    assert app.session is not None
    assert not app.session.closed
    assert app.window.lock_action.isEnabled()
    assert app.session.accounts.all()  # the next action works

    qtbot.keyClicks(b.passphrase, "admin passphrase")
    click(qtbot, b.restore_button)
    assert app.session is None
    assert app.window.stack.currentWidget() is app.unlock_view
    assert not app.window.lock_action.isEnabled()
    assert not admin.window.isVisible()
    assert "sign in again" in app.window.banner.text.text()
    assert app.unlock_view.title.text() == "Sign in to RiskScreen"  # not a lock
    wait_for_background()
