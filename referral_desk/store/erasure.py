"""Erasing rows outside the unit of work, and the one-time repair of what older versions missed.

`erase_rows` does to rows what a local delete does (personal fields blank, `deleted_at` set)
with Core statements: sync's merge uses it for records that belong to a deleted owner.

Versions before the ownership graph (`store.ownership`) did not erase a record a colleague made
for a person while that person was being deleted elsewhere: such needs, referrals and notes
stayed live, text and all, on every site. Migration 0006 leaves a note (`REPAIR_KEY` in
`local_setting`); the next open runs `erase_orphans` once: every live record that belongs to a
deleted one is erased, its tombstone logged as this site's change (so it travels), and the old
values scrubbed from the change log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.store.changelog import log_tombstones
from referral_desk.store.changelog_values import materialize
from referral_desk.store.ownership import owner_links
from referral_desk.store.sync_models import (
    SyncPending,
    blank_value,
    scrub_erased_entries,
    synced_models,
)

REPAIR_KEY = "erasure_repair_due"
CHUNK = 500


def erase_rows(session: Session, table: str, ids: Iterable[str], when: datetime) -> None:
    """Blank the personal fields of these rows and set `deleted_at` (and the local
    `updated_at`) to `when`. Logging the tombstones and scrubbing are the caller's."""
    model = synced_models()[table]
    t = model.__table__
    values: dict[str, Any] = {"deleted_at": when, "updated_at": when}
    values.update({f: blank_value(model, f) for f in model.__personal__})
    ordered = sorted(set(ids))
    # Entries reading `deleted_at` from these rows keep the value they logged. Personal fields
    # need no copy: an erased record's entries are blanked too (`scrub_erased_entries`).
    materialize(session, table, {rid: ("deleted_at",) for rid in ordered})
    for i in range(0, len(ordered), CHUNK):
        session.execute(t.update().where(t.c.id.in_(ordered[i : i + CHUNK])).values(values))


def erase_orphans(session: Session, when: datetime) -> dict[str, int]:
    """Erase every live record that belongs to a deleted one, down the whole graph; returns
    how many per table. Scans each owner table once per link: for a one-time repair only."""
    erased: dict[str, set[str]] = defaultdict(set)
    conn = session.connection()
    for link in owner_links():  # dependents' tables parents-first: chains resolve in one pass
        rows = conn.exec_driver_sql(
            f'SELECT c.id FROM "{link.owner}" o CROSS JOIN "{link.table}" c '
            f'ON c."{link.column}" = o.id WHERE o.deleted_at IS NOT NULL '
            "AND c.deleted_at IS NULL"
        )
        ids = {r[0] for r in rows} - erased[link.table]
        if ids:
            erase_rows(session, link.table, ids, when)
            erased[link.table].update(ids)
    records = [(table, rid) for table, ids in erased.items() for rid in sorted(ids)]
    log_tombstones(session, records, when, reason="erased with the record it belongs to")
    for table, ids in erased.items():
        scrub_erased_entries(session, table, sorted(ids))
    return {table: len(ids) for table, ids in erased.items()}


__all__ = ["REPAIR_KEY", "erase_orphans", "erase_rows"]


def records_waiting_for_a_parent(session: Session) -> list[tuple[str, str]]:
    """(table, record id) of every record known here that still waits for its parent."""
    stmt = select(SyncPending.table_name, SyncPending.record_id)
    return [(table, record) for table, record in session.execute(stmt)]
