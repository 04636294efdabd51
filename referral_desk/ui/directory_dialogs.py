"""The directory keeper's small dialogs: capacity as of a date, pre-check, status."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from referral_desk.domain.errors import DomainError
from referral_desk.domain.fields import max_length
from referral_desk.domain.vocabularies import (
    CAPACITIES,
    SERVICE_STATUSES,
)
from referral_desk.ui.widgets import DateEdit, FieldError, named
from referral_desk.usecases.dto import ServiceView


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
