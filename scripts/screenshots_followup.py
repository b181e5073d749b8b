"""Screens of the follow-up work (due list, episode log, RHI dialog, re-screen, chronology)
on a temporary demo database; ``--check`` reports sideways scrollbars and cut-off text.

    xvfb-run -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python scripts/screenshots_followup.py --out /tmp/shots --check
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots import FAST, make_controller, page_shots, settle

from riskscreen.services.demo import create_demo_database


def main(argv: list[str] | None = None) -> int:
    run = page_shots(__doc__.splitlines()[0], argv)
    app = run.app
    with tempfile.TemporaryDirectory(prefix="riskscreen-followup-") as tmp:
        db = Path(tmp) / "demo" / "riskscreen.db"
        create_demo_database(db, 120, kdf=FAST).close()
        c = make_controller(db, Path(tmp), run.size)
        run.sign_in(c, "pat")
        settle(app, lambda: c.home_view.due.items != [])
        run.shot(c.window, "f1-home-due")
        session = c.session
        assert session is not None
        child = next(i.child_id for i in c.home_view.due.items
                     if session.episodes.for_child(i.child_id))
        c.show_history(child)
        settle(app, lambda: c.history_view.episodes.episodes != [])
        run.shot(c.window, "f2-child-episodes")
        c.history_view.episodes.table.selectRow(0)
        c.history_view.episodes.rhi_button.click()
        settle(app, lambda: c.followup.dialog is not None)
        if c.followup.dialog is not None:
            run.shot(c.followup.dialog, "f3-rhi-dialog")
            c.followup.dialog.close()
        c.history_view.chronology_button.click()
        settle(app, lambda: c.window.stack.currentWidget() is c.followup.chronology_view)
        run.shot(c.window, "f4-chronology")
        c.show_history(child)
        settle(app)
        c.history_view.rescreen_button.click()
        settle(app, lambda: c.current is not None and c.current.view.carried.isVisible())
        run.shot(c.window, "f5-rescreen-carried")
        c.window.close()
    return run.result()


if __name__ == "__main__":
    sys.exit(main())
