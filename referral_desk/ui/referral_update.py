"""The referral view's "Record an update" panel: only the moves the lifecycle allows, the
reasons and outcome where it needs them, the appointment on accepting, and the write itself
(on the worker, through `ui.ops`). A mixin of `ReferralDialog` (ui/referral_dialog.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.fields import max_length
from referral_desk.domain.lifecycle import REASON_LISTS, allowed_next
from referral_desk.domain.states import Outcome, ReferralState
from referral_desk.ui.elided import limit_combo
from referral_desk.ui.message_bar import MessageBar
from referral_desk.ui.messages import show_save_error
from referral_desk.ui.ops import op
from referral_desk.ui.widgets import named
from referral_desk.usecases.dto import ReferralView

if TYPE_CHECKING:
    pass

# Button text per target state; each has its own mnemonic (Alt+letter) within any one state's
# choices. Withdrawn uses "i" because "W" belongs to Waiting list, offered alongside it.
STATE_BUTTON_TEXT = {
    ReferralState.SENT: "&Sent",
    ReferralState.ACKNOWLEDGED: "Ac&knowledged",
    ReferralState.ACCEPTED: "&Accepted",
    ReferralState.WAITING_LIST: "&Waiting list",
    ReferralState.DECLINED: "D&eclined",
    ReferralState.STARTED: "Star&ted",
    ReferralState.COMPLETED: "Co&mpleted",
    ReferralState.ENDED_EARLY: "Ended ear&ly",
    ReferralState.WITHDRAWN: "W&ithdrawn",
}
OUTCOME_LABELS = {
    Outcome.ACHIEVED: "Achieved",
    Outcome.PARTLY_ACHIEVED: "Partly achieved",
    Outcome.NOT_ACHIEVED: "Not achieved",
}


class ReferralUpdateForm:
    """The update panel (see the module docstring); the dialog provides `referral`, `changed`,
    the reference lists, `_today`, `_services` and `_refresh`."""

    referral: ReferralView | None
    changed: bool
    _saving: bool
    _state_buttons: dict[ReferralState, QRadioButton]
    _reasons: dict[str, list[tuple[str, str]]]
    _channels: list[tuple[str, str]]
    _today: date
    _suggested_appointment: datetime
    _services: Any

    def _build_update(self) -> QGroupBox:
        self.update_box = QGroupBox("Record an update")
        named(self.update_box, "Record an update")
        box = QVBoxLayout(self.update_box)
        self.closed_label = QLabel()
        self.closed_label.setWordWrap(True)
        named(self.closed_label, "Referral closed")
        box.addWidget(self.closed_label)

        self.move_row = QWidget()
        move_layout = QVBoxLayout(self.move_row)
        move_layout.setContentsMargins(0, 0, 0, 0)
        move_layout.addWidget(QLabel("Move to:"))
        self.state_group = QButtonGroup(self)
        self.state_group.setExclusive(True)
        # Up to five choices: in rows of three, so the column stays narrow.
        self._move_grid = QGridLayout()
        self._move_grid.setContentsMargins(0, 0, 0, 0)
        move_layout.addLayout(self._move_grid)
        named(self.move_row, "Move the referral to")
        box.addWidget(self.move_row)

        self.form_widget = QWidget()
        form = QFormLayout(self.form_widget)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.reason_combo = limit_combo(QComboBox())
        named(self.reason_combo, "Reason", "Required for this step")
        self.reason_label = QLabel("&Reason:")
        self.reason_label.setBuddy(self.reason_combo)
        form.addRow(self.reason_label, self.reason_combo)

        self.outcome_combo = QComboBox()
        self.outcome_combo.addItem("Choose the outcome…", None)
        for outcome, label in OUTCOME_LABELS.items():
            self.outcome_combo.addItem(label, outcome.value)
        named(self.outcome_combo, "Outcome", "Required when completing: was the need met?")
        self.outcome_label = QLabel("&Outcome:")
        self.outcome_label.setBuddy(self.outcome_combo)
        self.outcome_note_edit = QLineEdit()
        self.outcome_note_edit.setMaxLength(max_length("referral", "outcome_note"))
        self.outcome_note_edit.setPlaceholderText("What changed for the person (optional)")
        named(self.outcome_note_edit, "Outcome note")
        outcome_row = QVBoxLayout()  # one above the other: the column is narrow
        outcome_row.addWidget(self.outcome_combo)
        outcome_row.addWidget(self.outcome_note_edit)
        self.outcome_widget = QWidget()
        self.outcome_widget.setLayout(outcome_row)
        outcome_row.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.outcome_label, self.outcome_widget)

        self.appointment_check = QCheckBox("Appointment &booked")
        named(self.appointment_check, "Appointment booked")
        self.appointment_edit = QDateTimeEdit()
        self.appointment_edit.setCalendarPopup(True)
        self.appointment_edit.setDisplayFormat("ddd dd/MM/yyyy HH:mm")
        named(self.appointment_edit, "Appointment date and time")
        self.place_edit = QLineEdit()
        self.place_edit.setMaxLength(max_length("referral", "appointment_place"))
        self.place_edit.setPlaceholderText("Where")
        named(self.place_edit, "Appointment place")
        appointment_row = QGridLayout()
        appointment_row.setContentsMargins(0, 0, 0, 0)
        appointment_row.addWidget(self.appointment_check, 0, 0)
        appointment_row.addWidget(self.appointment_edit, 0, 1)
        appointment_row.addWidget(self.place_edit, 1, 0, 1, 2)
        appointment_row.setColumnStretch(1, 1)
        self.appointment_widget = QWidget()
        self.appointment_widget.setLayout(appointment_row)
        self.appointment_label = QLabel("Appointment:")
        form.addRow(self.appointment_label, self.appointment_widget)
        self.appointment_check.toggled.connect(self._sync_appointment)

        self.channel_combo = limit_combo(QComboBox())
        named(self.channel_combo, "Channel", "How you heard: phone, email, provider feedback…")
        channel_label = QLabel("C&hannel:")
        channel_label.setBuddy(self.channel_combo)
        form.addRow(channel_label, self.channel_combo)

        self.note_edit = QPlainTextEdit()
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setPlaceholderText("What the provider said (optional)")
        self.note_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        named(self.note_edit, "Note")
        note_label = QLabel("&Note:")
        note_label.setBuddy(self.note_edit)
        form.addRow(note_label, self.note_edit)
        box.addWidget(self.form_widget)
        box.addStretch(1)

        self.controls = QWidget()
        row = QHBoxLayout(self.controls)
        row.setContentsMargins(0, 0, 0, 0)
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        named(self.hint_label, "What is needed to record")
        row.addWidget(self.hint_label, 1)
        self.record_button = QPushButton("Record &update")
        named(self.record_button, "Record update", "Save the chosen step (Ctrl+Enter)")
        self.record_button.setDefault(True)
        self.record_button.clicked.connect(self.record)
        row.addWidget(self.record_button)
        box.addWidget(self.controls)
        self.error_bar = MessageBar(self)
        box.addWidget(self.error_bar)

        self.state_group.idToggled.connect(lambda _id, _on: self._sync_form())
        self.reason_combo.currentIndexChanged.connect(lambda _i: self._sync_form())
        self.outcome_combo.currentIndexChanged.connect(lambda _i: self._sync_form())
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        shortcut.activated.connect(self.record)
        return self.update_box

    def _rebuild_states(self, state: ReferralState) -> None:
        for button in self._state_buttons.values():
            self.state_group.removeButton(button)
            self._move_grid.removeWidget(button)
            button.deleteLater()
        self._state_buttons = {}
        choices = allowed_next(state)
        for n, target in enumerate(choices):
            button = QRadioButton(STATE_BUTTON_TEXT.get(target, target.label))
            named(button, f"Move to {target.label}")
            self.state_group.addButton(button, n)
            # Left-aligned at their own width: a stretched radio button only takes clicks on
            # its text, so a click in its empty right half would be lost.
            self._move_grid.addWidget(button, n // 3, n % 3, Qt.AlignmentFlag.AlignLeft)
            button.show()  # now, not on the next event-loop pass: the state is already known
            self._state_buttons[target] = button
        open_ = bool(choices)
        for widget in (self.move_row, self.form_widget, self.controls):
            widget.setVisible(open_)
        self.closed_label.setVisible(not open_)
        if not open_:
            self.closed_label.setText(
                f"This referral is closed ({state.label.lower()}). To try again, make a new "
                "referral from the need."
            )

    def _reset_form(self) -> None:
        self.state_group.setExclusive(False)
        for button in self._state_buttons.values():
            button.setChecked(False)
        self.state_group.setExclusive(True)
        self.reason_combo.clear()
        self.outcome_combo.setCurrentIndex(0)
        self.outcome_note_edit.clear()
        self.note_edit.clear()
        r = self.referral
        assert r is not None
        index = self.channel_combo.findData("phone")
        self.channel_combo.setCurrentIndex(max(index, 0))
        self.appointment_check.setChecked(r.appointment_at is not None)
        self.appointment_edit.setDateTime(QDateTime(r.appointment_at or self._default_slot()))
        self.place_edit.setText(r.appointment_place)
        self.error_bar.dismiss()
        self._sync_form()

    def _default_slot(self) -> datetime:
        return self._suggested_appointment

    def selected_state(self) -> ReferralState | None:
        for state, button in self._state_buttons.items():
            if button.isChecked():
                return state
        return None

    def _sync_form(self) -> None:
        """Show only the fields the chosen step needs; say what is missing."""
        target = self.selected_state()
        list_name = REASON_LISTS.get(target) if target else None
        needs_reason = list_name is not None
        if needs_reason and self.reason_combo.property("list") != list_name:
            self.reason_combo.blockSignals(True)
            self.reason_combo.clear()
            self.reason_combo.addItem("Choose a reason…", None)
            for code, label in self._reasons.get(list_name or "", []):
                self.reason_combo.addItem(label, code)
            self.reason_combo.setProperty("list", list_name)
            self.reason_combo.blockSignals(False)
        for widget in (self.reason_label, self.reason_combo):
            widget.setVisible(needs_reason)
        completing = target == ReferralState.COMPLETED
        for widget in (self.outcome_label, self.outcome_widget):
            widget.setVisible(completing)
        accepting = target == ReferralState.ACCEPTED
        for widget in (self.appointment_label, self.appointment_widget):
            widget.setVisible(accepting)
        self._sync_appointment()
        missing = self._missing()
        self.hint_label.setText(missing)
        self.record_button.setEnabled(not missing and target is not None)

    def _sync_appointment(self, *_args: object) -> None:
        booked = self.appointment_check.isChecked()
        self.appointment_edit.setEnabled(booked)
        self.place_edit.setEnabled(booked)

    def _missing(self) -> str:
        target = self.selected_state()
        if not self._state_buttons:
            return ""
        if target is None:
            return "Choose the step to record."
        if target in REASON_LISTS and not self.reason_combo.currentData():
            return f"Choose a reason for {target.label.lower()}."
        if target == ReferralState.COMPLETED and not self.outcome_combo.currentData():
            return "Choose the outcome."
        return ""

    # --- actions ----------------------------------------------------------------------------

    def choose(self, state: ReferralState | str) -> None:
        """Pick a next step (as a click on its button would); tests and shortcuts use this."""
        self._state_buttons[ReferralState(state)].setChecked(True)

    def record(self) -> bool:
        """Record the chosen step on the worker; False when the form refuses it at once."""
        target = self.selected_state()
        missing = self._missing()
        if target is None or missing or self.referral is None:
            self._show_error(missing or "Choose the step to record.")
            return False
        if self._saving:  # one update on its way already
            return False
        appointment_at = None
        place = None
        if target == ReferralState.ACCEPTED and self.appointment_check.isChecked():
            value = self.appointment_edit.dateTime().toPython()
            assert isinstance(value, datetime)
            appointment_at = value.replace(second=0, microsecond=0)
            place = self.place_edit.text()
        referral_id = self.referral.id
        details = {
            "reason": self.reason_combo.currentData() if target in REASON_LISTS else None,
            "note": self.note_edit.toPlainText(),
            "channel": str(self.channel_combo.currentData() or ""),
            "outcome": self.outcome_combo.currentData()
            if target == ReferralState.COMPLETED
            else None,
            "outcome_note": self.outcome_note_edit.text(),
            "appointment_at": appointment_at,
            "appointment_place": place,
        }

        def recorded(referral: ReferralView) -> None:
            self._saving = False
            self.referral = referral
            self.changed = True
            self._refresh()
            self.history_table.setFocus()

        def failed(err: BaseException) -> None:
            # The chosen step and note stay; a busy database offers Try again. Domain errors
            # explain themselves; bugs get a safe message (the error policy).
            self._saving = False
            show_save_error(self.error_bar, err, self.record)

        self._saving = True
        work = self._services.referrals.record_status
        op(self, lambda: work(referral_id, target, **details)).success(recorded).failure(
            failed
        ).busy().run()
        return True

    def _show_error(self, text: str) -> None:
        self.error_bar.show_message(text, kind="error")
