"""Plain data the directory keeper's use cases return (to the client, the CLI and scripts).

Frozen dataclasses with `to_dict()` (`usecases.dto.Record`), so the CLI prints them as JSON and
the client shows them without touching a database row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from referral_desk.domain.errors import ValidationError
from referral_desk.usecases.dto import Record


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
