"""Background operations over a session that ends while they run (RiskScreen locks): a read
ends without a word, since the unlock screen is showing and what it read is not wanted; a
change still says it was not made."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from riskscreen.services.errors import SessionClosed
from riskscreen.ui.operations import ChangeOp, QueryOp

from .conftest import login, make_db

pytestmark = pytest.mark.gui


def test_a_read_of_an_ended_session_says_nothing_and_a_change_says_it_was_not_made(
        qtbot: QtBot, tmp_path: Path) -> None:
    session = login(make_db(tmp_path, 0), "mary")
    session.close()  # as locking does, while the operations below were on their way
    with pytest.raises(SessionClosed):
        session.reviews.due()
    shown: list[str] = []
    ends: list[bool] = []
    QueryOp(session.reviews.due, show=shown.append, what="due list") \
        .busy(ends.append).run_in_background()
    qtbot.waitUntil(lambda: ends == [True, False], timeout=60_000)
    assert shown == []
    ChangeOp(lambda: session.children.create("Late Child", "2012-01-01"), show=shown.append,
             what="child").busy(ends.append).run_in_background()
    qtbot.waitUntil(lambda: ends == [True, False, True, False], timeout=60_000)
    assert shown == ["this session has been closed; unlock again"]
