"""The manager's Pathway report tab: built off the GUI thread, shown suppressed, exported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from riskscreen.services.demo import add_referral_demo
from riskscreen.ui.manager.controller import ManagerController
from riskscreen.ui.worker import wait_for_background

from .test_manager import login, make_db

pytestmark = pytest.mark.gui


@pytest.fixture
def manager(qtbot: QtBot, tmp_path: Path) -> Iterator[ManagerController]:
    db = make_db(tmp_path)
    session = login(db, "mary")
    add_referral_demo(session, seed=3)
    controller = ManagerController(session)
    qtbot.addWidget(controller.window)
    controller.start()
    yield controller
    wait_for_background()
    session.close()


def test_pathway_tab_builds_shows_and_exports(qtbot: QtBot, manager: ManagerController,
                                              tmp_path: Path) -> None:
    from riskscreen.ui.manager.reports import attach_reports

    attach_reports(manager)
    tabs = manager.window.tabs
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    assert titles[-2:] == ["Reports", "Pathway report"]
    pathway = manager.pathway_reports  # type: ignore[attr-defined]
    view = pathway.view
    with qtbot.waitSignal(pathway.built, timeout=20_000):
        qtbot.mouseClick(view.build_button, Qt.MouseButton.LeftButton)
    report = pathway.report
    assert report is not None
    assert view.summary.text().startswith(f"Referral records: {report.total}.")
    titles = [view.tables.item(i).text() for i in range(view.tables.count())]
    assert "Time to decision against the deadline" in titles
    view.tables.setCurrentRow(titles.index("Referrals by decision"))
    shown = [view.table.item(r, 1).text() for r in range(view.table.rowCount())]
    assert shown == [n for _, n in report.table("Referrals by decision").shown()]
    csv_path = pathway.export("csv", tmp_path / "p.csv")
    assert csv_path is not None
    assert "Referrals by decision,referred: accepted," in csv_path.read_text(encoding="utf-8")
    pdf_path = pathway.export("pdf", tmp_path / "p.pdf")
    assert pdf_path is not None
    assert pdf_path.read_bytes().startswith(b"%PDF")
