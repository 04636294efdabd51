"""Table helpers and item roles, in one place for every table of the client.

Item roles are defined here once: a view, a proxy and a model that disagree on what
`UserRole + 1` means sort by the wrong thing without any error. Views sort through
`SORT_ROLE` (raw values: date ordinals, case-folded text), so "2 Mar" sorts before "10 Feb"
and names sort without regard to case; `ROW_ROLE` hands back the record itself.

Also here: `RecordTableModel` (a read-only table of frozen records, sorted in Python with a
key), `FilterProxy` (filter as you type), `make_table` (a read-only list view with sensible
defaults) and the delegate that shows a cut-off cell whole in its tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
)

from referral_desk.domain.people import normalise_name
from referral_desk.ui.elided import full_text_tip
from referral_desk.ui.widgets import named

_USER = Qt.ItemDataRole.UserRole
SORT_ROLE = _USER
"""The raw value a column sorts by (numbers, date ordinals, case-folded text)."""
ROW_ROLE = _USER + 1
"""The whole record of the row (on any column)."""
SEARCH_ROLE = _USER + 2
"""The row's case-folded search text, for the filter."""
SERVICE_ID_ROLE = _USER + 3
"""A service result row: the service's id."""
SERVICE_ROLE = _USER + 4
"""A service result row: the `ServiceView`."""
STALE_ROLE = _USER + 5
"""True when the row's information is out of date (drawn in the stale colour)."""
TOTAL_ROLE = _USER + 6
"""A report row that is a total (kept at the bottom whatever the sort)."""

Index = QModelIndex | QPersistentModelIndex
# Computed once: combining flags builds a new enum member in Python on every call.
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole


_DROP = str.maketrans("", "", "-'`\u2019")


def text_key(text: str) -> str:
    """Sort and search key: case, accents, hyphens and apostrophes ignored.

    ASCII text (most of it) takes a fast path; the full Unicode normalisation costs ~50 µs a
    string, which is a noticeable pause for 8 000 follow-ups.
    """
    if text.isascii():
        return " ".join(text.casefold().translate(_DROP).split())
    return normalise_name(text)


def day_number(value: date | datetime | None) -> int:
    """Sort key for optional dates: empty sorts first ascending."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value.toordinal()


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[Any], str]
    sort: Callable[[Any], Any] | None = None
    tip: Callable[[Any], str] | None = None
    colour: Callable[[Any], QColor | None] | None = None
    numeric: bool = False


class RecordTableModel(QAbstractTableModel):
    """A read-only table of frozen records; subclasses define `columns` and `search_text`."""

    columns: tuple[Column, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._search: list[str] | None = None  # built on the first filter, not on every load
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # -- data in ------------------------------------------------------------------------------
    def set_rows(self, rows: Iterable[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        if self._sort is not None:
            self._rows.sort(
                key=self._key(self._sort[0]), reverse=self._sort[1] == Qt.SortOrder.DescendingOrder
            )
        self._search = None
        self.endResetModel()

    def search_text(self, row: Any) -> str:
        return " ".join(c.text(row) for c in self.columns)

    # -- data out -----------------------------------------------------------------------------
    def rows(self) -> list[Any]:
        return list(self._rows)

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def matching_rows(self, words: list[str], accept: Callable[[Any], bool] | None) -> list[bool]:
        """For every row, whether it passes the filter: one Python pass per keystroke."""
        if words and self._search is None:
            self._search = [text_key(self.search_text(r)) for r in self._rows]
        search = self._search or [""] * len(self._rows)
        return [
            (accept is None or accept(record)) and all(w in haystack for w in words)
            for record, haystack in zip(self._rows, search, strict=True)
        ]

    # -- sorting ------------------------------------------------------------------------------
    def _key(self, column: int) -> Callable[[Any], Any]:
        col = self.columns[column]
        if col.sort is not None:
            return col.sort
        # Öztürk sorts with O, O'Brien with Obrien: what officers expect of a name list.
        return lambda record: text_key(col.text(record))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in Python with a key (one call per row, not one per comparison).

        5 000 people sort in a few milliseconds this way; QSortFilterProxyModel's own sort
        would call back into Python for every comparison.
        """
        if not 0 <= column < len(self.columns):
            self._sort = None
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        key = self._key(column)
        order_rows = sorted(
            range(len(self._rows)),
            key=lambda i: key(self._rows[i]),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        new_pos = {old: new for new, old in enumerate(order_rows)}
        self._rows = [self._rows[i] for i in order_rows]
        if self._search is not None:
            self._search = [self._search[i] for i in order_rows]
        old = self.persistentIndexList()
        new = [self.index(new_pos[i.row()], i.column()) for i in old]
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    # -- Qt model API -------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        column = self.columns[index.column()]
        if role in (_DISPLAY, _ACCESSIBLE):
            return column.text(record)
        if role == SORT_ROLE:
            return column.sort(record) if column.sort else text_key(column.text(record))
        if role == ROW_ROLE:
            return record
        if role == SEARCH_ROLE:
            if self._search is None:
                self._search = [text_key(self.search_text(r)) for r in self._rows]
            return self._search[index.row()]
        if role == _TOOLTIP:
            return column.tip(record) if column.tip else None
        if role == _FOREGROUND:
            return column.colour(record) if column.colour else None
        if role == _ALIGNMENT and column.numeric:
            return RIGHT_ALIGNED
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
            and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole)
        ):
            return self.columns[section].title
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1) if 0 <= section < len(self._rows) else None
        return None


# -- filter proxy -----------------------------------------------------------------------------
class FilterProxy(QSortFilterProxyModel):
    """Sort on raw values; filter as you type (every word must appear) plus an optional test."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self._accept: Callable[[Any], bool] | None = None
        self._accepted: list[bool] | None = None  # per source row, for the current filter
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setDynamicSortFilter(True)

    def set_query(self, text: str) -> None:
        words = text_key(text).split()
        if words != self._words:
            self._change_filter(lambda: setattr(self, "_words", words))

    def set_predicate(self, accept: Callable[[Any], bool] | None) -> None:
        self._change_filter(lambda: setattr(self, "_accept", accept))

    def setSourceModel(self, model: Any) -> None:
        old = self.sourceModel()
        if old is not None:
            for signal in (
                old.modelAboutToBeReset,
                old.layoutAboutToBeChanged,
                old.rowsAboutToBeInserted,
                old.rowsAboutToBeRemoved,
            ):
                signal.disconnect(self._forget)
        super().setSourceModel(model)
        # Row numbers change with these: the cached answers would be for other rows.
        for signal in (
            model.modelAboutToBeReset,
            model.layoutAboutToBeChanged,
            model.rowsAboutToBeInserted,
            model.rowsAboutToBeRemoved,
        ):
            signal.connect(self._forget)
        self._accepted = None

    def _forget(self, *_args: Any) -> None:
        self._accepted = None

    def _change_filter(self, apply: Callable[[], None]) -> None:
        self._accepted = None
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # Qt < 6.9
            apply()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        # Called once per row on every keystroke: 5 000 people must filter in a few ms.
        if self._accept is None and not self._words:
            return True
        accepted = self._accepted
        if accepted is not None:  # the common case: a list look-up, no call back into Qt
            return source_row < len(accepted) and accepted[source_row]
        model = self.sourceModel()
        if isinstance(model, RecordTableModel):
            self._accepted = model.matching_rows(self._words, self._accept)
            return self._accepted[source_row]
        if model is None:
            return False
        index = model.index(source_row, 0, source_parent)
        if self._accept is not None and not self._accept(model.data(index, ROW_ROLE)):
            return False
        if not self._words:
            return True
        haystack = model.data(index, SEARCH_ROLE) or ""
        return all(word in haystack for word in self._words)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Let the source sort itself (fast, keyed); the proxy only filters."""
        source = self.sourceModel()
        if isinstance(source, RecordTableModel):
            source.sort(column, order)
        else:
            super().sort(column, order)

    def record(self, proxy_row: int) -> Any:
        return self.data(self.index(proxy_row, 0), ROW_ROLE)


# -- views ------------------------------------------------------------------------------------
def make_table(name: str, *, sortable: bool = True) -> QTableView:
    """A read-only, whole-row-selecting table with sensible defaults for long lists."""
    view = QTableView()
    named(view, name)
    tip_elided_cells(view)  # one line per row: a cut-off cell shows whole in its tooltip
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSortingEnabled(sortable)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    # Size columns from the first rows only: a long list must not be measured row by row.
    view.horizontalHeader().setResizeContentsPrecision(60)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


class ElidedTipDelegate(QStyledItemDelegate):
    """Table cells shortened with "…" show their whole text in a tooltip.

    Tables keep one line per row (measuring wrapped rows is slow for long lists), so a long
    name or note is cut; the model's own tooltip, if it has one, still wins.
    """

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: QModelIndex,
    ) -> bool:
        if event is None or event.type() != QEvent.Type.ToolTip or not index.isValid():
            return super().helpEvent(event, view, option, index)
        tip = index.data(Qt.ItemDataRole.ToolTipRole)
        if isinstance(tip, str) and tip:
            # The model's own tip; a long plain one would be drawn on one endless line.
            shown = tip if Qt.mightBeRichText(tip) else full_text_tip(tip)
            QToolTip.showText(event.globalPos(), shown, view, option.rect)
            return True
        if tip:
            return super().helpEvent(event, view, option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if isinstance(text, str) and text and is_cell_elided(view, option, index):
            QToolTip.showText(event.globalPos(), full_text_tip(text), view, option.rect)
            return True
        QToolTip.hideText()
        return False


def is_cell_elided(
    view: QAbstractItemView, option: QStyleOptionViewItem, index: QModelIndex
) -> bool:
    """True when the cell's text is wider than the room its column gives it."""
    opt = QStyleOptionViewItem(option)
    delegate = view.itemDelegateForIndex(index)
    if isinstance(delegate, QStyledItemDelegate):
        delegate.initStyleOption(opt, index)
    style = view.style()
    room = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, view).width()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
    return opt.fontMetrics.horizontalAdvance(opt.text) > room - 2 * margin


def tip_elided_cells(view: QAbstractItemView) -> QAbstractItemView:
    """Give `view` the delegate that shows cut-off cells whole in a tooltip."""
    view.setItemDelegate(ElidedTipDelegate(view))
    return view
