"""Fast inserts of many records, still logged for sync (demo data, directory imports).

The ORM's unit of work costs tens of microseconds per object and the `before_flush` change-log
listener adds one ORM object per field, which is far too slow for 20 000 services or 50 000
referrals. `BulkLoader` writes the same rows with Core `executemany`, and writes the same
`ChangeEntry` rows the listener would (one per logged column, `changelog.logged_columns`,
values encoded like `changelog.encode_value`), so bulk-loaded data syncs like any other.

Differences from the ORM path, on purpose:

- one `AuditEntry` per table per load ("bulk create", with the count), not one per record: an
  audit trail of 100 000 identical "created by the demo generator" rows tells nobody anything;
- hybrid-logical-clock stamps are handed out as if the clock were read once, at the first
  entry, and then ticked without re-reading the wall clock (the HLC counter, rolling into the
  next millisecond as `HybridClock` does on overflow). They are strictly increasing, greater
  than anything this site issued or received before, and a later ordinary write still ticks
  past them, which is all that sync's last-writer-wins needs;
- the service full-text index is maintained once, at the end: its triggers are dropped while
  services or their categories are inserted, then the index is rebuilt and the triggers put
  back, inside the caller's transaction.

The loader never commits. Use it inside one unit of work (`Database.write()`), as a context
manager, and let an exception propagate: the transaction is rolled back and nothing of the load
(rows, change entries, dropped triggers) remains.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Table, insert, inspect, select, update
from sqlalchemy.orm import Session

from referral_desk.domain.hlc import HybridClock
from referral_desk.store import changelog, fts
from referral_desk.store.models import (
    AuditEntry,
    ChangeEntry,
    Service,
    ServiceCategory,
    SiteState,
    SyncedBase,
)

__all__ = ["BulkLoader", "fast_encode"]

DEFAULT_CHUNK = 5000
# Inserting these fires the full-text triggers (store.fts) once per row.
_FTS_TABLES = frozenset({Service.__tablename__, ServiceCategory.__tablename__})
_BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "site_id"})

_encode_str: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]


def fast_encode(value: Any) -> str:
    """`changelog.encode_value`, with the common scalar types short-cut (same output).

    `json.dumps(s, ensure_ascii=False)` is exactly `encode_basestring(s)`; everything that is
    not a plain scalar (lists, dicts, floats) goes through `encode_value` itself.
    """
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is date or kind is datetime:
        return '"' + value.isoformat() + '"'
    return changelog.encode_value(value)


def _default_factory(column: Any) -> Callable[[], Any] | None:
    """The Python-side default of a column as a no-argument callable (like `_fill_defaults`)."""
    default = column.default
    if default is None:
        return None
    arg = default.arg
    if callable(arg):

        def call() -> Any:
            try:
                return arg(None)
            except TypeError:
                return arg()

        return call
    return lambda: arg


@dataclass(frozen=True)
class _Plan:
    """How to turn row mappings of one model into insert parameters and change entries."""

    table: Table
    keys: tuple[str, ...]
    keyset: frozenset[str]
    defaults: tuple[Callable[[], Any] | None, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    logged: tuple[tuple[int, str], ...]  # (position in keys, field name), changelog order
    id_position: int
    insert_sql: str


def _plan_for(model: type[SyncedBase], conn: Connection) -> _Plan:
    mapper = inspect(model)
    table = model.__table__
    keys: list[str] = []
    defaults: list[Callable[[], Any] | None] = []
    processors: list[Callable[[Any], Any] | None] = []
    names: list[str] = []
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        keys.append(attr.key)
        names.append(column.name)
        defaults.append(None if attr.key in _BOOKKEEPING else _default_factory(column))
        processors.append(column.type.bind_processor(conn.dialect))
    position = {key: i for i, key in enumerate(keys)}
    logged = tuple((position[name], name) for name in changelog.logged_columns(model))
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
    marks = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})"
    return _Plan(
        table=table,
        keys=tuple(keys),
        keyset=frozenset(keys),
        defaults=tuple(defaults),
        processors=tuple(processors),
        logged=logged,
        id_position=position["id"],
        insert_sql=sql,
    )


def _chunks(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


_CHANGE_SQL = (
    f"INSERT INTO {ChangeEntry.__tablename__}"
    " (site_id, seq, table_name, record_id, field, value, hlc, tombstone)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, 0)"
)


class BulkLoader:
    """Insert many new records of synced tables in the caller's transaction, logged for sync.

    `target` is the Session (from `Database.write()`) or Connection whose transaction the load
    joins. Rows are plain mappings of column name to Python value; missing columns get the same
    values the ORM path would give (a new UUID, naive-UTC timestamps, this site's id, the
    model's Python-side defaults). `__local__` columns (cached statuses) are stored but never
    logged. Use as a context manager, or call `finish()` after the last `add()`.
    """

    def __init__(
        self,
        target: Session | Connection,
        *,
        reason: str = "",
        officer_id: str | None = None,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> None:
        self._session: Session | None = None
        if isinstance(target, Session):
            target.flush()  # pending ORM writes take their change-log seqs first
            context = target.info.get("write_context")
            if officer_id is None and context is not None:
                officer_id = context.officer_id
            if not reason and context is not None:
                reason = context.reason
            self._session = target
            self._conn = target.connection()
        else:
            self._conn = target
        # Python's sqlite3 opens its implicit transaction only before DML, so touch site_state
        # first: the trigger DDL below must be inside the transaction, never auto-committed.
        touched = self._conn.execute(
            update(SiteState).where(SiteState.key == 1).values(next_seq=SiteState.next_seq)
        )
        state = self._conn.execute(
            select(SiteState.site_id, SiteState.next_seq, SiteState.hlc).where(SiteState.key == 1)
        ).one_or_none()
        if touched.rowcount != 1 or state is None:
            raise RuntimeError("site_state row missing: database was not initialised")
        self.site_id: str = state.site_id
        self._next_seq: int = state.next_seq
        self._clock = HybridClock(last=state.hlc)
        self._last_hlc: int | None = None
        self._officer_id = officer_id
        self._reason = reason
        self._chunk_size = chunk_size
        self._now = changelog.utcnow()
        self._plans: dict[type[SyncedBase], _Plan] = {}
        self._counts: dict[str, int] = {}
        self._fields: dict[str, tuple[str, ...]] = {}
        self._fts_suspended = False
        self._finished = False

    # --- public API -----------------------------------------------------------------------

    @property
    def counts(self) -> dict[str, int]:
        """Rows inserted so far, by table name."""
        return dict(self._counts)

    def add(self, model: type[SyncedBase], rows: Iterable[Mapping[str, Any]]) -> list[str]:
        """Insert new `model` records; returns their ids in the order given."""
        if self._finished:
            raise RuntimeError("BulkLoader.add called after finish()")
        plan = self._plans.get(model)
        if plan is None:
            plan = self._plans[model] = _plan_for(model, self._conn)
        if plan.table.name in _FTS_TABLES and not self._fts_suspended:
            fts.drop_triggers(self._conn)
            self._fts_suspended = True
        ids: list[str] = []
        for chunk in _chunks(rows, self._chunk_size):
            ids.extend(self._insert_chunk(plan, chunk))
        table = plan.table.name
        self._counts[table] = self._counts.get(table, 0) + len(ids)
        self._fields[table] = tuple(name for _, name in plan.logged)
        return ids

    def finish(self) -> dict[str, int]:
        """Write the audit rows and clocks, restore the full-text index; returns the counts."""
        if self._finished:
            return self.counts
        self._finished = True
        if self._counts:
            self._conn.execute(
                insert(AuditEntry),
                [
                    {
                        "at": self._now,
                        "site_id": self.site_id,
                        "officer_id": self._officer_id,
                        "action": "create",
                        "table_name": table,
                        "record_id": "*",
                        "fields": ",".join(sorted(self._fields[table])),
                        "reason": self._audit_reason(count),
                    }
                    for table, count in self._counts.items()
                ],
            )
        values: dict[str, int] = {"next_seq": self._next_seq}
        if self._last_hlc is not None:
            values["hlc"] = self._last_hlc
        self._conn.execute(update(SiteState).where(SiteState.key == 1).values(**values))
        if self._fts_suspended:
            fts.rebuild(self._conn)
            fts.create_triggers(self._conn)
            self._fts_suspended = False
        if self._session is not None:
            # The session may hold site_state from before the load; make it re-read.
            for obj in list(self._session.identity_map.values()):
                if isinstance(obj, SiteState):
                    self._session.expire(obj)
        return self.counts

    def __enter__(self) -> BulkLoader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # On an error leave everything to the caller's rollback (which also restores triggers).
        if exc_type is None:
            self.finish()

    # --- internals ------------------------------------------------------------------------

    def _audit_reason(self, count: int) -> str:
        text = f"bulk create ({count} records)"
        return f"{self._reason}: {text}" if self._reason else text

    def _take(self, n: int) -> tuple[int, int]:
        """Reserve `n` sequence numbers and `n` HLC stamps; return the first of each."""
        seq = self._next_seq
        self._next_seq += n
        first = self._clock.tick() if self._last_hlc is None else self._last_hlc + 1
        self._last_hlc = first + n - 1
        return seq, first

    def _insert_chunk(self, plan: _Plan, chunk: list[Mapping[str, Any]]) -> list[str]:
        keys, keyset, defaults = plan.keys, plan.keyset, plan.defaults
        site, now, table = self.site_id, self._now, str(plan.table.name)
        bookkeeping = {"created_at": now, "updated_at": now, "site_id": site}
        encode = fast_encode
        logged, id_position = plan.logged, plan.id_position
        seq, hlc = self._take(len(chunk) * len(logged))
        params: list[list[Any]] = []
        changes: list[tuple[Any, ...]] = []
        ids: list[str] = []
        for row in chunk:
            if not keyset.issuperset(row):
                unknown = ", ".join(sorted(set(row) - keyset))
                raise ValueError(f"Unknown column for {table}: {unknown}")
            values: list[Any] = []
            for key, default in zip(keys, defaults, strict=True):
                value = row.get(key)
                if value is None:
                    if key == "id":
                        value = str(uuid.uuid4())
                    elif key in bookkeeping:
                        value = bookkeeping[key]
                    elif default is not None:
                        value = default()
                values.append(value)
            record_id = values[id_position]
            ids.append(record_id)
            for position, field in logged:
                changes.append((site, seq, table, record_id, field, encode(values[position]), hlc))
                seq += 1
                hlc += 1
            params.append(values)
        processors = plan.processors
        for i, processor in enumerate(processors):
            if processor is not None:
                for values in params:
                    if values[i] is not None:
                        values[i] = processor(values[i])
        self._conn.exec_driver_sql(plan.insert_sql, [tuple(v) for v in params])
        self._conn.exec_driver_sql(_CHANGE_SQL, changes)
        return ids
