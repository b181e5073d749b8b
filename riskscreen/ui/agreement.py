"""Agreement exercises in the GUI: the manager's window (exercises, vignettes, who is
assigned, the report) and the practitioner's practice window.

Practice has a window of its own, with its own title and a banner that cannot be closed,
and offers no referral, print or export: a practice screening can never pass for a real one.
The views only lay out widgets; the controllers call ``session.agreement`` off the GUI
thread through :mod:`riskscreen.ui.operations`.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from riskscreen.forms.model import FormDefinition
from riskscreen.services import Session
from riskscreen.services.agreement import (
    PRACTICE_WORDS,
    AgreementReport,
    ExerciseInfo,
    PracticeDetail,
    PracticeItem,
    VignetteInfo,
)
from riskscreen.services.errors import IncompleteScreening, SessionClosed
from riskscreen.ui.operations import ChangeOp, QueryOp
from riskscreen.ui.questionnaire import QuestionnaireView
from riskscreen.ui.score_panel import ScorePanel
from riskscreen.ui.widgets import (
    FORMAT_ADVICE,
    DateField,
    MessageBanner,
    banner_over,
    date_problem,
    fit_to_screen,
)

__all__ = [
    "PRACTICE_TITLE",
    "AgreementController",
    "AgreementWindow",
    "PracticeController",
    "PracticeWindow",
    "report_html",
]

#: The practice window's title: never the real screening window's.
PRACTICE_TITLE = "RiskScreen – PRACTICE MODE (not a real screening)"
_ID = Qt.ItemDataRole.UserRole
_BANNER_STYLE = ("QLabel#practiceBanner { background: #7a4b00; color: white; font-weight: bold; "
                 "padding: 8px; border-radius: 3px; }")


# -- the practitioner's practice window -------------------------------------------------------


class PracticeView(QWidget):
    """Layout of practice mode: the banner, the vignettes assigned, and the one open."""

    vignette_chosen = Signal(int)
    submit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("practiceView")
        self.setStyleSheet(_BANNER_STYLE)
        self.banner = QLabel("PRACTICE MODE — " + PRACTICE_WORDS, self)
        self.banner.setObjectName("practiceBanner")
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Practice mode")
        self.vignettes = QComboBox(self)
        self.vignettes.setObjectName("practiceVignettes")
        self.vignettes.setAccessibleName("Vignette to screen")
        self.vignettes.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.vignettes.setMinimumContentsLength(20)
        self._filling = False
        self.empty = QLabel("Choose a vignette above to screen it for practice. None to "
                            "choose? A manager assigns them (Manage › Agreement exercises).",
                            self)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.case = QWidget(self)
        self.heading = QLabel(self.case)
        self.heading.setObjectName("pageTitle")
        self.heading.setWordWrap(True)
        self.vignette_text = QPlainTextEdit(self.case)
        self.vignette_text.setObjectName("vignetteText")
        self.vignette_text.setReadOnly(True)
        self.vignette_text.setAccessibleName("The vignette")
        self.vignette_text.setMaximumHeight(64)
        self.save_status = QLabel("", self.case)
        self.save_status.setObjectName("saveStatus")
        self.save_status.setWordWrap(True)
        self.submit_button = QPushButton("Submit practice screening…", self.case)
        self.submit_button.setObjectName("submitPractice")
        self.questionnaire: QuestionnaireView | None = None
        self.score = ScorePanel(self.case)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self.case)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(QWidget(self.splitter))
        self.splitter.addWidget(self.score)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.save_status, 1)
        bottom.addWidget(self.submit_button)
        case = QVBoxLayout(self.case)
        case.setContentsMargins(0, 0, 0, 0)
        self.heading.setVisible(False)  # the chooser above names the vignette
        case.addWidget(self.heading)
        case.addWidget(self.vignette_text)
        case.addWidget(self.splitter, 1)
        case.addLayout(bottom)
        self.right = QStackedWidget(self)
        self.right.addWidget(self.empty)
        self.right.addWidget(self.case)
        choose = QHBoxLayout()
        label = QLabel("&Vignette:", self)
        label.setBuddy(self.vignettes)
        choose.addWidget(label)
        choose.addWidget(self.vignettes, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.banner)
        layout.addLayout(choose)
        layout.addWidget(self.right, 1)
        self.vignettes.activated.connect(self._on_vignettes_activated)
        self.submit_button.clicked.connect(self.submit_requested)

    def set_items(self, items: list[PracticeItem], current: int | None = None) -> None:
        """List the vignettes assigned, with how far each got."""
        self._filling = True
        try:
            self.vignettes.clear()
            if current is None:
                self.vignettes.addItem("Choose a vignette…", None)
            for item in items:
                self.vignettes.addItem(f"{item.vignette.title} — {item.state_words} "
                                       f"({item.exercise_title})", item.vignette.id)
                if item.vignette.id == current:
                    self.vignettes.setCurrentIndex(self.vignettes.count() - 1)
        finally:
            self._filling = False

    def show_practice(self, detail: PracticeDetail, form: FormDefinition) -> QuestionnaireView:
        """Show one practice screening: the vignette, the questionnaire, the live score."""
        self.heading.setText(f"Practice: {detail.vignette.title} "
                             f"({detail.exercise_title})")
        self.vignette_text.setPlainText(detail.vignette.text)
        # Made without a parent: a child of the splitter would join it at once, and
        # replaceWidget leaves a widget already in the splitter where it is.
        questionnaire = QuestionnaireView(form, detail.screening_date)
        questionnaire.set_answers(detail.answers, detail.evidence)
        questionnaire.set_read_only(detail.submitted)
        old = self.splitter.widget(0)
        self.splitter.replaceWidget(0, questionnaire)
        if old is not None:
            old.deleteLater()
        self.questionnaire = questionnaire
        self.submit_button.setVisible(not detail.submitted)
        self.save_status.setText(
            "Submitted: this practice screening can no longer change." if detail.submitted
            else "Answers are saved as you give them (practice only).")
        self.right.setCurrentWidget(self.case)
        width = max(self.splitter.width(), 600)
        self.splitter.setSizes([width * 7 // 10, width * 3 // 10])
        return questionnaire

    def _on_vignettes_activated(self, index: int) -> None:
        chosen = self.vignettes.itemData(index)
        if not self._filling and chosen is not None:
            self.vignette_chosen.emit(int(chosen))


class PracticeWindow(QMainWindow):
    """The practice window: a title of its own, so it is never taken for the real one;
    ``closing`` is emitted when it closes, so what is being typed can be saved first."""

    closing = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(PRACTICE_TITLE)
        self.setObjectName("practiceWindow")
        self.view = PracticeView(self)
        self.banner = MessageBanner()
        banner_over(self, self.banner, self.view)
        fit_to_screen(self, 1200, 720)

    def show_message(self, text: str) -> None:
        """A problem in plain words, shown in the banner until dismissed (never a modal box,
        so nothing waits on it)."""
        self.banner.show_message(text)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name, overridden
        """Say the window is closing, so the answers still waiting to be saved are saved."""
        self.closing.emit()
        super().closeEvent(event)


class PracticeController(QObject):
    """A practitioner's practice screenings of the vignettes assigned to them."""

    opened = Signal(object)
    saved = Signal()
    submitted = Signal(object)

    def __init__(self, session: Session, window: PracticeWindow | None = None) -> None:
        super().__init__()
        self.session = session
        self.window = window or PracticeWindow()
        self.view = self.window.view
        self.current: PracticeDetail | None = None
        self._saving = False
        self._dirty = False
        #: The practice screening to submit once the save under way is over.
        self._submit_waiting: int | None = None
        # The window's: it reads the window's answers, and must not fire once it is deleted.
        self._timer = QTimer(self.window)
        self._timer.setSingleShot(True)
        self._timer.setInterval(400)
        self._timer.timeout.connect(self._save)
        self.view.vignette_chosen.connect(self._on_view_vignette_chosen)
        self.view.submit_requested.connect(self._on_view_submit_requested)
        self.window.closing.connect(self._on_window_closing)

    def _show(self, text: str) -> None:
        self.window.show_message(text)

    def _on_window_closing(self) -> None:
        """Save what was typed last: a closed window is deleted, with the typing and the save
        still waiting in it."""
        if self.view.questionnaire is not None:
            self.view.questionnaire.flush()
        self._flush()

    def start(self) -> None:
        """List the vignettes assigned to this practitioner."""
        self.refresh()

    def refresh(self) -> None:
        """Read the list again (after a submission, say)."""
        current = None if self.current is None else self.current.vignette.id
        QueryOp(self.session.agreement.assigned, show=self._show,
                what="practice list").success(
            lambda items: self.view.set_items(items, current)).run_in_background()

    def open_vignette(self, vignette_id: int) -> None:
        """Open (or start) this practitioner's practice screening of a vignette."""
        self._flush()

        def work() -> tuple[PracticeDetail, FormDefinition]:
            detail = self.session.agreement.open_practice(vignette_id)
            return detail, self.session.screenings.form(detail.form_id, detail.form_version)

        ChangeOp(work, show=self._show, what="practice open").success(
            self._on_opened).run_in_background()

    def _on_opened(self, found: tuple[PracticeDetail, FormDefinition]) -> None:
        detail, form = found
        self.current = detail
        questionnaire = self.view.show_practice(detail, form)
        questionnaire.answer_changed.connect(self._on_questionnaire_answer_changed)
        questionnaire.evidence_changed.connect(self._on_questionnaire_answer_changed)
        if detail.assessment is not None:
            self.view.score.show_assessment(detail.assessment, final=True)
        else:
            self._score()
        self.refresh()
        self.opened.emit(detail)

    def _on_view_vignette_chosen(self, vignette_id: int) -> None:
        if self.current is None or self.current.vignette.id != vignette_id:
            self.open_vignette(vignette_id)

    def _on_questionnaire_answer_changed(self, _question_id: str, _value: object) -> None:
        self._dirty = True
        self.view.save_status.setText("Saving…")
        self._timer.start()

    def _answers(self) -> tuple[dict[str, Any], dict[str, Any]]:
        q = self.view.questionnaire
        assert q is not None
        return q.answers(), q.evidence()

    def _flush(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._save()

    def _save(self) -> None:
        current = self.current
        if current is None or current.submitted or not self._dirty:
            return
        if self._saving:  # saved again once the save under way is over (see done)
            return
        self._saving, self._dirty = True, False
        answers, evidence = self._answers()

        def work() -> Any:
            self.session.agreement.save_practice(current.id, answers, evidence)
            return self.session.agreement.preview_practice(current.id, answers, evidence)

        def done(assessment: Any) -> None:
            self._saving = False
            if self._submit_after_save():
                self.saved.emit()
                return
            if self._dirty and not self._timer.isActive():
                self._save()  # what was typed meanwhile (the window may be closed by now)
                return
            self.view.save_status.setText("All answers saved (practice only).")
            q = self.view.questionnaire
            self.view.score.show_assessment(
                assessment, answered=q.answered_count() if q is not None else 0)
            self.saved.emit()

        def failed(error: BaseException) -> bool:
            self._saving = False
            self.view.save_status.setText(f"⚠ Not saved: {error}")
            if (self.window.isHidden() and not self.session.closed
                    and not isinstance(error, SessionClosed)):
                # Closed while saving: shown again, with the answers still on it, rather
                # than deleted with them and the message nobody would read.
                self.window.show()
            self._submit_after_save()
            return False

        QueryOp(work, show=self._show, what="practice save").success(done).failure(
            failed).run_in_background()

    def _submit_after_save(self) -> bool:
        """Submit what was asked for while the save was under way; whether there was one.

        Started from the save's outcome, not from a timer, so it is always pending work: a
        closed window waits for it instead of being deleted before it begins."""
        practice_id, self._submit_waiting = self._submit_waiting, None
        if practice_id is None:
            return False
        self.submit(practice_id)
        return True

    def _score(self) -> None:
        current = self.current
        if current is None:
            return
        answers, evidence = self._answers()
        QueryOp(lambda: self.session.agreement.preview_practice(current.id, answers, evidence),
                show=self._show, what="practice score").success(
            self.view.score.show_assessment).run_in_background()

    def _on_view_submit_requested(self) -> None:
        current = self.current
        if current is None or current.submitted:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Submit practice screening",
                          "Submit this practice screening? It is not a real screening and is "
                          "not referred; once submitted it can no longer change, and your "
                          "manager sees it in the agreement report.",
                          QMessageBox.StandardButton.Cancel, self.window)
        submit = box.addButton("Submit", QMessageBox.ButtonRole.AcceptRole)
        box.setObjectName("confirmSubmitPractice")
        box.setDefaultButton(submit)
        box.accepted.connect(lambda: self.submit(current.id))
        box.finished.connect(box.deleteLater)
        box.open()

    def submit(self, practice_id: int) -> None:
        """Save the answers on screen and submit the practice screening (once any save
        under way is over)."""
        if self._saving:
            self._submit_waiting = practice_id
            return
        self._timer.stop()
        self._dirty = False
        answers, evidence = self._answers()

        def work() -> Any:
            self.session.agreement.save_practice(practice_id, answers, evidence)
            return self.session.agreement.submit_practice(practice_id)

        def missing(error: BaseException) -> bool:
            if not isinstance(error, IncompleteScreening):
                return False
            q = self.view.questionnaire
            names = [q.blocks[qid].number for qid, _ in error.problems
                     if q is not None and qid in q.blocks]
            if q is not None and error.problems and error.problems[0][0] in q.blocks:
                q.show_question(error.problems[0][0])
            self._show(f"Not submitted: {len(error.problems)} required answer(s) are missing "
                       f"(questions {', '.join(names[:8])}). Answer them, then submit again.")
            return True

        def done(assessment: Any) -> None:
            if self.current is not None:
                self.open_vignette(self.current.vignette.id)
            self.submitted.emit(assessment)

        ChangeOp(work, show=self._show, what="practice submit").failure(missing).success(
            done).run_in_background()


# -- the manager's window ---------------------------------------------------------------------


def report_html(report: AgreementReport) -> str:
    """An agreement report as HTML for the report tab."""
    e = report.exercise
    parts = [f"<h2>{escape(e.title)}</h2>",
             f"<p>{report.practitioners} practitioners, {report.vignettes} vignettes "
             f"({report.shared_vignettes} screened by two or more), {report.screenings} "
             f"practice screenings submitted. Scored with {escape(e.model_id)} "
             f"{escape(e.model_version)}.</p>"]
    parts += [f"<p style='color:#7a4b00'><b>Please note:</b> {escape(w)}</p>"
              for w in report.warnings]
    parts.append(f"<p><b>{escape(report.level_words())}</b></p>")
    parts.append(f"<p>{escape(report.indicator_words())}</p>")
    head = "".join(f"<th>{escape(n)}</th>" for n in report.level_names)
    rows = "".join(f"<tr><td>{escape(t)}</td>" + "".join(
        f"<td align='center'>{n}</td>" for n in counts) + "</tr>"
        for t, counts in report.levels_by_vignette)
    parts.append(f"<h3>Levels given to each vignette</h3><table cellpadding='3' border='0'>"
                 f"<tr><th align='left'>Vignette</th>{head}</tr>{rows}</table>")
    scored = [r for r in report.indicators if r.alpha is not None]
    alike = len(report.indicators) - len(scored)
    rows = "".join(f"<tr><td align='right'>{r.alpha:.2f}</td><td>{escape(r.text)}</td></tr>"
                   for r in scored)
    parts.append("<h3>Agreement on each indicator (lowest first)</h3>"
                 f"<table cellpadding='3'><tr><th>Alpha</th><th align='left'>Indicator</th>"
                 f"</tr>{rows}</table>")
    if alike:
        parts.append(f"<p>{alike} other indicator(s) had no alpha: everyone gave the same "
                     "answer, or too few answered.</p>")
    parts.append("<p>Krippendorff's alpha: 1 means full agreement, 0 no more than chance; "
                 "0.8 or more is usually taken as reliable, 0.667 as the least for tentative "
                 "conclusions. The interval comes from resampling the vignettes.</p>")
    return "".join(parts)


class AgreementView(QWidget):
    """Layout of the manager's agreement exercises: the list, then one exercise's tabs."""

    new_requested = Signal()
    exercise_chosen = Signal(int)
    vignette_chosen = Signal(int)
    add_vignette_requested = Signal()
    save_vignette_requested = Signal()
    assign_requested = Signal()
    report_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exercises = QListWidget(self)
        self.exercises.setObjectName("exercises")
        self.exercises.setAccessibleName("Agreement exercises")
        self.exercises.setWordWrap(True)
        self.new_button = QPushButton("New exercise…", self)
        self.new_button.setObjectName("newExercise")
        left = QWidget(self)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("Exercises", left))
        ll.addWidget(self.exercises, 1)
        ll.addWidget(self.new_button)
        self.heading = QLabel("Make an exercise, write its vignettes, then assign "
                              "practitioners.", self)
        self.heading.setObjectName("pageTitle")
        self.heading.setWordWrap(True)
        self.tabs = QTabWidget(self)

        vignettes = QWidget(self.tabs)
        self.vignettes = QListWidget(vignettes)
        self.vignettes.setObjectName("vignettes")
        self.vignettes.setAccessibleName("Vignettes")
        self.vignette_title = QLineEdit(vignettes)
        self.vignette_title.setObjectName("vignetteTitle")
        self.vignette_title.setPlaceholderText("For example: Vignette A: Jade")
        # Typed as every other date in RiskScreen is (dd/mm/yyyy, or from a calendar).
        self.vignette_dob = DateField(None, vignettes)
        self.vignette_dob.setObjectName("vignetteDob")
        self.vignette_dob.line.setAccessibleName("Child's date of birth")
        self.vignette_dob.setToolTip("Sets which age questions the practitioners see.")
        self.vignette_text = QPlainTextEdit(vignettes)
        self.vignette_text.setObjectName("vignetteText")
        self.vignette_text.setPlaceholderText(
            "A short made-up case: who the child is, what has been seen or heard, by whom. "
            "Never describe a real child.")
        self.add_button = QPushButton("Add as a new vignette", vignettes)
        self.add_button.setObjectName("addVignette")
        self.save_button = QPushButton("Save changes to this vignette", vignettes)
        self.save_button.setObjectName("saveVignette")
        self.save_button.setEnabled(False)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Title", self.vignette_title)
        form.addRow("Child's date of birth", self.vignette_dob)
        form.addRow("Description", self.vignette_text)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        editor = QWidget(vignettes)
        el = QVBoxLayout(editor)
        el.setContentsMargins(0, 0, 0, 0)
        el.addLayout(form, 1)
        el.addLayout(buttons)
        vs = QSplitter(Qt.Orientation.Horizontal, vignettes)
        vs.setChildrenCollapsible(False)
        vs.addWidget(self.vignettes)
        vs.addWidget(editor)
        vs.setStretchFactor(1, 2)
        QVBoxLayout(vignettes).addWidget(vs)
        self.tabs.addTab(vignettes, "Vignettes")

        people = QWidget(self.tabs)
        self.practitioners = QListWidget(people)
        self.practitioners.setObjectName("practitioners")
        self.practitioners.setAccessibleName("Practitioners")
        self.assign_button = QPushButton("Assign the ticked practitioners", people)
        self.assign_button.setObjectName("assignPractitioners")
        pl = QVBoxLayout(people)
        note = QLabel("Tick the practitioners who should screen this exercise's vignettes in "
                      "practice mode. They find them under Practice.", people)
        note.setWordWrap(True)
        pl.addWidget(note)
        pl.addWidget(self.practitioners, 1)
        row = QHBoxLayout()
        row.addWidget(self.assign_button)
        row.addStretch(1)
        pl.addLayout(row)
        self.tabs.addTab(people, "Practitioners")

        report = QWidget(self.tabs)
        self.report = QTextBrowser(report)
        self.report.setObjectName("agreementReport")
        self.report_button = QPushButton("Work out the report", report)
        self.report_button.setObjectName("workOutReport")
        rl = QVBoxLayout(report)
        rl.addWidget(self.report, 1)
        row = QHBoxLayout()
        row.addWidget(self.report_button)
        row.addStretch(1)
        rl.addLayout(row)
        self.tabs.addTab(report, "Report")
        self.tabs.setEnabled(False)

        right = QWidget(self)
        rl2 = QVBoxLayout(right)
        rl2.setContentsMargins(0, 0, 0, 0)
        rl2.addWidget(self.heading)
        rl2.addWidget(self.tabs, 1)
        outer = QSplitter(Qt.Orientation.Horizontal, self)
        outer.setChildrenCollapsible(False)
        outer.addWidget(left)
        outer.addWidget(right)
        outer.setStretchFactor(1, 4)
        outer.setSizes([230, 900])
        left.setMinimumWidth(150)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(outer)

        self.new_button.clicked.connect(self.new_requested)
        self.exercises.itemClicked.connect(
            lambda item: self.exercise_chosen.emit(int(item.data(_ID))))
        self.exercises.itemActivated.connect(
            lambda item: self.exercise_chosen.emit(int(item.data(_ID))))
        self.vignettes.itemClicked.connect(
            lambda item: self.vignette_chosen.emit(int(item.data(_ID))))
        self.add_button.clicked.connect(self.add_vignette_requested)
        self.save_button.clicked.connect(self.save_vignette_requested)
        self.assign_button.clicked.connect(self.assign_requested)
        self.report_button.clicked.connect(self.report_requested)

    def set_exercises(self, exercises: list[ExerciseInfo], current: int | None) -> None:
        """List the exercises, newest first."""
        self.exercises.clear()
        for e in exercises:
            item = QListWidgetItem(f"{e.title}\n{e.vignettes} vignettes · "
                                   f"{len(e.practitioners)} practitioners · {e.submitted} "
                                   "submitted")
            item.setData(_ID, e.id)
            self.exercises.addItem(item)
            if e.id == current:
                self.exercises.setCurrentItem(item)

    def show_exercise(self, exercise: ExerciseInfo, vignettes: list[VignetteInfo],
                      practitioners: list[str]) -> None:
        """Fill the tabs for one exercise."""
        self.heading.setText(f"{exercise.title} (exercise {exercise.id}; scored with "
                             f"{exercise.model_id} {exercise.model_version})")
        self.vignettes.clear()
        for v in vignettes:
            item = QListWidgetItem(f"{v.position}. {v.title} ({v.submitted} submitted)")
            item.setData(_ID, v.id)
            self.vignettes.addItem(item)
        self.practitioners.clear()
        for name in practitioners:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            assigned = name in exercise.practitioners
            item.setCheckState(Qt.CheckState.Checked if assigned else Qt.CheckState.Unchecked)
            if assigned:  # assignments stay: the practice screenings are theirs
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
                item.setText(f"{name} (assigned)")
            item.setData(_ID, name)
            self.practitioners.addItem(item)
        self.tabs.setEnabled(True)

    def ticked(self) -> list[str]:
        """Practitioners ticked and not yet assigned."""
        out = []
        for i in range(self.practitioners.count()):
            item = self.practitioners.item(i)
            if (item.checkState() == Qt.CheckState.Checked
                    and item.flags() & Qt.ItemFlag.ItemIsUserCheckable):
                out.append(str(item.data(_ID)))
        return out


class AgreementWindow(QMainWindow):
    """The manager's agreement exercises window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("RiskScreen – agreement exercises")
        self.view = AgreementView(self)
        self.banner = MessageBanner()
        banner_over(self, self.banner, self.view)
        fit_to_screen(self, 1200, 720)

    def show_message(self, text: str) -> None:
        """A problem in plain words, shown in the banner until dismissed (never a modal box,
        so nothing waits on it)."""
        self.banner.show_message(text)


class AgreementController(QObject):
    """A manager's agreement exercises: make one, write vignettes, assign, read the report."""

    changed = Signal()
    reported = Signal(object)

    def __init__(self, session: Session, window: AgreementWindow | None = None) -> None:
        super().__init__()
        self.session = session
        self.window = window or AgreementWindow()
        self.view = self.window.view
        self.exercise: ExerciseInfo | None = None
        self.vignettes: list[VignetteInfo] = []
        self.vignette_id: int | None = None
        v = self.view
        v.new_requested.connect(self._on_view_new_requested)
        v.exercise_chosen.connect(self.open_exercise)
        v.vignette_chosen.connect(self._on_view_vignette_chosen)
        v.add_vignette_requested.connect(self._on_view_add_vignette_requested)
        v.save_vignette_requested.connect(self._on_view_save_vignette_requested)
        v.assign_requested.connect(self._on_view_assign_requested)
        v.report_requested.connect(self._on_view_report_requested)

    def _show(self, text: str) -> None:
        self.window.show_message(text)

    def start(self) -> None:
        """List the exercises (and check the role: a refusal is said at once)."""
        self.session.agreement.exercises()
        self.refresh()

    def refresh(self) -> None:
        """Read the exercises again, and the one open."""
        current = None if self.exercise is None else self.exercise.id
        QueryOp(self.session.agreement.exercises, show=self._show,
                what="exercise list").success(
            lambda rows: self.view.set_exercises(rows, current)).run_in_background()
        if current is not None:
            self.open_exercise(current)

    def create(self, title: str, instrument: str = "cse-screening") -> None:
        """Make a new exercise of an instrument in use and open it."""
        def made(info: ExerciseInfo) -> None:
            self.exercise = info
            self.refresh()
            self.changed.emit()

        ChangeOp(lambda: self.session.agreement.create_exercise(title, instrument),
                 show=self._show,
                 what="exercise create").success(made).run_in_background()

    def open_exercise(self, exercise_id: int) -> None:
        """Show one exercise's vignettes and practitioners."""
        def work() -> Any:
            info, vignettes = self.session.agreement.exercise(exercise_id)
            return info, vignettes, self.session.agreement.practitioners()

        def done(found: Any) -> None:
            info, vignettes, people = found
            if self.exercise is None or self.exercise.id != info.id:
                self.view.report.clear()
                self._clear_editor()
            self.exercise, self.vignettes = info, vignettes
            self.view.show_exercise(info, vignettes, people)

        QueryOp(work, show=self._show, what="exercise open").success(done).run_in_background()

    def _clear_editor(self) -> None:
        self.vignette_id = None
        v = self.view
        v.vignette_title.clear()
        v.vignette_dob.set_date(None)
        v.vignette_text.clear()
        v.save_button.setEnabled(False)

    def _on_view_new_requested(self) -> None:
        title, ok = QInputDialog.getText(self.window, "New agreement exercise",
                                         "What is the exercise called?")
        if not ok or not title.strip():
            return
        offered = self.session.instruments.in_force()
        if len(offered) <= 1:
            self.create(title, offered[0].id if offered else "cse-screening")
            return
        titles = [i.title for i in offered]
        chosen, ok = QInputDialog.getItem(self.window, "New agreement exercise",
                                          "Which instrument are the vignettes screened with?",
                                          titles, 0, False)
        if ok and chosen in titles:
            self.create(title, offered[titles.index(chosen)].id)

    def _on_view_vignette_chosen(self, vignette_id: int) -> None:
        found = next((x for x in self.vignettes if x.id == vignette_id), None)
        if found is None:
            return
        self.vignette_id = found.id
        v = self.view
        v.vignette_title.setText(found.title)
        v.vignette_dob.set_date(found.date_of_birth)
        v.vignette_text.setPlainText(found.text)
        v.save_button.setEnabled(found.submitted == 0)

    def _vignette_fields(self) -> tuple[str, str, date | None] | None:
        """The editor's title, text and date of birth; None (and the problem said) when the
        date typed is not one."""
        v = self.view
        typed = v.vignette_dob.line.text().strip()
        dob = v.vignette_dob.value()
        if typed and dob is None:
            self._show(date_problem(typed) or FORMAT_ADVICE)
            v.vignette_dob.setFocus()
            return None
        return v.vignette_title.text(), v.vignette_text.toPlainText(), dob

    def _on_view_add_vignette_requested(self) -> None:
        fields = self._vignette_fields()
        if self.exercise is None or fields is None:
            return
        exercise_id = self.exercise.id
        title, text, dob = fields

        def added(_info: VignetteInfo) -> None:
            self._clear_editor()
            self.refresh()
            self.changed.emit()

        ChangeOp(lambda: self.session.agreement.add_vignette(exercise_id, title, text,
                                                             dob),
                 show=self._show, what="vignette add").success(added).run_in_background()

    def _on_view_save_vignette_requested(self) -> None:
        vignette_id = self.vignette_id
        fields = self._vignette_fields()
        if vignette_id is None or fields is None:
            return
        title, text, dob = fields

        def saved(_info: VignetteInfo) -> None:
            self.refresh()
            self.changed.emit()

        ChangeOp(lambda: self.session.agreement.edit_vignette(vignette_id, title, text,
                                                              dob),
                 show=self._show, what="vignette edit").success(saved).run_in_background()

    def _on_view_assign_requested(self) -> None:
        if self.exercise is None:
            return
        exercise_id, names = self.exercise.id, self.view.ticked()
        if not names:
            self._show("Tick at least one practitioner who is not assigned yet.")
            return

        def assigned(_info: ExerciseInfo) -> None:
            self.refresh()
            self.changed.emit()

        ChangeOp(lambda: self.session.agreement.assign(exercise_id, names), show=self._show,
                 what="exercise assign").success(assigned).run_in_background()

    def _on_view_report_requested(self) -> None:
        if self.exercise is None:
            return
        exercise_id = self.exercise.id
        self.view.report.setHtml("<p>Working out the agreement figures…</p>")

        def done(report: AgreementReport) -> None:
            self.view.report.setHtml(report_html(report))
            self.reported.emit(report)

        QueryOp(lambda: self.session.agreement.report(exercise_id), show=self._show,
                what="agreement report").success(done).run_in_background()
