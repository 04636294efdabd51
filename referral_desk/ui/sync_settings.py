"""Sync settings (DESIGN.md §6): the shared store folder, the team passphrase and this
computer's site id.

The folder is where everyone's encrypted sync files meet; the passphrase is remembered in the
OS password store where there is one (otherwise asked at each sync); the site id is what a
colleague may ask for when something looks wrong. What the dialog shows is read on the
window's worker when it opens, and Save writes on it too (`ui.ops`): a password store or a
network share can take seconds to answer.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import DomainError
from referral_desk.ui.messages import show_error
from referral_desk.ui.ops import op
from referral_desk.ui.passphrase_dialog import StrengthLabel, passphrase_problem
from referral_desk.ui.widgets import (
    FieldError,
    fit_to_screen,
    named,
    run_dialog,
    save_cancel_buttons,
)
from referral_desk.usecases.passphrase_store import check_passphrase
from referral_desk.usecases.sync import SyncStatus, pending_text, quarantine_text

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices


@dataclass(frozen=True)
class SettingsNow:
    """What the dialog shows when it opens (read on the worker)."""

    site_id: str
    store: str
    available: bool
    remembered: bool
    status: SyncStatus


def read_settings(services: AppServices) -> SettingsNow:
    site_id = services.sync.site_id()
    keys = services.passphrases
    available = keys.available()
    return SettingsNow(
        site_id=site_id,
        store=services.sync.get_store() or "",
        available=available,
        remembered=available and keys.get(site_id) is not None,
        status=services.sync.status(),
    )


@dataclass(frozen=True)
class SaveRefused:
    """Which field a refused save belongs to, with the refusal (a domain error)."""

    field: str  # "store" or "passphrase"
    error: DomainError
    store_saved: bool


class SyncSettingsDialog(QDialog):
    """Choose the shared store folder and the team passphrase; see this computer's site id.

    The fields are filled once `read_settings` has run on the worker (`loaded` fires; `ready`
    is True from then on); until then they and Save are disabled.
    """

    loaded = Signal()

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.site_id = ""
        self._keys = services.passphrases
        self._available = False
        self._remembered = False
        self._initial_store = ""
        self.ready = False
        self.setWindowTitle("Sync settings")
        self.setAccessibleName("Sync settings")
        self.setMinimumWidth(600)

        layout = QVBoxLayout(self)
        layout.addWidget(self._store_group())
        layout.addWidget(self._passphrase_group())
        layout.addWidget(self._site_group())
        layout.addStretch(1)

        buttons, self.save_button = save_cancel_buttons(
            self, "&Save", "Save sync settings", self.save
        )
        layout.addWidget(buttons)
        self._update_passphrase_fields()
        for group in self.findChildren(QGroupBox):
            group.setEnabled(False)
        self.save_button.setEnabled(False)
        op(self, lambda: read_settings(services)).success(self._show_settings).run()

    def _show_settings(self, now: SettingsNow) -> None:
        self.site_id = now.site_id
        self._available = now.available
        self._remembered = now.remembered
        self._initial_store = now.store
        self.store_edit.setText(now.store)
        self.site_edit.setText(now.site_id)
        self.remember_check.setEnabled(now.available)
        self.remember_check.setChecked(now.available and (now.remembered or not now.store))
        status = now.status
        waiting = " ".join(pending_text(status.pending_reasons)) or "Nothing waits to be added."
        kept = " ".join(quarantine_text(status.quarantine_reasons))
        self.status_label.setText(
            f"Open conflicts: {status.open_conflicts} · Entries kept aside: "
            f"{status.quarantined}. {kept + ' ' if kept else ''}{waiting}"
        )
        for group in self.findChildren(QGroupBox):
            group.setEnabled(True)
        self.save_button.setEnabled(True)
        self._update_passphrase_fields()
        self.store_edit.setFocus()
        self.ready = True
        self.loaded.emit()

    # -- building ---------------------------------------------------------------------------
    def _store_group(self) -> QGroupBox:
        group = QGroupBox("Shared store")
        group.setAccessibleName("Shared store")
        box = QVBoxLayout(group)
        intro = QLabel(
            "A folder everyone in the team can reach: a team share on the office network, or a "
            "removable drive. Referral Desk writes only its own encrypted sync files there."
        )
        intro.setWordWrap(True)
        box.addWidget(intro)
        row = QHBoxLayout()
        label = QLabel("&Folder:")
        self.store_edit = QLineEdit(self._initial_store)
        self.store_edit.setPlaceholderText("No folder chosen: sync with files only")
        self.store_edit.setClearButtonEnabled(True)
        named(
            self.store_edit,
            "Shared store folder",
            "The team's shared store folder; leave empty to sync by file only",
        )
        label.setBuddy(self.store_edit)
        self.browse_button = QPushButton("&Browse…")
        named(self.browse_button, "Browse for the shared store folder")
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(self.browse)
        row.addWidget(label)
        row.addWidget(self.store_edit, 1)
        row.addWidget(self.browse_button)
        box.addLayout(row)
        self.store_error = FieldError()
        box.addWidget(self.store_error)
        return group

    def _passphrase_group(self) -> QGroupBox:
        group = QGroupBox("Team passphrase")
        group.setAccessibleName("Team passphrase")
        box = QVBoxLayout(group)
        intro = QLabel(
            "Every sync file is encrypted with the passphrase your team agreed. Everyone in the "
            "team uses the same one; without it the files cannot be read."
        )
        intro.setWordWrap(True)
        box.addWidget(intro)
        self.remember_check = QCheckBox("&Remember on this computer")
        named(
            self.remember_check,
            "Remember the passphrase on this computer",
            "Keep the passphrase in this computer's password store, so sync does not ask",
        )
        self.remember_check.toggled.connect(self._update_passphrase_fields)
        box.addWidget(self.remember_check)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        named(self.passphrase_edit, "Passphrase", "The team passphrase")
        self.passphrase_edit.textChanged.connect(self._update_passphrase_fields)
        self.passphrase_label = QLabel("&Passphrase:")
        self.passphrase_label.setBuddy(self.passphrase_edit)
        form.addRow(self.passphrase_label, self.passphrase_edit)
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setEchoMode(QLineEdit.EchoMode.Password)
        named(self.confirm_edit, "Confirm passphrase", "Type the passphrase again")
        self.confirm_label = QLabel("C&onfirm:")
        self.confirm_label.setBuddy(self.confirm_edit)
        form.addRow(self.confirm_label, self.confirm_edit)
        box.addLayout(form)
        self.strength = StrengthLabel()
        box.addWidget(self.strength)
        self.passphrase_error = FieldError()
        box.addWidget(self.passphrase_error)
        self.confirm_edit.textChanged.connect(self._live_check)
        self.passphrase_note = QLabel()
        self.passphrase_note.setWordWrap(True)
        self.passphrase_note.setStyleSheet("color: #444;")
        named(self.passphrase_note, "About the passphrase")
        box.addWidget(self.passphrase_note)
        return group

    def _site_group(self) -> QGroupBox:
        group = QGroupBox("This computer")
        group.setAccessibleName("This computer")
        box = QVBoxLayout(group)
        row = QHBoxLayout()
        label = QLabel("Site &id:")
        self.site_edit = QLineEdit(self.site_id)
        self.site_edit.setReadOnly(True)
        named(
            self.site_edit,
            "Site id",
            "This installation's identity in sync; a colleague may ask for it",
        )
        label.setBuddy(self.site_edit)
        self.copy_button = QPushButton("Cop&y")
        named(self.copy_button, "Copy the site id")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy_site_id)
        row.addWidget(label)
        row.addWidget(self.site_edit, 1)
        row.addWidget(self.copy_button)
        box.addLayout(row)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setStyleSheet("color: #444;")
        named(self.status_label, "Sync status")
        box.addWidget(self.status_label)
        return group

    # -- behaviour --------------------------------------------------------------------------
    def _update_passphrase_fields(self) -> None:
        on = self._available and self.remember_check.isChecked()
        self.passphrase_edit.setEnabled(on)
        # The confirm field guards a passphrase being set, not one already remembered.
        confirm = on and (not self._remembered or bool(self.passphrase_edit.text()))
        self.confirm_label.setVisible(confirm)
        self.confirm_edit.setVisible(confirm)
        self.passphrase_label.setEnabled(on)
        if not self._available:
            self.passphrase_edit.setPlaceholderText("")
            note = (
                "This computer has no password store, so the passphrase is not kept: "
                "Referral Desk asks for it each time you sync or import a file."
            )
        elif not on:
            self.passphrase_edit.setPlaceholderText("")
            note = (
                "Not remembered: Referral Desk asks for the passphrase each time you sync "
                "or import a file."
                + (" Saving forgets the remembered one." if self._remembered else "")
            )
        elif self._remembered:
            self.passphrase_edit.setPlaceholderText("Remembered — type to change it")
            note = "A passphrase is remembered on this computer. Leave the field empty to keep it."
        else:
            self.passphrase_edit.setPlaceholderText("")
            note = "The passphrase is kept in this computer's password store, never in a file."
        self.passphrase_note.setText(note)
        self.passphrase_note.setAccessibleDescription(note)
        self._live_check()
        QTimer.singleShot(0, self._grow)

    def _live_check(self, *_args: object) -> None:
        """As it is typed: its strength, and what is wrong with it (before Save, not after
        a preview and Apply)."""
        typed = self.passphrase_edit.text() if self.passphrase_edit.isEnabled() else ""
        self.strength.show_for(typed)
        again = self.confirm_edit.text() if self.confirm_edit.isVisible() else None
        problem = passphrase_problem(typed, again) if typed else ""
        if again == "" and problem.startswith("Type it again"):
            problem = ""  # not yet: they have not reached the second field
        self.passphrase_error.set_error(problem)

    def _grow(self) -> None:
        """Taller when a note wraps onto more lines: wrapped labels do not ask for it."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        needed = layout.totalHeightForWidth(self.width())
        if needed > self.height():
            fit_to_screen(self, self.width(), needed)

    def browse(self) -> None:
        start = self.store_edit.text().strip() or str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Choose the shared store folder", start)
        if chosen:
            self.store_edit.setText(chosen)
            self.store_error.set_error("")

    def copy_site_id(self) -> None:
        QGuiApplication.clipboard().setText(self.site_id)
        self.copy_button.setText("Copied")
        QTimer.singleShot(1500, self._copy_reset)

    def _copy_reset(self) -> None:
        with contextlib.suppress(RuntimeError):  # the dialog was closed meanwhile
            self.copy_button.setText("Cop&y")

    def save(self) -> None:
        """Check the passphrase fields, then remember the folder and the passphrase."""
        self.store_error.set_error("")
        self.passphrase_error.set_error("")
        typed = self.passphrase_edit.text()
        remember = self._available and self.remember_check.isChecked()
        if remember and typed:
            try:
                check_passphrase(typed)
            except DomainError as err:
                self.passphrase_error.set_error(str(err))
                self.passphrase_edit.setFocus()
                return
            if self.confirm_edit.text() != typed:
                self.passphrase_error.set_error("The two passphrases are not the same.")
                self.confirm_edit.setFocus()
                return
        if remember and not typed and not self._remembered:
            self.passphrase_error.set_error(
                "Type the team passphrase to remember it, or untick Remember."
            )
            self.passphrase_edit.setFocus()
            return
        folder = self.store_edit.text().strip()
        store = folder if folder != self._initial_store else None
        if remember and typed:
            keep: str | None = typed
        elif not remember and self._remembered:
            keep = ""  # forget the remembered one
        else:
            keep = None
        self.save_button.setEnabled(False)
        services, site_id = self.services, self.site_id
        op(self, lambda: save_settings(services, site_id, store, keep)).success(
            self._saved
        ).failure(self._save_failed).run()

    def _saved(self, refused: SaveRefused | None) -> None:
        self.save_button.setEnabled(True)
        if refused is None:
            self.accept()
            return
        if refused.store_saved:
            self._initial_store = self.store_edit.text().strip()
        if refused.field == "store":
            self.store_error.set_error(str(refused.error))
            self.store_edit.setFocus()
        else:
            self.passphrase_error.set_error(str(refused.error))

    def _save_failed(self, err: BaseException) -> None:
        self.save_button.setEnabled(True)
        show_error(self, err)


def save_settings(
    services: AppServices, site_id: str, store: str | None, keep: str | None
) -> SaveRefused | None:
    """Save the folder (when `store` is not None; "" clears it) and remember (`keep`), forget
    (`keep == ""`) or leave the passphrase (None); run on the worker. A refusal is returned
    with the field it belongs to; anything else is a bug for the error policy."""
    saved = False
    if store is not None:
        try:
            services.sync.set_store(store or None)
        except DomainError as err:
            return SaveRefused("store", err, store_saved=False)
        saved = True
    try:
        if keep:
            services.passphrases.set(site_id, keep)
        elif keep == "":
            services.passphrases.delete(site_id)
    except DomainError as err:
        return SaveRefused("passphrase", err, store_saved=saved)
    return None


def open_sync_settings(services: AppServices, parent: QWidget | None) -> bool:
    """Sync settings; True when saved."""
    return run_dialog(SyncSettingsDialog(services, parent))
