"""Save a PNG of each main screen of the app to docs/images/ (offscreen, demo data only).

    .venv/bin/python scripts/screenshots.py [--out docs/images] [--size 1366x768]
        [--scale 1.5] [--suffix -1024x768] [--main-only] [--check]

Everything shown is synthetic: a fresh demo database (``riskscreen demo``'s generator) is made
in a temporary folder and deleted afterwards. ``--size`` is the screen in physical pixels and
``--scale`` the Qt scale factor (``QT_SCALE_FACTOR``); the window fills that screen, so a
clipped label or a layout that breaks at that size shows up in the pictures. ``--check``
reports sideways scrollbars, cut-off text and anything outside the window, and fails if it
finds any; run it in a real X server too::

    xvfb-run -s "-screen 0 1024x768x24" env QT_QPA_PLATFORM=xcb \
        .venv/bin/python scripts/screenshots.py --size 1024x768 --check --out /tmp/shots
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QRect, QSettings, Qt, QThread
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QLabel,
    QScrollArea,
    QTableView,
    QTreeView,
    QWidget,
)

from riskscreen.crypto.keys import KdfParams
from riskscreen.services import ScreeningQuery, Session
from riskscreen.services.demo import DEMO_ACCOUNTS, create_demo_database
from riskscreen.services.errors import ServiceError, StepDownReasonNeeded
from riskscreen.ui.app import apply_style, configure_application
from riskscreen.ui.controller import AppController
from riskscreen.ui.worker import wait_for_background

# Cheap Argon2 settings for throw-away demo databases (below the minimum a real key file
# must meet, so they are allowed only with this variable set).
os.environ["RISKSCREEN_TEST_CHEAP_KDF"] = "1"
FAST = KdfParams(memory_cost=1024, iterations=1, lanes=1, salt=b"0" * 16)
ROOT = Path(__file__).resolve().parent.parent


def settle(app: QApplication, until: Callable[[], bool] | None = None,
           rounds: int = 400) -> None:
    """Let Qt lay out, paint and deliver background results."""
    for _ in range(rounds):
        wait_for_background(50)
        app.processEvents()
        if until is not None and until():
            break
        QThread.msleep(20)  # let timers (typing pauses, searches) come due
    app.processEvents()


#: The screens taken at every size; the rest only at the default size (``--main-only``).
MAIN_SCREENS = frozenset({"04-unlock", "06-home", "09-questionnaire-live-score",
                          "10-review-and-finalise", "12-referral-preview", "13-child-history"})


class Options:
    """What every shot shares: the file-name suffix, which shots, and whether to check."""

    suffix: ClassVar[str] = ""
    main_only: ClassVar[bool] = False
    check: ClassVar[bool] = False
    problems: ClassVar[list[str]] = []


def layout_problems(window: QWidget) -> list[str]:
    """Sideways scrollbars, text cut short and widgets outside the window, in words."""
    found: list[str] = []
    bounds = window.rect()
    for area in window.findChildren(QAbstractScrollArea):
        # A table of many columns may scroll sideways on a small screen, as any table does;
        # a form, a list or a page of text may not.
        if (area.isVisible() and area.horizontalScrollBar().isVisible()
                and not isinstance(area, (QTableView, QTreeView))):
            found.append(f"sideways scrollbar in {type(area).__name__} "
                         f"{area.accessibleName() or area.objectName()!r}")
    for area in window.findChildren(QScrollArea):
        inner = area.widget()
        if not area.isVisible() or inner is None:
            continue
        viewport = area.viewport()
        for widget in inner.findChildren(QWidget):
            if isinstance(widget, (QLabel, QAbstractButton)) and widget.isVisible():
                right = widget.mapTo(viewport, QPoint(widget.width(), 0)).x()
                if right > viewport.width() + 1:
                    found.append(f"cut off at the right of {area.accessibleName()!r}: "
                                 f"{type(widget).__name__} {_text(widget)!r}")
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not window:
            continue
        where = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        if isinstance(widget, (QLabel, QAbstractButton)) and not bounds.contains(where):
            clipped_by_scroll = any(isinstance(p, QAbstractScrollArea) for p in _parents(widget))
            if not clipped_by_scroll:
                found.append(f"outside the window: {type(widget).__name__} "
                             f"{_text(widget)!r}")
        short = (isinstance(widget, QAbstractButton) and not widget.hasHeightForWidth()
                 and widget.text()) or (isinstance(widget, QLabel) and not widget.wordWrap()
                                        and widget.pixmap().isNull() and widget.text())
        if short and widget.width() + 1 < widget.sizeHint().width():
            found.append(f"text cut short: {type(widget).__name__} {_text(widget)!r} "
                         f"({widget.width()} of {widget.sizeHint().width()} px)")
    return found


def _parents(widget: QWidget) -> list[QWidget]:
    out: list[QWidget] = []
    parent = widget.parentWidget()
    while parent is not None:
        out.append(parent)
        parent = parent.parentWidget()
    return out


def _text(widget: QWidget) -> str:
    text = getattr(widget, "text", lambda: "")()
    return str(text)[:50]


def shoot(app: QApplication, controller: AppController, out: Path, name: str) -> Path | None:
    """Grab the whole window (and check its layout, with ``--check``)."""
    settle(app, rounds=5)
    if Options.check:
        for problem in layout_problems(controller.window):
            Options.problems.append(f"{name}: {problem}")
            print(f"PROBLEM {name}: {problem}")
    if Options.main_only and name not in MAIN_SCREENS:
        return None
    path = out / f"{name}{Options.suffix}.png"
    controller.window.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def add_history(session: Session, screening_id: int) -> int:
    """Two later screenings of the same child (synthetic), so the history shows a trend."""
    detail = session.screenings.open(screening_id)
    first = detail.row.screening_date
    changes = [{"older_associates": "older", "found_in_exploitative_situation": "older",
                "sexual_activity_in_exchange": "older"},
               {"older_associates": "none", "found_in_exploitative_situation": "none",
                "sexual_activity_in_exchange": "none", "picked_up_by_unknown_adults": "none",
                "missing_episodes_3_months": 0}]
    for weeks, change in zip((-20, -8), changes, strict=True):
        new = session.screenings.start(detail.row.child_id,
                                       screening_date=first + timedelta(weeks=weeks))
        for qid, answer in detail.answers.items():
            try:
                session.screenings.save_answer(new, qid, change.get(qid, answer.value),
                                               answer.evidence if qid not in change else None)
            except ServiceError:
                continue  # only valid on the later date (say, the date of an earlier screening)
        try:
            session.screenings.finalise(new)
        except StepDownReasonNeeded:
            session.screenings.finalise(new, step_down_reason=(
                "No contact with the older associates since the family moved; the youth "
                "worker sees the child weekly."))
    return detail.row.child_id


def make_controller(db: Path, settings_dir: Path, size: tuple[int, int]) -> AppController:
    settings = QSettings(str(settings_dir / f"{db.stem}.ini"), QSettings.Format.IniFormat)
    controller = AppController(db, settings=settings, kdf=FAST, auto_backups=False)
    controller.window.setWindowState(Qt.WindowState.WindowNoState)
    controller.window.resize(*size)
    controller.window.show()
    return controller


def logical_size(physical: str, scale: float) -> tuple[int, int]:
    """The window size in logical pixels for a screen of ``physical`` pixels at ``scale``;
    sets the scale factor for the application about to be created."""
    if scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = f"{scale:g}"
    width, height = (int(v) for v in physical.lower().split("x"))
    return int(width / scale), int(height / scale)


@dataclass
class PageShots:
    """One run of a page script (``screenshots_followup.py`` and the like): the application,
    where the pictures go, the window size and the file-name suffix."""

    app: QApplication
    out: Path
    size: tuple[int, int]
    suffix: str

    def shot(self, widget: QWidget, name: str) -> Path:
        """Grab ``widget`` (a window or a dialog) once it has settled, checking its layout
        with ``--check``."""
        settle(self.app, rounds=8)
        if Options.check:
            for problem in layout_problems(widget):
                Options.problems.append(f"{name}: {problem}")
                print(f"PROBLEM {name}: {problem}")
        path = self.out / f"{name}{self.suffix}.png"
        widget.grab().save(str(path))
        print(f"wrote {path}")
        return path

    def sign_in(self, controller: AppController, account: str) -> None:
        """Sign in to a demo database through the unlock page as one of its accounts."""
        controller.start()
        controller.unlock_view.name.setText(account)
        controller.unlock_view.passphrase.setText(DEMO_ACCOUNTS[account][1])
        controller.unlock_view.button.click()
        settle(self.app, lambda: controller.session is not None)

    @staticmethod
    def result() -> int:
        """The exit status: 1 when ``--check`` found layout problems."""
        if Options.problems:
            print(f"{len(Options.problems)} layout problem(s)")
            return 1
        return 0


def page_shots(description: str, argv: list[str] | None) -> PageShots:
    """Read a page script's options (``--out --size --scale --suffix --check``) and start the
    styled application at that size and scale."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=Path("/tmp/shots"))
    parser.add_argument("--size", default="1366x768",
                        help="screen size in physical pixels, WIDTHxHEIGHT")
    parser.add_argument("--scale", type=float, default=1.0, help="Qt scale factor")
    parser.add_argument("--suffix", default="", help="added to each file name")
    parser.add_argument("--check", action="store_true", help="report layout problems")
    args = parser.parse_args(argv)
    size = logical_size(args.size, args.scale)
    Options.check = args.check
    args.out.mkdir(parents=True, exist_ok=True)
    configure_application()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    apply_style(app)
    return PageShots(app, args.out, size, args.suffix)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--size", default="1366x768",
                        help="screen size in physical pixels, WIDTHxHEIGHT")
    parser.add_argument("--scale", type=float, default=1.0, help="Qt scale factor")
    parser.add_argument("--count", type=int, default=400, help="synthetic screenings")
    parser.add_argument("--suffix", default="", help="added to each file name")
    parser.add_argument("--main-only", action="store_true",
                        help="save only the main screens (every screen is still checked)")
    parser.add_argument("--check", action="store_true", help="report layout problems")
    args = parser.parse_args(argv)
    size = logical_size(args.size, args.scale)
    Options.suffix, Options.main_only, Options.check = args.suffix, args.main_only, args.check
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    configure_application()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    apply_style(app)

    with tempfile.TemporaryDirectory(prefix="riskscreen-shots-") as tmp:
        folder = Path(tmp)

        # 1. First start: the set-up assistant, up to the recovery key.
        fresh = make_controller(folder / "fresh" / "riskscreen.db", folder, size)
        fresh.start()
        setup = fresh.setup_view
        assert setup is not None
        shoot(app, fresh, out, "01-setup-welcome")
        setup.next_button.click()
        setup.admin.name.setText("admin")
        setup.admin.display_name.setText("Alex Administrator")
        setup.admin.passphrase.setText("an example passphrase")
        setup.admin.repeat.setText("an example passphrase")
        setup.next_button.click()
        setup.practitioner.name.setText("jsmith")
        setup.practitioner.display_name.setText("Jo Smith")
        setup.practitioner.passphrase.setText("another example passphrase")
        setup.practitioner.repeat.setText("another example passphrase")
        shoot(app, fresh, out, "02-setup-accounts")
        setup.next_button.click()
        settle(app, lambda: setup.step() == 3)
        shoot(app, fresh, out, "03-setup-recovery-key")
        fresh.window.close()

        # 2. The demo database, signed in as a practitioner.
        db = folder / "demo" / "riskscreen.db"
        create_demo_database(db, args.count, seed=7, kdf=FAST).close()
        controller = make_controller(db, folder, size)
        controller.start()
        controller.unlock_view.name.setText("pat")
        shoot(app, controller, out, "04-unlock")
        controller.unlock_view.passphrase.setText("not the passphrase")
        controller.unlock_view.button.click()
        settle(app, lambda: controller.unlock_view.button.isEnabled())
        shoot(app, controller, out, "05-unlock-wrong-passphrase")
        controller.unlock_view.passphrase.setText(DEMO_ACCOUNTS["pat"][1])
        controller.unlock_view.button.click()
        settle(app, lambda: controller.session is not None)
        assert controller.session is not None
        shoot(app, controller, out, "06-home")

        # 3. A new screening: the child search and duplicate check, then the questionnaire.
        controller.home_view.new_button.click()
        session = controller.session
        someone = session.screenings.find().items[0]
        controller.new_view.search.setText(someone.child_name.split()[0])
        controller.new_view.name.setText(someone.child_name.split()[0] + " Example")
        settle(app, lambda: controller.new_view.results.count() > 0
               and bool(controller.new_view.duplicates.text()))
        shoot(app, controller, out, "07-new-screening")
        controller.new_view.name.setText("Robin Example")
        controller.new_view.dob.line.setText("14/06/2011")
        controller.new_view.create_button.click()
        settle(app, lambda: controller.current is not None)  # made off the GUI thread
        current = controller.current
        assert current is not None
        questionnaire = current.view.questionnaire
        for qid, value in {"gender": "not_known", "practitioner_agency": "education",
                           "screening_reason": "missing_episode",
                           "family_aware_of_referral": "no"}.items():
            editor = questionnaire.blocks[qid].editor
            editor.set_value(value)
            editor.value_changed.emit(value)
        questionnaire.show_question("family_not_told_reason")
        questionnaire.show_section(0)
        shoot(app, controller, out, "08-questionnaire")
        for qid, value in {"older_associates": "recent", "picked_up_by_unknown_adults": "both",
                           "gifts_money_unknown_sources": "not_known"}.items():
            editor = questionnaire.blocks[qid].editor
            editor.set_value(value)
            editor.value_changed.emit(value)
        evidence = questionnaire.blocks["older_associates"].evidence
        assert evidence is not None
        evidence.set_value({"basis": "reported", "details": "Seen by a youth worker with two "
                            "adults in their twenties outside the youth club.",
                            "source": "Youth service"})
        questionnaire.show_question("older_associates")
        shoot(app, controller, out, "09-questionnaire-live-score")
        current.view.finalise_button.click()
        review = controller.finalise_view
        review.other.setChecked(True)
        shoot(app, controller, out, "10-review-and-finalise")

        # 4. A finalised screening, its referral and the child's history.
        controller.home_view.status.setCurrentIndex(controller.home_view.status.findData("final"))
        controller.window.home_action.trigger()
        final = session.screenings.find(
            ScreeningQuery(status="final", level="high", limit=1)).items[0]
        controller.open_screening(final.id)
        shoot(app, controller, out, "11-finalised-screening")
        controller.show_referral()
        settle(app, lambda: bool(controller.referral_view.images))
        shoot(app, controller, out, "12-referral-preview")
        child = add_history(session, final.id)
        controller.show_history(child)
        shoot(app, controller, out, "13-child-history")
        controller.lock()
        shoot(app, controller, out, "14-locked")
        controller.window.close()
        settle(app, rounds=5)
    if Options.problems:
        print(f"{len(Options.problems)} layout problem(s) found")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
