"""Caseload: everyone the officer works with, filtered as you type by name, CRN or prison number.

Typing narrows the list on every keystroke (5 000 people filter in a few milliseconds); Down
moves into the table, Enter opens the person. With exactly one match, Enter in the filter box
opens that person straight away.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from referral_desk.ui.models import PeopleTableModel
from referral_desk.ui.ops import op
from referral_desk.ui.tables import FilterProxy, make_table
from referral_desk.ui.widgets import action_button, named
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import OfficerView, PersonView


class FilterEdit(QLineEdit):
    """The filter box: Down/Page Down hand the keyboard to the table."""

    down_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.down_pressed.emit()
            return
        super().keyPressEvent(event)


class CaseloadPage(QWidget):
    person_requested = Signal(str)
    loaded = Signal()
    selection_changed = Signal()

    def __init__(
        self,
        services: AppServices,
        actions: list[QAction],
        settings: QSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.settings = settings
        self.officer_id: str | None = None
        self.columns_restored = False  # the window restored the officer's column widths
        self.people: list[PersonView] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        title = QLabel("Caseload")
        title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        title.setAccessibleName("Caseload")
        layout.addWidget(title)

        bar = QHBoxLayout()
        self.filter = FilterEdit()
        self.filter.setPlaceholderText("Filter by name, CRN or prison number  (Ctrl+J)")
        self.filter.setClearButtonEnabled(True)
        named(self.filter, "Filter caseload", "Type part of a name, a CRN or a prison number")
        label = QLabel("&Find")
        label.setBuddy(self.filter)
        bar.addWidget(label)
        bar.addWidget(self.filter, 1)
        self.show_closed = QCheckBox("Show c&losed cases")
        named(self.show_closed, "Show closed cases")
        self.show_closed.setChecked(settings.value("caseload/show_closed", False, type=bool))
        bar.addWidget(self.show_closed)
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Number of people shown")
        self.count_label.setMinimumWidth(110)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.count_label)
        layout.addLayout(bar)

        self.model = PeopleTableModel(self)
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = make_table("Caseload table")
        self.view.setModel(self.proxy)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        layout.addWidget(self.view, 1)
        self.empty_label = QLabel(
            "Nobody on the caseload yet. Add a person with New person (Ctrl+N)."
        )
        self.empty_label.setAccessibleName("Empty caseload")
        self.empty_label.setStyleSheet("color: #555; padding: 6px;")
        self.empty_label.hide()
        layout.addWidget(self.empty_label)

        buttons = QHBoxLayout()
        for action in actions:
            buttons.addWidget(action_button(action))
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self.filter.textChanged.connect(self._filter_changed)
        self.filter.returnPressed.connect(self._open_single_match)
        self.filter.down_pressed.connect(self.focus_table)
        self.show_closed.toggled.connect(self._closed_toggled)
        self.view.activated.connect(self._activated)
        self.view.selectionModel().selectionChanged.connect(
            lambda *_: self.selection_changed.emit()
        )
        self._apply_closed_filter()

    # -- loading ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load the caseload on the worker; a newer reload makes older results stale."""
        officer = self.officer_id
        people, officers = self.services.people.list, self.services.profile.officers

        def load() -> tuple[list[PersonView], list[OfficerView]]:
            return people(officer), officers()

        op(self, load, kind="caseload").success(lambda result: self.populate(*result)).run()

    def populate(self, people: list[PersonView], officers: list[OfficerView]) -> None:
        selected = self.selected_person()
        self.people = people
        self.model.officer_names = {o.id: o.name for o in officers}
        first_load = self.model.rowCount() == 0
        self.model.set_rows(people)
        if first_load and people and not self.columns_restored:
            self._size_columns()
        if selected is not None:
            self.select_person(selected.id)
        self._update_count()
        self.loaded.emit()

    def _size_columns(self) -> None:
        header = self.view.horizontalHeader()
        fm = self.view.fontMetrics()
        widths = {
            0: "Featherstonehaugh-Smith, Alexandra",
            1: "X000000W",
            2: "Prison no.WW",
            3: "00 Mmm 0000",
            4: "Community – Greater Manchester",
            5: "00 Mmm 0000",
            6: "IOM, Women's, 18–25",
            7: "Not recordedW",
            8: "Firstname Lastname",
        }
        for col, sample in widths.items():
            header.resizeSection(col, fm.horizontalAdvance(sample) + 24)
        # Spare width goes to where people are (the longest text), not to the officer's name.
        header.setStretchLastSection(False)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)

    # -- filtering ----------------------------------------------------------------------------
    def _filter_changed(self, text: str) -> None:
        self.proxy.set_query(text)
        self._update_count()
        if self.proxy.rowCount() and not self.view.selectionModel().hasSelection():
            self.view.selectRow(0)

    def _closed_toggled(self, on: bool) -> None:
        self.settings.setValue("caseload/show_closed", on)
        self._apply_closed_filter()
        self._update_count()

    def _apply_closed_filter(self) -> None:
        if self.show_closed.isChecked():
            self.proxy.set_predicate(None)
        else:
            self.proxy.set_predicate(lambda p: p.closed_on is None)

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        if shown == total:
            text = f"{total} {'person' if total == 1 else 'people'}"
        else:
            text = f"{shown} of {total}"
        self.count_label.setText(text)
        self.empty_label.setVisible(total == 0)

    def focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def focus_table(self) -> None:
        self.view.setFocus()
        if self.proxy.rowCount() and not self.view.selectionModel().hasSelection():
            self.view.selectRow(0)

    # -- selection ----------------------------------------------------------------------------
    def selected_person(self) -> PersonView | None:
        rows = self.view.selectionModel().selectedRows()
        return self.proxy.record(rows[0].row()) if rows else None

    def select_person(self, person_id: str) -> bool:
        for row in range(self.proxy.rowCount()):
            if self.proxy.record(row).id == person_id:
                self.view.selectRow(row)
                self.view.scrollTo(self.proxy.index(row, 0))
                return True
        return False

    def _activated(self, index: QModelIndex) -> None:
        self.person_requested.emit(self.proxy.record(index.row()).id)

    def _open_single_match(self) -> None:
        if self.proxy.rowCount() == 1:
            self.person_requested.emit(self.proxy.record(0).id)
        elif self.proxy.rowCount():
            self.focus_table()
