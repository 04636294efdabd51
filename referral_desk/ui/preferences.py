"""Preferences: the officer profile (synced, printed on slips) and this machine's settings.

The same dialog, reduced to the profile, greets a first run: "made by" on every referral and
the contact on every slip need a name, so the main window waits until there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.fields import max_length
from referral_desk.ui.message_bar import MessageBar
from referral_desk.ui.messages import show_save_error
from referral_desk.ui.ops import op, save_op
from referral_desk.ui.widgets import (
    FieldError,
    named,
    run_dialog,
    save_cancel_buttons,
    set_combo_text,
)
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import OfficerView
from referral_desk.usecases.retention import MAX_YEARS, MIN_YEARS
from referral_desk.usecases.team_settings import MAX_LOCK_MINUTES, MIN_LOCK_MINUTES

ROLE_CHOICES = (
    ("officer", "Offender manager"),
    ("directory_keeper", "Directory keeper"),
    ("manager", "Team manager"),
    ("commissioner", "Commissioner (regional reports)"),
)
ROLE_LABELS = dict(ROLE_CHOICES)
PAGE_SIZES = ("A4", "A5")


def available_printers() -> list[str]:
    """Printer names known to the system (none offscreen or without print support)."""
    try:
        from PySide6.QtPrintSupport import QPrinterInfo
    except ImportError:  # pragma: no cover - print support missing from the Qt build
        return []
    return list(QPrinterInfo.availablePrinterNames())


class PreferencesDialog(QDialog):
    """`first_run=True` shows only the profile and insists on a name."""

    def __init__(
        self, services: AppServices, parent: QWidget | None = None, *, first_run: bool = False
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.first_run = first_run
        self.setWindowTitle("Welcome to Referral Desk" if first_run else "Preferences")
        self.setAccessibleName(self.windowTitle())
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        if first_run:
            intro = QLabel(
                "Before you start, tell Referral Desk who you are. Your name and contact "
                "details appear as “made by” on referrals and on the slips you print."
            )
            intro.setWordWrap(True)
            intro.setAccessibleName("Introduction")
            layout.addWidget(intro)
        self.message_bar = MessageBar(self)
        layout.addWidget(self.message_bar)
        layout.addWidget(self._profile_group())
        if not first_run:
            layout.addWidget(self._team_group())
            layout.addWidget(self._local_group())
        layout.addStretch(1)

        buttons, self.save_button = save_cancel_buttons(
            self, "&Start" if first_run else "&Save", "Save preferences", self._save
        )
        layout.addWidget(buttons)
        self.loaded = False  # True once the stored values are in the form (read on the worker)
        self._os_login_on = False
        self._lock_minutes_loaded = self._retention_loaded = 0
        self.save_button.setEnabled(False)
        self._load()
        self.name.setFocus()

    def _profile_group(self) -> QGroupBox:
        group = QGroupBox("Your profile")
        group.setAccessibleName("Your profile")
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name = QLineEdit()
        self.name.setMaxLength(max_length("officer", "name"))
        named(self.name, "Your name")
        self.name_error = FieldError()
        box = QVBoxLayout()
        box.setSpacing(1)
        box.addWidget(self.name)
        box.addWidget(self.name_error)
        label = QLabel("&Name *")
        label.setBuddy(self.name)
        form.addRow(label, box)
        # Granted by the team's manager (signed), never picked here: shown read-only, with
        # the manager's grant dialog beside it.
        self.role = QLabel(ROLE_LABELS["officer"])
        named(self.role, "Role (granted by the team's manager)")
        self.roles_button = QPushButton("Team &roles…")
        named(self.roles_button, "Team roles")
        self.roles_button.setAutoDefault(False)
        self.roles_button.clicked.connect(self._open_roles)
        self.roles_button.setVisible(False)
        role_row = QHBoxLayout()
        role_row.addWidget(self.role, 1)
        role_row.addWidget(self.roles_button)
        self.team = QLineEdit()
        self.team.setMaxLength(max_length("officer", "team"))
        named(self.team, "Team")
        self.office = QLineEdit()
        self.office.setMaxLength(max_length("officer", "office"))
        named(self.office, "Office")
        self.office_phone = QLineEdit()
        self.office_phone.setMaxLength(max_length("officer", "office_phone"))
        named(self.office_phone, "Office phone")
        self.email = QLineEdit()
        self.email.setMaxLength(max_length("officer", "email"))
        named(self.email, "Email")
        form.addRow(QLabel("Role"), role_row)
        for text, widget in (
            ("&Team", self.team),
            ("&Office", self.office),
            ("Office &phone", self.office_phone),
            ("&Email", self.email),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        return group

    def _team_group(self) -> QGroupBox:
        """Settings the whole team shares (they travel to every PC with the next sync)."""
        group = QGroupBox("Your team")
        group.setAccessibleName("Your team")
        form = QFormLayout(group)
        self.lock_minutes = QSpinBox()
        self.lock_minutes.setRange(MIN_LOCK_MINUTES, MAX_LOCK_MINUTES)
        self.lock_minutes.setSuffix(" minutes")
        named(
            self.lock_minutes,
            "Lock after minutes without use",
            f"Referral Desk locks itself after this long without keyboard or mouse use "
            f"(at most {MAX_LOCK_MINUTES} minutes). Ctrl+L locks it at once.",
        )
        label = QLabel("&Lock after")
        label.setBuddy(self.lock_minutes)
        form.addRow(label, self.lock_minutes)
        self.retention_years = QSpinBox()
        self.retention_years.setRange(MIN_YEARS, MAX_YEARS)
        self.retention_years.setSuffix(" years after the case was closed")
        named(
            self.retention_years,
            "Keep records for",
            "Personal details of a closed case are erased this many years after it was "
            "closed (Person menu, Retention). A manager sets it for the whole team.",
        )
        label = QLabel("&Keep records for")
        label.setBuddy(self.retention_years)
        form.addRow(label, self.retention_years)
        return group

    def _local_group(self) -> QGroupBox:
        group = QGroupBox("This computer")
        group.setAccessibleName("This computer")
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.page_size = QComboBox()
        self.page_size.addItems(list(PAGE_SIZES))
        named(self.page_size, "Page size")
        self.printer = QComboBox()
        self.printer.setEditable(True)
        self.printer.addItem("")
        self.printer.addItems(available_printers())
        self.printer.lineEdit().setPlaceholderText("System default printer")
        named(self.printer, "Printer")
        self.shared_store = QLineEdit()
        self.shared_store.setPlaceholderText("Team share or removable drive, e.g. E:\\ReferralDesk")
        named(self.shared_store, "Shared store folder")
        browse = QPushButton("&Browse…")
        named(browse, "Browse for shared store folder")
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.shared_store, 1)
        row.addWidget(browse)
        for text, widget in (("Page si&ze", self.page_size), ("Pri&nter", self.printer)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        label = QLabel("Shared &store")
        label.setBuddy(self.shared_store)
        form.addRow(label, row)
        change = QPushButton("Change unlock pass&phrase…")
        named(
            change,
            "Change unlock passphrase",
            "The passphrase that unlocks the encrypted data on this computer",
        )
        change.setAutoDefault(False)
        change.clicked.connect(self._change_passphrase)
        form.addRow(QLabel("Unlock"), change)
        self.os_login = QCheckBox("Also unlock with my computer &login (this PC is mine alone)")
        named(
            self.os_login,
            "Unlock with my computer login",
            "Keeps a key in this computer's password store, so signing in to the computer "
            "unlocks Referral Desk. Only for a PC that nobody else signs in to.",
        )
        self.os_login.toggled.connect(self._os_login_toggled)
        form.addRow(QLabel(""), self.os_login)
        return group

    def _os_login_toggled(self, wanted: bool) -> None:
        """Turning it on asks for the passphrase: whoever finds the PC unlocked cannot."""
        if wanted == self._os_login_on:
            return
        security = self.services.security
        if wanted:
            ask = QInputDialog(self)
            ask.setWindowTitle("Unlock with my computer login")
            ask.setLabelText(
                "Your unlock passphrase, to keep its key in this computer's password store:"
            )
            ask.setTextEchoMode(QLineEdit.EchoMode.Password)
            accepted = run_dialog(ask)
            passphrase = ask.textValue()
            if not accepted:
                self._show_os_login(self._os_login_on)
                return
            on, said = True, "This computer's login now unlocks Referral Desk."
        else:
            on, said, passphrase = False, "Only the passphrase unlocks Referral Desk now.", ""

        def turn() -> bool:
            if on:
                security.enable_os_login(passphrase)
            else:
                security.disable_os_login()
            return security.os_login_enabled()

        def turned(enabled: bool) -> None:
            self.message_bar.show_message(said)
            self._show_os_login(enabled)

        def refused(err: BaseException) -> None:
            show_save_error(self.message_bar, err)
            self._show_os_login(self._os_login_on)

        op(self, turn).busy().success(turned).failure(refused).run()

    def _show_os_login(self, enabled: bool) -> None:
        self._os_login_on = enabled
        self.os_login.blockSignals(True)
        self.os_login.setChecked(enabled)
        self.os_login.blockSignals(False)

    def _change_passphrase(self) -> None:
        from referral_desk.ui.unlock_dialog import ChangePassphraseDialog

        if run_dialog(ChangePassphraseDialog(self.services.security, self)):
            self.message_bar.show_message("Passphrase changed: unlock with the new one from now.")

    def _load(self) -> None:
        op(self, self._read).success(self._fill).run()

    def _read(self) -> _Stored:
        """On the worker: what the form shows (the team's and this computer's only after the
        first run, when the data key and the team exist)."""
        profile = self.services.profile.get()
        if self.first_run:
            return _Stored(profile)
        security, local = self.services.security, self.services.profile.local_setting
        return _Stored(
            profile,
            os_login_available=security.os_login_available(),
            os_login_enabled=security.os_login_enabled(),
            lock_minutes=self.services.team_settings.lock_minutes(),
            retention_years=self.services.retention.years(),
            page_size=str(local("page_size", "A4") or "A4"),
            printer=str(local("printer", "") or ""),
            shared_store=str(local("shared_store", "") or ""),
        )

    def _fill(self, stored: _Stored) -> None:
        profile = stored.profile
        if profile is not None:
            self.name.setText(profile.name)
            self.role.setText(ROLE_LABELS.get(profile.role, profile.role))
            self.roles_button.setVisible(not self.first_run and profile.role == "manager")
            self.team.setText(profile.team)
            self.office.setText(profile.office)
            self.office_phone.setText(profile.office_phone)
            self.email.setText(profile.email)
        if not self.first_run:
            self.os_login.setEnabled(stored.os_login_available)
            if not stored.os_login_available:
                self.os_login.setToolTip(
                    "This computer has no password store Referral Desk can use."
                )
            self._show_os_login(stored.os_login_enabled)
            self._lock_minutes_loaded = stored.lock_minutes
            self.lock_minutes.setValue(stored.lock_minutes)
            set_combo_text(self.page_size, stored.page_size)
            set_combo_text(self.printer, stored.printer)
            self.shared_store.setText(stored.shared_store)
            self._retention_loaded = stored.retention_years
            self.retention_years.setValue(stored.retention_years)
            manager = profile is not None and profile.role == "manager"
            for team_field in (self.retention_years, self.lock_minutes):
                team_field.setEnabled(manager)
            if not manager:
                self.retention_years.setToolTip("A manager sets the team's retention period.")
                self.lock_minutes.setToolTip("A manager sets the team's lock time.")
        self.loaded = True
        self.save_button.setEnabled(True)

    def _open_roles(self) -> None:
        from referral_desk.ui.roles_dialog import RolesDialog

        dialog = RolesDialog(self.services, self)
        dialog.exec()
        dialog.deleteLater()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Choose the shared store folder", self.shared_store.text()
        )
        if folder:
            self.shared_store.setText(folder)

    def _save(self) -> None:
        if not self.name.text().strip():
            self.name_error.set_error("Your name is needed for the officer profile.")
            self.name.setFocus()
            return
        if not self.loaded:  # Enter before the stored values arrived: they would be lost
            return
        self.name_error.set_error("")
        profile = {
            "name": self.name.text(),
            "team": self.team.text(),
            "office": self.office.text(),
            "office_phone": self.office_phone.text(),
            "email": self.email.text(),
        }
        save_op(self, self._writes(profile), bar=self.message_bar, retry=self._save).success(
            lambda _saved: self.accept()
        ).run()

    def _writes(self, profile: dict[str, str]) -> Callable[[], None]:
        """What saving the form writes, as it stands now (run on the worker)."""
        services = self.services
        if self.first_run:  # only the profile is asked
            return lambda: services.profile.set(**profile)
        local = {
            "page_size": self.page_size.currentText(),
            "printer": self.printer.currentText().strip(),
            "shared_store": self.shared_store.text().strip(),
        }
        years, minutes = self.retention_years.value(), self.lock_minutes.value()
        years_changed = years != self._retention_loaded
        minutes_changed = minutes != self._lock_minutes_loaded

        def save() -> None:
            services.profile.set(**profile)
            for key, value in local.items():
                services.profile.set_local_setting(key, value)
            if years_changed:
                services.retention.set_years(years)
            if minutes_changed:
                services.team_settings.set_lock_minutes(minutes)

        return save


@dataclass(frozen=True)
class _Stored:
    """What the preferences form shows, read on the worker."""

    profile: OfficerView | None
    os_login_available: bool = False
    os_login_enabled: bool = False
    lock_minutes: int = 0
    retention_years: int = 0
    page_size: str = "A4"
    printer: str = ""
    shared_store: str = ""
