"""The follow-up dialogs, used from My day and from the person view: mark one done (with what
was said) and move one to another day."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import DatabaseBusy, DomainError
from referral_desk.domain.fields import max_length
from referral_desk.domain.workdays import WorkingCalendar
from referral_desk.ui.elided import ElidedLabel
from referral_desk.ui.message_bar import MessageBar
from referral_desk.ui.messages import show_save_error
from referral_desk.ui.models import kind_label
from referral_desk.ui.ops import op, save_op
from referral_desk.ui.widgets import DateEdit, FieldError, fmt_date, named, save_cancel_buttons
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import FollowUpView


def describe(f: FollowUpView) -> str:
    bits = [kind_label(f.kind)]
    if f.person_name:
        bits.append(f.person_name)
    if f.referral_reference:
        bits.append(f"{f.referral_reference} {f.service_name}".strip())
    return " — ".join(bits)


class FollowUpDoneDialog(QDialog):
    """Mark a follow-up done with what the provider or person said (Enter saves)."""

    def __init__(
        self, services: AppServices, follow_up: FollowUpView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.follow_up = follow_up
        self.setWindowTitle("Follow-up done")
        self.setAccessibleName("Follow-up done")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        heading = ElidedLabel(describe(follow_up), max_lines=2)
        heading.setAccessibleName("Follow-up")
        layout.addWidget(heading)
        if follow_up.note:
            note = ElidedLabel(follow_up.note, max_lines=3)
            note.setStyleSheet("color: #555;")
            note.setAccessibleName("Follow-up note")
            layout.addWidget(note)
        self.message_bar = MessageBar(self)
        layout.addWidget(self.message_bar)
        form = QFormLayout()
        self.result_note = QLineEdit()
        self.result_note.setPlaceholderText("What happened, e.g. provider confirmed first session")
        self.result_note.setMaxLength(max_length("follow_up", "result_note"))
        named(self.result_note, "Result note")
        label = QLabel("&Result")
        label.setBuddy(self.result_note)
        form.addRow(label, self.result_note)
        layout.addLayout(form)
        buttons, _ = save_cancel_buttons(self, "&Mark done", "Mark done", self._save)
        layout.addWidget(buttons)
        self.result_note.setFocus()

    def _save(self) -> None:
        complete, follow_up_id = self.services.follow_ups.complete, self.follow_up.id
        note = self.result_note.text()
        saving = save_op(
            self, lambda: complete(follow_up_id, note), bar=self.message_bar, retry=self._save
        )
        saving.success(lambda _saved: self.accept()).run()


class RescheduleDialog(QDialog):
    """Move a follow-up to another day; quick buttons for the usual choices."""

    def __init__(
        self, services: AppServices, follow_up: FollowUpView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.follow_up = follow_up
        self.setWindowTitle("Reschedule follow-up")
        self.setAccessibleName("Reschedule follow-up")
        self.setMinimumWidth(460)
        today = services.clock.today()
        self.calendar: WorkingCalendar | None = None  # read off the window; None until then
        layout = QVBoxLayout(self)
        heading = ElidedLabel(describe(follow_up), max_lines=2)
        heading.setAccessibleName("Follow-up")
        layout.addWidget(heading)
        layout.addWidget(QLabel(f"Due {fmt_date(follow_up.due_on)}"))
        self.message_bar = MessageBar(self)
        layout.addWidget(self.message_bar)
        self.date = DateEdit("New due date")
        self.date_error = FieldError()
        form = QFormLayout()
        box = QVBoxLayout()
        box.setSpacing(1)
        box.addWidget(self.date)
        box.addWidget(self.date_error)
        label = QLabel("New &due date")
        label.setBuddy(self.date)
        form.addRow(label, box)
        layout.addLayout(form)
        quick = QHBoxLayout()
        self.next_working_day = QPushButton("Next &working day")
        named(self.next_working_day, "Next working day")
        self.next_working_day.setAutoDefault(False)
        self.next_working_day.setEnabled(False)  # until the calendar (bank holidays) is read
        quick.addWidget(self.next_working_day)
        for text, value in (
            ("In &1 week", today + timedelta(weeks=1)),
            ("In &2 weeks", today + timedelta(weeks=2)),
            ("In &4 weeks", today + timedelta(weeks=4)),
        ):
            button = QPushButton(text)
            named(button, text.replace("&", ""), fmt_date(value))
            button.setAutoDefault(False)
            button.clicked.connect(lambda _c=False, v=value: self.date.set_value(v))
            quick.addWidget(button)
        layout.addLayout(quick)
        buttons, _ = save_cancel_buttons(self, "&Reschedule", "Reschedule", self._save)
        layout.addWidget(buttons)
        self.date.setFocus()
        op(self, services.reference.calendar).success(self._calendar_read).run()

    def _calendar_read(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        today = self.services.clock.today()
        # Usually a follow-up moves later: the working day after today or its due date. A date
        # typed before the calendar arrived is kept.
        if not self.date.text().strip():
            self.date.set_value(calendar.add_working_days(max(today, self.follow_up.due_on), 1))
            self.date.selectAll()
        next_day = calendar.add_working_days(today, 1)
        self.next_working_day.setToolTip(fmt_date(next_day))
        self.next_working_day.clicked.connect(lambda: self.date.set_value(next_day))
        self.next_working_day.setEnabled(True)

    def _save(self) -> None:
        try:
            new = self.date.value()
        except DomainError as err:
            self.date_error.set_error(str(err))
            return
        if new is None:
            self.date_error.set_error("Type the new due date")
            return
        reschedule, follow_up_id = self.services.follow_ups.reschedule, self.follow_up.id
        op(self, lambda: reschedule(follow_up_id, new)).busy().failure(self._refused).success(
            lambda _saved: self.accept()
        ).run()

    def _refused(self, err: BaseException) -> None:
        """A refused date is said under the field; anything else in the bar (with Try again)."""
        if isinstance(err, DomainError) and not isinstance(err, DatabaseBusy):
            self.date_error.set_error(str(err))
        else:
            show_save_error(self.message_bar, err, self._save)
