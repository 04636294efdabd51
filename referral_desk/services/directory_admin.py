"""The directory keeper's use cases: edit the directory, keep it fresh, take corrections.

DESIGN.md §1 explains why these exist: officers could not tell whether directory entries were
accurate or who to tell when they were not. So every edit here is an ordinary ORM write (the
change log carries it to every site by sync), "verified today" stamps the assured date and
assurer, the freshness lists point the keeper at what needs a phone call, and any officer can
report a correction that travels to the keeper's inbox.

Validation messages name the field, never the value typed (they may reach logs). A service is
never deleted while referrals point to it: the keeper marks it inactive, temporarily closed or
defunct instead, so old referrals keep their provider.

HSDS import and export live in `store.hsds`; this module owns their transactions — one for a
small import, a read snapshot plus the import journal's short chunks for a large one
(`store.import_journal`) — and turns their plans into plain report objects for the UI and CLI.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_desk.domain.errors import DomainError, NotFound, ValidationError
from referral_desk.domain.fields import EMAIL, LONG_NOTE, NOTE, ORG_NAME, PHONE, TextField
from referral_desk.domain.roles import KEEPER
from referral_desk.domain.vocabularies import (
    CAPACITIES,
    GENDERS,
    SERVICE_STATUSES,
    vocabulary_key,
)
from referral_desk.services.base import FileWritingService, officer_of
from referral_desk.services.common import get_live, parse_date
from referral_desk.services.directory import load_service_fields
from referral_desk.services.dto import Record, ServiceView
from referral_desk.services.reference import reference_items
from referral_desk.services.roles import require_in
from referral_desk.store import import_journal
from referral_desk.store.changelog import utcnow
from referral_desk.store.directory_models import CORRECTION_STATUSES, DirectoryCorrection
from referral_desk.store.hsds import exporter, gc_paused, importer
from referral_desk.store.hsds.detect import open_package
from referral_desk.store.hsds.package_reader import (
    DEFAULT_MAX_FILE_BYTES,
    Limits,
    Package,
)
from referral_desk.store.models import (
    Location,
    Officer,
    Organisation,
    Referral,
    ReferralStatusChange,
    Service,
    ServiceArea,
    ServiceCategory,
)
from referral_desk.store.soft_delete import INCLUDE_DELETED

SERVICE_REFERRAL_METHODS_EXTRA = ("drop_in",)
PROBLEM_REASONS = ("no_capacity", "could_not_contact")
MAX_AGE = 120
MAX_TEXT = LONG_NOTE
MAX_CORRECTION = NOTE
# Up to this many rows (all tables) an import is one transaction: about half a second of write
# lock on a 2-core machine. Larger imports are journaled and applied in short transactions.
SMALL_IMPORT_ROWS = 10_000
IMPORT_REASON = "directory import"

ORGANISATION_FIELDS = (
    "name",
    "charity_number",
    "company_number",
    "description",
    "website",
    "email",
    "phone",
    "faith_based",
    "uses_volunteers",
    "lived_experience",
)
LOCATION_FIELDS = (
    "organisation_id",
    "name",
    "address_1",
    "address_2",
    "city",
    "region",
    "postcode",
    "latitude",
    "longitude",
)
SERVICE_FIELDS = (
    "organisation_id",
    "location_id",
    "name",
    "description",
    "status",
    "gender",
    "min_age",
    "max_age",
    "offence_exclusions",
    "risk_levels",
    "cohorts",
    "prisons",
    "community",
    "through_the_gate",
    "free",
    "unit_cost",
    "referral_method",
    "referral_contact",
    "contact_name",
    "phone",
    "email",
    "response_days",
    "waiting_weeks",
    "capacity",
    "capacity_as_of",
    "languages",
    "accessibility",
    "opening_times",
    "what_to_bring",
    "confidential_address",
    "categories",
    "areas",
)


# --- plain data returned ---------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationView(Record):
    id: str
    name: str
    charity_number: str = ""
    company_number: str = ""
    description: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    faith_based: bool = False
    uses_volunteers: bool = False
    lived_experience: bool = False
    hsds_id: str | None = None


@dataclass(frozen=True)
class LocationDetail(Record):
    id: str
    organisation_id: str | None = None
    name: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None
    hsds_id: str | None = None


@dataclass(frozen=True)
class StaleService(Record):
    """A service not verified within the freshness window (`months_since` None: never)."""

    id: str
    name: str
    organisation_name: str
    status: str
    assured_date: date | None
    assurer: str
    months_since: int | None


@dataclass(frozen=True)
class ProblemService(Record):
    """A service whose referrals keep coming back declined for no capacity or no contact."""

    id: str
    name: str
    organisation_name: str
    no_capacity: int
    could_not_contact: int
    last_declined_on: date | None

    @property
    def total(self) -> int:
        return self.no_capacity + self.could_not_contact


@dataclass(frozen=True)
class CorrectionView(Record):
    id: str
    service_id: str
    service_name: str
    organisation_name: str
    reported_on: date
    text: str
    status: str
    reported_by_officer_id: str | None = None
    reported_by_name: str = ""
    resolved_by: str | None = None
    resolved_by_name: str = ""
    resolved_on: date | None = None
    resolution_note: str = ""


@dataclass(frozen=True)
class ImportIssue(Record):
    table: str
    file: str
    row: int
    record_id: str
    message: str


@dataclass(frozen=True)
class ImportChange(Record):
    kind: str
    action: str
    hsds_id: str
    name: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportReport(Record):
    """The preview (dry run) or the summary (applied) of an HSDS import.

    `counts[kind]` has new / changed / unchanged / removed / rejected for organisation,
    location, service and service_area; `rejected` lists skipped rows (any table) with their
    reason, `warnings` the links dropped and values ignored on rows that were kept. The lists
    stop at 10 000 entries each (a note says so); `rejected_total`, `warnings_total` and
    `changes_total` count them all. `cleaned_cells`: cells whose control characters were
    removed.
    """

    dry_run: bool
    applied: bool
    counts: dict[str, dict[str, int]]
    rejected: tuple[ImportIssue, ...] = ()
    warnings: tuple[ImportIssue, ...] = ()
    notes: tuple[str, ...] = ()
    changes: tuple[ImportChange, ...] = field(default=())
    rejected_total: int = 0
    warnings_total: int = 0
    changes_total: int = 0
    cleaned_cells: int = 0
    form: str = ""  # the HSDS version and form detected, e.g. "HSDS 1.1 tabular package"
    rejected_by_table: dict[str, int] = field(default_factory=dict)

    def total(self, action: str) -> int:
        return sum(c.get(action, 0) for c in self.counts.values())


@dataclass(frozen=True)
class ExportSummary(Record):
    path: str
    counts: dict[str, int]

    @property
    def services(self) -> int:
        return self.counts.get("service", 0)


class ServiceInUse(ValidationError):
    """A record with referrals (or live services) cannot be deleted; change its status."""


# --- validation ------------------------------------------------------------------------------

_URL = re.compile(r"https?://[^\s/?#.]+(\.[^\s/?#.]+)+(:\d+)?([/?#]\S*)?", re.IGNORECASE)
_BARE_DOMAIN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+(/\S*)?", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[a-z]{2,}", re.IGNORECASE)
_PHONE = re.compile(r"\+?[0-9 ()\-]+(\s*(ext\.?|x)\s*[0-9]{1,5})?", re.IGNORECASE)
_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})")


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def clean_text(value: Any, name: str, *, required: bool = False, limit: int = ORG_NAME) -> str:
    """Typed text through the one rule for control characters (domain.text), length-checked.

    Up to `ORG_NAME` characters it is one line (names, contacts); longer limits are free text
    that keeps its paragraphs (descriptions, opening times, corrections).
    """
    rule = TextField(_label(name), limit, multiline=limit > ORG_NAME)
    return rule.clean(value, required=required)


def clean_url(value: Any, name: str = "website") -> str:
    text = clean_text(value, name)
    if not text:
        return ""
    if _BARE_DOMAIN.fullmatch(text):
        text = "https://" + text
    if not _URL.fullmatch(text):
        raise ValidationError(f"{_label(name)} must be a web address like https://example.org")
    return text


def clean_email(value: Any, name: str = "email") -> str:
    text = clean_text(value, name, limit=EMAIL)
    if text and not _EMAIL.fullmatch(text):
        raise ValidationError(f"{_label(name)} is not a valid email address")
    return text


def clean_phone(value: Any, name: str = "phone") -> str:
    text = clean_text(value, name, limit=PHONE)
    if not text:
        return ""
    digits = sum(ch.isdigit() for ch in text.split("x")[0].split("ext")[0])
    if not _PHONE.fullmatch(text) or not 7 <= digits <= 15:
        raise ValidationError(f"{_label(name)} must be a phone number, e.g. 0113 496 0000")
    return text


def clean_postcode(value: Any) -> str:
    text = "".join(str(value or "").split()).upper()
    if not text:
        return ""
    match = _POSTCODE.fullmatch(text)
    if match is None:
        raise ValidationError("Postcode is not a valid UK postcode, e.g. LS1 4AP")
    return f"{match.group(1)} {match.group(2)}"


def clean_choice(value: Any, name: str, allowed: Iterable[str]) -> str:
    text = vocabulary_key(str(value or ""))
    options = list(allowed)
    lookup = {o.replace("_", " "): o for o in options}
    if text not in lookup:
        raise ValidationError(f"{_label(name)} must be one of: {', '.join(options)}")
    return lookup[text]


def clean_whole(value: Any, name: str, *, low: int = 0, high: int | None = None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValidationError(f"{_label(name)} must be a whole number") from None
    if isinstance(number, bool) or number < low or (high is not None and number > high):
        limit = f" between {low} and {high}" if high is not None else f" of at least {low}"
        raise ValidationError(f"{_label(name)} must be a whole number{limit}")
    return number


def clean_amount(value: Any, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip().lstrip("£"))
    except ValueError:
        raise ValidationError(f"{_label(name)} must be an amount of money") from None
    if number < 0 or number != number or number > 1_000_000:
        raise ValidationError(f"{_label(name)} must be an amount of money")
    return number


def clean_coordinate(value: Any, name: str, limit: float) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{_label(name)} must be a number") from None
    if not -limit <= number <= limit:
        raise ValidationError(f"{_label(name)} must be between -{limit:g} and {limit:g}")
    return number


def clean_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        text = clean_text(item, name, limit=200)
        if text and text not in out:
            out.append(text)
    return out


def clean_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    key = str(value).strip().lower()
    if key in ("1", "true", "yes", "y"):
        return True
    if key in ("0", "false", "no", "n", ""):
        return False
    raise ValidationError(f"{_label(name)} must be yes or no")


def _not_future(day: date | None, name: str, today: date) -> date | None:
    if day is not None and day > today:
        raise ValidationError(f"{_label(name)} cannot be in the future")
    return day


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month - timedelta(days=1)).day))


def months_between(earlier: date, later: date) -> int:
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    return months - 1 if later.day < earlier.day else months


_BOOL_FIELDS = {
    "faith_based",
    "uses_volunteers",
    "lived_experience",
    "community",
    "through_the_gate",
    "free",
    "confidential_address",
}
_LIST_FIELDS = {"offence_exclusions", "risk_levels", "cohorts", "prisons", "languages"}
_LONG_TEXT = {"description", "accessibility", "opening_times", "what_to_bring"}


def _only(fields: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError(f"Unknown {what} field: " + ", ".join(unknown))


def _clean_common(name: str, value: Any) -> Any:
    if name in _BOOL_FIELDS:
        return clean_bool(value, name)
    if name in _LIST_FIELDS:
        return clean_list(value, name)
    if name in _LONG_TEXT:
        return clean_text(value, name, limit=MAX_TEXT)
    if name in ("email",):
        return clean_email(value)
    if name in ("phone",):
        return clean_phone(value)
    if name == "website":
        return clean_url(value)
    if name == "postcode":
        return clean_postcode(value)
    if name == "name":
        return clean_text(value, name, required=True)
    if name in ("latitude", "longitude"):
        return clean_coordinate(value, name, 90.0 if name == "latitude" else 180.0)
    return clean_text(value, name, limit=300)


# --- the use cases ---------------------------------------------------------------------------


class DirectoryAdminService(FileWritingService):
    """Write side of the provider directory, for the directory keeper (and corrections for all).

    Every change but reporting a correction needs the directory keeper role (or manager),
    checked inside the write's own transaction (`services.roles.require_in`)."""

    @contextmanager
    def _keeper_write(self, reason: str) -> Iterator[Session]:
        with self._write(reason=reason) as session:
            require_in(session, KEEPER)
            yield session

    def _require_keeper(self) -> None:
        with self._read() as session:
            require_in(session, KEEPER)

    # organisations

    def create_organisation(self, **fields: Any) -> OrganisationView:
        _only(fields, ORGANISATION_FIELDS, "organisation")
        if "name" not in fields:
            raise ValidationError("Name is required")
        values = {k: _clean_common(k, v) for k, v in fields.items()}
        with self._keeper_write(reason="directory: add organisation") as session:
            org = Organisation(**values)
            org.hsds_id = org.id
            session.add(org)
            session.flush()
            return OrganisationView.from_row(org)

    def update_organisation(self, organisation_id: str, **fields: Any) -> OrganisationView:
        _only(fields, ORGANISATION_FIELDS, "organisation")
        values = {k: _clean_common(k, v) for k, v in fields.items()}
        with self._keeper_write(reason="directory: edit organisation") as session:
            org = get_live(session, Organisation, organisation_id, "organisation")
            for key, value in values.items():
                setattr(org, key, value)
            session.flush()
            return OrganisationView.from_row(org)

    def get_organisation(self, organisation_id: str) -> OrganisationView:
        with self._read() as session:
            org = get_live(session, Organisation, organisation_id, "organisation")
            return OrganisationView.from_row(org)

    def delete_organisation(self, organisation_id: str) -> None:
        with self._keeper_write(reason="directory: delete organisation") as session:
            org = get_live(session, Organisation, organisation_id, "organisation")
            live = session.scalar(
                select(func.count()).where(
                    Service.organisation_id == org.id, Service.deleted_at.is_(None)
                )
            )
            if live:
                raise ServiceInUse(
                    f"This organisation has {live} service(s); delete or move them first."
                )
            now = utcnow()
            for loc in session.scalars(
                select(Location).where(
                    Location.organisation_id == org.id, Location.deleted_at.is_(None)
                )
            ):
                loc.deleted_at = now
            org.deleted_at = now

    # locations

    def create_location(self, **fields: Any) -> LocationDetail:
        _only(fields, LOCATION_FIELDS, "location")
        values = self._location_values(fields)
        with self._keeper_write(reason="directory: add location") as session:
            self._check_organisation(session, values.get("organisation_id"))
            loc = Location(**values)
            loc.hsds_id = loc.id
            session.add(loc)
            session.flush()
            return LocationDetail.from_row(loc)

    def update_location(self, location_id: str, **fields: Any) -> LocationDetail:
        _only(fields, LOCATION_FIELDS, "location")
        values = self._location_values(fields)
        with self._keeper_write(reason="directory: edit location") as session:
            loc = get_live(session, Location, location_id, "location")
            if "organisation_id" in values:
                self._check_organisation(session, values["organisation_id"])
            for key, value in values.items():
                setattr(loc, key, value)
            session.flush()
            return LocationDetail.from_row(loc)

    def get_location(self, location_id: str) -> LocationDetail:
        with self._read() as session:
            return LocationDetail.from_row(get_live(session, Location, location_id, "location"))

    def locations(self, organisation_id: str | None = None) -> list[LocationDetail]:
        stmt = select(Location).where(Location.deleted_at.is_(None))
        if organisation_id is not None:
            stmt = stmt.where(Location.organisation_id == organisation_id)
        with self._read() as session:
            rows = session.scalars(stmt.order_by(func.lower(Location.name), Location.id))
            return [LocationDetail.from_row(r) for r in rows]

    def delete_location(self, location_id: str) -> None:
        with self._keeper_write(reason="directory: delete location") as session:
            loc = get_live(session, Location, location_id, "location")
            used = session.scalar(
                select(func.count()).where(
                    Service.location_id == loc.id, Service.deleted_at.is_(None)
                )
            )
            if used:
                raise ServiceInUse(
                    f"{used} service(s) use this location; give them another location first."
                )
            loc.deleted_at = utcnow()

    @staticmethod
    def _location_values(fields: dict[str, Any]) -> dict[str, Any]:
        values = {}
        for key, value in fields.items():
            if key == "organisation_id":
                values[key] = (value or "").strip() or None
            elif key == "name":
                values[key] = clean_text(value, key)
            else:
                values[key] = _clean_common(key, value)
        return values

    @staticmethod
    def _check_organisation(session: Session, organisation_id: str | None) -> None:
        if organisation_id is not None:
            get_live(session, Organisation, organisation_id, "organisation")

    # services

    def create_service(self, organisation_id: str, name: str, **fields: Any) -> ServiceView:
        _only(fields, SERVICE_FIELDS, "service")
        fields = {**fields, "organisation_id": organisation_id, "name": name}
        with self._keeper_write(reason="directory: add service") as session:
            values, categories, areas = self._service_values(session, fields, None)
            svc = Service(**values)
            svc.hsds_id = svc.id
            self._check_combination(svc)
            session.add(svc)
            session.flush()
            self._replace_categories(session, svc.id, categories or [])
            self._replace_areas(session, svc.id, areas or [])
            session.flush()
            return self._view(session, svc.id)

    def update_service(self, service_id: str, **fields: Any) -> ServiceView:
        _only(fields, SERVICE_FIELDS, "service")
        with self._keeper_write(reason="directory: edit service") as session:
            svc = get_live(session, Service, service_id, "service")
            values, categories, areas = self._service_values(session, fields, svc)
            for key, value in values.items():
                setattr(svc, key, value)
            self._check_combination(svc)
            if categories is not None:
                self._replace_categories(session, svc.id, categories)
            if areas is not None:
                self._replace_areas(session, svc.id, areas)
            session.flush()
            return self._view(session, svc.id)

    def set_service_areas(self, service_id: str, names: Iterable[str]) -> ServiceView:
        return self.update_service(service_id, areas=list(names))

    def set_status(self, service_id: str, status: str) -> ServiceView:
        value = clean_choice(status, "status", SERVICE_STATUSES)
        with self._keeper_write(reason="directory: service status") as session:
            svc = get_live(session, Service, service_id, "service")
            svc.status = value
            session.flush()
            return self._view(session, svc.id)

    def set_capacity(
        self, service_id: str, capacity: str, as_of: date | str | None = None
    ) -> ServiceView:
        value = clean_choice(capacity, "capacity", CAPACITIES)
        today = self.clock.today()
        day = _not_future(parse_date(as_of, "Capacity date"), "capacity date", today) or today
        with self._keeper_write(reason="directory: capacity") as session:
            svc = get_live(session, Service, service_id, "service")
            svc.capacity = value
            svc.capacity_as_of = day
            session.flush()
            return self._view(session, svc.id)

    def set_precheck(
        self,
        service_id: str,
        *,
        isp_agreed: bool,
        reports_attendance: bool,
        reports_progress: bool,
        checked_on: date | str | None = None,
        checked_by: str | None = None,
    ) -> ServiceView:
        """Record what the provider agreed when the keeper pre-checked it (DESIGN.md §3)."""
        today = self.clock.today()
        day = _not_future(parse_date(checked_on, "Pre-check date"), "pre-check date", today)
        with self._keeper_write(reason="directory: pre-check") as session:
            svc = get_live(session, Service, service_id, "service")
            by = clean_text(checked_by, "checked by", limit=200) if checked_by else ""
            svc.isp_agreed = clean_bool(isp_agreed, "information-sharing protocol agreed")
            svc.reports_attendance = clean_bool(reports_attendance, "reports attendance")
            svc.reports_progress = clean_bool(reports_progress, "reports progress")
            svc.precheck_date = day or today
            svc.precheck_by = by or self._officer_name(session)
            session.flush()
            return self._view(session, svc.id)

    def verify_today(self, service_id: str) -> ServiceView:
        """'Verified today': the assured date is today and the assurer is this officer."""
        with self._keeper_write(reason="directory: verified") as session:
            svc = get_live(session, Service, service_id, "service")
            svc.assured_date = self.clock.today()
            svc.assurer = self._officer_name(session)
            session.flush()
            return self._view(session, svc.id)

    def delete_service(self, service_id: str) -> None:
        """Delete a service nobody has referred to; otherwise refuse and suggest a status."""
        with self._keeper_write(reason="directory: delete service") as session:
            svc = get_live(session, Service, service_id, "service")
            count = session.scalar(
                select(func.count()).where(
                    Referral.service_id == svc.id, Referral.deleted_at.is_(None)
                )
            )
            if count:
                raise ServiceInUse(
                    f"This service has {count} referral(s), so it cannot be deleted. Mark it "
                    "inactive, temporarily closed or defunct instead."
                )
            now = utcnow()
            for model in (ServiceCategory, ServiceArea):
                for row in session.scalars(
                    select(model).where(model.service_id == svc.id, model.deleted_at.is_(None))
                ):
                    row.deleted_at = now
            svc.deleted_at = now

    def _service_values(
        self, session: Session, fields: dict[str, Any], current: Service | None
    ) -> tuple[dict[str, Any], list[str] | None, list[str] | None]:
        today = self.clock.today()
        values: dict[str, Any] = {}
        categories = areas = None
        for key, value in fields.items():
            if key == "organisation_id":
                values[key] = get_live(session, Organisation, str(value or ""), "organisation").id
            elif key == "location_id":
                text = str(value or "").strip()
                values[key] = get_live(session, Location, text, "location").id if text else None
            elif key == "status":
                values[key] = clean_choice(value, key, SERVICE_STATUSES)
            elif key == "capacity":
                values[key] = clean_choice(value, key, CAPACITIES)
            elif key == "gender":
                values[key] = clean_choice(value or "any", key, GENDERS)
            elif key == "referral_method":
                methods = [i.code for i in reference_items(session, "referral_method")]
                values[key] = clean_choice(
                    value, "referral method", [*methods, *SERVICE_REFERRAL_METHODS_EXTRA]
                )
            elif key in ("min_age", "max_age"):
                values[key] = clean_whole(value, key, high=MAX_AGE)
            elif key in ("response_days", "waiting_weeks"):
                values[key] = clean_whole(value, key, high=365)
            elif key == "unit_cost":
                values[key] = clean_amount(value, key)
            elif key == "capacity_as_of":
                values[key] = _not_future(parse_date(value, "Capacity date"), key, today)
            elif key == "categories":
                categories = self._category_codes(session, value)
            elif key == "areas":
                areas = clean_list(value, "service area")
            elif key == "referral_contact":
                values[key] = clean_text(value, key, limit=300)
            elif key == "contact_name":
                values[key] = clean_text(value, "contact name", limit=200)
            else:
                values[key] = _clean_common(key, value)
        if values.get("free") is True or (current is None and "free" not in values):
            values.setdefault("unit_cost", None)
        return values, categories, areas

    @staticmethod
    def _check_combination(svc: Service) -> None:
        low, high = svc.min_age, svc.max_age
        if low is not None and high is not None and low > high:
            raise ValidationError("Minimum age cannot be more than maximum age")
        if svc.free is not False and svc.unit_cost not in (None, 0):
            raise ValidationError("A free service has no unit cost; untick free to set one")

    @staticmethod
    def _category_codes(session: Session, value: Any) -> list[str]:
        codes = clean_list(value, "categories")
        known = {i.code for i in reference_items(session, "need_category")}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValidationError("Unknown need category; use one of: " + ", ".join(sorted(known)))
        return codes

    @staticmethod
    def _replace_categories(session: Session, service_id: str, codes: list[str]) -> None:
        rows = list(
            session.scalars(
                select(ServiceCategory).where(ServiceCategory.service_id == service_id),
                execution_options=INCLUDE_DELETED,  # a removed category comes back as it was
            )
        )
        now = utcnow()
        by_code: dict[str, ServiceCategory] = {}
        for row in rows:
            if row.category_code not in by_code or row.deleted_at is None:
                by_code[row.category_code] = row
        for code, row in by_code.items():
            if code not in codes and row.deleted_at is None:
                row.deleted_at = now
        for code in codes:
            row = by_code.get(code)
            if row is None:
                session.add(ServiceCategory(service_id=service_id, category_code=code))
            elif row.deleted_at is not None:
                row.deleted_at = None

    @staticmethod
    def _replace_areas(session: Session, service_id: str, names: list[str]) -> None:
        rows = list(
            session.scalars(
                select(ServiceArea).where(
                    ServiceArea.service_id == service_id, ServiceArea.deleted_at.is_(None)
                )
            )
        )
        wanted: dict[str, str] = {}
        for name in names:
            wanted.setdefault(name.casefold(), name)  # "Leeds" and "leeds" are one area
        now = utcnow()
        have = set()
        for row in rows:
            key = row.name.casefold()
            if key in wanted and key not in have:
                have.add(key)
                if row.name != wanted[key]:
                    row.name = wanted[key]
            else:
                row.deleted_at = now
        for key, name in wanted.items():
            if key not in have:
                area = ServiceArea(service_id=service_id, name=name)
                area.hsds_id = area.id
                session.add(area)

    @staticmethod
    def _view(session: Session, service_id: str) -> ServiceView:
        session.flush()
        loaded = load_service_fields(session.connection(), [service_id])
        if service_id not in loaded:
            raise NotFound("No service with that id.")
        return ServiceView(**loaded[service_id])

    @staticmethod
    def _officer_name(session: Session) -> str:
        officer_id = officer_of(session)
        officer = session.get(Officer, officer_id) if officer_id else None
        if officer is None or not officer.name:
            raise ValidationError("Set your name in your officer profile first.")
        return officer.name

    # freshness

    def stale_services(self, months: int = 12) -> list[StaleService]:
        """Services not verified for `months` months or more (never verified first)."""
        months = clean_whole(months, "months", low=1, high=600) or 12
        today = self.clock.today()
        cutoff = months_before(today, months)
        stmt = (
            select(Service, func.coalesce(Organisation.name, ""))
            .outerjoin(Organisation, Organisation.id == Service.organisation_id)
            .where(
                Service.deleted_at.is_(None),
                Service.status != "defunct",
                (Service.assured_date.is_(None)) | (Service.assured_date <= cutoff),
            )
            .order_by(
                Service.assured_date.is_not(None), Service.assured_date, func.lower(Service.name)
            )
        )
        with self._read() as session:
            return [
                StaleService(
                    id=svc.id,
                    name=svc.name,
                    organisation_name=org_name,
                    status=svc.status,
                    assured_date=svc.assured_date,
                    assurer=svc.assurer,
                    months_since=(
                        months_between(svc.assured_date, today) if svc.assured_date else None
                    ),
                )
                for svc, org_name in session.execute(stmt)
            ]

    def problem_services(self, min_count: int = 2, within_months: int = 12) -> list[ProblemService]:
        """Services whose referrals were declined for no capacity / could not contact."""
        min_count = clean_whole(min_count, "minimum count", low=1) or 1
        months = clean_whole(within_months, "months", low=1, high=600) or 12
        since = datetime.combine(months_before(self.clock.today(), months), time())
        rsc = ReferralStatusChange
        stmt = (
            select(Referral.service_id, rsc.reason_code, func.count(), func.max(rsc.at))
            .join(Referral, Referral.id == rsc.referral_id)
            .where(
                rsc.to_status == "declined",
                rsc.reason_code.in_(PROBLEM_REASONS),
                rsc.deleted_at.is_(None),
                Referral.deleted_at.is_(None),
                rsc.at >= since,
            )
            .group_by(Referral.service_id, rsc.reason_code)
        )
        with self._read() as session:
            tally: dict[str, dict[str, Any]] = {}
            for sid, reason, count, last in session.execute(stmt):
                item = tally.setdefault(sid, {"no_capacity": 0, "could_not_contact": 0})
                item[reason] = int(count)
                last_day = last.date() if last is not None else None
                if last_day and (item.get("last") is None or last_day > item["last"]):
                    item["last"] = last_day
            wanted = [
                s
                for s, t in tally.items()
                if t["no_capacity"] + t["could_not_contact"] >= min_count
            ]
            names = self._service_names(session, wanted)
        out = [
            ProblemService(
                id=sid,
                name=names[sid][0],
                organisation_name=names[sid][1],
                no_capacity=tally[sid]["no_capacity"],
                could_not_contact=tally[sid]["could_not_contact"],
                last_declined_on=tally[sid].get("last"),
            )
            for sid in wanted
            if sid in names
        ]
        return sorted(out, key=lambda p: (-p.total, p.name.lower()))

    @staticmethod
    def _service_names(session: Session, ids: list[str]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            stmt = (
                select(Service.id, Service.name, func.coalesce(Organisation.name, ""))
                .outerjoin(Organisation, Organisation.id == Service.organisation_id)
                .where(Service.id.in_(chunk), Service.deleted_at.is_(None))
            )
            for sid, name, org in session.execute(stmt):
                out[sid] = (name, org)
        return out

    # corrections

    def report_correction(self, service_id: str, text: str) -> CorrectionView:
        """Any officer: 'this entry is wrong'. It reaches the keeper's inbox by sync."""
        body = clean_text(text, "what is wrong", required=True, limit=MAX_CORRECTION)
        with self._write(reason="directory: correction reported") as session:
            svc = get_live(session, Service, service_id, "service")
            row = DirectoryCorrection(
                service_id=svc.id,
                reported_by_officer_id=officer_of(session),
                reported_on=self.clock.today(),
                text=body,
                status="open",
                resolution_note="",
            )
            session.add(row)
            session.flush()
            return self._corrections(session, [row.id])[0]

    def corrections(self, status: str | None = "open") -> list[CorrectionView]:
        """The keeper's inbox (`status` None or "all": every correction), oldest first."""
        if status not in (None, "all"):
            status = clean_choice(status, "status", CORRECTION_STATUSES)
        with self._read() as session:
            stmt = select(DirectoryCorrection.id).where(DirectoryCorrection.deleted_at.is_(None))
            if status not in (None, "all"):
                stmt = stmt.where(DirectoryCorrection.status == status)
            ids = list(session.scalars(stmt))
            return self._corrections(session, ids)

    def resolve_correction(
        self, correction_id: str, accept: bool, note: str = ""
    ) -> CorrectionView:
        """Accept (the keeper has made, or will make, the fix) or dismiss a correction."""
        text = clean_text(note, "note", limit=MAX_CORRECTION)
        with self._keeper_write(reason="directory: correction resolved") as session:
            row = get_live(session, DirectoryCorrection, correction_id, "correction")
            if row.status != "open":
                raise ValidationError("This correction has already been resolved.")
            row.status = "accepted" if accept else "dismissed"
            row.resolved_by = officer_of(session)
            row.resolved_on = self.clock.today()
            row.resolution_note = text
            session.flush()
            return self._corrections(session, [row.id])[0]

    @staticmethod
    def _corrections(session: Session, ids: list[str]) -> list[CorrectionView]:
        if not ids:
            return []
        reporter = Officer.__table__.alias("reporter")
        resolver = Officer.__table__.alias("resolver")
        stmt = (
            select(
                DirectoryCorrection,
                func.coalesce(Service.name, ""),
                func.coalesce(Organisation.name, ""),
                func.coalesce(reporter.c.name, ""),
                func.coalesce(resolver.c.name, ""),
            )
            .outerjoin(Service, Service.id == DirectoryCorrection.service_id)
            .outerjoin(Organisation, Organisation.id == Service.organisation_id)
            .outerjoin(reporter, reporter.c.id == DirectoryCorrection.reported_by_officer_id)
            .outerjoin(resolver, resolver.c.id == DirectoryCorrection.resolved_by)
            .where(DirectoryCorrection.id.in_(ids))
            .order_by(DirectoryCorrection.reported_on, DirectoryCorrection.created_at)
        )
        return [
            CorrectionView.from_row(
                row,
                service_name=svc,
                organisation_name=org,
                reported_by_name=by,
                resolved_by_name=res,
            )
            for row, svc, org, by, res in session.execute(stmt)
        ]

    # HSDS interchange

    def import_package(
        self,
        path: str | Path,
        *,
        dry_run: bool = False,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        limits: Limits | None = None,
        small_rows: int = SMALL_IMPORT_ROWS,
        after_chunk: Callable[[int, int], None] | None = None,
        publisher: str | None = None,
    ) -> ImportReport:
        """Import (or with `dry_run`, preview) an HSDS package.

        Any HSDS version and form `store.hsds.detect` recognises: a 3.0, 2.0 or 1.1 tabular
        package, or a saved ORUK JSON file of services; `publisher` names whose ids an older
        package's non-UUID ids are (default: its descriptor's name, else the file name).

        Faulty rows are skipped and reported; a package that cannot be used at all raises
        `PackageError` (a DomainError) and nothing is written. A package of up to `small_rows`
        rows is checked, planned and written in one transaction (well under a second). A larger
        one is planned against a read snapshot, staged in the import journal and applied in
        short transactions, so an officer's save in another window waits a second at most;
        after a crash it is completed on the next open (`store.import_journal`).
        `after_chunk(done, total)` reports progress of a journaled import.
        """
        source = Path(path)
        limits = limits or Limits(max_file_bytes=max_file_bytes)
        if not dry_run:
            self._require_keeper()
        with gc_paused(), open_package(source, limits=limits, publisher=publisher) as package:
            if dry_run:
                with self._read() as session:
                    return _report(importer.plan_import(session, package), dry_run=True)
            if package.total_rows <= small_rows:
                import_journal.resume(self.db)  # an interrupted import is finished first
                with self._keeper_write(reason=IMPORT_REASON) as session:
                    ops = importer.OpList()
                    plan = importer.plan_import(session, package, ops)
                    import_journal.apply_ops(session, ops, reason=IMPORT_REASON)
                return _report(plan, dry_run=False)
            with import_journal.exclusive(self.db):  # one journaled import at a time
                import_journal.resume(self.db)
                plan, run_id = self._stage(package)
                package.close()  # the scratch database is not needed to apply
                import_journal.apply_run(self.db, run_id, after_chunk=after_chunk)
        return _report(plan, dry_run=False)

    def _stage(self, package: Package) -> tuple[importer.ImportPlan, str]:
        """Plan against a read snapshot into the journal, then pass the commit point."""
        run_id = import_journal.begin(
            self.db, "hsds", reason=IMPORT_REASON, officer_id=self._officer_id()
        )
        try:
            writer = import_journal.JournalWriter(self.db, run_id)
            with self._read() as session:
                plan = importer.plan_import(session, package, writer)
            writer.flush()
            import_journal.commit(self.db, run_id, writer.chunks)
        except BaseException:
            with contextlib.suppress(DomainError):
                import_journal.discard(self.db, run_id)
            raise
        return plan, run_id

    def _officer_id(self) -> str | None:
        with self._read() as session:
            return officer_of(session)

    def export_package(self, path: str | Path) -> ExportSummary:
        """Write the directory as an HSDS 3.0 package (a folder, or a .zip file): owner-only,
        whole or not at all, and never in (or over) the data folder."""
        if Path(path).suffix.lower() == ".zip":
            dest = self.output_guard.check(path, what="export file", new_folders=True)
        else:
            dest = self.output_guard.check_folder(path, what="export folder")
        with self._read() as session:
            counts = exporter.export_package(session, dest)
        return ExportSummary(path=str(path), counts=counts)


_KIND_OF_TABLE = {
    "organization": "organisation",
    "location": "location",
    "service": "service",
    "service_area": "service_area",
}


def _report(plan: importer.ImportPlan, dry_run: bool) -> ImportReport:
    def issue(i: importer.Issue) -> ImportIssue:
        return ImportIssue(i.table, i.file, i.row, i.record_id, i.message)

    counts = {k: {**v, "rejected": 0} for k, v in plan.counts.items()}
    for table, rejected in plan.rejected_by_table.items():
        kind = _KIND_OF_TABLE.get(table)
        if kind in counts:
            counts[kind]["rejected"] += rejected
    return ImportReport(
        dry_run=dry_run,
        applied=not dry_run,
        counts=counts,
        rejected=tuple(issue(i) for i in plan.rejected),
        warnings=tuple(issue(i) for i in plan.warnings),
        notes=tuple(plan.notes),
        changes=tuple(
            ImportChange(c.kind, c.action, c.hsds_id, c.name, c.fields) for c in plan.changes
        ),
        rejected_total=plan.rejected_total,
        warnings_total=plan.warnings_total,
        changes_total=plan.changes_total,
        cleaned_cells=plan.cleaned_cells,
        form=plan.form,
        rejected_by_table=dict(plan.rejected_by_table),
    )
