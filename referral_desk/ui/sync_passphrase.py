"""The team passphrase for sync work: asked (hidden, checked as typed) or remembered.

The passphrase is never kept by Referral Desk itself: it is typed each time, or kept in the
OS password store (`services.passphrases`) when the officer chose Remember in the settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QWidget

from referral_desk.domain.errors import DomainError
from referral_desk.ui.lock import exec_dialog
from referral_desk.ui.passphrase_dialog import PassphraseDialog

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices


def ask_passphrase(parent: QWidget | None, text: str = "", *, confirm: bool = False) -> str | None:
    """Ask for the team passphrase (typed hidden, checked as typed; twice with `confirm`, when
    it is being set); None when cancelled."""
    dialog = PassphraseDialog(parent, text=text, confirm=confirm)
    value = dialog.passphrase() if exec_dialog(dialog) == QDialog.DialogCode.Accepted else ""
    dialog.deleteLater()
    return value or None


def remember_passphrase(services: AppServices, passphrase: str) -> None:
    """Remember a retyped passphrase that worked (on the worker). If the password store
    refuses, it still worked this time; the officer is asked again next time."""
    try:
        services.passphrases.set(services.sync.site_id(), passphrase)
    except DomainError:
        return
