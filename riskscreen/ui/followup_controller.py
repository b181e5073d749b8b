"""Wires the follow-up widgets (:mod:`riskscreen.ui.followup`) to the services.

Reads run through :class:`~riskscreen.ui.operations.QueryOp`, changes through
:class:`~riskscreen.ui.operations.ChangeOp`; a service's refusal is shown in the dialog or
page that asked, in its own words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget
from shiboken6 import isValid

from riskscreen.forms.model import FormDefinition
from riskscreen.services import Session
from riskscreen.services.errors import StepDownReasonNeeded
from riskscreen.services.types import OverrideRequest, Role
from riskscreen.ui.followup import (
    ChronologyView,
    EpisodeDialog,
    ReturnDialog,
    RhiDialog,
    StepDownDialog,
)
from riskscreen.ui.history import HistoryView
from riskscreen.ui.home import HomeView
from riskscreen.ui.operations import ChangeOp, QueryOp
from riskscreen.ui.screening import ScreeningView

__all__ = ["FollowupController"]


class _App(Protocol):
    """What this needs of the application controller."""

    session: Session | None
    home_view: HomeView
    history_view: HistoryView

    @property
    def window(self) -> Any: ...

    def show_history(self, child_id: int) -> None: ...

    def open_screening(self, screening_id: int) -> None: ...


class FollowupController(QObject):
    """Due list, episode log, re-screens, step-down reasons and the chronology."""

    def __init__(self, app: _App, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.chronology_view = ChronologyView(app.window.stack)
        app.window.add_page(self.chronology_view)
        self.dialog: QWidget | None = None
        home, history = app.home_view, app.history_view
        home.due.child_requested.connect(app.show_history)
        history.rescreen_requested.connect(self.start_rescreen)
        history.chronology_requested.connect(self.show_chronology)
        history.episodes.add_requested.connect(self._on_add_requested)
        history.episodes.return_requested.connect(self._on_return_requested)
        history.episodes.rhi_requested.connect(self._on_rhi_requested)
        view = self.chronology_view
        view.back_requested.connect(self._on_chronology_back_requested)
        view.filter_changed.connect(self._on_chronology_filter_changed)
        view.save_requested.connect(self._on_chronology_save_requested)
        view.open_requested.connect(self._on_chronology_open_requested)

    # -- home ----------------------------------------------------------------------------------

    def refresh_due(self) -> None:
        """Fill "Due for review" on the home screen (not for administrators)."""
        session = self.app.session
        panel = self.app.home_view.due
        if session is None or session.user.role == Role.ADMINISTRATOR:
            panel.setVisible(False)
            return
        panel.setVisible(True)
        QueryOp(session.reviews.due, show=self.app.window.show_message, what="due list") \
            .success(lambda items: panel.set_items(items, date.today())
                     if isValid(panel) else None).run_in_background()

    # -- the child's page ----------------------------------------------------------------------

    def child_shown(self, child_id: int) -> None:
        """Fill the episode log of the child page just shown."""
        session = self.app.session
        panel = self.app.history_view.episodes
        if session is None:
            return
        QueryOp(lambda: session.episodes.for_child(child_id),
                show=self.app.window.show_message, what="episode log") \
            .success(lambda found: panel.set_episodes(found, datetime.now())
                     if isValid(panel) else None) \
            .run_in_background()

    def _dialog(self, dialog: Any, work: Callable[[dict[str, Any]], object]) -> None:
        """Show ``dialog``; its values go to ``work`` off the GUI thread; the child page is
        refreshed when it worked, the refusal shown in the dialog when not."""
        child_id = self.app.history_view.child_id
        self.dialog = dialog

        def submitted(values: object) -> None:
            assert isinstance(values, dict)

            def done(_: object) -> None:
                dialog.accept()
                if child_id is not None:
                    self.child_shown(child_id)

            ChangeOp(lambda: work(values), show=dialog.show_error, what="episode") \
                .success(done).run_in_background()

        dialog.submitted.connect(submitted)
        dialog.finished.connect(self._on_dialog_finished)
        dialog.open()

    def _on_dialog_finished(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def _on_add_requested(self) -> None:
        session, child_id = self.app.session, self.app.history_view.child_id
        if session is None or child_id is None:
            return
        self._dialog(EpisodeDialog(self.app.window), lambda v: session.episodes.add(
            child_id, v["missing_from"], v["returned_at"], where_found=v["where_found"],
            reported_by=v["reported_by"]))

    def _episode(self, episode_id: int) -> Any:
        return next((e for e in self.app.history_view.episodes.episodes
                     if e.id == episode_id), None)

    def _on_return_requested(self, episode_id: int) -> None:
        session, episode = self.app.session, self._episode(episode_id)
        if session is None or episode is None:
            return
        self._dialog(ReturnDialog(episode, self.app.window), lambda v: session.episodes
                     .record_return(episode_id, v["returned_at"], where_found=v["where_found"]))

    def _on_rhi_requested(self, episode_id: int) -> None:
        session, episode = self.app.session, self._episode(episode_id)
        if session is None or episode is None:
            return
        self._dialog(RhiDialog(episode, self.app.window), lambda v: session.episodes
                     .record_rhi(episode_id, v["status"], v["at"], v["note"]))

    # -- re-screens ----------------------------------------------------------------------------

    def start_rescreen(self, child_id: int) -> None:
        """A new draft from the child's last finalised screening, opened at once."""
        session = self.app.session
        if session is None:
            return
        ChangeOp(lambda: session.screenings.start(child_id, rescreen=True),
                 show=self.app.window.show_message, what="re-screen") \
            .success(lambda sid: self.app.open_screening(int(sid))).run_in_background()

    def screening_opened(self, screening_id: int, form: FormDefinition, view: ScreeningView,
                         editable: bool) -> None:
        """Show the carried-over answers still to confirm on a screening just opened."""
        session = self.app.session
        if session is None:
            return

        def confirm(questions: list[str]) -> None:
            ChangeOp(lambda: session.reviews.confirm(screening_id, questions),
                     show=self.app.window.show_message, what="confirm answers") \
                .success(lambda _: self._load_carried(screening_id, form, view, editable)) \
                .run_in_background()

        view.carried.confirm_requested.connect(confirm)
        view.carried.question_requested.connect(view.questionnaire.show_question)
        self._load_carried(screening_id, form, view, editable)

    def _load_carried(self, screening_id: int, form: FormDefinition, view: ScreeningView,
                      editable: bool) -> None:
        session = self.app.session
        if session is None:
            return

        def show(info: object) -> None:
            if isValid(view.carried):  # the screening may have been closed meanwhile
                view.carried.set_info(info, form, editable)  # type: ignore[arg-type]

        QueryOp(lambda: session.reviews.rescreen_info(screening_id),
                show=self.app.window.show_message, what="carried answers") \
            .success(show).run_in_background()

    def refresh_carried(self, screening_id: int, form: FormDefinition, view: ScreeningView,
                        editable: bool) -> None:
        """Show again what is still to confirm (after answers were saved)."""
        self._load_carried(screening_id, form, view, editable)

    def finalise_refused(self, error: BaseException, screening_id: int,
                         override: OverrideRequest | None,
                         finalise: Callable[[str], None]) -> bool:
        """A step down without a reason: ask for one, then ``finalise(reason)``; True if
        this was that refusal."""
        if not isinstance(error, StepDownReasonNeeded):
            return False
        dialog = StepDownDialog(str(error), self.app.window)
        self.dialog = dialog

        def given(reason: str) -> None:
            if len(reason.split()) < 3:
                dialog.show_error("Say in a sentence why the level is lower now.")
                return
            dialog.accept()
            finalise(reason)

        dialog.submitted.connect(given)
        dialog.finished.connect(self._on_dialog_finished)
        dialog.open()
        return True

    # -- chronology ----------------------------------------------------------------------------

    def show_chronology(self, child_id: int) -> None:
        """The child's timeline page."""
        session = self.app.session
        if session is None:
            return
        view = self.chronology_view
        kinds = view.kinds()
        name = self.app.history_view.title.text().removeprefix("History: ")

        def show(entries: object) -> None:
            if not isValid(view):
                return
            view.show_entries(child_id, name, entries)  # type: ignore[arg-type]
            self.app.window.show_page(view)

        QueryOp(lambda: session.chronology.entries(child_id, kinds),
                show=self.app.window.show_message, what="chronology") \
            .success(show).run_in_background()

    def _on_chronology_filter_changed(self) -> None:
        if self.chronology_view.child_id is not None:
            self.show_chronology(self.chronology_view.child_id)

    def _on_chronology_back_requested(self) -> None:
        if self.chronology_view.child_id is not None:
            self.app.show_history(self.chronology_view.child_id)

    def _on_chronology_open_requested(self, ref: str) -> None:
        kind, _, ident = ref.partition(":")
        if kind == "screening" and ident.isdigit():
            self.app.open_screening(int(ident))

    def _on_chronology_save_requested(self) -> None:
        session, view = self.app.session, self.chronology_view
        if session is None or view.child_id is None:
            return
        child_id, kinds = view.child_id, view.kinds()
        suggested = str(Path.home() / f"chronology-{child_id}.pdf")
        path, _ = QFileDialog.getSaveFileName(self.app.window, "Save the chronology",
                                              suggested, "PDF files (*.pdf)")
        if path:
            self.save_chronology(Path(path), child_id, kinds)

    def save_chronology(self, path: Path, child_id: int, kinds: Any) -> None:
        """Write the chronology PDF (readable by this account only), in the background."""
        session = self.app.session
        if session is None:
            return
        ChangeOp(lambda: session.chronology.export_pdf(child_id, path, kinds),
                 show=self.app.window.show_message, what="chronology PDF") \
            .success(lambda _: self.app.window.show_message(f"Saved the chronology to {path}.")) \
            .run_in_background()
