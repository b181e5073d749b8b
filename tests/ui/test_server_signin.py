"""The desktop application on a team server's database (the run's real, throwaway PostgreSQL
server): connecting (the database password from the keyring or typed), signing in with one's
own account, the same main window as on a laptop, and one clear line for each thing that can
go wrong there, with the window still usable."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from riskscreen.store.backend import KEYRING_SERVICE, ServerLocation, parse_location
from riskscreen.ui.controller import AppController
from riskscreen.ui.worker import wait_for_background

from ..conftest import PASSPHRASES, Vault
from .helpers import answer, click, type_into
from .test_app_flow import new_child_screening

pytestmark = pytest.mark.gui

#: The practitioner every test here signs in as.
PAT = ("pat", PASSPHRASES["pat"])


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def _vault(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Vault:
    db = tmp_path / "data" / "riskscreen.db"
    if backend == "postgresql":
        return request.getfixturevalue("pg_databases").vault(  # type: ignore[no-any-return]
            db, ("mary", "pat"))
    return request.getfixturevalue("vault_templates").copy(  # type: ignore[no-any-return]
        db, ("mary", "pat"))


def _app(qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest, *,
         db: Path | None = None, server: str | None = None,
         ca_file: Path | None = None) -> AppController:
    """The application at 1366x768 on a file or a server, closed at the end of the test."""
    request.getfixturevalue("monkeypatch").setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = AppController(db, settings=_settings(tmp_path), sleep=lambda _: None,
                        auto_backups=False, server=server, ca_file=ca_file)
    qtbot.addWidget(app.window)
    app.window.resize(1366, 768)
    app.window.show()

    def close() -> None:
        wait_for_background()
        if app.session is not None:
            app.session.close()

    request.addfinalizer(close)
    return app


def server_url(vault: Vault) -> str:
    """The address the application is given for a test vault on the server (its socket)."""
    assert vault.server is not None
    return vault.server.url.set(drivername="postgresql").render_as_string(hide_password=False)


def sign_in(qtbot: QtBot, app: AppController, name: str, passphrase: str) -> None:
    """Type the account and passphrase into the unlock window and wait for the answer."""
    view = app.unlock_view
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is view, timeout=20_000)
    view.name.clear()
    type_into(qtbot, view.name, name)
    view.passphrase.clear()
    type_into(qtbot, view.passphrase, passphrase)
    click(qtbot, view.button)
    qtbot.waitUntil(lambda: view.button.isEnabled(), timeout=20_000)


def signed_in_app(qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest,
                  backend: str) -> tuple[AppController, Vault]:
    """The application signed in as pat on ``backend``'s database, and that database."""
    vault = _vault(backend, tmp_path, request)
    if backend == "postgresql":
        app = _app(qtbot, tmp_path, request, server=server_url(vault))
    else:
        app = _app(qtbot, tmp_path, request, db=vault.db)
    app.start()
    sign_in(qtbot, app, *PAT)
    assert app.session is not None, app.unlock_view.error.text()
    return app, vault


@pytest.fixture
def server_vault(tmp_path: Path, request: pytest.FixtureRequest) -> Vault:
    """A team database on the test server with an administrator, mary and pat."""
    return _vault("postgresql", tmp_path, request)


def test_the_app_connects_signs_in_and_works_a_screening_on_the_team_server(
        qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest,
        server_vault: Vault, isolated_home: Path) -> None:
    """The start-up the ``riskscreen`` command makes, given the server's address."""
    from riskscreen.ui.app import _Startup

    startup = _Startup(tmp_path / "unused.db", server_url(server_vault))
    qtbot.addWidget(startup.window)
    startup.window.resize(1366, 768)
    startup.window.show()
    request.addfinalizer(lambda: startup.controller is not None
                         and startup.controller.session is not None
                         and startup.controller.session.close())
    qtbot.waitUntil(lambda: startup.controller is not None, timeout=20_000)
    app: AppController = startup.controller
    # Over the socket no database password is needed: straight on to one's own sign-in.
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is app.unlock_view,
                    timeout=20_000)
    view = app.unlock_view
    assert "team database" in view.explanation.text()
    assert not view.recovery_link.isVisibleTo(view)  # a server has no recovery key
    assert view.no_recovery.isVisibleTo(view)

    sign_in(qtbot, app, "pat", "not pat's passphrase")
    assert app.session is None
    assert view.error.isVisible()
    assert "passphrase" in view.error.text()
    assert view.button.isEnabled()

    sign_in(qtbot, app, *PAT)
    assert app.session is not None
    assert app.session.on_server
    assert app.window.stack.currentWidget() is app.home_view
    screening = new_child_screening(qtbot, app, "Server Child", "2011-05-04")
    answer(qtbot, screening.questionnaire, "gender", "female")
    assert "All answers saved" in screening.save_status.text()
    assert app.current is not None
    with server_vault.login("pat") as other:
        assert other.screenings.open(app.current.id).answers["gender"].value == "female"
    # Locking and unlocking again keeps the connection's settings; the draft carries on.
    app.lock()
    assert app.session is None
    sign_in(qtbot, app, *PAT)
    assert app.session is not None
    assert app.window.stack.currentWidget() is screening


def test_an_administrator_on_the_server_is_told_why_there_are_no_backups_here(
        qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest,
        server_vault: Vault) -> None:
    from riskscreen.ui.manager.menus import open_admin_tools

    app = _app(qtbot, tmp_path, request, server=server_url(server_vault))
    app.start()
    sign_in(qtbot, app, "admin", PASSPHRASES["admin"])
    assert app.session is not None
    # The Manage menu names what the window offers here: no backups.
    entry = app.window.role_menus.admin_action
    assert entry.isVisible()
    assert entry.text() == "Accounts, audit and settings…"
    assert "backup" not in entry.text().lower()
    tools = open_admin_tools(app.session, app.window.show_message)
    assert tools is not None
    qtbot.addWidget(tools.window)
    backup = tools.window.backup
    assert backup.not_offered.isVisibleTo(backup)
    assert "IT department" in backup.not_offered.text()
    assert all(not group.isVisibleTo(backup) for group in backup.groups)
    accounts = tools.window.accounts
    assert not accounts.recovery_button.isVisibleTo(accounts)
    assert not accounts.recovery_key.isVisibleTo(accounts)
    # Disabling an account changes no data key there (there is none): it says what it does.
    accounts.name.setText("mary")
    click(qtbot, accounts.disable_button)
    qtbot.waitUntil(lambda: accounts.disable_button.isEnabled(), timeout=20_000)
    assert accounts.status.text() == "✓ mary is disabled, and their passphrase no longer " \
                                     "signs in."


# -- over the network: TLS and the database password -------------------------------------------


@pytest.fixture
def tls_database(pg_server: Any, server_vault: Vault) -> Iterator[ServerLocation]:
    """The team database reached over TCP with TLS as a database account with a password."""
    assert server_vault.server is not None
    name = server_vault.server.database
    pg_server.psql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                   "'gui_team') THEN CREATE ROLE gui_team LOGIN PASSWORD 'gui team password'; "
                   "END IF; END $$")
    pg_server.psql("GRANT ALL ON ALL TABLES IN SCHEMA public TO gui_team; "
                   "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO gui_team", name)
    location = parse_location(pg_server.tls_url(name, "gui_team"))
    assert isinstance(location, ServerLocation)
    yield location
    pg_server.psql("REASSIGN OWNED BY gui_team TO postgres; DROP OWNED BY gui_team", name)


def _connect(qtbot: QtBot, app: AppController, password: str, *,
             remember: bool = False) -> None:
    view = app.connect_view
    assert view is not None
    qtbot.waitUntil(lambda: view.password.isVisible() and view.password.isEnabled(),
                    timeout=20_000)
    view.password.clear()
    type_into(qtbot, view.password, password)
    if remember:
        click(qtbot, view.remember)
    click(qtbot, view.button)
    qtbot.waitUntil(lambda: view.button.isEnabled() or app.window.stack.currentWidget()
                    is app.unlock_view, timeout=20_000)


def test_the_database_password_is_asked_for_checked_and_kept_in_the_keyring(
        qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest, pg_server: Any,
        tls_database: ServerLocation, memory_keyring: dict[tuple[str, str], str]) -> None:
    url = tls_database.display()
    app = _app(qtbot, tmp_path, request, server=url, ca_file=pg_server.ca_file)
    app.start()
    view = app.connect_view
    assert view is not None
    assert app.window.stack.currentWidget() is view
    _connect(qtbot, app, "not the password")
    assert app.window.stack.currentWidget() is view
    assert view.error.isVisible()
    assert "refused the database account's password" in view.error.text()
    assert "\n" not in view.error.text()
    assert view.password.isEnabled()

    _connect(qtbot, app, "gui team password", remember=True)
    assert app.window.stack.currentWidget() is app.unlock_view
    assert memory_keyring == {(KEYRING_SERVICE, tls_database.keyring_name()):
                              "gui team password"}
    sign_in(qtbot, app, *PAT)
    assert app.session is not None

    # Next time the keyring's password is used: no question, straight to one's own sign-in.
    again = _app(qtbot, tmp_path / "again", request, server=url, ca_file=pg_server.ca_file)
    again.start()
    qtbot.waitUntil(lambda: again.window.stack.currentWidget() is again.unlock_view,
                    timeout=20_000)
    # A password changed on the server: the kept one is refused, the field comes back.
    memory_keyring[(KEYRING_SERVICE, tls_database.keyring_name())] = "an old password"
    third = _app(qtbot, tmp_path / "third", request, server=url, ca_file=pg_server.ca_file)
    third.start()
    assert third.connect_view is not None
    qtbot.waitUntil(lambda: third.connect_view is not None
                    and third.connect_view.password.isVisible(), timeout=20_000)
    assert "kept in this computer's keyring was refused" in third.connect_view.error.text()


def test_without_a_keyring_the_password_is_asked_each_time_and_that_is_said(
        qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest, pg_server: Any,
        tls_database: ServerLocation) -> None:
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    request.addfinalizer(lambda: keyring.set_keyring(before))
    app = _app(qtbot, tmp_path, request, server=tls_database.display(),
               ca_file=pg_server.ca_file)
    app.start()
    _connect(qtbot, app, "gui team password", remember=True)
    assert app.window.stack.currentWidget() is app.unlock_view
    assert "no keyring" in app.window.statusBar().currentMessage()


def test_a_database_password_changed_while_running_is_asked_for_again(
        qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest, pg_server: Any,
        tls_database: ServerLocation, memory_keyring: dict[tuple[str, str], str]) -> None:
    app = _app(qtbot, tmp_path, request, server=tls_database.display(),
               ca_file=pg_server.ca_file)
    app.start()
    _connect(qtbot, app, "gui team password")
    assert app.window.stack.currentWidget() is app.unlock_view
    pg_server.psql("ALTER ROLE gui_team PASSWORD 'a changed password'")
    request.addfinalizer(lambda: pg_server.psql(
        "ALTER ROLE gui_team PASSWORD 'gui team password'"))
    sign_in(qtbot, app, *PAT)
    assert app.session is None
    view = app.connect_view
    assert view is not None
    assert app.window.stack.currentWidget() is view
    assert "refused the database account's password" in view.error.text()
    _connect(qtbot, app, "a changed password")
    sign_in(qtbot, app, *PAT)
    assert app.session is not None


def test_a_server_that_is_down_is_said_in_one_line_and_can_be_tried_again(
        qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest, pg_server: Any,
        memory_keyring: dict[tuple[str, str], str]) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://gui_team@localhost:{port}/riskscreen"
    location = parse_location(url)
    assert isinstance(location, ServerLocation)
    memory_keyring[(KEYRING_SERVICE, location.keyring_name())] = "gui team password"
    app = _app(qtbot, tmp_path, request, server=url, ca_file=pg_server.ca_file)
    app.start()
    view = app.connect_view
    assert view is not None
    qtbot.waitUntil(lambda: view.error.isVisible(), timeout=20_000)
    assert "could not be reached" in view.error.text()
    assert "Check the address and your network" in view.error.text()
    assert view.button.isVisible()
    assert view.button.isEnabled()
    assert view.button.text() == "Try again"
    click(qtbot, view.button)
    qtbot.waitUntil(lambda: view.button.isEnabled(), timeout=20_000)
    assert "could not be reached" in view.error.text()


def test_a_certificate_that_does_not_verify_is_said_and_nothing_is_sent(
        qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest, pg_server: Any,
        tls_database: ServerLocation, memory_keyring: dict[tuple[str, str], str]) -> None:
    from riskscreen.store.local_server import _write_certificates

    other = Path(tempfile.mkdtemp())
    request.addfinalizer(lambda: shutil.rmtree(other, ignore_errors=True))
    _write_certificates(other)
    app = _app(qtbot, tmp_path, request, server=tls_database.display(),
               ca_file=other / "ca.crt")
    app.start()
    _connect(qtbot, app, "gui team password", remember=True)
    view = app.connect_view
    assert view is not None
    assert app.window.stack.currentWidget() is view
    assert "certificate could not be checked" in view.error.text()
    assert "--db-ca" in view.error.text()
    assert memory_keyring == {}  # kept only once the connection worked


@pytest.mark.parametrize(("url", "said"), [
    ("postgresql://team:secret@localhost/riskscreen", "Leave the password out"),
    ("postgresql://localhost/riskscreen?sslmode=disable", "sslmode=disable is refused"),
])
def test_an_address_that_cannot_be_used_is_said_without_a_traceback(
        qtbot: QtBot, tmp_path: Path, request: pytest.FixtureRequest,
        memory_keyring: dict[tuple[str, str], str], url: str, said: str) -> None:
    app = _app(qtbot, tmp_path, request, server=url)
    app.start()
    view = app.connect_view
    assert view is not None
    qtbot.waitUntil(lambda: view.error.isVisible(), timeout=20_000)
    assert said in view.error.text()
    assert app.session is None
