"""Python's cycle collector never runs in a worker thread once the application is up."""

from __future__ import annotations

import gc
import sys
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


def test_a_full_collection_waits_for_the_heap_to_grow(qtbot: QtBot) -> None:
    """As Python's own collector does: a full pass over every object alive only once the
    heap has grown by a quarter since the last, never just because its count came round."""
    collector = install_main_thread_collector()
    generations: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            generations.append(info["generation"])

    def churn() -> None:
        for _ in range(300):
            for _ in range(collector.threshold[0] + 100):
                cycle: list[object] = []
                cycle.append(cycle)
            collector.collect_due()

    collector.timer.stop()
    gc.callbacks.append(note)
    try:
        gc.collect()
        generations.clear()
        churn()  # two full collections were due by the counts alone
        assert 1 in generations
        assert 2 not in generations
        kept = [[i] for i in range(sys.getallocatedblocks() // 2)]
        churn()
        assert 2 in generations
        del kept
    finally:
        gc.callbacks.remove(note)
        collector.timer.start()
