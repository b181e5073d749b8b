"""The questionnaire asks a form's own time windows, in its own words, with the usual keys."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from riskscreen.forms.answers import load_answer_set
from riskscreen.instruments import load_instrument
from riskscreen.scoring.engine import score
from riskscreen.summary.build import protective_words
from riskscreen.ui.editors import ChoiceButtons
from riskscreen.ui.questionnaire import QuestionnaireView
from riskscreen.ui.score_panel import ScorePanel

FOLDER = Path(__file__).resolve().parents[1] / "instruments" / "eastbrook-seraf"

pytestmark = pytest.mark.gui


def _view(qtbot: QtBot) -> QuestionnaireView:
    view = QuestionnaireView(load_instrument(FOLDER).form, date(2026, 11, 20))
    qtbot.addWidget(view)
    view.show_section(1)
    return view


def test_time_window_answers_are_the_forms_own(qtbot: QtBot) -> None:
    view = _view(qtbot)
    editor = view.blocks["older_friends"].editor
    assert isinstance(editor, ChoiceButtons)
    assert [b.text() for b in editor.buttons.values()] == [
        "Not seen", "Last 6 months", "6–12 months ago", "Both periods", "Not known"]
    qtbot.mouseClick(editor.buttons["six_to_twelve_months"], Qt.MouseButton.LeftButton)
    assert view.answers()["older_friends"] == "six_to_twelve_months"


def test_the_window_keys_choose_the_forms_windows(qtbot: QtBot) -> None:
    view = _view(qtbot)
    editor = view.blocks["online_requests"].editor
    qtbot.keyClick(editor.focus_target(), Qt.Key.Key_R)
    assert view.answers()["online_requests"] == "within_6_months"
    qtbot.keyClick(editor.focus_target(), Qt.Key.Key_B)
    assert view.answers()["online_requests"] == "both_periods"


def test_the_score_panel_calls_protective_factors_what_the_form_calls_them(
        qtbot: QtBot) -> None:
    instrument = load_instrument(FOLDER)
    answers = load_answer_set(FOLDER.parent / "eastbrook-cases" / "online-and-adults.json")
    assessment = score(instrument.form, instrument.model(), answers)
    assert assessment.protective_applied, "the case should have strengths that take points off"
    panel = ScorePanel()
    qtbot.addWidget(panel)
    panel.show_assessment(assessment, protective=protective_words(instrument.form))
    lines = [panel.contributions.item(i).text() for i in range(panel.contributions.count())]
    assert any(line.startswith("Strengths took ") for line in lines), lines
    assert any(line.endswith("(strengths)") for line in lines), lines
    assert not any("rotective" in line for line in lines), lines
