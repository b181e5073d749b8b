"""The questionnaire, generated from the form definition: sections in a side panel, one
section at a time, one block per question.

Conditions come from :func:`riskscreen.forms.visibility.visible_questions`: a question
appears and disappears as the answers it depends on change. The view holds answers in memory
only; a controller saves them (autosave) and scores them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from riskscreen.forms.model import FormDefinition, Question, QuestionType, Section
from riskscreen.forms.visibility import is_answered, visible_questions
from riskscreen.scoring.gaps import review_gaps
from riskscreen.ui.editors import AnswerEditor, EvidenceEditor, editor_for, present_values
from riskscreen.ui.widgets import ExpandableText, WrappingItemDelegate

__all__ = ["QuestionBlock", "QuestionnaireView", "SectionProgress"]

KEYBOARD_HINT = ("Keyboard: Tab moves between questions. Y, N and K answer Yes, No and Not "
                 "known; N, R, O, B and K answer questions about when something happened. "
                 "Delete clears an answer, Ctrl+Z undoes the last one. F1 shows what to look "
                 "for; Ctrl+Page Down and Ctrl+Page Up go to the next and previous section.")

#: Keys for the next and previous section (the first is the one menus and hints show).
NEXT_SECTION_KEYS = ("Ctrl+PgDown", "Alt+Right")
PREVIOUS_SECTION_KEYS = ("Ctrl+PgUp", "Alt+Left")


class QuestionBlock(QFrame):
    """One question: its text, a required marker, its help, its editor and its evidence."""

    def __init__(self, question: Question, number: str, screening_date: date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self.number = number
        self.setObjectName("questionBlock")
        self.setProperty("qid", question.id)
        self.title = QLabel(self)
        self.title.setObjectName("questionText")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.set_number(number)
        self.required = QLabel("Required", self)
        self.required.setObjectName("requiredTag")
        self.required.setVisible(question.required)
        self.missing = QLabel("⚠ Needs an answer before the screening can be finalised", self)
        self.missing.setObjectName("missingNote")
        self.missing.setWordWrap(True)
        self.missing.setVisible(False)
        # Created in reading order, which is also the tab order: answer, then evidence. The
        # "What to look for" button is no Tab stop of its own (one per question would double
        # the presses between questions): F1 opens it for the question being answered.
        self.help: ExpandableText | None = None
        if question.help:
            self.help = ExpandableText("What to look for", question.help, self)
            self.help.toggle.setAccessibleName(f"What to look for: {question.text}")
            self.help.toggle.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.help.toggle.setToolTip("Show or hide what to look for (F1 while answering)")
        self.editor: AnswerEditor = editor_for(question, screening_date, self)
        self.title.setBuddy(self.editor.focus_target())
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.required, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        layout.addLayout(head)
        if question.help:
            self.title.setToolTip(question.help)
            self.editor.setToolTip(question.help)
            self.editor.setAccessibleDescription(question.help)
        if self.help is not None:
            layout.addWidget(self.help)
        layout.addWidget(self.editor)
        layout.addWidget(self.missing)
        self.evidence: EvidenceEditor | None = None
        if question.evidence is not None:
            self.evidence = EvidenceEditor(question, self)
            self.evidence.setVisible(False)
            layout.addWidget(self.evidence)

    def set_number(self, number: str) -> None:
        """Show the question's number (it counts the questions shown, so there are no gaps)."""
        self.number = number
        self.title.setText(f"{number}  {self.question.text}")

    def toggle_help(self) -> bool:
        """Show or hide "What to look for"; False if the question has none."""
        if self.help is None:
            return False
        self.help.toggle.toggle()
        return True

    def show_evidence_for(self, value: Any) -> None:
        """Ask for evidence only when the sign is present."""
        if self.evidence is not None:
            self.evidence.setVisible(value in present_values(self.question))

    def set_missing(self, missing: bool) -> None:
        """Mark a required question that has no answer (words and an icon, not colour only)."""
        self.missing.setVisible(missing)
        self.setProperty("missing", missing)
        self.style().unpolish(self)
        self.style().polish(self)


class SectionProgress:
    """How far through one section the answers are."""

    def __init__(self, answered: int, shown: int, required_missing: int) -> None:
        self.answered = answered
        self.shown = shown
        self.required_missing = required_missing

    @property
    def complete(self) -> bool:
        """Every question shown has an answer."""
        return self.answered == self.shown

    def label(self) -> str:
        """The words shown beside the section's title."""
        if self.complete:
            return "✓ Complete"
        text = f"{self.answered} of {self.shown} answered"
        if self.required_missing:
            text += f" · {self.required_missing} required"
        return text


_OPTIONAL_TEXT = (QuestionType.TEXT, QuestionType.LONG_TEXT)


class QuestionnaireView(QWidget):
    """Every section of a form; emits ``answer_changed(question_id, value)`` as answers change.

    ``evidence_changed(question_id, record)`` reports the evidence behind an indicator;
    ``save_state_changed`` says that :meth:`unsaved_typing` may have changed. Ctrl+Z puts
    the last answer back as it was (``answer_changed`` again, so it is saved as any answer
    is, then ``answer_undone``).
    """

    answer_changed = Signal(str, object)
    answer_undone = Signal(str)
    evidence_changed = Signal(str, object)
    visibility_changed = Signal()
    save_state_changed = Signal()

    def __init__(self, form: FormDefinition, screening_date: date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.screening_date = screening_date
        self._answers: dict[str, Any] = {}
        self._evidence: dict[str, dict[str, Any]] = {}
        self._read_only = False
        self.blocks: dict[str, QuestionBlock] = {}
        self._section_of: dict[str, int] = {}
        self._visible: set[str] = set()
        #: (question, answer before the change), most recent last, for Ctrl+Z.
        self._undo: list[tuple[str, Any]] = []

        self.sections = QListWidget(self)
        self.sections.setObjectName("sectionList")
        self.sections.setAccessibleName("Sections of the questionnaire")
        self.sections.setMinimumWidth(150)
        # Titles wrap to the list's width, so a narrow list never hides a title's end or its
        # progress behind a sideways scrollbar (the padding is the style sheet's, plus margins).
        WrappingItemDelegate.install(self.sections, padding=(22, 18))
        self.sections.setSpacing(2)
        self.pages = QStackedWidget(self)
        for number, section in enumerate(form.sections, start=1):
            item = QListWidgetItem(f"{number}. {section.title}")
            item.setData(Qt.ItemDataRole.UserRole, section.id)
            self.sections.addItem(item)
            self.pages.addWidget(self._build_page(number, section))

        self.previous_button = QPushButton("← Previous section", self)
        self.previous_button.setObjectName("previousSection")
        self.next_button = QPushButton("Next section →", self)
        self.next_button.setObjectName("nextSection")
        hint = QLabel(KEYBOARD_HINT, self)
        hint.setObjectName("keyboardHint")
        hint.setWordWrap(True)
        nav = QHBoxLayout()
        nav.addWidget(self.previous_button)
        nav.addStretch(1)
        nav.addWidget(self.next_button)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.pages, 1)
        right_layout.addWidget(hint)
        right_layout.addLayout(nav)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("questionnaireSplitter")
        self.splitter.addWidget(self.sections)
        self.splitter.addWidget(right)
        # Both sides give up width on a small screen, the questions three times as much.
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([230, 700])
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.sections.currentRowChanged.connect(self._on_sections_current_row_changed)
        self.previous_button.clicked.connect(self._on_previous_button_clicked)
        self.next_button.clicked.connect(self._on_next_button_clicked)
        self.next_action = self._action("Next section", NEXT_SECTION_KEYS,
                                        self._on_next_button_clicked)
        self.previous_action = self._action("Previous section", PREVIOUS_SECTION_KEYS,
                                            self._on_previous_button_clicked)
        self.undo_action = self._action("Undo the last answer",
                                        (QKeySequence(QKeySequence.StandardKey.Undo)
                                         .toString(),), self.undo)
        self.next_button.setToolTip(f"Next section ({NEXT_SECTION_KEYS[0]})")
        self.previous_button.setToolTip(f"Previous section ({PREVIOUS_SECTION_KEYS[0]})")
        self.sections.setCurrentRow(0)
        self._refresh()

    def _action(self, text: str, keys: tuple[str, ...], slot: Any) -> QAction:
        # Shortcuts of the questionnaire only while it is shown; a text field keeps its own
        # Ctrl+Z (Qt gives the field the key first).
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # -- building ------------------------------------------------------------------------------

    def _build_page(self, number: int, section: Section) -> QScrollArea:
        page = QWidget()
        page.setObjectName(f"section_{section.id}")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        title = QLabel(f"{number}. {section.title}", page)
        title.setObjectName("sectionTitle")
        title.setWordWrap(True)
        layout.addWidget(title)
        if section.guidance:
            guidance = QLabel(section.guidance, page)
            guidance.setObjectName("sectionGuidance")
            guidance.setWordWrap(True)
            guidance.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(guidance)
        # Widgets are created in reading order, which is therefore also the tab order: each
        # question's help button, answer, and evidence fields, then the next question.
        for i, question in enumerate(section.questions, start=1):
            block = QuestionBlock(question, f"{number}.{i}", self.screening_date, page)
            self.blocks[question.id] = block
            self._section_of[question.id] = number - 1
            layout.addWidget(block)
            block.editor.value_changed.connect(
                lambda value, qid=question.id: self._on_editor_value_changed(qid, value))
            block.editor.save_state_changed.connect(self.save_state_changed)
            if block.evidence is not None:
                block.evidence.evidence_changed.connect(
                    lambda record, qid=question.id: self._on_evidence_evidence_changed(qid,
                                                                                       record))
                block.evidence.save_state_changed.connect(self.save_state_changed)
        layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        scroll.setAccessibleName(section.title)
        return scroll

    # -- state ---------------------------------------------------------------------------------

    def answers(self) -> dict[str, Any]:
        """Every answer given so far (including those of questions now hidden)."""
        return dict(self._answers)

    def evidence(self) -> dict[str, dict[str, Any]]:
        """Evidence records by question id."""
        return dict(self._evidence)

    def visible_ids(self) -> set[str]:
        """Questions shown for the current answers."""
        return set(self._visible)

    def set_answers(self, answers: dict[str, Any],
                    evidence: dict[str, dict[str, Any]] | None = None) -> None:
        """Show stored answers (no signals: they are already saved)."""
        self._answers = {k: v for k, v in answers.items() if k in self.blocks}
        self._undo.clear()
        self._evidence = {k: v for k, v in (evidence or {}).items() if k in self.blocks}
        for qid, block in self.blocks.items():
            block.editor.set_value(self._answers.get(qid))
            if block.evidence is not None:
                block.evidence.set_value(self._evidence.get(qid))
            block.show_evidence_for(self._answers.get(qid))
        self._refresh()

    def set_read_only(self, read_only: bool) -> None:
        """Finalised screenings are shown but cannot be changed."""
        self._read_only = read_only
        for block in self.blocks.values():
            block.editor.set_read_only(read_only)
            if block.evidence is not None:
                block.evidence.set_read_only(read_only)
        self._refresh()

    def unsaved_typing(self) -> str | None:
        """What the save status must say while a shown field holds typing not yet saved.

        "Saving…" while typing waits to be given out (within a second); "Not saved yet: …"
        while a field holds text that cannot be saved as it is; None when nothing is waiting.
        """
        waiting = False
        for qid, block in self.blocks.items():
            if qid not in self._visible:
                continue
            parts: list[AnswerEditor | EvidenceEditor] = [block.editor]
            if block.evidence is not None and not block.evidence.isHidden():
                parts.append(block.evidence)
            for part in parts:
                problem = part.problem()
                if problem is not None:
                    return f"⚠ Not saved yet: question {block.number}: {problem}."
                waiting = waiting or part.pending()
        return "Saving…" if waiting else None

    def flush(self) -> None:
        """Emit typing that is still waiting to be given out (before locking or closing)."""
        for block in self.blocks.values():
            block.editor.flush()
            if block.evidence is not None:
                block.evidence.flush()

    def show_section(self, index: int) -> None:
        """Show one section."""
        self.sections.setCurrentRow(index)

    def show_question(self, question_id: str) -> None:
        """Show the section of a question and put the focus on it."""
        self.show_section(self._section_of[question_id])
        block = self.blocks[question_id]
        scroll = self.pages.currentWidget()
        if isinstance(scroll, QScrollArea):
            scroll.ensureWidgetVisible(block)
        block.editor.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)

    def first_question(self) -> QWidget | None:
        """Where the cursor goes on a section: the first question shown that can be answered."""
        for question in self.form.sections[self.current_section()].questions:
            target = self.blocks[question.id].editor.focus_target()
            if question.id in self._visible and target.isEnabled():
                return target
        return None

    def focus_first_question(self) -> None:
        """Put the cursor in the section's first question, so Tab goes on to the next one."""
        target = self.first_question()
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)

    def focused_block(self) -> QuestionBlock | None:
        """The question holding the keyboard focus, if any."""
        widget = QApplication.focusWidget()
        while widget is not None and widget is not self:
            if isinstance(widget, QuestionBlock):
                return widget
            widget = widget.parentWidget()
        return None

    def toggle_focused_help(self) -> bool:
        """F1: show or hide "What to look for" of the question being answered."""
        block = self.focused_block()
        return block is not None and block.toggle_help()

    def can_undo(self) -> bool:
        """Whether Ctrl+Z has an answer to put back."""
        return bool(self._undo) and not self._read_only

    def undo(self) -> None:
        """Put the last changed answer back as it was; it is saved like any other answer."""
        if not self.can_undo():
            return
        question_id, value = self._undo.pop()
        block = self.blocks[question_id]
        block.editor.set_value(value)
        if value is None:
            self._answers.pop(question_id, None)
        else:
            self._answers[question_id] = value
        block.show_evidence_for(value)
        self._refresh()
        if question_id in self._visible:
            self.show_question(question_id)
        self.answer_changed.emit(question_id, value)
        self.answer_undone.emit(question_id)

    def current_section(self) -> int:
        """Index of the section shown."""
        return self.pages.currentIndex()

    def progress(self, index: int) -> SectionProgress:
        """Answered, shown and required-but-missing counts of one section."""
        shown = [q for q in self.form.sections[index].questions if q.id in self._visible]
        answered = sum(1 for q in shown if is_answered(self._answers.get(q.id)))
        missing = sum(1 for q in shown if q.required and not is_answered(self._answers.get(q.id)))
        return SectionProgress(answered, len(shown), missing)

    def answered_count(self) -> int:
        """How many questions shown have an answer, over every section (as the sections
        list counts them)."""
        return sum(self.progress(i).answered for i in range(len(self.form.sections)))

    def missing_required(self) -> list[str]:
        """Visible required questions without an answer, in form order."""
        return list(review_gaps(self.form, self._answers, self.screening_date).missing)

    # -- slots ---------------------------------------------------------------------------------

    def _on_editor_value_changed(self, question_id: str, value: Any) -> None:
        before = self._answers.get(question_id)
        if before != value:
            self._undo.append((question_id, before))
            del self._undo[:-100]
        if value is None:
            self._answers.pop(question_id, None)
        else:
            self._answers[question_id] = value
        self.blocks[question_id].show_evidence_for(value)
        self._refresh()
        self.answer_changed.emit(question_id, value)

    def _on_evidence_evidence_changed(self, question_id: str, record: Any) -> None:
        if record is None:
            self._evidence.pop(question_id, None)
        else:
            self._evidence[question_id] = record
        self.evidence_changed.emit(question_id, record)

    def _on_sections_current_row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.flush()
        self.pages.setCurrentIndex(row)
        self.previous_button.setEnabled(row > 0)
        self.next_button.setEnabled(row < self.pages.count() - 1)

    def _on_previous_button_clicked(self) -> None:
        self._go_to(max(0, self.current_section() - 1))

    def _on_next_button_clicked(self) -> None:
        self._go_to(min(self.pages.count() - 1, self.current_section() + 1))

    def _go_to(self, index: int) -> None:
        """Another section, from its top, with the cursor in its first question."""
        self.show_section(index)
        scroll = self.pages.currentWidget()
        if isinstance(scroll, QScrollArea):
            scroll.verticalScrollBar().setValue(0)
        self.focus_first_question()

    # -- visibility and marks ------------------------------------------------------------------

    def _refresh(self) -> None:
        visible = set(visible_questions(self.form, self._answers, self.screening_date))
        changed = visible != self._visible
        self._visible = visible
        for number, section in enumerate(self.form.sections, start=1):
            shown_questions = [q.id for q in section.questions if q.id in visible]
            for i, qid in enumerate(shown_questions, start=1):
                if self.blocks[qid].number != f"{number}.{i}":
                    self.blocks[qid].set_number(f"{number}.{i}")
        for qid, block in self.blocks.items():
            shown = qid in visible
            if block.isHidden() == shown:
                block.setVisible(shown)
            block.set_missing(not self._read_only and shown and block.question.required
                              and not is_answered(self._answers.get(qid)))
        for index, section in enumerate(self.form.sections):
            item = self.sections.item(index)
            progress = self.progress(index)
            item.setText(f"{index + 1}. {section.title}\n{progress.label()}")
            item.setToolTip(progress.label())
        if changed:
            self.visibility_changed.emit()
