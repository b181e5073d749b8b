"""Screens of intelligence (the list, one person of concern, the links between children, the
problem profile, and the dialogs to add and submit items) on a temporary demo database;
``--check`` reports sideways scrollbars and cut-off text.

    xvfb-run -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python scripts/screenshots_intel.py --out /tmp/shots --check
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtWidgets import QApplication, QWidget
from screenshots import FAST, Options, layout_problems, logical_size, make_controller, settle

from riskscreen.services.demo import DEMO_ACCOUNTS, create_demo_database
from riskscreen.ui.app import apply_style, configure_application


def _shot(app: QApplication, widget: QWidget, out: Path, name: str, suffix: str) -> None:
    settle(app, rounds=8)
    if Options.check:
        for problem in layout_problems(widget):
            Options.problems.append(f"{name}: {problem}")
            print(f"PROBLEM {name}: {problem}")
    path = out / f"{name}{suffix}.png"
    widget.grab().save(str(path))
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/shots"))
    parser.add_argument("--size", default="1366x768")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--suffix", default="")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    size = logical_size(args.size, args.scale)
    Options.check = args.check
    args.out.mkdir(parents=True, exist_ok=True)
    configure_application()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    apply_style(app)
    with tempfile.TemporaryDirectory(prefix="riskscreen-intel-") as tmp:
        db = Path(tmp) / "riskscreen.db"
        create_demo_database(db, 40, seed=3, kdf=FAST).close()
        c = make_controller(db, Path(tmp), size)
        c.start()
        c.unlock_view.name.setText("ana")
        c.unlock_view.passphrase.setText(DEMO_ACCOUNTS["ana"][1])
        c.unlock_view.button.click()
        settle(app, lambda: c.session is not None)
        intel = c.intel
        settle(app, lambda: c.window.stack.currentWidget() is intel.list_view)
        _shot(app, c.window, args.out, "intel-list", args.suffix)
        person = next((r for r in intel.list_view.model.rows if r.kind == "person"), None)
        if person is not None:
            intel.open(person.id)
            settle(app, lambda: c.window.stack.currentWidget() is intel.item_view)
            _shot(app, c.window, args.out, "intel-person", args.suffix)
        intel.show_network()
        settle(app, lambda: c.window.stack.currentWidget() is intel.network_view)
        _shot(app, c.window, args.out, "intel-links", args.suffix)
        intel.show_profile()
        today = date.today()
        intel.profile_view.start.set_date(date(today.year - 2, 1, 1))
        intel.profile_view.show_button.click()
        settle(app, lambda: intel.profile_view.table.rowCount() > 0)
        _shot(app, c.window, args.out, "intel-profile", args.suffix)
        intel.add(None, "person")
        settle(app, lambda: intel.dialog is not None)
        if intel.dialog is not None:
            _shot(app, intel.dialog, args.out, "intel-add", args.suffix)
            intel.dialog.close()
            settle(app)
        intel.show_list()
        settle(app, lambda: c.window.stack.currentWidget() is intel.list_view)
        intel.list_view.table.selectAll()
        intel.list_view.submit_button.click()
        settle(app, lambda: intel.dialog is not None)
        if intel.dialog is not None:
            _shot(app, intel.dialog, args.out, "intel-submit", args.suffix)
            intel.dialog.close()
        c.window.close()
    if Options.problems:
        print(f"{len(Options.problems)} layout problem(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
