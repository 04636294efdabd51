"""Sync conflicts (DESIGN.md §6): both values of a field edited on two computers at once, who
and when, and "Keep mine" / "Keep theirs".

The list is loaded (and a choice written) on the window's worker through `ui.ops`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import NotFound
from referral_desk.ui import palette
from referral_desk.ui.messages import error_text
from referral_desk.ui.models import kind_label as follow_up_kind_label
from referral_desk.ui.ops import op
from referral_desk.ui.sync_models import ConflictRow, ConflictTableModel
from referral_desk.ui.tables import tip_elided_cells
from referral_desk.ui.widgets import fit_to_screen, named, run_dialog

if TYPE_CHECKING:
    from collections.abc import Callable

    from referral_desk.usecases.app_services import AppServices


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
    except NotFound:  # deleted, or not here yet: the field and values still say enough
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
        """Load when shown, not when built: a dialog never shown does no work."""
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
    def _submit(
        self, fn: Callable[[], Any], on_done: Callable[[Any], None], *, kind: str | None = None
    ) -> None:
        self._busy = True
        self._update_buttons()
        op(self, fn, kind=kind).success(on_done).failure(self._failed).run()

    def reload(self) -> None:
        services = self.services
        self._submit(lambda: load_conflicts(services), self._loaded, kind="sync-conflicts")

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
        self.status.setStyleSheet(f"color: {palette.ERROR if error else palette.GOOD};")
        self.status.setAccessibleDescription(text)

    # -- selection and keeping --------------------------------------------------------------
    def selected(self) -> ConflictRow | None:
        index = self.view.selectionModel().currentIndex()
        if not index.isValid() or self.model.rowCount() == 0:
            return None
        return self.model.row_at(index.row())

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


def review_conflicts(services: AppServices, parent: QWidget | None) -> bool:
    """The conflicts list; True when a conflict was resolved (records changed)."""
    dialog = ConflictsDialog(services, parent)
    run_dialog(dialog)
    return dialog.changed
