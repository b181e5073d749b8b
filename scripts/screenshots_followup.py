"""Screens of the follow-up work (due list, episode log, RHI dialog, re-screen, chronology)
on a temporary demo database; ``--check`` reports sideways scrollbars and cut-off text.

    xvfb-run -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python scripts/screenshots_followup.py --out /tmp/shots --check
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtWidgets import QApplication, QWidget
from screenshots import (
    FAST,
    Options,
    layout_problems,
    logical_size,
    make_controller,
    settle,
)

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
    with tempfile.TemporaryDirectory(prefix="riskscreen-followup-") as tmp:
        db = Path(tmp) / "demo" / "riskscreen.db"
        create_demo_database(db, 120, kdf=FAST).close()
        c = make_controller(db, Path(tmp), size)
        c.start()
        c.unlock_view.name.setText("pat")
        c.unlock_view.passphrase.setText(DEMO_ACCOUNTS["pat"][1])
        c.unlock_view.button.click()
        settle(app, lambda: c.home_view.due.items != [])
        _shot(app, c.window, args.out, "f1-home-due", args.suffix)
        session = c.session
        assert session is not None
        child = next(i.child_id for i in c.home_view.due.items
                     if session.episodes.for_child(i.child_id))
        c.show_history(child)
        settle(app, lambda: c.history_view.episodes.episodes != [])
        _shot(app, c.window, args.out, "f2-child-episodes", args.suffix)
        c.history_view.episodes.table.selectRow(0)
        c.history_view.episodes.rhi_button.click()
        settle(app, lambda: c.followup.dialog is not None)
        if c.followup.dialog is not None:
            _shot(app, c.followup.dialog, args.out, "f3-rhi-dialog", args.suffix)
            c.followup.dialog.close()
        c.history_view.chronology_button.click()
        settle(app, lambda: c.window.stack.currentWidget() is c.followup.chronology_view)
        _shot(app, c.window, args.out, "f4-chronology", args.suffix)
        c.show_history(child)
        settle(app)
        c.history_view.rescreen_button.click()
        settle(app, lambda: c.current is not None and c.current.view.carried.isVisible())
        _shot(app, c.window, args.out, "f5-rescreen-carried", args.suffix)
        c.window.close()
    if Options.problems:
        print(f"{len(Options.problems)} layout problem(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
