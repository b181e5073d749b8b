"""Wires the intelligence pages (:mod:`riskscreen.ui.intel`) to ``session.intel``.

The service decides everything that matters: who sees which item (and which of its links),
handling restrictions, the audit entry of every view of a person of concern, and the
suppression of small counts in an export. This module only asks it, off the GUI thread through
:class:`~riskscreen.ui.operations.QueryOp` (reads) and
:class:`~riskscreen.ui.operations.ChangeOp` (changes), and shows its refusals in its own words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QStackedWidget, QWidget
from shiboken6 import isValid

from riskscreen.dates import show_date
from riskscreen.services import Session
from riskscreen.services.intel import (
    ANALYSIS_ROLES,
    INTEL_ROLES,
    ItemInfo,
    ReceivedIntelligence,
    SubmissionInfo,
)
from riskscreen.services.types import ChildInfo, Role
from riskscreen.ui.history import HistoryView
from riskscreen.ui.home import LevelStyle
from riskscreen.ui.intel import (
    ChildPicker,
    IntelItemDialog,
    IntelItemView,
    IntelListView,
    LinkDialog,
    NetworkView,
    ProfileView,
    ReasonDialog,
    ReceivedIntelView,
    SubmitDialog,
)
from riskscreen.ui.operations import ChangeOp, QueryOp

__all__ = ["IntelController"]


class _App(Protocol):
    """What this needs of the application controller."""

    session: Session | None
    levels: dict[str, LevelStyle]
    level_order: list[str]
    history_view: HistoryView

    @property
    def window(self) -> Any: ...

    def show_history(self, child_id: int) -> None: ...


class IntelController(QObject):
    """The Intelligence menu and pages: list, item, links, profile, and their dialogs."""

    def __init__(self, app: _App, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        window = app.window
        stack: QStackedWidget = window.stack
        self.list_view = IntelListView(stack)
        self.item_view = IntelItemView(stack)
        self.network_view = NetworkView(stack)
        self.profile_view = ProfileView(stack)
        self.received_view = ReceivedIntelView(stack)
        for page in (self.list_view, self.item_view, self.network_view, self.profile_view,
                     self.received_view):
            window.add_page(page)
        self.dialog: QWidget | None = None
        #: The child the next "Add intelligence…" is about (a child's page or a screening).
        self.context_child: tuple[int, str] | None = None
        self._due_only = False
        self._build_menu(window)
        self._wire()
        self.signed_in(None)

    def _build_menu(self, window: Any) -> None:
        bar = window.menuBar()
        self.menu = QMenu("&Intelligence", bar)
        self.menu.setObjectName("intelMenu")
        existing = [a for a in bar.actions() if a.menu() is not None]
        if len(existing) >= 2:  # after File, before the rest
            bar.insertMenu(existing[1], self.menu)
        else:
            bar.addMenu(self.menu)
        self.list_action = QAction("&Intelligence items", window)
        self.list_action.setShortcut(QKeySequence("Ctrl+Shift+I"))
        self.add_action = QAction("&Add intelligence…", window)
        self.add_action.setToolTip("Record a person of concern, a place, a vehicle or an "
                                   "online account, linked to a child")
        self.network_action = QAction("&Links between children", window)
        self.profile_action = QAction("&Problem profile", window)
        self.due_action = QAction("&Due for review or deletion", window)
        self.received_action = QAction("Intelligence &received", window)
        self.received_action.setToolTip("Intelligence submissions received as exchange packages")
        for action in (self.list_action, self.add_action, self.received_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        for action in (self.network_action, self.profile_action, self.due_action):
            self.menu.addAction(action)

    def _wire(self) -> None:
        self.list_action.triggered.connect(self._on_list_action_triggered)
        self.add_action.triggered.connect(self._on_add_action_triggered)
        self.network_action.triggered.connect(self.show_network)
        self.profile_action.triggered.connect(self.show_profile)
        self.due_action.triggered.connect(self._on_due_action_triggered)
        self.received_action.triggered.connect(self.show_received)
        self.received_view.back_requested.connect(self.show_list)
        lv = self.list_view
        lv.back_requested.connect(self.app.window.home_action.trigger)
        lv.open_requested.connect(self.open)
        lv.add_requested.connect(self._on_list_add_requested)
        lv.submit_requested.connect(self.submit)
        lv.network_requested.connect(self.show_network)
        lv.profile_requested.connect(self.show_profile)
        lv.due_changed.connect(self._on_list_due_changed)
        lv.review_requested.connect(self.review)
        lv.delete_requested.connect(self.delete)
        iv = self.item_view
        iv.back_requested.connect(self.show_list)
        iv.edit_requested.connect(self.edit)
        iv.link_requested.connect(self.link)
        iv.submit_requested.connect(self.submit)
        iv.review_requested.connect(self.review)
        iv.delete_requested.connect(self.delete)
        iv.child_requested.connect(self._on_item_child_requested)
        self.network_view.back_requested.connect(self.show_list)
        self.network_view.item_requested.connect(self.open)
        pv = self.profile_view
        pv.back_requested.connect(self.show_list)
        pv.show_requested.connect(self._on_profile_show_requested)
        pv.export_requested.connect(self._on_profile_export_requested)
        self.app.history_view.intel_requested.connect(self._on_history_intel_requested)
        self.app.history_view.intel.item_requested.connect(self.open)

    # -- who is signed in ----------------------------------------------------------------------

    def signed_in(self, session: Session | None) -> None:
        """Offer the menu by role: never to administrators (they see none of it), the
        analysis entries only to analysts and managers. The service checks again."""
        role = session.user.role if session is not None else None
        allowed = role in INTEL_ROLES
        analysis = role in ANALYSIS_ROLES
        self.menu.menuAction().setVisible(allowed)
        for action in (self.list_action, self.add_action, self.received_action):
            action.setEnabled(allowed)
        for action in (self.network_action, self.profile_action, self.due_action):
            action.setVisible(analysis)
            action.setEnabled(analysis)
        self.list_view.set_analysis(analysis)
        # An analyst's home is this list: there is no screenings list to go back to.
        self.list_view.back_button.setVisible(role != Role.ANALYST)

    @property
    def analysis(self) -> bool:
        """Whether the signed-in account sees the network, the profile and retention."""
        session = self.app.session
        return session is not None and session.user.role in ANALYSIS_ROLES

    def clear(self) -> None:
        """Forget what is shown (on locking or signing out)."""
        self.app.history_view.intel.set_items([], None)
        if self.dialog is not None and isValid(self.dialog):
            self.dialog.close()
        self.list_view.set_rows([], date.today())
        self.list_view.show_done("")
        self.item_view.clear()
        self.network_view.clear()
        self.profile_view.clear()
        self.received_view.set_rows([])
        self.context_child = None
        self.signed_in(None)

    def child_context(self, child_id: int | None, name: str = "") -> None:
        """The child shown now (their page or a screening), for "Add intelligence…"."""
        self.context_child = (child_id, name) if child_id is not None else None

    def child_shown(self, child_id: int) -> None:
        """A child's page is on screen: list the items linked to that child that this
        account may see (the service audits the persons of concern listed)."""
        panel = self.app.history_view.intel
        session = self.app.session
        panel.set_items([], child_id)
        allowed = session is not None and session.user.role in INTEL_ROLES
        panel.setVisible(allowed)
        if session is None or not allowed:
            return
        intel = session.intel

        def listed(items: list[ItemInfo]) -> None:
            if isValid(panel) and self.app.history_view.child_id == child_id:
                panel.set_items(items, child_id)

        QueryOp(lambda: intel.for_child(child_id), show=self._show,
                what="intelligence of the child").success(listed).run_in_background()

    def _show(self, text: str) -> None:
        self.app.window.show_message(text)

    # -- the list and one item -----------------------------------------------------------------

    def show_list(self, done: str = "") -> None:
        """Fetch the items this account may see (the service audits persons listed)."""
        session = self.app.session
        if session is None:
            return
        due_only = self._due_only and self.analysis
        intel = session.intel

        def shown(rows: list[ItemInfo]) -> None:
            if not isValid(self.list_view) or self.app.session is None:
                return
            self.list_view.set_rows(rows, date.today())
            self.list_view.show_done(done)
            self.app.window.show_page(self.list_view)

        QueryOp(lambda: intel.items(due_only=due_only), show=self._show,
                what="intelligence list").success(shown).run_in_background()

    def open(self, item_id: int, done: str = "") -> None:
        """Show one item (a view of a person of concern is audited by the service)."""
        session = self.app.session
        if session is None:
            return
        intel = session.intel

        def shown(item: ItemInfo) -> None:
            if not isValid(self.item_view) or self.app.session is None:
                return
            self.item_view.show_item(item, date.today(), self.analysis)
            self.item_view.show_done(done)
            self.app.window.show_page(self.item_view)

        QueryOp(lambda: intel.get(item_id), show=self._show, what="intelligence item") \
            .success(shown).run_in_background()

    def _on_list_action_triggered(self) -> None:
        self._due_only = False
        self.list_view.due_only.setChecked(False)
        self.show_list()

    def _on_due_action_triggered(self) -> None:
        self._due_only = True
        self.list_view.due_only.setChecked(True)
        self.show_list()

    def _on_list_due_changed(self, due_only: bool) -> None:
        if due_only != self._due_only:
            self._due_only = due_only
            self.show_list()

    def _on_item_child_requested(self, child_id: int) -> None:
        session = self.app.session
        # An analyst screens no child and has no child's page to open.
        if session is not None and session.user.role != Role.ANALYST:
            self.app.show_history(child_id)

    # -- dialogs -------------------------------------------------------------------------------

    def _dialog(self, dialog: Any, work: Callable[[dict[str, Any]], object],
                done: Callable[[Any], None]) -> None:
        """Show ``dialog``; its values go to ``work`` off the GUI thread; ``done`` gets the
        result when it worked, the dialog shows the refusal when not."""
        self.dialog = dialog

        def submitted(values: dict[str, Any]) -> None:
            dialog.ok_button.setEnabled(False)

            def busy(on: bool) -> None:
                if not on and isValid(dialog):
                    dialog.ok_button.setEnabled(True)

            def worked(result: object) -> None:
                if isValid(dialog):
                    dialog.accept()
                done(result)

            ChangeOp(lambda: work(values), show=dialog.show_error, what="intelligence step") \
                .busy(busy).success(worked).run_in_background()

        dialog.submitted.connect(submitted)
        dialog.finished.connect(self._on_dialog_finished)
        dialog.open()

    def _on_dialog_finished(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def _searching(self, picker: ChildPicker) -> Callable[[str], None]:
        """Fill a child picker with the children whose name holds what was typed."""

        def search(text: str) -> None:
            session = self.app.session
            if session is None:
                return

            def found(children: list[ChildInfo]) -> None:
                if isValid(picker) and picker.search.text().strip() == text:
                    picker.set_matches(children)

            def refused(_error: BaseException) -> bool:
                return True  # an analyst cannot search children: they type the number

            QueryOp(lambda: session.children.search(text, 20), show=self._show,
                    what="child search").success(found).failure(refused) \
                .run_in_background()

        return search

    def add(self, child: tuple[int, str] | None, kind: str | None = None) -> None:
        """Record an item: about ``child`` (from their page or a screening), or any child."""
        session = self.app.session
        if session is None:
            return
        intel = session.intel
        dialog = IntelItemDialog(self.app.window, child=child)
        if kind is not None:
            dialog.set_kind(kind)
        dialog.search_changed.connect(self._searching(dialog.picker))

        def work(v: dict[str, Any]) -> ItemInfo:
            return intel.add(v["kind"], v["child_id"], v["grade"], text=v["text"],
                             details=v["details"], source=v["source"], seen_on=v["seen_on"],
                             handling_conditions=v["handling_conditions"])

        self._dialog(dialog, work, lambda item: self.open(
            item.id, f"Saved as item {item.id}, graded {item.grade.text}; to be reviewed by "
                     f"{show_date(item.review_due)}."))

    def _on_list_add_requested(self) -> None:
        self.add(None)

    def _on_add_action_triggered(self) -> None:
        self.add(self.context_child if self._context_shown() else None)

    def _context_shown(self) -> bool:
        """Whether the page shown now is about the context child (their page, a screening)."""
        current = self.app.window.stack.currentWidget()
        return self.context_child is not None and current is not None and (
            current.objectName() in ("historyView", "screeningView"))

    def _on_history_intel_requested(self, child_id: int) -> None:
        known = self.context_child
        name = known[1] if known is not None and known[0] == child_id else ""
        self.add((child_id, name or f"Child record {child_id}"))

    def edit(self, item_id: int) -> None:
        """Change the item shown: its details, text, grade or handling conditions (the
        service checks who may, and audits the change)."""
        session, item = self.app.session, self.item_view.item
        if session is None or item is None or item.id != item_id:
            return
        intel = session.intel
        dialog = IntelItemDialog(self.app.window, item=item)

        def work(v: dict[str, Any]) -> ItemInfo:
            return intel.edit(item_id, text=v["text"], details=v["details"], grade=v["grade"],
                              handling_conditions=v["handling_conditions"])

        self._dialog(dialog, work, lambda changed: self.open(
            item_id, f"Changed; graded {changed.grade.text}."))

    def link(self, item_id: int) -> None:
        """Link the item shown to another child."""
        session, item = self.app.session, self.item_view.item
        if session is None or item is None:
            return
        intel = session.intel
        dialog = LinkDialog(item.label, self.app.window)
        dialog.search_changed.connect(self._searching(dialog.picker))
        self._dialog(dialog, lambda v: intel.link(item_id, v["child_id"], source=v["source"],
                                                  seen_on=v["seen_on"]),
                     lambda lk: self.open(item_id, f"Linked to {lk.child_name}."))

    def review(self, item_id: int) -> None:
        """Keep an item for another retention period, with the reason."""
        session = self.app.session
        if session is None:
            return
        intel = session.intel
        dialog = ReasonDialog("Keep for another period", "Keep it",
                              "Keep this item for another retention period. Say why it is "
                              "still needed.", self.app.window)
        self._dialog(dialog, lambda v: intel.review(item_id, v["reason"]),
                     lambda item: self._after_retention(
                         f"Item {item.id} is kept until {show_date(item.review_due)}.", item.id))

    def delete(self, item_id: int) -> None:
        """Delete an item with its links, with the reason."""
        session = self.app.session
        if session is None:
            return
        intel = session.intel
        dialog = ReasonDialog("Delete the item", "Delete it",
                              "Delete this item and its links to children. This cannot be "
                              "undone; submissions already sent keep their record.",
                              self.app.window)
        self._dialog(dialog, lambda v: intel.delete(item_id, v["reason"]),
                     lambda _none: self._after_retention(f"Item {item_id} is deleted.", None))

    def _after_retention(self, text: str, kept: int | None) -> None:
        """Show the item kept again where it was open; otherwise the list, refreshed."""
        if kept is not None and self.app.window.stack.currentWidget() is self.item_view:
            self.open(kept, text)
        else:
            self.show_list(text)

    # -- submissions ---------------------------------------------------------------------------

    def submit(self, item_ids: list[int]) -> None:
        """Submit items to the analyst: the form (PDF) and/or an exchange package."""
        session = self.app.session
        if session is None or not item_ids:
            return
        items = {i.id: i for i in self.list_view.model.rows}
        if self.item_view.item is not None:
            items.setdefault(self.item_view.item.id, self.item_view.item)
        chosen = [items[i] for i in item_ids if i in items]
        dialog = SubmitDialog(chosen, self.app.window)
        self.dialog = dialog
        dialog.submitted.connect(lambda v: self._submit(dialog, v))
        dialog.finished.connect(self._on_dialog_finished)
        dialog.open()

    def _submit(self, dialog: SubmitDialog, values: dict[str, Any]) -> None:
        session = self.app.session
        if session is None:
            return
        stamp = f"{date.today():%Y%m%d}"
        pdf_path = package_path = None
        certificate: bytes | None = None
        if values["pdf"]:
            path, _ = QFileDialog.getSaveFileName(
                dialog, "Save the submission form", str(Path.home() / f"intel-{stamp}.pdf"),
                "PDF files (*.pdf)")
            if not path:
                return
            pdf_path = Path(path)
        if values["package"]:
            cert, _ = QFileDialog.getOpenFileName(
                dialog, "The analyst's certificate", "", "Certificates (*.pem *.crt *.cer)")
            if not cert:
                return
            try:
                certificate = Path(cert).read_bytes()
            except OSError:
                dialog.show_error("The certificate could not be read. Choose the analyst's "
                                  "team.cert.pem file.")
                return
            path, _ = QFileDialog.getSaveFileName(
                dialog, "Save the exchange package", str(Path.home() / f"intel-{stamp}.p7m"),
                "Exchange packages (*.p7m)")
            if not path:
                return
            package_path = Path(path)
        intel = session.intel
        ids = list(values["item_ids"])

        def work() -> list[SubmissionInfo]:
            made: list[SubmissionInfo] = []
            if pdf_path is not None:
                made.append(intel.submit_pdf(ids, pdf_path))
            if package_path is not None and certificate is not None:
                made.append(intel.submit_package(ids, package_path, certificate))
            return made

        def done(made: list[SubmissionInfo]) -> None:
            if isValid(dialog):
                dialog.accept()
            words = "; ".join(f"{'form' if m.form == 'pdf' else 'package'} {m.reference} "
                              f"saved to {m.path}" for m in made)
            text = (f"Recorded as sent: {words}. Send it to the analyst by secure email or on "
                    "an encrypted stick.")
            if self.app.window.stack.currentWidget() is self.item_view:
                self.item_view.show_done(text)
            else:
                self.list_view.show_done(text)

        dialog.ok_button.setEnabled(False)
        ChangeOp(work, show=dialog.show_error, what="intelligence submission") \
            .unexpected("The submission could not be saved there. Choose a folder you can "
                        "write to.") \
            .busy(lambda on: dialog.ok_button.setEnabled(True)
                  if not on and isValid(dialog) else None) \
            .success(done).run_in_background()

    # -- submissions received ------------------------------------------------------------------

    def show_received(self) -> None:
        """The intelligence submissions received here (the service audits the view)."""
        session = self.app.session
        if session is None:
            return

        def shown(rows: list[ReceivedIntelligence]) -> None:
            if isValid(self.received_view) and self.app.session is not None:
                self.received_view.set_rows(rows)
                self.app.window.show_page(self.received_view)

        QueryOp(session.intel.received, show=self._show, what="intelligence received") \
            .success(shown).run_in_background()

    # -- links between children and the problem profile ----------------------------------------

    def show_network(self) -> None:
        """Which children are linked (analysts and managers; the service audits it)."""
        session = self.app.session
        if session is None:
            return

        def shown(network: Any) -> None:
            if isValid(self.network_view) and self.app.session is not None:
                self.network_view.show_network(network)
                self.app.window.show_page(self.network_view)

        QueryOp(session.intel.network, show=self._show, what="intelligence network") \
            .success(shown).run_in_background()

    def show_profile(self) -> None:
        """The problem profile page, for the period last chosen."""
        if self.app.session is None:
            return
        self.app.window.show_page(self.profile_view)
        period = self.profile_view.period()
        if period is not None:
            self._on_profile_show_requested(*period)

    def _levels(self) -> dict[str, str]:
        order = list(self.app.level_order)[::-1] or list(self.app.levels)
        words = {lv: self.app.levels[lv].name for lv in order if lv in self.app.levels}
        words["not screened"] = "Not screened"
        return words

    def _on_profile_show_requested(self, start: date, end: date) -> None:
        session = self.app.session
        if session is None:
            return
        view = self.profile_view
        QueryOp(lambda: session.intel.profile(start, end), show=view.show_error,
                what="problem profile") \
            .success(lambda rows: view.show_rows(rows, self._levels())
                     if isValid(view) else None).run_in_background()

    def _on_profile_export_requested(self, start: date, end: date) -> None:
        session = self.app.session
        if session is None:
            return
        view = self.profile_view
        view.show_error("")
        path, _ = QFileDialog.getSaveFileName(
            self.app.window, "Export the anonymised problem profile",
            str(Path.home() / f"problem-profile-{start:%Y%m%d}-{end:%Y%m%d}.csv"),
            "CSV files (*.csv)")
        if not path:
            return
        intel = session.intel
        ChangeOp(lambda: intel.write_profile_csv(start, end, Path(path)), show=view.show_error,
                 what="profile export") \
            .unexpected("The profile could not be saved there. Choose a folder you can write "
                        "to.") \
            .success(lambda rows: view.show_done(
                f"{rows} rows saved to {path}, anonymised: counts from 1 to 4 show as “<5”.")
                if isValid(view) else None).run_in_background()

