"""The Qt binding in use keeps Python's reference counts: a long session must not end the
process because a binding lost references to ``None`` on each call."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


def test_qt_calls_that_return_nothing_keep_the_reference_count_of_none(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    label.setText("warm up")
    before = sys.getrefcount(None)
    for _ in range(1000):
        label.setText("v")
        label.setToolTip("v")
    # A binding that loses one reference per call would be 2,000 short here.
    assert sys.getrefcount(None) >= before - 50
