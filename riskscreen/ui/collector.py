"""Python's cycle collector, run on the GUI thread only.

A collection can start in whichever thread happens to allocate. Started in a worker, it may
destroy Qt objects there (a widget left in a reference cycle), and Qt crashes. So automatic
collection is switched off and a timer on the GUI thread collects instead, generation by
generation, with Python's own thresholds.

Python also skips a full collection while the heap has grown by less than a quarter since
the last one (a full pass walks every object alive, 40 ms or more over the application's
half a million, and blocks the window meanwhile); :meth:`MainThreadCollector.collect_due`
keeps that rule, judged by the memory blocks in use.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer

__all__ = ["MainThreadCollector", "collect_fully_soon", "install_main_thread_collector"]

#: How often the GUI thread looks at the allocation counts.
INTERVAL_MS = 250
#: A full collection waits until the heap is this much larger than after the last one.
FULL_GROWTH = 0.25


class MainThreadCollector(QObject):
    """Collects reference cycles from a GUI-thread timer instead of at any allocation."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        #: Memory blocks in use after the last full collection (anyone's, see _on_collected).
        self.blocks_after_full = sys.getallocatedblocks()
        gc.callbacks.append(self._on_collected)
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()

    def _on_collected(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] == 2:
            self.blocks_after_full = sys.getallocatedblocks()

    def full_is_worth_it(self) -> bool:
        """Whether the heap grew enough since the last full collection for another."""
        grown = sys.getallocatedblocks() - self.blocks_after_full
        return grown >= FULL_GROWTH * self.blocks_after_full

    def collect_due(self) -> int:
        """Collect the generations whose counts passed their thresholds; return what was freed."""
        first, second, third = gc.get_count()
        if first <= self.threshold[0]:
            return 0
        generation = 0
        if second > self.threshold[1]:
            generation = 2 if third > self.threshold[2] and self.full_is_worth_it() else 1
        return gc.collect(generation)


def install_main_thread_collector() -> MainThreadCollector:
    """Install the collector once on the running application (later calls return it, with
    automatic collection switched off again should anything have switched it on)."""
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("create the QApplication before installing the collector")
    existing = app.findChild(MainThreadCollector)
    if isinstance(existing, MainThreadCollector):
        gc.disable()
        return existing
    return MainThreadCollector(app)


def collect_fully_soon() -> None:
    """Let the installed collector's next full collection come whatever the heap's growth:
    objects just unfrozen (:func:`gc.unfreeze`) may be garbage only a full pass finds."""
    app = QCoreApplication.instance()
    existing = app.findChild(MainThreadCollector) if app is not None else None
    if isinstance(existing, MainThreadCollector):
        existing.blocks_after_full = 0
