"""Reading follow-ups and the names they show (My day, the person view, the calendar).

Normal reads see live rows only (`store.soft_delete`). Names and references of the records a
follow-up points at are looked up by id whatever their state, as `Session.get` does: a
follow-up may outlive the directory entry of its referral's service.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from referral_desk.store.models import FollowUp, Person, Referral, Service
from referral_desk.store.soft_delete import INCLUDE_DELETED


def person_names(session: Session, ids: Collection[str]) -> dict[str, str]:
    """ "Given Family" of each person among `ids`."""
    stmt = select(Person.id, Person.given_name, Person.family_name).where(Person.id.in_(ids))
    return {
        pid: f"{given} {family}".strip()
        for pid, given, family in session.execute(stmt, execution_options=INCLUDE_DELETED)
    }


def referral_references(session: Session, ids: Collection[str]) -> dict[str, Any]:
    """Rows (id, reference, service_id) of the referrals among `ids`, by id."""
    stmt = select(Referral.id, Referral.reference, Referral.service_id).where(Referral.id.in_(ids))
    return {row.id: row for row in session.execute(stmt, execution_options=INCLUDE_DELETED)}


def service_names(session: Session, ids: Collection[str]) -> dict[str, str]:
    stmt = select(Service.id, Service.name).where(Service.id.in_(ids))
    return {sid: name for sid, name in session.execute(stmt, execution_options=INCLUDE_DELETED)}


def follow_ups(
    session: Session,
    *,
    include_done: bool = False,
    due_by: date | None = None,
    officer_id: str | None = None,
    person_id: str | None = None,
) -> list[FollowUp]:
    """Live follow-ups by due date, open ones only unless `include_done`."""
    stmt = select(FollowUp)
    if not include_done:
        stmt = stmt.where(FollowUp.done_on.is_(None))
    if due_by is not None:
        stmt = stmt.where(FollowUp.due_on <= due_by)
    if officer_id:
        stmt = stmt.where(FollowUp.officer_id == officer_id)
    if person_id:
        stmt = stmt.where(FollowUp.person_id == person_id)
    return list(session.scalars(stmt.order_by(FollowUp.due_on, FollowUp.kind)))


def calendar_follow_ups(session: Session, since: date, officer_id: str | None) -> list[FollowUp]:
    """What a calendar file holds: open follow-ups, and every one (done or deleted) due on or
    after `since`, so a calendar app sees them cancelled rather than forgotten."""
    stmt = select(FollowUp).where(
        or_(
            FollowUp.deleted_at.is_(None) & FollowUp.done_on.is_(None),
            FollowUp.due_on >= since,
        )
    )
    if officer_id:
        stmt = stmt.where(FollowUp.officer_id == officer_id)
    stmt = stmt.order_by(FollowUp.due_on, FollowUp.id)
    return list(session.scalars(stmt, execution_options=INCLUDE_DELETED))
