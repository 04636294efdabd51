"""Fast inserts of many records, still logged for sync (demo data, directory imports).

The ORM's unit of work costs tens of microseconds per object and the `before_flush` change-log
listener adds one ORM object per field, which is far too slow for 20 000 services or 50 000
referrals. `BulkLoader` writes the same rows with Core `executemany`, and writes the same
change entries the listener would (one per logged column, `changelog.logged_columns`, as one
`change_write` row per record whose values are read from the row, `store.changelog_values`),
so bulk-loaded data syncs like any other.

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

from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from itertools import chain
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, insert, inspect, select, update
from sqlalchemy import exc as exc_module
from sqlalchemy.orm import Session

from referral_desk.domain.hlc import HybridClock
from referral_desk.store import changelog, fts
from referral_desk.store.bulk_encoding import (
    fast_encode,
    fast_processor,
    new_ids,
)
from referral_desk.store.changelog_rows import LogNames, record_key
from referral_desk.store.changelog_sites import hold_runs
from referral_desk.store.models import (
    AuditEntry,
    Service,
    ServiceCategory,
    SiteState,
    SyncedBase,
)

__all__ = ["BulkLoader", "fast_encode", "new_ids"]

DEFAULT_CHUNK = 1000  # rows per round trip; a chunk's staging table stays in cache
# Bound parameters per statement; SQLite allows 32 766 since 3.32, older builds only 999.
_MAX_PARAMS = 999
# Inserting these fires the full-text triggers (store.fts) once per row.
_FTS_TABLES = frozenset({Service.__tablename__, ServiceCategory.__tablename__})
_BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "site_id"})
_BULK_CACHE_KB = 64 * 1024


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

    table: str
    keys: tuple[str, ...]
    keyset: frozenset[str]
    id_position: int
    # (position, factory) of columns with a Python-side default, and of the bookkeeping ones
    defaults: tuple[tuple[int, Callable[[], Any]], ...]
    bookkeeping: tuple[tuple[int, str], ...]
    # (position, bind processor) of columns whose values the driver cannot take as they are
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]
    logged_fields: tuple[str, ...]  # changelog order
    columns_sql: str  # "INSERT INTO t (c1, c2, …) VALUES "


def _plan_for(model: type[SyncedBase], conn: Connection) -> _Plan:
    mapper = inspect(model)
    keys: list[str] = []
    names: list[str] = []
    defaults: list[tuple[int, Callable[[], Any]]] = []
    bookkeeping: list[tuple[int, str]] = []
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for i, attr in enumerate(mapper.column_attrs):
        column = attr.columns[0]
        keys.append(attr.key)
        names.append(column.name)
        factory = _default_factory(column)
        if attr.key in _BOOKKEEPING:
            if attr.key != "id":
                bookkeeping.append((i, attr.key))
        elif factory is not None:
            defaults.append((i, factory))
        processor = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        if processor is not None:
            processors.append((i, fast_processor(processor, column.type)))
    position = {key: i for i, key in enumerate(keys)}
    fields = tuple(changelog.logged_columns(model))
    quote = conn.dialect.identifier_preparer.quote
    table = str(model.__table__.name)
    columns = ", ".join(quote(n) for n in names)
    return _Plan(
        table=table,
        keys=tuple(keys),
        keyset=frozenset(keys),
        id_position=position["id"],
        defaults=tuple(defaults),
        bookkeeping=tuple(bookkeeping),
        processors=tuple(processors),
        logged_fields=fields,
        columns_sql=f"INSERT INTO {quote(table)} ({columns}) VALUES ",
    )


def _multi_row(head: str, row: Callable[[int], str], rows: int) -> str:
    return head + ", ".join(row(i) for i in range(rows))


def _plain_row(width: int) -> Callable[[int], str]:
    marks = "(" + ", ".join("?" * width) + ")"
    return lambda _i: marks


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
        cache_kb: int = _BULK_CACHE_KB,
        fts_refresh: str = "rebuild",
    ) -> None:
        """`fts_refresh`: "rebuild" the whole full-text index at the end (fastest when the load
        is most of the directory), or "touched": re-index only the services this load added or
        gave categories (a load that is one chunk of a larger import). `cache_kb`: SQLite's
        page cache meanwhile (a chunked import keeps it small: memory, DESIGN.md §9)."""
        if fts_refresh not in ("rebuild", "touched"):
            raise ValueError("fts_refresh must be 'rebuild' or 'touched'")
        self._fts_mode = fts_refresh
        self._fts_touched: set[str] = set()
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
        # Take the write lock now (fail before any work if another writer holds it), and be
        # sure the trigger DDL below is inside the transaction even on a driver that opens
        # transactions only at the first DML statement (store.engine emits BEGIN itself).
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
        self._first_seq = self._next_seq
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
        self._names: LogNames | None = None  # interned sites and shapes, this load only
        # A large load touches every page of several indexes; SQLite's default 2 MB page cache
        # would re-read them from the OS again and again. Restored by finish() / on error.
        self._cache_size = self._conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        self._conn.exec_driver_sql(f"PRAGMA cache_size = -{int(cache_kb)}")

    # --- public API -----------------------------------------------------------------------

    @property
    def counts(self) -> dict[str, int]:
        """Rows inserted so far, by table name."""
        return dict(self._counts)

    def add(self, model: type[SyncedBase], rows: Iterable[Mapping[str, Any]]) -> list[str]:
        """Insert new `model` records; returns their ids in the order given.

        Rows are written in id order, not the order given: inserting keys in order makes every
        index (the record's primary key, the change log's record index) grow at its end or
        page by page instead of at random places, which is several times faster for large
        loads. Nothing depends on the order rows of one `add` are stored in.
        """
        if self._finished:
            raise RuntimeError("BulkLoader.add called after finish()")
        plan = self._plans.get(model)
        if plan is None:
            plan = self._plans[model] = _plan_for(model, self._conn)
        if plan.table in _FTS_TABLES and not self._fts_suspended:
            fts.drop_triggers(self._conn)
            self._fts_suspended = True
        rows = list(rows)
        fresh = iter(new_ids(sum(1 for row in rows if not row.get("id"))))
        ids = [row.get("id") or next(fresh) for row in rows]
        if self._fts_mode == "touched":
            if plan.table == Service.__tablename__:
                self._fts_touched.update(ids)
            elif plan.table == ServiceCategory.__tablename__:
                self._fts_touched.update(str(row["service_id"]) for row in rows)
        order = sorted(range(len(rows)), key=ids.__getitem__)
        for start in range(0, len(order), self._chunk_size):
            part = order[start : start + self._chunk_size]
            self._insert_chunk(plan, [rows[i] for i in part], [ids[i] for i in part])
        self._counts[plan.table] = self._counts.get(plan.table, 0) + len(ids)
        self._fields[plan.table] = plan.logged_fields
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
        if self._next_seq > self._first_seq:
            hold_runs(self._conn, {self.site_id: [[self._first_seq, self._next_seq - 1]]})
        if self._last_hlc is not None:
            values["hlc"] = self._last_hlc
        self._conn.execute(update(SiteState).where(SiteState.key == 1).values(**values))
        if self._fts_suspended:
            if self._fts_mode == "rebuild":
                fts.rebuild(self._conn)
            else:
                fts.refresh(self._conn, sorted(self._fts_touched))
                self._fts_touched.clear()
            fts.create_triggers(self._conn)
            self._fts_suspended = False
        self._restore_cache_size()
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
            return
        with suppress(exc_module.SQLAlchemyError):  # best effort: the caller's error matters
            self._restore_cache_size()

    # --- internals ------------------------------------------------------------------------

    def _restore_cache_size(self) -> None:
        if self._cache_size is not None:
            self._conn.exec_driver_sql(f"PRAGMA cache_size = {int(self._cache_size)}")
            self._cache_size = None

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

    def _insert_chunk(self, plan: _Plan, chunk: list[Mapping[str, Any]], ids: list[str]) -> None:
        """Insert one chunk of rows and their change entries.

        Written for speed (this runs millions of times in a large load): per-value work is
        list comprehensions and slice assignments, and only the JSON encoding calls Python.
        """
        keys, keyset = plan.keys, plan.keyset
        bookkeeping = {"created_at": self._now, "updated_at": self._now, "site_id": self.site_id}
        params: list[list[Any]] = []
        for row, record_id in zip(chunk, ids, strict=True):
            if not keyset.issuperset(row):
                unknown = ", ".join(sorted(set(row) - keyset))
                raise ValueError(f"Unknown column for {plan.table}: {unknown}")
            values = [row.get(key) for key in keys]
            values[plan.id_position] = record_id
            for i, name in plan.bookkeeping:
                if values[i] is None:
                    values[i] = bookkeeping[name]
            for i, factory in plan.defaults:
                if values[i] is None:
                    values[i] = factory()
            params.append(values)

        for i, processor in plan.processors:
            for values in params:
                value = values[i]
                if value is not None:
                    values[i] = processor(value)
        flat = list(chain.from_iterable(params))
        self._execute_rows(plan.columns_sql, _plain_row(len(keys)), len(keys), flat, [])
        self._log_chunk(plan, ids)

    def _log_chunk(self, plan: _Plan, ids: list[str]) -> None:
        """Log the chunk: one `change_write` row per record, seqs and stamps following record
        order then field order, exactly as one-by-one logging would. The values are read from
        the rows just written (`store.changelog_values`), so none is encoded here."""
        names = self._names or LogNames(self._conn)
        self._names = names
        width = len(plan.logged_fields)
        seq, hlc = self._take(len(ids) * width)
        site = names.site(self.site_id)
        shape = names.shape(plan.table, plan.logged_fields)
        self._conn.exec_driver_sql(
            "INSERT INTO change_write (site, seq, shape, record, hlc, tomb, vals) "
            "VALUES (?, ?, ?, ?, ?, 0, NULL)",
            [
                (site, seq + i * width, shape, record_key(rid), hlc + i * width)
                for i, rid in enumerate(ids)
            ],
        )

    def _execute_rows(
        self,
        head: str,
        row: Callable[[int], str],
        width: int,
        flat: list[Any],
        shared: list[Any],
    ) -> None:
        """Insert rows of `width` values from `flat` with multi-row VALUES statements.

        One statement per row costs more in the driver than SQLite spends inserting the row;
        a few hundred rows per statement cuts the driver's share by about three.
        """
        per_statement = max(1, (_MAX_PARAMS - len(shared)) // width)
        step = per_statement * width
        full = len(flat) // step * step
        if full:
            sql = _multi_row(head, row, per_statement)
            self._conn.exec_driver_sql(
                sql, [tuple(shared + flat[i : i + step]) for i in range(0, full, step)]
            )
        if full < len(flat):
            rest = flat[full:]
            sql = _multi_row(head, row, len(rest) // width)
            self._conn.exec_driver_sql(sql, tuple(shared + rest))
