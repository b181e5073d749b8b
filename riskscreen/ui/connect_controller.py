"""Connecting the application to a team server's database (``riskscreen --db postgresql://``).

The address is read as the command line reads it (:func:`riskscreen.store.backend.parse_location`);
the database password comes from this computer's keyring or is asked for in the window (none
over a Unix socket); a first connection checks the password, the server's certificate and the
schema before anyone types their own passphrase. Then the unlocker goes to the sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from riskscreen.services.server import ServerUnlocker
from riskscreen.store.backend import (
    ServerLocation,
    ServerRefused,
    check_tls_settings,
    parse_location,
    remember_password,
    stored_password,
)
from riskscreen.store.db import StorageError
from riskscreen.ui.connect import ConnectView
from riskscreen.ui.operations import QueryOp

__all__ = ["ServerConnection"]

#: What a refused password from the keyring means, and what to do.
KEYRING_ONE_REFUSED = ("The database password kept in this computer's keyring was refused "
                         "(it may have been changed): type the current one.")


class ServerConnection(QObject):
    """Finds the database password, checks the connection, and hands the unlocker to
    ``connected``; every problem is said on the view, which stays usable."""

    def __init__(self, url: str, view: ConnectView,
                 connected: Callable[[ServerUnlocker, str], None], *,
                 ca_file: Path | None = None, sleep: Callable[[float], None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url = url
        self.view = view
        self._connected = connected
        self._ca_file = ca_file
        self._sleep = sleep
        self.location: ServerLocation | None = None
        view.connect_requested.connect(self._on_view_connect_requested)

    def start(self) -> None:
        """Read the address, then connect with the keyring's password (or none over a
        socket), or ask for it."""
        try:
            found = parse_location(self.url)
            if isinstance(found, ServerLocation):
                check_tls_settings(found, self._ca_file)
        except StorageError as error:
            self.view.set_unusable(f"{error} Start RiskScreen again with the address your IT "
                                   "department gave you.")
            return
        if not isinstance(found, ServerLocation):  # the caller checked the URL's scheme
            raise TypeError("not a server URL")
        self.location = location = found
        self.view.set_server(location.display(),
                             None if location.uses_socket else location.user)
        if location.uses_socket:
            self._attempt(None, remember=False, kept=False)
            return
        QueryOp(lambda: stored_password(location), show=self.view.show_error,
                what="keyring") \
            .busy(lambda on: self.view.set_busy(on, "Looking in this computer's keyring…")) \
            .success(self._on_keyring_read).run_in_background()

    def ask_password(self, why: str) -> None:
        """The server refused the password while signing in: ask for it again."""
        self.view.set_password_needed(True)
        self.view.show_error(why)

    def _on_keyring_read(self, password: str | None) -> None:
        if password is None:
            self.view.set_password_needed(True)
            return
        self._attempt(password, remember=False, kept=True)

    def _on_view_connect_requested(self, password: str, remember: bool) -> None:
        if self.location is None:
            return
        if self.view.form.isVisible():
            self._attempt(password, remember=remember, kept=False)
        else:
            self.start()  # try again: the keyring's password, or the socket

    def _attempt(self, password: str | None, *, remember: bool, kept: bool) -> None:
        location, ca_file, sleep = self.location, self._ca_file, self._sleep
        assert location is not None

        def work() -> tuple[ServerUnlocker, str]:
            unlocker = (ServerUnlocker(location, password=password, ca_file=ca_file)
                        if sleep is None else
                        ServerUnlocker(location, password=password, ca_file=ca_file, sleep=sleep))
            unlocker.check()
            note = ""
            if remember and password:
                try:
                    remember_password(location, password)
                    note = "The database password is kept in this computer's keyring."
                except StorageError as error:
                    note = str(error)
            return unlocker, note

        def refused(error: BaseException) -> bool:
            if isinstance(error, ServerRefused):
                self.ask_password(KEYRING_ONE_REFUSED if kept else str(error))
                return True
            return False

        QueryOp(work, show=self.view.show_error, what="connect") \
            .busy(self.view.set_busy).failure(refused) \
            .unexpected("RiskScreen could not connect to the team database. Ask your IT "
                        "department for help.") \
            .success(lambda done: self._connected(*done)).run_in_background()
