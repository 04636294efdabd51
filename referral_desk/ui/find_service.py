"""Find a service for a need: search as you type, filters pre-set from the need and the person.

The officer opens this from a need. Filters start where the person is (category from the need;
custody → their prison, community → their area; gender; age from date of birth), so the first
list is already relevant before anything is typed. Typing narrows it (debounced ~150 ms); the
search runs on a background worker so a slow disk never freezes typing, and at most one search
is in flight: keystrokes that arrive meanwhile coalesce into one follow-up search.

Keyboard: the search box keeps focus while Up/Down/Page Up/Page Down move through the results,
and Enter refers to the highlighted one (if a search is still running, Enter waits for it, so a
fast typist never refers to the previous query's top hit). The detail pane shows how to refer.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.states import UNMET_REASONS
from referral_desk.ui import palette
from referral_desk.ui.elided import ElidedLabel
from referral_desk.ui.find_service_filters import (
    RESULT_LIMIT,
    FindContext,
    SearchFilters,
    load_context,
)
from referral_desk.ui.lock import exec_dialog
from referral_desk.ui.messages import error_text
from referral_desk.ui.ops import op
from referral_desk.ui.record_referral import RecordReferralDialog
from referral_desk.ui.service_detail import service_detail_html
from referral_desk.ui.service_models import ResultColumn, ServiceResultsModel
from referral_desk.ui.tables import tip_elided_cells
from referral_desk.ui.widgets import fit_to_screen, named
from referral_desk.usecases.dto import (
    NeedView,
    PersonView,
    ReferralView,
    SearchResult,
)

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices

DEBOUNCE_MS = 150
SLOW_SEARCH_MS = 300

_NAV_KEYS = frozenset({Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown})


SEARCH_KIND = "find-service-search"
"""A newer search supersedes one still running (its results would be out of date)."""


class FindServiceDialog(SearchFilters, QDialog):
    """Search the directory for one need; `exec()` is Accepted once a referral is recorded.

    `last_referral` then holds the new ReferralView. Recording the need as unmet instead ends
    the dialog with `UNMET_RECORDED`, and `unmet_status` names the status recorded.
    """

    UNMET_RECORDED = 2
    results_shown = Signal(int)
    """Emitted on the UI thread once a search's results are in the table (row count)."""

    def __init__(
        self,
        services: AppServices,
        need_id: str,
        parent: QWidget | None = None,
        *,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._need_id = need_id
        self.last_referral: ReferralView | None = None
        self.unmet_status: str | None = None
        self.loaded = False
        self._in_flight = False
        self._refer_pending = False
        self._closing = False
        self._today: date = date.today()  # the clock's day arrives with the need
        self._detail_id: str | None = None
        self.need: NeedView | None = None
        self.person: PersonView | None = None
        self._category_labels: dict[str, str] = {}
        self._method_labels: dict[str, str] = {}

        self.setWindowTitle("Find a service")
        self.setAccessibleName("Find a service")
        self.setSizeGripEnabled(True)
        fit_to_screen(self, 1280, 720)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self.search_now)
        # Only a slow search says so: flashing "Searching…" on every keystroke is noise.
        self._slow = QTimer(self)
        self._slow.setSingleShot(True)
        self._slow.setInterval(SLOW_SEARCH_MS)
        self._slow.timeout.connect(lambda: self._set_status("Searching…"))

        self._build([], [], [])
        self.search_edit.setFocus()  # typing may start at once; it is searched once loaded
        op(self, lambda: load_context(services, need_id)).success(self._loaded).failure(
            self._load_failed
        ).run()

    def _loaded(self, context: FindContext) -> None:
        self.need, self.person, self._today = context.need, context.person, context.today
        self._category_labels = {c.code: c.label for c in context.categories}
        self._method_labels = context.method_labels
        self.model.set_category_labels(self._category_labels)
        need_text = self.need.category_label or self.need.category
        if self.need.description:
            need_text += f" – {self.need.description}"
        self.need_label.setText(need_text)
        self.person_label.setText(self._person_summary())
        for item in context.categories:
            self.category_combo.addItem(item.label, item.code)
        places = ((self.prison_combo, context.prisons), (self.area_combo, context.areas))
        for combo, labels in places:
            combo.addItems(labels)
            model = combo.completer().model()
            if isinstance(model, QStringListModel):
                model.setStringList(["", *labels])
        self.preset_filters()
        self._connect()
        self.loaded = True
        self.search_now()

    def _load_failed(self, err: BaseException) -> None:
        self.loaded = True  # nothing more is coming: say why instead of searching
        self._set_status(error_text(err), error=True)

    # --- building -------------------------------------------------------------------------

    def _build(self, categories: list[Any], prisons: list[str], areas: list[str]) -> None:
        layout = QVBoxLayout(self)

        # Two lines for the need and one for the person at most: a 4 000-character description
        # made this dialog 3 647 pixels wide. Whole in the tooltips.
        need_row = QHBoxLayout()
        need_caption = QLabel("<b>Need:</b>")
        need_row.addWidget(need_caption, 0, Qt.AlignmentFlag.AlignTop)
        self.need_label = ElidedLabel("", max_lines=2)  # filled in by _loaded
        self.need_label.setAccessibleName("Need")
        need_row.addWidget(self.need_label, 1)
        layout.addLayout(need_row)
        self.person_label = ElidedLabel("")
        self.person_label.setStyleSheet("color: #444;")
        self.person_label.setAccessibleName("Person")
        layout.addWidget(self.person_label)

        search_row = QHBoxLayout()
        search_label = QLabel("&Search:")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(
            "What the person needs, a service or an organisation (e.g. housing, debt, Nacro)"
        )
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMaxLength(200)
        named(
            self.search_edit,
            "Search services",
            "Type to search; Up and Down move through the results; Enter refers",
        )
        search_label.setBuddy(self.search_edit)
        search_row.addWidget(search_label)
        search_row.addWidget(self.search_edit, 1)
        layout.addLayout(search_row)

        layout.addLayout(self._build_filters(categories, prisons, areas))

        self.model = ServiceResultsModel(self)
        self.model.set_category_labels(self._category_labels)
        self.table = tip_elided_cells(QTableView())
        self.table.setModel(self.model)  # the model sorts itself: see ServiceResultsModel
        named(self.table, "Search results", "Services found; Enter or double-click refers")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSortIndicatorClearable(True)  # a third click goes back to relevance order
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        widths = {
            ResultColumn.NAME: 185,
            ResultColumn.ORGANISATION: 130,
            ResultColumn.OFFERS: 160,
            ResultColumn.ELIGIBILITY: 80,
            ResultColumn.COST: 62,
            ResultColumn.CAPACITY: 88,
            ResultColumn.PRECHECK: 118,
            ResultColumn.VERIFIED: 150,
        }
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(ResultColumn.OFFERS, QHeaderView.ResizeMode.Stretch)

        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        self.detail.setOpenExternalLinks(False)
        named(self.detail, "Service details", "How to refer and contact details")
        self.detail.setPlaceholderText("Choose a service to see how to refer.")

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([930, 330])
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        named(self.status_label, "Search status")
        layout.addWidget(self.status_label)

        buttons = QHBoxLayout()
        self.unmet_button = QPushButton("Record as &unmet")
        named(
            self.unmet_button,
            "Record the need as unmet",
            "No suitable service: record why, so the gap is counted",
        )
        self.unmet_button.setAutoDefault(False)
        menu = QMenu(self.unmet_button)
        menu.setAccessibleName("Why the need is unmet")
        for key, status in UNMET_REASONS.items():
            action = menu.addAction(status.label)
            action.setData(status.value)
            action.setObjectName(f"unmet-{key}")
        menu.triggered.connect(lambda action: self._record_unmet(str(action.data())))
        self.unmet_button.setMenu(menu)
        buttons.addWidget(self.unmet_button)
        # Officers find the wrong phone number or the closed service here, while searching.
        self.correction_button = QPushButton("Report &wrong details…")
        named(
            self.correction_button,
            "Report a correction",
            "Tell the directory keeper what is wrong with the selected service",
        )
        self.correction_button.setAutoDefault(False)
        buttons.addWidget(self.correction_button)
        buttons.addStretch(1)
        self.refer_button = QPushButton("&Refer to this service…")
        named(self.refer_button, "Refer to this service", "Record a referral to the chosen service")
        self.refer_button.setDefault(True)
        self.close_button = QPushButton("Close")
        named(self.close_button, "Close")
        self.close_button.setAutoDefault(False)
        buttons.addWidget(self.refer_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

        focus = QShortcut(QKeySequence.StandardKey.Find, self)
        focus.setObjectName("search")
        focus.activated.connect(self.focus_search)
        refer = QShortcut(QKeySequence("Ctrl+Return"), self)
        refer.activated.connect(self._on_refer_clicked)

    def _connect(self) -> None:
        self.search_edit.textChanged.connect(self.schedule_search)
        self.search_edit.installEventFilter(self)
        for combo in (self.category_combo, self.setting_combo, self.gender_combo):
            combo.currentIndexChanged.connect(self.schedule_search)
        for combo in (self.prison_combo, self.area_combo):
            combo.currentTextChanged.connect(self.schedule_search)
        self.age_spin.valueChanged.connect(self.schedule_search)
        for check in (
            self.free_check,
            self.prechecked_check,
            self.accepting_check,
            self.inactive_check,
        ):
            check.toggled.connect(self.schedule_search)
        self.clear_button.clicked.connect(self.clear_filters)
        self.reset_button.clicked.connect(self.preset_filters)
        selection = self.table.selectionModel()
        selection.currentRowChanged.connect(lambda current, _prev: self._show_detail(current))
        self.table.doubleClicked.connect(lambda _index: self._refer())
        self.refer_button.clicked.connect(self._on_refer_clicked)
        self.correction_button.clicked.connect(self.report_correction)
        self.close_button.clicked.connect(self.reject)

    # --- searching --------------------------------------------------------------------------

    @property
    def search_pending(self) -> bool:
        """True while loading, while typing has not settled, or while a search is running."""
        return not self.loaded or self._timer.isActive() or self._in_flight

    def schedule_search(self, *_args: object) -> None:
        if not self._closing:
            self._timer.start()

    def search_now(self) -> None:
        """Start the search for the current widgets (or queue it behind the running one)."""
        self._timer.stop()
        if self._closing or not self.loaded:
            return
        query = self.current_query()
        directory = self._services.directory
        self._in_flight = True
        if not self._slow.isActive():
            self._slow.start()
        # Only the newest search's outcome arrives: typing on supersedes the older ones.
        op(self, lambda: directory.search(query), kind=SEARCH_KIND).success(
            self._on_results
        ).failure(self._on_search_error).run()

    def _on_results(self, results: list[SearchResult]) -> None:
        self._in_flight = False
        if self._closing:
            return
        self._slow.stop()
        self.model.set_results(results, self._today)
        if results:
            first = self.model.index(0, 0)
            self.table.selectionModel().setCurrentIndex(
                first,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollToTop()
        else:
            self._detail_id = None
            self.detail.clear()
        self._set_status(self._status_text(len(results)))
        self.results_shown.emit(len(results))
        if self._refer_pending and not self.search_pending:
            self._refer_pending = False
            self._refer()

    def _on_search_error(self, err: BaseException) -> None:
        self._in_flight = False
        if self._closing:
            return
        self._slow.stop()
        self._refer_pending = False
        self.model.set_results([], self._today)
        self._detail_id = None
        self.detail.clear()
        self._set_status(error_text(err), error=True)
        self.results_shown.emit(0)

    def _status_text(self, count: int) -> str:
        if count == 0:
            if self.current_query().has_filters:
                return (
                    "No services match. Clear some filters (Alt+L), or record the need as "
                    "unmet (Alt+U) so the gap is counted."
                )
            return "No services match. Record the need as unmet (Alt+U) so the gap is counted."
        if count >= RESULT_LIMIT:
            return f"Showing the best {count} services: type more to narrow the list."
        return f"{count} service{'s' if count != 1 else ''} found."

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {palette.ERROR};" if error else "")
        self.status_label.setAccessibleDescription(text)

    # --- results and detail ------------------------------------------------------------------

    def report_correction(self) -> bool:
        """Any officer: what is wrong with the selected service goes to the keeper's inbox."""
        from referral_desk.ui.correction_dialog import ask_for_correction

        service = self.current_service()
        if service is None:
            self._set_status("Select a service first, then report what is wrong.", error=True)
            return False
        reported = ask_for_correction(self._services, service.id, self)
        if reported:
            self._set_status(f"Thank you: the directory keeper will check {service.name}.")
        return reported

    def current_service(self) -> SearchResult | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid():
            return None
        return self.model.result(index.row())

    def _show_detail(self, index: QModelIndex) -> None:
        if not index.isValid():
            self._detail_id = None
            self.detail.clear()
            return
        service = self.model.result(index.row())
        if service.id == self._detail_id:
            return  # same top hit as before the keystroke: laying out the HTML again is waste
        self._detail_id = service.id
        self.detail.setHtml(
            service_detail_html(
                service,
                today=self._today,
                category_labels=self._category_labels,
                method_labels=self._method_labels,
            )
        )

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up/Down/Page keys in the search box move through the results without leaving it."""
        if (
            watched is self.search_edit
            and event.type() == QEvent.Type.KeyPress
            and event.key() in _NAV_KEYS  # type: ignore[attr-defined]
            and self.model.rowCount() > 0
        ):
            QCoreApplication.sendEvent(self.table, event)
            return True
        return super().eventFilter(watched, event)

    # --- acting -----------------------------------------------------------------------------

    def _on_refer_clicked(self) -> None:
        if self.search_pending:
            # Enter straight after typing: refer to the top hit of what was typed, not the last.
            self._refer_pending = True
            if self._timer.isActive():
                self.search_now()
            return
        self._refer()

    def _refer(self) -> None:
        service = self.current_service()
        if service is None:
            self._set_status("Choose a service in the list first.", error=True)
            return
        dialog = RecordReferralDialog(self._services, self._need_id, service.id, self)
        try:
            if exec_dialog(dialog) == QDialog.DialogCode.Accepted and dialog.referral is not None:
                self.last_referral = dialog.referral
                self.accept()
        finally:
            dialog.deleteLater()

    def _record_unmet(self, status: str) -> None:
        need_id, needs = self._need_id, self._services.needs

        def recorded(_: object) -> None:
            self.unmet_status = status
            self.done(self.UNMET_RECORDED)

        op(self, lambda: needs.set_status(need_id, status, note="from Find a service")).success(
            recorded
        ).failure(
            # shown, never swallowed: nothing was recorded (a bug gets the safe message)
            lambda err: self._set_status(error_text(err), error=True)
        ).busy().run()

    def showEvent(self, event: Any) -> None:
        self._closing = False  # shown again after an earlier close: searching works again
        super().showEvent(event)

    def done(self, result: int) -> None:
        """Stop searching with the dialog: a search still running delivers to nobody."""
        self._closing = True
        self._timer.stop()
        self._slow.stop()
        self._in_flight = self._refer_pending = False
        super().done(result)
