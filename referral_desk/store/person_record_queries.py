"""Everything held about one person, for the person view and the subject access export.

Normal reads see live rows only (`store.soft_delete`). The names shown beside them (services,
organisations, officers) are looked up whatever their state: a referral outlives the directory
entry of its service, and a history line the officer who left the team. Orders are total (a
tie-break on id) so the same record always reads the same way.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.store.models import (
    CaseNote,
    FollowUp,
    Need,
    NeedStatusChange,
    Officer,
    Organisation,
    Referral,
    ReferralStatusChange,
    Service,
)
from referral_desk.store.soft_delete import INCLUDE_DELETED


def needs_of(session: Session, person_id: str) -> list[Need]:
    stmt = select(Need).where(Need.person_id == person_id)
    return list(session.scalars(stmt.order_by(Need.priority, Need.created_at)))


def referrals_of(session: Session, person_id: str, *, newest_first: bool) -> list[Referral]:
    made_on = Referral.made_on.desc() if newest_first else Referral.made_on
    stmt = select(Referral).where(Referral.person_id == person_id)
    return list(session.scalars(stmt.order_by(made_on, Referral.reference)))


def follow_ups_of(session: Session, person_id: str) -> list[FollowUp]:
    stmt = select(FollowUp).where(FollowUp.person_id == person_id)
    return list(session.scalars(stmt.order_by(FollowUp.due_on, FollowUp.id)))


def case_notes_of(session: Session, person_id: str) -> list[CaseNote]:
    stmt = select(CaseNote).where(CaseNote.person_id == person_id)
    return list(session.scalars(stmt.order_by(CaseNote.at, CaseNote.id)))


def referral_history(session: Session, referral_ids: Collection[str]) -> list[ReferralStatusChange]:
    stmt = select(ReferralStatusChange).where(ReferralStatusChange.referral_id.in_(referral_ids))
    return list(session.scalars(stmt.order_by(ReferralStatusChange.at, ReferralStatusChange.id)))


def need_history(session: Session, need_ids: Collection[str]) -> list[NeedStatusChange]:
    stmt = select(NeedStatusChange).where(NeedStatusChange.need_id.in_(need_ids))
    return list(session.scalars(stmt.order_by(NeedStatusChange.at, NeedStatusChange.id)))


def officer_names(session: Session) -> dict[str, str]:
    """Every officer's name by id, including officers no longer in the team."""
    rows = session.execute(select(Officer.id, Officer.name), execution_options=INCLUDE_DELETED)
    return {oid: name for oid, name in rows}


def service_summaries(session: Session, ids: Collection[str]) -> dict[str, Any]:
    """Rows (id, name, organisation_id) of these services, by id. Names only: whole rows would
    decode every JSON column of every service."""
    stmt = select(Service.id, Service.name, Service.organisation_id).where(Service.id.in_(ids))
    return {row.id: row for row in session.execute(stmt, execution_options=INCLUDE_DELETED)}


def organisation_names(session: Session, ids: Collection[str]) -> dict[str, str]:
    stmt = select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    return {oid: name for oid, name in session.execute(stmt, execution_options=INCLUDE_DELETED)}
