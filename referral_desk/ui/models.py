"""Table models over the services' frozen records, plus the filter-as-you-type proxy.

Each model is a list of records and a tuple of column definitions. Views sort through a proxy on
`SORT_ROLE` (raw values: date ordinals, case-folded text), so "2 Mar" sorts before "10 Feb" the
right way round and names sort without regard to case. `ROW_ROLE` hands back the record itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from referral_desk.domain.people import normalise_name
from referral_desk.domain.states import FollowUpKind, NeedStatus, ReferralState
from referral_desk.services.dto import (
    FollowUpView,
    NeedView,
    PersonView,
    ReferralView,
    TimelineEvent,
)
from referral_desk.ui.widgets import fmt_date, fmt_datetime

SORT_ROLE = Qt.ItemDataRole.UserRole
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2

RED = QColor("#b00020")
AMBER = QColor("#8a5300")
GREEN = QColor("#1b6e20")
GREY = QColor("#6b6b6b")

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

    def row_of_id(self, record_id: str) -> int:
        for i, record in enumerate(self._rows):
            if getattr(record, "id", None) == record_id:
                return i
        return -1

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


# -- people -----------------------------------------------------------------------------------
def setting_text(p: PersonView) -> str:
    if p.setting == "custody":
        return f"Custody – {p.prison}" if p.prison else "Custody"
    place = p.area or p.office
    return f"Community – {place}" if place else "Community"


def cohort_text(p: PersonView) -> str:
    flags = [
        ("IOM", p.cohort_iom),
        ("PPO", p.cohort_ppo),
        ("Women's", p.cohort_womens),
        ("18–25", p.cohort_young_adult),
    ]
    return ", ".join(name for name, on in flags if on)


def consent_text(p: PersonView) -> str:
    if p.consent_withdrawn_on is not None:
        return "Withdrawn"
    return "Yes" if p.consent_given_on is not None else "Not recorded"


def _consent_colour(p: PersonView) -> QColor | None:
    return RED if p.consent_withdrawn_on is not None else None


class PeopleTableModel(RecordTableModel):
    """The caseload: who, identifiers, where they are, when they are released, consent."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.officer_names: dict[str, str] = {}
        self.columns = (
            Column(
                "Name",
                lambda p: f"{p.family_name}, {p.given_name}",
                tip=lambda p: "Case closed" if p.closed_on else p.display_name,
                colour=lambda p: GREY if p.closed_on else None,
            ),
            Column("CRN", lambda p: p.crn or ""),
            Column("Prison no.", lambda p: p.nomis or ""),
            Column(
                "Born",
                lambda p: fmt_date(p.date_of_birth),
                sort=lambda p: day_number(p.date_of_birth),
            ),
            Column("Setting", setting_text),
            Column(
                "Release",
                lambda p: fmt_date(p.expected_release_date),
                sort=lambda p: day_number(p.expected_release_date),
            ),
            Column("Cohort", cohort_text),
            Column("Consent", consent_text, colour=_consent_colour),
            Column("Officer", lambda p: self.officer_names.get(p.owner_officer_id or "", "")),
        )

    def search_text(self, p: PersonView) -> str:
        return " ".join((p.given_name, p.family_name, p.crn or "", p.nomis or "", p.pnc or ""))


# -- follow-ups -------------------------------------------------------------------------------
def kind_label(kind: str) -> str:
    try:
        return FollowUpKind(kind).label
    except ValueError:
        return kind.replace("_", " ").capitalize()


class FollowUpTableModel(RecordTableModel):
    """Follow-ups with their due state relative to `today` (overdue in red)."""

    def __init__(self, today: date, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = today
        self.columns = (
            # Pending before done, then by due date.
            Column(
                "Due",
                self._due_text,
                sort=lambda f: day_number(f.due_on) + (10**7 if f.done_on else 0),
                colour=self._due_colour,
                tip=lambda f: fmt_date(f.due_on),
            ),
            Column("What", lambda f: kind_label(f.kind)),
            Column("Person", lambda f: f.person_name),
            Column("Referral", lambda f: f.referral_reference),
            Column("Service", lambda f: f.service_name),
            Column(
                "Note",
                lambda f: f.result_note if f.done_on else f.note,
                tip=lambda f: f.result_note if f.done_on else f.note,
            ),
        )

    def group(self, f: FollowUpView) -> str:
        if f.done_on is not None:
            return "done"
        if f.due_on < self.today:
            return "overdue"
        if f.due_on == self.today:
            return "today"
        return "later"

    def _due_text(self, f: FollowUpView) -> str:
        group = self.group(f)
        if group == "done":
            return f"Done {fmt_date(f.done_on)}"
        if group == "overdue":
            days = (self.today - f.due_on).days
            return f"Overdue {days} day{'s' if days != 1 else ''} ({fmt_date(f.due_on)})"
        if group == "today":
            return "Today"
        if (f.due_on - self.today).days < 7:
            return f"{f.due_on:%a} {fmt_date(f.due_on)}"
        return fmt_date(f.due_on)

    def _due_colour(self, f: FollowUpView) -> QColor | None:
        group = self.group(f)
        return {"overdue": RED, "done": GREY}.get(group)


# -- needs ------------------------------------------------------------------------------------
NEED_MIME = "application/x-referral-desk-need-ids"


def need_status_label(status: str) -> str:
    try:
        return NeedStatus(status).label
    except ValueError:
        return status


def _need_colour(n: NeedView) -> QColor | None:
    if n.status.startswith("unmet"):
        return AMBER
    if n.status == NeedStatus.MET:
        return GREEN
    if n.status.startswith("closed"):
        return GREY
    return None


class NeedsTableModel(RecordTableModel):
    """A person's needs in priority order; drag rows to reorder (emits the new id order)."""

    reorder_requested = Signal(list)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column("#", lambda n: str(n.priority), sort=lambda n: n.priority, numeric=True),
            Column("Category", lambda n: n.category_label or n.category),
            Column("Description", lambda n: n.description, tip=lambda n: n.description),
            Column("Status", lambda n: need_status_label(n.status), colour=_need_colour),
            Column(
                "Identified",
                lambda n: fmt_date(n.identified_on),
                sort=lambda n: day_number(n.identified_on),
            ),
        )

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return base | Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [NEED_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        ids = []
        for index in indexes:
            if index.isValid():
                need_id = self._rows[index.row()].id
                if need_id not in ids:
                    ids.append(need_id)
        mime = QMimeData()
        mime.setData(NEED_MIME, QByteArray("\n".join(ids).encode()))
        return mime

    def moved_order(self, ids: list[str], before_row: int) -> list[str]:
        """The id order after moving `ids` to sit before `before_row` (-1 = at the end)."""
        current = [n.id for n in self._rows]
        target = current[before_row] if 0 <= before_row < len(current) else None
        rest = [i for i in current if i not in ids]
        at = rest.index(target) if target in rest else len(rest)
        if target in ids:  # dropped onto itself
            return current
        return rest[:at] + ids + rest[at:]

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        """Ask for the new order instead of moving rows: the stored order is the truth.

        Returns False so the view does not remove the dragged rows; the page reloads the
        reordered needs from the service.
        """
        if action == Qt.DropAction.IgnoreAction or not data.hasFormat(NEED_MIME):
            return False
        ids = [i for i in bytes(data.data(NEED_MIME).data()).decode().split("\n") if i]
        if not ids:
            return False
        before = row if row >= 0 else (parent.row() if parent.isValid() else -1)
        order = self.moved_order(ids, before)
        if order != [n.id for n in self._rows]:
            self.reorder_requested.emit(order)
        return False


# -- referrals --------------------------------------------------------------------------------
def referral_status_label(status: str) -> str:
    try:
        return ReferralState(status).label
    except ValueError:
        return status


def _referral_colour(r: ReferralView) -> QColor | None:
    if r.status in (ReferralState.DECLINED, ReferralState.WITHDRAWN, ReferralState.ENDED_EARLY):
        return GREY
    if r.status == ReferralState.COMPLETED:
        return GREEN
    return None


class ReferralsTableModel(RecordTableModel):
    """Referrals (a person's, or those waiting on a provider on My day)."""

    def __init__(
        self, today: date | None = None, *, with_person: bool = False, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.today = today
        status = Column(
            "Status", lambda r: referral_status_label(r.status), colour=_referral_colour
        )
        made_on = Column(
            "Made on", lambda r: fmt_date(r.made_on), sort=lambda r: day_number(r.made_on)
        )
        service = Column("Service", lambda r: r.service_name, tip=lambda r: r.organisation_name)
        if with_person:  # My day: how long each provider has been silent comes first
            cols = [
                Column("Reference", lambda r: r.reference),
                Column("Person", lambda r: r.person_name),
                service,
                Column(
                    "Waiting",
                    self._waiting_text,
                    sort=lambda r: day_number(r.made_on),  # sent longest ago first
                    numeric=True,
                ),
                status,
                made_on,
                Column("Organisation", lambda r: r.organisation_name),
            ]
        else:
            cols = [
                Column("Reference", lambda r: r.reference),
                service,
                status,
                made_on,
                Column(
                    "Appointment",
                    lambda r: fmt_datetime(r.appointment_at),
                    sort=lambda r: day_number(r.appointment_at),
                ),
            ]
        self.columns = tuple(cols)

    def _waiting_text(self, r: ReferralView) -> str:
        if r.made_on is None or self.today is None:
            return ""
        days = (self.today - r.made_on).days
        return f"{days} day{'s' if days != 1 else ''}"


# -- releases ---------------------------------------------------------------------------------
class ReleasesTableModel(RecordTableModel):
    """People due for release soon who still have open needs."""

    def __init__(self, today: date, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = today
        self.columns = (
            Column(
                "Name",
                lambda p: p.display_name,
                sort=lambda p: text_key(f"{p.family_name} {p.given_name}"),
            ),
            Column(
                "Release",
                lambda p: fmt_date(p.expected_release_date),
                sort=lambda p: day_number(p.expected_release_date),
            ),
            Column(
                "In",
                self._weeks_text,
                sort=lambda p: day_number(p.expected_release_date),
                numeric=True,
            ),
            Column("Where", setting_text),
        )

    def _weeks_text(self, p: PersonView) -> str:
        if p.expected_release_date is None:
            return ""
        days = (p.expected_release_date - self.today).days
        if days < 14:
            return f"{days} day{'s' if days != 1 else ''}"
        return f"{days // 7} weeks"


# -- timeline ---------------------------------------------------------------------------------
TIMELINE_KINDS = {
    "need": "Need",
    "need_status": "Need",
    "referral_status": "Referral",
    "follow_up": "Follow-up",
    "follow_up_done": "Follow-up",
    "note": "Note",
    "setting": "Transfer or release",
}


class TimelineTableModel(RecordTableModel):
    """Everything that happened to a person's case, newest first, with who and when."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column("When", self._when, sort=lambda e: e.at.isoformat()),
            Column("What happened", self._what, tip=self._what),
            Column("Who", lambda e: e.by_name),
        )

    @staticmethod
    def _when(e: TimelineEvent) -> str:
        return fmt_datetime(e.at) if e.time_known else fmt_date(e.at)

    @staticmethod
    def _what(e: TimelineEvent) -> str:
        # Status texts say what they are ("Need logged…", "Referral…"); notes need a label.
        return f"Note: {e.text}" if e.kind == "note" else e.text

    def search_text(self, e: TimelineEvent) -> str:
        return f"{TIMELINE_KINDS.get(e.kind, '')} {e.text} {e.by_name}"


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
