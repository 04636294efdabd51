"""HSDS import and export on the directory page: preview first, then apply, with progress.

HSDS imports can be large, so the preview and the import run on the window's worker behind a
progress dialog (`ui.ops`); the keeper always sees what will change before anything is
written. No cancel: a large import is applied in journaled steps that always finish (even
after a crash); it never stops half-way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from referral_desk.ui.file_dialogs import DIRECTORY_FOLDER, remember_folder, start_path
from referral_desk.ui.ops import op
from referral_desk.ui.widgets import fit_to_screen, named
from referral_desk.usecases.directory_admin import (
    ImportReport,
)

ACTION_KINDS = ("new", "changed", "unchanged", "removed", "rejected")
KIND_TITLES = {
    "organisation": "Organisations",
    "location": "Locations",
    "service": "Services",
    "service_area": "Service areas",
}


class HsdsExchange:
    """Import and export of a `DirectoryPage` (a mixin: it uses the page's `services`,
    `is_keeper`, `tell`, `refresh` and `_load_failed`)."""

    def choose_package(self) -> Path | None:
        """One dialog for every form: the .zip, the folder's datapackage.json (or any file of
        an older package's folder, which may have none), or a saved ORUK .json of services."""
        path, _filter = QFileDialog.getOpenFileName(
            self,
            "Import HSDS package",
            start_path(DIRECTORY_FOLDER),
            "HSDS package or ORUK services (*.zip datapackage.json *.json);;"
            "Any file in the package folder (*)",
        )
        if not path:
            return None
        chosen = Path(path)
        remember_folder(DIRECTORY_FOLDER, chosen)
        if chosen.suffix.lower() == ".zip" or is_services_json(chosen):
            return chosen
        return chosen.parent

    def import_package(self) -> None:
        """Preview on the worker, show what would change, and apply only when asked."""
        if not self.is_keeper:
            return
        path = self.choose_package()
        if path is None:
            return
        admin = self.services.directory_admin
        self._run_busy(
            "Reading the package…",
            lambda: admin.import_package(path, dry_run=True),
            lambda report: self._show_preview(path, report),
        )

    def _show_preview(self, path: Path, report: ImportReport) -> None:
        dialog = ImportPreviewDialog(report, path, self)
        self.preview_dialog = dialog
        dialog.accepted.connect(lambda: self._apply_import(path))
        dialog.finished.connect(lambda _r: self._preview_closed(dialog))
        dialog.open()  # window-modal without blocking: the worker's callbacks keep flowing

    def _preview_closed(self, dialog: ImportPreviewDialog) -> None:
        if self.preview_dialog is dialog:
            self.preview_dialog = None
        dialog.deleteLater()

    def _apply_import(self, path: Path) -> None:
        admin = self.services.directory_admin
        op(self, lambda report: admin.import_package(path, after_chunk=report)).progress(
            "Importing the package…"
        ).success(self._imported).failure(self._load_failed).run()

    def _imported(self, report: ImportReport) -> None:
        self.last_report = report
        self.tell(summary_text(report))
        self.refresh()

    def export_package(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self,
            "Export HSDS package",
            start_path(DIRECTORY_FOLDER, "directory-hsds.zip"),
            "Zip file (*.zip)",
        )
        if not path:
            return
        remember_folder(DIRECTORY_FOLDER, path)
        admin = self.services.directory_admin
        self._run_busy(
            "Exporting the directory…",
            lambda: admin.export_package(path),
            lambda s: self.tell(f"Exported {s.services} service(s) to {s.path}."),
        )

    def _run_busy(self, text: str, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run on the worker behind a busy indicator. No cancel: a large import is applied in
        journaled steps that always finish (even after a crash); it never stops half-way."""
        op(self, fn).busy(text).success(done).failure(self._load_failed).run()


def summary_text(report: ImportReport) -> str:
    verb = "Would add" if report.dry_run else "Imported"
    parts = [
        f"{report.total('new')} new",
        f"{report.total('changed')} changed",
        f"{report.total('unchanged')} unchanged",
        f"{report.total('rejected')} rejected",
    ]
    return f"{verb}: " + ", ".join(parts) + " (organisations, locations, services, areas)."


def is_services_json(path: Path) -> bool:
    """A saved ORUK/HSDS JSON file of services (not a package's datapackage.json)."""
    return path.suffix.lower() == ".json" and path.name != "datapackage.json"


def other_rejections(report: ImportReport) -> list[str]:
    """Rejected rows of tables the counts grid has no row for (phones, schedules…)."""
    others = {
        t: n
        for t, n in report.rejected_by_table.items()
        if t not in ("organization", "location", "service", "service_area")
    }
    if not others:
        return []
    return [
        "Other rows rejected, by table: "
        + ", ".join(f"{t.replace('_', ' ')} {n}" for t, n in sorted(others.items()))
        + "."
    ]


class ImportPreviewDialog(QDialog):
    """What an import would do, before it does it: counts, then every rejected row and why."""

    def __init__(self, report: ImportReport, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle("Import preview")
        self.setAccessibleName("Import preview")
        fit_to_screen(self, 760, 560)
        detected = f" Detected: {report.form}." if report.form else ""
        heading = QLabel(f"Package: {path.name}.{detected} Nothing has been changed yet.")
        heading.setWordWrap(True)
        self.counts = QTableWidget(len(report.counts), len(ACTION_KINDS))
        named(self.counts, "What would change", "Rows per kind of record and what would happen")
        self.counts.setHorizontalHeaderLabels([a.capitalize() for a in ACTION_KINDS])
        self.counts.setVerticalHeaderLabels([KIND_TITLES.get(k, k) for k in report.counts])
        self.counts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.counts.setTabKeyNavigation(False)
        for r, counts in enumerate(report.counts.values()):
            for c, action in enumerate(ACTION_KINDS):
                item = QTableWidgetItem(str(counts.get(action, 0)))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.counts.setItem(r, c, item)
        self.counts.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        height = self.counts.horizontalHeader().height() + 4
        height += sum(self.counts.rowHeight(r) for r in range(self.counts.rowCount()))
        self.counts.setFixedHeight(height)

        issues = [("Rejected", i) for i in report.rejected] + [
            ("Warning", i) for i in report.warnings
        ]
        self.rejected = QTableWidget(len(issues), 5)
        named(self.rejected, "Rejected rows and warnings", "Each skipped row with its reason")
        self.rejected.setHorizontalHeaderLabels(["", "File", "Row", "Record", "Reason"])
        self.rejected.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rejected.setTabKeyNavigation(False)
        self.rejected.verticalHeader().hide()
        for r, (kind, issue) in enumerate(issues):
            for c, text in enumerate(
                (kind, issue.file, str(issue.row), issue.record_id, issue.message)
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.rejected.setItem(r, c, item)
        self.rejected.setWordWrap(True)
        self.rejected.resizeColumnsToContents()
        self.rejected.setColumnWidth(3, min(self.rejected.columnWidth(3), 120))
        header = self.rejected.horizontalHeader()
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.rejected.resizeRowsToContents()
        rejected = max(report.rejected_total, len(report.rejected))
        warnings = max(report.warnings_total, len(report.warnings))
        rejected_label = QLabel(f"&Rejected rows ({rejected}) and warnings ({warnings}):")
        rejected_label.setBuddy(self.rejected)
        counts_label = QLabel("&What would change:")
        counts_label.setBuddy(self.counts)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = buttons.addButton(
            "&Apply import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        named(self.apply_button, "Apply import", "Write these changes to the directory")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "Cancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        if report.cleaned_cells:
            heading.setText(
                heading.text() + f" {report.cleaned_cells} cell(s) held control "
                "characters; they will be removed."
            )
        nothing = report.total("new") + report.total("changed") + report.total("removed") == 0
        if nothing:
            self.apply_button.setEnabled(False)
            heading.setText(heading.text() + " The package holds nothing new.")

        box = QVBoxLayout(self)
        box.addWidget(heading)
        box.addWidget(counts_label)
        box.addWidget(self.counts)
        for note in [*other_rejections(report), *report.notes]:
            label = QLabel(note)
            label.setWordWrap(True)
            box.addWidget(label)
        box.addWidget(rejected_label)
        box.addWidget(self.rejected, 1)
        box.addWidget(buttons)
        self.apply_button.setFocus()
