"""Look-ups shared by several use cases (resolve ids, parse user-typed values)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from referral_desk.domain.dates import parse_typed_date
from referral_desk.domain.errors import NotFound, ValidationError
from referral_desk.domain.identifiers import looks_like_reference, normalise_reference
from referral_desk.store.changelog import blank_personal_fields, log_tombstones
from referral_desk.store.erasure import records_waiting_for_a_parent
from referral_desk.store.models import Referral, SyncedBase
from referral_desk.store.ownership import live_dependents, tombstoned, waiting_dependents
from referral_desk.store.referral_queries import by_reference, last_change_at
from referral_desk.store.soft_delete import rows_by_id
from referral_desk.store.sync_models import scrub_erased_entries, synced_models
from referral_desk.usecases.base import Session

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
    last = last_change_at(session, column, key_column, key)
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
        obj = by_reference(session, ref)
        if obj is not None:
            return obj
    raise NotFound("No referral with that reference or id.")


def live_referral_of(session: Session, person_id: str, referral_id: str | None) -> str | None:
    """The id of a live referral of this person, for a note or follow-up about it; None stays
    None. Nothing may be attached to a deleted referral: it would outlive its erasure."""
    if not referral_id:
        return None
    ref = get_live(session, Referral, referral_id, "referral")
    if ref.person_id != person_id:
        raise ValidationError("That referral is not this person's.")
    return ref.id


def erase(session: Session, rows: list[SyncedBase], when: datetime) -> None:
    """Delete records as tombstones, with everything that belongs to them (`store.ownership`:
    a person's needs, referrals, their histories, follow-ups and notes), personal fields
    blanked now, in the change log too.

    The blanks travel by sync so erasure really erases everywhere; scrubbing this machine's
    change log means the old values are not kept (or relayed) here either. Records of theirs
    that are known here but still wait for another parent (sync_pending) get a tombstone too,
    so their text is scrubbed now and they arrive deleted.
    """
    roots: dict[type[SyncedBase], list[str]] = defaultdict(list)
    for row in rows:
        roots[type(row)].append(row.id)
    targets: dict[str, SyncedBase] = {f"{type(r).__tablename__}:{r.id}": r for r in rows}
    models = synced_models()
    for model, ids in roots.items():
        for table, dep_ids in live_dependents(session, model.__tablename__, ids).items():
            dep_model = models[table]
            for start in range(0, len(dep_ids), 500):
                chunk = dep_ids[start : start + 500]
                for obj in rows_by_id(session, dep_model, chunk).values():
                    targets.setdefault(f"{table}:{obj.id}", obj)
    for row in targets.values():
        blank_personal_fields(row)
        row.deleted_at = when
    session.flush()
    by_table: dict[str, list[str]] = defaultdict(list)
    for row in targets.values():
        by_table[type(row).__tablename__].append(row.id)
    waiting = records_waiting_for_a_parent(session)
    if waiting:
        found = waiting_dependents(session, [(t, r) for t, r in waiting], by_table)
        fresh = []
        for table, ids in found.items():
            done = tombstoned(session, table, ids)
            fresh.extend((table, rid) for rid in sorted(ids) if rid not in done)
            by_table[table].extend(ids)
        log_tombstones(
            session,
            fresh,
            when,
            reason="erased with the record it belongs to",
            officer_id=session.info.get("officer_id"),
        )
    for table, ids in by_table.items():
        scrub_erased_entries(session, table, ids)
