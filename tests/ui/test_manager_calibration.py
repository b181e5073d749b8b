"""The model editor's calibration panel, driven through real widgets: a weight typed into
the editor changes the words and figures against recorded outcomes, which agree with the
engine scoring each child's first screening by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QTableWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from riskscreen.scoring.engine import score
from riskscreen.scoring.model import ScoringModel
from riskscreen.services import Session
from riskscreen.services.demo import add_referral_demo
from riskscreen.services.types import Confirmation
from riskscreen.ui.manager.controller import ManagerController
from riskscreen.ui.worker import wait_for_background

from .conftest import login, make_db, open_manager
from .test_manager import edit_weight, type_note

pytestmark = pytest.mark.gui


@pytest.fixture
def manager(qtbot: QtBot, tmp_path: Path) -> Iterator[ManagerController]:
    session = login(make_db(tmp_path, 120), "mary")
    add_referral_demo(session, seed=3)
    yield open_manager(qtbot, session)
    wait_for_background()
    session.close()


def _high_by_outcome(session: Session, model: ScoringModel) -> tuple[int, int]:
    """(confirmed, not confirmed) children High at their first screening, each screening
    scored on its own by the engine."""
    answers = {sid: a for sid, _, a in session.finalised.answer_sets()}
    with session.engine.connect() as conn:
        child_of = {int(sid): int(child) for sid, child in conn.execute(
            text("SELECT id, child_id FROM screenings"))}
    first: dict[int, tuple[str, int]] = {}
    for sid, a in answers.items():
        key = (a.screening_date.isoformat(), sid)
        if child_of[sid] not in first or key < first[child_of[sid]]:
            first[child_of[sid]] = key
    outcome: dict[int, set[Confirmation]] = {}
    for sid, record in session.referrals.confirmations().items():
        outcome.setdefault(child_of[sid], set()).add(record.answer)
    yes = no = 0
    form = session.instruments.form("cse-screening")
    for child, (_, sid) in first.items():
        found = outcome.get(child, set())
        high = score(form, model, answers[sid]).level == "high"
        if Confirmation.CONFIRMED in found:
            yes += high
        elif Confirmation.NOT_CONFIRMED in found:
            no += high
    return yes, no


def test_the_editor_calibrates_on_the_screenings_it_holds(qtbot: QtBot, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """The outcomes are scored from the screenings the editor holds for the live impact,
    not read a second time, with the figures a fresh read gives."""
    session = login(make_db(tmp_path, 60), "mary")
    add_referral_demo(session, seed=4)
    given: list[object] = []
    cohort = session.evidence.cohort

    def spied(form_id: str, **kwargs: object) -> object:
        given.append(kwargs.get("held"))
        return cohort(form_id, **kwargs)

    monkeypatch.setattr(session.evidence, "cohort", spied)
    try:
        manager = open_manager(qtbot, session)
        qtbot.waitUntil(lambda: manager.calibration_base is not None, timeout=20_000)
        _, published = manager.service.in_force()
        assert given == [manager.live]
        assert manager.live is not None
        monkeypatch.undo()
        assert manager.calibration_base == session.evidence.calibration(published)
    finally:
        wait_for_background()
        session.close()


def test_a_weight_edit_changes_the_calibration_words(qtbot: QtBot,
                                                     manager: ManagerController) -> None:
    manager.window.show()
    panel = manager.window.editor.calibration
    qtbot.waitUntil(lambda: manager.calibration_base is not None, timeout=20_000)
    session = manager.session
    _, published = manager.service.in_force()
    assert manager.calibration_base is not None
    assert manager.calibration_base.level_counts[0][-1], "the demo has confirmed High"
    qtbot.waitUntil(lambda: manager.calibration_change is not None, timeout=20_000)
    assert manager.calibration_change is not None
    assert "no child with a recorded outcome would be at another level" in \
        panel.summary.text()
    type_note(qtbot, manager, "Raise hotels and parties a lot")
    edit_weight(qtbot, manager, "hotels_parties_unknown_addresses", "recent", 40)
    edit_weight(qtbot, manager, "hotels_parties_unknown_addresses", "both", 41)
    assert manager.draft is not None
    draft = manager.service.build(manager.draft.to_data())
    before = _high_by_outcome(session, published)
    after = _high_by_outcome(session, draft)
    assert after != before, "the edit moves children with outcomes to High"
    more_yes, more_no = after[0] - before[0], after[1] - before[1]

    def said() -> bool:
        change = manager.calibration_change
        return change is not None and change.deltas == (more_yes, more_no)

    qtbot.waitUntil(said, timeout=20_000)
    words = panel.summary.text()
    assert words.startswith("With this draft, ")
    assert (f"{more_yes} more confirmed child" if more_yes else
            "the same number of confirmed children") in words
    assert f"{more_no} more not-confirmed child" in words
    assert "would have been High at their first screening" in words
    # The figures before and after, with the draft's changed cells marked.
    table = panel.table
    assert table.isVisibleTo(panel)
    rows = {table.item(r, 0).text(): tuple(table.item(r, c).text() if table.item(r, c)
                                           else "" for c in range(1, 5))
            for r in range(table.rowCount())}
    assert list(rows) == ["Low or above", "Medium or above", "High or above",
                          "AUC (95% interval)"]
    change = manager.calibration_change
    assert change is not None
    auc = rows["AUC (95% interval)"]
    assert (auc[0], auc[2]) == change.auc()
    assert auc[0].startswith("0.")
    assert "\u2013" in auc[0]
    # Sensitivity at High is the share of confirmed children at High, before and after.
    confirmed = change.after.confirmed
    assert confirmed == change.before.confirmed
    shown = [change.before.rates_shown(change.before.thresholds[-1])[0],
             change.after.rates_shown(change.after.thresholds[-1])[0]]
    assert all(v is not None for v in shown), "the demo's groups are large enough to show"
    assert rows["High or above"][:2] == tuple(f"{n / confirmed * 100:.1f}%"
                                              for n in (before[0], after[0]))
    if after[1] != before[1]:
        marked = list(rows).index("High or above")
        assert table.item(marked, 4).background().color().name() == "#ffff00"
    # It describes, never proposes: no weight in the draft changed but the two typed.
    assert manager.draft.to_data()["weights"]["hotels_parties_unknown_addresses"]["recent"] \
        == 40
    assert "No weight is ever proposed here" in panel.limits.text()
    assert "verification bias" in panel.limits.text()


def test_without_outcomes_the_panel_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    session = login(make_db(tmp_path, 20), "mary")
    try:
        controller = open_manager(qtbot, session, show=True)
        panel = controller.window.editor.calibration
        qtbot.waitUntil(lambda: "No outcome is recorded yet" in panel.summary.text(),
                        timeout=20_000)
        assert not panel.table.isVisibleTo(panel)
    finally:
        wait_for_background()
        session.close()


def _fits(table: QTableWidget) -> list[str]:
    """The headers and cells of ``table`` that do not show in full."""
    header = table.horizontalHeader()
    cut = []
    for c in range(table.columnCount()):
        if header.sectionSize(c) < header.sectionSizeFromContents(c).width():
            cut.append(f"header {c}: {table.horizontalHeaderItem(c).text()!r}")
        for r in range(table.rowCount()):
            item = table.item(r, c)
            span = table.columnSpan(r, c)
            room = sum(header.sectionSize(c + k) for k in range(span))
            if item is not None and table.fontMetrics().horizontalAdvance(item.text()) > room:
                cut.append(f"cell {r},{c}: {item.text()!r}")
    return cut


@pytest.mark.parametrize("size", [(1366, 768), (1024, 768), (910, 512)])
def test_the_live_matrix_and_the_calibration_show_in_full(
        qtbot: QtBot, manager: ManagerController, size: tuple[int, int]) -> None:
    """Side by side where both fit (1366 and 1024 pixels wide), as two tabs where they do
    not (1366x768 at a scale factor of 1.5 is 910x512); no level name or figure is cut."""
    window = manager.window
    window.resize(*size)
    window.show()
    qtbot.waitUntil(lambda: manager.live_result is not None
                    and manager.calibration_change is not None, timeout=30_000)
    below = window.editor.below
    qtbot.waitUntil(lambda: below.side_by_side == (size[0] >= 1024), timeout=5000)
    QApplication.processEvents()
    for panel in below.panels:
        if not below.side_by_side:
            below.tabs.setCurrentWidget(panel)
            QApplication.processEvents()
        assert panel.isVisible()
        table = panel.matrix if panel is window.editor.live else panel.table
        # The columns take their widths once the tab's layout has run, a moment after it
        # shows on a busy machine.
        qtbot.waitUntil(lambda table=table: _fits(table) == [], timeout=5000)
    assert [below.tabs.tabText(i) for i in range(below.tabs.count())] == (
        [] if below.side_by_side else ["What this draft changes", "Against recorded outcomes"])
