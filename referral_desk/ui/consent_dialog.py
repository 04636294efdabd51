"""Record a person's consent to share with providers: the date it was given and its scope."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from referral_desk.domain.errors import DomainError
from referral_desk.ui.elided import name_heading
from referral_desk.ui.messages import show_error
from referral_desk.ui.ops import op
from referral_desk.ui.widgets import DateEdit, FieldError, named, save_cancel_buttons
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import PersonView


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
