"""Reading people and their needs. Normal reads see live rows only (`store.soft_delete`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from referral_desk.store.models import Need, Person


def people(session: Session, owner_officer_id: str | None = None) -> list[Person]:
    """Live people by family then given name, all or one officer's caseload."""
    stmt = select(Person)
    if owner_officer_id:
        stmt = stmt.where(Person.owner_officer_id == owner_officer_id)
    return list(session.scalars(stmt.order_by(Person.family_name, Person.given_name)))


def possible_duplicates(
    session: Session,
    *,
    crn: str = "",
    nomis: str = "",
    date_of_birth: date | None = None,
    family_name: str = "",
) -> list[Person]:
    """Live people sharing any of these (family name ignoring case); [] when none is given.
    Only plausible rows are loaded: deciding which are probable is `domain`'s job."""
    conds = []
    if crn:
        conds.append(Person.crn == crn)
    if nomis:
        conds.append(Person.nomis == nomis)
    if date_of_birth:
        conds.append(Person.date_of_birth == date_of_birth)
    if family_name:
        conds.append(func.lower(Person.family_name) == family_name.lower())
    if not conds:
        return []
    return list(session.scalars(select(Person).where(or_(*conds))))


def needs(session: Session, person_id: str | None = None) -> list[Need]:
    """Live needs by person, priority and age; all or one person's."""
    stmt = select(Need)
    if person_id:
        stmt = stmt.where(Need.person_id == person_id)
    return list(session.scalars(stmt.order_by(Need.person_id, Need.priority, Need.created_at)))


def highest_need_priority(session: Session, person_id: str) -> int:
    """The largest priority number among the person's live needs (0 when none)."""
    stmt = select(func.max(Need.priority)).where(Need.person_id == person_id)
    return session.scalar(stmt) or 0


def people_closed_by(session: Session, latest: date) -> list[Person]:
    """Live people whose case closed on or before `latest`, oldest closure first."""
    stmt = select(Person).where(Person.closed_on.is_not(None), Person.closed_on <= latest)
    return list(session.scalars(stmt.order_by(Person.closed_on, Person.id)))
