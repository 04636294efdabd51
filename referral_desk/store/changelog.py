"""Capture every write to a synced table as change-log entries, in the same transaction.

A `before_flush` listener turns new and modified `SyncedBase` objects into change entries (one
per changed field, stamped with this site's hybrid logical clock and next sequence number; the
fields of one record write get consecutive seqs and stamps, so they are stored as one
`change_write` row, `store.changelog_rows`) and `AuditEntry` rows. Doing it at flush time means
no write path — form, CLI, directory import — can forget to log. Sync import sets
`session.info["applying_sync"]` so that applying other sites' entries does not mint new local
ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from referral_desk.domain.hlc import HybridClock
from referral_desk.store.changelog_rows import LogNames, insert_entries
from referral_desk.store.changelog_sites import hold_runs
from referral_desk.store.changelog_values import materialize
from referral_desk.store.models import AuditEntry, SiteState, SyncedBase
from referral_desk.store.value_text import encode_value

# Never logged: identity and local bookkeeping.
_UNLOGGED = frozenset({"id", "updated_at"})


def utcnow() -> datetime:
    """Naive UTC, as stored in every DateTime column."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class WriteContext:
    """Who is writing and why; stored in `session.info["write_context"]` by the unit of work."""

    officer_id: str | None = None
    reason: str = ""


def logged_columns(model: type[SyncedBase]) -> list[str]:
    cols = [c.key for c in inspect(model).column_attrs]
    return [c for c in cols if c not in _UNLOGGED and c not in model.__local__]


class _Sequencer:
    """Hands out (seq, hlc) for one flush and writes the counters back to `site_state`."""

    def __init__(self, session: Session) -> None:
        with session.no_autoflush:
            state = session.get(SiteState, 1)
        if state is None:
            raise RuntimeError("site_state row missing: database was not initialised")
        self.state = state
        self.clock = HybridClock(last=state.hlc)

    def take(self, n: int) -> tuple[int, int]:
        """First (seq, hlc) of `n` consecutive ones: one record write's fields."""
        seq = self.state.next_seq
        self.state.next_seq = seq + n
        hlc = self.clock.tick_run(n)
        self.state.hlc = self.clock.last
        return seq, hlc

    @property
    def site_id(self) -> str:
        return self.state.site_id


def _changed_fields(obj: SyncedBase, is_new: bool) -> Iterator[str]:
    state = inspect(obj)
    for name in logged_columns(type(obj)):
        if is_new or state.attrs[name].history.has_changes():
            yield name


def _before_flush(session: Session, _ctx: Any, _instances: Iterable[Any] | None) -> None:
    if session.info.get("applying_sync"):
        return
    touched = [(o, True) for o in session.new if isinstance(o, SyncedBase)]
    touched += [
        (o, False)
        for o in session.dirty
        if isinstance(o, SyncedBase) and session.is_modified(o, include_collections=False)
    ]
    if not touched:
        return
    seqr = _Sequencer(session)
    first = seqr.state.next_seq
    ctx: WriteContext = session.info.get("write_context") or WriteContext()
    now = utcnow()
    entries: list[tuple[Any, ...]] = []
    changed: dict[str, dict[str, list[str]]] = {}
    for obj, is_new in touched:
        if is_new:
            if obj.id is None:
                from referral_desk.store.models import new_id

                obj.id = new_id()
            obj.created_at = obj.created_at or now
            obj.site_id = obj.site_id or seqr.site_id
            _fill_defaults(obj)
        obj.updated_at = now
        fields = list(_changed_fields(obj, is_new))
        if not fields:
            continue
        tombstone = not is_new and "deleted_at" in fields and obj.deleted_at is not None
        table = type(obj).__tablename__
        seq, hlc = seqr.take(len(fields))
        site = seqr.site_id
        if not is_new:
            changed.setdefault(table, {})[obj.id] = fields
        # Values None: the row will hold them (`store.changelog_values`).
        entries.extend(
            (
                site,
                seq + k,
                table,
                obj.id,
                name,
                None,
                hlc + k,
                1 if tombstone and name == "deleted_at" else 0,
            )
            for k, name in enumerate(fields)
        )
        session.add(
            AuditEntry(
                at=now,
                site_id=seqr.site_id,
                officer_id=ctx.officer_id,
                action="delete" if tombstone else ("create" if is_new else "update"),
                table_name=table,
                record_id=obj.id,
                fields=",".join(sorted(fields)),
                reason=ctx.reason,
            )
        )
    conn = session.connection()
    for table, records in changed.items():  # older entries reading these values keep them
        materialize(conn, table, records)
    if entries:
        insert_entries(conn, entries)
    if seqr.state.next_seq > first:
        hold_runs(session, {seqr.site_id: [[first, seqr.state.next_seq - 1]]})


def _fill_defaults(obj: SyncedBase) -> None:
    """Apply Python-side column defaults now, so the change log records real values."""
    for col in inspect(type(obj)).columns:
        if getattr(obj, col.key) is None and col.default is not None and not col.primary_key:
            arg = col.default.arg
            if callable(arg):
                try:
                    value = arg(None)
                except TypeError:
                    value = arg()
            else:
                value = arg
            setattr(obj, col.key, value)


def install(session_factory: Any) -> None:
    """Attach the change-log listener to a sessionmaker, and chain the audit entries each
    write transaction made when it commits (`store.audit_chain`)."""
    from referral_desk.store import audit_chain

    event.listen(session_factory, "before_flush", _before_flush)
    audit_chain.install(session_factory)


def log_tombstones(
    session: Session,
    records: Sequence[tuple[str, str]],
    when: datetime,
    *,
    reason: str,
    officer_id: str | None = None,
    after_hlc: int = 0,
    now_ms: Callable[[], int] | None = None,
) -> int:
    """Log the deletion of records the unit of work does not hold: rows sync's erasure cascade
    wrote with Core, and records that have no row yet (they wait for a parent).

    One `deleted_at` entry each, under this site's next seqs and stamps later than `after_hlc`
    (the newest stamp the site has just seen), plus an audit row; they travel like any local
    delete. The tombstone alone erases: every site blanks a deleted record's personal fields
    and scrubs their old values from its change log. Returns the number of entries.
    """
    if not records:
        return 0
    state = session.get(SiteState, 1)
    if state is None:
        raise RuntimeError("site_state row missing: database was not initialised")
    clock = HybridClock(last=state.hlc, now_ms=now_ms) if now_ms else HybridClock(last=state.hlc)
    if after_hlc > state.hlc:
        clock.receive(after_hlc)
    value = encode_value(when)
    seq = state.next_seq
    entries = []
    audit = []
    for table, rid in records:
        entries.append((state.site_id, seq, table, rid, "deleted_at", value, clock.tick(), 1))
        audit.append(
            {
                "at": when,
                "site_id": state.site_id,
                "officer_id": officer_id,
                "action": "delete",
                "table_name": table,
                "record_id": rid,
                "fields": "deleted_at",
                "reason": reason,
            }
        )
        seq += 1
    insert_entries(session, entries, LogNames(session))
    session.execute(AuditEntry.__table__.insert(), audit)
    hold_runs(session, {state.site_id: [[state.next_seq, seq - 1]]})
    state.next_seq = seq
    state.hlc = clock.last
    session.flush()
    return len(entries)


def blank_personal_fields(obj: SyncedBase) -> None:
    """Erase personal data on delete: the tombstone carries blanks, so erasure spreads by sync."""
    for col in inspect(type(obj)).columns:
        if col.key in type(obj).__personal__:
            setattr(obj, col.key, None if col.nullable else "")
