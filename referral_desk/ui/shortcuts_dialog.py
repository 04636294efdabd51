"""The list of keyboard shortcuts (F1): every action that has one, and the keys that work in
lists and dialogs."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from referral_desk.ui.tables import tip_elided_cells
from referral_desk.ui.widgets import fit_to_screen, named


class ShortcutsDialog(QDialog):
    """Every action with a shortcut (F1), and the keys that work in lists and dialogs."""

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setAccessibleName("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        rows = [
            (
                a.text().replace("&", ""),
                a.shortcut().toString(QKeySequence.SequenceFormat.NativeText),
            )
            for a in actions
            if not a.shortcut().isEmpty()
        ]
        self.table = table = QTableWidget(len(rows), 2)
        named(table, "Shortcuts")
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (text, keys) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(text))
            table.setItem(i, 1, QTableWidgetItem(keys))
        header = table.horizontalHeader()  # the action takes the room; its keys fit theirs
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        tip_elided_cells(table)
        layout.addWidget(table)
        extra = QLabel(
            "In lists: Enter opens, Down moves from the filter box into the list. "
            "Moving, editing and deleting a need (Alt+Up, Alt+Down, F2, Del) work "
            "while the needs table has the focus. In dialogs: Enter saves, Esc "
            "cancels, Alt+underlined letter jumps to a field."
        )
        extra.setWordWrap(True)
        layout.addWidget(extra)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        named(self.close_button, "Close")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        fit_to_screen(self, 520, 640)
