"""The screenings list fetches its pages off the GUI thread: the window stays usable while a
slow query runs, the list says it is loading, a newer search supersedes an older one (whose
result never replaces it), and the highlighted screening and the typing cursor stay put.

The pages come from a real encrypted database; a gate in front of its query holds each page
back until the test lets it through, as a slow query on a busy computer would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from riskscreen.services import Session
from riskscreen.services.types import Page, ScreeningQuery
from riskscreen.ui.home import HomeView, LevelStyle, ScreeningListModel
from riskscreen.ui.worker import wait_for_background

from .conftest import login, make_db

pytestmark = pytest.mark.gui

LEVELS = {"high": LevelStyle("High", "#c62828")}


class GatedPages:
    """The session's page query, each call held until :meth:`release` lets one through."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.asked: list[ScreeningQuery] = []
        self.done: list[ScreeningQuery] = []
        self._gate = threading.Semaphore(0)

    def __call__(self, query: ScreeningQuery) -> Page:
        self.asked.append(query)
        # Bounded, so that a list fetching on the GUI thread fails the test instead of
        # hanging it.
        self._gate.acquire(timeout=5)
        page = self.session.screenings.find(query)
        self.done.append(query)
        return page

    def release(self, n: int = 1) -> None:
        for _ in range(n):
            self._gate.release()


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    found = login(make_db(tmp_path), "mary")
    yield found
    wait_for_background()
    found.close()


def home(qtbot: QtBot, pages: GatedPages) -> tuple[HomeView, ScreeningListModel]:
    """The list page wired as the application wires it, shown at 1366x768."""
    view = HomeView()
    qtbot.addWidget(view)
    model = ScreeningListModel(pages, LEVELS, view)
    view.set_model(model)
    view.query_changed.connect(model.set_query)
    view.resize(1366, 700)
    view.show()
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view, timeout=5000)
    return view, model


def test_a_slow_page_query_leaves_the_window_usable_and_says_it_is_loading(
        qtbot: QtBot, session: Session) -> None:
    pages = GatedPages(session)
    view, model = home(qtbot, pages)
    model.set_query(view.current_query())
    # Back at once, before the query could run: the list says it is loading.
    assert view.loading
    assert view.count.text() == "Loading…"
    assert view.placeholder.isVisible()
    assert view.placeholder.text() == "Loading the screenings…"
    # The event loop runs meanwhile: typing reaches the search field.
    view.search.setFocus()
    qtbot.keyClicks(view.search, "Syn")
    assert view.search.text() == "Syn"
    qtbot.keyClicks(view.search, "\b\b\b")
    assert view.search.text() == ""
    pages.release()
    qtbot.waitUntil(lambda: not view.loading, timeout=20_000)
    total = session.screenings.find(ScreeningQuery()).total
    assert model.total == total
    assert model.rowCount() == min(total, 200)
    assert view.count.text() == f"{total:,} screenings"
    assert not view.placeholder.isVisible()


def test_a_newer_search_supersedes_an_older_one_whose_result_is_never_shown(
        qtbot: QtBot, session: Session) -> None:
    pages = GatedPages(session)
    view, model = home(qtbot, pages)
    model.set_query(view.current_query())
    pages.release()
    qtbot.waitUntil(lambda: not view.loading, timeout=20_000)
    first = model.rows[0]
    word = first.child_name.split()[0]
    resets: list[list[str]] = []
    model.modelReset.connect(lambda: resets.append([r.child_name for r in model.rows]))

    # Typed in three bursts, each after the pause that starts a search: the first search
    # runs, the second is superseded by the third before it could start.
    view.search.setFocus()
    for typed in (word[:1], word[1:2], word[2:]):
        with qtbot.waitSignal(view.query_changed, timeout=5000):  # after the typing pause
            qtbot.keyClicks(view.search, typed)
    assert view.loading
    assert [q.search for q in pages.asked[1:]] == [word[:1]]
    pages.release()  # the first search's result arrives: stale, dropped; the newest starts
    qtbot.waitUntil(lambda: len(pages.asked) == 3, timeout=20_000)
    assert pages.asked[-1].search == word
    assert view.loading
    assert resets == [], "a superseded result never replaced the rows shown"
    pages.release()
    qtbot.waitUntil(lambda: not view.loading, timeout=20_000)
    expected = session.screenings.find(ScreeningQuery(search=word, drafts_first=True))
    assert resets == [[r.child_name for r in expected.items]]
    assert view.search.hasFocus(), "the typing cursor stayed in the search"
    assert view.search.text() == word


def test_the_highlighted_screening_stays_highlighted_when_the_list_is_refilled(
        qtbot: QtBot, session: Session) -> None:
    pages = GatedPages(session)
    view, model = home(qtbot, pages)
    model.set_query(view.current_query())
    pages.release()
    qtbot.waitUntil(lambda: not view.loading, timeout=20_000)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    chosen = view.selected()
    assert chosen is not None
    model.refresh()
    assert view.selected() == chosen, "kept while the new rows load"
    pages.release()
    qtbot.waitUntil(lambda: not view.loading, timeout=20_000)
    again = view.selected()
    assert again is not None
    assert again.id == chosen.id
    assert view.table.hasFocus()
