"""Two real demo databases that exchange packages: a sending agency (an encrypted file) and
the co-located team (a file, or a database on a PostgreSQL server), each trusting the other's
certificate (service, GUI tests and screenshots), and the application opened over one of them
for GUI tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskscreen.crypto.keys import KdfParams
from riskscreen.services import Session, Unlocker
from riskscreen.services.demo import DEMO_ACCOUNTS, create_demo_database
from riskscreen.services.server import ServerUnlocker
from riskscreen.store.backend import ServerLocation

from .conftest import finalise_case

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from riskscreen.ui.controller import AppController

#: The receiving team's name on its certificate (the demo agency keeps the demo's name).
TEAM = "Northvale Child Exploitation Hub"


@dataclass(frozen=True)
class TeamServer:
    """The team's demo database on a PostgreSQL server, and this client's folder for it."""

    location: ServerLocation
    state_dir: Path


def login(db: Path | TeamServer, name: str) -> Session:
    """Sign in to a demo database as one of :data:`DEMO_ACCOUNTS`."""
    if isinstance(db, TeamServer):
        return ServerUnlocker(db.location, state_dir=db.state_dir).unlock(
            name, DEMO_ACCOUNTS[name][1])
    return Unlocker(db, auto_backups=False).unlock(name, DEMO_ACCOUNTS[name][1])


def exchange_pair(root: Path, kdf: KdfParams, *, agency_count: int = 6,
                  team_server: ServerLocation | None = None) -> dict[str, Any]:
    """``agency.db`` and the team's database (``team.db`` under ``root``, or the empty
    ``team_server`` database) that trust each other, and their certificates as
    ``agency.cert.pem`` and ``team.cert.pem``."""
    agency = root / "agency.db"
    create_demo_database(agency, agency_count, seed=1, kdf=kdf).close()
    team: Path | TeamServer = root / "team.db"
    if team_server is not None:
        team = TeamServer(team_server, root / "team-client")
        create_demo_database(team_server, 2, seed=2, kdf=kdf, state_dir=team.state_dir).close()
    else:
        create_demo_database(team, 2, seed=2, kdf=kdf).close()
    with login(agency, "admin") as a, login(team, "admin") as t:
        agency_cert = a.exchange.identity()
        team_cert = t.exchange.create_identity(TEAM)
        assert agency_cert is not None
        t.exchange.install_sender(agency_cert.certificate_pem.encode())
        a.exchange.install_sender(team_cert.certificate_pem.encode())
        (root / "team.cert.pem").write_text(team_cert.certificate_pem)
        (root / "agency.cert.pem").write_text(agency_cert.certificate_pem)
    return {"agency": agency, "team": team, "root": root}


def finalised(db: Path | TeamServer, name: str = "Synthetic Exchange Child",
              nhs_number: str = "943 476 5919") -> int:
    """A new finalised screening (high: it makes a referral, still to send)."""
    with login(db, "pat") as s:
        return finalise_case(s, "07-disclosure", name=name,
                             answers={"nhs_number": nhs_number}).screening


def make_package(dbs: dict[str, Any], out: Path, screening: int | None = None) -> Path:
    """The agency's referral package of ``screening`` (a new one if None) for the team."""
    with login(dbs["agency"], "manager") as s:
        rid = s.exchange.referral_of_screening(screening or finalised(dbs["agency"]))
        s.exchange.save_referral_package(rid, out, (dbs["root"] / "team.cert.pem").read_bytes())
    return out


def imported_referral(dbs: dict[str, Path], team: Session, out: Path, name: str,
                      nhs_number: str) -> int:
    """A new finalised screening of ``name`` at the agency, sent as a package to ``out`` and
    imported by ``team`` (a session on the team's database) as a new child's record."""
    package = make_package(dbs, out, finalised(dbs["agency"], name, nhs_number))
    return team.exchange.import_package(package.read_bytes(), "new").received_id


@contextmanager
def app_over(qtbot: QtBot, db: Path, settings: Path, kdf: KdfParams) -> Iterator[AppController]:
    """The application over ``db`` (one of the pair, or any test database), shown at 1366x768
    and not yet unlocked;
    its session is closed afterwards. Qt is imported only here, so that the service tests
    that share this module never load it."""
    from PySide6.QtCore import QSettings

    from riskscreen.ui.controller import AppController
    from riskscreen.ui.worker import wait_for_background

    app = AppController(db, settings=QSettings(str(settings), QSettings.Format.IniFormat),
                        kdf=kdf, sleep=lambda _: None, auto_backups=False)
    qtbot.addWidget(app.window)
    app.window.resize(1366, 768)
    app.window.show()
    app.start()
    try:
        yield app
    finally:
        wait_for_background()
        if app.session is not None:
            app.session.close()


def unlock_demo(qtbot: QtBot, app: AppController, account: str) -> None:
    """Sign in to a demo database through the unlock page, typing as a person would."""
    from .ui.helpers import click, type_into

    view = app.unlock_view
    view.name.clear()
    type_into(qtbot, view.name, account)
    view.passphrase.clear()
    type_into(qtbot, view.passphrase, DEMO_ACCOUNTS[account][1])
    click(qtbot, view.button)
    qtbot.waitUntil(lambda: app.session is not None, timeout=60_000)
