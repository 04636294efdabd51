"""A manager's roles dialog: who holds which role, and grant or revoke one (signed).

Officers never pick their own role (Preferences shows it read-only); a manager grants roles
here or with `referral-desk role grant`. The grant is signed with the manager's key and checked
by every site on import (services.roles, sync.trust).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.roles import GRANTABLE, LABELS
from referral_desk.ui.message_bar import MessageBar
from referral_desk.ui.messages import show_save_error
from referral_desk.ui.ops import op, save_op
from referral_desk.ui.widgets import named
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.roles import OfficerRoles


class RolesDialog(QDialog):
    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Team roles")
        self.setAccessibleName("Team roles")
        layout = QVBoxLayout(self)
        self.message_bar = MessageBar(self)
        layout.addWidget(self.message_bar)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        named(self.summary, "Who holds which role")
        layout.addWidget(self.summary)
        form = QFormLayout()
        self.officer = QComboBox()
        named(self.officer, "Officer")
        self.role = QComboBox()
        for code in GRANTABLE:
            self.role.addItem(LABELS[code].capitalize(), code)
        named(self.role, "Role")
        for text, widget in (("&Officer", self.officer), ("&Role", self.role)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.grant_button = QPushButton("&Grant")
        self.revoke_button = QPushButton("Re&voke")
        for button, name in (
            (self.grant_button, "Grant role"),
            (self.revoke_button, "Revoke role"),
        ):
            named(button, name)
            button.setAutoDefault(False)
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.grant_button.clicked.connect(lambda: self._change(True))
        self.revoke_button.clicked.connect(lambda: self._change(False))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.loaded = False  # True once the team has been read (on the worker)
        self._load()

    def _load(self) -> None:
        op(self, self.services.roles.team, kind="team-roles").success(self._show_team).failure(
            self._refused
        ).run()

    def _refused(self, err: BaseException) -> None:
        """Not a manager (or the team cannot be read): say why; nothing can be changed."""
        show_save_error(self.message_bar, err)
        self.grant_button.setEnabled(False)
        self.revoke_button.setEnabled(False)

    def _show_team(self, team: list[OfficerRoles]) -> None:
        current = self.officer.currentData()
        self.officer.clear()
        lines = []
        for row in team:
            self.officer.addItem(row.name, row.officer_id)
            held = ", ".join(LABELS[r] for r in row.roles) or "officer"
            first = " (the team's first manager)" if row.root else ""
            lines.append(f"{row.name}: {held}{first}")
        self.summary.setText("\n".join(lines))
        if current is not None:
            self.officer.setCurrentIndex(max(self.officer.findData(current), 0))
        self.loaded = True

    def _change(self, granted: bool) -> None:
        officer, role = self.officer.currentData(), self.role.currentData()
        if officer is None:
            return
        roles = self.services.roles
        change = roles.grant if granted else roles.revoke
        done = "granted" if granted else "revoked"

        def changed(_result: object) -> None:
            self.message_bar.show_message(f"Role {done}: it reaches the team at the next sync.")
            self._load()

        saving = save_op(
            self,
            lambda: change(officer, role),
            bar=self.message_bar,
            retry=lambda: self._change(granted),
        )
        saving.success(changed).run()
