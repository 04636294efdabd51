"""Report a correction to a directory entry: any officer, from any service.

Officers told us they found wrong phone numbers and closed services but had nobody to tell
(DESIGN.md §1). This dialog is that somebody: the note goes to the directory keeper's inbox
(by sync on other sites), and the keeper accepts or dismisses it.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from referral_desk.ui.elided import ElidedLabel
from referral_desk.ui.messages import error_text
from referral_desk.ui.ops import op
from referral_desk.ui.widgets import (
    FieldError,
    GuardedDialog,
    fit_to_screen,
    keep_default,
    named,
    run_dialog,
)
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.directory_admin import MAX_CORRECTION, CorrectionView
from referral_desk.usecases.dto import ServiceView


class ReportCorrectionDialog(GuardedDialog):
    """Ask what is wrong with one service and store it; `reported` holds the stored correction."""

    def __init__(
        self, services: AppServices, service_id: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.service_id = service_id
        self.reported: CorrectionView | None = None
        self.setWindowTitle("Report a correction")
        self.setAccessibleName("Report a correction")
        fit_to_screen(self, 480, 280)

        heading = ElidedLabel("", max_lines=2)
        self.heading = heading
        heading.setObjectName("serviceHeading")
        heading.setStyleSheet("QLabel#serviceHeading { font-weight: bold; }")
        prompt = QLabel(
            "&What is wrong? (for example a new phone number, or the service has closed)"
        )
        prompt.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        named(self.text, "What is wrong", "Describe what is wrong; the directory keeper reads it")
        prompt.setBuddy(self.text)
        self.error = FieldError()
        note = QLabel("Do not include anyone's personal details.")
        note.setStyleSheet("color: #555;")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send_button = buttons.addButton(
            "&Send to directory keeper", QDialogButtonBox.ButtonRole.AcceptRole
        )
        named(self.send_button, "Send to directory keeper")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "Cancel")
        buttons.accepted.connect(self.send)
        buttons.rejected.connect(self.reject)
        keep_default(self, self.send_button)

        box = QVBoxLayout(self)
        box.addWidget(heading)
        box.addWidget(prompt)
        box.addWidget(self.text, 1)
        box.addWidget(self.error)
        box.addWidget(note)
        box.addWidget(buttons)
        self.text.setFocus()
        self.mark_clean()
        directory = services.directory
        op(self, lambda: directory.get_service(service_id)).success(self._show_service).failure(
            lambda err: self.error.set_error(error_text(err))
        ).run()

    def _show_service(self, svc: ServiceView) -> None:
        self.heading.setText(f"{svc.name} — {svc.organisation_name}")

    def send(self) -> None:
        """Text is required (and limited); the services say so, shown under the box."""
        body = self.text.toPlainText()
        if not body.strip():
            self.error.set_error("Say what is wrong before sending.")
            self.text.setFocus()
            return
        if len(body) > MAX_CORRECTION:
            self.error.set_error(f"Keep it to {MAX_CORRECTION} characters or fewer.")
            return
        admin, service_id = self.services.directory_admin, self.service_id
        self.send_button.setEnabled(False)
        op(self, lambda: admin.report_correction(service_id, body)).success(self._sent).failure(
            self._refused
        ).run()

    def _sent(self, reported: CorrectionView) -> None:
        self.send_button.setEnabled(True)
        self.reported = reported
        self.accept()

    def _refused(self, err: BaseException) -> None:
        """A refusal in its words under the box; a bug in the error policy's generic ones."""
        self.send_button.setEnabled(True)
        self.error.set_error(error_text(err))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def ask_for_correction(services: AppServices, service_id: str, parent: QWidget | None) -> bool:
    """Ask what is wrong with a service and send it to the keeper; True when it was sent.

    Offered wherever an officer meets a service: the directory, Find a service, a referral.
    """
    return run_dialog(ReportCorrectionDialog(services, service_id, parent))
