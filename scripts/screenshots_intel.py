"""Screens of intelligence (the list, one person of concern, the links between children, the
problem profile, the dialogs to add, submit and change items, and a child's page with its
items) on a temporary demo database;
``--check`` reports sideways scrollbars and cut-off text.

    xvfb-run -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python scripts/screenshots_intel.py --out /tmp/shots --check
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots import FAST, make_controller, page_shots, settle

from riskscreen.services.demo import create_demo_database


def main(argv: list[str] | None = None) -> int:
    run = page_shots(__doc__.splitlines()[0], argv)
    app = run.app
    with tempfile.TemporaryDirectory(prefix="riskscreen-intel-") as tmp:
        db = Path(tmp) / "riskscreen.db"
        create_demo_database(db, 40, seed=3, kdf=FAST).close()
        c = make_controller(db, Path(tmp), run.size)
        run.sign_in(c, "ana")
        intel = c.intel
        settle(app, lambda: c.window.stack.currentWidget() is intel.list_view)
        run.shot(c.window, "intel-list")
        person = next((r for r in intel.list_view.model.rows if r.kind == "person"), None)
        if person is not None:
            intel.open(person.id)
            settle(app, lambda: c.window.stack.currentWidget() is intel.item_view)
            run.shot(c.window, "intel-person")
        intel.show_network()
        settle(app, lambda: c.window.stack.currentWidget() is intel.network_view)
        run.shot(c.window, "intel-links")
        intel.show_profile()
        today = date.today()
        intel.profile_view.start.set_date(date(today.year - 2, 1, 1))
        intel.profile_view.show_button.click()
        settle(app, lambda: intel.profile_view.table.rowCount() > 0)
        run.shot(c.window, "intel-profile")
        intel.add(None, "person")
        settle(app, lambda: intel.dialog is not None)
        if intel.dialog is not None:
            run.shot(intel.dialog, "intel-add")
            intel.dialog.close()
            settle(app)
        intel.show_list()
        settle(app, lambda: c.window.stack.currentWidget() is intel.list_view)
        intel.list_view.table.selectAll()
        intel.list_view.submit_button.click()
        settle(app, lambda: intel.dialog is not None)
        if intel.dialog is not None:
            run.shot(intel.dialog, "intel-submit")
            intel.dialog.close()
        c.window.close()
        settle(app)
        # A practitioner: a child's page with its intelligence, and changing an item.
        p = make_controller(db, Path(tmp), run.size)
        run.sign_in(p, "pat")
        session = p.session
        assert session is not None
        mine = next((i for i in session.intel.items() if i.links and i.may_change), None)
        if mine is not None:
            p.show_history(mine.links[0].child_id)
            settle(app, lambda: p.history_view.intel.table.rowCount() > 0)
            run.shot(p.window, "intel-child-page")
            p.intel.open(mine.id)
            settle(app, lambda: p.window.stack.currentWidget() is p.intel.item_view)
            p.intel.item_view.edit_button.click()
            settle(app, lambda: p.intel.dialog is not None)
            if p.intel.dialog is not None:
                run.shot(p.intel.dialog, "intel-edit")
                p.intel.dialog.close()
        p.window.close()
    return run.result()


if __name__ == "__main__":
    sys.exit(main())
