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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from referral_desk.domain.hlc import COUNTER_BITS, hlc_wall_ms
from referral_desk.store.changelog import log_tombstones
from referral_desk.store.engine import driver  # the local database's DB-API module
from referral_desk.store.erasure import erase_rows
from referral_desk.store.models import Base, SiteState
from referral_desk.store.ownership import links_from, tombstoned, waiting_dependents
from referral_desk.store.sync_models import (
    SyncConflict,
    SyncPending,
    models_version,
    scrub_erased_entries,
    synced_models,
)
from referral_desk.sync.quarantine import FieldSpec, ValidEntry, decode_text, table_specs
from referral_desk.sync.state import Knowledge, merge_knowledge, raw_rows, version_vector

DAY_MS = 24 * 3600 * 1000
BATCH = 500
# Bookkeeping fields: differing values there are not edits anyone made.
NOT_CONFLICTS = frozenset({"created_at", "site_id", "deleted_at"})
# Where and when a record was first made: the first writer wins (two sites seeding the same
# reference item keep the earliest), still a deterministic choice.
FIRST_WRITER = frozenset({"created_at", "site_id"})
CATEGORY = {
    "person": "people",
    "need": "needs",
    "need_status_change": "needs",
    "referral": "referrals",
    "referral_status_change": "referrals",
    "follow_up": "follow_ups",
    "organisation": "directory",
    "location": "directory",
    "service": "directory",
    "service_category": "directory",
    "service_area": "directory",
}
# History rows count as a change of the record they belong to.
PARENT_FIELD = {"need_status_change": "need_id", "referral_status_change": "referral_id"}
STATUS_CACHES = (  # (table, history table, link field, default)
    ("need", "need_status_change", "need_id", "open"),
    ("referral", "referral_status_change", "referral_id", "draft"),
)


@dataclass
class MergeStats:
    changed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    conflicts: int = 0
    clock_reviews: int = 0
    future_stamped: int = 0
    pending: int = 0
    # Why records wait, counted: "person" (arrived before the person they belong to) or any
    # other parent table, "incomplete" (part still to come), "duplicate key", "refused".
    pending_reasons: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        keys = ("people", "needs", "referrals", "follow_ups", "directory", "other")
        return {k: len(self.changed.get(k, ())) for k in keys}


# (field, value text, hlc, site, seq, is new, decoded value or _MISSING)
_Ent = tuple[str, str, int, str, int, bool, Any]
_MISSING = object()


@dataclass
class _Write:
    rid: str
    after: dict[str, Any]  # the whole row after the write
    before: dict[str, Any] | None  # None: a new row
    fields: list[str]  # logged fields written


def _key(e: _Ent) -> tuple[int, str, int]:
    return (e[2], e[3], e[4])


def pending_reason(why: str) -> str:
    """The stored reason as a key: the parent table waited for, or the kind of problem."""
    if why.startswith("waiting for "):
        return why.removeprefix("waiting for ")
    return {"incomplete": "incomplete", "duplicate key": "duplicate key"}.get(why, "refused")


def table_order() -> tuple[str, ...]:
    """Synced tables parents-first, so a child's parent is written before the child."""
    return _table_order(models_version())


@cache
def _table_order(_version: int) -> tuple[str, ...]:
    synced = synced_models()
    return tuple(t.name for t in Base.metadata.sorted_tables if t.name in synced)


def _table(name: str) -> Table:
    return synced_models()[name].__table__  # type: ignore[return-value]


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Merger:
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
        incoming: dict[str, dict[str, dict[str, list[_Ent]]]] = {}
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
            for chunk in _chunks(ids):
                self._merge_chunk(table, list(chunk), incoming.get(table, {}))
            self._cascade(table)
        if entries:  # after the rows (old entries were read first), before the history reads
            self.conn.exec_driver_sql(
                "INSERT OR IGNORE INTO change_entry "
                "(site_id, seq, table_name, record_id, field, value, hlc, tombstone) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(e[0], e[1], e[2], e[3], e[4], e[5], e[6], int(e[7])) for e in entries],
            )
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

    # -- one batch of records of one table -----------------------------------------------

    def _load_entries(self, table: str, ids: list[str]) -> dict[str, dict[str, list[_Ent]]]:
        """Entries already held for these records (the new ones are not inserted yet)."""
        marks = ",".join("?" * len(ids))
        rows = raw_rows(
            self.s,
            "SELECT record_id, field, value, hlc, site_id, seq FROM change_entry "
            f"WHERE table_name = ? AND record_id IN ({marks})",
            (table, *ids),
        )
        out: dict[str, dict[str, list[_Ent]]] = defaultdict(lambda: defaultdict(list))
        for rid, fname, value, hlc, site, seq in rows:
            out[rid][fname].append((fname, value, hlc, site, seq, False, _MISSING))
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
        self, table: str, ids: list[str], incoming: dict[str, dict[str, list[_Ent]]]
    ) -> None:
        specs = table_specs()[table]
        t = _table(table)
        self._load_open_conflicts(table, ids)
        entries = self._load_entries(table, ids)
        for rid in ids:
            new = incoming.get(rid)
            if new:
                held = entries[rid]
                for fname, ents in new.items():
                    held[fname].extend(ents)
        current = {
            r["id"]: dict(r) for r in self.s.execute(select(t).where(t.c.id.in_(ids))).mappings()
        }
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
        writes: list[_Write] = []
        for rid, (values, row) in planned.items():
            if (table, rid) in self._pending:
                continue
            if row is None:
                if any(n not in values for n in required):
                    self._pending[(table, rid)] = "incomplete"
                    continue
                full = self._full_row(t, specs, rid, values)
                writes.append(_Write(rid, full, None, sorted(values)))
                continue
            if values.get("deleted_at") is not None:
                self._deleted[table].add(rid)
            changed = {k: v for k, v in values.items() if row.get(k) != v}
            if changed:
                writes.append(_Write(rid, {**row, **changed}, row, sorted(changed)))
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

    def _try_write(self, t: Table, writes: list[_Write]) -> str | None:
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

    def _note_write(self, table: str, w: _Write) -> None:
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

    def _winners(self, table: str, rid: str, fields: dict[str, list[_Ent]]) -> dict[str, _Ent]:
        winners: dict[str, _Ent] = {}
        deleted_ents = fields.get("deleted_at", [])
        tombstones = [e for e in deleted_ents if e[1] != "null"]
        deleted = bool(tombstones)
        for fname, ents in fields.items():
            if len(ents) == 1:
                winners[fname] = ents[0]
                continue
            if fname == "deleted_at" and tombstones:
                winners[fname] = max(tombstones, key=_key)
                continue
            if fname in FIRST_WRITER:
                winners[fname] = min(ents, key=_key)
                continue
            winners[fname] = max(ents, key=_key)
            if not deleted and fname not in NOT_CONFLICTS:
                self._detect(table, rid, fname, ents, winners[fname])
            if (table, rid, fname) in self._open and winners[fname][5]:
                self._supersede(table, rid, fname, ents, winners[fname])
        return winners

    def _supersede(self, table: str, rid: str, fname: str, ents: list[_Ent], win: _Ent) -> None:
        """A conflict listed here is settled once a newer write comes in from someone who had
        seen both sides (typically a colleague resolving it on their PC)."""
        by_stamp = {(e[3], e[2]): e for e in ents}
        for cid, lsite, lhlc, rsite, rhlc in self._open.pop((table, rid, fname)):
            sides = [by_stamp.get((rsite, rhlc))]
            if lsite is not None and lhlc is not None:
                sides.append(by_stamp.get((lsite, lhlc)))
            if all(
                side is not None
                and side is not win
                and self.knowledge.seen_by(win[3], win[4], side[3], side[4])
                for side in sides
            ):
                self._superseded.append(cid)

    def _is_future(self, e: _Ent) -> bool:
        return hlc_wall_ms(e[2]) > self.now_ms + DAY_MS

    def _detect(self, table: str, rid: str, fname: str, ents: list[_Ent], final: _Ent) -> None:
        olds = [e for e in ents if not e[5]]
        news = sorted((e for e in ents if e[5]), key=_key)
        if not news:
            return
        running = max(olds, key=_key) if olds else None
        before = running
        flagged = False
        for e in news:
            if (
                running is not None
                and e[1] != running[1]
                and e[3] != running[3]
                and not self.knowledge.seen_by(e[3], e[4], running[3], running[4])
                and not self.knowledge.seen_by(running[3], running[4], e[3], e[4])
            ):
                self._conflict("concurrent", table, rid, fname, running, e)
                flagged = flagged or e is final
            if running is None or _key(e) > _key(running):
                running = e
        if (
            final[5]
            and before is not None
            and final[1] != before[1]
            and self._is_future(final)
            and not flagged
        ):
            self._conflict("clock", table, rid, fname, before, final)

    def _conflict(self, kind: str, table: str, rid: str, fname: str, a: _Ent, b: _Ent) -> None:
        self._conflicts.append(
            {
                "kind": kind,
                "table_name": table,
                "record_id": rid,
                "field": fname,
                "local_value": a[1],
                "local_site": a[3],
                "local_hlc": a[2],
                "remote_value": b[1],
                "remote_site": b[3],
                "remote_hlc": b[2],
                "winner": "remote" if _key(b) > _key(a) else "local",
                "detected_at": self.now,
                "resolved_at": None,
                "kept": "",
            }
        )
        if kind == "clock":
            self.stats.clock_reviews += 1
        else:
            self.stats.conflicts += 1

    @staticmethod
    def _values(specs: dict[str, FieldSpec], winners: dict[str, _Ent]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for fname, ent in winners.items():
            spec = specs.get(fname)
            if spec is None:
                continue
            value = ent[6]
            if value is _MISSING:
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
            pt = _table(parent)
            for chunk in _chunks(unknown):
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

    # -- erasure reaches what belongs to a deleted record -------------------------------

    def _cascade(self, table: str) -> None:
        """Erase the live rows of `table` that belong to a deleted record (`store.ownership`):
        rows written by this merge whose owner is deleted here (a need a colleague logged for
        a person deleted here meanwhile), and live rows of owners deleted by this merge (the
        person's tombstone arrived). Owners' tables come first in `table_order`, so erasure
        runs down the graph in one pass; it needs nothing but the rows, so it works the same
        when a large import is merged batch by batch."""
        links = links_from(table)
        if not links:
            return
        t = _table(table)
        doomed: set[str] = set()
        written = sorted(self._written_live.get(table, ()))
        for link in links:
            col = t.c[link.column]
            owner = _table(link.owner)
            for chunk in _chunks(written):
                doomed.update(
                    self.s.scalars(
                        select(t.c.id)
                        .join(owner, owner.c.id == col)
                        .where(
                            t.c.id.in_(chunk),
                            t.c.deleted_at.is_(None),
                            owner.c.deleted_at.is_not(None),
                        )
                    )
                )
            if not self.descend:
                continue
            for chunk in _chunks(sorted(self._deleted.get(link.owner, ()))):
                doomed.update(
                    self.s.scalars(select(t.c.id).where(col.in_(chunk), t.c.deleted_at.is_(None)))
                )
        if doomed:
            self._erase_rows(table, sorted(doomed))

    def _erase_rows(self, table: str, ids: list[str]) -> None:
        """What a local delete does to a row: personal fields blank, `deleted_at` set. Its
        tombstone entry is logged once all tables are merged (`_log_erased`)."""
        erase_rows(self.s, table, ids, self.now)
        category = CATEGORY.get(table, "other")
        for rid in ids:
            self._erased.append((table, rid))
            self._deleted[table].add(rid)
            self._written_live[table].discard(rid)
            self._exists[table].add(rid)
            if table not in PARENT_FIELD:  # history rows: their need or referral is counted
                self.stats.changed[category].add(rid)
        self.stats.deleted += len(ids)

    def _cascade_waiting(self) -> None:
        """Records still waiting for a parent (no row yet) are erased too when they belong to
        a deleted record, so their text does not wait in the log for the other parent; and
        waiting records that arrived deleted have their log entries scrubbed like any other."""
        waiting: dict[str, list[str]] = defaultdict(list)
        for table, rid in self._pending:
            waiting[table].append(rid)
        if not waiting:
            return
        for table, ids in waiting.items():
            self._deleted[table].update(tombstoned(self.s, table, ids))
        found = waiting_dependents(self.s, list(self._pending), self._deleted)
        for table, ids in found.items():
            done = tombstoned(self.s, table, ids)
            fresh = [(table, rid) for rid in sorted(ids) if rid not in done]
            self._erased.extend(fresh)
            self.stats.deleted += len(fresh)
            self._deleted[table].update(ids)

    def _log_erased(self, newest: int) -> None:
        """Tombstones for what this merge erased, as this site's own changes: they travel, so
        a site that has not seen the owner's delete erases them too. Two sites erasing the same
        record both log one; any tombstone wins and the latest one gives `deleted_at`, so they
        still converge. A knowledge checkpoint first records that these were written after
        seeing everything imported here."""
        if not self._erased:
            return
        state = self.s.get(SiteState, 1)
        if state is None:  # pragma: no cover - every database has one
            raise RuntimeError("site_state row missing: database was not initialised")
        merge_knowledge(self.s, [(state.site_id, state.next_seq - 1, version_vector(self.s))])
        log_tombstones(
            self.s,
            self._erased,
            self.now,
            reason="sync: erased with the record it belongs to",
            after_hlc=newest,
            now_ms=lambda: self.now_ms,
        )

    # -- after all tables ----------------------------------------------------------------

    def _recompute_status(self) -> None:
        for table, history, link, default in STATUS_CACHES:
            ids = sorted(
                self._status_touch.get(table, set()) | self._status_touch.get(history, set())
            )
            for chunk in _chunks(ids):
                self._recompute_chunk(table, history, link, default, list(chunk))

    def _recompute_chunk(
        self, table: str, history: str, link: str, default: str, ids: list[str]
    ) -> None:
        marks = ",".join("?" * len(ids))
        rows = self.conn.exec_driver_sql(
            f"SELECT h.{link}, h.to_status, h.id, "
            "(SELECT MAX(c.hlc) FROM change_entry c WHERE c.table_name = ? "
            "AND c.record_id = h.id AND c.field = 'to_status') AS stamp, "
            "(SELECT c.site_id FROM change_entry c WHERE c.table_name = ? "
            "AND c.record_id = h.id AND c.field = 'to_status' ORDER BY c.hlc DESC, c.site_id DESC "
            "LIMIT 1) AS site "
            f"FROM {history} h WHERE h.{link} IN ({marks})",
            (history, history, *ids),
        ).all()
        latest: dict[str, tuple[int, str, str, str]] = {}
        for owner, status, hid, stamp, site in rows:
            key = (stamp or 0, site or "", hid, status)
            if owner not in latest or key > latest[owner]:
                latest[owner] = key
        t = _table(table)
        current = dict(self.s.execute(select(t.c.id, t.c.status).where(t.c.id.in_(ids))).all())
        changes = []
        for rid, status in current.items():
            want = latest[rid][3] if rid in latest else default
            if status != want:
                changes.append({"_id": rid, "status": want})
        if changes:
            self.s.execute(
                t.update().where(t.c.id == bindparam("_id")).values(status=bindparam("status")),
                changes,
            )

    def _save_pending(self, touched: dict[str, set[str]]) -> None:
        """Records merged here that now wait leave a row in `sync_pending`; those that waited
        and could be written lose theirs."""
        table = SyncPending.__table__
        old: set[tuple[str, str]] = set()
        for name, ids in touched.items():
            for chunk in _chunks(sorted(ids)):
                old.update(
                    (name, r)
                    for r in self.s.scalars(
                        select(table.c.record_id).where(
                            table.c.table_name == name, table.c.record_id.in_(chunk)
                        )
                    )
                )
        resolved = [{"t": t, "r": r} for t, r in old if (t, r) not in self._pending]
        if resolved:
            self.s.execute(
                table.delete().where(
                    (table.c.table_name == bindparam("t")) & (table.c.record_id == bindparam("r"))
                ),
                resolved,
            )
        fresh = [
            {"table_name": t, "record_id": r, "reason": why, "since": self.now}
            for (t, r), why in self._pending.items()
            if (t, r) not in old
        ]
        if fresh:
            self.s.execute(table.insert(), fresh)
        self.stats.pending = len(self._pending)
        reasons: dict[str, int] = defaultdict(int)
        for why in self._pending.values():
            reasons[pending_reason(why)] += 1
        self.stats.pending_reasons = dict(sorted(reasons.items()))


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


__all__ = ["MergeStats", "apply_entries", "decoded", "table_order"]
