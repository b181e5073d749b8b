"""Screens of the receiving team's work on referrals that arrived as packages (the list, one
received referral, the decision and outcome dialogs), on two temporary demo databases that
exchange real packages; ``--check`` reports sideways scrollbars and cut-off text.

    xvfb-run -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python scripts/screenshots_received.py --out /tmp/shots --check
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from exchange_helpers import exchange_pair, finalised, login, make_package
from PySide6.QtWidgets import QApplication, QWidget
from screenshots import FAST, Options, layout_problems, logical_size, make_controller, settle

from riskscreen.services.demo import DEMO_ACCOUNTS
from riskscreen.ui.app import apply_style, configure_application

CHILDREN = (("Synthetic Ava Morgan", "943 476 5919"), ("Synthetic Leo Khan", "401 023 2137"),
            ("Synthetic Maja Nowak", "485 777 3456"))


def _shot(app: QApplication, widget: QWidget, out: Path, name: str, suffix: str) -> None:
    settle(app, rounds=8)
    if Options.check:
        for problem in layout_problems(widget):
            Options.problems.append(f"{name}: {problem}")
            print(f"PROBLEM {name}: {problem}")
    path = out / f"{name}{suffix}.png"
    widget.grab().save(str(path))
    print(f"wrote {path}")


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
    with tempfile.TemporaryDirectory(prefix="riskscreen-received-") as tmp:
        db = _received_demo(Path(tmp))
        c = make_controller(db, Path(tmp), size)
        c.start()
        c.unlock_view.name.setText("manager")
        c.unlock_view.passphrase.setText(DEMO_ACCOUNTS["manager"][1])
        c.unlock_view.button.click()
        settle(app, lambda: c.session is not None)
        received = c.received
        c.window.received_action.trigger()
        settle(app, lambda: c.window.stack.currentWidget() is received.list_view)
        _shot(app, c.window, args.out, "exchange-received-list", args.suffix)
        first = received.list_view.model.rows[-1]
        received.open(first.id)
        settle(app, lambda: received.view.received is not None)
        _shot(app, c.window, args.out, "exchange-received-referral", args.suffix)
        received.view.scroll_area.verticalScrollBar().setValue(
            received.view.scroll_area.verticalScrollBar().maximum())
        _shot(app, c.window, args.out, "exchange-received-answers", args.suffix)
        received.view.outcome_button.click()
        settle(app, lambda: received.dialog is not None)
        if received.dialog is not None:
            _shot(app, received.dialog, args.out, "exchange-received-outcome", args.suffix)
            received.dialog.reject()
        waiting = received.list_view.model.rows[0]
        received.open(waiting.id)
        settle(app, lambda: received.view.received is not None
               and received.view.received.id == waiting.id)
        received.view.decide_button.click()
        settle(app, lambda: received.dialog is not None)
        if received.dialog is not None:
            received.dialog.findChild(QWidget, "decideDecline").click()  # type: ignore[union-attr]
            _shot(app, received.dialog, args.out, "exchange-received-decide", args.suffix)
            received.dialog.reject()
        c.window.close()
    if Options.problems:
        print(f"{len(Options.problems)} layout problem(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
