"""Look-ups shared by several use cases (resolve ids, parse user-typed values)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_desk.domain.dates import parse_typed_date
from referral_desk.domain.errors import NotFound, ValidationError
from referral_desk.domain.identifiers import looks_like_reference, normalise_reference
from referral_desk.store.models import Referral, SyncedBase

T = TypeVar("T", bound=SyncedBase)


def parse_date(text: str | date | None, what: str) -> date | None:
    """A date given as a date, or typed any way `domain.dates` accepts (2026-12-31,
    31/12/2026, 31 Dec 2026…); None when empty."""
    if text is None or isinstance(text, date):
        return text
    return parse_typed_date(text, what)


def parse_datetime(text: str | datetime | None, what: str) -> datetime | None:
    if text is None or isinstance(text, datetime):
        return text
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{what} must be written YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None


def after_last(session: Session, column: Any, key_column: Any, key: str, now: datetime) -> datetime:
    """A history timestamp strictly after the record's previous change.

    History is ordered by time; two changes in one action (draft then sent) or a coarse system
    clock must still sort in the order they were made.
    """
    last = session.scalar(select(func.max(column)).where(key_column == key))
    if last is not None and now <= last:
        return last + timedelta(microseconds=1)
    return now


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def get_live(session: Session, model: type[T], record_id: str, what: str) -> T:
    """A record that exists and is not deleted; NotFound names the kind, never the value."""
    obj = (
        session.get(model, record_id.strip()) if record_id and _is_uuid(record_id.strip()) else None
    )
    if obj is None or obj.deleted_at is not None:
        raise NotFound(f"No {what} with that id.")
    return obj


def get_referral(session: Session, ref_or_id: str) -> Referral:
    """Referrals are named by UUID or by their short reference (e.g. K7M-3QH)."""
    text = (ref_or_id or "").strip()
    if _is_uuid(text):
        return get_live(session, Referral, text, "referral")
    if looks_like_reference(text):
        ref = normalise_reference(text)
        obj = session.scalar(select(Referral).where(Referral.reference == ref))
        if obj is not None and obj.deleted_at is None:
            return obj
    raise NotFound("No referral with that reference or id.")


def erase(session: Session, rows: list[SyncedBase], when: datetime) -> None:
    """Delete records as tombstones: personal fields blanked now, in the change log too.

    The blanks travel by sync so erasure really erases everywhere; scrubbing this machine's
    change log means the old values are not kept (or relayed) here either.
    """
    from referral_desk.store.changelog import blank_personal_fields
    from referral_desk.store.sync_models import scrub_erased_entries

    for row in rows:
        blank_personal_fields(row)
        row.deleted_at = when
    session.flush()
    by_table: dict[str, list[str]] = {}
    for row in rows:
        by_table.setdefault(type(row).__tablename__, []).append(row.id)
    for table, ids in by_table.items():
        scrub_erased_entries(session, table, ids)
