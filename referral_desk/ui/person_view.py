"""One person's case: who they are and where, their needs in priority order, their referrals and
follow-ups, and a timeline of everything that happened, with who and when.

Needs are tackled "sequentially rather than all at once", so the needs table is in priority
order and is reordered by dragging or with Alt+Up / Alt+Down. Every write goes through a use
case; the page then reloads the person from the store so what is shown is what was saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
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
from referral_desk.domain.people import age_on
from referral_desk.services.app_services import AppServices
from referral_desk.services.dto import (
    FollowUpView,
    NeedView,
    OfficerView,
    PersonDetail,
    PersonView,
    ReferralView,
)
from referral_desk.ui.messages import confirm, show_error, show_info
from referral_desk.ui.models import (
    FilterProxy,
    FollowUpTableModel,
    NeedsTableModel,
    ReferralsTableModel,
    TimelineTableModel,
    cohort_text,
    setting_text,
)
from referral_desk.ui.my_day import (
    FollowUpDoneDialog,
    RescheduleDialog,
    action_button,
    make_table,
)
from referral_desk.ui.need_dialog import NeedDialog, NeedStatusDialog
from referral_desk.ui.ops import op
from referral_desk.ui.setting_dialog import SettingDialog
from referral_desk.ui.widgets import (
    DateEdit,
    ElidedLabel,
    FieldError,
    breakable,
    fmt_date,
    limit_combo,
    name_heading,
    named,
    run_dialog,
    save_cancel_buttons,
)
from referral_desk.ui.worker import Worker


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class HandOverDialog(QDialog):
    """Choose the officer who takes the case over; history stays with the records."""

    def __init__(
        self, person: PersonView, officers: list[OfficerView], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Hand over case")
        self.setAccessibleName("Hand over case")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.addWidget(name_heading("Hand", person.display_name, "over to another officer."))
        text = QLabel(
            "Their open follow-ups go with the case; the history of who did what is kept."
        )
        text.setWordWrap(True)
        text.setAccessibleName("Explanation")
        layout.addWidget(text)
        form = QFormLayout()
        self.officer = limit_combo(QComboBox())
        for officer in officers:
            label = officer.name + (f" ({officer.team})" if officer.team else "")
            self.officer.addItem(label, officer.id)
        named(self.officer, "New officer")
        label = QLabel("&Officer")
        label.setBuddy(self.officer)
        form.addRow(label, self.officer)
        layout.addLayout(form)
        buttons, _ = save_cancel_buttons(self, "&Hand over", "Hand over", self.accept)
        layout.addWidget(buttons)

    def officer_id(self) -> str:
        return str(self.officer.currentData())


class ConsentDialog(QDialog):
    """Record consent to share with providers (date and scope)."""

    def __init__(
        self, services: AppServices, person: PersonView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.person = person
        self.setWindowTitle("Record consent")
        self.setAccessibleName("Record consent")
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        layout.addWidget(
            name_heading("", person.display_name, "consents to share information with providers.")
        )
        form = QFormLayout()
        self.date = DateEdit("Consent date")
        self.date.set_value(services.clock.today())
        self.error = FieldError()
        box = QVBoxLayout()
        box.addWidget(self.date)
        box.addWidget(self.error)
        label = QLabel("&Date")
        label.setBuddy(self.date)
        form.addRow(label, box)
        self.scope = QLineEdit(person.consent_scope)
        self.scope.setPlaceholderText("e.g. all referrals; housing only")
        named(self.scope, "Consent scope")
        label = QLabel("&Scope")
        label.setBuddy(self.scope)
        form.addRow(label, self.scope)
        layout.addLayout(form)
        buttons, _ = save_cancel_buttons(self, "&Record consent", "Record consent", self._save)
        layout.addWidget(buttons)

    def _save(self) -> None:
        try:
            on = self.date.value()
        except DomainError as err:
            self.error.set_error(str(err))
            return
        person_id, scope, cases = self.person.id, self.scope.text(), self.services.cases

        def failed(err: BaseException) -> None:
            if isinstance(err, DomainError):  # said under the date, where it is fixed
                self.error.set_error(str(err))
            else:
                show_error(self, err)  # a bug: the safe message, details to the log

        op(self, lambda: cases.give_consent(person_id, on=on, scope=scope)).success(
            lambda _: self.accept()
        ).failure(failed).busy().run()


class PersonPage(QWidget):
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

    def _header(self, actions: Mapping[str, QAction]) -> QWidget:
        header = QWidget()
        box = QVBoxLayout(header)
        box.setContentsMargins(0, 0, 0, 4)
        top = QHBoxLayout()
        # One line, shortened with "…" (whole in the tooltip): a 200-character name must not
        # push the case buttons off the page.
        self.name_label = ElidedLabel()
        self.name_label.setStyleSheet("font-size: 16pt; font-weight: 600;")
        self.name_label.setAccessibleName("Person name")
        top.addWidget(self.name_label, 1)
        for key in ("edit_person", "transfer", "consent", "hand_over", "close_case"):
            if key in actions:
                top.addWidget(action_button(actions[key]))
        box.addLayout(top)
        self.details_label = QLabel()
        self.details_label.setAccessibleName("Person details")
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.details_label)
        self.banner = QFrame()
        self.banner.setObjectName("personBanner")
        banner_row = QHBoxLayout(self.banner)
        banner_row.setContentsMargins(8, 4, 8, 4)
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        self.banner_label.setAccessibleName("Case warning")
        banner_row.addWidget(self.banner_label, 1)
        self.banner.hide()
        box.addWidget(self.banner)
        return header

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

    def _fill_header(self, p: PersonView, today, owner: str) -> None:
        self.name_label.setText(p.display_name)

        def typed(text: str) -> str:  # what officers typed: shown as text, wrapping anywhere
            return escape(breakable(text))

        bits = []
        if p.crn:
            bits.append(f"CRN <b>{p.crn}</b>")
        if p.nomis:
            bits.append(f"Prison no. <b>{p.nomis}</b>")
        if p.pnc:
            bits.append(f"PNC {typed(p.pnc)}")
        if p.date_of_birth:
            bits.append(f"Born {fmt_date(p.date_of_birth)} (age {age_on(p.date_of_birth, today)})")
        bits.append(typed(setting_text(p)))
        if p.expected_release_date:
            days = (p.expected_release_date - today).days
            when = (
                f"in {days // 7} weeks"
                if days >= 14
                else (f"in {days} days" if days >= 0 else "date passed")
            )
            bits.append(f"Release {fmt_date(p.expected_release_date)} ({when})")
        cohorts = cohort_text(p)
        if cohorts:
            bits.append(f"Cohort: {typed(cohorts)}")
        if owner:
            bits.append(f"Officer: {typed(owner)}")
        if p.has_consent:
            bits.append(f"Consent to share since {fmt_date(p.consent_given_on)}")
        elif p.consent_withdrawn_on is None:
            bits.append("Consent to share: <i>not recorded</i>")
        self.details_label.setText("  ·  ".join(bits))
        self.details_label.setAccessibleDescription(self.details_label.text())
        warnings = []
        if p.closed_on is not None:
            warnings.append(f"Case closed on {fmt_date(p.closed_on)}.")
        if p.consent_withdrawn_on is not None:
            warnings.append(
                f"Consent withdrawn on {fmt_date(p.consent_withdrawn_on)}: no new referrals; "
                "tell providers of open referrals."
            )
        self.banner_label.setText(" ".join(warnings))
        self.banner.setStyleSheet(
            "QFrame#personBanner { background: #fff4e0; border: 1px solid #b36b00;"
            " border-radius: 4px; }"
        )
        self.banner.setVisible(bool(warnings))

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
            record = model.data(model.index(row, 0), Qt.ItemDataRole.UserRole + 1)
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

    # -- need actions -------------------------------------------------------------------------
    def _after_write(self, message: str = "") -> None:
        if message:
            show_info(self, message)
        self.changed.emit()

    def _run(
        self,
        write: Callable[[], Any],
        message: str = "",
        then: Callable[[Any], object] | None = None,
    ) -> None:
        """Run a write on the worker; then `then(result)`, the message and a reload.

        Errors go to the error policy; a busy database offers Try again, which runs it again.
        """

        def done(result: Any) -> None:
            if then is not None:
                then(result)
            self._after_write(message)

        op(self, write).success(done).failure(
            lambda err: show_error(self, err, retry=lambda: self._run(write, message, then))
        ).busy().run(self.worker)

    def _read(self, read: Callable[[], Any], then: Callable[[Any], object]) -> None:
        """A read on the worker before a dialog or question; errors to the error policy."""
        op(self, read).success(then).busy().run(self.worker)

    def log_need(self) -> None:
        p = self.person
        if p is None:
            return
        dialog = NeedDialog(
            self.services, p.id, self, need_count=len(self.detail.needs), person_name=p.display_name
        )
        if not run_dialog(dialog) or dialog.saved is None:
            return
        need = dialog.saved
        self._want_need = need.id
        status = "unmet" if need.status.startswith("unmet") else "logged"
        self._after_write(f"Need {status}: {need.category_label}.")
        if dialog.find_service_after:
            self.find_service_requested.emit(need.id)

    def edit_need(self) -> None:
        need = self.selected_need()
        if need is None or self.person is None:
            return
        dialog = NeedDialog(
            self.services, self.person.id, self, need=need, person_name=self.person.display_name
        )
        if run_dialog(dialog):
            self._want_need = need.id
            self._after_write("Need saved.")

    def set_need_status(self, *, suggest_unmet: bool = False) -> None:
        need = self.selected_need()
        if need is None:
            return
        dialog = NeedStatusDialog(self.services, need, self, suggest_unmet=suggest_unmet)
        if run_dialog(dialog) and dialog.saved is not None:
            self._want_need = need.id
            self._after_write(f"Need status: {dialog.status.currentText()}.")

    def find_service(self) -> None:
        need = self.selected_need()
        if need is not None:
            self.find_service_requested.emit(need.id)

    def move_need(self, delta: int) -> None:
        need = self.selected_need()
        if need is None or self.detail is None:
            return
        ids = [n.id for n in self.detail.needs]
        at = ids.index(need.id)
        to = at + delta
        if not 0 <= to < len(ids):
            return
        ids.insert(to, ids.pop(at))
        self._reorder(ids, need.id)

    def _reorder(self, ids: list[str], keep: str | None = None) -> None:
        if self.person is None:
            return
        selected = keep or (self.selected_need().id if self.selected_need() else None)
        person_id, needs = self.person.id, self.services.needs

        def keep_selected(_: object) -> None:
            self._want_need = selected

        self._run(lambda: needs.reorder(person_id, ids), then=keep_selected)

    def delete_need(self) -> None:
        need = self.selected_need()
        if need is None:
            return
        linked = sum(1 for r in self.detail.referrals if r.need_id == need.id) if self.detail else 0
        detail = f"Its {_plural(linked, 'referral')} stay on the case." if linked else ""
        if confirm(
            self,
            "Delete need",
            f"Delete the need “{need.category_label}: {need.description}”? This cannot be undone.",
            action="Delete need",
            detail=detail,
        ):
            needs = self.services.needs
            self._run(lambda: needs.delete(need.id), "Need deleted.")

    # -- referral and follow-up actions -------------------------------------------------------
    def _referral_activated(self, index: QModelIndex) -> None:
        self.referral_requested.emit(self.referrals_proxy.record(index.row()).id)

    def open_referral(self) -> None:
        if self.tabs.currentIndex() == 1:
            follow_up = self.selected_follow_up()
            if follow_up is not None and follow_up.referral_id:
                self.referral_requested.emit(follow_up.referral_id)
            return
        referral = self.selected_referral()
        if referral is not None:
            self.referral_requested.emit(referral.id)

    def _follow_activated(self, index: QModelIndex) -> None:
        follow_up: FollowUpView = self.follow_proxy.record(index.row())
        if follow_up.referral_id:
            self.referral_requested.emit(follow_up.referral_id)
        elif follow_up.done_on is None:
            self.mark_done()

    def delete_referral(self) -> None:
        referral = self.selected_referral()
        if referral is None:
            return
        if confirm(
            self,
            "Delete referral",
            f"Delete referral {referral.reference} to {referral.service_name}? Its "
            "history, follow-ups and notes are deleted too. This cannot be undone.",
            action="Delete referral",
            detail="To record that it was withdrawn, open the referral and withdraw it "
            "instead: that keeps the history.",
        ):
            referrals = self.services.referrals
            self._run(lambda: referrals.delete(referral.id), "Referral deleted.")

    def mark_done(self) -> None:
        follow_up = self.selected_follow_up()
        if follow_up is None or follow_up.done_on is not None:
            return
        if run_dialog(FollowUpDoneDialog(self.services, follow_up, self)):
            self._after_write("Follow-up done.")

    def reschedule(self) -> None:
        follow_up = self.selected_follow_up()
        if follow_up is None or follow_up.done_on is not None:
            return
        if run_dialog(RescheduleDialog(self.services, follow_up, self)):
            self._after_write("Follow-up rescheduled.")

    def add_note(self) -> None:
        if self.person is None:
            return
        text = self.note_edit.text().strip()
        if not text:
            self.note_edit.setFocus()
            return
        person_id, people = self.person.id, self.services.people
        self._run(
            lambda: people.add_note(person_id, text),
            "Note added.",
            then=lambda _: self.note_edit.clear(),
        )

    def focus_note(self) -> None:
        self.note_edit.setFocus()

    # -- case actions -------------------------------------------------------------------------
    def transfer(self) -> None:
        p = self.person
        if p is None:
            return
        cases = self.services.cases

        def ask(count: int) -> None:
            dialog = SettingDialog(self.services, p, count, self)
            if run_dialog(dialog):
                if dialog.outcome is not None and dialog.outcome.changed:
                    self._after_write(dialog.result_text())
                else:
                    show_info(self, dialog.result_text())  # nothing written: nothing to reload

        self._read(lambda: cases.open_referral_count(p.id), ask)

    def toggle_consent(self) -> None:
        p = self.person
        if p is None:
            return
        cases = self.services.cases
        if p.has_consent:

            def withdrawn(made: int) -> None:
                show_info(
                    self, f"Consent withdrawn. {_plural(made, 'follow-up')} added to tell providers."
                )

            def ask(count: int) -> None:
                if confirm(
                    self,
                    "Withdraw consent",
                    f"Record that {p.display_name} has withdrawn consent to share?",
                    action="Withdraw consent",
                    detail=f"No new referrals can be made. {_plural(count, 'open referral')}"
                    " will get a follow-up to tell the provider and stop sharing.",
                ):
                    self._run(lambda: cases.withdraw_consent(p.id), then=withdrawn)

            self._read(lambda: cases.open_referral_count(p.id), ask)
        elif run_dialog(ConsentDialog(self.services, p, self)):
            self._after_write("Consent recorded.")

    def hand_over(self) -> None:
        p = self.person
        if p is None:
            return
        profile, cases = self.services.profile, self.services.cases

        def ask(officers: list[OfficerView]) -> None:
            others = [o for o in officers if o.id != p.owner_officer_id]
            if not others:
                show_info(
                    self,
                    "No other officer is known yet. Colleagues appear here after a sync "
                    "with the shared store.",
                )
                return
            dialog = HandOverDialog(p, others, self)
            if run_dialog(dialog):
                name = dialog.officer.currentText()
                officer_id = dialog.officer_id()
                self._run(
                    lambda: cases.hand_over(p.id, officer_id), f"Case handed over to {name}."
                )

        self._read(profile.officers, ask)

    def toggle_closed(self) -> None:
        p = self.person
        if p is None:
            return
        cases = self.services.cases
        if p.closed_on is not None:
            self._run(lambda: cases.reopen_case(p.id), "Case reopened.")
            return
        if confirm(
            self,
            "Close case",
            f"Close the case of {p.display_name}?",
            action="Close case",
            destructive=False,
            detail="Nothing is deleted: the case leaves the caseload list and can be "
            "reopened from the person view.",
        ):
            self._run(lambda: cases.close_case(p.id), "Case closed.")

    def delete_person(self) -> None:
        p = self.person
        if p is None:
            return
        if not confirm(
            self,
            "Delete person",
            f"Delete {p.display_name} and all their needs, referrals, follow-ups and notes?",
            action="Delete person",
            detail="Personal details are erased, on this computer and, after the "
            "next sync, for colleagues. This cannot be undone. To stop working "
            "with someone, close the case instead.",
        ):
            return
        people = self.services.people

        def deleted(_: object) -> None:
            self.clear()
            show_info(self, "Person deleted.")
            self.person_deleted.emit()
            self.changed.emit()

        op(self, lambda: people.delete(p.id)).success(deleted).busy().run(self.worker)
