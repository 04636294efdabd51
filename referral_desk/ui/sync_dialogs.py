"""The three sync exchanges in the client (DESIGN.md §6) and the Sync menu's entry points.

- **Sync now**: export this site's new changes to the shared store, import colleagues'; a dry
  run first (with no shared store set yet, the settings open first).
- **Carry a file**: export everything to one file for a USB drive, and import one with the same
  preview-then-apply.

Each is an `ExchangeDialog` (`ui/sync_exchange.py`: passphrase, preview, apply, summary);
the settings and the conflicts list have their own modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QWidget

from referral_desk.ui.file_dialogs import SYNC_FILE_FOLDER, remember_folder, start_path
from referral_desk.ui.sync_conflicts import review_conflicts
from referral_desk.ui.sync_exchange import ExchangeDialog
from referral_desk.ui.sync_settings import open_sync_settings
from referral_desk.ui.sync_summary import Outcome, plural
from referral_desk.ui.widgets import run_dialog
from referral_desk.usecases.sync import SyncSummary

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices

SUFFIX = ".rdsync"
FILE_FILTER = "Referral Desk sync files (*.rdsync);;All files (*)"


class SyncNowDialog(ExchangeDialog):
    """Export this site's new changes to the store's outbox, import colleagues' bundles."""

    TITLE = "Sync now"

    def needs_store(self) -> bool:
        return True

    def open_settings(self) -> bool:
        return open_sync_settings(self.services, self)

    def sets_passphrase(self) -> bool:
        return not self.services.sync.store_has_passphrase()  # the first sync to a new store

    def preview_job(self, passphrase: str) -> Outcome:
        summary: SyncSummary = self.services.sync.sync_now(None, passphrase, dry_run=True)
        return Outcome(summary.exported, summary.imported)

    def apply_job(self, passphrase: str) -> Outcome:
        summary: SyncSummary = self.services.sync.sync_now(None, passphrase)
        said = " ".join(t for t in (summary.new_site_id, summary.caught_up, summary.receipt) if t)
        return Outcome(summary.exported, summary.imported, said)

    def working_text(self, applying: bool) -> str:
        if applying:
            return "Sending your changes to the shared store and applying your colleagues'…"
        return "Checking the shared store (nothing is written yet)…"

    def preview_text(self, outcome: Outcome) -> tuple[str, bool]:
        exp, imp = outcome.exported, outcome.imported
        assert exp is not None and imp is not None
        send = (
            f"{plural(exp.entries, 'change')} of yours to send to the shared store."
            if exp.entries
            else "Nothing new of yours to send."
        )
        if imp.bundles:
            fetch = (
                f"{plural(imp.bundles, 'file')} from colleagues to import "
                f"({plural(imp.entries_new, 'new change')})."
            )
        else:
            fetch = "Nothing new from colleagues."
        anything = outcome.sends_changes or outcome.brings_changes
        if not anything:
            return f"You are up to date: {send[0].lower()}{send[1:]} {fetch}", False
        return f"{send} {fetch} Nothing is written until you choose Apply.", True

    def summary_text(self, outcome: Outcome) -> tuple[str, str]:
        exp, imp = outcome.exported, outcome.imported
        assert exp is not None and imp is not None
        parts = [
            f"Sent {plural(exp.entries, 'change')} to the shared store."
            if exp.path
            else "Nothing new of yours to send."
        ]
        if imp.bundles:
            parts.append(
                f"Imported {plural(imp.bundles, 'file')} from colleagues "
                f"({plural(imp.entries_new, 'new change')})."
            )
        else:
            parts.append("Nothing new from colleagues.")
        if imp.already_seen:
            parts.append(f"{plural(imp.already_seen, 'file')} already imported before.")
        heading = "Sync finished with refusals" if imp.refused else "Sync finished"
        return heading, " ".join(parts)


class ImportFileDialog(ExchangeDialog):
    """Preview a carried sync file, then import it (or cancel)."""

    TITLE = "Import sync file"

    def __init__(
        self,
        services: AppServices,
        path: str | Path,
        parent: QWidget | None = None,
        *,
        passphrase: str | None = None,
    ) -> None:
        self.path = Path(path)
        super().__init__(services, parent, passphrase=passphrase)

    def preview_job(self, passphrase: str) -> Outcome:
        return Outcome(None, self.services.sync.preview_file(self.path, passphrase))

    def apply_job(self, passphrase: str) -> Outcome:
        return Outcome(None, self.services.sync.import_file(self.path, passphrase))

    def working_text(self, applying: bool) -> str:
        if applying:
            return f"Importing {self.path.name}…"
        return f"Reading {self.path.name} (nothing is written yet)…"

    def preview_text(self, outcome: Outcome) -> tuple[str, bool]:
        imp = outcome.imported
        assert imp is not None
        if imp.bundles == 0:
            return (f"{self.path.name} was imported before: nothing new in it.", False)
        if imp.nothing_new:
            return (f"Everything in {self.path.name} is already on this computer.", False)
        return (
            f"{self.path.name} holds {plural(imp.entries_new, 'new change')}. "
            "Nothing is written until you choose Apply.",
            True,
        )

    def summary_text(self, outcome: Outcome) -> tuple[str, str]:
        imp = outcome.imported
        assert imp is not None
        if imp.bundles == 0:
            return "Nothing imported", f"{self.path.name} was imported before: nothing new."
        return "Sync file imported", (
            f"Imported {self.path.name} ({plural(imp.entries_new, 'new change')})."
        )


class ExportFileDialog(ExchangeDialog):
    """Write everything this site holds to one file, with a busy bar while it is sealed."""

    TITLE = "Export sync file"
    PREVIEW = False

    def sets_passphrase(self) -> bool:
        return True  # a file nobody can open if a key slipped: typed twice

    def __init__(
        self,
        services: AppServices,
        path: str | Path,
        parent: QWidget | None = None,
        *,
        passphrase: str | None = None,
    ) -> None:
        self.path = Path(path)
        super().__init__(services, parent, passphrase=passphrase)

    def apply_job(self, passphrase: str) -> Outcome:
        return Outcome(self.services.sync.export_file(self.path, passphrase), None)

    def working_text(self, applying: bool) -> str:
        return f"Writing {self.path.name}…"

    def summary_text(self, outcome: Outcome) -> tuple[str, str]:
        exp = outcome.exported
        assert exp is not None
        return "Sync file written", (
            f"Wrote {plural(exp.entries, 'change')} from {plural(exp.sites, 'computer')} to "
            f"{self.path.name}, encrypted with the team passphrase. Carry it to the other "
            "computer and choose Sync ▸ Import sync file there."
        )


def sync_now(services: AppServices, parent: QWidget | None) -> bool:
    """Preview, apply and summarise a sync; True when records here changed (reload pages).

    With no shared store set yet, the settings open first.
    """
    dialog = SyncNowDialog(services, parent)
    run_dialog(dialog)
    return dialog.changed


def ask_export_path(services: AppServices, parent: QWidget | None) -> Path | None:
    start = start_path(SYNC_FILE_FOLDER, f"referral-desk-{services.clock.today():%Y-%m-%d}{SUFFIX}")
    chosen, _filter = QFileDialog.getSaveFileName(parent, "Export sync file", start, FILE_FILTER)
    if not chosen:
        return None
    path = Path(chosen)
    remember_folder(SYNC_FILE_FOLDER, path)
    return path if path.suffix.lower() == SUFFIX else path.with_name(path.name + SUFFIX)


def ask_import_path(parent: QWidget | None) -> Path | None:
    start = start_path(SYNC_FILE_FOLDER)
    chosen, _filter = QFileDialog.getOpenFileName(parent, "Import sync file", start, FILE_FILTER)
    if not chosen:
        return None
    remember_folder(SYNC_FILE_FOLDER, chosen)
    return Path(chosen)


def export_to_file(services: AppServices, parent: QWidget | None, path: Path | None = None) -> bool:
    """Ask where (unless given), then write one file with everything; True when written."""
    path = path or ask_export_path(services, parent)
    if path is None:
        return False
    dialog = ExportFileDialog(services, path, parent)
    run_dialog(dialog)
    return dialog.outcome is not None


def import_from_file(
    services: AppServices, parent: QWidget | None, path: Path | None = None
) -> bool:
    """Ask for a file (unless given), preview it, import on Apply; True when records changed."""
    path = path or ask_import_path(parent)
    if path is None:
        return False
    dialog = ImportFileDialog(services, path, parent)
    run_dialog(dialog)
    return dialog.changed


__all__ = [
    "ExportFileDialog",
    "ImportFileDialog",
    "SyncNowDialog",
    "export_to_file",
    "import_from_file",
    "open_sync_settings",
    "review_conflicts",
    "sync_now",
]
