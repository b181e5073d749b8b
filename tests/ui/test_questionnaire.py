"""The questionnaire generated from the shipped form, driven by clicks and keys."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCalendarWidget, QScrollBar, QWidget
from pytestqt.qtbot import QtBot

from riskscreen.forms.model import FormDefinition, QuestionType
from riskscreen.scoring.model import ScoringModel
from riskscreen.ui.editors import (
    ChoiceButtons,
    ComboChoice,
    DateEditor,
    LongTextEditor,
    MultipleChoice,
    NumberEditor,
    TextEditor,
)
from riskscreen.ui.live_score import LiveScore
from riskscreen.ui.questionnaire import QuestionBlock, QuestionnaireView
from riskscreen.ui.score_panel import ScorePanel

from .conftest import SCREENING_DATE

pytestmark = pytest.mark.gui

EDITOR_TYPES = {
    QuestionType.INDICATOR: ChoiceButtons,
    QuestionType.TIME_WINDOW: ChoiceButtons,
    QuestionType.MULTIPLE_CHOICE: MultipleChoice,
    QuestionType.NUMBER: NumberEditor,
    QuestionType.DATE: DateEditor,
    QuestionType.TEXT: TextEditor,
    QuestionType.LONG_TEXT: LongTextEditor,
}


@pytest.fixture
def view(qtbot: QtBot, form: FormDefinition) -> QuestionnaireView:
    widget = QuestionnaireView(form, SCREENING_DATE)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    return widget


def click(qtbot: QtBot, view: QuestionnaireView, qid: str, value: str) -> None:
    view.show_question(qid)
    editor = view.blocks[qid].editor
    assert isinstance(editor, ChoiceButtons)
    with qtbot.waitSignal(view.answer_changed, timeout=1000) as blocker:
        qtbot.mouseClick(editor.buttons[value], Qt.MouseButton.LeftButton)
    assert blocker.args == [qid, value]


def test_every_question_of_the_shipped_form_has_a_labelled_editor(
        view: QuestionnaireView, form: FormDefinition) -> None:
    assert view.sections.count() == len(form.sections)
    for q in form.questions():
        block = view.blocks[q.id]
        if q.type is QuestionType.SINGLE_CHOICE:
            assert isinstance(block.editor, (ChoiceButtons, ComboChoice))
        else:
            assert isinstance(block.editor, EDITOR_TYPES[q.type])
        assert block.editor.accessibleName() == q.text
        assert (block.help is not None) == bool(q.help)
        assert (block.evidence is not None) == (q.evidence is not None)


def test_answering_by_clicking_emits_the_fact(qtbot: QtBot, view: QuestionnaireView) -> None:
    click(qtbot, view, "older_associates", "recent")
    assert view.answers()["older_associates"] == "recent"
    assert view.blocks["older_associates"].evidence is not None
    assert view.blocks["older_associates"].evidence.isVisibleTo(view)


def test_keyboard_shortcuts_answer_indicators(qtbot: QtBot, view: QuestionnaireView) -> None:
    view.show_question("family_aware_of_referral")
    editor = view.blocks["family_aware_of_referral"].editor
    assert isinstance(editor, ChoiceButtons)
    with qtbot.waitSignal(view.answer_changed, timeout=1000) as blocker:
        qtbot.keyClick(editor.focus_target(), Qt.Key.Key_K)
    assert blocker.args == ["family_aware_of_referral", "not_known"]
    with qtbot.waitSignal(view.answer_changed, timeout=1000) as blocker:
        qtbot.keyClick(editor.focus_target(), Qt.Key.Key_Y)
    assert blocker.args == ["family_aware_of_referral", "yes"]


def test_a_conditional_question_appears_and_disappears(
        qtbot: QtBot, view: QuestionnaireView) -> None:
    block = view.blocks["family_not_told_reason"]
    assert block.isHidden()
    click(qtbot, view, "family_aware_of_referral", "no")
    assert not block.isHidden()
    click(qtbot, view, "family_aware_of_referral", "yes")
    assert block.isHidden()


def test_required_questions_are_marked_in_words_until_answered(
        qtbot: QtBot, view: QuestionnaireView) -> None:
    block = view.blocks["child_name"]
    assert block.required.text() == "Required"
    assert not block.missing.isHidden()
    assert "Needs an answer" in block.missing.text()
    view.show_question("child_name")
    editor = block.editor
    assert isinstance(editor, TextEditor)
    with qtbot.waitSignal(view.answer_changed, timeout=3000) as blocker:
        qtbot.keyClicks(editor.line, "Synthetic Child")
    assert blocker.args == ["child_name", "Synthetic Child"]
    assert block.missing.isHidden()
    assert "child_name" not in view.missing_required()


def test_section_list_shows_progress(qtbot: QtBot, view: QuestionnaireView,
                                     form: FormDefinition) -> None:
    index = next(i for i, s in enumerate(form.sections) if s.id == "protective_factors")
    before = view.sections.item(index).text()
    assert "0 of" in before
    for q in form.sections[index].questions:
        if q.type is QuestionType.INDICATOR and not q.show_if:
            click(qtbot, view, q.id, "yes")
    assert view.progress(index).answered > 0


def test_live_level_changes_as_answers_change(qtbot: QtBot, view: QuestionnaireView,
                                              model: ScoringModel) -> None:
    panel = ScorePanel()
    qtbot.addWidget(panel)
    live = LiveScore(view, panel, model, SCREENING_DATE)
    assert panel.chip.level_id is None  # nothing answered: no level, not "Low"
    assert panel.model.text().startswith("Scoring model cse-screening version")
    with qtbot.waitSignal(live.scored, timeout=1000):
        click(qtbot, view, "found_in_exploitative_situation", "recent")
    assert panel.chip.level_id == "high"
    assert "High" in panel.chip.text()
    assert panel.rules.text() != "None applies."
    assert panel.contributions.count() > 0


def _panel_lines(panel: ScorePanel) -> list[str]:
    return [panel.contributions.item(i).text() for i in range(panel.contributions.count())]


def test_an_empty_screening_shows_no_level_and_one_count_of_gaps(
        qtbot: QtBot, view: QuestionnaireView, model: ScoringModel) -> None:
    """Nothing answered is not "Low"; the gaps are counted once, with the points counted."""
    panel = ScorePanel()
    qtbot.addWidget(panel)
    panel.show()
    live = LiveScore(view, panel, model, SCREENING_DATE)
    assert live.assessment is not None
    assert live.assessment.level == "low"  # what the engine computes, kept out of sight
    assert panel.chip.level_id is None
    assert panel.chip.text() == "Nothing answered yet"
    assert "Low" not in panel.chip.text() + panel.total.text()
    assert "No level yet" in panel.total.text()
    questions = len(live.assessment.not_known)
    lines = _panel_lines(panel)
    gap_lines = [line for line in lines if "not known or not answered" in line]
    assert gap_lines == [f"+8   {questions} questions not known or not answered yet: 8 points "
                         f"counted (capped at 8; without the cap they would add "
                         f"{live.assessment.extra['not_known_points']} points)"]
    assert panel.not_known.text().startswith(f"{questions} questions not known")
    # Every number the panel shows about gaps is that one count (no 24 or 32 beside 36).
    shown = " ".join([panel.total.text(), *lines, panel.not_known.text()])
    counts = {int(n) for n in re.findall(r"(\d+) questions?", shown)}
    assert counts == {questions}

    # One answer given: a level, said to be provisional; the lines add up to the total.
    with qtbot.waitSignal(live.scored, timeout=1000):
        click(qtbot, view, "older_associates", "recent")
    assert panel.chip.level_id == live.assessment.level
    assert "(provisional)" in panel.chip.text()
    assert "Provisional" in panel.total.text()
    lines = _panel_lines(panel)
    assert sum(int(line.split()[0]) for line in lines) == live.assessment.score
    assert panel.total.text().startswith(f"Total: {live.assessment.score} points")


def test_details_answered_with_nothing_scored_say_so_and_not_nothing_answered(
        qtbot: QtBot, view: QuestionnaireView, model: ScoringModel) -> None:
    """The child's details carry no points: the panel says none of the answers is scored
    yet, beside the not-known points the score counts, never that nothing is answered."""
    panel = ScorePanel()
    qtbot.addWidget(panel)
    live = LiveScore(view, panel, model, SCREENING_DATE)
    view.set_answers({"child_name": "Synthetic Child", "date_of_birth": "2012-05-01",
                      "case_number": "SYN-0001"})
    live.rescore()
    assert live.assessment is not None
    assert panel.chip.level_id is None
    assert panel.chip.text() == "Nothing scored yet"
    assert panel.total.text().startswith(
        "No level yet: 3 questions answered, none of them scored.")
    assert "Nothing answered" not in panel.chip.text() + panel.total.text()
    assert any(line.startswith("+8 ") for line in _panel_lines(panel))
    view.show_question("nhs_number")
    editor = view.blocks["nhs_number"].editor
    assert isinstance(editor, TextEditor)
    with qtbot.waitSignal(live.scored, timeout=3000):
        qtbot.keyClicks(editor.line, "9434765919")
    assert "4 questions answered" in panel.total.text()


def test_a_finalised_assessment_is_not_called_provisional(
        qtbot: QtBot, view: QuestionnaireView, model: ScoringModel) -> None:
    panel = ScorePanel()
    qtbot.addWidget(panel)
    live = LiveScore(view, panel, model, SCREENING_DATE)
    assert live.assessment is not None
    panel.show_assessment(live.assessment, final=True)
    assert panel.chip.level_id == "low"
    assert "provisional" not in (panel.chip.text() + panel.total.text()).lower()


def test_score_panel_without_a_model_says_so(qtbot: QtBot, view: QuestionnaireView) -> None:
    panel = ScorePanel()
    qtbot.addWidget(panel)
    LiveScore(view, panel, None, SCREENING_DATE)
    assert "not available" in panel.message.text()
    panel.set_collapsed(True)
    assert panel.body.isHidden()


def test_read_only_questionnaire_cannot_change(view: QuestionnaireView) -> None:
    view.set_answers({"older_associates": "none"})
    view.set_read_only(True)
    editor = view.blocks["older_associates"].editor
    assert not editor.isEnabled()
    assert view.blocks["child_name"].missing.isHidden()


def test_dates_are_typed_day_month_year_and_never_after_the_screening(
        qtbot: QtBot, view: QuestionnaireView) -> None:
    view.show_question("date_of_birth")
    editor = view.blocks["date_of_birth"].editor
    assert isinstance(editor, DateEditor)
    line = editor.field.line
    with qtbot.waitSignal(view.answer_changed, timeout=3000) as blocker:
        qtbot.keyClicks(line, "14/02/2009")
        qtbot.keyClick(line, Qt.Key.Key_Return)
    assert blocker.args == ["date_of_birth", "2009-02-14"]
    line.clear()
    qtbot.keyClicks(line, "01/01/2030")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert editor.value() is None
    assert "after the screening date" in editor.field.problem.text()
    line.clear()
    qtbot.keyClicks(line, "31/02/2010")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    # A date that does not exist is not called a wrong format.
    assert "does not exist: February 2010 has 28 days" in editor.field.problem.text()
    assert "day/month/year" not in editor.field.problem.text()
    # A date that is not valid is not saved, and does not clear the one saved before: the
    # editor says it is not saved yet.
    assert view.answers()["date_of_birth"] == "2009-02-14"
    assert editor.problem() is not None
    assert "Not saved yet: question 1.2" in (view.unsaved_typing() or "")
    line.clear()
    with qtbot.waitSignal(view.answer_changed, timeout=3000) as blocker:
        qtbot.keyClick(line, Qt.Key.Key_Return)
    assert blocker.args == ["date_of_birth", None]
    assert view.unsaved_typing() is None


def _block_of(widget: QWidget | None) -> str | None:
    while widget is not None:
        if isinstance(widget, QuestionBlock):
            return widget.question.id
        widget = widget.parentWidget()
    return None


def test_keyboard_only_tab_goes_from_question_to_question(
        qtbot: QtBot, view: QuestionnaireView, form: FormDefinition) -> None:
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view, timeout=3000)
    section = next(s for s in form.sections if s.id == "exploitation_indicators")
    first, second = section.questions[0].id, section.questions[1].id
    view.show_question(first)
    editor = view.blocks[first].editor
    assert isinstance(editor, ChoiceButtons)
    qtbot.keyClick(editor.focus_target(), Qt.Key.Key_N)  # answer "Not present" by key
    assert view.answers()[first] == "none"
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if _block_of(QApplication.focusWidget()) == second:
            break
    focused = QApplication.focusWidget()
    assert _block_of(focused) == second
    qtbot.keyClick(focused, Qt.Key.Key_R)
    assert view.answers()[second] == "recent"


def _qt_part(widget: QWidget) -> bool:
    """Parts of Qt's own composite widgets (a spin box's text, the calendar), which the
    composite describes to screen readers."""
    if widget.objectName().startswith("qt_"):
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QCalendarWidget):
            return True
        parent = parent.parentWidget()
    return False


def test_every_answer_widget_has_an_accessible_name(view: QuestionnaireView) -> None:
    for block in view.blocks.values():
        for widget in block.findChildren(QWidget):
            if (widget.focusPolicy() != Qt.FocusPolicy.NoFocus and widget.isEnabled()
                    and not isinstance(widget, QScrollBar) and not _qt_part(widget)):
                assert widget.accessibleName(), (block.question.id, type(widget).__name__)


def test_question_numbers_count_the_questions_shown(qtbot: QtBot, view: QuestionnaireView,
                                                    form: FormDefinition) -> None:
    def numbers(section: int) -> list[str]:
        return [view.blocks[q.id].number for q in form.sections[section].questions
                if q.id in view.visible_ids()]

    def title(qid: str) -> str:
        return view.blocks[qid].title.text().split("  ", 1)[0]

    for index in range(len(form.sections)):
        assert numbers(index) == [f"{index + 1}.{n}" for n in range(1, len(numbers(index)) + 1)]
    # "Gender, in their own words" is hidden: 1.3 is followed by 1.4, not 1.5.
    assert "gender_description" not in view.visible_ids()
    assert (title("gender"), title("ethnicity")) == ("1.3", "1.4")
    click(qtbot, view, "gender", "self_described")
    assert (title("gender"), title("gender_description"), title("ethnicity")) == \
        ("1.3", "1.4", "1.5")
    assert numbers(0) == [f"1.{n}" for n in range(1, len(numbers(0)) + 1)]


def test_evidence_details_stop_at_their_limit_and_say_so(qtbot: QtBot,
                                                         view: QuestionnaireView) -> None:
    from riskscreen.forms.answers import EVIDENCE_DETAILS_LIMIT

    click(qtbot, view, "older_associates", "recent")
    evidence = view.blocks["older_associates"].evidence
    assert evidence is not None
    qtbot.mouseClick(evidence.basis["observed"], Qt.MouseButton.LeftButton)
    assert not evidence.limit_note.isVisibleTo(view)
    evidence.details.setFocus()
    QApplication.clipboard().setText("x" * (EVIDENCE_DETAILS_LIMIT + 500))
    evidence.details.paste()
    qtbot.keyClicks(evidence.details, "more")
    assert len(evidence.details.toPlainText()) == EVIDENCE_DETAILS_LIMIT
    assert evidence.limit_note.isVisibleTo(view)
    assert "20,000 characters" in evidence.limit_note.text()
    value = evidence.value()
    assert value is not None
    assert len(value["details"]) == EVIDENCE_DETAILS_LIMIT
