"""Export the officer's follow-ups to an iCalendar file they import into their calendar.

The file is written by `usecases.calendar` (stable UIDs, so importing again updates the same
events); this module only asks where to save it and says how many follow-ups went in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QWidget

from referral_desk.ui.file_dialogs import CALENDAR_FOLDER, remember_folder, start_path
from referral_desk.ui.messages import show_info
from referral_desk.ui.ops import op
from referral_desk.usecases.calendar import export_calendar as write_calendar

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices

DEFAULT_FILE_NAME = "referral-desk-follow-ups.ics"


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


def export_calendar(services: AppServices, parent: QWidget, path: Path | None = None) -> bool:
    """Ask for a file (unless `path` is given), then write it on the worker and say how many
    follow-ups it holds (or why it was refused). False when the officer cancelled."""
    if path is None:
        path = ask_path(parent)
        if path is None:
            return False
    chosen = path

    def written(count: int) -> None:
        noun = "follow-up" if count == 1 else "follow-ups"
        show_info(
            parent,
            f"Exported {count} open {noun} to {chosen.name}. Import it into your calendar; "
            "importing a newer export updates the same events.",
        )

    op(parent, lambda: write_calendar(services, chosen)).busy().success(written).run()
    return True
