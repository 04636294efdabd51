"""The base of the dialogs that run sync work (DESIGN.md §6): passphrase, preview, apply,
summary or refusal.

A dry run comes first, so the officer sees how many people, needs, referrals, follow-ups,
directory changes and conflicts would come in before anything is written; then Apply or
Cancel; then a summary with what needs attention (conflicts, changes stamped ahead, entries
kept aside, refused files with their reasons). `ui/sync_dialogs.py` has the three kinds (sync
now, import a file, export a file).

Sync work reads and decrypts files and can take seconds on a slow share, so it runs on the
window's worker (`ui.ops`), with an indeterminate progress bar in the dialog (the engine does
not report how far it is). While changes are being applied the dialog cannot be closed: the
import is all-or-nothing (large ones finish in journaled steps, even after a crash), and an
officer must not think it was cancelled.

Refusals (wrong passphrase, damaged, foreign or newer files) are shown with the engine's own
message, which never contains personal data, and the note that nothing was written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from referral_desk.ui import palette
from referral_desk.ui.messages import error_text
from referral_desk.ui.ops import op
from referral_desk.ui.sync_conflicts import ConflictsDialog
from referral_desk.ui.sync_passphrase import ask_passphrase, remember_passphrase
from referral_desk.ui.sync_settings import open_sync_settings
from referral_desk.ui.sync_summary import Outcome, attention, count_rows, nothing_written
from referral_desk.ui.widgets import fit_to_screen, keep_default, named, run_dialog
from referral_desk.usecases.passphrase_store import is_passphrase_refusal
from referral_desk.usecases.sync import RefusedFile

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices


@dataclass(frozen=True)
class Start:
    """What starting needs to know (read on the worker): whether a shared store is set (when
    the work needs one), the remembered passphrase, and whether a typed one becomes the team's."""

    has_store: bool
    remembered: str | None
    sets_passphrase: bool


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
        self._settings_asked = False
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
        self.notes.setStyleSheet(f"color: {palette.NOTE};")
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
        """Read what starting needs on the worker, then get the passphrase (remembered or
        asked) and run the preview, or the work itself."""
        if self.state != "new":
            return
        known = self._passphrase is not None
        op(self, lambda: self.start_job(known)).success(self._begin).failure(
            self._show_refusal
        ).run()

    def start_job(self, passphrase_known: bool) -> Start:
        """Run on the worker: see `Start`."""
        services = self.services
        has_store = not self.needs_store() or bool(services.sync.get_store())
        remembered = None
        if not passphrase_known and has_store:
            remembered = services.passphrases.get(services.sync.site_id())
        sets = has_store and not passphrase_known and not remembered and self.sets_passphrase()
        return Start(has_store, remembered, sets)

    def _begin(self, start: Start) -> None:
        if self.state != "new":
            return
        if not start.has_store:
            if not self._settings_asked:
                self._settings_asked = True
                if self.open_settings():
                    self.start()  # read again: the folder (and perhaps passphrase) are set now
                    return
            self._cancel()
            return
        if self._passphrase is None:
            if start.remembered:
                self._passphrase, self._from_keyring = start.remembered, True
            else:
                self._passphrase = ask_passphrase(self, confirm=start.sets_passphrase)
        if not self._passphrase:
            self._cancel()
            return
        if self.PREVIEW:
            self._run_preview()
        else:
            self._run_apply()

    def _cancel(self) -> None:
        self._set_state("cancelled")
        self.reject()

    def _submit(
        self, fn: Callable[[], Any], on_done: Callable[[Any], None], *, kind: str | None = None
    ) -> None:
        """Run sync work on the window's worker; a dialog cancelled meanwhile ignores the
        outcome (one closed and deleted never receives it: `ui.ops`)."""

        def done(result: Any) -> None:
            if self.state != "cancelled":
                on_done(result)

        def failed(err: BaseException) -> None:
            if self.state != "cancelled":
                self._show_refusal(err)

        op(self, fn, kind=kind).success(done).failure(failed).busy().run()

    def _run_preview(self) -> None:
        self._set_state("previewing")
        passphrase = self._passphrase or ""
        self._submit(lambda: self.preview_job(passphrase), self._show_preview, kind="sync-preview")

    def apply(self) -> None:
        if self.state != "preview":
            return
        self._run_apply()

    def _run_apply(self) -> None:
        self._set_state("applying")
        passphrase = self._passphrase or ""
        self._submit(lambda: self.apply_job(passphrase), self._show_summary)

    # -- subclass hooks (the *_job ones run on the worker thread) ---------------------------
    def needs_store(self) -> bool:
        """True when the work needs a shared store (the settings open first if none is set)."""
        return False

    def open_settings(self) -> bool:
        """Open the sync settings (no store yet); True when saved."""
        return open_sync_settings(self.services, self)

    def sets_passphrase(self) -> bool:
        """True when the passphrase typed now becomes the team's (it is then asked twice)."""
        return False

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
            services, passphrase = self.services, self._passphrase
            op(self, lambda: remember_passphrase(services, passphrase)).run()
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
            rows = count_rows(imp)
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
        notes = (
            attention(imp, preview=preview, new_site_id=outcome.new_site_id)
            if imp is not None
            else []
        )
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

    def refusal_text(self, err: BaseException) -> str:
        """A sync or file exchange refused writes nothing (the import is all-or-nothing), so
        the refusal says so; work that can stop part-way overrides this."""
        return nothing_written(error_text(err))

    def _show_refusal(self, err: BaseException) -> None:
        message = self.refusal_text(err)
        self._can_retry = is_passphrase_refusal(err)
        if self._can_retry and self._from_keyring:
            message += " (The passphrase remembered on this computer was used.)"
        self.error_message = message
        self.heading.setText("Refused")
        self.message.setStyleSheet(f"color: {palette.ERROR};")
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
        """Offer "Review conflicts" once done when any are open (counted on the worker)."""
        self.conflicts_button.setVisible(False)
        if self.state not in ("done", "nothing"):
            return
        sync = self.services.sync
        op(self, lambda: sync.status().open_conflicts > 0, kind="sync-open-conflicts").success(
            self._show_conflicts_button
        ).run()

    def _show_conflicts_button(self, any_open: bool) -> None:
        self.conflicts_button.setVisible(any_open and self.state in ("done", "nothing"))
        if any_open:
            self._fit()

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
        """Not while applying (see `reject`)."""
        if self.state == "applying":
            return
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closed while hidden (with its parent): not while applying."""
        if self.state == "applying":
            event.ignore()
            return
        super().closeEvent(event)
