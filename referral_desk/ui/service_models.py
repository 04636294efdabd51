"""Table models for finding a service and for a referral's status history.

Each model holds plain DTOs (never ORM rows) and answers four kinds of question per cell: what to
show (DisplayRole), what to sort by (SORT_ROLE, so "Cost" sorts £5 before £40 and "Verified"
sorts by age rather than alphabetically), what a screen reader says (AccessibleTextRole, whole
words instead of abbreviations) and a tooltip with the long text the cell shortens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from referral_desk.domain.states import ReferralState
from referral_desk.domain.vocabularies import (
    CAPACITIES,
    CAPACITY_FULL,
    CAPACITY_WAITING_LIST,
    capacity_value,
)
from referral_desk.ui import palette
from referral_desk.ui.freshness import freshness
from referral_desk.ui.tables import SERVICE_ID_ROLE, SERVICE_ROLE, SORT_ROLE, STALE_ROLE
from referral_desk.usecases.dto import SearchResult, ServiceView, StatusChangeView

STALE_COLOUR = QColor(palette.STALE)
NOT_ACCEPTING_COLOUR = QColor(palette.CAUTION)

_Index = QModelIndex | QPersistentModelIndex

CAPACITY_ORDER = {c: i for i, c in enumerate(CAPACITIES)}


class ResultColumn(IntEnum):
    NAME = 0
    ORGANISATION = 1
    OFFERS = 2
    ELIGIBILITY = 3
    COST = 4
    CAPACITY = 5
    PRECHECK = 6
    VERIFIED = 7


RESULT_HEADERS = {
    ResultColumn.NAME: "Service",
    ResultColumn.ORGANISATION: "Organisation",
    ResultColumn.OFFERS: "Offers",
    ResultColumn.ELIGIBILITY: "Eligibility",
    ResultColumn.COST: "Cost",
    ResultColumn.CAPACITY: "Capacity",
    ResultColumn.PRECHECK: "Pre-checked",
    ResultColumn.VERIFIED: "Verified",
}


# --- cell texts: plain functions so the detail pane and tests share the wording ---------------


def first_sentence(text: str, limit: int = 90) -> str:
    """The opening sentence of a description, cut at a word boundary to fit a table cell."""
    text = " ".join((text or "").split())
    for stop in (". ", "! ", "? "):
        cut = text.find(stop)
        if 0 < cut < limit:
            return text[: cut + 1]
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def eligibility_text(service: ServiceView) -> str:
    """'Women, 18–25', 'Men, 21+', 'Anyone': who may be referred, from gender and age range."""
    gender = (service.gender or "any").lower()
    parts = []
    if gender == "female":
        parts.append("Women")
    elif gender == "male":
        parts.append("Men")
    elif gender not in ("any", ""):
        parts.append(gender.capitalize())
    lo, hi = service.min_age, service.max_age
    if lo is not None and hi is not None:
        parts.append(f"{lo}–{hi}")
    elif lo is not None:
        parts.append(f"{lo}+")
    elif hi is not None:
        parts.append(f"up to {hi}")
    return ", ".join(parts) if parts else "Anyone"


def cost_text(service: ServiceView) -> str:
    if service.free:
        return "Free"
    if service.unit_cost is not None:
        return f"£{service.unit_cost:,.0f} per place"
    return "Spot purchase"


def cost_sort_key(service: ServiceView) -> float:
    if service.free:
        return 0.0
    return float(service.unit_cost) if service.unit_cost is not None else 1e9


def capacity_text(service: ServiceView) -> str:
    capacity = capacity_value(service.capacity)
    text = capacity.capitalize()
    if capacity == CAPACITY_WAITING_LIST and service.waiting_weeks:
        text += f" ({service.waiting_weeks} wk)"
    return text


def capacity_tooltip(service: ServiceView) -> str:
    base = capacity_text(service)
    if service.capacity_as_of:
        return f"{base} as of {service.capacity_as_of:%d %b %Y}"
    return f"{base} (date not recorded)"


def precheck_badges(service: ServiceView) -> list[str]:
    """Short badges: 'ISP' (information-sharing protocol), 'Attendance', 'Progress'."""
    badges = []
    if service.isp_agreed:
        badges.append("ISP")
    if service.reports_attendance:
        badges.append("Attendance")
    if service.reports_progress:
        badges.append("Progress")
    return badges


def precheck_spoken(service: ServiceView) -> str:
    """The badges in full words, for screen readers and tooltips."""
    parts = []
    if service.isp_agreed:
        parts.append("information-sharing protocol agreed")
    if service.reports_attendance:
        parts.append("reports attendance")
    if service.reports_progress:
        parts.append("reports progress")
    if not parts:
        return "Not pre-checked: phone to ask about information sharing and attendance"
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def offers_text(service: ServiceView, labels: Mapping[str, str]) -> str:
    sentence = first_sentence(service.description)
    if sentence:
        return sentence
    return ", ".join(labels.get(c, c) for c in service.categories)


# --- search results -----------------------------------------------------------------------


class _Row:
    """One result with every cell worked out once, so painting is a look-up, not a rebuild."""

    __slots__ = ("display", "foreground", "rank", "service", "sort", "spoken", "stale", "tooltip")

    def __init__(
        self, service: SearchResult, rank: int, today: date, labels: Mapping[str, str]
    ) -> None:
        fresh = freshness(service.assured_date, today)
        verified_long = _verified_long(service, today)
        self.service = service
        self.rank = rank
        self.stale = fresh.stale
        self.display = (
            service.name,
            service.organisation_name,
            offers_text(service, labels),
            eligibility_text(service),
            cost_text(service),
            capacity_text(service),
            " · ".join(precheck_badges(service)) or "—",
            fresh.text,
        )
        self.sort = (
            service.name.casefold(),
            service.organisation_name.casefold(),
            self.display[ResultColumn.OFFERS].casefold(),
            self.display[ResultColumn.ELIGIBILITY].casefold(),
            cost_sort_key(service),
            CAPACITY_ORDER.get((service.capacity or "").lower(), 3),
            # More badges first when sorted descending; the protocol outweighs the others.
            4 * service.isp_agreed + 2 * service.reports_attendance + service.reports_progress,
            # Days since verification; never verified sorts as the oldest of all.
            10**9 if service.assured_date is None else (today - service.assured_date).days,
        )
        categories = ", ".join(labels.get(c, c) for c in service.categories)
        self.tooltip = (
            None,
            None,
            "\n".join(t for t in (service.description, categories) if t) or None,
            None,
            None if service.free else "Spot purchase: the referral needs funding agreed",
            capacity_tooltip(service),
            precheck_spoken(service),
            verified_long,
        )
        spoken = list(self.display)
        spoken[ResultColumn.CAPACITY] = capacity_tooltip(service)
        spoken[ResultColumn.PRECHECK] = precheck_spoken(service)
        spoken[ResultColumn.VERIFIED] = verified_long
        self.spoken = tuple(spoken)
        full = capacity_value(service.capacity) == CAPACITY_FULL
        self.foreground = tuple(
            QBrush(STALE_COLOUR)
            if column == ResultColumn.VERIFIED and fresh.stale
            else QBrush(NOT_ACCEPTING_COLOUR)
            if column == ResultColumn.CAPACITY and full
            else None
            for column in ResultColumn
        )


def _verified_long(s: ServiceView, today: date) -> str:
    fresh = freshness(s.assured_date, today)
    text = fresh.text.capitalize()
    if s.assured_date is not None:
        text += f" ({s.assured_date:%d %b %Y}"
        text += f" by {s.assurer})" if s.assurer else ")"
    if fresh.stale:
        text += ". This record may be out of date: check with the provider."
    return text


_COLUMN_COUNT = len(ResultColumn)
_ROLE_ATTR = {
    Qt.ItemDataRole.DisplayRole: "display",
    SORT_ROLE: "sort",
    Qt.ItemDataRole.ToolTipRole: "tooltip",
    Qt.ItemDataRole.AccessibleTextRole: "spoken",
    Qt.ItemDataRole.ForegroundRole: "foreground",
}
_ROLE_ATTR = {int(k): v for k, v in _ROLE_ATTR.items()}
_ROW_ROLES = {int(SERVICE_ID_ROLE), int(SERVICE_ROLE), int(STALE_ROLE)}
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags


class ServiceResultsModel(QAbstractTableModel):
    """Search results, in rank order until sorted by a column.

    The model sorts itself (`sort`, called by a view with sorting enabled) using the values of
    `SORT_ROLE`; sorting by column -1 restores relevance order. Measured on the 20 000-service
    benchmark, a sort proxy multiplied the calls a repaint makes into Python several times over,
    which cost more than the search itself; `SORT_ROLE` still serves a proxy if one is wanted.
    Every cell is computed once per search (`_Row`), so `data()` is a look-up.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._today = date.today()
        self._labels: dict[str, str] = {}
        self._sort: tuple[int, Qt.SortOrder] = (-1, Qt.SortOrder.AscendingOrder)

    # data in ------------------------------------------------------------------------------

    def set_category_labels(self, labels: Mapping[str, str]) -> None:
        self._labels = dict(labels)

    def set_results(self, results: Sequence[SearchResult], today: date) -> None:
        """Replace every row: a new search is a new list, so a reset is the honest signal."""
        self.beginResetModel()
        self._today = today
        self._rows = [_Row(r, n, today, self._labels) for n, r in enumerate(results)]
        self._order_rows()
        self.endResetModel()

    def result(self, row: int) -> SearchResult:
        return self._rows[row].service

    def results(self) -> list[SearchResult]:
        return [r.service for r in self._rows]

    def row_of(self, service_id: str) -> int:
        for row, item in enumerate(self._rows):
            if item.service.id == service_id:
                return row
        return -1

    # sorting -----------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by a column's SORT_ROLE value; column -1 is relevance (the search's order)."""
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        services = [self._rows[i.row()].service.id for i in before]
        self._order_rows()
        after = []
        for index, service_id in zip(before, services, strict=True):
            row = self.row_of(service_id)
            after.append(self.index(row, index.column()) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _order_rows(self) -> None:
        column, order = self._sort
        descending = order == Qt.SortOrder.DescendingOrder
        if 0 <= column < _COLUMN_COUNT:
            # Ties keep relevance order, whichever way the column sorts.
            self._rows.sort(key=lambda r: r.rank)
            self._rows.sort(key=lambda r: r.sort[column], reverse=descending)
        else:
            self._rows.sort(key=lambda r: r.rank)

    # Qt API ------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else _COLUMN_COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < _COLUMN_COUNT:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return RESULT_HEADERS[ResultColumn(section)]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        # Called for every painted cell: a constant, not an enum operation per call.
        return _ROW_FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Most calls during painting ask for roles this model does not use: answer them first.
        attr = _ROLE_ATTR.get(role)
        if attr is None and role not in _ROW_ROLES:
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < _COLUMN_COUNT):
            return None
        item = self._rows[row]
        if attr is not None:
            return getattr(item, attr)[column]
        if role == SERVICE_ID_ROLE:
            return item.service.id
        if role == SERVICE_ROLE:
            return item.service
        return item.stale


# --- referral status history ----------------------------------------------------------------


class HistoryColumn(IntEnum):
    WHEN = 0
    CHANGE = 1
    WHO = 2
    CHANNEL = 3
    REASON = 4
    NOTE = 5


HISTORY_HEADERS = {
    HistoryColumn.WHEN: "When",
    HistoryColumn.CHANGE: "Change",
    HistoryColumn.WHO: "Who",
    HistoryColumn.CHANNEL: "Channel",
    HistoryColumn.REASON: "Reason",
    HistoryColumn.NOTE: "Note",
}


def local_time(at: datetime) -> datetime:
    """History times are stored in UTC (naive); officers read them in local (UK) time."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone().replace(tzinfo=None)


def state_label(value: str | None) -> str:
    if not value:
        return ""
    try:
        return ReferralState(value).label
    except ValueError:
        return value.replace("_", " ").capitalize()


class ReferralHistoryModel(QAbstractTableModel):
    """A referral's status changes, oldest first (the order they happened)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[StatusChangeView] = []
        self._channels: dict[str, str] = {}
        self._reasons: dict[str, str] = {}

    def set_labels(self, channels: Mapping[str, str], reasons: Mapping[str, str]) -> None:
        """Code → label maps so the table shows 'Provider feedback', not 'provider_feedback'."""
        self._channels = dict(channels)
        self._reasons = dict(reasons)

    def set_history(self, history: Sequence[StatusChangeView]) -> None:
        self.beginResetModel()
        self._rows = list(history)
        self.endResetModel()

    def change(self, row: int) -> StatusChangeView:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HistoryColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HistoryColumn):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return HISTORY_HEADERS[HistoryColumn(section)]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        change = self._rows[index.row()]
        column = HistoryColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._display(change, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == HistoryColumn.NOTE:
            return change.note or None
        if role == SORT_ROLE:
            if column == HistoryColumn.WHEN:
                return change.at.isoformat()
            return self._display(change, column).casefold()
        return None

    def _display(self, c: StatusChangeView, column: HistoryColumn) -> str:
        if column == HistoryColumn.WHEN:
            return f"{local_time(c.at):%d %b %Y %H:%M}"
        if column == HistoryColumn.CHANGE:
            before = state_label(c.from_status)
            after = state_label(c.to_status)
            return f"{before} → {after}" if before else after
        if column == HistoryColumn.WHO:
            return c.by_name
        if column == HistoryColumn.CHANNEL:
            return self._channels.get(c.channel, c.channel.replace("_", " "))
        if column == HistoryColumn.REASON:
            return self._reasons.get(c.reason_code, c.reason_code.replace("_", " "))
        return " ".join(c.note.split())
