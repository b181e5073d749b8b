"""Wiring of the manager's tools: the draft being edited, validation as you type, the
impact analysis in a worker thread, try-out, publishing, import/export and history.

Every call that can take a noticeable time (checking a draft, loading the live impact, the
impact analysis, try-out, publishing, import and export) runs through the background
operations of :mod:`riskscreen.ui.operations`, which also say a service's own message."""

from __future__ import annotations

import copy
import gc
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QTableWidgetItem,
    QTreeWidgetItem,
    QWidget,
)

from riskscreen.dates import show_date, show_moment
from riskscreen.instruments import DEFAULT_INSTRUMENT
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.draft import ModelDraft, PointsCell, WeightCell
from riskscreen.scoring.impact import ImpactReport
from riskscreen.scoring.model import ScoringModel
from riskscreen.services import USER_ERRORS, Session
from riskscreen.services.evidence import CalibrationChange, CalibrationReport, OutcomeCohort
from riskscreen.services.models import (
    DraftProblems,
    FinalisedMark,
    LiveImpact,
    LiveResult,
    ModelRefused,
    TryOut,
    describe_rule,
)
from riskscreen.services.types import ModelInfo
from riskscreen.ui.collector import collect_fully_soon
from riskscreen.ui.manager.live import fill_transition_matrix
from riskscreen.ui.manager.rule_editor import RuleDialog
from riskscreen.ui.manager.views import (
    HistoryView,
    ImpactView,
    ModelEditorView,
    TryOutView,
)
from riskscreen.ui.operations import ChangeOp, QueryOp
from riskscreen.ui.widgets import (
    MessageBanner,
    ShownTabMinimum,
    UprightScroll,
    banner_over,
    fit_to_screen,
)

__all__ = ["ManagerController", "ManagerWindow"]

_KEY = Qt.ItemDataRole.UserRole
UNTOUCHED = ("This draft is a copy of the model in force. Change the weights, thresholds or "
             "rules, say what changed and why in the change note, then publish it.")


class ManagerWindow(QMainWindow):
    """The manager's window: one tab per tool, under a banner for problems; ``closing`` is
    emitted when it closes."""

    closing = Signal()
    #: The window has become the active one again (the manager came back to it).
    activated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("RiskScreen – scoring model and reports")
        self.editor = ModelEditorView()
        self.impact = ImpactView()
        self.try_out = TryOutView()
        self.history = HistoryView()
        self.tabs = ShownTabMinimum()
        self.tabs.addTab(self.editor, "Scoring model draft")
        self.tabs.addTab(self.impact, "Impact analysis")
        self.tabs.addTab(self.try_out, "Try out")
        self.tabs.addTab(self.history, "History")
        self.banner = MessageBanner()
        # A tab taller than a small or scaled screen scrolls up and down inside the window,
        # so the window itself is never taller than the screen.
        self.scroll_area = UprightScroll(self.tabs, name="managerScroll")
        banner_over(self, self.banner, self.scroll_area)
        fit_to_screen(self, 1366, 768)

    def show_message(self, text: str) -> None:
        """A problem in plain words, shown in the banner until dismissed (never a modal box,
        so nothing waits on it)."""
        self.banner.show_message(text)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name, overridden
        """Say when the window becomes the active one again."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self.activated.emit()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name, overridden
        """Say the window is closing, so work still running for it can stop."""
        self.closing.emit()
        super().closeEvent(event)


class _Progress(QObject):
    """Carries progress from the worker to the GUI thread (queued across threads)."""

    progressed = Signal(int, int)


def _assessment_html(a: Assessment) -> str:
    rows = "".join(f"<tr><td>{escape(c.label)}</td><td>{escape(c.answer_label)}</td>"
                   f"<td align='right'>{c.points}</td></tr>"
                   for c in (*a.contributions, *a.protective))
    rules = "".join(f"<li>{escape(r.reason)}</li>" for r in a.rules_fired) or "<li>none</li>"
    return (f"<h3>{escape(a.level_info().name)} – {a.score} points</h3>"
            f"<p>Model {escape(a.model.version)} ({a.model.short_hash})</p>"
            f"<p><b>Rules that set a minimum:</b></p><ul>{rules}</ul>"
            f"<table cellpadding='3'><tr><th align='left'>Question</th>"
            f"<th align='left'>Answer</th><th>Points</th></tr>{rows}</table>")


class ManagerController(QObject):
    """Everything a manager does with the scoring model; the window holds no session."""

    impact_finished = Signal(object)
    live_updated = Signal(object)
    calibration_updated = Signal(object)
    published = Signal(object)
    #: A shared model file was opened as the draft (True) or refused (False).
    imported = Signal(bool)
    #: A try-out was shown (its :class:`TryOut`).
    tried = Signal(object)

    def __init__(self, session: Session, window: ManagerWindow | None = None,
                 instrument: str = DEFAULT_INSTRUMENT) -> None:
        super().__init__()
        #: The signed-in session (the reports tabs are built on it too).
        self.session = session
        self.service = session.models.for_instrument(instrument)
        self.window = window or ManagerWindow()
        self.form = self.service.form()
        self.window.setWindowTitle(f"RiskScreen – {self.form.title}: scoring model and "
                                   "reports")
        #: The draft on screen.
        self.draft: ModelDraft | None = None
        self.model: ScoringModel | None = None
        self.problems: list[str] = []
        self.report: ImpactReport | None = None
        self.running = False
        self._cancel = threading.Event()
        self._progress = _Progress(self)
        self._progress.progressed.connect(self._on_progress_progressed)
        # An edit is checked, and its live impact computed, off the GUI thread once the
        # edits pause; only the newest edit's result is shown.
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(300)
        self._check_timer.timeout.connect(self._check_in_background)
        self._scorable: ScoringModel | None = None
        self.live: LiveImpact | None = None
        self.live_result: LiveResult | None = None
        self._generation = 0
        self._checking = False
        #: Whether the last check shown is of the draft on screen.
        self._checked_now = False
        self._check_again = False
        self._live_cancel = threading.Event()
        self._live_loading = False
        #: Whether this editor froze the objects alive after its load (see _on_live_loaded).
        self._froze = False
        self._calibration_loading = False
        self._calibrating = False
        self._calibrate_again = False
        #: An impact analysis asked for while the screenings were still loading.
        self._impact_waiting = False
        #: What waits for the held screenings to be brought up to date (see
        #: :meth:`bring_up_to_date`), and whether that is under way.
        self._after_fresh: list[Callable[[], None]] = []
        self._freshening = False
        #: When the held screenings were last found to be every finalised one (UTC), and
        #: whether the last attempt to find out failed.
        self.checked_at: datetime | None = None
        self.check_failed = False
        self._impact_as_of = datetime.now(UTC)
        #: Coming back to the window asks again only this long after the last answer.
        self.recheck_after = timedelta(seconds=10)
        #: The question "Publish version …?" while it is open (it never blocks).
        self.confirm_box: QMessageBox | None = None
        #: The children with recorded outcomes, and the model in force's figures on them.
        self.cohort: OutcomeCohort | None = None
        self.calibration_base: CalibrationReport | None = None
        self.calibration_change: CalibrationChange | None = None
        self._calibration_generation = 0
        self._filling = False
        #: Whether the draft on screen has been changed since it was opened.
        self._edited = False
        #: Said over an untouched draft (for example that a version was just published).
        self._untouched_note = UNTOUCHED
        e = self.window.editor
        e.new_draft_requested.connect(self.new_draft)
        e.import_requested.connect(self._on_editor_import_requested)
        e.export_requested.connect(self._on_editor_export_requested)
        e.publish_requested.connect(self._on_editor_publish_requested)
        e.add_rule_requested.connect(self._on_editor_add_rule_requested)
        e.edit_rule_requested.connect(self._on_editor_edit_rule_requested)
        e.remove_rule_requested.connect(self._on_editor_remove_rule_requested)
        e.version.textEdited.connect(self._on_header_edited)
        e.change_note.textChanged.connect(self._on_header_edited)
        e.weights.itemChanged.connect(self._on_weights_item_changed)
        e.levels.cellChanged.connect(self._on_levels_cell_changed)
        e.max_reduction.valueChanged.connect(self._on_max_reduction_value_changed)
        i = self.window.impact
        i.run_requested.connect(self.run_impact)
        i.cancel_requested.connect(self.cancel_impact)
        i.change_selected.connect(self._on_impact_change_selected)
        self.window.try_out.try_requested.connect(self.try_screening)
        self.window.history.diff_requested.connect(self._on_history_diff_requested)
        self.window.closing.connect(self._on_window_closing)
        self.window.activated.connect(self._on_window_activated)

    def _error(self, error: BaseException) -> None:
        if isinstance(error, USER_ERRORS):
            self._warn(str(error))
        else:
            raise error

    def _warn(self, message: str) -> None:
        """Say a problem in the window's banner. Background operations are given the window's
        own ``show_message``, so an outcome that comes after the window was deleted is
        dropped instead of reaching its deleted widgets."""
        self.window.show_message(message)

    def _on_window_closing(self) -> None:
        """Stop the work still running for the window: the loading and the analysis."""
        self._live_cancel.set()
        self._cancel.set()
        self._check_timer.stop()
        if self._froze:
            self._froze = False
            gc.unfreeze()
            collect_fully_soon()  # what the editor held is garbage, in the oldest generation
        box, self.confirm_box = self.confirm_box, None
        if box is not None:
            box.reject()

    def _when_checked(self, then: Callable[[], None]) -> None:
        """Call ``then`` once the draft on screen has been checked: at once if the last
        check is of it, else after checking it in the background."""
        if self.draft is None:
            return
        if not self._check_timer.isActive() and self._checked_now:
            then()
            return
        self._check_timer.stop()
        self._generation += 1  # a background check still running is now stale
        service, data = self.service, self.draft.to_data()

        def shown(found: DraftProblems) -> None:
            self._show_check(found)
            self._checked_now = True
            self._update_live()
            then()

        QueryOp(lambda: service.check(data), show=self.window.show_message,
                what="draft check").success(shown).run_in_background()

    def start(self) -> None:
        """Open a draft of the model in force and fill every tab."""
        self.new_draft()
        self.refresh_history()
        self.refresh_screenings()
        self._load_live()

    # -- the draft -------------------------------------------------------------------------------

    def new_draft(self) -> None:
        """The model in force as a new draft (next version proposed)."""
        try:
            info, _ = self.service.in_force()
            self.set_draft(ModelDraft.from_data(self.service.new_draft()),
                           f"{info.model_id} {info.version} (in force, hash "
                           f"{info.sha256[:12]}, published {show_date(info.published_at)})")
        except USER_ERRORS as error:
            self._error(error)

    def set_draft(self, draft: ModelDraft, base: str) -> None:
        """Show a draft in the editor and check it."""
        self.draft = draft
        self._edited = False
        e = self.window.editor
        self._filling = True
        try:
            e.base.setText(base)
            e.version.setText(draft.version)
            e.change_note.setPlainText(draft.change_note)
            self._fill_weights()
            self._fill_levels()
            self._fill_rules()
            e.max_reduction.setValue(draft.max_reduction)
        finally:
            self._filling = False
        self._checked_now = False
        self._check_in_background()

    def _fill_weights(self) -> None:
        draft = self.draft
        assert draft is not None
        tree = self.window.editor.weights
        tree.clear()

        def points_item(words: str, answer: str, cell: PointsCell) -> QTreeWidgetItem:
            item = QTreeWidgetItem([words, answer, ""])
            item.setData(2, Qt.ItemDataRole.EditRole, draft.points(cell))
            item.setData(0, _KEY, cell)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            return item

        for section in self.form.sections:
            qs = [q for q in section.questions if q.id in draft.weights]
            if not qs:
                continue
            top = QTreeWidgetItem([section.title, "", ""])
            tree.addTopLevelItem(top)
            for q in qs:
                qi = QTreeWidgetItem([q.text, q.id, ""])
                qi.setToolTip(0, q.text)
                top.addChild(qi)
                for answer in draft.weights[q.id]:
                    try:
                        label = q.label_of(answer)
                    except (KeyError, ValueError):
                        label = answer
                    qi.addChild(points_item(label, answer, WeightCell(q.id, answer)))
        if draft.banded:
            top = QTreeWidgetItem(["Counted in bands", "", ""])
            tree.addTopLevelItem(top)
            subjects: list[QTreeWidgetItem] = []
            for banded in draft.banded:
                try:
                    title = self.form.question(banded.subject).text
                except KeyError:
                    title = banded.subject
                qi = QTreeWidgetItem([banded.label or title, banded.subject, ""])
                top.addChild(qi)
                subjects.append(qi)
            for cell, band in draft.band_cells():
                subjects[cell.entry].addChild(points_item(band.describe(), "", cell))
        tree.expandAll()
        tree.resizeColumnToContents(1)
        tree.resizeColumnToContents(2)

    def _fill_levels(self) -> None:
        assert self.draft is not None
        table = self.window.editor.levels
        levels = self.draft.levels
        table.setRowCount(len(levels))
        for r, lv in enumerate(levels):
            starts = "" if lv.starts_at is None else lv.starts_at
            for c, value in enumerate((lv.id, lv.name, lv.colour, starts)):
                item = QTableWidgetItem()
                if c == 3 and isinstance(value, int):
                    item.setData(Qt.ItemDataRole.EditRole, value)
                else:
                    item.setText(str(value))
                if c in (0, 2) or (c == 3 and r == 0):
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                table.setItem(r, c, item)

    def _fill_rules(self) -> None:
        assert self.draft is not None
        rules = self.window.editor.rules
        rules.clear()
        names = self.draft.level_names()
        for rule in self.draft.rules:
            rules.addItem(describe_rule(rule, names, self.form))

    # -- edits -----------------------------------------------------------------------------------

    def _changed(self) -> None:
        if not self._filling:
            self._checked_now = False
            self._edited = True
            self._untouched_note = UNTOUCHED
            self._check_timer.start()

    def _on_header_edited(self, *_: object) -> None:
        if self.draft is None or self._filling:
            return
        self.draft.version = self.window.editor.version.text().strip()
        self.draft.change_note = self.window.editor.change_note.toPlainText().strip()
        self._changed()

    def _on_weights_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        cell = item.data(0, _KEY)
        if self.draft is None or self._filling or column != 2 or cell is None:
            return
        value = item.data(2, Qt.ItemDataRole.EditRole)
        if isinstance(value, int):  # the cell's editor is a spin box: always a number
            self.draft.set_points(cell, value)
            self._changed()

    def _on_levels_cell_changed(self, row: int, column: int) -> None:
        if self.draft is None or self._filling:
            return
        item = self.window.editor.levels.item(row, column)
        if item is None:
            return
        level = self.draft.levels[row]
        if column == 1:
            level.name = item.text()
        elif column == 3 and level.starts_at is not None:
            value = item.data(Qt.ItemDataRole.EditRole)
            level.starts_at = int(value) if str(value).lstrip("-").isdigit() else str(value)
        self._fill_rules()
        self._changed()

    def _on_max_reduction_value_changed(self, value: int) -> None:
        if self.draft is not None and not self._filling:
            self.draft.max_reduction = value
            self._changed()

    def _rule_dialog(self, rule: dict[str, Any]) -> dict[str, Any] | None:
        assert self.draft is not None
        levels = [(lv.id, lv.name) for lv in self.draft.levels]
        dialog = RuleDialog(rule, levels, self.form, self.window)
        if dialog.exec() != RuleDialog.DialogCode.Accepted:
            return None
        return dialog.rule()

    def _on_editor_add_rule_requested(self) -> None:
        if self.draft is None:
            return
        first = next(iter(self.form.questions())).id
        rule = self._rule_dialog({"id": "new_rule", "minimum": self.draft.levels[1].id,
                                  "reason": "", "source": "",
                                  "when": {"all": [{"present": {"question": first}}]}})
        if rule is not None:
            self.draft.rules.append(rule)
            self._fill_rules()
            self._changed()

    def _on_editor_edit_rule_requested(self, index: int) -> None:
        if self.draft is None:
            return
        rule = self._rule_dialog(copy.deepcopy(self.draft.rules[index]))
        if rule is not None:
            self.draft.rules[index] = rule
            self._fill_rules()
            self._changed()

    def _on_editor_remove_rule_requested(self, index: int) -> None:
        if self.draft is not None:
            del self.draft.rules[index]
            self._fill_rules()
            self._changed()

    def validate(self) -> list[str]:
        """Check the draft now, on the GUI thread (before publishing, trying out or an
        impact analysis); edits are checked in the background as they are made."""
        self._check_timer.stop()
        if self.draft is None:
            return []
        self._generation += 1  # a background check still running is now stale
        found = self.service.check(self.draft.to_data())
        self._show_check(found)
        self._checked_now = True
        self._update_live()
        return self.problems

    def _show_check(self, found: DraftProblems) -> None:
        self.model, self.problems, self._scorable = found.model, found.problems, found.scorable
        if found.only_change_note and not self._edited:
            self.window.editor.show_untouched(self._untouched_note)
        else:
            self.window.editor.show_problems(found.plain, found.problems)

    # -- live impact ------------------------------------------------------------------------------

    def _load_live(self, waiting: str = "Loading the finalised screenings…") -> None:
        """Load every finalised screening as columns off the GUI thread (when the editor
        opens, and again when some were finalised since); each edit is then one batch
        re-score."""
        service, cancel = self.service, self._live_cancel
        self.window.editor.live.show_waiting(waiting)

        def work() -> LiveImpact | None:
            return service.live_impact(cancelled=cancel.is_set)

        def not_loaded(message: str) -> None:
            self._live_loading = False
            if self.live is None:
                self.window.editor.live.show_waiting("The finalised screenings could not be "
                                                     "loaded, so the live impact is not "
                                                     "shown.")
            else:  # a reload: the figures shown stay, and say how old they are
                self.check_failed = True
                self._show_live_result()
            self._warn(message)
            self._after_live()
            self._freshened()

        self._live_loading = True
        QueryOp(work, show=not_loaded, what="live impact") \
            .success(self._on_live_loaded).run_in_background()

    def _after_live(self) -> None:
        """Once the screenings are loaded (or could not be): read the outcomes, which waited
        so as not to slow that load down, and start an impact analysis that waited for it
        (the outcomes are then read once it is over)."""
        if self._impact_waiting:
            self._set_running(False)
            self._impact_waiting = False
            self._start_impact()
        if self.cohort is None and not self.running and not self._calibration_loading:
            self._load_calibration()

    def _on_live_loaded(self, result: LiveImpact | None) -> None:
        self._live_loading = False
        if result is None:  # cancelled: the window closed meanwhile
            return
        self.live = result
        if result.mark is not None:
            self.checked_at, self.check_failed = result.mark.at, False
        self._after_live()
        self._freshened()
        # What is alive now lives as long as the editor: keep the cycle collector from
        # walking it on every full pass, which otherwise freezes the window for 100 ms+.
        # No collection first: over 100,000 held screenings a full pass blocks the window
        # for 150 ms. Garbage frozen with the rest waits for the window's closing, which
        # unfreezes it all again, so it and the editor itself can go.
        gc.freeze()
        self._froze = True
        if self._checking or self._check_timer.isActive():
            return  # the pending check shows the figures
        self._update_live()

    # -- keeping the held screenings up to date -------------------------------------------------

    def bring_up_to_date(self, then: Callable[[], None] | None = None) -> None:
        """Ask whether screenings were finalised (by anyone) since the held ones were read,
        with one cheap count off the GUI thread; if so, read them all again; then call
        ``then``. Never more than one of these runs at once; what asks meanwhile waits for
        it. While the first load is still running, that load is what ``then`` waits for."""
        if then is not None:
            self._after_fresh.append(then)
        if self._freshening or self._live_loading:
            return  # the run under way, or the first load, calls ``then`` when over
        held = self.live.mark if self.live is not None else None
        if held is None:  # nothing held to bring up to date (the first load failed)
            self._freshened()
            return
        self._freshening = True

        def checked(mark: FinalisedMark) -> None:
            self._freshening = False
            if (mark.count, mark.newest) == (held.count, held.newest):
                self.checked_at, self.check_failed = mark.at, False
                self._show_live_result()
                self._freshened()
                return
            self._load_live(f"Taking in the screenings finalised since "
                            f"{show_moment(held.at)}…")

        def failed(_error: BaseException) -> bool:
            self._freshening = False
            self.check_failed = True
            self._show_live_result()
            self._freshened()
            return True  # the figures say how old they are; nothing to pop up

        QueryOp(self.service.finalised_mark, show=self.window.show_message,
                what="finalised count").success(checked).failure(failed).run_in_background()

    def _freshened(self) -> None:
        """Run what waited for the held screenings to be brought up to date."""
        waiting, self._after_fresh = self._after_fresh, []
        for then in waiting:
            then()

    def _on_window_activated(self) -> None:
        """Back in the editor: take in screenings finalised meanwhile (asked at most once
        every :attr:`recheck_after`)."""
        if self.live is None or self._freshening or self._live_loading:
            return
        if self.checked_at is not None and \
                datetime.now(UTC) - self.checked_at < self.recheck_after:
            return
        self.bring_up_to_date()

    def _show_live_result(self) -> None:
        """Show the last live figures again (with how up to date they are)."""
        if self.live_result is not None and self._scorable is not None:
            self.window.editor.live.show_result(self.live_result, self.checked_at,
                                                stale=self.check_failed)

    def _update_live(self) -> None:
        """Re-score the held screenings with the current valid draft, in the background."""
        if self.live is None or self._checking:
            return
        self._start_check(check=False)

    def _check_in_background(self) -> None:
        if self.draft is None:
            return
        if self._checking:
            self._check_again = True  # run once more when the current one is back
            return
        self._start_check(check=True)

    def _start_check(self, *, check: bool) -> None:
        assert self.draft is not None
        self._generation += 1
        generation = self._generation
        data = self.draft.to_data()
        service, live, model = self.service, self.live, self._scorable

        def work() -> tuple[int, DraftProblems | None, LiveResult | None]:
            found = service.check(data) if check else None
            draft = found.scorable if found is not None else model
            if live is None or draft is None or generation != self._generation:
                return generation, found, None
            return generation, found, live.update(draft)

        QueryOp(work, show=self.window.show_message, what="draft check") \
            .busy(self._set_checking).success(self._on_check_done).run_in_background()

    def _set_checking(self, checking: bool) -> None:
        self._checking = checking

    def _on_check_done(self, result: tuple[int, DraftProblems | None, LiveResult | None]
                       ) -> None:
        generation, found, figures = result
        if self._check_again:
            self._check_again = False
            self._start_check(check=True)
            return
        if self._check_timer.isActive():
            return  # an edit is waiting: its own check shows the problems and figures
        if generation != self._generation:
            # A synchronous check overtook this one: score the draft it left.
            self._update_live()
            return
        if found is not None:
            self._show_check(found)
            self._checked_now = True
        panel = self.window.editor.live
        if figures is not None:
            self.live_result = figures
            panel.show_result(figures, self.checked_at, stale=self.check_failed)
            self.window.editor.below.arrange()
            self.live_updated.emit(figures)
            self._update_calibration()
        elif self._scorable is not None and self.live is not None:
            self._update_live()  # the screenings were loaded while the draft was checked
        elif self._scorable is None:
            panel.show_waiting("Fix the draft's problems to see what it would change.")

    # -- calibration against outcomes -------------------------------------------------------------

    def _load_calibration(self) -> None:
        """Read the children with outcomes once, and the model in force's figures on them
        (their answers from the screenings held for the live impact, when it holds them)."""
        session, form_id, held = self.session, self.form.id, self.live
        panel = self.window.editor.calibration
        self._calibration_loading = True
        panel.show_waiting("Loading the recorded outcomes…")

        def work() -> tuple[OutcomeCohort, CalibrationReport]:
            _, published = self.service.in_force()
            cohort = session.evidence.cohort(form_id, held=held)
            return cohort, session.evidence.calibration(published, cohort=cohort)

        def loaded(result: tuple[OutcomeCohort, CalibrationReport]) -> None:
            self.cohort, self.calibration_base = result
            self._update_calibration()

        def loading(busy: bool) -> None:
            self._calibration_loading = busy

        QueryOp(work, show=panel.show_waiting, what="calibration load").success(loaded) \
            .busy(loading) \
            .unexpected("The recorded outcomes could not be read, so the calibration is not "
                        "shown.").run_in_background()

    def _update_calibration(self) -> None:
        """Score the children with outcomes with the current scorable draft, off the GUI
        thread; only the newest draft's figures are shown. One scoring at a time (each takes
        about a second, mostly the AUC's interval): edits made meanwhile are scored once,
        together, when it is back, so it never holds up the live impact's thread."""
        cohort, base, draft = self.cohort, self.calibration_base, self._scorable
        if cohort is None or base is None or draft is None:
            return
        if self._calibrating:
            self._calibrate_again = True
            return
        self._calibration_generation += 1
        generation = self._calibration_generation
        panel = self.window.editor.calibration

        def work() -> CalibrationChange:
            return CalibrationChange(base, cohort.report(draft, draft=True))

        def done(change: CalibrationChange) -> None:
            if generation != self._calibration_generation:
                return  # a newer draft's figures are on their way
            self.calibration_change = change
            panel.show_change(change)
            self.window.editor.below.arrange()
            self.calibration_updated.emit(change)

        def calibrating(busy: bool) -> None:
            self._calibrating = busy
            if not busy and self._calibrate_again:
                self._calibrate_again = False
                QTimer.singleShot(0, self, self._update_calibration)

        QueryOp(work, show=panel.show_waiting, what="draft calibration").success(done) \
            .busy(calibrating) \
            .unexpected("The draft could not be scored against the outcomes.") \
            .run_in_background()

    # -- publish, import, export ----------------------------------------------------------------

    def _on_editor_publish_requested(self) -> None:
        self._when_checked(lambda: self.bring_up_to_date(self._score_for_publish))

    def _score_for_publish(self) -> None:
        """Score the draft to be published over the screenings just brought up to date, so
        the question asked before publishing gives today's figures."""
        live, model = self.live, self.model
        if self.problems or model is None or self.confirm_box is not None:
            return
        if live is None:
            self._confirm_publish(None)
            return

        def not_scored(_error: BaseException) -> bool:
            self._confirm_publish(None)
            return True

        QueryOp(lambda: live.update(model), show=self.window.show_message,
                what="publish figures").failure(not_scored) \
            .success(self._confirm_publish).run_in_background()

    def publish_figures(self, figures: LiveResult | None) -> str:
        """What the draft changes, as the question before publishing says it: over how many
        finalised screenings, as of when, and whether that could be checked just now."""
        if figures is None:
            return ("What it would change could not be worked out: the finalised screenings "
                    "are not loaded.")
        when = show_moment(figures.as_of) if figures.as_of is not None else "when loaded"
        text = (f"Over the {figures.total:,} finalised screenings as of {when}, "
                f"{figures.level_changed:,} would change level and "
                f"{figures.score_changed:,} would change points.")
        if self.check_failed:
            text += (" RiskScreen could not check for screenings finalised since then, so "
                     "any of those are not counted.")
        return text

    def _confirm_publish(self, figures: LiveResult | None) -> None:
        """Ask before publishing, in a window-modal box that does not block the event loop
        (the answer arrives through its ``finished`` signal); the question says what the
        draft changes over the finalised screenings, and as of when."""
        if self.problems or self.model is None or self.confirm_box is not None:
            return
        buttons = QMessageBox.StandardButton
        box = QMessageBox(
            QMessageBox.Icon.Question, "Publish the scoring model",
            f"Publish version {self.model.version}? New screenings will use it from now on; "
            "screenings already started keep the model they were started with.",
            buttons.Yes | buttons.No, self.window)
        box.setInformativeText(self.publish_figures(figures))
        box.setObjectName("publishConfirm")
        box.setDefaultButton(buttons.No)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered() -> None:
            self.confirm_box = None
            box.deleteLater()
            if box.clickedButton() is box.button(buttons.Yes):
                self.publish()

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()

    def publish(self) -> None:
        """Publish the valid draft in the background (no confirmation: the button asks
        first); :attr:`published` says when it is done."""
        if self.model is None:
            return
        service, model = self.service, self.model
        ChangeOp(lambda: service.publish(model), show=self.window.show_message,
                 what="publishing").busy(self.window.editor.publish_button.setDisabled) \
            .success(self._on_published).run_in_background()

    def _on_published(self, info: ModelInfo) -> None:
        self._untouched_note = (f"✓ Version {info.version} is published: new screenings use it "
                                "from now on. Below is a new draft based on it.")
        self.refresh_history()
        self.new_draft()
        self.window.editor.show_untouched(self._untouched_note)
        self._load_calibration()  # the figures "in force" are now the new version's
        self.published.emit(info)

    def import_text(self, text: str, name: str) -> None:
        """Open a shared YAML model as the draft, read in the background; refuse it with
        every reason if invalid. :attr:`imported` says which."""
        service = self.service

        def refused(error: BaseException) -> bool:
            if isinstance(error, ModelRefused):
                self.window.editor.show_problems(error.plain, error.problems)
                self._warn(f"{error} Nothing was changed.")
            self.imported.emit(False)
            return isinstance(error, ModelRefused)

        def opened(data: dict[str, Any]) -> None:
            self.set_draft(ModelDraft.from_data(data), f"imported from {name}")
            self.imported.emit(True)

        QueryOp(lambda: service.import_yaml(text, name), show=self.window.show_message,
                what="import").failure(refused).success(opened).run_in_background()

    def _on_editor_import_requested(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import a scoring model", "",
                                              "Scoring models (*.yaml *.yml)")
        if path:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                self._warn(f"The file could not be read ({type(error).__name__}); choose "
                           "a scoring model saved as YAML text.")
                return
            self.import_text(text, Path(path).name)

    def _on_editor_export_requested(self) -> None:
        model = self.model
        if model is None:
            self._warn("Fix the draft's problems before exporting it.")
            return
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export the scoring model", f"{model.id}-{model.version}.yaml",
            "Scoring models (*.yaml)")
        if path:
            self.export_to(model, Path(path))

    def export_to(self, model: ScoringModel, path: Path) -> None:
        """Write a model's YAML file in the background (the export is audited)."""
        service = self.service

        def written(error: BaseException) -> str:
            strerror = error.strerror if isinstance(error, OSError) else None
            return f"The file could not be written: {strerror or type(error).__name__}"

        ChangeOp(lambda: path.write_text(service.export_yaml(model), encoding="utf-8"),
                 show=self.window.show_message,
                 what="export").unexpected(written).run_in_background()

    # -- impact -----------------------------------------------------------------------------------

    def run_impact(self) -> None:
        """Start the impact analysis of the valid draft in a worker thread, over the
        finalised screenings brought up to date first."""
        if self.running:
            return
        # Checked again only if an edit is still waiting (a check takes a fifth of a second).
        # While the first load runs, the analysis waits for it (it is up to date).
        self._when_checked(self._start_impact if self.live is None
                           else lambda: self.bring_up_to_date(self._start_impact))

    def _start_impact(self) -> None:
        view = self.window.impact
        if self.running:
            return
        if self.problems or self.model is None:
            view.status.setText("Fix the draft's problems first (see the draft tab).")
            return
        if self.live is None and self._live_loading:
            # The screenings are being loaded for the editor: re-score those, not read them
            # all a second time meanwhile.
            self._impact_waiting = True
            self._set_running(True)
            view.status.setText("Loading the finalised screenings…")
            return
        since: date | None = None
        until: date | None = None
        if view.use_dates.isChecked():
            since = date.fromisoformat(view.since.date().toString("yyyy-MM-dd"))
            until = date.fromisoformat(view.until.date().toString("yyyy-MM-dd"))
        draft = self.model
        self._cancel.clear()
        view.progress.setValue(0)
        view.status.setText("Scoring every finalised screening with both models…")
        service, relay, cancel, held = self.service, self._progress, self._cancel, self.live
        self._impact_as_of = (held.mark.at if held is not None and held.mark is not None
                              else datetime.now(UTC))

        def work() -> ImpactReport:
            return service.impact(draft, since, until, progress=relay.progressed.emit,
                                  cancelled=cancel.is_set, held=held)

        def not_finished(message: str) -> None:
            view.status.setText("The analysis did not finish.")
            self._warn(message)

        QueryOp(work, show=not_finished, what="impact analysis") \
            .busy(self._set_running).success(self._on_impact_done).run_in_background()

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.window.impact.set_running(running)
        if not running and self.cohort is None and not self._live_loading \
                and not self._impact_waiting and not self._calibration_loading:
            self._load_calibration()  # it waited for the analysis

    def cancel_impact(self) -> None:
        """Ask the running analysis to stop (it stops within a few thousand screenings)."""
        if self._impact_waiting:  # not started yet: nothing to stop
            self._impact_waiting = False
            self._set_running(False)
            self.window.impact.status.setText("Cancelled before it started.")
            return
        self._cancel.set()
        self.window.impact.status.setText("Cancelling…")

    def _on_progress_progressed(self, done: int, total: int) -> None:
        bar = self.window.impact.progress
        bar.setMaximum(max(total, 1))
        bar.setValue(min(done, max(total, 1)))

    def _on_impact_done(self, result: ImpactReport) -> None:
        self.report = result
        view = self.window.impact
        names = [result.level_names.get(lv, lv) for lv in result.levels]
        fill_transition_matrix(view.matrix, result.levels, result.level_names, result.matrix)
        view.matrix.verticalHeader().setVisible(True)
        before = [sum(result.matrix.get(lv, {}).values()) for lv in result.levels]
        after = [sum(result.matrix.get(o, {}).get(lv, 0) for o in result.levels)
                 for lv in result.levels]
        view.chart.set_data(names, [("Published model", before), ("Draft", after)])
        names_of = result.level_names
        view.changes_model.set_rows([
            (ch.key, names_of.get(ch.old_level, ch.old_level),
             names_of.get(ch.new_level, ch.new_level), ch.old_score, ch.new_score)
            for ch in result.changes])
        view.detail.clear()
        word = "Cancelled after" if result.cancelled else "Done:"
        view.status.setText(
            f"{word} {result.total:,} screenings finalised by "
            f"{show_moment(self._impact_as_of)} scored; {result.level_changed:,} would change "
            f"level and {result.score_changed:,} would change points"
            + (f"; {len(result.skipped):,} could not be scored" if result.skipped else "")
            + ".")
        if not result.cancelled:
            view.progress.setValue(view.progress.maximum())
        self.impact_finished.emit(result)

    def _on_impact_change_selected(self, row: int) -> None:
        if self.report is None or row >= len(self.report.changes):
            return
        ch = self.report.changes[row]
        names = self.report.level_names
        rows = "".join(
            f"<tr><td>{escape(c.label)}</td><td>{escape(c.answer_label)}</td>"
            f"<td align='right'>{'' if c.old_points is None else c.old_points}</td>"
            f"<td align='right'>{'' if c.new_points is None else c.new_points}</td></tr>"
            for c in ch.contributions)
        rules = "".join(f"<li>now applies: {escape(r)}</li>" for r in ch.rules_added)
        rules += "".join(f"<li>no longer applies: {escape(r)}</li>" for r in ch.rules_removed)
        self.window.impact.detail.setHtml(
            f"<p><b>Screening {escape(ch.key)}</b>: {escape(names.get(ch.old_level, ''))} "
            f"({ch.old_score} points) → {escape(names.get(ch.new_level, ''))} "
            f"({ch.new_score} points)</p><ul>{rules}</ul>"
            "<table cellpadding='3'><tr><th align='left'>Question</th>"
            "<th align='left'>Answer</th><th>Published</th><th>Draft</th></tr>"
            f"{rows}</table>")

    # -- try-out and history ----------------------------------------------------------------------

    def refresh_screenings(self) -> None:
        """The finalised screenings offered for try-out (number, date and level only)."""
        combo = self.window.try_out.screening
        combo.clear()
        try:
            for sid, when, level in self.service.finalised_ids():
                combo.addItem(f"Screening {sid} – {when} – {level}", sid)
        except USER_ERRORS as error:
            self._error(error)

    def try_screening(self, screening_id: int) -> None:
        """Score one screening with the published model and the draft, side by side, in
        the background; :attr:`tried` says when it is shown."""
        self._when_checked(lambda: self._try(screening_id))

    def _try(self, screening_id: int) -> None:
        if self.problems or self.model is None:
            self.window.try_out.draft.setHtml("<p>Fix the draft's problems first.</p>")
            return
        service, model = self.service, self.model
        QueryOp(lambda: service.try_out(screening_id, model), show=self.window.show_message,
                what="try-out").success(self._on_tried).run_in_background()

    def _on_tried(self, result: TryOut) -> None:
        self.window.try_out.published.setHtml(_assessment_html(result.published))
        self.window.try_out.draft.setHtml(_assessment_html(result.draft))
        self.tried.emit(result)

    def refresh_history(self) -> None:
        """The published versions, newest first."""
        view = self.window.history
        try:
            versions = self.service.history()
        except USER_ERRORS as error:
            self._error(error)
            return
        view.table.setRowCount(len(versions))
        view.first.clear()
        view.second.clear()
        for r, m in enumerate(versions):
            for c, value in enumerate((m.version, show_moment(m.published_at),
                                       m.published_by, m.change_note, m.sha256[:16] + "…")):
                item = QTableWidgetItem(value)
                item.setToolTip(m.sha256 if c == 4 else value)
                view.table.setItem(r, c, item)
            view.first.addItem(m.version, m.sha256)
            view.second.addItem(m.version, m.sha256)
        view.table.resizeRowsToContents()
        if len(versions) > 1:
            view.first.setCurrentIndex(1)

    def _on_history_diff_requested(self, first: str, second: str) -> None:
        view = self.window.history
        try:
            rows = self.service.changes(first, second)
        except USER_ERRORS as error:
            self._error(error)
            return
        view.show_changes(view.first.currentText(), view.second.currentText(), rows)
