"""Change-log values read from the records' rows (docs/change-log.md, "values").

A logged value is usually the value the record's row holds: the write that set it is the
latest one. Keeping a second copy of every value in the log was most of its size, so a
`change_write` row stores a value as null when the row holds it, and readers take it from the
row (`resolve`), encoded exactly as capture encodes it (`changelog.encode_value`).

That is only right while the row still holds it. So whatever is about to change a logged
column of a row first writes the current text into every entry that reads it from there
(`materialize`): capture before a flush, the merge before it updates rows, erasure before it
sets `deleted_at`. Blanking personal fields needs no copy: the entries of an erased record are
blanked too (`sync_models.scrub_erased_entries`), which is what they would read.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from referral_desk.store.changelog_rows import (
    CHUNK,
    LogNames,
    connection_of,
    pack_values,
    record_key,
)
from referral_desk.store.models import Base
from referral_desk.store.value_text import encode_value

Wants = Mapping[str, Iterable[str]]  # record id -> fields


class LogValueMissing(RuntimeError):
    """An entry reads its value from a row that is not there (never expected: rows of synced
    tables are never deleted). Names the table only: values may be personal data."""


def row_texts(target: Session | Any, table: str, wants: Wants) -> dict[tuple[str, str], str]:
    """The encoded current value of these fields of these records, from their rows."""
    out: dict[tuple[str, str, str], str] = {}
    _fill(connection_of(target), table, wants, out)
    return {(rid, f): text for (_t, rid, f), text in out.items()}


def _fill(conn: Any, table: str, wants: Wants, out: dict[tuple[str, str, str], str]) -> None:
    """Put into `out`, keyed (table, record, field), the encoded current values wanted."""
    t: Table = Base.metadata.tables[table]
    names = set(t.c.keys())
    fields = sorted({f for fs in wants.values() for f in fs if f in names})
    if not fields:
        return
    position = {f: k for k, f in enumerate(fields, start=1)}
    picks = {rid: [(f, position[f]) for f in fs if f in position] for rid, fs in wants.items()}
    ids = sorted(wants)
    stmt = select(t.c.id, *(t.c[f] for f in fields))
    for start in range(0, len(ids), CHUNK):
        for row in conn.execute(stmt.where(t.c.id.in_(ids[start : start + CHUNK]))):
            rid = row[0]
            for f, k in picks[rid]:
                out[(table, rid, f)] = encode_value(row[k])


def table_texts(
    target: Session | Any, wants: Mapping[str, Wants]
) -> dict[tuple[str, str, str], str]:
    """`row_texts` of several tables: (table, record, field) -> encoded current value."""
    out: dict[tuple[str, str, str], str] = {}
    conn = connection_of(target)
    for table, recs in wants.items():
        _fill(conn, table, recs, out)
    return out


def resolve(target: Session | Any, entries: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Entries with every value read from its row filled in (an export reads a batch of
    thousands at a time through here: one query per table and chunk of records)."""
    wants: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for e in entries:
        if e[5] is None:
            wants[e[2]][e[3]].add(e[4])
    if not wants:
        return [e if type(e) is tuple else tuple(e) for e in entries]
    texts = table_texts(target, wants)
    out = []
    for e in entries:
        if e[5] is not None:
            out.append(e if type(e) is tuple else tuple(e))
            continue
        found = texts.get((e[2], e[3], e[4]))
        if found is None:
            raise LogValueMissing(f"a change-log value of {e[2]} has no row to read from")
        out.append((e[0], e[1], e[2], e[3], e[4], found, e[6], e[7]))
    return out


def materialize(
    target: Session | Any,
    table: str,
    changes: Wants,
    before: Callable[[str, str], str] | None = None,
) -> int:
    """Copy into the log the current value of these fields of these records, for every entry
    that reads it from the row: call before the row changes. `before(record, field)` gives the
    encoded current value when the caller has the row at hand (else it is read). Returns the
    number of values copied."""
    names = LogNames(target)
    shapes = names.tables([table])
    wanted = {rid: set(fs) for rid, fs in changes.items() if fs}
    if not shapes or not wanted:
        return 0
    shape_marks = ",".join("?" * len(shapes))
    ids = sorted(wanted)
    copied = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        by_key = {record_key(r): r for r in chunk}
        marks = ",".join("?" * len(chunk))
        pending: list[tuple[int, int, str, list[Any], list[int], tuple[str, ...]]] = []
        needed: dict[str, set[str]] = defaultdict(set)
        for site, seq, shape, record, vals in names.conn.exec_driver_sql(
            f"SELECT site, seq, shape, record, vals FROM change_write WHERE record IN ({marks}) "
            f"AND shape IN ({shape_marks}) AND (vals IS NULL OR vals LIKE '%null%')",
            (*by_key, *shapes),
        ).all():
            rid = by_key.get(record)
            if rid is None:
                continue
            fields = names.fields_of(shape)[1]
            values = json.loads(vals) if vals is not None else [None] * len(fields)
            hits = [k for k, f in enumerate(fields) if values[k] is None and f in wanted[rid]]
            if hits:
                pending.append((site, seq, rid, values, hits, fields))
                needed[rid].update(fields[k] for k in hits)
        if not pending:
            continue
        texts = (
            {(rid, f): before(rid, f) for rid, fs in needed.items() for f in fs}
            if before is not None
            else row_texts(names.conn, table, needed)
        )
        updates = []
        for site, seq, rid, values, hits, fields in pending:
            for k in hits:
                text = texts.get((rid, fields[k]))
                if text is None:
                    raise LogValueMissing(f"a change-log value of {table} has no row to read from")
                values[k] = text
                copied += 1
            updates.append((pack_values(values), site, seq))
        names.conn.exec_driver_sql(
            "UPDATE change_write SET vals = ? WHERE site = ? AND seq = ?", updates
        )
    return copied


__all__ = ["LogValueMissing", "materialize", "resolve", "row_texts", "table_texts"]
