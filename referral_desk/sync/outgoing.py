"""What an export carries, read from the database as a stream in (site, seq) order.

What an export holds — "everything the destination might lack":

- `export --out FILE` (a USB drive into a prison): the destination's state is unknown, so the
  bundle holds *every* entry this site has, from every site (its own and relayed ones), every
  quarantined entry and every knowledge checkpoint. Importing more than needed is harmless.
- export to a shared store: every entry the store is not known to hold (`ExportState`), as
  ranges of seq per site.

Entries are read a site at a time with a cursor in batches (never all at once), expanded from
the log's write rows (`store.changelog_rows`), and come out in increasing (site, seq) order —
change-log entries and quarantined ones merged — as format 2 requires.
Before anything leaves, personal values of deleted records are blanked in the log (erasure),
so what is read is already scrubbed.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

from referral_desk.store.changelog_edits import count_in, sites_with_entries, tombstones_in
from referral_desk.store.changelog_rows import LogNames, site_rows
from referral_desk.store.changelog_sites import held_tops
from referral_desk.store.changelog_values import resolve
from referral_desk.store.sync_models import scrub_erased_entries
from referral_desk.sync.payload import Entry
from referral_desk.sync.quarantine import table_specs
from referral_desk.sync.state import ExportState, missing_ranges, raw_rows

BATCH = 5000
Scope = list[tuple[str, int, int]] | None  # (site, lo, hi) ranges; None: everything


def export_scope(session: Session, state: ExportState) -> Scope:
    """The seq ranges, per site, that the store is not known to hold (sites in order)."""
    tops = held_tops(session)
    scope = []
    for site in sorted(tops):
        gaps = missing_ranges(state.known.get(site, []), tops[site])
        scope.extend((site, lo, hi) for lo, hi in gaps)
    return scope


def _parts(session: Session, scope: Scope) -> list[tuple[str, int, int | None]]:
    """(site, lo, hi) to read, in (site, seq) order: the scope, or every site whole."""
    if scope is not None:
        return [(site, lo, hi) for site, lo, hi in scope]
    sites = {r[0] for r in raw_rows(session, "SELECT DISTINCT site_id FROM sync_quarantine", ())}
    return [(site, 1, None) for site in sorted(sites | sites_with_entries(session))]


def _quarantined(session: Session, site: str, lo: int, hi: int | None) -> list[Any]:
    return raw_rows(
        session,
        "SELECT seq, raw FROM sync_quarantine WHERE site_id = ? AND seq BETWEEN ? AND ? "
        "ORDER BY seq",
        (site, lo, (1 << 62) if hi is None else hi),
    )


def count_entries(session: Session, scope: Scope) -> tuple[int, int]:
    """(entries, sites) an export of `scope` would carry: for previews."""
    total = 0
    sites: set[str] = set()
    for site, lo, hi in _parts(session, scope):
        n = count_in(session, site, lo, hi) + len(_quarantined(session, site, lo, hi))
        if n:
            total += n
            sites.add(site)
    return total, len(sites)


def scrub_dead(session: Session, scope: Scope) -> None:
    """Erasure before anything leaves: personal values of records deleted (by a tombstone in
    what is exported) are blanked in the log and the quarantine."""
    dead: dict[str, set[str]] = {}
    found = (
        tombstones_in(session)
        if scope is None
        else set().union(*(tombstones_in(session, *part) for part in scope))
    )
    for table, rid in found:
        dead.setdefault(table, set()).add(rid)
    specs = table_specs()
    for table, ids in dead.items():
        if table in specs:
            scrub_erased_entries(session, table, ids)


def entry_batches(
    session: Session, scope: Scope, size: int = BATCH
) -> Iterator[Sequence[Entry | tuple[Any, ...]]]:
    """Every entry in `scope`, in increasing (site, seq) order, `size` at a time (log entries
    as tuples, quarantined ones as they came: JSON writes them as arrays alike)."""
    names = LogNames(session)
    quarantined = bool(raw_rows(session, "SELECT EXISTS (SELECT 1 FROM sync_quarantine)", ())[0][0])
    batch: list[Any] = []
    for site, lo, hi in _parts(session, scope):
        logged: Iterator[Any] = _logged(session, names, site, lo, hi, size)
        if quarantined and (kept := _quarantined(session, site, lo, hi)):
            logged = _with_quarantined(logged, kept, site)
        for e in logged:
            batch.append(e)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def _logged(
    session: Session, names: LogNames, site: str, lo: int, hi: int | None, size: int
) -> Iterator[tuple[Any, ...]]:
    """The log's entries of one site in [lo, hi], values read from the rows where the log
    keeps none — a batch at a time, and only the log's: a quarantined entry travels exactly
    as it came, whatever it holds."""
    buffer: list[Any] = []
    for row in site_rows(session, names, site, lo, hi):
        buffer.extend(row)
        if len(buffer) >= size:
            yield from resolve(session, buffer)
            buffer = []
    if buffer:
        yield from resolve(session, buffer)


def _with_quarantined(logged: Iterator[Any], kept: list[Any], site: str) -> Iterator[Any]:
    """Log entries and quarantined ones of one site merged in seq order (an entry held in
    both is given once, from the log)."""
    last = None
    for e in heapq.merge(logged, kept, key=_seq_of):
        if len(e) > 2:
            last = e[1]
            yield e
            continue
        q, raw = e
        if q == last:
            continue
        last = q
        if (entry := _raw_entry(raw, site, q)) is not None:
            yield entry


def _seq_of(item: Sequence[Any]) -> int:
    """An entry's seq, or a quarantined (seq, raw) pair's."""
    return item[1] if len(item) > 2 else item[0]


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
