"""The provider directory page: keep the directory right, keep it fresh, take corrections.

Officers stopped trusting the old directories because entries were undated and nobody owned
them (DESIGN.md §1). This page is the directory keeper's desk: edit services (editing is for
the keeper role only, set in Preferences, so one person is answerable for the content), mark
"verified today", see what needs a phone call (not verified for a year; referrals that keep
coming back "no capacity" or "could not contact"), and work through the corrections inbox.
Every officer can read the list and report a correction.

HSDS imports can be large, so the preview and the import run on the background worker behind
a busy indicator; the keeper always sees what will change before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QLabel,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import DomainError
from referral_desk.domain.vocabularies import (
    SERVICE_STATUSES,
)
from referral_desk.ui import palette
from referral_desk.ui.correction_dialog import ask_for_correction
from referral_desk.ui.directory_dialogs import CapacityDialog, PrecheckDialog, StatusDialog
from referral_desk.ui.directory_hsds import HsdsExchange, ImportPreviewDialog
from referral_desk.ui.directory_tables import COLUMN_MAX_WIDTH
from referral_desk.ui.directory_tabs import DirectoryTabs
from referral_desk.ui.messages import error_text
from referral_desk.ui.ops import find_worker, op
from referral_desk.ui.service_editor import ServiceEditorDialog
from referral_desk.ui.widgets import named, run_dialog
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.directory_admin import (
    CorrectionView,
    ImportReport,
)
from referral_desk.usecases.dto import ServiceView

KEEPER = "directory_keeper"
READ_ONLY_NOTE = (
    "Only the directory keeper can change the directory (the team manager grants the role). "
    "You can still report a correction from any service."
)


class DirectoryPage(DirectoryTabs, HsdsExchange, QWidget):
    """The directory keeper's tabs plus import/export; `refresh()` reloads on the worker.

    Its work runs on the window's worker (`ui.ops`).
    `import_action`, `export_action` and `report_action` are for the window's menus.
    """

    def __init__(
        self,
        services: AppServices,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.is_keeper = False
        self.preview_dialog: ImportPreviewDialog | None = None
        self.last_report: ImportReport | None = None
        self._pending_select: str | None = None
        self.setAccessibleName("Provider directory")

        self.import_action = QAction("&Import HSDS package…", self)
        self.import_action.setStatusTip(
            "Preview, then add or update services from an HSDS package (folder or .zip)"
        )
        self.import_action.triggered.connect(lambda _c=False: self.import_package())
        self.export_action = QAction("E&xport HSDS package…", self)
        self.export_action.setStatusTip("Save the directory as an HSDS 3.0 package")
        self.export_action.triggered.connect(lambda _c=False: self.export_package())
        self.report_action = QAction("&Report a correction…", self)
        self.report_action.setStatusTip("Tell the directory keeper what is wrong with a service")
        self.report_action.triggered.connect(lambda _c=False: self.report_correction())
        toolbar = QToolBar("Directory")
        named(toolbar, "Directory actions")
        toolbar.addAction(self.import_action)
        toolbar.addAction(self.export_action)
        toolbar.addAction(self.report_action)
        for action in (self.import_action, self.export_action, self.report_action):
            button = toolbar.widgetForAction(action)
            if button is not None:  # screen readers announce the tool button, not the action
                button.setAccessibleName(action.text().replace("&", "").rstrip("…"))

        self.note = QLabel(READ_ONLY_NOTE)
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Read-only note")
        self.note.setStyleSheet(
            f"background: {palette.NOTICE_BACKGROUND};"
            f" border: 1px solid {palette.NOTICE_BORDER}; padding: 4px;"
        )
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Directory result")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.tabs = QTabWidget()
        named(self.tabs, "Directory sections", "Services, Needs checking, Corrections")
        self.tabs.addTab(self._services_tab(), "&Services")
        self.tabs.addTab(self._checking_tab(), "&Needs checking")
        self.tabs.addTab(self._corrections_tab(), "C&orrections")

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(toolbar)
        box.addWidget(self.note)
        box.addWidget(self.result)
        box.addWidget(self.tabs, 1)
        self.result.hide()
        self._apply_role()

    # -- loading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload everything on the worker; a newer reload supersedes an older one."""
        admin = self.services.directory_admin
        months, min_count = self.months.value(), self.min_count.value()

        def load() -> tuple[Any, ...]:
            # A manager may do all a keeper may (roles are granted: services.roles).
            return (
                KEEPER if self.services.roles.has(KEEPER) else "officer",
                self.services.directory.list_services(),
                admin.stale_services(months),
                admin.problem_services(min_count),
                admin.corrections("open"),
            )

        op(self, load, kind="directory-page").success(self._loaded).failure(self._load_failed).run()

    def is_settled(self) -> bool:
        """True once every load and import has been delivered (for tests and the window)."""
        return find_worker(self).is_idle()

    def _loaded(self, result: tuple[Any, ...]) -> None:
        role, services, stale, problems, corrections = result
        self.is_keeper = role == KEEPER
        selected = self._pending_select or self._selected()
        self._pending_select = None
        self.services_model.today = self.services.clock.today()
        self.services_model.set_rows(services)
        self.stale_model.set_rows(stale)
        self.problem_model.set_rows(problems)
        self.corrections_model.set_rows(corrections)
        self.stale_count.setText(
            f"{len(stale)} service(s) not verified for "
            f"{self.months.value()} months or more, or never"
        )
        self.problem_count.setText(f"{len(problems)} service(s) often declining referrals")
        self.tabs.setTabText(
            2, f"C&orrections ({len(corrections)})" if corrections else "C&orrections"
        )
        for view in (self.services_view, self.stale_view, self.problem_view, self.corrections_view):
            view.resizeColumnsToContents()
            # No column wider than 280 pixels: one long organisation name pushed status,
            # capacity and verified off the right of the page. Cut text is whole in a tooltip.
            header = view.horizontalHeader()
            for column in range(header.count()):
                header.resizeSection(column, min(header.sectionSize(column), COLUMN_MAX_WIDTH))
        if selected:
            self.select_service(selected)
        self._apply_role()

    def _load_failed(self, err: BaseException) -> None:
        self.tell(error_text(err), error=True)

    def _apply_role(self) -> None:
        self.note.setVisible(not self.is_keeper)
        self.import_action.setEnabled(self.is_keeper)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self._selected() is not None
        self.new_button.setEnabled(self.is_keeper)
        for b in self.edit_buttons[1:]:
            b.setEnabled(self.is_keeper and has)
        self.report_button.setEnabled(has)
        self.report_action.setEnabled(has)
        for b in (
            self.stale_verify,
            self.accept_button,
            self.dismiss_button,
            self.edit_reported,
            self.resolution,
        ):
            b.setEnabled(self.is_keeper)

    def _status_filter_changed(self) -> None:
        status = self.status_filter.currentText()
        self.services_proxy.set_predicate(
            None if status not in SERVICE_STATUSES else (lambda s: s.status == status)
        )
        self._update_empty()

    def clear_filters(self) -> None:
        self.filter.clear()
        self.status_filter.setCurrentIndex(0)
        self.services_view.setFocus()

    def empty_text(self) -> str:
        """Why the services table shows nothing ("" when it shows something)."""
        if self.services_proxy.rowCount():
            return ""
        if not self.services_model.rowCount():
            return (
                "The directory has no services yet. The directory keeper adds them, or "
                "imports an HSDS package (Directory menu)."
            )
        words = " ".join(self.filter.text().split())
        status = self.status_filter.currentText()
        what = f"No services match “{words}”" if words else "No services"
        if status in SERVICE_STATUSES:
            what += f" with the status {status}"
        return f"{what}. Clear the filters to see all {self.services_model.rowCount()}."

    def _update_empty(self, *_args: object) -> None:
        text = self.empty_text()
        filtered = bool(text) and self.services_model.rowCount() > 0
        self.empty_label.setText(text)
        self.empty_label.setAccessibleDescription(text)
        self.clear_filters_button.setVisible(filtered)
        self.empty_panel.setVisible(bool(text))
        self.services_view.setVisible(not text)

    # -- selection ----------------------------------------------------------------------------
    def _selected(self, view: QTableView | None = None) -> str | None:
        view = view or self.services_view
        rows = view.selectionModel().selectedRows()
        if not rows:
            return None
        record = view.model().record(rows[0].row())
        return getattr(record, "service_id", None) or getattr(record, "id", None)

    def selected_service(self) -> ServiceView | None:
        rows = self.services_view.selectionModel().selectedRows()
        return self.services_proxy.record(rows[0].row()) if rows else None

    def select_service(self, service_id: str) -> bool:
        """Select (and show) a service in the Services table; False when it is filtered out."""
        for row in range(self.services_proxy.rowCount()):
            if self.services_proxy.record(row).id == service_id:
                self.services_view.selectRow(row)
                self.services_view.scrollTo(self.services_proxy.index(row, 0))
                return True
        return False

    # -- messages -----------------------------------------------------------------------------
    def tell(self, text: str, *, error: bool = False) -> None:
        """Results go to the window's message bar, or a line on the page when there is none."""
        bar = getattr(self.window(), "message_bar", None)
        if bar is not None:
            bar.show_message(text, kind="error" if error else "info")
            return
        colour = palette.ERROR if error else palette.INFO_TEXT
        self.result.setStyleSheet(f"color: {colour};")
        self.result.setText(text)
        self.result.setAccessibleDescription(text)
        self.result.show()

    def _write(
        self,
        action: Callable[[], Any],
        done: str,
        then: Callable[[], object] | None = None,
    ) -> None:
        """Run a keeper's write on the worker, say so, reload, then `then()`; a refusal is
        said on the page (the error policy's words) and changes nothing."""

        def written(_result: Any) -> None:
            self.tell(done)
            self.refresh()
            if then is not None:
                then()

        op(self, action).success(written).failure(self._load_failed).run()

    # -- keeper actions -----------------------------------------------------------------------
    def new_service(self) -> None:
        if not self.is_keeper:
            return
        dialog = ServiceEditorDialog(self.services, None, self)
        if run_dialog(dialog) and dialog.saved is not None:
            self.tell(f"Added {dialog.saved.name}.")
            self._pending_select = dialog.saved.id
            self.refresh()

    def edit_service(self, service_id: str | None = None) -> None:
        service_id = service_id or self._selected()
        if not self.is_keeper or service_id is None:
            return
        try:
            dialog = ServiceEditorDialog(self.services, service_id, self)
        except DomainError as err:
            self.tell(error_text(err), error=True)
            return
        if run_dialog(dialog) and dialog.saved is not None:
            self.tell(f"Saved {dialog.saved.name}.")
            self.refresh()

    def verify_today(self, service_id: str | None = None) -> None:
        service_id = service_id or self._selected()
        if not self.is_keeper or service_id is None:
            return
        self._write(
            lambda: self.services.directory_admin.verify_today(service_id),
            "Marked as verified today.",
        )

    def set_capacity(self) -> None:
        svc = self.selected_service()
        if not self.is_keeper or svc is None:
            return
        dialog = CapacityDialog(svc, self.services.clock.today(), self)
        if run_dialog(dialog):
            capacity, as_of = dialog.result_value
            self._write(
                lambda: self.services.directory_admin.set_capacity(svc.id, capacity, as_of),
                f"Capacity of {svc.name}: {capacity}.",
            )

    def set_precheck(self) -> None:
        svc = self.selected_service()
        if not self.is_keeper or svc is None:
            return
        dialog = PrecheckDialog(svc, self.services.clock.today(), self)
        if run_dialog(dialog):
            values = dialog.values

            self._write(
                lambda: self.services.directory_admin.set_precheck(svc.id, **values),
                f"Pre-check of {svc.name} saved.",
            )

    def change_status(self) -> None:
        svc = self.selected_service()
        if not self.is_keeper or svc is None:
            return
        dialog = StatusDialog(svc, self)
        if run_dialog(dialog):
            status = dialog.status.currentText()
            self._write(
                lambda: self.services.directory_admin.set_status(svc.id, status),
                f"{svc.name} is now {status}.",
            )

    def report_correction(self, service_id: str | None = None) -> None:
        """Any officer; the window may call this with the service an officer is looking at."""
        service_id = service_id or self._selected()
        if service_id is None:
            return
        if ask_for_correction(self.services, service_id, self):
            self.tell("Thank you: the directory keeper will check it.")
            self.refresh()

    def resolve(self, accept: bool) -> None:
        rows = self.corrections_view.selectionModel().selectedRows()
        if not self.is_keeper or not rows:
            self.correction_error.set_error("Select a correction first." if self.is_keeper else "")
            return
        correction: CorrectionView = self.corrections_proxy.record(rows[0].row())
        note = self.resolution.text()
        self.correction_error.set_error("")
        self._write(
            lambda: self.services.directory_admin.resolve_correction(correction.id, accept, note),
            "Correction accepted." if accept else "Correction dismissed.",
            self.resolution.clear,
        )

    def _edit_reported(self) -> None:
        service_id = self._selected(self.corrections_view)
        if service_id:
            self.edit_service(service_id)
