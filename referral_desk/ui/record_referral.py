"""Record a referral to a chosen service: consent, what is shared, how it was sent.

The form is built so the quick path is also the careful one: focus starts on the consent box
(the one thing that must be confirmed every time), sensible defaults cover the rest (method
from the service's preferred route, name and needs shared), and Enter sends. Risk information
sits apart, unticked, with a warning, because DESIGN.md §1 says providers get the minimum and
never risk details unless the officer chooses. Two checks happen before anything is written:
consent withdrawn on the person blocks the referral with the reason shown, and a second open
referral to the same service needs explicit confirmation.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.fields import max_length
from referral_desk.domain.service_rules import is_unusable
from referral_desk.ui import palette
from referral_desk.ui.elided import ElidedLabel, breakable, limit_combo
from referral_desk.ui.message_bar import MessageBar
from referral_desk.ui.messages import confirm, show_error, show_save_error
from referral_desk.ui.ops import op
from referral_desk.ui.record_referral_checks import (
    ReferralForm,
    ReferralNotices,
    load_form,
)
from referral_desk.ui.service_detail import address_text
from referral_desk.ui.widgets import fit_to_screen, named
from referral_desk.usecases.dto import (
    ReferralView,
)

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices

DEFAULT_SHARED = ("name", "needs")
RISK_CODE = "risk"


class RecordReferralDialog(ReferralNotices, QDialog):
    """Record one referral; `referral` holds the saved ReferralView once accepted.

    It opens at once and builds its form when the need, person and service arrive from the
    worker (`loaded`); a load that fails is explained and the dialog closes.
    """

    def __init__(
        self,
        services: AppServices,
        need_id: str,
        service_id: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._need_id = need_id
        self._service_id = service_id
        self.referral: ReferralView | None = None
        self.loaded = False
        """True once the form is built and its first field focused, a turn after it arrives."""
        self._built = False
        self._saving = False
        self.confirm_discard = True
        """Ask before closing with entered data; tests and shutdown may turn it off."""

        self.setWindowTitle("Record a referral")
        self.setAccessibleName("Record a referral")
        fit_to_screen(self, 680, 620)
        layout = QVBoxLayout(self)
        self._loading = QLabel("Loading…")
        named(self._loading, "Loading")
        layout.addWidget(self._loading)
        op(self, lambda: load_form(services, need_id, service_id)).success(self._loaded).failure(
            self._load_failed
        ).run()

    def _load_failed(self, err: BaseException) -> None:
        show_error(self, err)
        super().reject()

    def _loaded(self, form: ReferralForm) -> None:
        self.need = form.need
        self.person = form.person
        self.service = form.service
        self._methods = form.methods
        self._shared_items = form.shared_items
        self.duplicates = form.duplicates
        self._today = form.today
        self._appointment = form.appointment
        self.consent_withdrawn = self.person.consent_withdrawn_on is not None
        self.service_unusable = is_unusable(self.service.status)
        self._loading.hide()
        self._build()
        self._initial = self._snapshot()
        self._update_buttons()
        # It can be saved from now on: a Send (Ctrl+Return) handled before the focus step below
        # was refused without a word while saving waited for `loaded` (set once focused).
        self._built = True
        # The new fields are shown on the next pass of the event loop (a layout shows its new
        # children then), and a hidden widget cannot take the focus: focus them after that.
        QTimer.singleShot(0, self._focus_first)

    def _focus_first(self) -> None:
        if self.consent_withdrawn or self.service_unusable:
            self.cancel_button.setFocus()
        else:
            self.consent_check.setFocus()
        self.loaded = True

    # --- building -------------------------------------------------------------------------

    def _build(self) -> None:
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        # Typed names and descriptions may be 200 or 4 000 characters: two lines at most each,
        # whole in the tooltip.
        title = ElidedLabel(f"Refer {self.person.display_name} to {self.service.name}", max_lines=2)
        title.setStyleSheet("font-size: 13pt;")
        named(title, "Referral", f"Refer {self.person.display_name} to {self.service.name}")
        layout.addWidget(title)
        need = self.need.category_label or self.need.category
        if self.need.description:
            need += f" – {self.need.description}"
        sub = ElidedLabel(f"{self.service.organisation_name} · Need: {need}", max_lines=2)
        sub.setStyleSheet("color: #444;")
        named(sub, "Organisation and need")
        layout.addWidget(sub)
        contact = self._contact_text()
        if contact:
            contact_label = QLabel(breakable(contact))
            contact_label.setTextFormat(Qt.TextFormat.PlainText)
            contact_label.setWordWrap(True)
            contact_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            named(contact_label, "How to refer", contact)
            layout.addWidget(contact_label)

        for widget in self._banners():
            layout.addWidget(widget)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.method_combo = limit_combo(QComboBox())
        for item in self._methods:
            self.method_combo.addItem(item.label, item.code)
        index = self.method_combo.findData(self.service.referral_method)
        self.method_combo.setCurrentIndex(max(index, 0))
        named(self.method_combo, "How the referral is sent")
        form.addRow(self._label("&Method:", self.method_combo), self.method_combo)

        self.consent_check = QCheckBox(
            "The person &consents to this referral and to sharing what is ticked below"
        )
        named(
            self.consent_check,
            "Consent confirmed",
            "Required: the person agrees to the referral and to the information shared",
        )
        self.consent_check.setEnabled(not self.consent_withdrawn)
        form.addRow("Consent:", self.consent_check)

        form.addRow("Share:", self._build_shared())
        layout.addLayout(form)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        risk_item = next((i for i in self._shared_items if i.code == RISK_CODE), None)
        self.risk_check = QCheckBox("Share &risk information with this provider")
        named(
            self.risk_check,
            "Share risk information",
            "Off unless you choose: only when the provider needs it to keep people safe",
        )
        self.risk_check.setVisible(risk_item is not None)
        layout.addWidget(self.risk_check)
        # Only the words written here go to the provider: ticking alone shares nothing.
        self.risk_edit = QPlainTextEdit()
        self.risk_edit.setTabChangesFocus(True)
        self.risk_edit.setPlaceholderText(
            "What this provider needs to know to keep people safe, e.g. no lone home visits"
        )
        named(
            self.risk_edit,
            "Risk information to share",
            "Printed on the provider form for this referral only",
        )
        line_height = self.risk_edit.fontMetrics().lineSpacing()
        self.risk_edit.setFixedHeight(line_height * 3 + 14)
        self.risk_edit.hide()
        layout.addWidget(self.risk_edit)
        self.risk_check.toggled.connect(self._update_risk)
        self.risk_warning = QLabel(
            "Risk and offence details are not shared unless you tick this. Share only what the "
            "provider needs to keep people safe, and record why in a case note."
        )
        self.risk_warning.setWordWrap(True)
        self.risk_warning.setStyleSheet(f"color: {palette.CAUTION};")
        named(self.risk_warning, "Risk information warning")
        layout.addWidget(self.risk_warning)

        details = QFormLayout()
        details.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.accessibility_edit = QLineEdit()
        self.accessibility_edit.setPlaceholderText("e.g. wheelchair user; needs large print")
        self.accessibility_edit.setMaxLength(max_length("referral", "accessibility_needs"))
        named(self.accessibility_edit, "Accessibility needs")
        details.addRow(
            self._label("Accessibility &needs:", self.accessibility_edit), self.accessibility_edit
        )
        self.interpreter_edit = QLineEdit()
        self.interpreter_edit.setPlaceholderText("Language, if an interpreter is needed")
        self.interpreter_edit.setMaxLength(max_length("referral", "interpreter_language"))
        named(self.interpreter_edit, "Interpreter language")
        if self.service.languages:
            completer = QCompleter(list(self.service.languages), self.interpreter_edit)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            self.interpreter_edit.setCompleter(completer)
        details.addRow(
            self._label("&Interpreter language:", self.interpreter_edit), self.interpreter_edit
        )
        self.availability_edit = QLineEdit()
        self.availability_edit.setPlaceholderText("e.g. weekday mornings; not Tuesdays")
        self.availability_edit.setMaxLength(max_length("referral", "availability"))
        named(self.availability_edit, "Availability")
        details.addRow(
            self._label("A&vailability:", self.availability_edit), self.availability_edit
        )

        self.appointment_check = QCheckBox("Appointment &booked")
        named(self.appointment_check, "Appointment booked")
        self.appointment_edit = QDateTimeEdit()
        self.appointment_edit.setCalendarPopup(True)
        self.appointment_edit.setDisplayFormat("ddd dd/MM/yyyy HH:mm")
        self.appointment_edit.setDateTime(QDateTime(self._appointment))
        named(self.appointment_edit, "Appointment date and time")
        self.place_edit = QLineEdit(address_text(self.service) if self.service.location else "")
        self.place_edit.setMaxLength(max_length("referral", "appointment_place"))
        self.place_edit.setPlaceholderText("Where the appointment is")
        named(self.place_edit, "Appointment place")
        details.addRow("Appointment:", self.appointment_check)
        when_row = QHBoxLayout()
        when_row.addWidget(self.appointment_edit)
        when_row.addWidget(self._label("&Place:", self.place_edit))
        when_row.addWidget(self.place_edit, 1)
        details.addRow(self._label("&When:", self.appointment_edit), when_row)
        layout.addLayout(details)
        self.appointment_check.toggled.connect(self._update_appointment)
        self._update_appointment(False)

        layout.addStretch(1)
        self.hint_label = QLabel("Tick consent to save: a referral needs the person's consent.")
        self.hint_label.setWordWrap(True)
        named(self.hint_label, "Why saving is not possible yet")
        layout.addWidget(self.hint_label)
        self.error_bar = MessageBar(self)
        layout.addWidget(self.error_bar)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.draft_button = QPushButton("Save as &draft")
        named(self.draft_button, "Save as draft", "Keep the referral as a draft, not yet sent")
        self.draft_button.setAutoDefault(False)
        self.send_button = QPushButton("&Send")
        named(
            self.send_button,
            "Send",
            "Record the referral as sent by the chosen method and schedule the follow-up",
        )
        self.send_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        named(self.cancel_button, "Cancel")
        self.cancel_button.setAutoDefault(False)
        for button in (self.draft_button, self.send_button, self.cancel_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)

        self.consent_check.toggled.connect(self._update_buttons)
        self.risk_edit.textChanged.connect(self._update_buttons)
        self.draft_button.clicked.connect(lambda: self.save(draft=True))
        self.send_button.clicked.connect(lambda: self.save(draft=False))
        self.cancel_button.clicked.connect(self.reject)
        send = QShortcut(QKeySequence("Ctrl+Return"), self)
        send.activated.connect(lambda: self.save(draft=False))

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    def _build_shared(self) -> QWidget:
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.shared_checks: dict[str, QCheckBox] = {}
        items = [i for i in self._shared_items if i.code != RISK_CODE]
        for n, item in enumerate(items):
            check = QCheckBox(item.label)
            check.setChecked(item.code in DEFAULT_SHARED)
            named(check, f"Share {item.label.lower()}")
            self.shared_checks[item.code] = check
            grid.addWidget(check, n // 2, n % 2)
        named(box, "Information shared with the provider")
        return box

    # --- state ------------------------------------------------------------------------------

    @property
    def can_save(self) -> bool:
        return (
            self.consent_check.isChecked()
            and not self.consent_withdrawn
            and not self.service_unusable
            and not self.risk_missing
        )

    @property
    def risk_missing(self) -> bool:
        """Risk sharing ticked but nothing written to share."""
        return self.risk_check.isChecked() and not self.risk_note()

    def risk_note(self) -> str:
        return self.risk_edit.toPlainText().strip() if self.risk_check.isChecked() else ""

    def _update_risk(self, share: bool) -> None:
        self.risk_edit.setVisible(share)
        if share:
            self.risk_edit.setFocus()
        self._update_buttons()

    def _update_buttons(self, *_args: object) -> None:
        allowed = self.can_save
        self.draft_button.setEnabled(allowed)
        self.send_button.setEnabled(allowed)
        if self.consent_withdrawn:
            hint = "Saving is not possible: the person has withdrawn consent to share."
        elif self.service_unusable:
            hint = "Saving is not possible: this service is not taking referrals."
        elif not self.consent_check.isChecked():
            hint = "Tick consent to save: a referral needs the person's consent."
        elif self.risk_missing:
            hint = "Write the risk information to share, or untick sharing risk information."
        else:
            hint = ""
        self.hint_label.setText(hint)
        self.hint_label.setVisible(bool(hint))

    def _update_appointment(self, booked: bool) -> None:
        self.appointment_edit.setEnabled(booked)
        self.place_edit.setEnabled(booked)

    def shared_codes(self) -> list[str]:
        return [code for code, check in self.shared_checks.items() if check.isChecked()]

    def appointment(self) -> datetime | None:
        if not self.appointment_check.isChecked():
            return None
        value = self.appointment_edit.dateTime().toPython()
        assert isinstance(value, datetime)
        return value.replace(second=0, microsecond=0)

    def _snapshot(self) -> tuple[Any, ...]:
        return (
            self.method_combo.currentIndex(),
            self.consent_check.isChecked(),
            tuple(self.shared_codes()),
            self.risk_check.isChecked(),
            self.risk_edit.toPlainText(),
            self.accessibility_edit.text(),
            self.interpreter_edit.text(),
            self.availability_edit.text(),
            self.appointment_check.isChecked(),
            self.appointment_edit.dateTime(),
            self.place_edit.text(),
        )

    def is_dirty(self) -> bool:
        return self.loaded and self.referral is None and self._snapshot() != self._initial

    def _show_error(self, text: str) -> None:
        self.error_bar.show_message(text, kind="error")

    # --- actions ----------------------------------------------------------------------------

    def save(self, *, draft: bool, duplicate_confirmed: bool = False) -> bool:
        """Validate, confirm a duplicate if there is one, then record on the worker.

        True when the save is on its way (or done); the dialog closes when it has been stored.
        """
        if self.referral is not None or self._saving:
            return True
        if not self._built:
            return False
        if not self.can_save:
            self._update_buttons()
            self._show_error(self.hint_label.text() or "The referral cannot be saved.")
            return False
        if (
            self.duplicates
            and not duplicate_confirmed
            and not confirm(
                self,
                "Open referral already exists",
                "There is already an open referral for this person to this service.",
                action="Make another referral",
                detail="Make a second referral only if the first one cannot be used.",
            )
        ):
            return False
        fields: dict[str, Any] = {
            "consent": True,
            "method": str(self.method_combo.currentData()),
            "draft": draft,
            "shared_info": self.shared_codes(),
            "share_risk": self.risk_check.isChecked(),
            "risk_note": self.risk_note(),
            "accessibility_needs": self.accessibility_edit.text(),
            "interpreter_language": self.interpreter_edit.text(),
            "availability": self.availability_edit.text(),
            "appointment_at": self.appointment(),
            "appointment_place": self.place_edit.text() if self.appointment() else "",
        }
        need_id, service_id = self._need_id, self._service_id

        def saved(referral: ReferralView) -> None:
            self._saving = False
            self.referral = referral
            self.accept()

        def failed(err: BaseException) -> None:
            # Everything entered stays; a busy database offers Try again (no second question).
            # Domain errors say what to fix; bugs get a safe message (the error policy).
            self._saving = False
            show_save_error(
                self.error_bar, err, lambda: self.save(draft=draft, duplicate_confirmed=True)
            )

        self._saving = True
        make = self._services.referrals.make
        op(self, lambda: make(need_id, service_id, **fields)).success(saved).failure(
            failed
        ).busy().run()
        return True

    def reject(self) -> None:
        """Escape, Cancel and the window's close button all come here: ask before discarding."""
        if (
            self.confirm_discard
            and self.isVisible()
            and self.is_dirty()
            and not confirm(
                self,
                "Discard this referral?",
                "Close without saving? What you entered will be lost.",
                action="Discard",
            )
        ):
            return
        super().reject()
