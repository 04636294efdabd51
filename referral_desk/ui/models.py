"""The case tables: people, follow-ups, needs, referrals, releases and the timeline.

Each model is a `tables.RecordTableModel` (a list of frozen records from the services and a
tuple of column definitions); sorting, filtering and the item roles live in `ui/tables.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QMimeData,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from referral_desk.domain.states import FollowUpKind, NeedStatus, ReferralState
from referral_desk.ui import palette
from referral_desk.ui.tables import Column, Index, RecordTableModel, day_number, text_key
from referral_desk.ui.widgets import fmt_date, fmt_datetime
from referral_desk.usecases.dto import (
    FollowUpView,
    NeedView,
    PersonView,
    ReferralView,
    TimelineEvent,
)

RED = QColor(palette.ERROR)
AMBER = QColor(palette.WARNING)
GREEN = QColor(palette.GOOD)
GREY = QColor(palette.MUTED)


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
