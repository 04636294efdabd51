"""Reading referrals, their history and what My day shows about them.

Normal reads see live rows only (`store.soft_delete`). Records a referral points at (its
service, organisation, person, the officers in its history) are looked up by id whatever
their state (`rows_by_id`), as `Session.get` does: a referral outlives the directory entry of
its service.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from referral_desk.store.models import (
    FollowUp,
    Need,
    Person,
    Referral,
    ReferralStatusChange,
    Service,
)
from referral_desk.store.soft_delete import INCLUDE_DELETED


def referrals(session: Session, person_id: str | None = None) -> list[Referral]:
    """Live referrals by date made and reference; all or one person's."""
    stmt = select(Referral)
    if person_id:
        stmt = stmt.where(Referral.person_id == person_id)
    return list(session.scalars(stmt.order_by(Referral.made_on, Referral.reference)))


def open_referrals(
    session: Session, person_id: str, states: Iterable[str], service_id: str | None = None
) -> list[Referral]:
    """The person's live referrals in one of `states` (to one service if given)."""
    stmt = select(Referral).where(Referral.person_id == person_id, Referral.status.in_(states))
    if service_id is not None:
        stmt = stmt.where(Referral.service_id == service_id)
    return list(session.scalars(stmt))


def status_history(session: Session, referral_id: str) -> list[ReferralStatusChange]:
    """A referral's status changes, oldest first."""
    stmt = (
        select(ReferralStatusChange)
        .where(ReferralStatusChange.referral_id == referral_id)
        .order_by(ReferralStatusChange.at, ReferralStatusChange.id)
    )
    return list(session.scalars(stmt))


def reference_taken(session: Session, reference: str) -> bool:
    """Whether any referral, deleted ones included, has this reference (never reused)."""
    stmt = select(Referral.id).where(Referral.reference == reference)
    return session.scalar(stmt, execution_options=INCLUDE_DELETED) is not None


def pending_follow_ups(
    session: Session,
    *,
    referral_id: str | None = None,
    person_id: str | None = None,
    kinds: Collection[str] = (),
    except_kind: str | None = None,
) -> list[FollowUp]:
    """Live follow-ups not yet done, of a referral or of a person, of `kinds` if given."""
    stmt = select(FollowUp).where(FollowUp.done_on.is_(None))
    if referral_id is not None:
        stmt = stmt.where(FollowUp.referral_id == referral_id)
    if person_id is not None:
        stmt = stmt.where(FollowUp.person_id == person_id)
    if except_kind is not None:
        stmt = stmt.where(FollowUp.kind != except_kind)
    if kinds:
        stmt = stmt.where(FollowUp.kind.in_(kinds))
    return list(session.scalars(stmt))


def open_follow_ups_due_by(
    session: Session, last_day: date, officer_id: str | None = None
) -> list[FollowUp]:
    """Live follow-ups not done and due on or before `last_day`, by due date."""
    stmt = select(FollowUp).where(FollowUp.done_on.is_(None), FollowUp.due_on <= last_day)
    if officer_id:
        stmt = stmt.where(FollowUp.officer_id == officer_id)
    return list(session.scalars(stmt.order_by(FollowUp.due_on)))


def people_released_between(
    session: Session,
    first: date,
    last: date,
    active_need_states: Collection[str],
    officer_id: str | None = None,
) -> list[Person]:
    """Open cases expected out between `first` and `last` with a need still being worked on,
    by release date."""
    has_need = exists().where(
        and_(Need.person_id == Person.id, Need.status.in_(active_need_states))
    )
    stmt = select(Person).where(
        Person.closed_on.is_(None),
        Person.expected_release_date >= first,
        Person.expected_release_date <= last,
        has_need,
    )
    if officer_id:
        stmt = stmt.where(Person.owner_officer_id == officer_id)
    return list(session.scalars(stmt.order_by(Person.expected_release_date)))


def referrals_waiting(
    session: Session, states: Collection[str], officer_id: str | None = None
) -> list[tuple[Referral, int | None]]:
    """Live referrals in `states` with their service's response days (the service may have
    left the directory since: the referral still waits)."""
    stmt = (
        select(Referral, Service.response_days)
        .join(Service, Service.id == Referral.service_id)
        .where(Referral.deleted_at.is_(None), Referral.status.in_(states))
    )
    if officer_id:
        stmt = stmt.where(Referral.made_by_officer_id == officer_id)
    return [(ref, days) for ref, days in session.execute(stmt, execution_options=INCLUDE_DELETED)]


def last_change_at(session: Session, column: Any, key_column: Any, key: str) -> datetime | None:
    """The latest `column` among history rows whose `key_column` is `key` (deleted rows
    count: history is ordered by time, and a new change must sort after every earlier one)."""
    stmt = select(func.max(column)).where(key_column == key)
    return session.scalar(stmt, execution_options=INCLUDE_DELETED)


def by_reference(session: Session, reference: str) -> Referral | None:
    """The live referral with this short reference (e.g. K7M-3QH), or None."""
    return session.scalar(select(Referral).where(Referral.reference == reference))


def first_sent_at(session: Session, referral_id: str) -> datetime | None:
    """When the referral was (first found) sent, from its history."""
    stmt = select(ReferralStatusChange.at).where(
        ReferralStatusChange.referral_id == referral_id, ReferralStatusChange.to_status == "sent"
    )
    return session.scalar(stmt)


def sent_references(session: Session) -> list[tuple[str, datetime]]:
    """(reference, when sent) of every live referral's "sent" changes, by reference."""
    stmt = (
        select(Referral.reference, ReferralStatusChange.at)
        .join(ReferralStatusChange, ReferralStatusChange.referral_id == Referral.id)
        .where(ReferralStatusChange.to_status == "sent")
        .order_by(Referral.reference)
    )
    return [(ref, at) for ref, at in session.execute(stmt)]
