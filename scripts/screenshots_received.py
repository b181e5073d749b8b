"""Screens of the receiving team's work on referrals that arrived as packages (the list, one
received referral, the decision and outcome dialogs), on two temporary demo databases that
exchange real packages; ``--check`` reports sideways scrollbars and cut-off text.

    xvfb-run -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python scripts/screenshots_received.py --out /tmp/shots --check
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The repository, for the tests' helpers (a package now: they import the conftest's).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QWidget
from screenshots import FAST, make_controller, page_shots, settle

from riskscreen.ui.received import CloseDialog
from tests.exchange_helpers import exchange_pair, finalised, login, make_package

CHILDREN = (("Synthetic Ava Morgan", "943 476 5919"), ("Synthetic Leo Khan", "401 023 2137"),
            ("Synthetic Maja Nowak", "485 777 3456"))


def _received_demo(root: Path) -> Path:
    """The team's database with three received referrals: accepted with an outcome,
    declined, and one waiting for a decision."""
    dbs = exchange_pair(root, FAST, agency_count=4)
    packages = [make_package(dbs, root / f"p{i}.p7m", finalised(dbs["agency"], name, nhs))
                for i, (name, nhs) in enumerate(CHILDREN)]
    with login(dbs["team"], "manager") as s:
        ids = [s.exchange.import_package(p.read_bytes(), "new").received_id for p in packages]
        s.exchange.decide(ids[0], accept=True)
        s.exchange.add_outcome(ids[0], "strategy_discussion", confirmed="not_known",
                               source="strategy_discussion")
        s.exchange.decide(ids[1], accept=False,
                          reason="Already open to the MASH; we have passed it to them.")
    return dbs["team"]


def main(argv: list[str] | None = None) -> int:
    run = page_shots(__doc__.splitlines()[0], argv)
    app = run.app
    with tempfile.TemporaryDirectory(prefix="riskscreen-received-") as tmp:
        db = _received_demo(Path(tmp))
        c = make_controller(db, Path(tmp), run.size)
        run.sign_in(c, "manager")
        received = c.received
        c.window.received_action.trigger()
        settle(app, lambda: c.window.stack.currentWidget() is received.list_view)
        run.shot(c.window, "exchange-received-list")
        first = received.list_view.model.rows[-1]
        received.open(first.id)
        settle(app, lambda: received.view.received is not None)
        run.shot(c.window, "exchange-received-referral")
        received.view.scroll_area.verticalScrollBar().setValue(
            received.view.scroll_area.verticalScrollBar().maximum())
        run.shot(c.window, "exchange-received-answers")
        received.view.outcome_button.click()
        settle(app, lambda: received.dialog is not None)
        if received.dialog is not None:
            run.shot(received.dialog, "exchange-received-outcome")
            received.dialog.reject()
        waiting = received.list_view.model.rows[0]
        received.open(waiting.id)
        settle(app, lambda: received.view.received is not None
               and received.view.received.id == waiting.id)
        received.view.decide_button.click()
        settle(app, lambda: received.dialog is not None)
        if received.dialog is not None:
            received.dialog.findChild(QWidget, "decideDecline").click()  # type: ignore[union-attr]
            run.shot(received.dialog, "exchange-received-decide")
            received.dialog.reject()
        # Closing the referral that has its outcome: the dialog, then the page as it stands.
        received.open(first.id)
        settle(app, lambda: received.view.received is not None
               and received.view.received.id == first.id)
        received.view.close_button.click()
        settle(app, lambda: received.dialog is not None)
        dialog = received.dialog
        if isinstance(dialog, CloseDialog):
            dialog.reason.setPlainText("The strategy discussion agreed a plan; the case is held "
                                       "by children's social care.")
            run.shot(dialog, "exchange-received-close")
            dialog.ok_button.click()
            settle(app, lambda: received.dialog is None)
            run.shot(c.window, "exchange-received-closed")
        c.window.close()
    return run.result()


if __name__ == "__main__":
    sys.exit(main())
