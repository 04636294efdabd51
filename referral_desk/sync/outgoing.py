"""What an export carries, read from the database as a stream in (site, seq) order.

What an export holds — "everything the destination might lack":

- `export --out FILE` (a USB drive into a prison): the destination's state is unknown, so the
  bundle holds *every* entry this site has, from every site (its own and relayed ones), every
  quarantined entry and every knowledge checkpoint. Importing more than needed is harmless.
- export to a shared store: every entry the store is not known to hold (`ExportState`), as
  ranges of seq per site.

Entries are read with a cursor in batches (never all at once) and come out in increasing
(site, seq) order — change-log entries and quarantined ones merged — as format 2 requires.
Before anything leaves, personal values of deleted records are blanked in the log (erasure),
so what is read is already scrubbed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

from referral_desk.store.changelog_sites import held_tops
from referral_desk.store.sync_models import scrub_erased_entries
from referral_desk.sync.payload import Entry
from referral_desk.sync.quarantine import table_specs
from referral_desk.sync.state import ExportState, missing_ranges, raw_rows

BATCH = 5000
Scope = list[tuple[str, int, int]] | None  # (site, lo, hi) ranges; None: everything

_PLAIN = "SELECT site_id, seq, table_name, record_id, field, value, hlc, tombstone"
_CHANGES = _PLAIN + ", NULL"
_QUARANTINED = "SELECT site_id, seq, NULL, NULL, NULL, NULL, NULL, NULL, raw"


def export_scope(session: Session, state: ExportState) -> Scope:
    """The seq ranges, per site, that the store is not known to hold (sites in order)."""
    tops = held_tops(session)
    scope = []
    for site in sorted(tops):
        gaps = missing_ranges(state.known.get(site, []), tops[site])
        scope.extend((site, lo, hi) for lo, hi in gaps)
    return scope


def _where(scope: Scope, site: str, lo: int, hi: int) -> tuple[str, tuple[Any, ...]]:
    return " WHERE site_id = ? AND seq BETWEEN ? AND ?", (site, lo, hi)


def count_entries(session: Session, scope: Scope) -> tuple[int, int]:
    """(entries, sites) an export of `scope` would carry: for previews."""
    total = 0
    sites: set[str] = set()
    parts = [("", ())] if scope is None else [_where(scope, *r) for r in scope]
    for where, params in parts:
        for table in ("change_entry", "sync_quarantine"):
            for site, n in raw_rows(
                session, f"SELECT site_id, COUNT(*) FROM {table}{where} GROUP BY site_id", params
            ):
                total += n
                sites.add(site)
    return total, len(sites)


def scrub_dead(session: Session, scope: Scope) -> None:
    """Erasure before anything leaves: personal values of records deleted (by a tombstone in
    what is exported) are blanked in the log and the quarantine."""
    dead: dict[str, set[str]] = {}
    sql = (
        "SELECT DISTINCT table_name, record_id FROM change_entry WHERE field = 'deleted_at' "
        "AND tombstone != 0 AND value != 'null'"
    )
    parts = [("", ())] if scope is None else [_where(scope, *r) for r in scope]
    for where, params in parts:
        clause = where.replace(" WHERE", " AND") if where else ""
        for table, rid in raw_rows(session, sql + clause, params):
            dead.setdefault(table, set()).add(rid)
    specs = table_specs()
    for table, ids in dead.items():
        if table in specs:
            scrub_erased_entries(session, table, ids)


def entry_batches(
    session: Session, scope: Scope, size: int = BATCH
) -> Iterator[Sequence[Entry | tuple[Any, ...]]]:
    """Every entry in `scope`, in increasing (site, seq) order, `size` at a time (as the
    database's row tuples when nothing is quarantined: JSON writes them as arrays alike)."""
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        quarantined = cursor.execute("SELECT EXISTS (SELECT 1 FROM sync_quarantine)").fetchone()[0]
        parts = [("", ())] if scope is None else [_where(scope, *r) for r in scope]
        last: tuple[str, int] | None = None
        for where, params in parts:
            if not quarantined:  # the usual case: rows are the entries as they are
                cursor.execute(f"{_PLAIN} FROM change_entry{where} ORDER BY 1, 2", params)
                while rows := cursor.fetchmany(size):
                    yield rows
                continue
            sql = (
                f"{_CHANGES} FROM change_entry{where} UNION ALL "
                f"{_QUARANTINED} FROM sync_quarantine{where} ORDER BY 1, 2"
            )
            cursor.execute(sql, params + params)
            while rows := cursor.fetchmany(size):
                batch: list[Entry] = []
                for s, q, t, r, f, v, h, b, raw in rows:
                    if last == (s, q):
                        continue  # held twice (log and quarantine): once is enough
                    last = (s, q)
                    if raw is None:
                        batch.append([s, q, t, r, f, v, h, 1 if b else 0])
                    elif (e := _raw_entry(raw, s, q)) is not None:
                        batch.append(e)
                if batch:
                    yield batch
    finally:
        cursor.close()


def _raw_entry(raw: str, site: str, seq: int) -> Entry | None:
    """A quarantined entry as it came (relayed verbatim), if it is still keyed as stored."""
    try:
        e = json.loads(raw)
    except ValueError:
        return None
    if isinstance(e, list) and len(e) >= 2 and e[0] == site and e[1] == seq:
        return e
    return None


class Runs:
    """(site, seq) keys written, as runs per site, gathered while they stream past."""

    def __init__(self) -> None:
        self.runs: dict[str, list[list[int]]] = {}

    def add(self, entries: Sequence[Any]) -> None:
        for e in entries:
            runs = self.runs.setdefault(e[0], [])
            if runs and runs[-1][1] + 1 == e[1]:
                runs[-1][1] = e[1]
            elif not runs or e[1] > runs[-1][1]:
                runs.append([e[1], e[1]])


__all__ = ["Runs", "count_entries", "entry_batches", "export_scope", "scrub_dead"]
