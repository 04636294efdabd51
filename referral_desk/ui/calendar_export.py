"""Export the officer's follow-ups to an iCalendar file they import into their calendar.

The file is written by `services.calendar` (stable UIDs, so importing again updates the same
events); this module only asks where to save it and says how many follow-ups went in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QWidget

from referral_desk.services.calendar import export_calendar as write_calendar
from referral_desk.ui.file_dialogs import CALENDAR_FOLDER, remember_folder, start_path
from referral_desk.ui.messages import show_error, show_info

if TYPE_CHECKING:
    from referral_desk.services.app_services import AppServices

DEFAULT_FILE_NAME = "referral-desk-follow-ups.ics"
SHORTCUT = "Ctrl+Shift+C"


def ask_path(parent: QWidget | None) -> Path | None:
    """The system save dialog; None when the officer cancels."""
    chosen, _filter = QFileDialog.getSaveFileName(
        parent,
        "Export follow-ups to calendar",
        start_path(CALENDAR_FOLDER, DEFAULT_FILE_NAME),
        "iCalendar files (*.ics);;All files (*)",
    )
    if not chosen:
        return None
    path = Path(chosen)
    remember_folder(CALENDAR_FOLDER, path)
    return path if path.suffix.lower() == ".ics" else path.with_name(path.name + ".ics")


def export_calendar(
    services: AppServices, parent: QWidget | None, path: Path | None = None
) -> int | None:
    """Ask for a file (unless `path` is given), write it, say how many follow-ups it holds.

    Returns the count, or None when cancelled or refused (the error has been shown).
    """
    if path is None:
        path = ask_path(parent)
        if path is None:
            return None
    try:
        count = write_calendar(services, path)
    except Exception as err:  # DomainError explains itself; a bug gets a safe message
        show_error(parent, err)
        return None
    noun = "follow-up" if count == 1 else "follow-ups"
    show_info(
        parent,
        f"Exported {count} open {noun} to {path.name}. Import it into your calendar; "
        "importing a newer export updates the same events.",
    )
    return count


def make_export_action(services: AppServices, parent: QWidget) -> QAction:
    """A menu action (Ctrl+Shift+C) for the main window's File or Follow-ups menu."""
    action = QAction("Export follow-ups to &calendar…", parent)
    action.setShortcut(QKeySequence(SHORTCUT))
    action.setStatusTip("Save your follow-ups as an iCalendar (.ics) file")
    action.setToolTip(f"Export follow-ups to calendar ({SHORTCUT})")
    action.triggered.connect(lambda: export_calendar(services, parent))
    return action
