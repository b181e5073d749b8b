"""Python's cycle collector never runs in a worker thread once the application is up."""

from __future__ import annotations

import gc
import threading
from typing import Any

from pytestqt.qtbot import QtBot

from riskscreen.ui.collector import install_main_thread_collector


def test_cycles_are_collected_on_the_gui_thread_only(qtbot: QtBot) -> None:
    install_main_thread_collector()
    started: list[threading.Thread] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(threading.current_thread())

    def churn() -> None:
        for _ in range(50_000):
            cycle: list[object] = []
            cycle.append(cycle)

    gc.callbacks.append(note)
    try:
        worker = threading.Thread(target=churn)
        worker.start()
        worker.join()
        assert started == []  # a worker allocating far past the threshold did not collect
        qtbot.waitUntil(lambda: bool(started), timeout=5_000)
        assert all(thread is threading.main_thread() for thread in started)
    finally:
        gc.callbacks.remove(note)


def test_installing_twice_keeps_one_collector(qtbot: QtBot) -> None:
    assert install_main_thread_collector() is install_main_thread_collector()
    assert not gc.isenabled()
