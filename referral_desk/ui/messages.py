"""One consistent way to tell the officer what went wrong, and to ask before discarding data.

Domain errors carry messages written for officers (and free of personal data), so they are
shown as they are. Anything else is a bug: the officer gets a short apology, the log gets the
error type and stack frames but never the message, which could contain personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

from referral_desk.domain.errors import DatabaseBusy, DomainError
from referral_desk.ui.lock import exec_dialog
from referral_desk.ui.worker import log_unexpected

if TYPE_CHECKING:
    from referral_desk.ui.message_bar import MessageBar

log = logging.getLogger(__name__)

UNEXPECTED = (
    "Something went wrong and the action was not completed. Nothing was changed. "
    "If it happens again, restart Referral Desk."
)


def error_text(err: BaseException) -> str:
    """What to show for an error: the domain message, or a generic one for a bug."""
    if isinstance(err, DomainError):
        return str(err) or "The action could not be completed."
    log_unexpected(err)
    return UNEXPECTED


TRY_AGAIN = "&Try again"


def show_save_error(
    bar: MessageBar, err: BaseException, retry: Callable[[], object] | None = None
) -> None:
    """Say why a save failed in the dialog's (or window's) message bar; the form stays as typed.

    A busy database (another window or command held the write lock for longer than the
    wait) is worth another go in a moment, so the bar then offers "Try again", which runs the
    same save with whatever the form holds by then.
    """
    if retry is not None and isinstance(err, DatabaseBusy):
        bar.show_message(error_text(err), kind="error", action=TRY_AGAIN, callback=retry)
    else:
        bar.show_message(error_text(err), kind="error")


def show_error(
    parent: QWidget | None, err: BaseException, retry: Callable[[], object] | None = None
) -> None:
    """Show an error in the window's message bar if it has one, else in a message box.

    With `retry`, a busy database is offered "Try again" (see `show_save_error`).
    """
    window = parent.window() if parent is not None else None
    bar = getattr(window, "message_bar", None)
    if bar is not None:
        show_save_error(bar, err, retry)
        return
    text = error_text(err)
    box = QMessageBox(
        QMessageBox.Icon.Warning, "Referral Desk", text, QMessageBox.StandardButton.Ok, parent
    )
    box.setAccessibleName("Error message")
    exec_dialog(box)
    box.deleteLater()


def show_info(parent: QWidget | None, text: str) -> None:
    """A short confirmation of something done (in the message bar when there is one)."""
    window = parent.window() if parent is not None else None
    bar = getattr(window, "message_bar", None)
    if bar is not None:
        bar.show_message(text, kind="info")
        return
    box = QMessageBox(
        QMessageBox.Icon.Information, "Referral Desk", text, QMessageBox.StandardButton.Ok, parent
    )
    box.setAccessibleName("Information")
    exec_dialog(box)
    box.deleteLater()


def confirm(
    parent: QWidget | None,
    title: str,
    text: str,
    *,
    action: str,
    detail: str = "",
    destructive: bool = True,
) -> bool:
    """Ask before anything that discards data. The safe answer (Cancel) is the default button."""
    box = QMessageBox(parent)
    box.setWindowTitle(title)
    box.setIcon(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question)
    box.setText(text)
    if detail:
        box.setInformativeText(detail)
    box.setAccessibleName(title)
    go = box.addButton(
        action,
        QMessageBox.ButtonRole.DestructiveRole
        if destructive
        else QMessageBox.ButtonRole.AcceptRole,
    )
    go.setAccessibleName(action)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setAccessibleName("Cancel")
    box.setDefaultButton(cancel if destructive else go)
    box.setEscapeButton(cancel)
    exec_dialog(box)
    box.deleteLater()
    return box.clickedButton() is go
