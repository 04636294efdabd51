"""The directory page's three tabs (services, needs checking, corrections), laid out.

A mixin of `DirectoryPage` (`ui/directory_page.py`): the widgets it makes are the page's
attributes, which the page's loading and keeper actions then use.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.fields import max_length
from referral_desk.domain.vocabularies import (
    SERVICE_STATUSES,
)
from referral_desk.ui.directory_tables import (
    CorrectionsModel,
    ProblemModel,
    ServicesModel,
    StaleModel,
    action_button,
    record_table,
)
from referral_desk.ui.widgets import FieldError, named


class DirectoryTabs:
    """Builds the tabs of a `DirectoryPage`."""

    def _services_tab(self) -> QWidget:
        page = QWidget()
        self.services_model = ServicesModel(self.services.clock.today(), self)
        self.services_view, self.services_proxy = record_table(self.services_model, "Services")
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

        self.new_button = action_button(
            "&New service…", "New service", "Add a service", self.new_service
        )
        self.edit_button = action_button(
            "&Edit…", "Edit service", "Edit the selected service", self.edit_service
        )
        self.verify_button = action_button(
            "&Verified today",
            "Verified today",
            "Record that you checked the selected service today",
            self.verify_today,
        )
        self.capacity_button = action_button(
            "Set &capacity…",
            "Set capacity",
            "Accepting, waiting list or full, as of a date",
            self.set_capacity,
        )
        self.precheck_button = action_button(
            "&Pre-check…",
            "Pre-check",
            "What the provider agreed to share and report",
            self.set_precheck,
        )
        self.status_button = action_button(
            "Change s&tatus…",
            "Change status",
            "Active, inactive, temporarily closed or defunct",
            self.change_status,
        )
        self.report_button = action_button(
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
        self.clear_filters_button = action_button(
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
        self.stale_view, self.stale_proxy = record_table(self.stale_model, "Services not verified")
        self.problem_model = ProblemModel(self)
        self.problem_view, self.problem_proxy = record_table(
            self.problem_model, "Services declining referrals"
        )
        self.stale_verify = action_button(
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
        self.corrections_view, self.corrections_proxy = record_table(
            self.corrections_model, "Open corrections"
        )
        self.resolution = QLineEdit()
        self.resolution.setMaxLength(max_length("directory_correction", "resolution_note"))
        self.resolution.setPlaceholderText("What you did (optional)")
        named(self.resolution, "Resolution note", "Saved with the correction when you resolve it")
        note_label = QLabel("N&ote:")
        note_label.setBuddy(self.resolution)
        self.accept_button = action_button(
            "&Accept",
            "Accept correction",
            "The entry has been (or will be) corrected",
            lambda: self.resolve(True),
        )
        self.dismiss_button = action_button(
            "&Dismiss",
            "Dismiss correction",
            "The entry was right; nothing to change",
            lambda: self.resolve(False),
        )
        self.edit_reported = action_button(
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
