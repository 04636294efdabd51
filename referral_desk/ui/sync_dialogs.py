"""Sync in the client (DESIGN.md §6): set up, sync now, carry a file, review conflicts.

- **Sync settings**: the shared store folder, the team passphrase (remembered in the OS
  password store where there is one, otherwise asked each time) and this computer's site id,
  which a colleague may ask for when something looks wrong.
- **Sync now**: a dry run first, so the officer sees how many people, needs, referrals,
  follow-ups, directory changes and conflicts would come in before anything is written; then
  Apply or Cancel; then a summary with what needs attention (conflicts, changes stamped ahead,
  entries kept aside, refused files with their reasons).
- **Carry a file**: export everything to one file for a USB drive, and import one with the same
  preview-then-apply.
- **Conflicts**: both values of a field edited on two computers at once, who and when, and
  "Keep mine" / "Keep theirs".

Sync work reads and decrypts files and can take seconds on a slow share, so it runs on a
background `Worker` owned by each dialog, with an indeterminate progress bar; the worker stops
(joining its thread) when the dialog closes. While changes are being applied the dialog cannot
be closed: the import is all-or-nothing (large ones finish in journaled steps, even after a
crash), and an officer must not think it was cancelled.

Refusals (wrong passphrase, damaged, foreign or newer files) are shown with the engine's own
message, which never contains personal data, and the note that nothing was written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import DomainError
from referral_desk.services.passphrase_store import (
    check_passphrase,
    is_passphrase_refusal,
)
from referral_desk.services.sync import (
    ExportSummary,
    ImportSummary,
    RefusedFile,
    SyncSummary,
    pending_text,
    quarantine_text,
)
from referral_desk.ui.file_dialogs import SYNC_FILE_FOLDER, remember_folder, start_path
from referral_desk.ui.lock import exec_dialog
from referral_desk.ui.messages import error_text
from referral_desk.ui.models import kind_label as follow_up_kind_label
from referral_desk.ui.passphrase_dialog import PassphraseDialog, StrengthLabel, passphrase_problem
from referral_desk.ui.sync_menu import ACTIONS, SYNC_MENU, make_sync_actions
from referral_desk.ui.sync_models import ConflictRow, ConflictTableModel
from referral_desk.ui.tables import tip_elided_cells
from referral_desk.ui.widgets import (
    FieldError,
    fit_to_screen,
    keep_default,
    named,
    run_dialog,
    save_cancel_buttons,
)
from referral_desk.ui.worker import Worker

if TYPE_CHECKING:
    from referral_desk.services.app_services import AppServices

SUFFIX = ".rdsync"
FILE_FILTER = "Referral Desk sync files (*.rdsync);;All files (*)"
NOTHING_WRITTEN = "Nothing was written."


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _nothing_written(message: str) -> str:
    """The refusal as the engine words it, plus the reassurance when it does not say so."""
    lowered = message.lower()
    if "nothing was" in lowered or "was not imported" in lowered:
        return message
    return f"{message} {NOTHING_WRITTEN}"


# -- the passphrase -------------------------------------------------------------------------


def ask_passphrase(parent: QWidget | None, text: str = "", *, confirm: bool = False) -> str | None:
    """Ask for the team passphrase (typed hidden, checked as typed; twice with `confirm`, when
    it is being set); None when cancelled."""
    dialog = PassphraseDialog(parent, text=text, confirm=confirm)
    value = dialog.passphrase() if exec_dialog(dialog) == QDialog.DialogCode.Accepted else ""
    dialog.deleteLater()
    return value or None


def remembered_passphrase(services: AppServices) -> str | None:
    """The passphrase kept in the OS password store for this site, if any."""
    return services.passphrases.get(services.sync.site_id())


def passphrase_for(services: AppServices, parent: QWidget | None) -> str | None:
    """The remembered passphrase, else one typed now (never stored here); None if cancelled."""
    return remembered_passphrase(services) or ask_passphrase(parent)


# -- settings -------------------------------------------------------------------------------


class SyncSettingsDialog(QDialog):
    """Choose the shared store folder and the team passphrase; see this computer's site id."""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.site_id = services.sync.site_id()
        self._keys = services.passphrases
        self._available = self._keys.available()
        self._remembered = self._keys.get(self.site_id) is not None
        self._initial_store = services.sync.get_store() or ""
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
        self.store_edit.setFocus()

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
        self.remember_check.setEnabled(self._available)
        self.remember_check.setChecked(
            self._available and (self._remembered or not self._initial_store)
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
        status = self.services.sync.status()
        waiting = " ".join(pending_text(status.pending_reasons)) or "Nothing waits to be added."
        kept = " ".join(quarantine_text(status.quarantine_reasons))
        self.status_label = QLabel(
            f"Open conflicts: {status.open_conflicts} · Entries kept aside: "
            f"{status.quarantined}. {kept + ' ' if kept else ''}{waiting}"
        )
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
        if folder != self._initial_store:
            try:
                self.services.sync.set_store(folder or None)
            except Exception as err:
                self.store_error.set_error(error_text(err))
                self.store_edit.setFocus()
                return
            self._initial_store = folder
        try:
            if remember and typed:
                self._keys.set(self.site_id, typed)
            elif not remember and self._remembered:
                self._keys.delete(self.site_id)
        except Exception as err:
            self.passphrase_error.set_error(error_text(err))
            return
        self.accept()


# -- preview, apply, summary ----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a preview or a run did: either half may be absent (a file import has no export)."""

    exported: ExportSummary | None = None
    imported: ImportSummary | None = None

    @property
    def refused(self) -> tuple[RefusedFile, ...]:
        return self.imported.refused if self.imported else ()

    @property
    def brings_changes(self) -> bool:
        """Something would be (or was) written to this computer's records."""
        imp = self.imported
        return imp is not None and (imp.bundles > 0 or imp.released > 0)

    @property
    def sends_changes(self) -> bool:
        return self.exported is not None and self.exported.entries > 0


def _count_rows(imp: ImportSummary) -> list[tuple[str, int]]:
    """The preview table: the six counts always (so "0 conflicts" is said), the rest if any."""
    rows = [
        ("People", imp.people),
        ("Needs", imp.needs),
        ("Referrals", imp.referrals),
        ("Follow-ups", imp.follow_ups),
        ("Directory changes", imp.directory),
    ]
    if imp.other:
        rows.append(("Other changes (lists, notes, settings)", imp.other))
    if imp.deleted:
        rows.append(("Records deleted", imp.deleted))
    rows.append(("Conflicts to review", imp.conflicts))
    if imp.future_stamped:
        rows.append(("Changes stamped more than a day ahead", imp.future_stamped))
    if imp.quarantined:
        rows.append(("Entries kept aside", imp.quarantined))
    if imp.pending:
        rows.append(("Records to be added later", imp.pending))
    return rows


def _attention(imp: ImportSummary, *, preview: bool) -> list[str]:
    """Sentences about what needs the officer's attention after (or if) this is applied."""
    notes: list[str] = []
    will = "will be" if preview else "are"
    if imp.conflicts:
        notes.append(
            f"{_plural(imp.conflicts, 'field')} changed here and on another computer at once: "
            f"both values {will} kept for you to review (Review conflicts)."
        )
    if imp.future_stamped or imp.clock_reviews:
        notes.append(
            f"{_plural(imp.future_stamped, 'change')} stamped more than a day ahead of this "
            f"computer's clock: {_plural(imp.clock_reviews, 'field')} {will} listed under "
            "Review conflicts to check."
        )
    if imp.quarantined or imp.still_quarantined:
        notes.append(
            f"{_plural(imp.still_quarantined, 'entry', 'entries')} kept aside: they are kept "
            "and tried again at every sync; everything else "
            + ("applies." if preview else "was applied.")
        )
        notes.extend(quarantine_text(imp.quarantine_reasons))
    if imp.released:
        notes.append(f"{_plural(imp.released, 'entry', 'entries')} released from being kept aside.")
    if imp.pending:
        notes.extend(pending_text(imp.pending_reasons or (("other", imp.pending),)))
    if imp.refused:
        notes.append(
            f"{_plural(len(imp.refused), 'file')} refused (listed below); nothing was taken "
            "from them."
        )
    return notes


class ExchangeDialog(QDialog):
    """Base of the dialogs that run sync work: preview (optional), apply, summary, refusal.

    States: "new" → "previewing" → "preview" → "applying" → "done", or "nothing" (nothing to
    do), "refused" (an error; nothing written), "cancelled". `state_changed` fires on each.
    `changed` is True once records on this computer were written (the window reloads).
    """

    state_changed = Signal(str)
    TITLE = "Sync"
    PREVIEW = True

    def __init__(
        self,
        services: AppServices,
        parent: QWidget | None = None,
        *,
        passphrase: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.state = "new"
        self.changed = False
        self.preview: Outcome | None = None
        self.outcome: Outcome | None = None
        self.error_message = ""
        self._passphrase = passphrase
        self._from_keyring = False
        self._replace_remembered = False
        self._can_retry = False
        self._worker: Worker | None = None
        self._job = 0
        self._started = False
        self.setWindowTitle(self.TITLE)
        self.setAccessibleName(self.TITLE)
        self.setMinimumWidth(600)
        self._build()
        self._set_state("new")

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.heading = QLabel(self.TITLE)
        self.heading.setStyleSheet("font-size: 13pt; font-weight: bold;")
        named(self.heading, "Heading")
        layout.addWidget(self.heading)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        named(self.message, "Message")
        layout.addWidget(self.message)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: how long decrypting takes is not known up front
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(12)
        named(self.progress, "Working")
        layout.addWidget(self.progress)

        self.counts_label = QLabel()
        named(self.counts_label, "Counts caption")
        layout.addWidget(self.counts_label)
        self.counts = QTableWidget(0, 2)
        self.counts.setHorizontalHeaderLabels(["What", "How many"])
        named(self.counts, "Counts", "How many records would come in, or came in")
        self._table_style(self.counts)
        self.counts_label.setBuddy(self.counts)
        layout.addWidget(self.counts)

        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.TextFormat.PlainText)
        self.notes.setStyleSheet("color: #5c3b00;")
        named(self.notes, "Needs attention")
        layout.addWidget(self.notes)

        self.refused_label = QLabel("&Refused files (nothing was taken from them):")
        named(self.refused_label, "Refused files caption")
        layout.addWidget(self.refused_label)
        self.refused = QTableWidget(0, 2)
        self.refused.setHorizontalHeaderLabels(["File", "Reason"])
        named(self.refused, "Refused files", "Files that were not imported, and why")
        self._table_style(self.refused)
        # The reason is the part to read: it gets the room; the long file name (ids) is cut
        # in the middle, whole in its tooltip.
        header = self.refused.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 230)
        self.refused.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.refused.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.refused.setWordWrap(True)
        self.refused_label.setBuddy(self.refused)
        layout.addWidget(self.refused)
        layout.addStretch(1)

        self.buttons = buttons = QDialogButtonBox()
        self.apply_button = buttons.addButton("&Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        named(self.apply_button, "Apply", "Write these changes to this computer")
        self.retry_button = buttons.addButton(
            "&Try another passphrase…", QDialogButtonBox.ButtonRole.ActionRole
        )
        named(self.retry_button, "Try another passphrase")
        self.conflicts_button = buttons.addButton(
            "Review &conflicts…", QDialogButtonBox.ButtonRole.ActionRole
        )
        named(self.conflicts_button, "Review conflicts")
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        named(self.cancel_button, "Cancel", "Close without writing anything")
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        named(self.close_button, "Close")
        for button in (
            self.retry_button,
            self.conflicts_button,
            self.cancel_button,
            self.close_button,
        ):
            button.setAutoDefault(False)
        self.apply_button.clicked.connect(self.apply)
        self.retry_button.clicked.connect(self.retry_passphrase)
        self.conflicts_button.clicked.connect(self.review_conflicts)
        self.cancel_button.clicked.connect(self.reject)
        self.close_button.clicked.connect(self.accept)
        layout.addWidget(buttons)

    @staticmethod
    def _table_style(table: QTableWidget) -> None:
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setTabKeyNavigation(False)  # Tab leaves the table, as in every form
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        table.setAlternatingRowColors(True)

    @staticmethod
    def _fit_height(table: QTableWidget) -> None:
        """Tall enough for every row (a handful): a scroll bar in a summary hides counts."""
        table.resizeRowsToContents()
        height = table.horizontalHeader().height() + 2 * table.frameWidth()
        height += sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setFixedHeight(min(height, 360))

    # -- running ----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._started:
            self._started = True
            # After the dialog is on screen, so the passphrase prompt has a parent to sit on.
            QTimer.singleShot(0, self.start)

    def start(self) -> None:
        """Get the passphrase (remembered or asked) and run the preview, or the work itself."""
        if self.state != "new":
            return
        if self._passphrase is None:
            remembered = remembered_passphrase(self.services)
            if remembered:
                self._passphrase, self._from_keyring = remembered, True
            else:
                self._passphrase = ask_passphrase(self, confirm=self.sets_passphrase())
        if not self._passphrase:
            self._set_state("cancelled")
            self.reject()
            return
        if self.PREVIEW:
            self._run_preview()
        else:
            self._run_apply()

    def _submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        if self._worker is None:
            self._worker = Worker(self)
        self._job += 1
        job = self._job

        def done(result: Any) -> None:
            if job == self._job:
                on_done(result)

        def failed(err: BaseException) -> None:
            if job == self._job:
                self._show_refusal(err)

        self._worker.submit(fn, done, failed)

    def _run_preview(self) -> None:
        self._set_state("previewing")
        passphrase = self._passphrase or ""
        self._submit(lambda: self.preview_job(passphrase), self._show_preview)

    def apply(self) -> None:
        if self.state != "preview":
            return
        self._run_apply()

    def _run_apply(self) -> None:
        self._set_state("applying")
        passphrase = self._passphrase or ""
        self._submit(lambda: self.apply_job(passphrase), self._show_summary)

    def sets_passphrase(self) -> bool:
        """True when the passphrase typed now becomes the team's (it is then asked twice)."""
        return False

    # -- subclass hooks (run on the worker thread) ------------------------------------------
    def preview_job(self, passphrase: str) -> Outcome:
        raise NotImplementedError

    def apply_job(self, passphrase: str) -> Outcome:
        raise NotImplementedError

    def working_text(self, applying: bool) -> str:
        return "Applying the changes…" if applying else "Reading the sync files…"

    def preview_text(self, outcome: Outcome) -> tuple[str, bool]:
        """(message, anything to apply)."""
        raise NotImplementedError

    def summary_text(self, outcome: Outcome) -> tuple[str, str]:
        """(heading, message)."""
        raise NotImplementedError

    # -- results ----------------------------------------------------------------------------
    def _verified(self) -> None:
        """The passphrase worked: a retyped one replaces a remembered one that did not."""
        if self._replace_remembered and self._passphrase:
            # If the store refuses, it still works this time; the officer is asked next time.
            with contextlib.suppress(DomainError):
                self.services.passphrases.set(self.services.sync.site_id(), self._passphrase)
            self._replace_remembered = False

    def _show_preview(self, outcome: Outcome) -> None:
        self._verified()
        self.preview = outcome
        text, anything = self.preview_text(outcome)
        self._show_outcome(outcome, preview=True)
        self.message.setText(text)
        self.message.setAccessibleDescription(text)
        self._set_state("preview" if anything else "nothing")

    def _show_summary(self, outcome: Outcome) -> None:
        self._verified()
        self.outcome = outcome
        imp = outcome.imported
        if imp is not None and (imp.entries_new or imp.released or imp.deleted):
            self.changed = True
        heading, text = self.summary_text(outcome)
        self._show_outcome(outcome, preview=False)
        self.heading.setText(heading)
        self.message.setText(text)
        self.message.setAccessibleDescription(text)
        self._set_state("done")

    def _show_outcome(self, outcome: Outcome, *, preview: bool) -> None:
        imp = outcome.imported
        show_counts = imp is not None and imp.bundles > 0
        self.counts.setRowCount(0)
        if show_counts:
            assert imp is not None
            self.counts_label.setText(
                "Records that would be added or changed on this computer:"
                if preview
                else "Records added or changed on this computer:"
            )
            rows = _count_rows(imp)
            self.counts.setRowCount(len(rows))
            for i, (what, count) in enumerate(rows):
                label = QTableWidgetItem(what)
                number = QTableWidgetItem(str(count))
                number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if count and what in (
                    "Conflicts to review",
                    "Changes stamped more than a day ahead",
                ):
                    number.setForeground(Qt.GlobalColor.darkRed)
                self.counts.setItem(i, 0, label)
                self.counts.setItem(i, 1, number)
            self._fit_height(self.counts)
        self.counts_label.setVisible(show_counts)
        self.counts.setVisible(show_counts)
        notes = _attention(imp, preview=preview) if imp is not None else []
        self.notes.setText("\n".join(f"• {n}" for n in notes))
        self.notes.setAccessibleDescription(" ".join(notes))
        self.notes.setVisible(bool(notes))
        self._show_refused(outcome.refused)

    def _show_refused(self, refused: tuple[RefusedFile, ...]) -> None:
        self.refused.setRowCount(len(refused))
        for i, item in enumerate(refused):
            name = QTableWidgetItem(item.name)
            name.setToolTip(item.name)
            reason = QTableWidgetItem(item.reason)
            reason.setToolTip(item.reason)
            self.refused.setItem(i, 0, name)
            self.refused.setItem(i, 1, reason)
        if refused:
            self._fit_height(self.refused)
        self.refused_label.setVisible(bool(refused))
        self.refused.setVisible(bool(refused))

    def _show_refusal(self, err: BaseException) -> None:
        message = _nothing_written(error_text(err))
        self._can_retry = is_passphrase_refusal(err)
        if self._can_retry and self._from_keyring:
            message += " (The passphrase remembered on this computer was used.)"
        self.error_message = message
        self.heading.setText("Refused")
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(message)
        self.message.setAccessibleDescription(message)
        self.counts_label.hide()
        self.counts.hide()
        self.notes.hide()
        self._show_refused(())
        self._set_state("refused")

    def retry_passphrase(self) -> None:
        """Ask again (never the remembered one) and start over; nothing was written before."""
        passphrase = ask_passphrase(self, "That passphrase was refused. The team passphrase:")
        if not passphrase:
            return
        self._replace_remembered = self._from_keyring
        self._passphrase = passphrase
        self._from_keyring = False
        self.heading.setText(self.TITLE)
        self.state = "new"
        if self.PREVIEW:
            self._run_preview()
        else:
            self._run_apply()

    def review_conflicts(self) -> None:
        dialog = ConflictsDialog(self.services, self)
        run_dialog(dialog)
        self.changed = self.changed or dialog.changed
        self._update_conflicts_button()

    def _update_conflicts_button(self) -> None:
        show = False
        if self.state in ("done", "nothing"):
            try:
                show = self.services.sync.status().open_conflicts > 0
            except Exception:
                show = False
        self.conflicts_button.setVisible(show)

    # -- state ------------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        self.state = state
        if state != "refused":
            self.message.setStyleSheet("")
        working = state in ("previewing", "applying")
        self.progress.setVisible(working)
        if working:
            self.message.setText(self.working_text(state == "applying"))
            self.counts_label.setVisible(state == "applying" and self.counts.rowCount() > 0)
            self.notes.hide()
            self.refused_label.hide()
            self.refused.hide()
            if state == "previewing":
                self.counts.hide()
                self.counts_label.hide()
        self.apply_button.setVisible(state in ("preview", "applying"))
        self.apply_button.setEnabled(state == "preview")
        self.cancel_button.setVisible(state in ("new", "previewing", "preview", "applying"))
        self.cancel_button.setEnabled(state != "applying")
        self.close_button.setVisible(state in ("done", "nothing", "refused"))
        self.retry_button.setVisible(state == "refused" and self._can_retry)
        self._update_conflicts_button()
        if state == "preview":
            keep_default(self, self.apply_button)
            self.apply_button.setFocus()
        elif state in ("done", "nothing", "refused"):
            self.close_button.setDefault(True)
            self.close_button.setFocus()
        self._fit()
        self.state_changed.emit(state)

    def _fit(self) -> None:
        """Height to fit what this state shows (width never shrinks under the officer)."""
        for box in (self.buttons.layout(), self.layout()):
            # Inner first: else the hint still has the buttons of the previous state.
            box.invalidate()
            box.activate()
        hint = self.sizeHint()
        fit_to_screen(
            self, max(self.width(), hint.width()), max(hint.height(), self.minimumHeight())
        )

    def reject(self) -> None:
        """Esc and Cancel close, except while changes are being applied (one transaction)."""
        if self.state == "applying":
            self.message.setText(
                "Please wait: the changes are being applied. " + self.working_text(True)
            )
            return
        if self.state in ("previewing", "preview", "new"):
            self.state = "cancelled"
        super().reject()

    def done(self, result: int) -> None:
        """Stop the worker with the dialog, so no thread outlives it."""
        if self.state == "applying":
            return
        self._stop_worker()
        super().done(result)

    def _stop_worker(self) -> None:
        self._job += 1  # a preview still running delivers to nobody
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closed while hidden (with its parent): stop the worker, unless applying."""
        if self.state == "applying":
            event.ignore()
            return
        if not self.isVisible():
            self._stop_worker()
        super().closeEvent(event)


class SyncNowDialog(ExchangeDialog):
    """Export this site's new changes to the store's outbox, import colleagues' bundles."""

    TITLE = "Sync now"

    def sets_passphrase(self) -> bool:
        return not self.services.sync.store_has_passphrase()  # the first sync to a new store

    def preview_job(self, passphrase: str) -> Outcome:
        summary: SyncSummary = self.services.sync.sync_now(None, passphrase, dry_run=True)
        return Outcome(summary.exported, summary.imported)

    def apply_job(self, passphrase: str) -> Outcome:
        summary: SyncSummary = self.services.sync.sync_now(None, passphrase)
        return Outcome(summary.exported, summary.imported)

    def working_text(self, applying: bool) -> str:
        if applying:
            return "Sending your changes to the shared store and applying your colleagues'…"
        return "Checking the shared store (nothing is written yet)…"

    def preview_text(self, outcome: Outcome) -> tuple[str, bool]:
        exp, imp = outcome.exported, outcome.imported
        assert exp is not None and imp is not None
        send = (
            f"{_plural(exp.entries, 'change')} of yours to send to the shared store."
            if exp.entries
            else "Nothing new of yours to send."
        )
        if imp.bundles:
            fetch = (
                f"{_plural(imp.bundles, 'file')} from colleagues to import "
                f"({_plural(imp.entries_new, 'new change')})."
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
            f"Sent {_plural(exp.entries, 'change')} to the shared store."
            if exp.path
            else "Nothing new of yours to send."
        ]
        if imp.bundles:
            parts.append(
                f"Imported {_plural(imp.bundles, 'file')} from colleagues "
                f"({_plural(imp.entries_new, 'new change')})."
            )
        else:
            parts.append("Nothing new from colleagues.")
        if imp.already_seen:
            parts.append(f"{_plural(imp.already_seen, 'file')} already imported before.")
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
            f"{self.path.name} holds {_plural(imp.entries_new, 'new change')}. "
            "Nothing is written until you choose Apply.",
            True,
        )

    def summary_text(self, outcome: Outcome) -> tuple[str, str]:
        imp = outcome.imported
        assert imp is not None
        if imp.bundles == 0:
            return "Nothing imported", f"{self.path.name} was imported before: nothing new."
        return "Sync file imported", (
            f"Imported {self.path.name} ({_plural(imp.entries_new, 'new change')})."
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
            f"Wrote {_plural(exp.entries, 'change')} from {_plural(exp.sites, 'computer')} to "
            f"{self.path.name}, encrypted with the team passphrase. Carry it to the other "
            "computer and choose Sync ▸ Import sync file there."
        )


# -- conflicts ------------------------------------------------------------------------------


def describe_record(services: AppServices, table_name: str, record_id: str) -> str:
    """Which record a conflict is about, as the officer knows it (empty if not found here)."""
    try:
        if table_name == "person":
            return services.people.get(record_id).display_name
        if table_name == "need":
            need = services.needs.get(record_id)
            person = services.people.get(need.person_id).display_name
            return f"{need.category_label or need.category} ({person})"
        if table_name == "referral":
            ref = services.referrals.get(record_id)
            return f"{ref.reference} to {ref.service_name}" if ref.service_name else ref.reference
        if table_name == "follow_up":
            follow = services.follow_ups.get(record_id)
            who = f" ({follow.person_name})" if follow.person_name else ""
            return f"{follow_up_kind_label(follow.kind)}{who}"
        if table_name == "service":
            return services.directory.get_service(record_id).name
    except Exception:  # deleted, or not here yet: the field and values still say enough
        return ""
    return ""


def load_conflicts(services: AppServices) -> list[ConflictRow]:
    """Open conflicts with a description of each record (run on the worker)."""
    own = services.sync.site_id()
    return [
        ConflictRow(view, describe_record(services, view.table_name, view.record_id), own)
        for view in services.sync.list_conflicts()
    ]


class ConflictsDialog(QDialog):
    """Open conflicts; for the selected one, both values with who and when, and Keep buttons.

    The value shown as "Applied now" is in use on every computer meanwhile; keeping one writes
    it again as a new change, so it wins everywhere at the next sync.
    """

    loaded = Signal(int)
    resolved = Signal(int)

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.changed = False
        self._worker: Worker | None = None
        self._busy = False
        self._select_after: int | None = None
        self.setWindowTitle("Sync conflicts")
        self.setAccessibleName("Sync conflicts")
        self.setSizeGripEnabled(True)
        fit_to_screen(self, 1100, 560)

        layout = QVBoxLayout(self)
        intro = QLabel(
            "A field changed here and on another computer before either saw the other's change. "
            "Both values are kept below; the one marked “Applied now” is in use on every "
            "computer until you choose. Changes stamped more than a day ahead of this "
            "computer's clock are listed too, to check."
        )
        intro.setWordWrap(True)
        named(intro, "About conflicts")
        layout.addWidget(intro)

        list_label = QLabel("&Conflicts:")
        layout.addWidget(list_label)
        self.model = ConflictTableModel(self)
        self.view = tip_elided_cells(QTableView())
        self.view.setModel(self.model)
        named(self.view, "Conflicts", "Open conflicts; choose one to see both values")
        list_label.setBuddy(self.view)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)
        self.view.setAlternatingRowColors(True)
        # No sort at first: the service lists them oldest first, the order they happened.
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.setWordWrap(False)
        layout.addWidget(self.view, 1)
        self.view.selectionModel().currentRowChanged.connect(self._show_selected)

        self.empty_label = QLabel("No conflicts to review.")
        named(self.empty_label, "No conflicts")
        layout.addWidget(self.empty_label)

        sides = QHBoxLayout()
        self.mine_box, self.mine_value, self.mine_by, self.mine_at, self.keep_mine_button = (
            self._side("Mine (this computer)", "Keep &mine", "local")
        )
        (
            self.theirs_box,
            self.theirs_value,
            self.theirs_by,
            self.theirs_at,
            self.keep_theirs_button,
        ) = self._side("Theirs (from another computer)", "Keep &theirs", "remote")
        sides.addWidget(self.mine_box, 1)
        sides.addWidget(self.theirs_box, 1)
        layout.addLayout(sides)

        self.status = QLabel()
        self.status.setWordWrap(True)
        named(self.status, "Status")
        layout.addWidget(self.status)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        named(self.close_button, "Close")
        self.close_button.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._started = False
        self._show_selected()

    def showEvent(self, event: QShowEvent) -> None:
        """Load when shown, not when built: a dialog never shown must leave no thread behind."""
        super().showEvent(event)
        if not self._started:
            self._started = True
            self.reload()

    def _side(
        self, title: str, button_text: str, keep: str
    ) -> tuple[QGroupBox, QLabel, QLabel, QLabel, QPushButton]:
        group = QGroupBox(title)
        group.setAccessibleName(title)
        form = QFormLayout(group)
        value = QLabel()
        value.setWordWrap(True)
        value.setTextFormat(Qt.TextFormat.PlainText)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setStyleSheet("font-weight: bold;")
        by = QLabel()
        at = QLabel()
        side = "Mine" if keep == "local" else "Theirs"
        named(value, f"{side}: value")
        named(by, f"{side}: changed by")
        named(at, f"{side}: changed on")
        form.addRow("Value:", value)
        form.addRow("Changed by:", by)
        form.addRow("When:", at)
        button = QPushButton(button_text)
        named(
            button,
            button_text.replace("&", ""),
            "Keep this value: it then applies on every computer after the next sync",
        )
        button.setAutoDefault(False)
        button.clicked.connect(lambda: self.keep(keep))
        form.addRow(button)
        return group, value, by, at, button

    # -- loading ----------------------------------------------------------------------------
    def _submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        if self._worker is None:
            self._worker = Worker(self)
        self._busy = True
        self._update_buttons()
        self._worker.submit(fn, on_done, self._failed)

    def reload(self) -> None:
        services = self.services
        self._submit(lambda: load_conflicts(services), self._loaded)

    def _loaded(self, rows: list[ConflictRow]) -> None:
        self._busy = False
        keep_id = self._select_after
        current = self.selected()
        if keep_id is None and current is not None:
            keep_id = current.id
        self.model.set_rows(rows)
        self.view.resizeColumnsToContents()
        for column in (3, 6):  # values may be long notes: the detail below shows them whole
            self.view.setColumnWidth(column, min(self.view.columnWidth(column), 220))
        row = self.model.row_of_conflict(keep_id) if keep_id is not None else -1
        if rows:
            self._select_row(max(row, 0))
        self.view.setVisible(bool(rows))
        self.empty_label.setVisible(not rows)
        self._select_after = None
        self._show_selected()
        self.loaded.emit(len(rows))

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.view.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def _failed(self, err: BaseException) -> None:
        self._busy = False
        self._set_status(error_text(err), error=True)
        self._update_buttons()

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020;" if error else "color: #1b6e20;")
        self.status.setAccessibleDescription(text)

    # -- selection and keeping --------------------------------------------------------------
    def selected(self) -> ConflictRow | None:
        index = self.view.selectionModel().currentIndex()
        if not index.isValid() or self.model.rowCount() == 0:
            return None
        return self.model.row_at(index.row())

    def select_conflict(self, conflict_id: int) -> bool:
        row = self.model.row_of_conflict(conflict_id)
        if row < 0:
            return False
        self._select_row(row)
        return True

    def _show_selected(self, *_args: QModelIndex) -> None:
        row = self.selected()
        for box in (self.mine_box, self.theirs_box):
            box.setEnabled(row is not None)
        if row is None:
            for label in (
                self.mine_value,
                self.mine_by,
                self.mine_at,
                self.theirs_value,
                self.theirs_by,
                self.theirs_at,
            ):
                label.setText("")
            self._update_buttons()
            return
        applied_mine = row.view.winner == "local"
        self.mine_box.setTitle("Mine (this computer)" + (" — applied now" if applied_mine else ""))
        self.theirs_box.setTitle(
            "Theirs (from another computer)" + ("" if applied_mine else " — applied now")
        )
        self.mine_value.setText(row.mine)
        self.mine_by.setText(row.mine_by)
        self.mine_at.setText(row.mine_at)
        self.theirs_value.setText(row.theirs)
        self.theirs_by.setText(row.theirs_by)
        self.theirs_at.setText(row.theirs_at)
        for label in (self.mine_value, self.theirs_value):
            label.setAccessibleDescription(label.text())
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.selected()
        self.keep_mine_button.setEnabled(not self._busy and row is not None and row.has_local)
        self.keep_theirs_button.setEnabled(not self._busy and row is not None)
        if row is not None and not row.has_local:
            self.keep_mine_button.setToolTip("There was no earlier value on this computer.")

    def keep(self, keep: str) -> None:
        """Keep "local" (mine) or "remote" (theirs) for the selected conflict."""
        row = self.selected()
        if row is None or self._busy:
            return
        sync = self.services.sync
        conflict_id = row.id
        what = f"{row.record_text} · {row.field}"
        side = "your value" if keep == "local" else "their value"

        def done(_view: Any) -> None:
            self.changed = True
            self._busy = False
            self._set_status(
                f"Kept {side} for {what}. It applies on every computer after the next sync."
            )
            self.resolved.emit(conflict_id)
            self.reload()

        self._submit(lambda: sync.resolve_conflict(conflict_id, keep), done)

    def _stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def done(self, result: int) -> None:
        """Stop the worker with the dialog, so no thread outlives it."""
        self._stop_worker()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop_worker()  # closed while hidden (by its parent): done() is not called then
        super().closeEvent(event)


# -- entry points for the main window -------------------------------------------------------


def open_sync_settings(services: AppServices, parent: QWidget | None) -> bool:
    """Sync settings; True when saved."""
    return run_dialog(SyncSettingsDialog(services, parent))


def sync_now(services: AppServices, parent: QWidget | None) -> bool:
    """Preview, apply and summarise a sync; True when records here changed (reload pages).

    With no shared store set yet, the settings open first.
    """
    if not services.sync.get_store() and (
        not open_sync_settings(services, parent) or not services.sync.get_store()
    ):
        return False
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


def review_conflicts(services: AppServices, parent: QWidget | None) -> bool:
    """The conflicts list; True when a conflict was resolved (records changed)."""
    dialog = ConflictsDialog(services, parent)
    run_dialog(dialog)
    return dialog.changed


__all__ = [
    "ACTIONS",
    "SYNC_MENU",
    "ConflictsDialog",
    "ExchangeDialog",
    "ExportFileDialog",
    "ImportFileDialog",
    "SyncNowDialog",
    "SyncSettingsDialog",
    "ask_passphrase",
    "export_to_file",
    "import_from_file",
    "make_sync_actions",
    "open_sync_settings",
    "passphrase_for",
    "review_conflicts",
    "sync_now",
]
