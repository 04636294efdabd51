"""One referral: who, where, what was shared, its history, and the next step (DESIGN.md §4).

Only the moves the lifecycle allows from the current state are offered (`allowed_next`), so an
officer cannot even try an illegal one. A move that needs a reason shows the reason list for
that state (data, from the reference lists); completing asks for the outcome, because outcomes
are what commissioners count ("distance travelled"); accepting offers the appointment, because
it schedules the attendance check. Every move records the channel and an optional note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.appointments import default_appointment
from referral_desk.domain.errors import NotFound
from referral_desk.domain.lifecycle import REASON_LISTS
from referral_desk.domain.states import OPEN_REFERRAL_STATES, Outcome, ReferralState
from referral_desk.ui import palette
from referral_desk.ui.elided import ElidedLabel, breakable
from referral_desk.ui.lock import exec_dialog
from referral_desk.ui.messages import confirm, error_text
from referral_desk.ui.ops import op
from referral_desk.ui.referral_update import OUTCOME_LABELS, ReferralUpdateForm
from referral_desk.ui.service_models import HistoryColumn, ReferralHistoryModel
from referral_desk.ui.tables import tip_elided_cells
from referral_desk.ui.widgets import fit_to_screen, fmt_date, fmt_datetime, named
from referral_desk.usecases.dto import ReferralView

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices


STATUS_COLOURS = {
    "open": (palette.INFO_BACKGROUND, palette.INFO_TEXT),
    "good": (palette.GOOD_BACKGROUND, palette.GOOD_TEXT),
    "bad": (palette.ERROR_BACKGROUND, palette.ERROR_TEXT),
}


def _status_colours(state: ReferralState) -> tuple[str, str]:
    if state in OPEN_REFERRAL_STATES:
        return STATUS_COLOURS["open"]
    if state == ReferralState.COMPLETED:
        return STATUS_COLOURS["good"]
    return STATUS_COLOURS["bad"]


Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class ReferralLoad:
    """Everything the dialog shows, read in one go on the worker."""

    referral: ReferralView
    reasons: dict[str, Pairs]
    channels: Pairs
    method_labels: dict[str, str]
    shared_labels: dict[str, str]
    need_text: str
    today: date
    suggested_appointment: datetime
    """10:00 on the next working day (domain.appointments), with the bank holidays."""


def load_referral(services: AppServices, ref_or_id: str) -> ReferralLoad:
    """The referral, the reference lists its form offers, and its need (worker thread)."""
    referral = services.referrals.get(ref_or_id)
    lists = {name: services.reference.list(name) for name in set(REASON_LISTS.values())}
    return ReferralLoad(
        referral=referral,
        reasons={name: [(i.code, i.label) for i in items] for name, items in lists.items()},
        channels=[(i.code, i.label) for i in services.reference.list("channel")],
        method_labels={i.code: i.label for i in services.reference.list("referral_method")},
        shared_labels={i.code: i.label for i in services.reference.list("shared_info")},
        need_text=_need_text(services, referral.need_id),
        today=services.clock.today(),
        suggested_appointment=default_appointment(
            services.clock.today(), services.reference.calendar()
        ),
    )


def _need_text(services: AppServices, need_id: str | None) -> str:
    if not need_id:
        return ""
    try:
        need = services.needs.get(need_id)
    except NotFound:  # a deleted need leaves the referral readable
        return ""
    text = need.category_label or need.category
    return f"{text} – {need.description}" if need.description else text


class ReferralDialog(ReferralUpdateForm, QDialog):
    """View one referral and record its next step; `changed`/`deleted` tell the caller.

    It opens at once and fills in when the referral arrives from the worker (`loaded`).
    """

    def __init__(
        self, services: AppServices, ref_or_id: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self.referral: ReferralView | None = None
        self.loaded = False
        self.changed = False
        self.deleted = False
        self._saving = False
        self.confirm_discard = True
        """Ask before closing with an unrecorded update; tests and shutdown may turn it off."""
        self._reasons: dict[str, Pairs] = {}
        self._channels: Pairs = []
        self._method_labels: dict[str, str] = {}
        self._shared_labels: dict[str, str] = {}
        self._channel_labels: dict[str, str] = {}
        self._reason_labels: dict[str, str] = {}
        self._need_text = ""
        self._today = date.today()
        self._suggested_appointment = default_appointment(self._today)

        self.setWindowTitle("Referral")
        self.setAccessibleName("Referral")
        self.setSizeGripEnabled(True)
        # Side by side, so it fits a laptop (1366 × 768 with a task bar) with room to spare.
        fit_to_screen(self, 1180, 700)
        self._state_buttons: dict[ReferralState, QRadioButton] = {}
        self._build()
        for widget in (self.update_box, self.delete_button, self.print_button):
            widget.setEnabled(False)
        self.correction_button.setEnabled(False)
        op(self, lambda: load_referral(services, ref_or_id)).success(self._loaded).failure(
            lambda err: self._show_error(error_text(err))  # e.g. deleted meanwhile
        ).run()

    def _loaded(self, load: ReferralLoad) -> None:
        self.referral = load.referral
        self._reasons = load.reasons
        self._channels = load.channels
        self._method_labels = load.method_labels
        self._shared_labels = load.shared_labels
        self._channel_labels = {**load.method_labels, **dict(load.channels)}
        self._reason_labels = {
            code: label for items in load.reasons.values() for code, label in items
        }
        self._need_text = load.need_text
        self._today = load.today
        self._suggested_appointment = load.suggested_appointment
        self.history_model.set_labels(self._channel_labels, self._reason_labels)
        for code, label in self._channels:
            self.channel_combo.addItem(label, code)
        for widget in (self.update_box, self.delete_button, self.print_button):
            widget.setEnabled(True)
        self.correction_button.setEnabled(True)
        self._refresh()
        self.loaded = True

    # --- building -------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.reference_label = QLabel()
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 110)
        self.reference_label.setFont(font)
        self.reference_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        top.addWidget(self.reference_label)
        top.addStretch(1)
        self.status_label = QLabel()
        status_font = QFont(self.font())
        status_font.setPointSizeF(status_font.pointSizeF() * 1.3)
        status_font.setBold(True)
        self.status_label.setFont(status_font)
        top.addWidget(self.status_label, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(top)

        # Two lines at most each (names of 200 characters, needs of 4 000), whole in the tooltip.
        self.service_label = ElidedLabel(max_lines=2)
        self.service_label.setObjectName("serviceName")
        self.service_label.setStyleSheet("QLabel#serviceName { font-weight: bold; }")
        layout.addWidget(self.service_label)
        self.person_label = ElidedLabel(max_lines=2)
        layout.addWidget(self.person_label)

        # Left: what the referral is and what happened; right: the next step. One above the
        # other they were 820 pixels tall, more than a laptop screen shows.
        details_box = QGroupBox("Details")
        self.details_form = QFormLayout(details_box)
        # Values take the whole width, so they wrap only when they must (a QLabel keeps its
        # preferred width otherwise, and its second line was cut off).
        self.details_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.details_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.details_scroll = QScrollArea()
        self.details_scroll.setWidget(details_box)
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        named(self.details_scroll, "Referral details")

        history_label = QLabel("Histor&y:")
        self.history_model = ReferralHistoryModel(self)
        self.history_model.set_labels(self._channel_labels, self._reason_labels)
        self.history_table = tip_elided_cells(QTableView())
        self.history_table.setModel(self.history_model)
        named(self.history_table, "Referral history", "Every status change: when, who, how, why")
        self.history_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.setTabKeyNavigation(False)
        self.history_table.setAlternatingRowColors(True)
        self.history_table.verticalHeader().hide()
        for column, width in {
            HistoryColumn.WHEN: 120,
            HistoryColumn.CHANGE: 150,
            HistoryColumn.WHO: 110,
            HistoryColumn.CHANNEL: 90,
            HistoryColumn.REASON: 110,
        }.items():
            self.history_table.setColumnWidth(column, width)
        self.history_table.horizontalHeader().setSectionResizeMode(
            HistoryColumn.NOTE, QHeaderView.ResizeMode.Stretch
        )
        self.history_table.setMinimumHeight(130)
        history_label.setBuddy(self.history_table)

        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.details_scroll, 3)
        left_box.addWidget(history_label)
        left_box.addWidget(self.history_table, 2)
        body = QHBoxLayout()
        body.addWidget(left, 3)
        body.addWidget(self._build_update(), 2)
        layout.addLayout(body, 1)

        buttons = QHBoxLayout()
        self.delete_button = QPushButton("&Delete referral…")
        named(self.delete_button, "Delete referral", "Remove this referral and its follow-ups")
        self.delete_button.setAutoDefault(False)
        self.delete_button.clicked.connect(self.delete_referral)
        buttons.addWidget(self.delete_button)
        self.print_button = QPushButton("&Print slip…")
        named(self.print_button, "Print slip", "Print the referral slip for the person")
        self.print_button.setAutoDefault(False)
        self.print_button.clicked.connect(self.print_slip)
        buttons.addWidget(self.print_button)
        # Wrong phone number or a closed service: the officer finds out here, mid-referral.
        self.correction_button = QPushButton("Report a &correction…")
        named(
            self.correction_button,
            "Report a correction",
            "Tell the directory keeper what is wrong with this service",
        )
        self.correction_button.setAutoDefault(False)
        self.correction_button.clicked.connect(self.report_correction)
        buttons.addWidget(self.correction_button)
        buttons.addStretch(1)
        self.close_button = QPushButton("Close")
        named(self.close_button, "Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

    # --- showing ----------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Show `self.referral` and reset the update form to its current state."""
        r = self.referral
        assert r is not None
        state = ReferralState(r.status)
        self.setWindowTitle(f"Referral {r.reference}")
        self.reference_label.setText(r.reference)
        named(self.reference_label, "Referral reference", r.reference)
        background, foreground = _status_colours(state)
        self.status_label.setText(state.label)
        self.status_label.setStyleSheet(
            f"QLabel {{ background:{background}; color:{foreground}; border-radius:6px;"
            " padding:4px 12px; }"
        )
        named(self.status_label, "Status", state.label)
        service = r.service_name
        if r.organisation_name:
            service += f" – {r.organisation_name}"
        self.service_label.setText(service)
        named(self.service_label, "Service", f"{r.service_name} – {r.organisation_name}")
        person = f"For {r.person_name}" + (f" · Need: {self._need_text}" if self._need_text else "")
        self.person_label.setText(person)
        named(self.person_label, "Person and need", person)
        self._fill_details()
        self.history_model.set_history(r.history)
        if r.history:
            self.history_table.scrollToBottom()
        self._rebuild_states(state)
        self._reset_form()

    def _fill_details(self) -> None:
        r = self.referral
        assert r is not None
        while self.details_form.rowCount():
            self.details_form.removeRow(0)
        shared = [self._shared_labels.get(c, c) for c in r.shared_info if c != "risk"]
        if r.share_risk:
            shared.append("RISK INFORMATION")
        appointment = fmt_datetime(r.appointment_at)
        if appointment and r.appointment_place:
            appointment += f" at {r.appointment_place}"
        outcome = ""
        if r.outcome:
            try:
                outcome = OUTCOME_LABELS[Outcome(r.outcome)]
            except ValueError:
                outcome = r.outcome
            if r.outcome_note:
                outcome += f" – {r.outcome_note}"
        rows = [
            ("Made on", fmt_date(r.made_on)),
            ("Sent by", self._method_labels.get(r.method, r.method)),
            ("Consent", "Confirmed" if r.consent_confirmed else "Not confirmed"),
            ("Shared", ", ".join(shared) or "Nothing"),
            ("Risk shared", r.risk_note if r.share_risk else ""),
            ("Accessibility", r.accessibility_needs),
            ("Interpreter", r.interpreter_language),
            ("Availability", r.availability),
            ("Appointment", appointment),
            ("Provider contact", r.provider_contact),
            ("Outcome", outcome),
        ]
        for label, value in rows:
            if not value:
                continue
            field = QLabel(breakable(value))  # a long unbroken entry wraps too
            field.setTextFormat(Qt.TextFormat.PlainText)  # typed text, never markup
            field.setWordWrap(True)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            named(field, label, value)
            self.details_form.addRow(f"{label}:", field)
        # Filled after the dialog is shown (the referral arrives from the worker): the form
        # lays out its new rows at the next turn of the event loop, so measure it then.
        QTimer.singleShot(0, self._fit_details)

    def _fit_details(self) -> None:
        """No taller than the details need: the history below gets the rest (long details
        scroll, a short list leaves no empty box)."""
        box = self.details_scroll.widget()
        width = self.details_scroll.viewport().width()
        wanted = box.heightForWidth(width) if box.hasHeightForWidth() else -1
        self.details_scroll.setMaximumHeight(max(wanted, box.sizeHint().height()) + 4)

    def delete_referral(self) -> bool:
        """Ask, then delete on the worker; True when the deletion was asked for."""
        if self.referral is None:
            return False
        if not confirm(
            self,
            "Delete referral?",
            f"Delete referral {self.referral.reference} with its follow-ups and notes?",
            action="Delete referral",
            detail="Use this only for a referral made by mistake; otherwise record it as "
            "withdrawn so it is still counted.",
        ):
            return False

        def deleted(_: object) -> None:
            self.deleted = True
            self.changed = True
            self.done(QDialog.DialogCode.Accepted)

        referral_id = self.referral.id
        op(self, lambda: self._services.referrals.delete(referral_id)).success(deleted).failure(
            lambda err: self._show_error(error_text(err))
        ).busy().run()
        return True

    def report_correction(self) -> bool:
        """Any officer: what is wrong with the referral's service goes to the keeper's inbox."""
        from referral_desk.ui.correction_dialog import ask_for_correction

        if self.referral is None:
            return False
        reported = ask_for_correction(self._services, self.referral.service_id, self)
        if reported:
            self.correction_button.setText("&Correction reported")
            self.correction_button.setAccessibleDescription(
                "Thank you: the directory keeper will check it."
            )
        return reported

    def print_slip(self) -> None:
        """Preview this referral's slip (print or save as PDF there)."""
        from referral_desk.ui.printing import PrintPreviewDialog

        if self.referral is None:
            return
        # The preview renders on the worker and explains in itself a PDF that cannot be made.
        dialog = PrintPreviewDialog(self._services, self.referral.reference, self, document="slip")
        try:
            exec_dialog(dialog)
        finally:
            dialog.deleteLater()

    def is_dirty(self) -> bool:
        return self.selected_state() is not None or bool(self.note_edit.toPlainText().strip())

    def reject(self) -> None:
        """Close (Escape, Close, window button): ask first if an update was started."""
        if (
            self.confirm_discard
            and self.isVisible()
            and self.is_dirty()
            and not confirm(
                self,
                "Discard this update?",
                "Close without recording the update? The step and note you entered will be lost.",
                action="Discard",
            )
        ):
            return
        if self.changed:
            self.done(QDialog.DialogCode.Accepted)
        else:
            super().reject()
