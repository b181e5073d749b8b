"""Save PNGs of the manager's and administrator's windows to docs/images/ (offscreen, demo
data only): manager-*.png and admin-*.png.

    .venv/bin/python scripts/screenshots_manager.py [--out docs/images] [--count 2000]
        [--size 1366x768] [--scale 1.5] [--suffix ""] [--main-only] [--check]

The options are those of ``screenshots.py``: ``--size`` is the screen in physical pixels,
``--scale`` the Qt scale factor, ``--suffix`` is added to every file name, ``--main-only``
saves only the model editor and the reports, and ``--check`` reports (and fails on) sideways
scrollbars and cut-off text.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from screenshots import layout_problems, logical_size

from riskscreen.crypto.keys import KdfParams
from riskscreen.services import Unlocker
from riskscreen.services.demo import DEMO_ACCOUNTS, create_demo_database
from riskscreen.ui.admin.controller import AdminController
from riskscreen.ui.app import _load_fonts, apply_style, configure_application
from riskscreen.ui.manager.controller import ManagerController
from riskscreen.ui.manager.reports import attach_reports
from riskscreen.ui.manager.rule_editor import RuleDialog
from riskscreen.ui.worker import wait_for_background

# Cheap Argon2 settings for throw-away demo databases (below the minimum a real key file
# must meet, so they are allowed only with this variable set).
os.environ["RISKSCREEN_TEST_CHEAP_KDF"] = "1"
FAST = KdfParams(memory_cost=1024, iterations=1, lanes=1, salt=b"0" * 16)
ROOT = Path(__file__).resolve().parent.parent


def settle(app: QApplication) -> None:
    """Let Qt lay out, paint and deliver background results."""
    for _ in range(20):
        wait_for_background(50)
        app.processEvents()


SUFFIX = ""
MAIN_ONLY = False
CHECK = False
PROBLEMS: list[str] = []
#: Taken at every size; the rest only at the default size (``--main-only``).
MAIN_SCREENS = frozenset({"manager-model-editor", "manager-model-editor-outcomes",
                          "manager-reports", "manager-reports-month",
                          "manager-reports-indicators", "manager-pathway-report"})


def save(app: QApplication, widget: QWidget, out: Path, name: str) -> None:
    settle(app)
    if CHECK:
        for problem in layout_problems(widget):
            PROBLEMS.append(f"{name}: {problem}")
            print(f"PROBLEM {name}: {problem}")
    if MAIN_ONLY and name not in MAIN_SCREENS:
        return
    widget.grab().save(str(out / f"{name}{SUFFIX}.png"))
    print(f"  {name}{SUFFIX}.png")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--size", default="1366x768",
                        help="screen size in physical pixels, WIDTHxHEIGHT")
    parser.add_argument("--scale", type=float, default=1.0, help="Qt scale factor")
    parser.add_argument("--suffix", default="", help="added to each file name")
    parser.add_argument("--main-only", action="store_true", help="only the main screens")
    parser.add_argument("--check", action="store_true", help="report layout problems")
    args = parser.parse_args()
    global SUFFIX, MAIN_ONLY, CHECK
    SUFFIX, MAIN_ONLY, CHECK = args.suffix, args.main_only, args.check
    size = logical_size(args.size, args.scale)
    args.out.mkdir(parents=True, exist_ok=True)
    configure_application()
    app = QApplication(["screenshots"])
    _load_fonts()
    apply_style(app)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "riskscreen.db"
        create_demo_database(db, args.count, kdf=FAST, seed=4).close()
        unlocker = Unlocker(db, auto_backups=False)
        manager = unlocker.unlock("manager", DEMO_ACCOUNTS["manager"][1])
        mc = ManagerController(manager)
        mc.start()
        attach_reports(mc)
        w = mc.window
        w.resize(*size)
        w.show()
        assert mc.draft is not None
        w.editor.change_note.setPlainText("Raise the weight of hotels and parties at unknown "
                                          "addresses after the county review.")
        mc.draft.weights["hotels_parties_unknown_addresses"].update(recent=12, both=13)
        mc._fill_weights()
        mc.validate()
        w.editor.weights.scrollToItem(w.editor.weights.findItems(
            "hotels", __import__("PySide6.QtCore").QtCore.Qt.MatchFlag.MatchContains
            | __import__("PySide6.QtCore").QtCore.Qt.MatchFlag.MatchRecursive)[0])
        save(app, w, args.out, "manager-model-editor")
        if not w.editor.below.side_by_side:  # too narrow: the calibration is a tab of its own
            w.editor.below.tabs.setCurrentIndex(1)
            save(app, w, args.out, "manager-model-editor-outcomes")
            w.editor.below.tabs.setCurrentIndex(0)
        w.editor.tabs.setCurrentIndex(1)
        save(app, w, args.out, "manager-levels")
        w.editor.tabs.setCurrentIndex(2)
        save(app, w, args.out, "manager-rules")
        levels = [(lv.id, lv.name) for lv in mc.draft.levels]
        dialog = RuleDialog(mc.draft.rules[0], levels, mc.form, w)
        dialog.show()
        save(app, dialog, args.out, "manager-rule-editor")
        dialog.close()
        mc.draft.levels[1].starts_at = 0
        mc.validate()
        w.editor.tabs.setCurrentIndex(1)
        save(app, w, args.out, "manager-validation")
        mc.draft.levels[1].starts_at = 3
        mc.validate()
        w.tabs.setCurrentIndex(1)
        loop = QEventLoop()
        mc.impact_finished.connect(lambda _: loop.quit())
        QTimer.singleShot(0, mc.run_impact)
        loop.exec()
        w.impact.changes.setCurrentIndex(w.impact.changes_model.index(0, 0))
        save(app, w, args.out, "manager-impact")
        w.tabs.setCurrentIndex(2)
        done = QEventLoop()
        mc.tried.connect(lambda _: done.quit())
        QTimer.singleShot(0, lambda: mc.try_screening(int(w.try_out.screening.itemData(0))))
        done.exec()
        save(app, w, args.out, "manager-try-out")
        done = QEventLoop()
        mc.published.connect(lambda _: done.quit())
        QTimer.singleShot(0, mc.publish)
        done.exec()
        w.tabs.setCurrentIndex(3)
        mc._on_history_diff_requested(w.history.first.currentData(),
                                      w.history.second.currentData())
        save(app, w, args.out, "manager-history")
        w.tabs.setCurrentIndex(4)
        mc.reports.build()  # type: ignore[attr-defined]
        save(app, w, args.out, "manager-reports")
        mc.reports.view.tables.setCurrentRow(2)  # type: ignore[attr-defined]
        save(app, w, args.out, "manager-reports-agency")
        titles = [t.title for t in mc.reports.report.tables]  # type: ignore[attr-defined]
        mc.reports.view.tables.setCurrentRow(titles.index("By month"))  # type: ignore[attr-defined]
        save(app, w, args.out, "manager-reports-month")
        mc.reports.view.tables.setCurrentRow(  # type: ignore[attr-defined]
            titles.index("Indicator prevalence"))
        save(app, w, args.out, "manager-reports-indicators")
        w.tabs.setCurrentIndex(5)
        pathway = mc.pathway_reports  # type: ignore[attr-defined]
        pathway.build()
        titles = [t.title for t in pathway.report.tables]
        pathway.view.tables.setCurrentRow(titles.index("Time to decision against the deadline"))
        save(app, w, args.out, "manager-pathway-report")
        w.close()
        manager.close()

        admin = unlocker.unlock("admin", DEMO_ACCOUNTS["admin"][1])
        ac = AdminController(admin, settings=QSettings(str(Path(tmp) / "s.ini"),
                                                       QSettings.Format.IniFormat))
        ac.start()
        aw = ac.window
        aw.resize(*size)
        aw.show()
        aw.accounts.table.setCurrentCell(1, 0)
        save(app, aw, args.out, "admin-accounts")
        aw.tabs.setCurrentIndex(1)
        aw.backup.folder.setText(str(Path(tmp) / "copies"))
        loop = QEventLoop()
        ac.backup_finished.connect(lambda _: loop.quit())
        QTimer.singleShot(0, ac.back_up)
        loop.exec()
        aw.backup.status.setText(aw.backup.status.text().replace(tmp, "…"))
        save(app, aw, args.out, "admin-backup")
        aw.tabs.setCurrentIndex(2)
        ac.verify_audit()
        save(app, aw, args.out, "admin-audit")
        aw.tabs.setCurrentIndex(3)
        aw.settings.organisation.setText("Northvale Council")
        save(app, aw, args.out, "admin-settings")
        aw.close()
        admin.close()
        wait_for_background()
    if PROBLEMS:
        print(f"{len(PROBLEMS)} layout problem(s) found")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
