"""Referral files written from the app stay protected: private to the account (0600), encrypted
when "Protect the PDF with a password" is ticked (by "Save as PDF" and by "Print to file"
alike), and the password is never left filled in for the next child's referral.

Only the file chooser and the platform's print dialog are patched.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from riskscreen.ui import controller as controller_module
from riskscreen.ui.controller import AppController
from riskscreen.ui.referral import ReferralView, print_images

from ..conftest import finalise_case
from .helpers import click, type_into, wait_for_change
from .test_app_flow import PAT, read_db, set_up, unlock

pytestmark = pytest.mark.gui

PASSWORD = "a PDF password"


@pytest.fixture
def finalised(qtbot: QtBot, app: AppController, tmp_path: Path) -> list[int]:
    """Two children's finalised screenings, and the practitioner signed in to the app."""
    set_up(qtbot, app)
    with read_db(tmp_path) as session:
        ids = [finalise_case(session, "01-no-concerns", name=name).screening
               for name in ("Synthetic Child One", "Synthetic Child Two")]
    unlock(qtbot, app, PAT[1])
    return ids


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    """The umask that made files world-readable before (0644)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def open_referral(qtbot: QtBot, app: AppController, screening_id: int) -> ReferralView:
    app.open_screening(screening_id)
    assert app.current is not None
    click(qtbot, app.current.view.referral_button)
    view = app.referral_view
    qtbot.waitUntil(lambda: bool(view.images), timeout=30_000)
    return view


def choose_password(qtbot: QtBot, view: ReferralView, password: str = PASSWORD) -> None:
    if not view.protect.isChecked():
        click(qtbot, view.protect)
    view.password.clear()
    view.repeat.clear()
    type_into(qtbot, view.password, password)
    type_into(qtbot, view.repeat, password)


def print_to_file(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """The print dialog, answered with "Print to file" (PDF) as a user would choose it."""

    class PrintToFileDialog:
        def __init__(self, printer: QPrinter, parent: object = None) -> None:
            self.printer = printer

        def exec(self) -> int:
            self.printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            self.printer.setOutputFileName(str(target))
            return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(controller_module, "QPrintDialog", PrintToFileDialog)


def save_to(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "PDF files (*.pdf)")))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def text_of(path: Path, password: str | None = None) -> str:
    reader = PdfReader(path)
    if password is not None:
        assert reader.decrypt(password)
    return "\n".join(page.extract_text() for page in reader.pages)


def test_print_to_file_honours_the_password_and_is_private(
        qtbot: QtBot, app: AppController, finalised: list[int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    view = open_referral(qtbot, app, finalised[0])
    choose_password(qtbot, view)
    target = tmp_path / "printed.pdf"
    print_to_file(monkeypatch, target)
    click(qtbot, view.print_button)
    wait_for_change(qtbot, app)
    assert not view.error.isVisible(), view.error.text()
    reader = PdfReader(target)
    assert reader.is_encrypted
    assert reader.decrypt("not the password") == 0
    assert "Referral summary" in text_of(target, PASSWORD)  # text, not page images
    assert mode(target) == 0o600
    assert "with a password" in view.status.text()
    assert view.password.text() == view.repeat.text() == ""  # forgotten after use


def test_print_to_file_without_a_usable_password_writes_nothing(
        qtbot: QtBot, app: AppController, finalised: list[int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    view = open_referral(qtbot, app, finalised[0])
    choose_password(qtbot, view, "short")
    target = tmp_path / "printed.pdf"
    print_to_file(monkeypatch, target)
    click(qtbot, view.print_button)
    wait_for_change(qtbot, app)
    assert not target.exists()
    assert view.error.isVisible()
    assert "not written" in view.error.text()
    assert "at least 8 characters" in view.error.text()


def test_print_to_file_without_protection_is_still_private(
        qtbot: QtBot, app: AppController, finalised: list[int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    view = open_referral(qtbot, app, finalised[0])
    target = tmp_path / "printed.pdf"
    target.write_bytes(b"an older file, world-readable")
    target.chmod(0o644)
    print_to_file(monkeypatch, target)
    click(qtbot, view.print_button)
    wait_for_change(qtbot, app)
    assert not PdfReader(target).is_encrypted
    assert "Referral summary" in text_of(target)
    assert mode(target) == 0o600


def test_saved_pdf_is_encrypted_private_and_the_password_is_not_kept(
        qtbot: QtBot, app: AppController, finalised: list[int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = finalised
    view = open_referral(qtbot, app, first)
    choose_password(qtbot, view)
    target = tmp_path / "first.pdf"
    save_to(monkeypatch, target)
    click(qtbot, view.save_button)
    wait_for_change(qtbot, app)
    assert PdfReader(target).is_encrypted
    assert "Synthetic Child One" in text_of(target, PASSWORD)
    assert mode(target) == 0o600
    assert view.password.text() == view.repeat.text() == ""

    # Typed again but not used, it is not there for the next child's referral either.
    choose_password(qtbot, view)
    click(qtbot, view.back_button)
    view = open_referral(qtbot, app, second)
    assert view.password.text() == view.repeat.text() == ""
    second_target = tmp_path / "second.pdf"
    save_to(monkeypatch, second_target)
    click(qtbot, view.save_button)  # protection is still ticked: it asks for a password
    assert not second_target.exists()
    assert "at least 8 characters" in view.error.text()


def test_page_images_print_one_to_a_sheet(
        qtbot: QtBot, app: AppController, finalised: list[int], tmp_path: Path) -> None:
    """What a paper printer is given (checked through Qt's own PDF printer)."""
    view = open_referral(qtbot, app, finalised[0])
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "sheets.pdf"))
    print_images(printer, view.images)
    assert len(PdfReader(tmp_path / "sheets.pdf").pages) == len(view.images) > 1


def test_locking_forgets_a_typed_password(
        qtbot: QtBot, app: AppController, finalised: list[int]) -> None:
    view = open_referral(qtbot, app, finalised[0])
    choose_password(qtbot, view)
    app.lock()
    assert view.password.text() == view.repeat.text() == ""


def test_the_pdf_is_written_off_the_gui_thread_once_however_often_save_is_clicked(
        qtbot: QtBot, app: AppController, finalised: list[int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    view = open_referral(qtbot, app, finalised[0])
    threads: list[threading.Thread] = []
    release = threading.Event()
    import riskscreen.summary.render as render_module  # where the controller finds it

    real = render_module.render_pdf

    def watched(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread())
        release.wait(20)  # held until the test has looked at the page meanwhile
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(render_module, "render_pdf", watched)
    target = tmp_path / "once.pdf"
    save_to(monkeypatch, target)
    click(qtbot, view.save_button)
    assert app.changing
    assert not view.save_button.isEnabled()  # no second file while the first is written
    assert not view.print_button.isEnabled()
    app._on_referral_save_requested()  # a second request meanwhile (e.g. by shortcut)
    release.set()
    wait_for_change(qtbot, app)
    assert len(threads) == 1
    assert threads[0] is not threading.main_thread()
    assert target.read_bytes().startswith(b"%PDF")
    assert view.save_button.isEnabled()
    assert "This has been recorded" in view.status.text()
    with read_db(tmp_path) as session, session.engine.connect() as conn:
        from sqlalchemy import text

        kinds = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'export'"))
        assert kinds.scalar() == 1
