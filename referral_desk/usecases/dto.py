"""Plain data handed to the UI and CLI: frozen dataclasses, never live ORM objects.

Field names are the model's snake_case column names, so `to_dict()` is the CLI's JSON shape.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Self

from referral_desk.domain.service_rules import is_prechecked
from referral_desk.domain.vocabularies import CAPACITIES, capacity_value


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


# List-valued columns (JSON in the database) become tuples, so views stay immutable.
_LIST_FIELDS = frozenset(
    (
        "languages",
        "prisons",
        "shared_info",
        "offence_exclusions",
        "risk_levels",
        "cohorts",
        "categories",
        "areas",
    )
)
_MISSING = object()


def _field_names(cls: type) -> tuple[str, ...]:
    names = cls.__dict__.get("_record_fields")
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        cls._record_fields = names  # type: ignore[attr-defined]
    return names


class Record:
    """Mixin: build from any object with matching attribute names; dump to JSON-ready dict."""

    @classmethod
    def from_row(cls, row: Any, **extra: Any) -> Self:
        values = extra
        for name in _field_names(cls):
            if name in extra:
                continue
            value = getattr(row, name, _MISSING)
            if value is _MISSING:
                continue
            if name in _LIST_FIELDS and isinstance(value, list):
                value = tuple(value)
            values[name] = value
        for name in _LIST_FIELDS.intersection(extra):
            if isinstance(values[name], list):
                values[name] = tuple(values[name])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class ReferenceItemView(Record):
    id: str
    list_name: str
    code: str
    label: str
    synonyms: str = ""
    sort_order: int = 0
    deprecated_at: datetime | None = None


@dataclass(frozen=True)
class OfficerView(Record):
    id: str
    name: str
    role: str = "officer"
    team: str = ""
    office: str = ""
    office_phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class PersonView(Record):
    id: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    crn: str | None = None
    nomis: str | None = None
    pnc: str | None = None
    gender: str = ""
    ethnicity: str = ""
    disability: str = ""
    religion: str = ""
    foreign_national: bool | None = None
    setting: str = "community"
    prison: str = ""
    area: str = ""
    office: str = ""
    expected_release_date: date | None = None
    cohort_iom: bool = False
    cohort_ppo: bool = False
    cohort_womens: bool = False
    cohort_young_adult: bool = False
    owner_officer_id: str | None = None
    contact_preferences: str = ""
    consent_given_on: date | None = None
    consent_scope: str = ""
    consent_withdrawn_on: date | None = None
    closed_on: date | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    warnings: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def has_consent(self) -> bool:
        return self.consent_given_on is not None and self.consent_withdrawn_on is None


@dataclass(frozen=True)
class NeedView(Record):
    id: str
    person_id: str
    category: str
    category_label: str
    status: str
    description: str = ""
    subtype: str = ""
    priority: int = 0
    identified_on: date | None = None
    setting_at_time: str = ""
    place_at_time: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class LocationView(Record):
    id: str
    name: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""


@dataclass(frozen=True)
class ServiceView(Record):
    id: str
    name: str
    organisation_id: str
    organisation_name: str
    status: str
    categories: tuple[str, ...] = ()
    description: str = ""
    areas: tuple[str, ...] = ()
    prisons: tuple[str, ...] = ()
    community: bool = True
    through_the_gate: bool = False
    gender: str = "any"
    min_age: int | None = None
    max_age: int | None = None
    offence_exclusions: tuple[str, ...] = ()
    risk_levels: tuple[str, ...] = ()
    cohorts: tuple[str, ...] = ()
    free: bool = True
    unit_cost: float | None = None
    referral_method: str = "phone"
    referral_contact: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    response_days: int | None = None
    waiting_weeks: int | None = None
    capacity: str = "accepting"
    capacity_as_of: date | None = None
    languages: tuple[str, ...] = ()
    accessibility: str = ""
    opening_times: str = ""
    what_to_bring: str = ""
    isp_agreed: bool = False
    reports_attendance: bool = False
    reports_progress: bool = False
    precheck_date: date | None = None
    precheck_by: str = ""
    assured_date: date | None = None
    assurer: str = ""
    confidential_address: bool = False
    location: LocationView | None = None

    def __post_init__(self) -> None:
        # One vocabulary for every screen: a value synced from a site that has not yet run
        # migration 0010 (`waiting_list`) reads as the others do.
        if self.capacity not in CAPACITIES:
            object.__setattr__(self, "capacity", capacity_value(self.capacity))

    @property
    def prechecked(self) -> bool:
        return is_prechecked(self)


@dataclass(frozen=True)
class SearchResult(ServiceView):
    score: float = 0.0


@dataclass(frozen=True)
class StatusChangeView(Record):
    id: str
    from_status: str | None
    to_status: str
    at: datetime
    by_officer_id: str | None = None
    by_name: str = ""
    channel: str = ""
    reason_code: str = ""
    note: str = ""


@dataclass(frozen=True)
class ReferralView(Record):
    id: str
    reference: str
    person_id: str
    need_id: str | None
    service_id: str
    status: str
    service_name: str = ""
    organisation_name: str = ""
    person_name: str = ""
    made_by_officer_id: str | None = None
    made_on: date | None = None
    method: str = ""
    consent_confirmed: bool = False
    shared_info: tuple[str, ...] = ()
    share_risk: bool = False
    risk_note: str = field(default="", repr=False)  # personal: kept out of logs and reprs
    accessibility_needs: str = ""
    interpreter_language: str = ""
    availability: str = ""
    appointment_at: datetime | None = None
    appointment_place: str = ""
    provider_contact: str = ""
    outcome: str = ""
    outcome_note: str = ""
    history: tuple[StatusChangeView, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FollowUpView(Record):
    id: str
    person_id: str
    referral_id: str | None
    kind: str
    due_on: date
    note: str = ""
    officer_id: str | None = None
    done_on: date | None = None
    result_note: str = ""
    done_at: datetime | None = None  # None for follow-ups done before times were kept
    done_by_officer_id: str | None = None
    person_name: str = ""
    referral_reference: str = ""
    service_name: str = ""


@dataclass(frozen=True)
class TimelineEvent(Record):
    at: datetime
    kind: str  # need, need_status, referral_status, follow_up, follow_up_done, note
    text: str
    by_name: str = ""
    record_id: str = ""
    time_known: bool = True  # False: only the day is known (`at` is its first minute)


@dataclass(frozen=True)
class SettingChange(Record):
    """What a transfer or release did: `changed` False means nothing was written at all."""

    person: PersonView
    follow_ups: int = 0  # "tell the provider" follow-ups made
    moved: bool = False  # setting, prison or area changed (a line on the timeline)
    changed: bool = False


@dataclass(frozen=True)
class PersonDetail(Record):
    person: PersonView
    owner_name: str = ""  # the officer whose case it is
    needs: tuple[NeedView, ...] = ()
    referrals: tuple[ReferralView, ...] = ()
    follow_ups: tuple[FollowUpView, ...] = ()
    timeline: tuple[TimelineEvent, ...] = field(default=())
