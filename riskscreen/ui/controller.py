"""The application controller: holds the signed-in session and wires the views to it.

Views lay out widgets and emit facts; this controller calls the services and tells the views
what to show. No widget ever holds a database session. Every service error is shown in plain
words (:data:`riskscreen.services.USER_ERRORS`); anything unexpected goes to the exception
hook, which logs it without personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox
from shiboken6 import isValid

from riskscreen.crypto.keys import KdfParams
from riskscreen.dates import show_clock, show_date
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.gaps import review_gaps
from riskscreen.services import (
    USER_ERRORS,
    OverrideRequest,
    Role,
    ScreeningDetail,
    ScreeningQuery,
    ServiceError,
    Session,
    StaleDraft,
    Status,
    Unlocker,
    create_database,
    default_db_path,
)
from riskscreen.services.server import ServerUnlocker
from riskscreen.services.types import PackageKind
from riskscreen.store.backend import ServerRefused
from riskscreen.summary import ReferralSummary
from riskscreen.summary.build import protective_words
from riskscreen.ui.adapters import level_styles, referral_reference, referral_summary
from riskscreen.ui.collector import install_main_thread_collector
from riskscreen.ui.connect import ConnectView
from riskscreen.ui.connect_controller import ServerConnection
from riskscreen.ui.finalise import AmendReasonDialog, FinaliseView
from riskscreen.ui.followup import answer_words
from riskscreen.ui.followup_controller import FollowupController
from riskscreen.ui.history import HistoryView
from riskscreen.ui.home import HomeView, LevelStyle, ScreeningListModel
from riskscreen.ui.intel_controller import IntelController
from riskscreen.ui.live_score import LiveScore
from riskscreen.ui.main_window import IdleWatcher, MainWindow
from riskscreen.ui.new_screening import NewScreeningView
from riskscreen.ui.operations import ChangeOp, QueryOp
from riskscreen.ui.received_controller import ReceivedController
from riskscreen.ui.referral import ReferralView, pdf_pages, print_images
from riskscreen.ui.referral_record import ReferralRecordController
from riskscreen.ui.screening import ScreeningView
from riskscreen.ui.setup import SetupView, recovery_sheet_html
from riskscreen.ui.unlock import UnlockView
from riskscreen.ui.worker import wait_for_background

__all__ = ["DEFAULT_IDLE_MINUTES", "AppController", "OpenScreening"]

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_IDLE_MINUTES = 5.0
#: How long locking waits for the closing tool windows' saves before it forgets the key.
LOCK_WAIT_MS = 5_000

HELP_TEXT = (
    "Answering: Tab and Shift+Tab move between questions. Y, N and K answer Yes, No and Not "
    "known; N, R, O, B and K answer questions about when something happened; Delete clears "
    "an answer. Ctrl+Z undoes the last answer. F1 on a question shows what to look for.\n\n"
    "Sections: Ctrl+Page Down (or Alt+Right) goes to the next section, Ctrl+Page Up (or "
    "Alt+Left) to the previous one.\n\n"
    "Elsewhere: Ctrl+F searches the list, Ctrl+N starts a new screening, Ctrl+P prints the "
    "referral summary, Ctrl+R lists the referrals received as packages, Ctrl+L locks "
    "RiskScreen. Enter confirms a question, Esc cancels it.")


class OpenScreening:
    """The screening on screen: its detail, form, view and live score, and what of it is saved."""

    def __init__(self, detail: ScreeningDetail, form: FormDefinition, view: ScreeningView,
                 live: LiveScore | None) -> None:
        self.detail = detail
        self.form = form
        self.view = view
        self.live = live
        #: When an answer was last saved, for the save status.
        self.last_saved: datetime | None = max((a.saved_at for a in detail.answers.values()),
                                          default=None)
        #: Answers whose last save failed, with the reason, until a save of them works.
        self.save_errors: dict[str, str] = {}
        #: The draft's version this copy shows: a save from it is refused if someone else
        #: saved meanwhile (see :meth:`AppController._save`).
        self.version = detail.version
        #: While this copy is being replaced after such a refusal: the answers (and evidence)
        #: it still gave out, kept to show the practitioner instead of saved.
        self.refused: dict[str, tuple[Any, Any]] | None = None

    @property
    def id(self) -> int:
        """The screening's number."""
        return self.detail.row.id


@dataclass
class _Stale:
    """A save refused because someone else saved the draft since: what this copy gave out
    (shared with its :attr:`OpenScreening.refused`) and the draft as it is now."""

    screening_id: int
    form: FormDefinition
    refused: dict[str, tuple[Any, Any]]
    reloaded: ScreeningDetail | None
    why: str


class AppController(QObject):
    """Everything the practitioner does, from unlock to printed referral."""

    def __init__(self, db_path: Path | None = None, *, settings: QSettings | None = None,
                 kdf: KdfParams | None = None,
                 sleep: Callable[[float], None] | None = None,
                 auto_backups: bool = True, window: MainWindow | None = None,
                 unlock_view: UnlockView | None = None, server: str | None = None,
                 ca_file: Path | None = None, connect_view: ConnectView | None = None) -> None:
        super().__init__()
        install_main_thread_collector()
        self.db_path = (db_path or default_db_path()).expanduser()
        #: The team server's ``postgresql://`` address when the database is there, not a file.
        self.server = server
        self.settings = settings or QSettings()
        self._kdf = kdf
        self._sleep = sleep
        self._auto_backups = auto_backups
        self.session: Session | None = None
        self.locked_by: str | None = None
        #: Why RiskScreen is locked, in the words the lock screen shows.
        self.locked_why = ""
        self.current: OpenScreening | None = None
        self.summary: ReferralSummary | None = None
        self.levels: dict[str, LevelStyle] = {}
        self.level_order: list[str] = []
        self.list_model: ScreeningListModel | None = None
        self._unlocker: Unlocker | ServerUnlocker | None = None
        self.amend_dialog: AmendReasonDialog | None = None
        #: The message shown after a save was refused because the draft changed elsewhere.
        self.stale_box: QMessageBox | None = None
        #: Such a refusal still to be said (and the draft reloaded) once the call is over.
        self._stale: _Stale | None = None
        #: True while a change runs in the background; locking waits for it.
        self.changing = False
        self._lock_waiting: str | None = None

        # The start-up may have shown these already, before the services were imported.
        self.window = window or MainWindow(self.settings)
        # The Manage menu (managers' and administrators' tools) works on the signed-in session.
        self.window.role_menus.session_provider = lambda: self.session
        self.window.role_menus.on_session_ended = self.sign_out_after_restore
        self._file_identity: object = None
        # Every page lives in the window's stack from the start (the unlock page first, so it
        # is the one shown by default): the window owns them, and they go with it.
        stack = self.window.stack
        self.unlock_view = unlock_view or UnlockView(stack)
        self.home_view = HomeView(stack)
        self.new_view = NewScreeningView(stack)
        self.finalise_view = FinaliseView(stack)
        self.referral_view = ReferralView(stack)
        self.history_view = HistoryView(stack)
        self.referral_record = ReferralRecordController(self.referral_view.record,
                                                        lambda: self.session, self)
        for page in (self.unlock_view, self.home_view, self.new_view, self.finalise_view,
                     self.referral_view, self.history_view):
            self.window.add_page(page)
        #: Due list, episode log, re-screens and the chronology.
        self.followup = FollowupController(self, self)
        #: Referrals received as packages: the list, one referral, the team's steps.
        self.received = ReceivedController(self, self)
        #: Intelligence: items, links between children, the problem profile, submissions.
        self.intel = IntelController(self, self)
        self.setup_view: SetupView | None = None
        minutes = self.settings.value("security/idle_lock_minutes", DEFAULT_IDLE_MINUTES)
        try:
            idle_minutes = float(minutes)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            idle_minutes = DEFAULT_IDLE_MINUTES
        self.idle = IdleWatcher(idle_minutes, self)
        self.idle.stop()
        #: Connecting to the team server first, when the database is there.
        self.connect_view: ConnectView | None = None
        self.connection: ServerConnection | None = None
        if server is not None:
            self.connect_view = connect_view or ConnectView(stack)
            self.window.add_page(self.connect_view)
            self.connection = ServerConnection(server, self.connect_view, self._on_connected,
                                               ca_file=ca_file, sleep=sleep, parent=self)
        self._wire()

    # -- wiring --------------------------------------------------------------------------------

    def _wire(self) -> None:
        w = self.window
        w.lock_action.triggered.connect(self._on_lock_action_triggered)
        w.new_action.triggered.connect(self._on_home_new_requested)
        w.home_action.triggered.connect(self._on_back_to_list)
        w.import_action.triggered.connect(self._on_import_action_triggered)
        w.idle_action.triggered.connect(self._on_idle_action_triggered)
        w.help_action.triggered.connect(self._on_help_action_triggered)
        w.log_action.triggered.connect(self._on_log_action_triggered)
        w.about_action.triggered.connect(self._on_about_action_triggered)
        w.closing.connect(self._on_window_closing)
        self.idle.idle.connect(self._on_idle_idle)
        self.unlock_view.unlock_requested.connect(self._on_unlock_view_unlock_requested)
        self.unlock_view.recovery_requested.connect(self._on_unlock_view_recovery_requested)
        self.home_view.new_requested.connect(self._on_home_new_requested)
        self.home_view.open_requested.connect(self.open_screening)
        self.home_view.history_requested.connect(self.show_history)
        self.home_view.query_changed.connect(self._on_home_query_changed)
        self.new_view.search_changed.connect(self._on_new_search_changed)
        self.new_view.duplicate_check_requested.connect(self._on_new_duplicate_check_requested)
        self.new_view.child_chosen.connect(self.start_screening)
        self.new_view.create_requested.connect(self._on_new_create_requested)
        self.new_view.cancelled.connect(self._on_back_to_list)
        self.finalise_view.finalise_requested.connect(self._on_finalise_finalise_requested)
        self.finalise_view.question_requested.connect(self._on_finalise_question_requested)
        self.finalise_view.back_requested.connect(self._on_finalise_back_requested)
        self.referral_view.print_requested.connect(self._on_referral_print_requested)
        self.referral_view.save_requested.connect(self._on_referral_save_requested)
        self.referral_view.package_requested.connect(self._on_referral_package_requested)
        self.referral_view.back_requested.connect(self._on_finalise_back_requested)
        self.history_view.back_requested.connect(self._on_back_to_list)
        self.history_view.open_requested.connect(self.open_screening)
        self.history_view.new_requested.connect(self.start_screening)

    def _call(self, fn: Callable[[], T], show: Callable[[str], None] | None = None) -> T | None:
        """Run a service call; show a user error in plain words and return None."""
        try:
            return fn()
        except USER_ERRORS as error:
            (show or self.window.show_message)(str(error))
            return None

    def _done(self, fn: Callable[[], None], show: Callable[[str], None] | None = None) -> bool:
        """Run a service call that returns nothing; True if it worked."""
        try:
            fn()
        except USER_ERRORS as error:
            (show or self.window.show_message)(str(error))
            return False
        return True

    # -- start, set-up, unlock, lock -----------------------------------------------------------

    def start(self) -> None:
        """First start: the set-up assistant; afterwards: the unlock screen. A team server's
        database: connecting to it, then the unlock screen (its schema and first
        administrator are made with ``riskscreen server init``)."""
        if self.connection is not None and self.connect_view is not None:
            self.window.show_page(self.connect_view)
            self.connection.start()
        elif self.db_path.exists():
            self.show_unlock()
        else:
            self.show_setup()

    def show_setup(self) -> None:
        """The set-up assistant."""
        self.setup_view = SetupView(self.db_path, self.window.stack)
        self.setup_view.create_requested.connect(self._on_setup_create_requested)
        self.setup_view.print_requested.connect(self._on_setup_print_requested)
        self.setup_view.finished.connect(self._on_setup_finished)
        self.window.show_page(self.setup_view)

    def _on_setup_create_requested(self) -> None:
        view = self.setup_view
        assert view is not None
        admin = (view.admin.name.text().strip(), view.admin.passphrase.text(),
                 view.admin.display_name.text().strip())
        practitioner = None
        if view.make_practitioner.isChecked():
            practitioner = (view.practitioner.name.text().strip(),
                            view.practitioner.passphrase.text(),
                            view.practitioner.display_name.text().strip())
        db_path, kdf = self.db_path, self._kdf

        def work() -> str:
            session, recovery = create_database(db_path, admin[0], admin[1],
                                                display_name=admin[2], kdf=kdf)
            try:
                if practitioner is not None:
                    session.accounts.create(practitioner[0], Role.PRACTITIONER, practitioner[1],
                                        display_name=practitioner[2])
            finally:
                session.close()
            return recovery

        ChangeOp(work, show=view.show_error, what="set-up").busy(view.set_busy) \
            .unexpected("The database could not be created. Check that the folder can be "
                        "written to, then try again.") \
            .success(self._on_setup_created).run_in_background()

    def _on_setup_print_requested(self) -> None:
        view = self.setup_view
        if view is None or not view.key:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName("RiskScreen recovery key")
        dialog = QPrintDialog(printer, self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        document = QTextDocument()
        document.setHtml(recovery_sheet_html(view.key, self.db_path,
                                             show_date(date.today())))
        document.print_(printer)
        view.status.setText("The recovery key was sent to the printer. Check the page is "
                            "clear before you tick the box.")

    def _on_setup_created(self, recovery: str) -> None:
        assert self.setup_view is not None
        self.setup_view.show_recovery_key(recovery)

    def _on_setup_finished(self) -> None:
        view = self.setup_view
        assert view is not None
        name = (view.practitioner.name.text().strip() if view.make_practitioner.isChecked()
                else view.admin.name.text().strip())
        view.forget_recovery_key()
        self.setup_view = None
        self.show_unlock()
        self.unlock_view.name.setText(name)
        self.unlock_view.passphrase.setFocus()
        view.deleteLater()

    def _on_connected(self, unlocker: ServerUnlocker, note: str) -> None:
        self._unlocker = unlocker
        self.unlock_view.set_server(unlocker.location.display())
        self.show_unlock()
        if note:
            self.window.statusBar().showMessage(note, 15_000)

    def show_unlock(self) -> None:
        """The unlock screen (no child's data is visible on it)."""
        self.unlock_view.set_locked(self.locked_by, self.locked_why)
        self.window.set_role(None)
        self.window.set_signed_in(False)
        self.window.show_page(self.unlock_view)

    def _on_unlock_view_unlock_requested(self, name: str, passphrase: str) -> None:
        unlocker = self._current_unlocker()
        self._unlock_op(lambda: unlocker.unlock(name, passphrase)) \
            .success(self._on_unlocked).run_in_background()

    def _on_unlock_view_recovery_requested(self, name: str, recovery_key: str,
                                           new_passphrase: str) -> None:
        unlocker, kdf = self._current_unlocker(), self._kdf
        if not isinstance(unlocker, Unlocker):  # a team server has no recovery key
            return
        self._unlock_op(
            lambda: unlocker.unlock_with_recovery(recovery_key, name, new_passphrase, kdf)) \
            .success(self._on_recovered).run_in_background()

    def _unlock_op(self, work: Callable[[], Session]) -> QueryOp[Session]:
        """Unlocking (Argon2, and the delay after wrong guesses), off the GUI thread."""
        def refused(error: BaseException) -> bool:
            # The server no longer takes the database password: ask for it again there.
            if isinstance(error, ServerRefused) and self.connection is not None \
                    and self.connect_view is not None:
                self.unlock_view.set_busy(False)
                self.window.show_page(self.connect_view)
                self.connection.ask_password(str(error))
                return True
            return False

        return QueryOp(work, show=self.unlock_view.show_error, what="unlock") \
            .busy(self.unlock_view.set_busy).failure(refused) \
            .unexpected("RiskScreen could not open the database. Ask your administrator "
                        "for help.")

    def _on_recovered(self, session: Session) -> None:
        self.unlock_view.show_recovery(False)  # forget the key and the new passphrase
        self._on_unlocked(session)
        self.window.statusBar().showMessage(
            "Your new passphrase is set; use it from now on.", 15_000)

    def _current_unlocker(self) -> Unlocker | ServerUnlocker:
        if isinstance(self._unlocker, ServerUnlocker):
            return self._unlocker
        if self._unlocker is None or self._unlocker.db_path != self.db_path.resolve():
            # The day's automatic backup of a large database takes a while: it runs in the
            # background after unlocking (see _on_unlocked), never inside the unlock itself.
            kwargs: dict[str, Any] = {"auto_backups": False}
            if self._sleep is not None:
                kwargs["sleep"] = self._sleep
            self._unlocker = Unlocker(self.db_path, **kwargs)
        return self._unlocker

    def _on_unlocked(self, session: Session) -> None:
        self.unlock_view.set_busy(False)
        self.unlock_view.passphrase.clear()
        resumed = self.locked_by is not None and session.user.name == self.locked_by
        replaced = (self._file_identity is not None
                    and session.file_identity != self._file_identity)
        self._file_identity = session.file_identity
        self.session = session
        self.locked_by = None
        self._show_signed_in(session)
        self.window.set_role(session.user.role)
        self.window.set_signed_in(True)
        self.intel.signed_in(session)
        self.window.hide_message()
        if replaced and self.current is not None:
            # The screening on screen belongs to the database that was set aside: never
            # save into the restored one (its numbers may now mean another screening).
            resumed = False
            self._discard_screening()
            self.window.show_message(
                "A backup was restored while RiskScreen was locked, so the screening you had "
                "open was closed. What was saved before the restore is kept in the set-aside "
                "copy of the database; your administrator can help.")
        minutes = self._call(lambda: session.settings.idle_lock_minutes())
        if minutes is not None:
            self.idle.set_minutes(minutes)
        self.idle.restart()
        if session.user.role == Role.ADMINISTRATOR:
            self.window.show_message(
                "You are signed in as an administrator. For privacy, administrators cannot see "
                "screenings; sign in with a practitioner or manager account to complete one.")
        # An analyst screens no child: no scoring model, so no level styles to fetch.
        self.levels, self.level_order = (self._call(lambda: level_styles(session))
                                         if session.user.role != Role.ANALYST else None
                                         ) or ({}, [])
        if self._auto_backups:
            QueryOp(session.maintenance.automatic_backup, show=self._show_backup_failure,
                    what="automatic backup") \
                .unexpected(lambda error: type(error).__name__) \
                .success(self._on_backup_done).run_in_background()
        if resumed and self.current is not None:
            self.window.show_page(self.current.view)
            self._show_stale()  # a save refused while locking is said now
            return
        self._stale = None  # another person's sign-in never sees what was refused
        self._close_screening()
        self.show_home()

    def _show_signed_in(self, session: Session | None) -> None:
        """Name whoever is signed in now (nobody while locked), on every page that says it."""
        if session is None:
            self.home_view.greeting.clear()
            self.window.setWindowTitle("RiskScreen")
            return
        who = session.user.display_name or session.user.name
        self.home_view.greeting.setText(f"Signed in as {who}")
        self.window.setWindowTitle(f"RiskScreen — {who}")

    def _on_backup_done(self, made: object) -> None:
        if made:
            self.window.statusBar().showMessage("Today's automatic backup has been made.", 10_000)

    def _show_backup_failure(self, text: str) -> None:
        self.window.show_message(
            f"Today's automatic backup could not be made ({text}). Your work is saved as "
            "usual; tell your administrator so they can check the backups folder.")

    def lock(self, why: str = "") -> None:
        """Save what is being typed, forget the key, and show the unlock screen, which says
        ``why`` (for example "Locked after 5 minutes without use.").

        The open screening's widgets stay as they are (hidden), so nothing typed is lost; the
        same account carries on after unlocking.
        """
        if self.session is None:
            return
        if self.changing:  # lock once the change in progress is over, never mid-way
            self._lock_waiting = why
            return
        user = self.session.user
        self.locked_why = why or f"Locked by {user.display_name or user.name}."
        if self.current is not None:
            self.current.view.questionnaire.flush()
        # The tool windows save what was typed in them as they close: in the background, so
        # the session stays open until those saves are over (a few milliseconds).
        self.window.role_menus.close_tools()
        wait_for_background(LOCK_WAIT_MS)
        self.locked_by = self.session.user.name
        self.session.close()
        self.session = None
        self._show_signed_in(None)
        # Pages other than the open screening are rebuilt after unlocking; empty them now.
        self._forget_list()
        self.history_view.table.setRowCount(0)
        self.new_view.reset()
        self.referral_view.forget_password()
        self.referral_record.clear()
        self.received.clear()
        self.intel.clear()
        self.idle.stop()
        self.show_unlock()

    def sign_out_after_restore(self) -> None:
        """A restore ended the session: sign out fully (a fresh sign-in, not a lock)."""
        if self.session is not None:
            self.session.close()
        self.session = None
        self.locked_by = None
        self._discard_screening()
        self._forget_list()
        self.history_view.table.setRowCount(0)
        self.new_view.reset()
        self.referral_record.clear()
        self.received.clear()
        self.intel.clear()
        self.idle.stop()
        self.show_unlock()
        self.window.show_message("A backup was restored. Everyone must sign in again.")

    def _on_lock_action_triggered(self) -> None:
        self.lock()

    def _on_idle_idle(self) -> None:
        log.info("locking after idle time")
        minutes = self.idle.minutes
        shown = f"{minutes:g} minute{'' if minutes == 1 else 's'}"
        self.lock(f"Locked after {shown} without use.")

    def _on_idle_action_triggered(self) -> None:
        session = self.session
        if session is None:
            return
        limit = self._call(lambda: session.settings.idle_lock_limit())
        if limit is None:
            return
        minutes, ok = QInputDialog.getInt(
            self.window, "Lock automatically",
            f"Lock RiskScreen after this many minutes without use (1 to {limit}; your "
            "administrator sets the longest time):",
            max(1, min(int(self.idle.minutes), limit)), 1, limit)
        if ok and self._call(lambda: session.settings.set_idle_lock_minutes(minutes)) is not None:
            self.settings.setValue("security/idle_lock_minutes", minutes)
            self.idle.set_minutes(minutes)
            self.window.statusBar().showMessage(
                f"RiskScreen now locks after {minutes} minute{'' if minutes == 1 else 's'} "
                "without use.", 8_000)

    def _on_help_action_triggered(self) -> None:
        current = self.current
        if (current is not None and self.window.stack.currentWidget() is current.view
                and current.view.questionnaire.toggle_focused_help()):
            return
        QMessageBox.information(self.window, "Help and keyboard shortcuts", HELP_TEXT)

    def _on_log_action_triggered(self) -> None:
        from riskscreen.ui.app import log_path

        QMessageBox.information(self.window, "Problem log",
                                "If something goes wrong, a note without any personal "
                                f"information is written to:\n{log_path()}")

    def _on_about_action_triggered(self) -> None:
        from riskscreen import __version__

        QMessageBox.about(self.window, "About RiskScreen",
                          f"RiskScreen {__version__}\nChild sexual exploitation risk "
                          "screening for every agency. It supports professional judgement "
                          "and local safeguarding procedures; it never replaces them.")

    def _on_window_closing(self) -> None:
        if self.current is not None:
            self.current.view.questionnaire.flush()
            self._save_splitters()
        if self.session is not None:
            self.session.close()
            self.session = None

    # -- home ----------------------------------------------------------------------------------

    def show_home(self) -> None:
        """The list of screenings."""
        session = self.session
        if session is None:
            return
        if session.user.role == Role.ADMINISTRATOR:
            self.window.show_page(self.home_view)
            self.home_view.table.setModel(None)
            return
        if session.user.role == Role.ANALYST:  # an analyst screens no child
            self.intel.show_list()
            return
        if self.list_model is None:  # once a sign-in; afterwards refilled in place
            self.list_model = ScreeningListModel(self._fetch_page, self.levels, self.home_view,
                                                 show=self.window.show_message)
            self.home_view.set_model(self.list_model)
        self.list_model.set_query(self.home_view.current_query())
        self.window.show_page(self.home_view)
        self.followup.refresh_due()

    def _forget_list(self) -> None:
        """Empty the list (the session is ending); a page still on its way is dropped."""
        model, self.list_model = self.list_model, None
        self.home_view.table.setModel(None)
        if model is not None:
            # The model is the home page's child: it would otherwise stay, with the rows the
            # ended session read, for as long as the window, one more each sign-in.
            model.discard()
            model.deleteLater()

    def _fetch_page(self, query: ScreeningQuery) -> Any:
        from riskscreen.services.types import Page

        if self.session is None:
            return Page([], 0, 0)
        return self.session.screenings.find(query)

    def _on_home_query_changed(self, query: object) -> None:
        if self.list_model is not None and isinstance(query, ScreeningQuery):
            self.list_model.set_query(query)

    def _on_back_to_list(self) -> None:
        if self.session is None:
            return
        self._close_screening()
        self.show_home()

    # -- new screening -------------------------------------------------------------------------

    def _on_home_new_requested(self) -> None:
        session = self.session
        if session is None:
            return
        self.new_view.reset()
        offered = self._call(session.instruments.in_force, self.new_view.show_error)
        self.new_view.set_instruments([(i.id, i.title) for i in offered or []])
        self.window.show_page(self.new_view)

    def _on_new_search_changed(self, text: str) -> None:
        session = self.session
        if session is None:
            return
        if not text:
            self.new_view.show_results([])
            return
        found = self._call(lambda: session.children.search(text), self.new_view.show_error)
        if found is not None:
            self.new_view.show_results(found)

    def _on_new_duplicate_check_requested(self, name: str) -> None:
        session = self.session
        if session is None:
            return
        # Look for records sharing any word of the name (first name or family name).
        found: dict[int, Any] = {}
        for word in {w for w in name.split() if len(w) >= 2}:
            for child in self._call(_searcher(session, word)) or []:
                found[child.id] = child
        self.new_view.show_duplicates(list(found.values()))

    def _on_new_create_requested(self, name: str, dob: object, reference: str) -> None:
        session = self.session
        if session is None or self.changing:
            return
        identifiers = {"case_number": reference} if reference else {}
        birth = dob if isinstance(dob, date) else None

        start = self._starter(session)

        def work() -> int:
            child = session.children.create(name, birth, identifiers)
            return start(child.id)

        view = self.new_view

        def busy(on: bool) -> None:
            view.create_button.setEnabled(not on)
            self._set_changing(on)

        # Two writes (the record, then the draft) take a noticeable moment: off the GUI thread.
        ChangeOp(work, show=view.show_error, what="new record") \
            .busy(busy).success(self.open_screening).run_in_background()

    def _starter(self, session: Session) -> Callable[[int], int]:
        """Starts a draft for a child with the instrument chosen (the only one in use, when
        there is one); read on the GUI thread, called off it."""
        instrument = self.new_view.chosen_instrument()
        if instrument is None:
            return lambda child_id: session.screenings.start(child_id)
        return lambda child_id: session.screenings.start(child_id, form_id=instrument)

    def start_screening(self, child_id: int) -> None:
        """A new draft for a child with the instrument chosen, opened once it is made (off
        the GUI thread)."""
        session = self.session
        if session is None or self.changing:
            return
        start = self._starter(session)
        ChangeOp(lambda: start(child_id), show=self.window.show_message,
                 what="new screening") \
            .busy(self._set_changing).success(self.open_screening).run_in_background()

    # -- a screening ---------------------------------------------------------------------------

    def open_screening(self, screening_id: int) -> None:
        """Open a screening: editable if it is a draft of this user, read-only otherwise."""
        session = self.session
        if session is None:
            return
        detail = self._call(lambda: session.screenings.open(screening_id))
        if detail is None:
            return
        form = self._call(lambda: session.screenings.form(detail.form_id, detail.form_version))
        if form is None:
            return
        self._close_screening()
        screening_date = detail.row.screening_date
        view = ScreeningView(form, screening_date, parent=self.window.stack)
        view.questionnaire.set_answers(
            {qid: a.value for qid, a in detail.answers.items()},
            {qid: a.evidence for qid, a in detail.answers.items() if a.evidence})
        live: LiveScore | None = None
        if detail.assessment is not None:
            view.score.set_title("Score when finalised")
            view.score.show_assessment(detail.assessment, final=True,
                                       protective=protective_words(form))
            view.save_status.setText("")
        else:
            model = self._call(lambda: session.models.get(detail.model_sha256))
            sid = detail.row.id
            live = LiveScore(view.questionnaire, view.score, model, screening_date, None, view,
                             scorer=lambda answers: self._live_assessment(sid, answers))
        self.current = OpenScreening(detail, form, view, live)
        self._describe(detail)
        view.set_editable(detail.editable, detail.row.status == Status.FINAL)
        view.questionnaire.answer_changed.connect(self._on_questionnaire_answer_changed)
        view.questionnaire.evidence_changed.connect(self._on_questionnaire_evidence_changed)
        view.questionnaire.save_state_changed.connect(self._show_save_status)
        view.questionnaire.visibility_changed.connect(self._show_save_status)
        view.back_requested.connect(self._on_back_to_list)
        view.finalise_requested.connect(self._on_screening_finalise_requested)
        view.amend_requested.connect(self._on_screening_amend_requested)
        view.referral_requested.connect(self.show_referral)
        view.history_requested.connect(self._on_screening_history_requested)
        child = (detail.row.child_id, detail.row.child_name)
        view.intel_requested.connect(lambda: self.intel.add(child))
        self.intel.child_context(*child)
        self.window.restore_splitter(view.splitter)
        self.window.restore_splitter(view.questionnaire.splitter)
        collapsed = self.settings.value("score/collapsed", False)
        view.score.set_collapsed(collapsed in (True, "true"))
        view.score.collapsed_changed.connect(self._on_score_collapsed_changed)
        view.questionnaire.answer_undone.connect(self._on_questionnaire_answer_undone)
        if detail.editable:
            # Carry on where the practitioner stopped: the first section not yet complete.
            q = view.questionnaire
            q.show_section(next((i for i in range(len(form.sections))
                                 if not q.progress(i).complete), 0))
        self.window.show_page(view)
        self._show_save_status()
        self.followup.screening_opened(screening_id, form, view, detail.editable)

    def _live_assessment(self, screening_id: int, answers: Mapping[str, Any]) -> Assessment:
        """The live score of the answers on screen, as the services give it (previous
        screening and all); asked of whichever session is signed in now."""
        session = self.session
        if session is None:
            raise ServiceError("RiskScreen is locked.")
        return session.screenings.preview(screening_id, answers)

    def _describe(self, detail: ScreeningDetail) -> None:
        assert self.current is not None
        view = self.current.view
        row = detail.row
        when = show_date(row.screening_date)
        view.heading.setText(f"{row.child_name} — screening of {when}")
        if row.status == Status.FINAL:
            state = "Finalised: this screening can no longer be changed. Use “Amend” to " \
                    "correct it; the original is kept."
        elif not detail.editable:
            state = f"Draft by {row.practitioner}: only they can change it."
        else:
            state = "Draft: every answer is saved as you give it."
        if detail.amendment_reason:
            state += f" This is an amendment of screening #{row.amendment_of}."
        view.state.setText(state)

    def _close_screening(self) -> None:
        if self.current is None:
            return
        self.current.view.questionnaire.flush()
        self._save_splitters()
        view = self.current.view
        self.current = None
        self.summary = None
        self.window.stack.removeWidget(view)
        view.deleteLater()

    def _discard_screening(self) -> None:
        """Close the screening on screen without saving (its database is gone)."""
        if self.current is None:
            return
        view = self.current.view
        self.current = None
        self.summary = None
        self.window.stack.removeWidget(view)
        view.deleteLater()

    def _save_splitters(self) -> None:
        if self.current is not None:
            self.window.save_splitter(self.current.view.splitter)
            self.window.save_splitter(self.current.view.questionnaire.splitter)

    def _on_score_collapsed_changed(self, collapsed: bool) -> None:
        self.settings.setValue("score/collapsed", collapsed)

    def _save(self, question_id: str) -> None:
        current, session = self.current, self.session
        if current is None or session is None or not current.detail.editable:
            return
        questionnaire = current.view.questionnaire
        value = questionnaire.answers().get(question_id)
        evidence = questionnaire.evidence().get(question_id) if value is not None else None
        if current.refused is not None:  # this copy is out of date: keep, never save
            current.refused[question_id] = (value, evidence)
            return
        try:
            current.version = session.screenings.save_answer(
                current.id, question_id, value, evidence, expected_version=current.version)
        except StaleDraft as error:
            self._reload_stale(current, question_id, value, evidence, error)
            return
        except USER_ERRORS as error:
            current.save_errors[question_id] = str(error)
            self.window.show_message(f"An answer could not be saved: {error}")
        else:
            current.save_errors.pop(question_id, None)
            current.last_saved = datetime.now(UTC)
            if current.view.carried.holds(question_id):  # a change confirms a carried answer
                self.followup.refresh_carried(current.id, current.form, current.view, True)
        self._show_save_status()

    def _reload_stale(self, current: OpenScreening, question_id: str, value: Any,
                      evidence: Any, error: StaleDraft) -> None:
        """Someone else saved the draft since this copy was opened: keep what this copy gave
        out from now on (typing still waiting in other fields too) instead of saving it, and
        reload and say so once the call that saved is over (:meth:`_show_stale`)."""
        if current.refused is None:
            current.refused = {}
        current.refused[question_id] = (value, evidence)
        log.info("draft changed elsewhere; reloading")
        reloaded = error.reloaded if isinstance(error.reloaded, ScreeningDetail) else None
        self._stale = _Stale(current.id, current.form, current.refused, reloaded, str(error))
        QTimer.singleShot(0, self, self._show_stale)

    def _show_stale(self) -> None:
        """Open the draft again with the other person's answers (if it is still on screen),
        and show the practitioner what of theirs was not saved, so nothing they typed is lost
        from view. While locked this waits until the same person unlocks."""
        stale = self._stale
        if stale is None or self.session is None:
            return
        self._stale = None
        current = self.current
        now = {qid: a.value for qid, a in stale.reloaded.answers.items()} \
            if stale.reloaded is not None else {}
        numbers: dict[str, str] = {}
        if current is not None and current.id == stale.screening_id \
                and current.refused is stale.refused:
            section = current.view.questionnaire.current_section()
            focused = current.view.questionnaire.focused_block()
            self.open_screening(stale.screening_id)  # the old copy's flush goes to ``refused``
            reopened = self.current
            if reopened is not None and reopened.id == stale.screening_id:
                questionnaire = reopened.view.questionnaire
                questionnaire.show_section(section)
                if focused is not None and focused.question.id in questionnaire.visible_ids():
                    questionnaire.show_question(focused.question.id)
                now = questionnaire.answers()
                numbers = {qid: block.number for qid, block in questionnaire.blocks.items()}
        lines = []
        for qid, (mine, my_evidence) in stale.refused.items():
            line = (f"Question {numbers.get(qid, qid)}: you gave "
                    f"“{answer_words(stale.form, qid, mine, None)}”; it now shows "
                    f"“{answer_words(stale.form, qid, now.get(qid), None)}”.")
            if my_evidence:
                line += " Your evidence record for it was not saved either: " + "; ".join(
                    f"{k.replace('_', ' ')}: {v}" for k, v in my_evidence.items() if v) + "."
            lines.append(line)
        box = QMessageBox(QMessageBox.Icon.Information, "This screening was changed elsewhere",
                          stale.why, QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("staleDraft")
        box.setInformativeText("What you gave that was not saved:\n" + "\n".join(lines))
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.finished.connect(box.deleteLater)
        self.stale_box = box
        box.open()

    def _show_save_status(self) -> None:
        """Say truthfully what is saved: never "saved" while typing is still waiting."""
        current = self.current
        if current is None:
            return
        if not current.detail.editable:
            current.view.save_status.setText("")
            return
        if current.save_errors:
            text = f"⚠ Not saved: {next(reversed(current.save_errors.values()))}"
        else:
            text = current.view.questionnaire.unsaved_typing() or (
                f"All answers saved (last at {show_clock(current.last_saved)})"
                if current.last_saved else "Not changed yet")
        current.view.save_status.setText(text)

    def _on_questionnaire_answer_changed(self, question_id: str, value: object) -> None:
        self._save(question_id)

    def _on_questionnaire_answer_undone(self, question_id: str) -> None:
        if self.current is not None:
            number = self.current.view.questionnaire.blocks[question_id].number
            self.window.statusBar().showMessage(
                f"The answer to question {number} is back as it was.", 8_000)

    def _on_questionnaire_evidence_changed(self, question_id: str, record: object) -> None:
        if self.current is not None and question_id in self.current.view.questionnaire.answers():
            self._save(question_id)

    def _on_screening_history_requested(self) -> None:
        if self.current is not None:
            self.show_history(self.current.detail.row.child_id)

    # -- finalise and amend --------------------------------------------------------------------

    def _on_screening_finalise_requested(self) -> None:
        current = self.current
        if current is None:
            return
        questionnaire = current.view.questionnaire
        questionnaire.flush()
        form = current.form
        assessment: Assessment | None = current.live.rescore() if current.live else None
        gaps = review_gaps(form, questionnaire.answers(), current.detail.row.screening_date,
                           assessment)
        index = form.question_index()

        def texts(ids: tuple[str, ...]) -> list[tuple[str, str]]:
            return [(qid, index[qid].text if qid in index else qid) for qid in ids]

        self.finalise_view.show_review(assessment, texts(gaps.missing), texts(gaps.not_known),
                                       current.detail.amended, current.detail.row.amendment_of)
        self.window.show_page(self.finalise_view)

    def _on_finalise_question_requested(self, question_id: str) -> None:
        if self.current is not None:
            self.window.show_page(self.current.view)
            self.current.view.questionnaire.show_question(question_id)

    def _on_finalise_back_requested(self) -> None:
        if self.current is not None:
            self.window.show_page(self.current.view)

    def _on_finalise_finalise_requested(self, override: object,
                                        step_down_reason: str | None = None) -> None:
        current, session = self.current, self.session
        if current is None or session is None:
            return
        request = override if isinstance(override, OverrideRequest) else None
        sid = current.id

        def finalised(_: object) -> None:
            log.info("screening finalised")
            self.open_screening(sid)

        def refused(error: BaseException) -> bool:
            # A lower level than last time asks why, then finalises again with the reason.
            return self.followup.finalise_refused(
                error, sid, request,
                lambda reason: self._on_finalise_finalise_requested(override, reason))

        # The countersignature check (Argon2) takes a noticeable moment: never on the GUI
        # thread. The menus and the review wait, so nothing else asks the session meanwhile.
        def finalise() -> object:
            if step_down_reason is None:
                return session.screenings.finalise(sid, request)
            return session.screenings.finalise(sid, request, step_down_reason=step_down_reason)

        ChangeOp(finalise, show=self.finalise_view.show_error, what="finalise") \
            .busy(self._set_changing).success(finalised).failure(refused).run_in_background()

    def _set_changing(self, busy: bool) -> None:
        """Hold the window (and the idle lock) still while a change is being made."""
        self.changing = busy
        self.window.hold(busy)
        self.finalise_view.set_busy(busy)
        if not busy and self._lock_waiting is not None:
            why, self._lock_waiting = self._lock_waiting, None
            QTimer.singleShot(0, self, lambda: self.lock(why))  # after the change's own follow-up

    def _on_screening_amend_requested(self) -> None:
        current, session = self.current, self.session
        if current is None or session is None:
            return
        dialog = AmendReasonDialog(self.window)
        self.amend_dialog = dialog

        sid = current.id

        def amended(new_id: int) -> None:
            dialog.accept()
            self.open_screening(new_id)

        def busy(on: bool) -> None:
            # The dialog may have been cancelled (and deleted) while the amendment was
            # made; the window is held still until it is over all the same.
            self._set_changing(on)
            if isValid(dialog):
                dialog.ok_button.setEnabled(not on)

        def amend(reason: str) -> None:
            if self.changing:
                return  # the first click is being recorded
            ChangeOp(lambda: session.screenings.amend(sid, reason), show=dialog.show_error,
                     what="amend").busy(busy).success(amended).run_in_background()

        def closed() -> None:
            self.amend_dialog = None
            dialog.deleteLater()

        dialog.reason_given.connect(amend)
        dialog.finished.connect(closed)
        dialog.open()

    # -- referral ------------------------------------------------------------------------------

    def show_referral(self) -> None:
        """Preview the referral summary of the finalised screening (rendered off-thread)."""
        current, session = self.current, self.session
        if current is None or session is None:
            return
        summary = self._call(lambda: referral_summary(session, current.detail, current.form))
        if summary is None:
            return
        self.summary = summary
        view = self.referral_view
        view.forget_password()  # never carried over from another child's referral
        view.show_error("")
        view.show_pages([], "")
        view.set_busy("Preparing the referral summary…")
        self.referral_record.show(current.detail.row.id)
        self.window.show_page(view)

        def work() -> list[Any]:
            from riskscreen.summary import render_pdf_bytes  # reportlab, first needed here

            return pdf_pages(render_pdf_bytes(summary))

        def clear(_error: BaseException) -> bool:
            view.show_pages([], "")
            return False  # the message is still to be shown

        QueryOp(work, show=view.show_error, what="referral rendering").failure(clear) \
            .unexpected("The referral summary could not be prepared. Please tell your "
                        "administrator; the screening itself is safe.") \
            .success(self._on_referral_rendered).run_in_background()

    def _on_referral_rendered(self, images: list[Any]) -> None:
        summary = self.summary
        count = len(images)
        where = summary.route.destination.name if summary is not None else ""
        self.referral_view.show_pages(
            images, f"{count} page{'s' if count != 1 else ''}. Send to: {where}.")

    def _on_referral_print_requested(self) -> None:
        current, session = self.current, self.session
        images = self.referral_view.images
        if current is None or session is None or not images:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(referral_reference(current.detail))
        dialog = QPrintDialog(printer, self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        target = printer.outputFileName()
        if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and target:
            # "Print to file" writes the referral PDF itself, as "Save as PDF" does: private
            # to this account, with the password when protection is asked for, and with its
            # text kept. Printed page images would be none of these.
            self._write_referral(target, "The file was not written: ")
            return
        try:
            print_images(printer, images)
        except OSError:
            self.referral_view.show_error("The printer could not be started. Check it is "
                                          "switched on and connected, then try again.")
            return
        if self._done(lambda: session.screenings.record_export(current.id, "print"),
                      self.referral_view.show_error):
            self.referral_view.status.setText("Sent to the printer. This has been recorded.")

    def _on_referral_save_requested(self) -> None:
        current = self.current
        if current is None or self.session is None or self.summary is None:
            return
        problem = self.referral_view.password_problem()
        if problem:
            self.referral_view.show_error(problem)
            return
        self.referral_view.show_error("")
        suggested = str(Path.home() / f"{referral_reference(current.detail)}.pdf")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the referral summary",
                                              suggested, "PDF files (*.pdf)")
        if path:
            self._write_referral(path)

    def _write_referral(self, path: str, refused: str = "") -> None:
        """Write the referral PDF to ``path`` and record it.

        The file is readable by this account only from its first byte, and encrypted when
        "Protect the PDF with a password" is ticked; the password is then forgotten.
        """
        current, session, summary = self.current, self.session, self.summary
        if current is None or session is None or summary is None:
            return
        view = self.referral_view
        problem = view.password_problem()
        if problem:
            view.show_error(refused + (problem[0].lower() + problem[1:] if refused else problem))
            return
        if self.changing:
            return  # a file is being written already
        view.show_error("")
        password = view.chosen_password()
        kind = "pdf_password" if password else "pdf"
        sid = current.id
        written: list[bool] = []

        def work() -> None:
            from riskscreen.summary import render_pdf  # reportlab, first needed here

            render_pdf(summary, path, password=password)
            written.append(True)
            session.screenings.record_export(sid, kind)

        def done(_: object) -> None:
            view.forget_password()
            protected = " with a password" if password else ""
            view.status.setText(f"Saved{protected} to {path}. This has been recorded.")

        def failed(error: BaseException) -> bool:
            if written:
                view.forget_password()  # the file exists; only recording it failed
                return False
            if isinstance(error, OSError):
                view.show_error("The PDF could not be saved there. Choose a folder you can "
                                "write to.")
                return True
            return False

        def busy(on: bool) -> None:
            view.set_writing(on)
            self._set_changing(on)

        # Rendering and writing the PDF takes half a second or more: off the GUI thread.
        ChangeOp(work, show=view.show_error, what="referral PDF").busy(busy) \
            .failure(failed).success(done).run_in_background()

    # -- exchange packages ---------------------------------------------------------------------

    def _on_referral_package_requested(self) -> None:
        """Save the referral as a package for the receiving team, and record it as sent."""
        current, session, summary = self.current, self.session, self.summary
        if current is None or session is None or summary is None:
            return
        view = self.referral_view
        view.show_error("")
        recipient: bytes | None = None
        if summary.route.destination.exchange_certificate is None:
            cert_path, _ = QFileDialog.getOpenFileName(
                self.window, f"The certificate of {summary.route.destination.name}", "",
                "Certificates (*.pem *.crt *.cer)")
            if not cert_path:
                return
            try:
                recipient = Path(cert_path).read_bytes()
            except OSError:
                view.show_error("The certificate could not be read. Choose the team's "
                                "team.cert.pem file.")
                return
        suggested = str(Path.home() / f"{referral_reference(current.detail)}.p7m")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the referral package",
                                              suggested, "Exchange packages (*.p7m)")
        if not path:
            return
        exchange = session.exchange
        sid = current.id

        def work() -> Any:
            return exchange.save_referral_package(exchange.referral_of_screening(sid),
                                                  Path(path), recipient)

        def done(made: Any) -> None:
            recorded = ("The referral is recorded as sent by package." if made.recorded_sent
                        else "The referral had already been sent; this package is recorded "
                             "in the audit trail.")
            view.status.setText(
                f"Package saved to {made.path} for {made.recipient} (certificate SHA-256 "
                f"{made.recipient_fingerprint[:23]}…). {recorded}")
            self.referral_record.show(sid)

        ChangeOp(work, show=view.show_error, what="package") \
            .unexpected("The package could not be saved there. Choose a folder you can "
                        "write to.") \
            .success(done).run_in_background()

    def _on_import_action_triggered(self) -> None:
        """Import a package: checked first, then a person confirms the child's record."""
        session = self.session
        if session is None:
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Import a package", "",
                                              "Exchange packages (*.p7m);;All files (*)")
        if not path:
            return
        try:
            data = Path(path).read_bytes()
        except OSError:
            self.window.show_message("The package could not be read. Check the file and try "
                                     "again.")
            return
        QueryOp(lambda: session.exchange.inspect(data), show=self.window.show_message,
                what="package check") \
            .success(lambda incoming: self._confirm_import(session, data, incoming)) \
            .run_in_background()

    def _confirm_import(self, session: Session, data: bytes, incoming: Any) -> None:
        from riskscreen.ui.exchange import ImportPackageDialog

        dialog = ImportPackageDialog(incoming, self.window)
        try:
            if dialog.exec() != ImportPackageDialog.DialogCode.Accepted:
                return
            choice = dialog.choice()
        finally:
            dialog.deleteLater()

        def done(result: Any) -> None:
            if not result.changed:
                text = "This package was imported before; nothing changed."
            elif result.kind == PackageKind.REPLY:
                text = (f"The reply from {result.sender} is imported: referral "
                        f"{result.reference} now shows the team's decision and outcomes.")
            elif result.kind == PackageKind.INTELLIGENCE:
                text = (f"The intelligence submission from {result.sender} is imported; see "
                        "Intelligence › Intelligence received.")
            else:
                record = "a new child record" if result.new_child else "the confirmed record"
                text = (f"The referral from {result.sender} is imported as received referral "
                        f"{result.received_id}, on {record} (child {result.child_id}).")
            QMessageBox.information(self.window, "Package imported", text)
            if result.kind == PackageKind.INTELLIGENCE:
                self.intel.show_received()
                return
            self.received.imported(result)

        ChangeOp(lambda: session.exchange.import_package(data, choice),  # type: ignore[arg-type]
                 show=self.window.show_message, what="package import") \
            .success(done).run_in_background()

    # -- history -------------------------------------------------------------------------------

    def show_history(self, child_id: int) -> None:
        """A child's screenings and their levels over time."""
        session = self.session
        if session is None:
            return
        record = self._call(lambda: session.children.get(child_id))
        if record is None:
            return
        referrals = self._call(lambda: session.referrals.for_child(child_id)) or []
        self._close_screening()
        self.history_view.show_record(record, self.levels, self.level_order,
                                      {r.screening_id: r for r in referrals})
        self.window.show_page(self.history_view)
        self.intel.child_context(child_id, record.child.name)
        self.intel.child_shown(child_id)
        self.followup.child_shown(child_id)


def _searcher(session: Session, word: str) -> Callable[[], list[Any]]:
    """A search for child records containing one word of a name."""
    return lambda: list(session.children.search(word))
