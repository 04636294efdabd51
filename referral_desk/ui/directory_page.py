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
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import DomainError
from referral_desk.domain.fields import max_length
from referral_desk.domain.vocabularies import (
    CAPACITIES,
    CAPACITY_FULL,
    CAPACITY_WAITING_LIST,
    SERVICE_STATUSES,
    capacity_value,
)
from referral_desk.services.app_services import AppServices
from referral_desk.services.directory_admin import (
    CorrectionView,
    ImportReport,
)
from referral_desk.services.dto import ServiceView
from referral_desk.ui.correction_dialog import ask_for_correction
from referral_desk.ui.file_dialogs import DIRECTORY_FOLDER, remember_folder, start_path
from referral_desk.ui.freshness import freshness
from referral_desk.ui.messages import error_text
from referral_desk.ui.models import (
    AMBER,
    GREEN,
    GREY,
    RED,
    Column,
    FilterProxy,
    RecordTableModel,
    day_number,
)
from referral_desk.ui.ops import find_worker, op
from referral_desk.ui.service_editor import ServiceEditorDialog
from referral_desk.ui.widgets import (
    DateEdit,
    FieldError,
    fit_to_screen,
    fmt_date,
    named,
    run_dialog,
    tip_elided_cells,
)

KEEPER = "directory_keeper"
COLUMN_MAX_WIDTH = 280
READ_ONLY_NOTE = (
    "Only the directory keeper can change the directory (the team manager grants the role). "
    "You can still report a correction from any service."
)
ACTION_KINDS = ("new", "changed", "unchanged", "removed", "rejected")
KIND_TITLES = {
    "organisation": "Organisations",
    "location": "Locations",
    "service": "Services",
    "service_area": "Service areas",
}


def _status_colour(s: ServiceView) -> QColor | None:
    return {"active": None, "temporarily closed": AMBER}.get(s.status, GREY)


def _capacity_text(s: ServiceView) -> str:
    as_of = f" (as of {fmt_date(s.capacity_as_of)})" if s.capacity_as_of else ""
    return f"{capacity_value(s.capacity)}{as_of}"


def _capacity_colour(s: ServiceView) -> QColor | None:
    return {CAPACITY_FULL: RED, CAPACITY_WAITING_LIST: AMBER}.get(capacity_value(s.capacity))


def _precheck_text(s: ServiceView) -> str:
    if s.precheck_date is None:
        return "not pre-checked"
    parts = [
        name
        for name, on in (
            ("ISP", s.isp_agreed),
            ("attendance", s.reports_attendance),
            ("progress", s.reports_progress),
        )
        if on
    ]
    return f"{', '.join(parts) or 'none agreed'} ({fmt_date(s.precheck_date)})"


class ServicesModel(RecordTableModel):
    """Every service with what the keeper checks: status, capacity, verified, pre-check."""

    def __init__(self, today: date, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = today
        self.columns = (
            Column("Service", lambda s: s.name),
            Column("Organisation", lambda s: s.organisation_name),
            Column("Status", lambda s: s.status, colour=_status_colour),
            Column("Capacity", _capacity_text, colour=_capacity_colour),
            Column(
                "Verified",
                lambda s: fmt_date(s.assured_date) or "never",
                sort=lambda s: day_number(s.assured_date),
                tip=lambda s: (
                    freshness(s.assured_date, self.today).text
                    + (f" by {s.assurer}" if s.assurer else "")
                ),
                colour=lambda s: RED if freshness(s.assured_date, self.today).stale else GREEN,
            ),
            Column("Pre-check", _precheck_text),
            Column("Areas", lambda s: ", ".join(s.areas)),
        )


class StaleModel(RecordTableModel):
    columns = (
        Column("Service", lambda s: s.name),
        Column("Organisation", lambda s: s.organisation_name),
        Column("Status", lambda s: s.status),
        Column(
            "Last verified",
            lambda s: fmt_date(s.assured_date) or "never",
            sort=lambda s: day_number(s.assured_date),
        ),
        Column(
            "Months",
            lambda s: "" if s.months_since is None else str(s.months_since),
            sort=lambda s: -1 if s.months_since is None else s.months_since,
            numeric=True,
        ),
        Column("Verified by", lambda s: s.assurer),
    )


class ProblemModel(RecordTableModel):
    columns = (
        Column("Service", lambda p: p.name),
        Column("Organisation", lambda p: p.organisation_name),
        Column(
            "No capacity", lambda p: str(p.no_capacity), sort=lambda p: p.no_capacity, numeric=True
        ),
        Column(
            "Could not contact",
            lambda p: str(p.could_not_contact),
            sort=lambda p: p.could_not_contact,
            numeric=True,
        ),
        Column(
            "Last declined",
            lambda p: fmt_date(p.last_declined_on),
            sort=lambda p: day_number(p.last_declined_on),
        ),
    )


class CorrectionsModel(RecordTableModel):
    columns = (
        Column(
            "Reported", lambda c: fmt_date(c.reported_on), sort=lambda c: day_number(c.reported_on)
        ),
        Column("Service", lambda c: c.service_name),
        Column("Organisation", lambda c: c.organisation_name),
        Column("Reported by", lambda c: c.reported_by_name),
        Column("What is wrong", lambda c: " ".join(c.text.split()), tip=lambda c: c.text),
    )


def _table(model: RecordTableModel, name: str) -> tuple[QTableView, FilterProxy]:
    proxy = FilterProxy()
    proxy.setSourceModel(model)
    view = QTableView()
    tip_elided_cells(view)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    # A→Z by the first column: with no explicit sort, Qt's header starts descending (Z→A).
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.setTabKeyNavigation(False)
    named(view, name)
    return view, proxy


def _button(text: str, name: str, tip: str, slot: Callable[[], object]) -> QPushButton:
    button = QPushButton(text)
    named(button, name, tip)
    button.clicked.connect(lambda _c=False: slot())
    return button


class DirectoryPage(QWidget):
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
        self.note.setStyleSheet("background: #fff4d6; border: 1px solid #c9a227; padding: 4px;")
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

    # -- building -----------------------------------------------------------------------------
    def _services_tab(self) -> QWidget:
        page = QWidget()
        self.services_model = ServicesModel(self.services.clock.today(), self)
        self.services_view, self.services_proxy = _table(self.services_model, "Services")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by name, organisation, area…")
        self.filter.setClearButtonEnabled(True)
        named(self.filter, "Filter services", "Type words to show only matching services")
        self.filter.textChanged.connect(self.services_proxy.set_query)
        self.status_filter = QComboBox()
        self.status_filter.addItems(["All statuses", *SERVICE_STATUSES])
        named(self.status_filter, "Show status", "Show services with this status only")
        self.status_filter.currentIndexChanged.connect(self._status_filter_changed)
        filter_label = QLabel("&Filter:")
        filter_label.setBuddy(self.filter)
        top = QHBoxLayout()
        top.addWidget(filter_label)
        top.addWidget(self.filter, 1)
        top.addWidget(self.status_filter)

        self.new_button = _button("&New service…", "New service", "Add a service", self.new_service)
        self.edit_button = _button(
            "&Edit…", "Edit service", "Edit the selected service", self.edit_service
        )
        self.verify_button = _button(
            "&Verified today",
            "Verified today",
            "Record that you checked the selected service today",
            self.verify_today,
        )
        self.capacity_button = _button(
            "Set &capacity…",
            "Set capacity",
            "Accepting, waiting list or full, as of a date",
            self.set_capacity,
        )
        self.precheck_button = _button(
            "&Pre-check…",
            "Pre-check",
            "What the provider agreed to share and report",
            self.set_precheck,
        )
        self.status_button = _button(
            "Change s&tatus…",
            "Change status",
            "Active, inactive, temporarily closed or defunct",
            self.change_status,
        )
        self.report_button = _button(
            "&Report a correction…",
            "Report a correction",
            "Tell the directory keeper what is wrong",
            self.report_correction,
        )
        self.edit_buttons = (
            self.new_button,
            self.edit_button,
            self.verify_button,
            self.capacity_button,
            self.precheck_button,
            self.status_button,
        )
        buttons = QHBoxLayout()
        for b in (*self.edit_buttons, self.report_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.services_view.doubleClicked.connect(lambda _i: self.edit_service())
        self.services_view.selectionModel().selectionChanged.connect(
            lambda *_a: self._update_buttons()
        )

        # When the filters hide every service, say so and offer the way out, instead of an
        # empty table that looks like an empty directory.
        self.empty_panel = QFrame()
        self.empty_panel.setObjectName("emptyServices")
        self.empty_panel.setStyleSheet(
            "QFrame#emptyServices { background: palette(base); border: 1px solid palette(mid); }"
        )
        empty_row = QHBoxLayout(self.empty_panel)
        self.empty_label = QLabel()
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)
        self.empty_label.setAccessibleName("No services shown")
        empty_row.addWidget(self.empty_label, 1, Qt.AlignmentFlag.AlignTop)
        self.clear_filters_button = _button(
            "C&lear filters", "Clear filters", "Show every service again", self.clear_filters
        )
        empty_row.addWidget(self.clear_filters_button, 0, Qt.AlignmentFlag.AlignTop)
        self.empty_panel.hide()
        proxy = self.services_proxy
        for signal in (
            proxy.modelReset,
            proxy.layoutChanged,
            proxy.rowsInserted,
            proxy.rowsRemoved,
        ):
            signal.connect(self._update_empty)
        self.filter.textChanged.connect(self._update_empty)

        box = QVBoxLayout(page)
        box.addLayout(top)
        box.addWidget(self.services_view, 1)
        box.addWidget(self.empty_panel, 1)
        box.addLayout(buttons)
        return page

    def _checking_tab(self) -> QWidget:
        page = QWidget()
        self.months = QSpinBox()
        self.months.setRange(1, 120)
        self.months.setValue(12)
        self.months.setSuffix(" months")
        named(self.months, "Not verified for", "Show services not verified for this many months")
        self.months.valueChanged.connect(lambda _v: self.refresh())
        self.min_count = QSpinBox()
        self.min_count.setRange(1, 50)
        self.min_count.setValue(2)
        named(
            self.min_count,
            "Declined at least",
            "Show services declining this many referrals in the last 12 months",
        )
        self.min_count.valueChanged.connect(lambda _v: self.refresh())
        self.stale_model = StaleModel(self)
        self.stale_view, self.stale_proxy = _table(self.stale_model, "Services not verified")
        self.problem_model = ProblemModel(self)
        self.problem_view, self.problem_proxy = _table(
            self.problem_model, "Services declining referrals"
        )
        self.stale_verify = _button(
            "Verified to&day",
            "Verified today (not verified list)",
            "Record that you checked the selected service today",
            lambda: self.verify_today(self._selected(self.stale_view)),
        )

        months_label = QLabel("Not &verified for at least")
        months_label.setBuddy(self.months)
        row = QHBoxLayout()
        row.addWidget(months_label)
        row.addWidget(self.months)
        row.addStretch(1)
        row.addWidget(self.stale_verify)
        count_label = QLabel("Referrals declined for no capacity or could not contact, at l&east")
        count_label.setBuddy(self.min_count)
        row2 = QHBoxLayout()
        row2.addWidget(count_label)
        row2.addWidget(self.min_count)
        row2.addWidget(QLabel("times in 12 months"))
        row2.addStretch(1)
        self.stale_count = QLabel()
        self.problem_count = QLabel()
        box = QVBoxLayout(page)
        box.addLayout(row)
        box.addWidget(self.stale_count)
        box.addWidget(self.stale_view, 3)
        box.addLayout(row2)
        box.addWidget(self.problem_count)
        box.addWidget(self.problem_view, 2)
        return page

    def _corrections_tab(self) -> QWidget:
        page = QWidget()
        self.corrections_model = CorrectionsModel(self)
        self.corrections_view, self.corrections_proxy = _table(
            self.corrections_model, "Open corrections"
        )
        self.resolution = QLineEdit()
        self.resolution.setMaxLength(max_length("directory_correction", "resolution_note"))
        self.resolution.setPlaceholderText("What you did (optional)")
        named(self.resolution, "Resolution note", "Saved with the correction when you resolve it")
        note_label = QLabel("N&ote:")
        note_label.setBuddy(self.resolution)
        self.accept_button = _button(
            "&Accept",
            "Accept correction",
            "The entry has been (or will be) corrected",
            lambda: self.resolve(True),
        )
        self.dismiss_button = _button(
            "&Dismiss",
            "Dismiss correction",
            "The entry was right; nothing to change",
            lambda: self.resolve(False),
        )
        self.edit_reported = _button(
            "Edit ser&vice…",
            "Edit reported service",
            "Open the service the correction is about",
            self._edit_reported,
        )
        self.corrections_view.doubleClicked.connect(lambda _i: self._edit_reported())
        self.correction_error = FieldError()
        row = QHBoxLayout()
        row.addWidget(note_label)
        row.addWidget(self.resolution, 1)
        row.addWidget(self.accept_button)
        row.addWidget(self.dismiss_button)
        row.addWidget(self.edit_reported)
        box = QVBoxLayout(page)
        box.addWidget(self.corrections_view, 1)
        box.addWidget(self.correction_error)
        box.addLayout(row)
        return page

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
        colour = "#b00020" if error else "#0b2c4f"
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

    # -- HSDS import and export ---------------------------------------------------------------
    def choose_package(self) -> Path | None:
        """One dialog for every form: the .zip, the folder's datapackage.json (or any file of
        an older package's folder, which may have none), or a saved ORUK .json of services."""
        path, _filter = QFileDialog.getOpenFileName(
            self,
            "Import HSDS package",
            start_path(DIRECTORY_FOLDER),
            "HSDS package or ORUK services (*.zip datapackage.json *.json);;"
            "Any file in the package folder (*)",
        )
        if not path:
            return None
        chosen = Path(path)
        remember_folder(DIRECTORY_FOLDER, chosen)
        if chosen.suffix.lower() == ".zip" or is_services_json(chosen):
            return chosen
        return chosen.parent

    def import_package(self) -> None:
        """Preview on the worker, show what would change, and apply only when asked."""
        if not self.is_keeper:
            return
        path = self.choose_package()
        if path is None:
            return
        admin = self.services.directory_admin
        self._run_busy(
            "Reading the package…",
            lambda: admin.import_package(path, dry_run=True),
            lambda report: self._show_preview(path, report),
        )

    def _show_preview(self, path: Path, report: ImportReport) -> None:
        dialog = ImportPreviewDialog(report, path, self)
        self.preview_dialog = dialog
        dialog.accepted.connect(lambda: self._apply_import(path))
        dialog.finished.connect(lambda _r: self._preview_closed(dialog))
        dialog.open()  # window-modal without blocking: the worker's callbacks keep flowing

    def _preview_closed(self, dialog: ImportPreviewDialog) -> None:
        if self.preview_dialog is dialog:
            self.preview_dialog = None
        dialog.deleteLater()

    def _apply_import(self, path: Path) -> None:
        admin = self.services.directory_admin
        op(self, lambda report: admin.import_package(path, after_chunk=report)).progress(
            "Importing the package…"
        ).success(self._imported).failure(self._load_failed).run()

    def _imported(self, report: ImportReport) -> None:
        self.last_report = report
        self.tell(summary_text(report))
        self.refresh()

    def export_package(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self,
            "Export HSDS package",
            start_path(DIRECTORY_FOLDER, "directory-hsds.zip"),
            "Zip file (*.zip)",
        )
        if not path:
            return
        remember_folder(DIRECTORY_FOLDER, path)
        admin = self.services.directory_admin
        self._run_busy(
            "Exporting the directory…",
            lambda: admin.export_package(path),
            lambda s: self.tell(f"Exported {s.services} service(s) to {s.path}."),
        )

    def _run_busy(self, text: str, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run on the worker behind a busy indicator. No cancel: a large import is applied in
        journaled steps that always finish (even after a crash); it never stops half-way."""
        op(self, fn).busy(text).success(done).failure(self._load_failed).run()


def summary_text(report: ImportReport) -> str:
    verb = "Would add" if report.dry_run else "Imported"
    parts = [
        f"{report.total('new')} new",
        f"{report.total('changed')} changed",
        f"{report.total('unchanged')} unchanged",
        f"{report.total('rejected')} rejected",
    ]
    return f"{verb}: " + ", ".join(parts) + " (organisations, locations, services, areas)."


def is_services_json(path: Path) -> bool:
    """A saved ORUK/HSDS JSON file of services (not a package's datapackage.json)."""
    return path.suffix.lower() == ".json" and path.name != "datapackage.json"


def other_rejections(report: ImportReport) -> list[str]:
    """Rejected rows of tables the counts grid has no row for (phones, schedules…)."""
    others = {
        t: n
        for t, n in report.rejected_by_table.items()
        if t not in ("organization", "location", "service", "service_area")
    }
    if not others:
        return []
    return [
        "Other rows rejected, by table: "
        + ", ".join(f"{t.replace('_', ' ')} {n}" for t, n in sorted(others.items()))
        + "."
    ]


# -- small dialogs ------------------------------------------------------------------------------
def _dialog_buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    named(ok, ok_text.replace("&", ""))
    named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "Cancel")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class CapacityDialog(QDialog):
    """Capacity as of a date: officers need to know how old "accepting" is."""

    def __init__(self, svc: ServiceView, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Capacity – {svc.name}")
        self.setAccessibleName("Set capacity")
        self.today = today
        self.capacity = QComboBox()
        self.capacity.addItems(CAPACITIES)
        self.capacity.setCurrentText(svc.capacity)
        named(self.capacity, "Capacity")
        self.as_of = DateEdit("As of")
        self.as_of.set_value(today)
        self.error = FieldError()
        form = QFormLayout(self)
        label = QLabel("&Capacity")
        label.setBuddy(self.capacity)
        form.addRow(label, self.capacity)
        label2 = QLabel("&As of")
        label2.setBuddy(self.as_of)
        form.addRow(label2, self.as_of)
        form.addRow(self.error)
        form.addRow(_dialog_buttons(self, "&Save"))
        self.result_value: tuple[str, date | None] = (svc.capacity, today)

    def accept(self) -> None:
        try:
            day = self.as_of.value()
        except DomainError as err:
            self.error.set_error(str(err))
            return
        if day is not None and day > self.today:
            self.error.set_error("As of cannot be in the future")
            return
        self.result_value = (self.capacity.currentText(), day)
        super().accept()


class PrecheckDialog(QDialog):
    """Pre-check: the protocol and reporting the provider agreed, when and by whom."""

    def __init__(self, svc: ServiceView, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Pre-check – {svc.name}")
        self.setAccessibleName("Pre-check")
        self.today = today
        self.isp = QCheckBox("&Information-sharing protocol agreed")
        self.isp.setChecked(svc.isp_agreed)
        self.attendance = QCheckBox("Reports a&ttendance")
        self.attendance.setChecked(svc.reports_attendance)
        self.progress = QCheckBox("Reports &progress")
        self.progress.setChecked(svc.reports_progress)
        for box in (self.isp, self.attendance, self.progress):
            named(box, box.text().replace("&", ""))
        self.checked_on = DateEdit("Pre-check date")
        self.checked_on.set_value(today)
        self.checked_by = QLineEdit()
        self.checked_by.setMaxLength(max_length("service", "precheck_by"))
        self.checked_by.setPlaceholderText("You, if left empty")
        named(self.checked_by, "Checked by", "Who did the pre-check; empty means you")
        self.error = FieldError()
        form = QFormLayout(self)
        for box in (self.isp, self.attendance, self.progress):
            form.addRow(box)
        label = QLabel("&Date")
        label.setBuddy(self.checked_on)
        form.addRow(label, self.checked_on)
        label2 = QLabel("Checked &by")
        label2.setBuddy(self.checked_by)
        form.addRow(label2, self.checked_by)
        form.addRow(self.error)
        form.addRow(_dialog_buttons(self, "&Save"))
        self.values: dict[str, Any] = {}

    def accept(self) -> None:
        try:
            day = self.checked_on.value()
        except DomainError as err:
            self.error.set_error(str(err))
            return
        if day is not None and day > self.today:
            self.error.set_error("Pre-check date cannot be in the future")
            return
        self.values = {
            "isp_agreed": self.isp.isChecked(),
            "reports_attendance": self.attendance.isChecked(),
            "reports_progress": self.progress.isChecked(),
            "checked_on": day,
            "checked_by": self.checked_by.text().strip() or None,
        }
        super().accept()


class StatusDialog(QDialog):
    """Status instead of deletion: old referrals keep pointing at the service."""

    def __init__(self, svc: ServiceView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Status – {svc.name}")
        self.setAccessibleName("Change status")
        self.status = QComboBox()
        self.status.addItems(SERVICE_STATUSES)
        self.status.setCurrentText(svc.status)
        named(self.status, "Status")
        hint = QLabel(
            "Services are never deleted while referrals point to them: mark them "
            "inactive, temporarily closed or defunct instead."
        )
        hint.setWordWrap(True)
        form = QFormLayout(self)
        label = QLabel("&Status")
        label.setBuddy(self.status)
        form.addRow(label, self.status)
        form.addRow(hint)
        form.addRow(_dialog_buttons(self, "&Save"))


class ImportPreviewDialog(QDialog):
    """What an import would do, before it does it: counts, then every rejected row and why."""

    def __init__(self, report: ImportReport, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle("Import preview")
        self.setAccessibleName("Import preview")
        fit_to_screen(self, 760, 560)
        detected = f" Detected: {report.form}." if report.form else ""
        heading = QLabel(f"Package: {path.name}.{detected} Nothing has been changed yet.")
        heading.setWordWrap(True)
        self.counts = QTableWidget(len(report.counts), len(ACTION_KINDS))
        named(self.counts, "What would change", "Rows per kind of record and what would happen")
        self.counts.setHorizontalHeaderLabels([a.capitalize() for a in ACTION_KINDS])
        self.counts.setVerticalHeaderLabels([KIND_TITLES.get(k, k) for k in report.counts])
        self.counts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.counts.setTabKeyNavigation(False)
        for r, counts in enumerate(report.counts.values()):
            for c, action in enumerate(ACTION_KINDS):
                item = QTableWidgetItem(str(counts.get(action, 0)))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.counts.setItem(r, c, item)
        self.counts.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        height = self.counts.horizontalHeader().height() + 4
        height += sum(self.counts.rowHeight(r) for r in range(self.counts.rowCount()))
        self.counts.setFixedHeight(height)

        issues = [("Rejected", i) for i in report.rejected] + [
            ("Warning", i) for i in report.warnings
        ]
        self.rejected = QTableWidget(len(issues), 5)
        named(self.rejected, "Rejected rows and warnings", "Each skipped row with its reason")
        self.rejected.setHorizontalHeaderLabels(["", "File", "Row", "Record", "Reason"])
        self.rejected.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rejected.setTabKeyNavigation(False)
        self.rejected.verticalHeader().hide()
        for r, (kind, issue) in enumerate(issues):
            for c, text in enumerate(
                (kind, issue.file, str(issue.row), issue.record_id, issue.message)
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.rejected.setItem(r, c, item)
        self.rejected.setWordWrap(True)
        self.rejected.resizeColumnsToContents()
        self.rejected.setColumnWidth(3, min(self.rejected.columnWidth(3), 120))
        header = self.rejected.horizontalHeader()
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.rejected.resizeRowsToContents()
        rejected = max(report.rejected_total, len(report.rejected))
        warnings = max(report.warnings_total, len(report.warnings))
        rejected_label = QLabel(f"&Rejected rows ({rejected}) and warnings ({warnings}):")
        rejected_label.setBuddy(self.rejected)
        counts_label = QLabel("&What would change:")
        counts_label.setBuddy(self.counts)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = buttons.addButton(
            "&Apply import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        named(self.apply_button, "Apply import", "Write these changes to the directory")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "Cancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        if report.cleaned_cells:
            heading.setText(
                heading.text() + f" {report.cleaned_cells} cell(s) held control "
                "characters; they will be removed."
            )
        nothing = report.total("new") + report.total("changed") + report.total("removed") == 0
        if nothing:
            self.apply_button.setEnabled(False)
            heading.setText(heading.text() + " The package holds nothing new.")

        box = QVBoxLayout(self)
        box.addWidget(heading)
        box.addWidget(counts_label)
        box.addWidget(self.counts)
        for note in [*other_rejections(report), *report.notes]:
            label = QLabel(note)
            label.setWordWrap(True)
            box.addWidget(label)
        box.addWidget(rejected_label)
        box.addWidget(self.rejected, 1)
        box.addWidget(buttons)
        self.apply_button.setFocus()
