"""Start-up, the exception hook, remembered geometry, paging and printing."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from riskscreen.services.types import Page, ScreeningQuery, ScreeningRow, Status
from riskscreen.ui import app as app_module
from riskscreen.ui.home import LevelStyle, ScreeningListModel
from riskscreen.ui.main_window import MainWindow

from ..conftest import PASSPHRASES, make_vault

pytestmark = pytest.mark.gui


def test_exception_hook_logs_no_personal_data_and_names_the_log(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log_file = tmp_path / "logs" / "riskscreen.log"
    monkeypatch.setattr(app_module, "log_path", lambda: log_file)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        staticmethod(lambda parent, title, text: shown.append(text)))
    app_module._setup_logging()
    try:
        raise ValueError("Synthetic Child Name answered yes")
    except ValueError:
        app_module._exception_hook(*sys.exc_info())  # type: ignore[arg-type]
    for handler in __import__("logging").getLogger("riskscreen").handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "builtins.ValueError" in text
    assert "test_app_parts.py" in text
    assert "Synthetic Child Name" not in text
    assert shown
    assert str(log_file) in shown[0]
    assert "Traceback" not in shown[0]


def test_window_geometry_is_remembered(qtbot: QtBot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.setGeometry(QRect(40, 50, 700, 500))
    first.show()
    first.close()
    second = MainWindow(settings)
    qtbot.addWidget(second)
    assert second.size().width() == 700
    assert second.size().height() == 500


def _row(i: int) -> ScreeningRow:
    return ScreeningRow(id=i, child_id=i, child_name=f"Synthetic {i}", date_of_birth=None,
                        practitioner="pat", status=Status.FINAL if i % 3 else Status.DRAFT,
                        level="high" if i % 2 else None, screening_date=date(2026, 1, 1),
                        updated_at=datetime(2026, 1, 1, 10, tzinfo=UTC),
                        amendment_of=None)


def test_list_model_fetches_100000_rows_on_demand(qtbot: QtBot) -> None:
    total = 100_000
    asked: list[ScreeningQuery] = []

    def fetch(query: ScreeningQuery) -> Page:
        asked.append(query)
        end = min(total, query.offset + query.limit)
        return Page([_row(i) for i in range(query.offset, end)], query.offset, total)

    model = ScreeningListModel(fetch, {"high": LevelStyle("High", "#c62828")})
    model.set_query(ScreeningQuery())
    qtbot.waitUntil(lambda: model.rowCount() == 200, timeout=10_000)
    assert model.canFetchMore()
    model.fetchMore()
    assert not model.canFetchMore(), "one page at a time"
    qtbot.waitUntil(lambda: model.rowCount() == 400, timeout=10_000)
    assert asked[-1].offset == 200
    assert asked[-1].drafts_first
    index = model.index(1, 3)
    assert model.data(index) == "High"
    assert model.data(model.index(0, 3)) == "Not yet finalised"


def test_run_starts_the_set_up_assistant_on_first_start(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "log_path", lambda: tmp_path / "logs" / "riskscreen.log")
    seen: dict[str, Any] = {}

    def fake_exec() -> int:
        from riskscreen.ui.setup import SetupView

        windows = [w for w in app_module.QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        seen["window"] = windows[-1]
        seen["page"] = windows[-1].stack.currentWidget()
        seen["setup"] = isinstance(seen["page"], SetupView)
        windows[-1].close()
        return 0

    app = app_module.QApplication.instance()
    assert app is not None
    monkeypatch.setattr(app, "exec", fake_exec)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    assert app_module.run(["--db", str(tmp_path / "new" / "riskscreen.db")]) == 0
    assert seen["setup"]
    qtbot.addWidget(seen["window"])
    assert app_module.QApplication.applicationName() == "RiskScreen"


def test_run_given_a_team_servers_address_connects_to_it_first(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        memory_keyring: dict[tuple[str, str], str]) -> None:
    from riskscreen.ui.connect import ConnectView

    monkeypatch.setattr(app_module, "log_path", lambda: tmp_path / "logs" / "riskscreen.log")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("RISKSCREEN_DB", "postgresql://team@riskscreen-db.invalid/riskscreen")
    ca = tmp_path / "ca.crt"
    ca.write_text("not used before the password is typed\n")
    seen: dict[str, Any] = {}

    def fake_exec() -> int:
        windows = [w for w in app_module.QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        page = windows[-1].stack.currentWidget()
        assert isinstance(page, ConnectView)
        # Once the rest of the app has loaded, no password in the keyring: it is asked for.
        qtbot.waitUntil(lambda: page.password.isVisible(), timeout=20_000)
        seen["server"] = page.server.text()
        seen["window"] = windows[-1]
        windows[-1].close()
        return 0

    app = app_module.QApplication.instance()
    assert app is not None
    monkeypatch.setattr(app, "exec", fake_exec)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    assert app_module.run(["--db-ca", str(ca)]) == 0
    qtbot.addWidget(seen["window"])
    assert "postgresql://team@riskscreen-db.invalid/riskscreen" in seen["server"]


def test_database_path_follows_the_services_rule(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from riskscreen.services import default_db_path

    monkeypatch.delenv("RISKSCREEN_DB", raising=False)
    assert app_module.database_path(None) == default_db_path()
    monkeypatch.setenv("RISKSCREEN_DB", str(tmp_path / "x.db"))
    assert app_module.database_path(None) == default_db_path()
    assert app_module.database_path(tmp_path / "given.db") == tmp_path / "given.db"


def test_a_team_servers_address_is_told_from_a_file_as_the_storage_tells_it() -> None:
    from riskscreen.store.backend import is_server_url

    for scheme in app_module.SERVER_SCHEMES:
        assert is_server_url(f"{scheme}host/team")
    assert is_server_url("postgresql://host/team")
    assert not any("riskscreen.db".startswith(s) for s in app_module.SERVER_SCHEMES)


def test_unlock_window_comes_first_and_an_early_unlock_is_kept(
        qtbot: QtBot, tmp_path: Path) -> None:
    db = make_vault(tmp_path / "data" / "riskscreen.db", ("pat",)).db
    startup = app_module._Startup(db)
    qtbot.addWidget(startup.window)
    startup.window.show()
    assert startup.window.stack.currentWidget() is startup.unlock_view
    startup.unlock_view.name.setText("pat")
    startup.unlock_view.passphrase.setText(PASSPHRASES["pat"])
    startup.unlock_view.button.click()
    qtbot.waitUntil(lambda: startup.controller is not None
                    and startup.controller.session is not None, timeout=30_000)
    import riskscreen  # the version is given to Qt once the window is up, not before it

    assert app_module.QApplication.applicationVersion() == riskscreen.__version__
    startup.controller.session.close()
    startup.controller.session = None


_SOURCE_LINES_CHECK = """
import json, linecache, sys, traceback
import PySide6.QtCore
from riskscreen.ui.app import keep_no_source_lines
if sys.argv[1] == "keep-none":
    keep_no_source_lines()
import riskscreen.services.referrals as later
kept = [f for f in list(linecache.cache) if f.endswith("referrals.py")]
try:
    later.ReferralManager.__init__(None, None)  # fails inside the module, with its source line
except Exception:
    shown = traceback.format_exc()
print(json.dumps({"kept": kept, "shown": shown}))
"""


@pytest.mark.parametrize("mode", ["default", "keep-none"])
def test_source_lines_of_modules_imported_after_pyside_are_not_kept(mode: str) -> None:
    """PySide6 reads the source of every module imported after it; the app keeps none of
    those lines in memory, and tracebacks still show them."""
    import json
    import subprocess

    done = subprocess.run([sys.executable, "-c", _SOURCE_LINES_CHECK, mode],
                          capture_output=True, text=True, timeout=120, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    if mode == "default":  # what the app stops: every imported module's lines kept
        assert found["kept"]
    else:
        assert found["kept"] == []
    assert "referrals.py" in found["shown"]
    assert "self._ctx = ctx" in found["shown"]  # the failing line, read from the file


_UNLOCK_PATH_IMPORTS = """
import json, sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from riskscreen.ui import app
app.configure_application()
qt = QApplication([sys.argv[0]])
app.apply_style(qt)
app._load_fonts()
from riskscreen.ui.main_window import MainWindow
from riskscreen.ui.connect import ConnectView
from riskscreen.ui.unlock import UnlockView
window = MainWindow(QSettings(sys.argv[1], QSettings.Format.IniFormat))
window.add_page(ConnectView())
window.show_page(UnlockView())
window.show()
qt.processEvents()
print(json.dumps(sorted(sys.modules)))
"""

#: What the unlock window must not wait for: the services and storage, the PDF and FHIR
#: libraries, the migrations, the definition files' YAML and validation.
_LOADED_LATER = ("riskscreen.services", "riskscreen.store", "riskscreen.summary",
                 "riskscreen.definitions", "riskscreen.forms", "reportlab", "fhir", "alembic",
                 "sqlalchemy", "sqlcipher3", "pydantic", "ruamel", "numpy", "psycopg")


def test_the_unlock_window_is_built_without_the_heavy_libraries(tmp_path: Path) -> None:
    """The main window and its first pages (unlock, or connecting to a team server) import
    Qt and the few modules they draw with;
    everything else is imported in the background once the window is painted."""
    import json
    import os
    import subprocess

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", _UNLOCK_PATH_IMPORTS,
                           str(tmp_path / "settings.ini")],
                          capture_output=True, text=True, timeout=120, check=True, env=env)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    early = [m for m in loaded if m.split(".")[0] in _LOADED_LATER
             or m.startswith(_LOADED_LATER)]
    assert early == []


def test_the_services_and_the_controller_load_without_the_pdf_and_fhir_libraries() -> None:
    """What the background import before signing in brings in: no reportlab, no FHIR models
    (each is imported when a PDF or a package is first made)."""
    import json
    import os
    import subprocess

    code = ("import json, sys\nimport riskscreen.services, riskscreen.ui.controller\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True, env=env)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "riskscreen.services.session" in loaded
    assert [m for m in loaded if m.split(".")[0] in ("reportlab", "fhir", "PIL")] == []
