"""The directory keeper's reads and row writes, for the use cases in `usecases.directory_*`.

The use cases keep the transaction (they open it, check the role, validate); the SQL lives
here, so a change of table or index is made in one place and the services hold no queries.
Every function takes the caller's session and never commits.

Soft delete: rows are marked `deleted_at`, never removed, so the change log carries the
deletion to every site. Reads here see live rows only, except `service_category_rows`, which
revives a category ticked again instead of adding a second row for the same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_desk.store.changelog import utcnow
from referral_desk.store.directory_models import DirectoryCorrection
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

CHUNK = 500  # ids per IN (...) list: well under SQLite's bound-parameter limit

# --- editors ----------------------------------------------------------------------------------


def live_service_count(
    session: Session, *, organisation_id: str | None = None, location_id: str | None = None
) -> int:
    """Live services of an organisation or at a location (what stops deleting it)."""
    stmt = select(func.count()).select_from(Service).where(Service.deleted_at.is_(None))
    if organisation_id is not None:
        stmt = stmt.where(Service.organisation_id == organisation_id)
    if location_id is not None:
        stmt = stmt.where(Service.location_id == location_id)
    return int(session.scalar(stmt) or 0)


def live_referral_count(session: Session, service_id: str) -> int:
    """Live referrals to a service (a service with any is never deleted)."""
    stmt = select(func.count()).where(
        Referral.service_id == service_id, Referral.deleted_at.is_(None)
    )
    return int(session.scalar(stmt) or 0)


def live_locations(session: Session, organisation_id: str | None = None) -> list[Location]:
    """Live locations (of one organisation, or all), by name."""
    stmt = select(Location).where(Location.deleted_at.is_(None))
    if organisation_id is not None:
        stmt = stmt.where(Location.organisation_id == organisation_id)
    return list(session.scalars(stmt.order_by(func.lower(Location.name), Location.id)))


def soft_delete_organisation(session: Session, organisation: Organisation) -> None:
    """Mark an organisation and its locations deleted (the caller checked it has no services)."""
    now = utcnow()
    for location in live_locations(session, organisation.id):
        location.deleted_at = now
    organisation.deleted_at = now


def soft_delete_service(session: Session, service: Service) -> None:
    """Mark a service and its categories and areas deleted (the caller checked no referrals)."""
    now = utcnow()
    for model in (ServiceCategory, ServiceArea):
        for row in session.scalars(
            select(model).where(model.service_id == service.id, model.deleted_at.is_(None))
        ):
            row.deleted_at = now
    service.deleted_at = now


def service_category_rows(session: Session, service_id: str) -> list[ServiceCategory]:
    """Every category row of a service, deleted ones too (to revive rather than duplicate)."""
    stmt = (
        select(ServiceCategory)
        .where(ServiceCategory.service_id == service_id)
        .execution_options(include_deleted=True)
    )
    return list(session.scalars(stmt))


def replace_service_categories(session: Session, service_id: str, codes: list[str]) -> None:
    """Make the service's live categories exactly `codes` (validated by the caller)."""
    now = utcnow()
    by_code: dict[str, ServiceCategory] = {}
    for row in service_category_rows(session, service_id):
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


def replace_service_areas(session: Session, service_id: str, names: list[str]) -> None:
    """Make the service's live areas exactly `names` ("Leeds" and "leeds" are one area)."""
    rows = list(
        session.scalars(
            select(ServiceArea).where(
                ServiceArea.service_id == service_id, ServiceArea.deleted_at.is_(None)
            )
        )
    )
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.casefold(), name)
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


# --- freshness --------------------------------------------------------------------------------


def stale_services(
    session: Session, cutoff: date, *, left_out: Iterable[str]
) -> list[tuple[Service, str]]:
    """Live services last verified on or before `cutoff`, or never (those first), with their
    organisation's name; statuses in `left_out` (defunct) are not listed."""
    stmt = (
        select(Service, func.coalesce(Organisation.name, ""))
        .outerjoin(Organisation, Organisation.id == Service.organisation_id)
        .where(
            Service.deleted_at.is_(None),
            Service.status.not_in(list(left_out)),
            (Service.assured_date.is_(None)) | (Service.assured_date <= cutoff),
        )
        .order_by(Service.assured_date.is_not(None), Service.assured_date, func.lower(Service.name))
    )
    return [(service, org_name) for service, org_name in session.execute(stmt)]


def declines_by_service(
    session: Session, since: datetime, reasons: Sequence[str]
) -> list[tuple[str, str, int, datetime | None]]:
    """(service id, reason, how many, latest) of live referrals declined since `since` for one
    of `reasons`."""
    rsc = ReferralStatusChange
    stmt = (
        select(Referral.service_id, rsc.reason_code, func.count(), func.max(rsc.at))
        .join(Referral, Referral.id == rsc.referral_id)
        .where(
            rsc.to_status == "declined",
            rsc.reason_code.in_(list(reasons)),
            rsc.deleted_at.is_(None),
            Referral.deleted_at.is_(None),
            rsc.at >= since,
        )
        .group_by(Referral.service_id, rsc.reason_code)
    )
    return [(sid, reason, int(count), last) for sid, reason, count, last in session.execute(stmt)]


def service_names(session: Session, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(service name, organisation name) of the live services among `ids`."""
    out: dict[str, tuple[str, str]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        stmt = (
            select(Service.id, Service.name, func.coalesce(Organisation.name, ""))
            .outerjoin(Organisation, Organisation.id == Service.organisation_id)
            .where(Service.id.in_(chunk), Service.deleted_at.is_(None))
        )
        for sid, name, org in session.execute(stmt):
            out[sid] = (name, org)
    return out


# --- corrections ------------------------------------------------------------------------------


def correction_ids(session: Session, status: str | None = None) -> list[str]:
    """Ids of live corrections (in one status, or all)."""
    stmt = select(DirectoryCorrection.id).where(DirectoryCorrection.deleted_at.is_(None))
    if status is not None:
        stmt = stmt.where(DirectoryCorrection.status == status)
    return list(session.scalars(stmt))


def corrections_with_names(
    session: Session, ids: Sequence[str]
) -> list[tuple[DirectoryCorrection, str, str, str, str]]:
    """(correction, service name, organisation name, reporter's name, resolver's name), oldest
    report first; names are "" when the record is gone or not yet synced here."""
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
        .where(DirectoryCorrection.id.in_(list(ids)))
        .order_by(DirectoryCorrection.reported_on, DirectoryCorrection.created_at)
    )
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]


def officer_name(session: Session, officer_id: str | None) -> str:
    """The name in an officer's profile ("" when there is none)."""
    officer = session.get(Officer, officer_id) if officer_id else None
    return (officer.name or "") if officer is not None else ""


__all__ = [
    "correction_ids",
    "corrections_with_names",
    "declines_by_service",
    "live_locations",
    "live_referral_count",
    "live_service_count",
    "officer_name",
    "replace_service_areas",
    "replace_service_categories",
    "service_category_rows",
    "service_names",
    "soft_delete_organisation",
    "soft_delete_service",
    "stale_services",
]
