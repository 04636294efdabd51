"""A table whose first columns stay in view while the rest scroll sideways.

Report tables are wide (a provider, a service, then a dozen figures); on a 1366-pixel laptop
only the names fitted, and scrolling right to read the figures scrolled the names away. The
names are drawn a second time by a narrow table laid over the left edge of the main one: the
same model and selection, its rows scrolled with the main table's, its column widths kept equal
to the main table's. The figures scroll underneath it.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from referral_desk.ui.tables import tip_elided_cells

Index = QModelIndex | QPersistentModelIndex


class FrozenColumnTableView(QTableView):
    """A QTableView whose first `frozen` columns do not scroll horizontally."""

    def __init__(self, frozen: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._frozen = max(1, frozen)
        self._syncing_sort = False
        view = self.frozen_view = QTableView(self)
        view.setObjectName("frozenColumns")
        view.setAccessibleName("Row names")
        view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays in the main table
        view.verticalHeader().hide()
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setFrameShape(QTableView.Shape.NoFrame)
        view.setStyleSheet("QTableView#frozenColumns { border-right: 1px solid palette(mid); }")
        tip_elided_cells(view)
        self.viewport().stackUnder(view)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.horizontalHeader().sectionResized.connect(self._section_resized)
        self.verticalHeader().sectionResized.connect(
            lambda row, _old, new: view.setRowHeight(row, new)
        )
        view.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        self.verticalScrollBar().valueChanged.connect(view.verticalScrollBar().setValue)
        self.horizontalHeader().sortIndicatorChanged.connect(self._sort_to_frozen)
        view.horizontalHeader().sortIndicatorChanged.connect(self._sort_from_frozen)

    # -- model --------------------------------------------------------------------------------
    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        self.frozen_view.setModel(model)
        if model is None:
            return
        self.frozen_view.setSelectionModel(self.selectionModel())
        self.frozen_view.setAlternatingRowColors(self.alternatingRowColors())
        self.frozen_view.setSelectionBehavior(self.selectionBehavior())
        for signal in (model.modelReset, model.layoutChanged, model.columnsInserted):
            signal.connect(self._hide_scrolling_columns)
        self._hide_scrolling_columns()

    def setSortingEnabled(self, enable: bool) -> None:
        super().setSortingEnabled(enable)
        self.frozen_view.setSortingEnabled(enable)

    def setAlternatingRowColors(self, enable: bool) -> None:
        super().setAlternatingRowColors(enable)
        self.frozen_view.setAlternatingRowColors(enable)

    def frozen_count(self) -> int:
        model = self.model()
        return min(self._frozen, model.columnCount() if model is not None else 0)

    def frozen_width(self) -> int:
        return sum(self.columnWidth(c) for c in range(self.frozen_count()))

    def _hide_scrolling_columns(self, *_args: object) -> None:
        model = self.model()
        if model is None:
            return
        for column in range(model.columnCount()):
            self.frozen_view.setColumnHidden(column, column >= self._frozen)
            if column < self._frozen:
                self.frozen_view.setColumnWidth(column, self.columnWidth(column))
        self._place()

    # -- keeping the two in step --------------------------------------------------------------
    def _section_resized(self, column: int, _old: int, new: int) -> None:
        if column < self._frozen:
            self.frozen_view.setColumnWidth(column, new)
            self._place()

    def _sort_to_frozen(self, column: int, order: Qt.SortOrder) -> None:
        if not self._syncing_sort:
            self._syncing_sort = True
            self.frozen_view.horizontalHeader().setSortIndicator(column, order)
            self._syncing_sort = False

    def _sort_from_frozen(self, column: int, order: Qt.SortOrder) -> None:
        if not self._syncing_sort:  # a click on a frozen column's header sorts the table
            self._syncing_sort = True
            self.horizontalHeader().setSortIndicator(column, order)
            self._syncing_sort = False

    def _place(self) -> None:
        """Lay the frozen table over the left of the viewport, header included."""
        frame = self.frameWidth()
        left = frame + (self.verticalHeader().width() if self.verticalHeader().isVisible() else 0)
        height = self.viewport().height() + self.horizontalHeader().height()
        self.frozen_view.setGeometry(left, frame, self.frozen_width(), height)
        self.frozen_view.horizontalHeader().setFixedHeight(self.horizontalHeader().height())
        self.frozen_view.setVisible(self.frozen_count() > 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()

    def updateGeometries(self) -> None:
        super().updateGeometries()
        self._place()

    # -- the keyboard never leaves the current cell under the frozen columns ------------------
    def moveCursor(
        self, cursor_action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        current = super().moveCursor(cursor_action, modifiers)
        if (
            cursor_action == QAbstractItemView.CursorAction.MoveLeft
            and current.column() >= self._frozen
            and self.visualRect(current).left() < self.frozen_width()
        ):
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() + self.visualRect(current).left() - self.frozen_width())
        return current

    def scrollTo(
        self,
        index: Index,
        hint: QAbstractItemView.ScrollHint = (QAbstractItemView.ScrollHint.EnsureVisible),
    ) -> None:
        if index.column() >= self._frozen:
            super().scrollTo(index, hint)
            return
        bar = self.horizontalScrollBar()  # a frozen cell is always in view: only its row
        across = bar.value()
        super().scrollTo(index, hint)
        bar.setValue(across)
