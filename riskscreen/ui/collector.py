"""Python's cycle collector, run on the GUI thread only.

A collection can start in whichever thread happens to allocate. Started in a worker, it may
destroy Qt objects there (a widget left in a reference cycle), and Qt crashes. So automatic
collection is switched off and a timer on the GUI thread collects instead, generation by
generation, with Python's own thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

__all__ = ["MainThreadCollector", "install_main_thread_collector"]

#: How often the GUI thread looks at the allocation counts.
INTERVAL_MS = 250


class MainThreadCollector(QObject):
    """Collects reference cycles from a GUI-thread timer instead of at any allocation."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()

    def collect_due(self) -> int:
        """Collect the generations whose counts passed their thresholds; return what was freed."""
        first, second, third = gc.get_count()
        if first <= self.threshold[0]:
            return 0
        generation = 0
        if second > self.threshold[1]:
            generation = 2 if third > self.threshold[2] else 1
        return gc.collect(generation)


def install_main_thread_collector() -> MainThreadCollector:
    """Install the collector once on the running application (later calls return it)."""
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("create the QApplication before installing the collector")
    existing = app.findChild(MainThreadCollector)
    if isinstance(existing, MainThreadCollector):
        return existing
    return MainThreadCollector(app)
