"""Exchange packages from the app: "Save package…" on the referral, and File > Import a
package with a person's choice of the child's record.

Only the file choosers (and, for the import, the modal dialog's exec) are patched.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from riskscreen.crypto.exchange import certificate_pem, new_private_key, self_signed_certificate
from riskscreen.services import Unlocker
from riskscreen.ui.controller import AppController
from riskscreen.ui.exchange import ImportPackageDialog

from ..conftest import finalise_case
from .helpers import click
from .test_app_flow import ADMIN, PAT, read_db, set_up, unlock

pytestmark = pytest.mark.gui


def _finalised_high(tmp_path: Path) -> int:
    with read_db(tmp_path) as session:
        return finalise_case(session, "07-disclosure", name="Synthetic Child Three").screening


def test_save_package_then_import_it_with_a_confirmed_record(
        qtbot: QtBot, app: AppController, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    set_up(qtbot, app)
    db = tmp_path / "data" / "riskscreen.db"
    with Unlocker(db, auto_backups=False).unlock(*ADMIN) as admin:
        # One database as both sides: it trusts its own key, and the team's certificate is
        # its own, so the package it saves is one it can import.
        identity = admin.exchange.create_identity("Synthetic Hub")
        admin.exchange.install_sender(identity.certificate_pem.encode())
    sid = _finalised_high(tmp_path)
    unlock(qtbot, app, PAT[1])
    app.open_screening(sid)
    assert app.current is not None
    click(qtbot, app.current.view.referral_button)
    view = app.referral_view
    qtbot.waitUntil(lambda: bool(view.images), timeout=30_000)
    assert view.package_button.isEnabled()
    cert = tmp_path / "hub.pem"
    cert.write_text(identity.certificate_pem)
    package = tmp_path / "out.p7m"
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(cert), "")))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(package), "")))
    click(qtbot, view.package_button)
    qtbot.waitUntil(lambda: "recorded as sent by package" in view.status.text(),
                    timeout=30_000)
    assert package.stat().st_size > 1000
    with read_db(tmp_path) as session:
        rid = session.exchange.referral_of_screening(sid)
        assert str(session.referrals.get(rid).status) == "sent"

    # File > Import a package: the dialog offers the existing record, chosen by the person.
    seen: list[ImportPackageDialog] = []

    def choose_match(self: ImportPackageDialog) -> int:
        seen.append(self)
        assert not self.import_button.isEnabled(), "nothing is chosen for the person"
        buttons = self.choices.buttons()
        assert buttons[0].property("child_id") is not None
        click(qtbot, buttons[0])
        assert self.import_button.isEnabled()
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(ImportPackageDialog, "exec", choose_match)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(package), "")))
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information",
                        staticmethod(lambda _parent, _title, text: told.append(text)))
    app.window.import_action.trigger()
    qtbot.waitUntil(lambda: bool(told), timeout=30_000)
    assert "imported as received referral" in told[0]
    assert "the confirmed record" in told[0]
    assert seen
    with Unlocker(db, auto_backups=False).unlock(*PAT) as session:
        (received,) = session.exchange.list_received()
        assert received.child_id == seen[0].incoming.matches[0].child.id


def test_the_dialog_names_an_untrusted_sender_and_cannot_import(qtbot: QtBot) -> None:
    from riskscreen.crypto.exchange import fingerprint
    from riskscreen.services.exchange import Incoming

    cert = self_signed_certificate(new_private_key(), "Unknown Agency")
    incoming = Incoming("referral", "p", "RS-1", "Unknown Agency", fingerprint(cert), False,
                        None, None, "A Child", date(2012, 1, 2), None, "High risk", ())
    dialog = ImportPackageDialog(incoming)
    qtbot.addWidget(dialog)
    sender = dialog.findChild(QLabel, "packageSender")
    assert sender is not None
    assert "does NOT trust" in sender.text()
    assert dialog.new_record is not None
    click(qtbot, dialog.new_record)
    assert not dialog.import_button.isEnabled()
    assert certificate_pem(cert)
