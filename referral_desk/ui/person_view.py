"""One person's case: who they are and where, their needs in priority order, their referrals and
follow-ups, and a timeline of everything that happened, with who and when.

Needs are tackled "sequentially rather than all at once", so the needs table is in priority
order and is reordered by dragging or with Alt+Up / Alt+Down. Every write goes through a use
case; the page then reloads the person from the store so what is shown is what was saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import DomainError
from referral_desk.domain.fields import max_length
from referral_desk.ui.elided import ElidedLabel
from referral_desk.ui.messages import show_error
from referral_desk.ui.models import (
    FollowUpTableModel,
    NeedsTableModel,
    ReferralsTableModel,
    TimelineTableModel,
)
from referral_desk.ui.my_day import (
    action_button,
    make_table,
)
from referral_desk.ui.ops import op
from referral_desk.ui.person_actions import PersonActions
from referral_desk.ui.person_header import PersonHeader
from referral_desk.ui.tables import ROW_ROLE, FilterProxy
from referral_desk.ui.widgets import named
from referral_desk.ui.worker import Worker
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import (
    FollowUpView,
    NeedView,
    PersonDetail,
    PersonView,
    ReferralView,
)


class PersonPage(PersonHeader, PersonActions, QWidget):
    """The person view. `actions` maps names to the window's QActions for the page's buttons."""

    find_service_requested = Signal(str)  # need id
    referral_requested = Signal(str)  # referral id
    person_deleted = Signal()
    changed = Signal()
    loaded = Signal(str)
    selection_changed = Signal()

    def __init__(
        self,
        services: AppServices,
        worker: Worker,
        actions: Mapping[str, QAction],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.worker = worker
        self.detail: PersonDetail | None = None
        self.person_id: str | None = None
        self._want_need: str | None = None
        self._want_referral: str | None = None
        self._draft_notes: dict[str, str] = {}
        today = services.clock.today()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self._header(actions))

        self.needs_model = NeedsTableModel(self)
        self.needs_model.reorder_requested.connect(self._reorder)
        self.needs_view = make_table("Needs", sortable=False)
        self.needs_view.setModel(self.needs_model)
        self.needs_view.setDragEnabled(True)
        self.needs_view.setAcceptDrops(True)
        self.needs_view.setDropIndicatorShown(True)
        self.needs_view.setDragDropOverwriteMode(False)
        self.needs_view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.needs_view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.needs_view.activated.connect(lambda _i: self.edit_need())
        for key in ("delete_need", "edit_need", "move_need_up", "move_need_down"):
            if key in actions:
                self.needs_view.addAction(actions[key])

        self.referrals_model = ReferralsTableModel(parent=self)
        self.referrals_proxy = FilterProxy(self)
        self.referrals_proxy.setSourceModel(self.referrals_model)
        self.referrals_view = make_table("Referrals")
        self.referrals_view.setModel(self.referrals_proxy)
        self.referrals_view.activated.connect(self._referral_activated)
        if "delete_referral" in actions:
            self.referrals_view.addAction(actions["delete_referral"])

        self.follow_model = FollowUpTableModel(today, self)
        self.follow_proxy = FilterProxy(self)
        self.follow_proxy.setSourceModel(self.follow_model)
        self.follow_view = make_table("Follow-ups of this person")
        self.follow_view.setModel(self.follow_proxy)
        self.follow_view.activated.connect(self._follow_activated)

        self.timeline_model = TimelineTableModel(self)
        self.timeline_proxy = FilterProxy(self)
        self.timeline_proxy.setSourceModel(self.timeline_model)
        self.timeline_view = make_table("Timeline")
        self.timeline_view.setModel(self.timeline_proxy)
        # One line per event (measuring wrapped rows costs ~50 ms per 100 events); the selected
        # event's full text shows under the table.
        self.timeline_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.timeline_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.referrals_view.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.follow_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)

        for view in (self.needs_view, self.referrals_view, self.follow_view, self.timeline_view):
            view.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())

        needs_panel = self._panel(
            "Needs (in priority order)",
            self.needs_view,
            [
                actions[k]
                for k in (
                    "log_need",
                    "find_service",
                    "need_status",
                    "move_need_up",
                    "move_need_down",
                    "delete_need",
                )
                if k in actions
            ],
        )
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Referrals and follow-ups")
        self.tabs.addTab(
            self._panel(
                "",
                self.referrals_view,
                [actions[k] for k in ("open_referral", "delete_referral") if k in actions],
            ),
            "&Referrals",
        )
        self.tabs.addTab(
            self._panel(
                "",
                self.follow_view,
                [actions[k] for k in ("follow_up_done", "reschedule") if k in actions],
            ),
            "Follow-&ups",
        )
        self.tabs.currentChanged.connect(lambda _i: self.selection_changed.emit())

        left = QSplitter(Qt.Orientation.Vertical)
        left.setObjectName("personLeftSplitter")
        left.setChildrenCollapsible(False)
        left.addWidget(needs_panel)
        left.addWidget(self.tabs)

        timeline_panel = QWidget()
        tl = QVBoxLayout(timeline_panel)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self._section_label("Timeline"))
        self.timeline_filter = QLineEdit()
        self.timeline_filter.setPlaceholderText("Filter the timeline")
        self.timeline_filter.setClearButtonEnabled(True)
        named(self.timeline_filter, "Filter timeline")
        self.timeline_filter.textChanged.connect(self.timeline_proxy.set_query)
        tl.addWidget(self.timeline_filter)
        tl.addWidget(self.timeline_view, 1)
        # Three lines at most: a 4 000-character note is shortened, whole in the tooltip.
        self.timeline_detail = ElidedLabel(max_lines=3)
        self.timeline_detail.setAccessibleName("Selected event")
        self.timeline_detail.setStyleSheet("color: #333;")
        tl.addWidget(self.timeline_detail)
        self.timeline_view.selectionModel().currentRowChanged.connect(self._show_event)
        note_row = QHBoxLayout()
        self.note_edit = QLineEdit()
        note_keys = (
            actions["add_note"].shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if "add_note" in actions
            else ""
        )
        self._note_hint = (
            f"Add a case note ({note_keys}), Enter to save"
            if note_keys
            else "Add a case note, Enter to save"
        )
        self.note_edit.setPlaceholderText(self._note_hint)
        self.note_edit.setMaxLength(max_length("case_note", "text"))
        named(self.note_edit, "Case note")
        self.note_edit.returnPressed.connect(self.add_note)
        self.note_button = QPushButton("Add &note")
        named(self.note_button, "Add note")
        self.note_button.setAutoDefault(False)
        self.note_button.clicked.connect(self.add_note)
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.note_button)
        tl.addLayout(note_row)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("personSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(timeline_panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.left_splitter = left
        layout.addWidget(self.splitter, 1)
        self._size_columns()
        self._show_empty()

    # -- building -----------------------------------------------------------------------------
    @staticmethod
    def _section_label(text: str) -> QLabel:
        label = QLabel(f"<b>{text}</b>")
        label.setAccessibleName(text)
        return label

    def _panel(self, title: str, view: QTableView, actions: list[QAction]) -> QWidget:
        panel = QWidget()
        box = QVBoxLayout(panel)
        box.setContentsMargins(0, 4, 0, 0)
        if title:
            box.addWidget(self._section_label(title))
        box.addWidget(view, 1)
        row = QHBoxLayout()
        for action in actions:
            row.addWidget(action_button(action))
        row.addStretch(1)
        box.addLayout(row)
        return panel

    def _size_columns(self) -> None:
        fm = self.fontMetrics()

        def width(sample: str) -> int:
            return fm.horizontalAdvance(sample) + 24

        for view, samples in (
            (
                self.needs_view,
                ["00", "Emotional well-being WW", "", "Unmet – no service found", "00 Mmm 0000"],
            ),
            (
                self.referrals_view,
                ["WWW-WWW", "", "Waiting list", "00 Mmm 0000", "00 Mmm 0000 00:00"],
            ),
            (
                self.follow_view,
                [
                    "Overdue 10 days (00 Mmm 0000)",
                    "Check acceptance",
                    "Firstname Lastname",
                    "WWW-WWW",
                    "Hope Mentoring WW",
                ],
            ),
            (self.timeline_view, ["00 Mmm 0000 00:00"]),
        ):
            header = view.horizontalHeader()
            for col, sample in enumerate(samples):
                header.resizeSection(col, width(sample))
        # The free text gets whatever width is left; the other columns keep their size.
        for view, stretch in (
            (self.needs_view, 2),
            (self.referrals_view, 1),
            (self.follow_view, 5),
            (self.timeline_view, 1),
        ):
            header = view.horizontalHeader()
            header.setStretchLastSection(False)
            header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(40)
        self.timeline_view.horizontalHeader().resizeSection(2, width("Alex Morgan"))
        # Long text wraps onto a second line when its column is narrow (a laptop screen); rows
        # keep a fixed height, so nothing is measured row by row.
        for view, column, narrow in ((self.timeline_view, 1, 520), (self.needs_view, 2, 330)):
            view.horizontalHeader().sectionResized.connect(
                lambda col, _old, new, v=view, c=column, n=narrow: (
                    c == col and self._fit_rows(v, new < n)
                )
            )

    @staticmethod
    def _fit_rows(view: QTableView, two_lines: bool) -> None:
        line = view.fontMetrics().height()
        view.setWordWrap(two_lines)
        view.verticalHeader().setDefaultSectionSize(line * (2 if two_lines else 1) + 10)

    # -- loading ------------------------------------------------------------------------------
    def show_person(self, person_id: str) -> None:
        """Load a person on the worker; the page fills in when the data arrives.

        Nothing on screen changes until then: a repaint of the previous person meanwhile would
        hold the UI thread (and the interpreter) while the load is being delivered.
        """
        self.person_id = person_id
        self.reload()

    def reload(self) -> None:
        if self.person_id is None:
            return
        person_id = self.person_id
        detail = self.services.people.detail

        def failed(err: BaseException) -> None:
            show_error(self, err)
            if isinstance(err, DomainError):  # gone: back to whoever is on show
                self.person_id = self.detail.person.id if self.detail else None

        # Opening one person then another: only the newest load is shown (`kind`).
        op(self, lambda: detail(person_id), kind="person-detail").success(self.populate).failure(
            failed
        ).run(self.worker)

    def populate(self, detail: PersonDetail) -> None:
        keep = {
            "need": self.selected_need(),
            "referral": self.selected_referral(),
            "follow_up": self.selected_follow_up(),
        }
        same_person = self.detail is not None and self.detail.person.id == detail.person.id
        if not same_person:
            # A half-written note stays with its person, for when the officer comes back.
            if self.detail is not None and self.note_edit.text().strip():
                self._draft_notes[self.detail.person.id] = self.note_edit.text()
            self.timeline_filter.clear()
            self.note_edit.setText(self._draft_notes.pop(detail.person.id, ""))
        self.detail = detail
        self.person_id = detail.person.id
        self._enable_note(True)
        today = self.services.clock.today()
        self.follow_model.today = today
        self._fill_header(detail.person, today, detail.owner_name)
        self.needs_model.set_rows(detail.needs)
        self.referrals_model.set_rows(detail.referrals)
        self.follow_model.set_rows(
            sorted(detail.follow_ups, key=lambda f: (f.done_on is not None, f.due_on))
        )
        self.timeline_model.set_rows(detail.timeline)
        self.timeline_detail.setText("")
        pending = sum(1 for f in detail.follow_ups if f.done_on is None)
        self.tabs.setTabText(0, f"&Referrals ({len(detail.referrals)})")
        self.tabs.setTabText(1, f"Follow-&ups ({pending} to do)")
        want_need = self._want_need or (keep["need"].id if same_person and keep["need"] else None)
        self._want_need = None
        if want_need:
            self._select(self.needs_view, self.needs_model, want_need)
        elif detail.needs:
            self.needs_view.selectRow(0)
        want_referral = self._want_referral or (
            keep["referral"].id if same_person and keep["referral"] else None
        )
        self._want_referral = None
        if want_referral:
            self._select(self.referrals_view, self.referrals_proxy, want_referral)
        if same_person and keep["follow_up"]:
            self._select(self.follow_view, self.follow_proxy, keep["follow_up"].id)
        self.loaded.emit(detail.person.id)
        self.selection_changed.emit()

    def _show_empty(self) -> None:
        self.name_label.setText("No person open")
        self.details_label.setText("Open someone from the caseload (Ctrl+2) or My day (Ctrl+1).")
        self._enable_note(False)

    def _enable_note(self, on: bool) -> None:
        """A note belongs to a person: with nobody open, say so instead of ignoring Enter."""
        self.note_edit.setEnabled(on)
        self.note_button.setEnabled(on)
        self.note_edit.setPlaceholderText(
            self._note_hint if on else "Open a person to add a case note to their timeline"
        )

    def clear(self) -> None:
        self.detail = None
        self.person_id = None
        for model in (
            self.needs_model,
            self.referrals_model,
            self.follow_model,
            self.timeline_model,
        ):
            model.set_rows([])
        self.banner.hide()
        self._show_empty()
        self.selection_changed.emit()

    @staticmethod
    def _select(view: QTableView, model: Any, record_id: str) -> None:
        for row in range(model.rowCount()):
            record = model.data(model.index(row, 0), ROW_ROLE)
            if getattr(record, "id", None) == record_id:
                view.selectRow(row)
                return

    def _show_event(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.timeline_detail.setText("")
            return
        event = self.timeline_proxy.record(current.row())
        when = self.timeline_proxy.index(current.row(), 0).data()
        who = f" — {event.by_name}" if event.by_name else ""
        self.timeline_detail.setText(
            f"{when}{who}: {self.timeline_proxy.index(current.row(), 1).data()}"
        )

    # -- selection ----------------------------------------------------------------------------
    @property
    def person(self) -> PersonView | None:
        return self.detail.person if self.detail else None

    def selected_need(self) -> NeedView | None:
        rows = self.needs_view.selectionModel().selectedRows()
        return self.needs_model.row_at(rows[0].row()) if rows else None

    def select_referral_when_loaded(self, referral_id: str) -> None:
        """After the next load, show the Referrals tab with this referral selected (a referral
        just made: Ctrl+O then opens it, to print its slip)."""
        self._want_referral = referral_id
        self.tabs.setCurrentIndex(0)

    def selected_referral(self) -> ReferralView | None:
        rows = self.referrals_view.selectionModel().selectedRows()
        return self.referrals_proxy.record(rows[0].row()) if rows else None

    def selected_follow_up(self) -> FollowUpView | None:
        rows = self.follow_view.selectionModel().selectedRows()
        return self.follow_proxy.record(rows[0].row()) if rows else None
