"""Where the system's save and open dialogs start: the folder last used for that kind of file,
else the user's Documents folder, else their home folder.

A dialog given a folder that does not exist (Documents on a fresh profile, a share that has
gone) opens in the application's working folder, which is nowhere an officer would look; so
every start folder is checked. What was last used is remembered per kind of file in QSettings
(this computer's settings, never the database).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

# One remembered folder per kind of file (QSettings keys).
PDF_FOLDER = "printing/last_pdf_folder"
REPORT_FOLDER = "reports/last_export_folder"
CALENDAR_FOLDER = "calendar/last_export_folder"
SYNC_FILE_FOLDER = "sync/last_file_folder"
DIRECTORY_FOLDER = "directory/last_package_folder"

__all__ = ["documents_folder", "remember_folder", "start_path"]


def documents_folder() -> Path:
    """The user's Documents folder if it exists, else their home folder."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if found and Path(found).is_dir():
        return Path(found)
    return Path.home()


def start_path(key: str, file_name: str = "", settings: QSettings | None = None) -> str:
    """The path to give a file dialog: `file_name` in the last folder used for `key`."""
    settings = settings if settings is not None else QSettings()
    last = str(settings.value(key, "", type=str) or "")
    folder = Path(last) if last and Path(last).is_dir() else documents_folder()
    return str(folder / file_name) if file_name else str(folder)


def remember_folder(key: str, chosen: Path | str, settings: QSettings | None = None) -> None:
    """Remember the folder of `chosen` (a file, or a folder itself) for the next dialog."""
    path = Path(chosen)
    folder = path if path.is_dir() else path.parent
    settings = settings if settings is not None else QSettings()
    settings.setValue(key, str(folder))
