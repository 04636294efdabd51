"""The client's accountability tools: who has opened a record (a manager), the subject access
export of the person on show, and retention (the dry-run list and the erasure, a manager).

They sit in the Person menu (`add_account_actions`); each runs one use case of the services
layer, which also checks the role, so the client, the command line and sync obey the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from referral_desk.ui.file_dialogs import remember_folder, start_path
from referral_desk.ui.lock import exec_dialog
from referral_desk.ui.message_bar import MessageBar
from referral_desk.ui.messages import confirm, show_error, show_info
from referral_desk.ui.ops import op
from referral_desk.ui.widgets import fmt_date, fmt_datetime, named

if TYPE_CHECKING:
    from referral_desk.usecases.access_log import AccessView
    from referral_desk.usecases.app_services import AppServices
    from referral_desk.usecases.retention import RetentionItem, RetentionResult

# name: (menu text, description), in the style of the main window's ACTIONS.
ACTIONS: dict[str, tuple[str, str]] = {
    "person_access": (
        "Who has &opened this record…",
        "Every officer who opened this person's record, and when (manager)",
    ),
    "export_person": (
        "E&xport everything held (subject access)…",
        "Save everything held about this person as a PDF and a JSON file",
    ),
    "retention": (
        "Re&tention…",
        "Closed cases due for erasure under the team's retention period (manager)",
    ),
}
PERSON_ACTIONS = ("person_access", "export_person")
SETTINGS_LAST_DIR = "files/subject_access_dir"
KIND_TEXT = {
    "open": "opened in the app",
    "show": "shown at the command line",
    "slip": "printed a slip",
    "form": "printed a provider form",
    "export": "exported (subject access)",
}


def _table(headers: list[str], rows: list[list[str]], name: str) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    named(table, name)
    return table


class AccessLogDialog(QDialog):
    """Who has opened this record: when, who, what they did (newest first)."""

    def __init__(self, views: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Who has opened this record")
        self.setAccessibleName(self.windowTitle())
        self.resize(560, 420)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Every time an officer opened this record, printed for it or exported it, on any "
            "computer of the team (after a sync). Repeated opens within a few minutes count once."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        rows = [[fmt_datetime(v.at), v.officer_name, KIND_TEXT.get(v.kind, v.kind)] for v in views]
        self.table = _table(["When", "Officer", "What"], rows, "Record accesses")
        layout.addWidget(self.table, 1)
        if not views:
            layout.addWidget(QLabel("No one has opened this record yet."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def show_access_log(services: AppServices, parent: QWidget, person_id: str) -> None:
    """Read who opened the record (on the worker), then show it."""

    def show(views: list[AccessView]) -> None:
        dialog = AccessLogDialog(views, parent)
        exec_dialog(dialog)
        dialog.deleteLater()

    op(parent, lambda: services.access.for_person(person_id)).busy().success(show).run()


def export_person(
    services: AppServices,
    parent: QWidget,
    person_id: str,
    *,
    ask: Callable[[str], str] | None = None,
) -> bool:
    """Ask where, then write FILE.pdf and FILE.json on the worker and say so; `ask` replaces
    the save dialog (tests). False when the officer cancelled."""
    suggested = start_path(SETTINGS_LAST_DIR, "subject access export.pdf")
    if ask is not None:
        chosen = ask(suggested)
    else:
        chosen, _ = QFileDialog.getSaveFileName(
            parent,
            "Export everything held (a PDF and a JSON file)",
            suggested,
            "PDF documents (*.pdf)",
        )
    if not chosen:
        return False

    def saved(written: tuple[Path, Path]) -> None:
        remember_folder(SETTINGS_LAST_DIR, written[0].parent)
        show_info(parent, f"Saved {written[0].name} and {written[1].name}.")

    export = services.subject_access.export
    op(parent, lambda: export(person_id, chosen)).busy("Exporting…").success(saved).run()
    return True


class RetentionDialog(QDialog):
    """The dry run: closed cases due for erasure (ids and dates, no names), and, for a manager,
    the erasure itself after a confirmation."""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Retention")
        self.setAccessibleName("Retention")
        self.resize(600, 440)
        self.erased = 0
        layout = QVBoxLayout(self)
        self.message_bar = MessageBar(self)  # errors and "Erased n records" show here
        layout.addWidget(self.message_bar)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        named(self.summary, "Retention summary")
        layout.addWidget(self.summary)
        self.table = _table(
            ["Record id", "Case closed", "Due for erasure since"], [], "Records due for erasure"
        )
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.erase_button = QPushButton("&Erase these records…")
        named(self.erase_button, "Erase these records")
        self.erase_button.setAutoDefault(False)
        self.erase_button.clicked.connect(self.erase)
        buttons.addButton(self.erase_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout.addWidget(buttons)
        self.due: list[RetentionItem] = []
        self.loaded = False  # True once the records due have been read (on the worker)
        self.load()

    def load(self) -> None:
        retention = self.services.retention
        op(self, lambda: (retention.years(), retention.due()), kind="retention-due").success(
            self._show_due
        ).run()

    def _show_due(self, found: tuple[int, list[RetentionItem]]) -> None:
        years, self.due = found
        self.summary.setText(
            f"Personal details are erased {years} years after a case was closed (a team "
            f"setting, in Preferences). {len(self.due)} closed cases are due now. Nothing has "
            "been erased yet; reports keep counting what they counted."
        )
        self.table.setRowCount(len(self.due))
        for r, item in enumerate(self.due):
            for c, text in enumerate(
                (item.person_id, fmt_date(item.closed_on), fmt_date(item.erase_from))
            ):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.erase_button.setEnabled(bool(self.due))
        self.loaded = True

    def erase(self) -> None:
        count = len(self.due)
        if not confirm(
            self,
            "Erase records",
            "Erase everything held about "
            + ("this person?" if count == 1 else f"these {count} people?"),
            action="Erase records",
            detail="Their personal details, needs, referrals, follow-ups and notes "
            "are erased on this computer and, after the next sync, for "
            "colleagues. This cannot be undone.",
        ):
            return
        apply = self.services.retention.apply
        op(self, lambda: apply(expected=count)).busy().success(self._erased).failure(
            self._refused
        ).run()

    def _erased(self, result: RetentionResult) -> None:
        self.erased += len(result.erased)
        done = len(result.erased)
        show_info(self, f"Erased {done} record{'' if done == 1 else 's'}.")
        self.load()

    def _refused(self, err: BaseException) -> None:
        show_error(self, err)
        self.load()


def show_retention(services: AppServices, parent: QWidget) -> bool:
    """The retention dialog; True when records were erased (the window reloads)."""
    dialog = RetentionDialog(services, parent)
    dialog.exec()
    erased = dialog.erased
    dialog.deleteLater()
    return erased > 0


def add_account_actions(window: QMainWindow, menu: QMenu) -> dict[str, QAction]:
    """Make the actions, append them to `menu` (the Person menu) and connect them to the
    window's person page (`window.person_page`, `window.services`, `window.after_write`)."""
    actions: dict[str, QAction] = {}
    menu.addSeparator()
    for name, (text, tip) in ACTIONS.items():
        action = QAction(text, window)
        action.setObjectName(name)
        action.setToolTip(text.replace("&", "").rstrip("…"))
        action.setStatusTip(tip)
        action.setWhatsThis(tip)
        menu.addAction(action)
        actions[name] = action

    def person_id() -> str | None:
        person = window.person_page.person  # type: ignore[attr-defined]
        return person.id if person is not None else None

    def access() -> None:
        pid = person_id()
        if pid is not None:
            show_access_log(window.services, window, pid)  # type: ignore[attr-defined]

    def export() -> None:
        pid = person_id()
        if pid is not None:
            export_person(window.services, window, pid)  # type: ignore[attr-defined]

    def retention() -> None:
        if show_retention(window.services, window):  # type: ignore[attr-defined]
            window.after_write()  # type: ignore[attr-defined]

    actions["person_access"].triggered.connect(lambda _c=False: access())
    actions["export_person"].triggered.connect(lambda _c=False: export())
    actions["retention"].triggered.connect(lambda _c=False: retention())
    return actions
