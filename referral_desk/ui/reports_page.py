"""Reports screen: choose a report and a period, read its tables and bar charts, export it.

The screen shows the officer's exact figures (`usecases.reports.run`), plus the "Other"
descriptions of unmet needs for reviewing categories: these are for the screen only. Anything
that leaves the machine goes through `usecases.reports.export`, which suppresses small counts
and strips names and free text; the status line says so. "Show as exported" runs the same
report suppressed, so the officer can see exactly what a file will show.

Reports can take a couple of seconds on a large team's data, so they run on the worker.

A commissioner (profile role "commissioner") also gets a "Region (hub)" scope: the same four
reports over every team's return at the regional hub (`usecases.hub`), always shown as exported
(small counts hidden), since they describe many teams' people. The hub address is kept as a
local setting of this PC; put passwords in the PostgreSQL password file, not the address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    Qt,
)
from PySide6.QtGui import (
    QKeySequence,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import ValidationError
from referral_desk.reports.model import Report, ReportTable
from referral_desk.ui.file_dialogs import REPORT_FOLDER, remember_folder, start_path
from referral_desk.ui.frozen_table import FrozenColumnTableView
from referral_desk.ui.messages import show_error, show_info
from referral_desk.ui.ops import find_worker, op
from referral_desk.ui.report_views import BarChart, ReportTableModel, TotalsLastProxy
from referral_desk.ui.tables import SORT_ROLE, tip_elided_cells
from referral_desk.ui.widgets import DateEdit, named
from referral_desk.usecases.reports import default_period

__all__ = ["REPORT_TITLES", "ReportsPage"]

REPORT_TITLES = {
    "unmet-needs": "Unmet needs",
    "outcomes": "Referral outcomes",
    "followups": "Follow-up discipline",
    "freshness": "Directory freshness",
}

EXPORTS = (
    ("csv", "CSV…", "CSV files (*.csv)"),
    ("xlsx", "Excel…", "Excel workbooks (*.xlsx)"),
    ("pdf", "PDF…", "PDF documents (*.pdf)"),
)

SCOPES = (("team", "This team"), ("region", "Region (hub)"))
COMMISSIONER = "commissioner"
HUB_URL_SETTING = "hub_url"
FROZEN_MAX_WIDTH = 240  # each frozen name column; two of them leave room for the figures


@dataclass(frozen=True)
class PageSetup:
    """What the page offers this officer, read once on the worker."""

    names: list[str]
    threshold: int
    commissioner: bool
    hub_url: str


class ReportsPage(QWidget):
    """The Reports screen. `services` is AppServices; its work runs on the window's worker.

    What the page offers (the report names, the officer's role, the hub address last used) is
    read on the worker when the page is first shown or refreshed (`ready` then turns True).
    """

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.report: Report | None = None
        self._shown: tuple[str, date, date] | None = None
        self._threshold = 0
        self.is_commissioner = False
        self.ready = False
        self._loading = False
        self._run_when_ready = False
        self._build_ui()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._load()

    def _load(self) -> None:
        """Read what the page offers, once (on the worker)."""
        if self.ready or self._loading:
            return
        self._loading = True
        services = self.services

        def work() -> PageSetup:
            return PageSetup(
                names=list(services.reports.names()),
                threshold=services.reports.threshold(),
                commissioner=services.roles.has(COMMISSIONER),
                hub_url=str(services.profile.local_setting(HUB_URL_SETTING, "")),
            )

        op(self, work).success(self._loaded).failure(self._load_failed).run()

    def _loaded(self, setup: PageSetup) -> None:
        self._loading = False
        self._threshold = setup.threshold
        self.is_commissioner = setup.commissioner
        for key in setup.names:
            self.chooser.addItem(REPORT_TITLES.get(key, key), key)
        self.hub_url.setText(setup.hub_url)
        for widget in (self.scope, self.scope_label):
            widget.setVisible(setup.commissioner)
        self._scope_changed()
        self._set_status("")
        self.run_button.setEnabled(True)
        self.ready = True
        if self._run_when_ready:
            self._run_when_ready = False
            self.run_report()

    def _load_failed(self, err: BaseException) -> None:
        self._loading = False
        show_error(self, err)

    # -- layout -------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.chooser = QComboBox()
        named(self.chooser, "Report")
        start, end = default_period(self.services.clock.today())
        self.date_from = self._date_edit("From date", start)
        self.date_to = self._date_edit("To date", end)
        self.as_exported = QCheckBox("Show as exported")
        named(
            self.as_exported, "Show as exported", "Hide small counts exactly as exported files do"
        )
        self.run_button = QPushButton("&Run")
        named(self.run_button, "Run report", "Run the report (Enter)")
        self.run_button.clicked.connect(self.run_report)
        self.export_buttons: dict[str, QPushButton] = {}
        self.scope = QComboBox()
        for key, text in SCOPES:
            self.scope.addItem(text, key)
        named(self.scope, "Scope", "This team's data, or every team's returns at the regional hub")
        self.hub_url = QLineEdit()
        self.hub_url.setPlaceholderText("postgresql://user@host:5432/hub")
        named(self.hub_url, "Hub address", "The regional hub's PostgreSQL address (libpq URI)")
        self.scope.currentIndexChanged.connect(self._scope_changed)
        filters = QHBoxLayout()
        pairs: list[tuple[str, QWidget]] = [("Re&port:", self.chooser)]
        pairs += [("&Scope:", self.scope), ("&Hub:", self.hub_url)]
        pairs += [("&From:", self.date_from), ("&To:", self.date_to)]
        self.hub_label: QLabel | None = None
        self.scope_label = QLabel()
        for text, widget in pairs:
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
            if widget is self.hub_url:
                self.hub_label = label
            if widget is self.scope:
                self.scope_label = label
        self.scope.hide()
        self.scope_label.hide()
        self.run_button.setEnabled(False)
        self._scope_changed()
        filters.addWidget(self.as_exported)
        filters.addWidget(self.run_button)
        filters.addStretch(1)
        filters.addWidget(QLabel("Export:"))
        for fmt, text, _filter in EXPORTS:
            button = QPushButton(text)
            named(button, f"Export {text.rstrip('…')}", f"Save the report as {fmt.upper()}")
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, f=fmt: self.export(f))
            filters.addWidget(button)
            self.export_buttons[fmt] = button

        self.title = QLabel("Choose a report and a period, then Run.")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setAccessibleName("Report title")

        self.tables = QTabWidget()
        named(self.tables, "Report tables")
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setAccessibleName("Report notes")
        self.notes.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.tables, 1)

        self.chart_choice = QComboBox()
        named(self.chart_choice, "Chart")
        self.chart_choice.currentIndexChanged.connect(self._show_chart)
        self.chart = BarChart()
        self.chart_scroll = QScrollArea()
        self.chart_scroll.setWidgetResizable(True)
        self.chart_scroll.setWidget(self.chart)
        self.chart_scroll.setAccessibleName("Chart area")
        self.other_label = QLabel("“Other” needs described (on screen only, never exported):")
        self.other_list = QListWidget()
        named(
            self.other_list,
            "Other need descriptions",
            "Needs logged as Other, for reviewing categories; never exported",
        )
        self.other_list.setMaximumHeight(110)
        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        chart_row = QHBoxLayout()
        chart_label = QLabel("C&hart:")
        chart_label.setBuddy(self.chart_choice)
        chart_row.addWidget(chart_label)
        chart_row.addWidget(self.chart_choice, 1)
        right_box.addLayout(chart_row)
        right_box.addWidget(self.chart_scroll, 1)
        right_box.addWidget(self.other_label)
        right_box.addWidget(self.other_list)
        self._set_other_visible(False)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        # The tables get two thirds: at 1366 wide the figures, not the chart, ran out of room.
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 440])
        splitter.setChildrenCollapsible(False)
        splitter.setMinimumHeight(120)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Report status")
        self._set_status("")

        box = QVBoxLayout(self)
        box.addLayout(filters)
        box.addWidget(self.title)
        box.addWidget(self.notes)
        box.addWidget(splitter, 1)
        box.addWidget(self.status)

        for key in ("Return", "Enter"):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setObjectName("run_report")
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.run_report)

    def is_regional(self) -> bool:
        return self.is_commissioner and self.scope.currentData() == "region"

    def _scope_changed(self) -> None:
        regional = self.is_regional()
        self.hub_url.setVisible(regional)
        if self.hub_label is not None:
            self.hub_label.setVisible(regional)
        self.as_exported.setEnabled(not regional)

    def _date_edit(self, name: str, value: date) -> DateEdit:
        """Typed like every date in the app (1/4/25, 1 Apr 2025, 2025-04-01…)."""
        edit = DateEdit(name)
        edit.set_value(value)
        return edit

    def _set_other_visible(self, visible: bool) -> None:
        self.other_label.setVisible(visible)
        self.other_list.setVisible(visible)

    def _set_status(self, prefix: str) -> None:
        threshold = self._threshold
        if self.is_regional():
            statement = (
                f"Regional reports cover every team's latest return at the hub. Counts below "
                f"{threshold} are hidden on screen and in files; the hub holds no names."
            )
            self.status.setText(f"{prefix}  {statement}" if prefix else statement)
            return
        statement = (
            f"Reports cover the whole team's data on this computer. Exported files hide counts "
            f"below {threshold} (shown as “<{threshold}”, or “[c]” where a count would give one "
            f"away) and carry no names or free text."
        )
        self.status.setText(f"{prefix}  {statement}" if prefix else statement)

    # -- running ------------------------------------------------------------------------------
    def current_name(self) -> str:
        return str(self.chooser.currentData())

    def _period(self) -> tuple[date, date]:
        """The period typed; ValidationError (naming the field) if a date is missing or wrong."""
        dates = []
        for edit, what in ((self.date_from, "From date"), (self.date_to, "To date")):
            value = edit.value()
            if value is None:
                raise ValidationError(f"Type the {what.lower()} of the report period.")
            dates.append(value)
        return dates[0], dates[1]

    def is_settled(self) -> bool:
        return self.ready and find_worker(self).is_idle()

    def refresh(self) -> None:
        """The window shows the page for the first time, or again after records changed:
        run the chosen report, so the officer never looks at an empty or out-of-date table."""
        self.run_report()

    def run_report(self) -> None:
        if not self.ready:
            self._run_when_ready = True
            self._load()
            return
        name = self.current_name()
        try:
            start, end = self._period()
        except ValidationError as err:
            show_error(self, err)
            return
        suppressed = self.as_exported.isChecked()
        reports = self.services.reports
        regional = self.is_regional()
        url = self.hub_url.text().strip()
        self.run_button.setEnabled(False)
        self._set_status("Running…")

        def work() -> tuple[Report, int]:
            if regional:
                report = self.services.hub.regional_suppressed(name, url, start, end)
                return report, report.suppressed_below or reports.threshold()
            return reports.run(name, start, end, suppressed=suppressed), reports.threshold()

        def done(result: tuple[Report, int]) -> None:
            report, self._threshold = result
            self.run_button.setEnabled(True)
            if regional:  # the address worked: offer it next time
                profile = self.services.profile
                op(self, lambda: profile.set_local_setting(HUB_URL_SETTING, url)).run()
            self._shown = (name, start, end)
            self.show_report(report)

        def failed(err: BaseException) -> None:
            self.run_button.setEnabled(True)
            self._set_status("")
            show_error(self, err)

        # A newer run supersedes one not delivered yet (the officer changed the report).
        op(self, work, kind="reports-run").success(done).failure(failed).run()

    def show_report(self, report: Report) -> None:
        self.report = report
        self.title.setText(f"{report.title}: {report.period.label}")
        current = self.tables.currentIndex()
        while self.tables.count():
            page = self.tables.widget(0)
            self.tables.removeTab(0)
            page.deleteLater()
        for table in report.tables:
            self.tables.addTab(self._table_view(table), table.title)
        if 0 <= current < self.tables.count():
            self.tables.setCurrentIndex(current)
        self.notes.setText(" ".join(report.notes))
        self._fit_notes()
        self.chart_choice.blockSignals(True)
        self.chart_choice.clear()
        for spec in report.charts:
            self.chart_choice.addItem(spec.title, spec.key)
        self.chart_choice.blockSignals(False)
        self._show_chart()
        self.other_list.clear()
        for other in report.other_descriptions:
            self.other_list.addItem(f"{other.identified_on.isoformat()}: {other.description}")
        if not report.other_descriptions:
            self.other_list.addItem("None in this period.")
        self._set_other_visible(report.name == "unmet-needs" and not self.is_regional())
        for button in self.export_buttons.values():
            button.setEnabled(True)
        when = "as exported (small counts hidden)" if report.suppressed_below else "exact counts"
        self._set_status(f"Showing {when}.")

    def _fit_notes(self) -> None:
        """A wrapped label in a box layout gets one line's height; give it all its lines."""
        text = self.notes.text()
        width = max(self.notes.contentsRect().width(), self.width() - 40, 200)
        flags = int(Qt.TextFlag.TextWordWrap)
        height = self.notes.fontMetrics().boundingRect(0, 0, width, 10_000, flags, text).height()
        self.notes.setFixedHeight(height + 4 if text else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_notes()

    def _table_view(self, table: ReportTable) -> QTableView:
        # The row names (provider, service…) stay in view while the figures scroll sideways.
        names = 0
        while names < min(2, len(table.columns)) and table.columns[names].kind == "label":
            names += 1
        view = tip_elided_cells(FrozenColumnTableView(frozen=max(names, 1)))
        model = ReportTableModel(table, view)
        proxy = TotalsLastProxy(view)
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        view.setModel(proxy)
        view.setSortingEnabled(True)
        view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        view.setAlternatingRowColors(True)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().setVisible(False)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        for column in range(view.frozen_count()):  # long names are cut, whole in the tooltip
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            view.resizeColumnToContents(column)
            view.setColumnWidth(column, min(view.columnWidth(column), FROZEN_MAX_WIDTH))
        view.setAccessibleName(table.title)
        if table.notes:
            view.setAccessibleDescription(" ".join(table.notes))
            view.setToolTip(" ".join(table.notes))
        return view

    def _show_chart(self) -> None:
        report = self.report
        key = self.chart_choice.currentData()
        spec = next((s for s in report.charts if s.key == key), None) if report else None
        self.chart.set_data(report.chart_data(spec) if report and spec else None)

    def current_table_view(self) -> QTableView | None:
        view = self.tables.currentWidget()
        return view if isinstance(view, QTableView) else None

    # -- export -------------------------------------------------------------------------------
    def export(self, fmt: str) -> None:
        name, start, end = self._shown or (self.current_name(), *self._period())
        file_filter = next(e[2] for e in EXPORTS if e[0] == fmt)
        # Documents the first time, then the folder the last report went to.
        suggested = start_path(
            REPORT_FOLDER, f"{name}-{start.isoformat()}-to-{end.isoformat()}.{fmt}"
        )
        chosen, _ = QFileDialog.getSaveFileName(
            self, f"Export report as {fmt.upper()}", suggested, file_filter
        )
        if not chosen:
            return
        path = Path(chosen)
        remember_folder(REPORT_FOLDER, path)
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(path.name + f".{fmt}")
        reports = self.services.reports
        regional = self.is_regional()
        url = self.hub_url.text().strip()
        self._set_status("Exporting…")

        def work() -> Path:
            if regional:
                return self.services.hub.export_regional(name, url, start, end, fmt, path)
            return reports.export(name, start, end, fmt, path)

        def done(written: Path) -> None:
            self._set_status("")
            show_info(self, f"Report saved to {written}")

        def failed(err: BaseException) -> None:
            self._set_status("")
            show_error(self, err)

        op(self, work).busy().success(done).failure(failed).run()
