"""The child process of the typing kill test: the real application, typing into an answer.

Started as ``python typing_child.py DB SETTINGS USER PASSPHRASE_FILE SCREENING CHOICE QUESTION
TEXT``. It signs in through the unlock page, opens the screening, clicks CHOICE (``question=
answer``, the answer that shows QUESTION), and types TEXT into the question's text box one key
at a time, as a person does. After every key it prints
``typed N MONOTONIC_TIME STATUS`` (the status is the save status the user sees), so the parent
knows how much had been typed, and when, at the moment it kills this process.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # chosen before Qt is imported

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QRadioButton

#: Pause between keys: a fast typist, with no pause long enough to look like one.
KEY_INTERVAL_MS = 40


def _wait(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        QTest.qWait(20)
    if not condition():
        raise SystemExit("timed out")


def main(argv: list[str]) -> int:
    db, settings_file, user, passphrase_file, screening, choice, question, text = argv
    app = QApplication([sys.argv[0]])
    from riskscreen.ui.controller import AppController

    settings = QSettings(settings_file, QSettings.Format.IniFormat)
    controller = AppController(Path(db), settings=settings, sleep=lambda _: None,
                               auto_backups=False)
    controller.window.resize(1366, 768)
    controller.window.show()
    controller.start()
    unlock = controller.unlock_view
    QTest.keyClicks(unlock.name, user)
    QTest.keyClicks(unlock.passphrase, Path(passphrase_file).read_text(encoding="utf-8"))
    QTest.mouseClick(unlock.button, Qt.MouseButton.LeftButton)
    _wait(lambda: controller.session is not None, 30)
    controller.open_screening(int(screening))
    assert controller.current is not None
    view = controller.current.view
    chosen, value = choice.split("=")
    view.questionnaire.show_question(chosen)
    button = view.questionnaire.blocks[chosen].editor.findChild(QRadioButton, f"{chosen}__{value}")
    QTest.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))
    view.questionnaire.show_question(question)
    box = view.questionnaire.blocks[question].editor.focus_target()
    assert isinstance(box, QPlainTextEdit)
    box.setFocus()
    print("ready", flush=True)
    for n, char in enumerate(text, start=1):
        QTest.keyClicks(box, char)
        print(f"typed {n} {time.monotonic():.4f} {view.save_status.text()}", flush=True)
        QTest.qWait(KEY_INTERVAL_MS)
    print("done", flush=True)
    QTest.qWait(60_000)
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
