"""Apply other sites' change entries: field-level last-writer-wins, tombstones, conflicts.

Rows are *materialised from the change log*: for every record an import touches, each field
takes the value of its winning entry among all entries held for it, highest (HLC, site id, seq)
first. The result depends only on the set of entries, never on the order they arrived in, which
is what makes every site converge. Three refinements keep that true:

- a delete is sticky: any tombstone (non-null `deleted_at`) beats every null, and personal
  fields of a deleted record are blank whatever later edits say (erasure cannot be undone by a
  late edit arriving from another site);
- `created_at` and `site_id` say where and when a record was first made, so for them the
  *first* writer wins (two sites seeding the same reference item keep the earliest);
- a record that cannot be written yet (a required field or its parent record has not arrived, or
  it would clash with another record's unique key) is kept in `sync_pending` and retried on every
  import, so arrival order never decides what exists.

Erasure reaches everything that belongs to a deleted record (`store.ownership`), including
records a colleague made meanwhile: after each table, rows this import wrote for an owner that
is deleted here, and live rows of owners this import deleted, are erased like a local delete
(personal fields blank, `deleted_at` set); so are records still waiting for a parent. Each gets
a tombstone logged as this site's own change (`_log_erased`), so it travels on to sites that
never saw the owner's delete. Two sites erasing the same record both log one; a tombstone always
beats a null and the latest tombstone gives `deleted_at`, so sites still converge once those
entries have travelled (one more sync round).

The status caches (`Need.status`, `Referral.status`) are recomputed from their insert-only
history for every touched record: the latest history row by the HLC of its creation entry
(then site id, then row id). The app's own write path always makes the newest row the one with
the highest stamp, so local caches and merged caches agree. Wall-clock `at` is not used to order
rows: two rows written in one transaction share it, and office clocks disagree. History rows
erased with their record still count: a deleted referral keeps the status it had, as it does on
the PC that deleted it.

Concurrent writes of one field (neither writer had seen the other's entry, decided with the
knowledge checkpoints of `sync.state`) are recorded in `sync_conflict` for review while the
deterministic winner applies. So are changes stamped more than a day ahead of this PC's clock
that overwrite a value here: a PC with a wrong clock must not win every conflict silently.

Everything is done with Core statements inside the caller's transaction; nothing commits here.
The rules and vocabulary are in `merge_rules`, winner choice and conflicts in `merge_conflicts`,
erasure, status caches and pending records in `merge_consequences`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from referral_desk.domain.hlc import COUNTER_BITS
from referral_desk.store.changelog import encode_value
from referral_desk.store.changelog_rows import LogNames, entries_of_records, insert_entries
from referral_desk.store.changelog_sites import hold
from referral_desk.store.changelog_values import materialize, resolve, table_texts
from referral_desk.store.engine import driver  # the local database's DB-API module
from referral_desk.store.models import Base
from referral_desk.store.sync_models import SyncConflict, SyncPending, scrub_erased_entries
from referral_desk.sync.merge_conflicts import Conflicts
from referral_desk.sync.merge_consequences import Consequences
from referral_desk.sync.merge_rules import (
    CATEGORY,
    DAY_MS,
    FIRST_WRITER,
    MISSING,
    PARENT_FIELD,
    Ent,
    MergeStats,
    Write,
    chunks,
    pending_reason,
    table_of,
    table_order,
)
from referral_desk.sync.quarantine import FieldSpec, ValidEntry, decode_text, table_specs
from referral_desk.sync.state import Knowledge


class Merger(Conflicts, Consequences):
    """One merge inside one transaction. Use `apply(new_entries)` once: an import calls it once
    per batch of records (all the entries of each record it holds in one batch)."""

    def __init__(
        self, session: Session, knowledge: Knowledge, *, now: datetime, now_ms: int
    ) -> None:
        self.s = session
        self.conn = session.connection()
        self.knowledge = knowledge
        self.now = now
        self.now_ms = now_ms
        self.stats = MergeStats()
        self._exists: dict[str, set[str]] = defaultdict(set)
        self._pending: dict[tuple[str, str], str] = {}
        self._audit: list[dict[str, Any]] = []
        self._conflicts: list[dict[str, Any]] = []
        self._deleted: dict[str, set[str]] = defaultdict(set)  # to scrub; owners for cascade
        self._written_live: dict[str, set[str]] = defaultdict(set)
        self._erased: list[tuple[str, str]] = []  # erased here with their owner: tombstones
        self._status_touch: dict[str, set[str]] = defaultdict(set)
        self._last_site: dict[tuple[str, str], str] = {}
        # Open conflicts of the records being merged, loaded chunk by chunk with them.
        self._open: dict[tuple[str, str, str], list[tuple[int, str | None, int | None, str, int]]]
        self._open = defaultdict(list)
        self._superseded: list[int] = []
        # Erase live dependents of owners this merge deleted (see `apply_entries`).
        self.descend = True
        self._plans: dict[str, tuple[str, list[tuple[str, Any]]]] = {}

    # -- entry point ---------------------------------------------------------------------

    def apply(
        self, entries: Sequence[ValidEntry], *, retry: Sequence[tuple[str, str]] | None = None
    ) -> MergeStats:
        """Merge `entries` and retry records waiting in `sync_pending`: all of them when
        `retry` is None, else only the (table, record) pairs given (an import in batches retries
        them once, at the end, a chunk at a time)."""
        # table -> record -> field -> entries (plain dicts: this loop sees every entry)
        incoming: dict[str, dict[str, dict[str, list[Ent]]]] = {}
        self.names = LogNames(self.conn)  # sites and shapes, for this transaction only
        limit = (self.now_ms + DAY_MS) << COUNTER_BITS
        future = 0
        newest = 0
        for e in entries:
            by_rec = incoming.get(e[2])
            if by_rec is None:
                by_rec = incoming[e[2]] = {}
            fields = by_rec.get(e[3])
            if fields is None:
                fields = by_rec[e[3]] = {}
                self._last_site[(e[2], e[3])] = e[0]
            ent = (e[4], e[5], e[6], e[0], e[1], True, e[8])
            found = fields.get(e[4])
            if found is None:
                fields[e[4]] = [ent]
            else:
                found.append(ent)
            if e[6] >= limit:
                future += 1
            if e[6] > newest:
                newest = e[6]
        self.stats.future_stamped += future
        touched: dict[str, set[str]] = {t: set(recs) for t, recs in incoming.items()}
        if retry is None:
            retry = self.s.execute(select(SyncPending.table_name, SyncPending.record_id)).all()
        known = table_specs()
        for table, rid in retry:
            if table in known:
                touched.setdefault(table, set()).add(rid)
        for table in table_order():
            ids = sorted(touched.get(table, ()))
            for chunk in chunks(ids):
                self._merge_chunk(table, list(chunk), incoming.get(table, {}))
            self._cascade(table)
        if entries:  # after the rows (old entries were read first), before the history reads
            # `unheld`: the import filtered them by `sync_site` (`import_rows.unheld`).
            insert_entries(self.conn, self._logged(entries), self.names, unheld=True)
            hold(self.s, ((e[0], e[1]) for e in entries))
        self._cascade_waiting()
        self._log_erased(newest)
        self._recompute_status()
        self._save_pending(touched)
        if self._superseded:
            ct = SyncConflict.__table__
            self.s.execute(
                ct.update()
                .where(ct.c.id.in_(self._superseded))
                .values(resolved_at=self.now, kept="superseded")
            )
        if self._conflicts:  # before the scrub: a conflict about an erased record is closed too
            self.s.execute(SyncConflict.__table__.insert(), self._conflicts)
        for table, ids in self._deleted.items():
            scrub_erased_entries(self.s, table, sorted(ids))
        if self._audit:
            self._insert(Base.metadata.tables["audit_entry"], self._audit)
        return self.stats

    def _logged(self, entries: Sequence[ValidEntry]) -> list[tuple[Any, ...]]:
        """The incoming entries as the log keeps them: a value the record's row now holds,
        exactly, is read from there (`store.changelog_values`)."""
        wants: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for e in entries:
            if e[2] in self._exists:
                wants[e[2]][e[3]].add(e[4])
        texts = table_texts(self.conn, wants)
        return [
            (
                e[0],
                e[1],
                e[2],
                e[3],
                e[4],
                None if texts.get((e[2], e[3], e[4])) == e[5] else e[5],
                e[6],
                int(e[7]),
            )
            for e in entries
        ]

    # -- one batch of records of one table -----------------------------------------------

    def _load_entries(
        self, table: str, ids: list[str], current: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, list[Ent]]]:
        """Entries already held for these records (the new ones are not inserted yet), their
        values read from `current` rows where the log keeps none (`store.changelog_values`)."""
        out: dict[str, dict[str, list[Ent]]] = defaultdict(lambda: defaultdict(list))
        held = entries_of_records(self.conn, table, ids, names=self.names)
        unread = [
            e for e in held if e[5] is None and (e[3] not in current or e[4] not in current[e[3]])
        ]
        if unread:
            resolve(self.conn, unread)  # raises: a value with no row to read it from
        for site, seq, _t, rid, fname, value, hlc, _tomb in held:
            if value is None:
                value = encode_value(current[rid][fname])
            out[rid][fname].append((fname, value, hlc, site, seq, False, MISSING))
        return out

    def _load_open_conflicts(self, table: str, ids: list[str]) -> None:
        c = SyncConflict
        for row in self.s.execute(
            select(
                c.id,
                c.table_name,
                c.record_id,
                c.field,
                c.local_site,
                c.local_hlc,
                c.remote_site,
                c.remote_hlc,
            )
            .where(c.resolved_at.is_(None), c.table_name == table, c.record_id.in_(ids))
            .order_by(c.id)
        ):
            self._open[(row[1], row[2], row[3])].append((row[0], row[4], row[5], row[6], row[7]))

    def _merge_chunk(
        self, table: str, ids: list[str], incoming: dict[str, dict[str, list[Ent]]]
    ) -> None:
        specs = table_specs()[table]
        t = table_of(table)
        self._load_open_conflicts(table, ids)
        current = {
            r["id"]: dict(r) for r in self.s.execute(select(t).where(t.c.id.in_(ids))).mappings()
        }
        entries = self._load_entries(table, ids, current)
        for rid in ids:
            new = incoming.get(rid)
            if new:
                held = entries[rid]
                for fname, ents in new.items():
                    held[fname].extend(ents)
        self._exists[table].update(current)
        planned: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
        for rid in ids:
            fields = entries.get(rid)
            if not fields:
                continue
            winners = self._winners(table, rid, fields)
            planned[rid] = (self._values(specs, winners), current.get(rid))
        self._check_parents(table, specs, planned)
        required = [n for n, spec in specs.items() if spec.required]
        writes: list[Write] = []
        for rid, (values, row) in planned.items():
            if (table, rid) in self._pending:
                continue
            if row is None:
                if any(n not in values for n in required):
                    self._pending[(table, rid)] = "incomplete"
                    continue
                full = self._full_row(t, specs, rid, values)
                writes.append(Write(rid, full, None, sorted(values)))
                continue
            if values.get("deleted_at") is not None:
                self._deleted[table].add(rid)
            changed = {k: v for k, v in values.items() if row.get(k) != v}
            if changed:
                writes.append(Write(rid, {**row, **changed}, row, sorted(changed)))
        if not writes:
            return
        if self._try_write(t, writes) is not None:
            # Some row breaks a constraint (two sites chose the same unique code or
            # reference): write the others one by one and hold the offenders pending.
            good = []
            for w in writes:
                why = self._try_write(t, [w])
                if why is None:
                    good.append(w)
                else:
                    self._pending[(table, w.rid)] = why
            writes = good
        for w in writes:
            self._note_write(table, w)

    def _try_write(self, t: Table, writes: list[Write]) -> str | None:
        """Write in a savepoint; None on success, else why the database refused."""
        inserts = [w.after for w in writes if w.before is None]
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for w in writes:
            if w.before is not None:
                params = {k: w.after[k] for k in w.fields}
                params["updated_at"] = self.now
                params["_id"] = w.rid
                updates[tuple(sorted(params))].append(params)
        try:
            with self.s.begin_nested():
                self._keep_logged_values(t.name, writes)
                if inserts:
                    self._insert(t, inserts)
                for cols, rows in updates.items():
                    stmt = (
                        t.update()
                        .where(t.c.id == bindparam("_id"))
                        .values({c: bindparam(c) for c in cols if c != "_id"})
                    )
                    self.s.execute(stmt, rows)
        except (IntegrityError, driver.IntegrityError) as err:
            text_ = str(getattr(err, "orig", err))
            return "duplicate key" if "UNIQUE" in text_ else "refused by the database"
        return None

    def _keep_logged_values(self, table: str, writes: list[Write]) -> None:
        """Before rows change: entries that read a changing value from its row keep it."""
        changes = {w.rid: w.fields for w in writes if w.before is not None}
        if changes:
            before = {w.rid: w.before for w in writes if w.before is not None}
            materialize(self.conn, table, changes, lambda rid, f: encode_value(before[rid][f]))

    def _insert(self, t: Table, rows: list[dict[str, Any]]) -> None:
        """Bulk insert straight through sqlite3 with SQLAlchemy's own type conversions: the
        same stored values as `t.insert()`, without its per-row parameter overhead."""
        plan = self._plans.get(t.name)
        if plan is None:
            dialect = self.s.get_bind().dialect
            cols = list(t.columns)
            names = ", ".join(f'"{c.name}"' for c in cols)
            sql = f'INSERT INTO "{t.name}" ({names}) VALUES ({", ".join("?" * len(cols))})'
            # The dialect's own processors: the generic DateTime has none, and sqlite3's default
            # adapter would store `… 16:21:00` instead of the canonical `… 16:21:00.000000`.
            procs = [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in cols]
            plan = self._plans[t.name] = (sql, procs)
        sql, procs = plan
        params = [
            tuple(p(row.get(n)) if p is not None else row.get(n) for n, p in procs) for row in rows
        ]
        self.conn.exec_driver_sql(sql, params)

    def _note_write(self, table: str, w: Write) -> None:
        created = w.before is None
        self._exists[table].add(w.rid)
        if created:
            self.stats.inserted += 1
        else:
            self.stats.updated += 1
        now_deleted = w.after.get("deleted_at") is not None
        if now_deleted and (created or w.before.get("deleted_at") is None):  # type: ignore[union-attr]
            self.stats.deleted += 1
            if created:
                self._deleted[table].add(w.rid)
        if not now_deleted:
            self._written_live[table].add(w.rid)
        category = CATEGORY.get(table, "other")
        parent_field = PARENT_FIELD.get(table)
        owner = (w.after.get(parent_field) or w.rid) if parent_field else w.rid
        if not FIRST_WRITER.issuperset(w.fields):  # bookkeeping alone is not news to anyone
            self.stats.changed[category].add(owner)
        if parent_field and w.after.get(parent_field):
            self._status_touch[table].add(w.after[parent_field])
        if table in ("need", "referral"):
            self._status_touch[table].add(w.rid)
        self._audit.append(
            {
                "at": self.now,
                "site_id": self._last_site.get((table, w.rid), ""),
                "officer_id": None,
                "action": "sync",
                "table_name": table,
                "record_id": w.rid,
                "fields": ",".join(w.fields),
                "reason": "sync import (created)" if created else "sync import",
            }
        )

    @staticmethod
    def _values(specs: dict[str, FieldSpec], winners: dict[str, Ent]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for fname, ent in winners.items():
            spec = specs.get(fname)
            if spec is None:
                continue
            value = ent[6]
            if value is MISSING:
                try:
                    value = decode_text(spec, ent[1])
                except (ValueError, TypeError):
                    continue  # held in the log but unusable here; quarantine catches new ones
            values[fname] = value
        if values.get("deleted_at") is not None:
            for fname, spec in specs.items():
                if spec.personal:
                    values[fname] = spec.blank
        return values

    def _full_row(
        self, t: Table, specs: dict[str, FieldSpec], rid: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for col in t.columns:
            name = col.name
            if name in values:
                row[name] = values[name]
            elif name in specs and specs[name].default is not None:
                row[name] = specs[name].default()  # type: ignore[misc]
            elif col.default is not None and not callable(col.default.arg):
                row[name] = col.default.arg  # local caches (status)
            else:
                row[name] = None
        row["id"] = rid
        row["updated_at"] = self.now
        return row

    def _check_parents(
        self,
        table: str,
        specs: dict[str, FieldSpec],
        planned: dict[str, tuple[dict[str, Any], dict[str, Any] | None]],
    ) -> None:
        """Hold back rows whose parent record does not exist (yet)."""
        wanted: dict[str, set[str]] = defaultdict(set)
        fks = [(n, s.fk_table) for n, s in specs.items() if s.fk_table]
        for values, row in planned.values():
            for name, parent in fks:
                ref = values.get(name)
                if ref is not None and (row is None or row.get(name) != ref):
                    wanted[parent].add(ref)  # type: ignore[index]
        for parent, refs in wanted.items():
            unknown = sorted(refs - self._exists[parent])
            pt = table_of(parent)
            for chunk in chunks(unknown):
                found = self.s.scalars(select(pt.c.id).where(pt.c.id.in_(chunk)))
                self._exists[parent].update(found)
        for rid, (values, row) in planned.items():
            for name, parent in fks:
                ref = values.get(name)
                if (
                    ref is not None
                    and (row is None or row.get(name) != ref)
                    and ref not in self._exists[parent]  # type: ignore[index]
                ):
                    self._pending[(table, rid)] = f"waiting for {parent}"
                    break


def apply_entries(
    session: Session,
    entries: Sequence[ValidEntry],
    knowledge: Knowledge,
    *,
    now: datetime,
    now_ms: int,
    retry: Sequence[tuple[str, str]] | None = None,
    descend: bool = True,
) -> MergeStats:
    """Store `entries` (new to this site, validated) in the change log and apply them.

    `descend=False` is for an import merged batch by batch (a table at a time): a batch that
    deletes an owner must not erase the owner's live dependents yet, since their own entries
    (the tombstones the deleting site already wrote) may come in a later batch; the importer
    erases what is still left once every batch is in (`store.erasure.erase_orphans`)."""
    session.execute(text("PRAGMA defer_foreign_keys = ON"))
    merger = Merger(session, knowledge, now=now, now_ms=now_ms)
    merger.descend = descend
    return merger.apply(entries, retry=retry)


def decoded(table: str, fname: str, value_text: str) -> Any:
    """The Python value of one entry's JSON text (for showing and resolving conflicts)."""
    return decode_text(table_specs()[table][fname], value_text)


__all__ = ["MergeStats", "Merger", "apply_entries", "decoded", "pending_reason", "table_order"]
