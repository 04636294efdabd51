"""Reading the access log (`store.access_models`). Live rows only (`store.soft_delete`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.store.access_models import RecordAccess


def accessed_since(
    session: Session, person_id: str, officer_id: str | None, kind: str, since: datetime
) -> bool:
    """Has this officer (None: no officer) noted this kind of access to the person after
    `since`?"""
    officer = (
        RecordAccess.officer_id == officer_id if officer_id else RecordAccess.officer_id.is_(None)
    )
    stmt = select(RecordAccess.id).where(
        RecordAccess.person_id == person_id,
        officer,
        RecordAccess.kind == kind,
        RecordAccess.at > since,
    )
    return session.scalar(stmt.limit(1)) is not None


def accesses_to(session: Session, person_id: str) -> list[RecordAccess]:
    """Every noted access to the person, newest first."""
    stmt = select(RecordAccess).where(RecordAccess.person_id == person_id)
    return list(session.scalars(stmt.order_by(RecordAccess.at.desc(), RecordAccess.id)))
