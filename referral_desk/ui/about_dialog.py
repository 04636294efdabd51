"""About Referral Desk: the version, where the data is, and diagnostics to copy for IT support."""

from __future__ import annotations

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from referral_desk.ui.widgets import named
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.support import diagnostics_text


class AboutDialog(QDialog):
    """Shows the diagnostics as a form; "Copy diagnostics" puts them on the clipboard."""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Referral Desk")
        self.setAccessibleName("About Referral Desk")
        self.facts = services.diagnostics({"Qt": f"{qVersion()} (PySide6 {pyside_version})"})
        layout = QVBoxLayout(self)
        intro = QLabel(
            "<b>Referral Desk</b> — log needs, find services, refer and follow up.<br>"
            "Works offline: it makes no network connections."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        for key, value in self.facts.items():
            shown = QLabel(value)
            shown.setWordWrap(True)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{key}:", shown)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton(
            "&Copy diagnostics", QDialogButtonBox.ButtonRole.ActionRole
        )
        named(self.copy_button, "Copy diagnostics")
        self.copy_button.setToolTip("Copy versions and paths (nothing from your records) for IT")
        self.copy_button.clicked.connect(self.copy)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        named(close, "Close")
        close.setDefault(True)
        buttons.rejected.connect(self.reject)
        self.status = QLabel("")
        layout.addWidget(self.status)
        layout.addWidget(buttons)

    def copy(self) -> None:
        QApplication.clipboard().setText(diagnostics_text(self.facts))
        self.status.setText("Copied: paste it into your message to IT support.")
