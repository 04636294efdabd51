"""Plain-language text for sync conflicts, and the table model the conflicts dialog shows.

A conflict arrives as a table name, a column name and two JSON values; an officer needs
"Person · Zoë Ward · Last name: Ward (Alex Morgan, 2 Mar 2026 10:15) or Warde (Sam Patel, …)".
The labels here are the ones the person and referral forms use, so the same field reads the same
everywhere; anything not listed falls back to its column name made readable, so a field added
later still shows up rather than being hidden.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtGui import QColor

from referral_desk.ui.models import AMBER, GREY
from referral_desk.ui.tables import Column, RecordTableModel, day_number
from referral_desk.ui.widgets import fmt_date, fmt_datetime
from referral_desk.usecases.sync import ConflictView

RECORD_LABELS = {
    "person": "Person",
    "need": "Need",
    "need_status_change": "Need status",
    "referral": "Referral",
    "referral_status_change": "Referral status",
    "follow_up": "Follow-up",
    "case_note": "Case note",
    "officer": "Officer",
    "organisation": "Organisation",
    "location": "Location",
    "service": "Service",
    "service_category": "Service category",
    "service_area": "Service area",
    "reference_item": "Reference list",
    "team_setting": "Team setting",
}

FIELD_LABELS = {
    # people
    "given_name": "First name",
    "family_name": "Last name",
    "date_of_birth": "Date of birth",
    "crn": "CRN",
    "nomis": "Prison number",
    "pnc": "PNC number",
    "foreign_national": "Foreign national",
    "setting": "Custody or community",
    "prison": "Prison",
    "area": "Area",
    "office": "Office",
    "expected_release_date": "Expected release date",
    "cohort_iom": "IOM cohort",
    "cohort_ppo": "PPO cohort",
    "cohort_womens": "Women's cohort",
    "cohort_young_adult": "Young adult cohort",
    "owner_officer_id": "Offender manager",
    "contact_preferences": "Contact preferences",
    "consent_given_on": "Consent given on",
    "consent_scope": "Consent scope",
    "consent_withdrawn_on": "Consent withdrawn on",
    "closed_on": "Case closed on",
    # needs, referrals, follow-ups
    "category_code": "Category",
    "subtype": "Detail",
    "description": "Description",
    "priority": "Order",
    "identified_on": "Identified on",
    "made_on": "Made on",
    "method": "Referral method",
    "consent_confirmed": "Consent confirmed",
    "shared_info": "Information shared",
    "share_risk": "Risk information shared",
    "risk_note": "Risk information",
    "accessibility_needs": "Accessibility needs",
    "interpreter_language": "Interpreter language",
    "availability": "Availability",
    "appointment_at": "Appointment",
    "appointment_place": "Appointment place",
    "provider_contact": "Provider contact",
    "outcome": "Outcome",
    "outcome_note": "Outcome note",
    "due_on": "Due on",
    "done_on": "Done on",
    "done_at": "Done at",
    "result_note": "Result note",
    "note": "Note",
    "text": "Note",
    "kind": "Kind",
    # directory
    "name": "Name",
    "phone": "Phone",
    "email": "Email",
    "website": "Website",
    "response_days": "Response time (days)",
    "waiting_weeks": "Waiting time (weeks)",
    "capacity": "Capacity",
    "referral_contact": "How to refer",
    "contact_name": "Contact name",
}

KIND_LABELS = {
    "concurrent": "Edited on both",
    "clock": "Clock ahead",
}

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


def record_label(table_name: str) -> str:
    return RECORD_LABELS.get(table_name, _readable(table_name))


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, _readable(field))


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, _readable(kind))


def _readable(name: str) -> str:
    text = (name or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def value_text(value: Any) -> str:
    """A stored value as an officer would write it (dates the British way, Yes/No)."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        if _ISO_DATE.fullmatch(value):
            try:
                return fmt_date(date.fromisoformat(value))
            except ValueError:
                return value
        if _ISO_DATETIME.fullmatch(value):
            try:
                return fmt_datetime(datetime.fromisoformat(value))
            except ValueError:
                return value
        return value
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value) if value else "(empty)"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def local_time(value: datetime | None) -> datetime | None:
    """A sync stamp (naive UTC) in this computer's local time: BST is what officers read."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


@dataclass(frozen=True)
class ConflictRow:
    """One conflict with what the table needs beside it: which record, and who "this PC" is."""

    view: ConflictView
    record: str = ""  # e.g. the person's name; empty when the record is not here (yet)
    own_site: str = ""

    @property
    def id(self) -> int:
        return self.view.id

    @property
    def kind(self) -> str:
        return kind_label(self.view.kind)

    @property
    def record_text(self) -> str:
        label = record_label(self.view.table_name)
        return f"{label}: {self.record}" if self.record else label

    @property
    def field(self) -> str:
        return field_label(self.view.field)

    @property
    def has_local(self) -> bool:
        """False for a change that overwrote nothing here (Keep mine has nothing to keep)."""
        return self.view.local_site is not None or self.view.local_at is not None

    @property
    def mine(self) -> str:
        return value_text(self.view.local_value) if self.has_local else "(nothing)"

    @property
    def theirs(self) -> str:
        return value_text(self.view.remote_value)

    def _who(self, name: str, site: str | None) -> str:
        if name:
            return name
        if site and site == self.own_site:
            return "This computer"
        return f"Computer {site[:8]}" if site else "Unknown"

    @property
    def mine_by(self) -> str:
        return self._who(self.view.local_by, self.view.local_site) if self.has_local else ""

    @property
    def theirs_by(self) -> str:
        return self._who(self.view.remote_by, self.view.remote_site)

    @property
    def mine_at(self) -> str:
        return fmt_datetime(local_time(self.view.local_at))

    @property
    def theirs_at(self) -> str:
        return fmt_datetime(local_time(self.view.remote_at))

    @property
    def applied(self) -> str:
        return "Mine" if self.view.winner == "local" else "Theirs"


def _kind_colour(row: ConflictRow) -> QColor | None:
    return AMBER if row.view.kind == "clock" else None


class ConflictTableModel(RecordTableModel):
    """Open conflicts: both values side by side, each with who and when, and which applies."""

    columns = (
        Column(
            "Why",
            lambda r: r.kind,
            colour=_kind_colour,
            tip=lambda r: (
                "Stamped more than a day ahead of this computer's clock: check it"
                if r.view.kind == "clock"
                else "You and a colleague changed it before seeing each other's change"
            ),
        ),
        Column("Record", lambda r: r.record_text),
        Column("Field", lambda r: r.field),
        Column("Mine", lambda r: r.mine, tip=lambda r: r.mine),
        Column("Mine by", lambda r: r.mine_by),
        Column("Mine when", lambda r: r.mine_at, sort=lambda r: day_number(r.view.local_at)),
        Column("Theirs", lambda r: r.theirs, tip=lambda r: r.theirs),
        Column("Theirs by", lambda r: r.theirs_by),
        Column("Theirs when", lambda r: r.theirs_at, sort=lambda r: day_number(r.view.remote_at)),
        Column("Applied now", lambda r: r.applied, colour=lambda r: GREY),
    )

    def row_of_conflict(self, conflict_id: int) -> int:
        for i, row in enumerate(self.rows()):
            if row.id == conflict_id:
                return i
        return -1
