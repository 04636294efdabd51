"""Changes to the stored change log other than appending, and the scans export previews and
erasure make of it (`store.changelog_rows` stores and reads the entries). Rewriting a stored
row keeps its grouping: entries are taken out and put back through `insert_entries`, or a
value is replaced in place."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from referral_desk.store.changelog_rows import (
    CHUNK,
    COLS,
    Entry,
    LogNames,
    connection_of,
    expand,
    first_seq,
    insert_entries,
    pack_values,
    record_key,
    site_rows,
)


def take_above(target: Session | Any, site: str, cut: int) -> list[Entry]:
    """Remove and return every entry of `site` with seq above `cut` (a row that spans the cut
    keeps its part at or below it)."""
    names = LogNames(target)
    taken = [e for row in site_rows(target, names, site, cut + 1) for e in row]
    ord_ = names.known_site(site)
    if ord_ is None:
        return taken
    start = first_seq(names.conn, ord_, cut + 1)
    spanning = []
    if start <= cut:
        row = names.conn.exec_driver_sql(
            f"SELECT {COLS} FROM change_write WHERE site = ? AND seq = ?", (ord_, start)
        ).first()
        spanning = [e for e in expand(row, names) if e[1] <= cut] if row is not None else []
    names.conn.exec_driver_sql(
        "DELETE FROM change_write WHERE site = ? AND seq >= ?", (ord_, min(start, cut + 1))
    )
    if spanning:
        insert_entries(names.conn, spanning, names)
    return taken


def rewrite_values(
    target: Session | Any, table: str, record_ids: Iterable[str], new_values: dict[str, str]
) -> int:
    """Set the value text of the named fields in every entry of these records (erasure).
    Returns the number of entry values changed."""
    names = LogNames(target)
    shapes = names.tables([table])
    ids = sorted(set(record_ids))
    if not shapes or not ids:
        return 0
    changed = 0
    shape_marks = ",".join("?" * len(shapes))
    for start in range(0, len(ids), CHUNK):
        keys = [record_key(r) for r in ids[start : start + CHUNK]]
        marks = ",".join("?" * len(keys))
        updates = []
        for site, seq, shape, vals in names.conn.exec_driver_sql(
            f"SELECT site, seq, shape, vals FROM change_write WHERE record IN ({marks}) "
            f"AND shape IN ({shape_marks})",
            (*keys, *shapes),
        ).all():
            fields = names.fields_of(shape)[1]
            values = json.loads(vals) if vals is not None else [None] * len(fields)
            n = 0
            for k, f in enumerate(fields):
                if f in new_values and values[k] != new_values[f]:
                    values[k] = new_values[f]
                    n += 1
            if n:
                changed += n
                updates.append((pack_values(values), site, seq))
        if updates:
            names.conn.exec_driver_sql(
                "UPDATE change_write SET vals = ? WHERE site = ? AND seq = ?", updates
            )
    return changed


def tombstones_in(
    target: Session | Any, site: str | None = None, lo: int = 1, hi: int | None = None
) -> set[tuple[str, str]]:
    """(table, record) of every record a held tombstone deletes (non-null `deleted_at`), of
    one site's seqs in [lo, hi] or of every site."""
    names = LogNames(target)
    top = (1 << 62) if hi is None else hi
    sql = f"SELECT {COLS} FROM change_write WHERE tomb != 0"
    params: tuple[Any, ...] = ()
    if site is not None:
        ord_ = names.known_site(site)
        if ord_ is None:
            return set()
        sql += " AND site = ? AND seq BETWEEN ? AND ?"
        params = (ord_, first_seq(names.conn, ord_, lo), top)
    out = set()
    for row in names.conn.exec_driver_sql(sql, params).all():
        for e in expand(row, names):
            if e[7] and e[4] == "deleted_at" and e[5] != "null" and lo <= e[1] <= top:
                out.add((e[2], e[3]))
    return out


def sites_with_entries(target: Session | Any) -> set[str]:
    conn = connection_of(target)
    return {
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT site_id FROM sync_site WHERE ord IN (SELECT DISTINCT site FROM change_write)"
        )
    }


def count_in(target: Session | Any, site: str | None, lo: int = 1, hi: int | None = None) -> int:
    """Entries held of one site within [lo, hi], or of every site (`site` None)."""
    conn = connection_of(target)
    top = (1 << 62) if hi is None else hi
    span = "MIN(w.seq + h.width - 1, ?) - MAX(w.seq, ?) + 1"
    sql = (
        f"SELECT COALESCE(SUM({span}), 0) FROM change_write AS w "
        "JOIN sync_shape AS h ON h.ord = w.shape WHERE w.seq + h.width - 1 >= ? AND w.seq <= ?"
    )
    params: tuple[Any, ...] = (top, lo, lo, top)
    if site is not None:
        sql += " AND w.site = (SELECT ord FROM sync_site WHERE site_id = ?)"
        params += (site,)
    return int(conn.exec_driver_sql(sql, params).scalar() or 0)


__all__ = [
    "count_in",
    "rewrite_values",
    "sites_with_entries",
    "take_above",
    "tombstones_in",
]
