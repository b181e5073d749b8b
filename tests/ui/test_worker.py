"""The background helper stays quiet and safe when nobody can take a task's outcome any more:
its receiver was deleted first, or the application quits while the task still runs."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from riskscreen.ui.operations import QueryOp
from riskscreen.ui.worker import pending_outcomes, run_in_background, wait_for_background


def _settle(qtbot: QtBot) -> None:
    """Let the work end and its queued outcome arrive (or not) on the GUI thread."""
    assert wait_for_background()
    qtbot.wait(50)


def _end_after_deleting(qtbot: QtBot,
                        start: Callable[[QLabel, Callable[[], object]], object]) -> None:
    """Start work for a label, delete the label, then let the work end."""
    gate = threading.Event()
    label = QLabel("waiting")
    start(label, lambda: gate.wait(10) and "done")
    shiboken6.delete(label)
    gate.set()
    _settle(qtbot)


def test_a_task_ending_after_its_receiver_was_deleted_says_nothing(
        qtbot: QtBot, capfd: pytest.CaptureFixture[str]) -> None:
    errors: list[BaseException] = []
    _end_after_deleting(qtbot, lambda label, work: run_in_background(
        work, label.setText, errors.append))
    assert errors == []
    assert capfd.readouterr().err == ""


def test_an_operation_whose_view_was_deleted_drops_its_outcome(
        qtbot: QtBot, capfd: pytest.CaptureFixture[str]) -> None:
    got: list[object] = []
    _end_after_deleting(qtbot, lambda label, work: QueryOp(work, show=label.setText)
                        .success(got.append).run_in_background())
    assert got == []
    assert capfd.readouterr().err == ""


def test_a_task_whose_relay_went_first_says_nothing(
        qtbot: QtBot, capfd: pytest.CaptureFixture[str]) -> None:
    """What happens at exit, when Qt deletes the objects before the work ends."""
    gate = threading.Event()
    got: list[object] = []
    task = run_in_background(lambda: gate.wait(10) and "done", got.append, got.append)
    shiboken6.delete(task.relay)
    gate.set()
    _settle(qtbot)
    assert got == []
    err = capfd.readouterr().err
    assert "Signal source has been deleted" not in err
    assert "Error calling Python override" not in err


def test_a_task_that_can_no_longer_report_is_not_pending(qtbot: QtBot) -> None:
    """Closed tool windows are deleted once nothing is pending: a task whose relay went
    first, or whose outcome was dropped, must not hold that off for ever."""
    gates = [threading.Event(), threading.Event()]
    before = pending_outcomes()
    lost = run_in_background(lambda: gates[0].wait(10), print, print)
    dropped = run_in_background(lambda: gates[1].wait(10), print, print)
    assert pending_outcomes() == before + 2
    shiboken6.delete(lost.relay)
    dropped.drop()
    assert pending_outcomes() == before
    for gate in gates:
        gate.set()
    _settle(qtbot)
    assert pending_outcomes() == before


class _Holder:
    """Stands for what a task's work and callbacks refer to (a session, a controller)."""

    def __init__(self) -> None:
        self.got: list[object] = []

    def took(self, outcome: object) -> None:
        self.got.append(outcome)

    def work(self) -> Callable[[], str]:
        """Work that refers to this holder (a closure of its own, not the test's variable)."""
        return lambda: self and "done"


def test_a_finished_task_lets_go_of_its_work_and_callbacks(qtbot: QtBot) -> None:
    work, callbacks = _Holder(), _Holder()
    run_in_background(work.work(), callbacks.took, callbacks.took)
    _settle(qtbot)
    assert callbacks.got == ["done"]
    work_ref, callbacks_ref = weakref.ref(work), weakref.ref(callbacks)
    del work, callbacks
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    assert work_ref() is None
    assert callbacks_ref() is None


def test_quitting_with_a_task_still_running_is_clean(tmp_path: Path) -> None:
    script = tmp_path / "quit.py"
    script.write_text(textwrap.dedent("""
        import sys, time
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QLabel
        from riskscreen.ui.worker import run_in_background

        app = QApplication(sys.argv)
        label = QLabel("waiting")
        label.show()

        def slow():
            time.sleep(1.0)
            return "done"

        run_in_background(slow, lambda r: print("delivered", r), lambda e: print("failed", e))
        QTimer.singleShot(100, app.quit)
        app.exec()
        print("quit")
    """), encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["quit"]  # the outcome was dropped, not delivered late
    noise = [line for line in done.stderr.splitlines()
             if "This plugin does not support" not in line]
    assert noise == []
