"""The change log as it is stored: one row per record write (docs/change-log.md, step 2).

Sync's unit is still the **field entry** `(site, seq, table, record, field, value, hlc,
tombstone)`: bundles carry entries, signatures digest them, the merge compares them. What changed
is how they are kept. A record write made of consecutive entries — one site, one table, one
record, seqs and clock stamps each one more than the last — is one `change_write` row:

- `site`: the site's small integer in `sync_site` (never a 36-character uuid per entry);
- `seq`, `hlc`: the first entry's; entry k of the row has `seq + k` and `hlc + k`;
- `shape`: the write's table and field list, interned in `sync_shape` (a new person always
  writes the same fields, so a handful of shapes cover nearly every row);
- `record`: the record id as 16 bytes when it is a canonical uuid (text otherwise);
- `tomb`: bit k set when entry k is a tombstone;
- `vals`: the entries' value texts, as a JSON array of strings.

Local writes are made to fit (capture stamps the fields of one record write with consecutive
clock values); entries received from elsewhere or migrated from the old per-field table are
grouped whenever they fit and otherwise kept one row per entry, so any entry can be stored and
every entry reads back exactly as it was written — the digests of signed directory changes
depend on that. `change_entry` is a read-only view giving the old per-field rows, for reports
and tests (migration 0014 defines it); the code paths that matter for speed read the rows here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column

from referral_desk.store.models import Base

# (site, seq, table, record, field, value text, hlc, tombstone 0/1): as bundles carry it.
Entry = tuple[str, int, str, str, str, Any, int, int]  # value None: read it from the row

MAX_WIDTH = 60  # entries per row: the tombstone bits must fit a signed 64-bit integer
COLS = "site, seq, shape, record, hlc, tomb, vals"
_INSERT = f"INSERT OR IGNORE INTO change_write ({COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
CHUNK = 500  # ids per IN (...) list


class SyncShape(Base):
    """A write's table and the fields it wrote, in seq order (a JSON array of names)."""

    __tablename__ = "sync_shape"
    __table_args__ = (UniqueConstraint("table_name", "fields"),)

    ord: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64))
    fields: Mapped[str] = mapped_column(Text)
    width: Mapped[int] = mapped_column(Integer)


class ChangeWrite(Base):
    """One record write: consecutive field entries of one site (see the module docstring)."""

    __tablename__ = "change_write"
    __table_args__ = (
        Index("ix_change_write_record", "record", "shape"),
        {"sqlite_with_rowid": False},
    )

    site: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    shape: Mapped[int] = mapped_column(Integer)
    record: Mapped[bytes] = mapped_column(LargeBinary)
    hlc: Mapped[int] = mapped_column(Integer)
    tomb: Mapped[int] = mapped_column(Integer, default=0)
    vals: Mapped[str | None] = mapped_column(Text)


def record_key(record: str) -> bytes | str:
    """How a record id is stored: 16 bytes for a canonical (lower-case) uuid, else the text.
    (Called for every record a bulk load writes: string slicing, not `uuid.UUID`.)"""
    if len(record) == 36 and record[8] == record[13] == record[18] == record[23] == "-":
        digits = record[:8] + record[9:13] + record[14:18] + record[19:23] + record[24:]
        if digits == digits.lower():
            try:
                key = bytes.fromhex(digits)
            except ValueError:
                return record
            if len(key) == 16:  # fromhex skips spaces: a short result was not 32 digits
                return key
    return record


def record_text(key: bytes | str) -> str:
    if type(key) is bytes:
        h = key.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return key  # type: ignore[return-value]


def connection_of(target: Session | Any) -> Any:
    return target.connection() if isinstance(target, Session) else target


class LogNames:
    """The interned sites and shapes, read once for one operation and added to as needed.

    Never kept across transactions: an ord created in a transaction that is rolled back could
    otherwise be handed out again for another name."""

    def __init__(self, target: Session | Any) -> None:
        self.conn = connection_of(target)
        self.sites: dict[str, int] = {}
        self.site_ids: dict[int, str] = {}
        self.shapes: dict[tuple[str, tuple[str, ...]], int] = {}
        self.shape_of: dict[int, tuple[str, tuple[str, ...]]] = {}
        self.reload()

    def reload(self) -> None:
        """Read every site and shape again (another writer in this transaction, such as
        `changelog.log_tombstones`, may have added some)."""
        for o, s in self.conn.exec_driver_sql("SELECT ord, site_id FROM sync_site"):
            self.sites[s] = o
            self.site_ids[o] = s
        for o, t, f in self.conn.exec_driver_sql("SELECT ord, table_name, fields FROM sync_shape"):
            key = (t, tuple(json.loads(f)))
            self.shapes[key] = o
            self.shape_of[o] = key

    def site_of(self, ord_: int) -> str:
        if ord_ not in self.site_ids:
            self.reload()
        return self.site_ids[ord_]

    def known_site(self, site_id: str) -> int | None:
        """The site's ord, or None when no entry of it was ever stored (never creates one)."""
        if site_id not in self.sites:
            self.reload()
        return self.sites.get(site_id)

    def fields_of(self, ord_: int) -> tuple[str, tuple[str, ...]]:
        if ord_ not in self.shape_of:
            self.reload()
        return self.shape_of[ord_]

    def site(self, site_id: str) -> int:
        found = self.sites.get(site_id)
        if found is None:
            self.conn.exec_driver_sql(
                "INSERT INTO sync_site (site_id, top) VALUES (?, 0) ON CONFLICT DO NOTHING",
                (site_id,),
            )
            found = self.conn.exec_driver_sql(
                "SELECT ord FROM sync_site WHERE site_id = ?", (site_id,)
            ).scalar_one()
            self.sites[site_id] = found
            self.site_ids[found] = site_id
        return found

    def shape(self, table: str, fields: tuple[str, ...]) -> int:
        key = (table, fields)
        found = self.shapes.get(key)
        if found is None:
            text = json.dumps(list(fields), ensure_ascii=False, separators=(",", ":"))
            self.conn.exec_driver_sql(
                "INSERT INTO sync_shape (table_name, fields, width) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (table, text, len(fields)),
            )
            found = self.conn.exec_driver_sql(
                "SELECT ord FROM sync_shape WHERE table_name = ? AND fields = ?", (table, text)
            ).scalar_one()
            self.shapes[key] = found
            self.shape_of[found] = key
        return found

    def tables(self, names: Iterable[str]) -> list[int]:
        """Ords of every shape of these tables (read afresh: shapes are few)."""
        wanted = sorted(set(names))
        marks = ",".join("?" * len(wanted))
        found = self.conn.exec_driver_sql(
            f"SELECT ord, table_name, fields FROM sync_shape WHERE table_name IN ({marks})",
            tuple(wanted),
        ).all()
        for o, t, f in found:
            if o not in self.shape_of:
                key = (t, tuple(json.loads(f)))
                self.shapes[key] = o
                self.shape_of[o] = key
        return [r[0] for r in found]


def _groups(entries: Iterable[Sequence[Any]]) -> Iterator[list[Sequence[Any]]]:
    """Runs of entries that can share a row: one site, table and record, seqs and stamps each
    one more than the last, no field twice, at most MAX_WIDTH."""
    group: list[Sequence[Any]] = []
    fields: set[str] = set()
    for e in entries:
        if group:
            first, last = group[0], group[-1]
            if (
                e[1] == last[1] + 1
                and e[6] == last[6] + 1
                and e[0] == first[0]
                and e[3] == first[3]
                and e[2] == first[2]
                and e[4] not in fields
                and len(group) < MAX_WIDTH
            ):
                group.append(e)
                fields.add(e[4])
                continue
            yield group
        group = [e]
        fields = {e[4]}
    if group:
        yield group


def pack_values(values: Iterable[str | None]) -> str | None:
    """A write's values as stored: a JSON array of value texts, null where the value is read
    from the record's row (`store.changelog_values`); SQL NULL when every one is."""
    vs = list(values)
    if all(v is None for v in vs):
        return None
    return json.dumps(vs, ensure_ascii=False, separators=(",", ":"))


def pack(entries: Iterable[Sequence[Any]], names: LogNames) -> list[tuple[Any, ...]]:
    """`change_write` rows for entries (in the order given; consecutive ones are grouped)."""
    rows = []
    for group in _groups(entries):
        first = group[0]
        tomb = 0
        for k, e in enumerate(group):
            if e[7]:
                tomb |= 1 << k
        rows.append(
            (
                names.site(first[0]),
                first[1],
                names.shape(first[2], tuple(e[4] for e in group)),
                record_key(first[3]),
                first[6],
                tomb,
                pack_values(e[5] for e in group),
            )
        )
    return rows


def insert_entries(
    target: Session | Any,
    entries: Iterable[Sequence[Any]],
    names: LogNames | None = None,
    *,
    unheld: bool = False,
) -> None:
    """Store field entries; an entry whose (site, seq) the log holds already is left out (a
    row must never hold an entry another row holds, whatever the grouping). `unheld`: the
    caller has checked that none is held (a sync import's entries are filtered by `sync_site`
    first), so the log is not read for them."""
    names = names or LogNames(target)
    ordered = sorted(entries, key=lambda e: (e[0], e[1]))
    if unheld:
        rows = pack(ordered, names)
        if rows:
            names.conn.exec_driver_sql(_INSERT, rows)
        return
    fresh: list[Sequence[Any]] = []
    start = 0
    while start < len(ordered):
        site = ordered[start][0]
        end = start
        while end < len(ordered) and ordered[end][0] == site:
            end += 1
        block = ordered[start:end]
        held = _held_between(names, site, block[0][1], block[-1][1])
        last = None
        for e in block:
            if e[1] not in held and e[1] != last:
                fresh.append(e)
                last = e[1]
        start = end
    rows = pack(fresh, names)
    if rows:
        names.conn.exec_driver_sql(_INSERT, rows)


def _held_between(names: LogNames, site: str, lo: int, hi: int) -> set[int]:
    """Seqs of `site` in [lo, hi] the log holds (one range read: an import's new entries
    usually lie above everything held, and then it finds nothing)."""
    ord_ = names.known_site(site)
    if ord_ is None:
        return set()
    held: set[int] = set()
    for seq, width in names.conn.exec_driver_sql(
        "SELECT w.seq, h.width FROM change_write AS w JOIN sync_shape AS h ON h.ord = w.shape "
        "WHERE w.site = ? AND w.seq BETWEEN ? AND ?",
        (ord_, max(lo - MAX_WIDTH + 1, 0), hi),
    ):
        held.update(q for q in range(seq, seq + width) if lo <= q <= hi)
    return held


def expand(row: Sequence[Any], names: LogNames) -> list[Entry]:
    """The entries of one row read as `(site, seq, shape, record, hlc, tomb, vals)`."""
    site_ord, seq, shape, record, hlc, tomb, vals = row
    site = names.site_of(site_ord)
    table, fields = names.fields_of(shape)
    rid = record_text(record)
    values = json.loads(vals) if vals is not None else [None] * len(fields)
    return [
        (site, seq + k, table, rid, f, values[k], hlc + k, (tomb >> k) & 1)
        for k, f in enumerate(fields)
    ]


def entries_of_records(
    target: Session | Any,
    table: str,
    record_ids: Iterable[str],
    fields: Iterable[str] | None = None,
    names: LogNames | None = None,
) -> list[Entry]:
    """Every entry held for these records of `table` (optionally only some fields)."""
    names = names or LogNames(target)
    shapes = names.tables([table])
    wanted = None if fields is None else set(fields)
    out: list[Entry] = []
    ids = sorted(set(record_ids))
    if not shapes or not ids:
        return out
    shape_marks = ",".join("?" * len(shapes))
    for start in range(0, len(ids), CHUNK):
        keys = [record_key(r) for r in ids[start : start + CHUNK]]
        marks = ",".join("?" * len(keys))
        for row in names.conn.exec_driver_sql(
            f"SELECT {COLS} FROM change_write WHERE record IN ({marks}) "
            f"AND shape IN ({shape_marks})",
            (*keys, *shapes),
        ):
            for e in expand(row, names):
                if wanted is None or e[4] in wanted:
                    out.append(e)
    return out


def first_seq(conn: Any, site: int, lo: int) -> int:
    """Where rows that may hold seq `lo` of a site start (a row can begin below it)."""
    start = conn.exec_driver_sql(
        "SELECT MAX(seq) FROM change_write WHERE site = ? AND seq <= ?", (site, lo)
    ).scalar()
    return lo if start is None else start


def site_rows(
    target: Session | Any, names: LogNames, site: str, lo: int = 1, hi: int | None = None
) -> Iterator[list[Entry]]:
    """Entries of `site` with seq in [lo, hi], in seq order, a stored row at a time (clipped
    to the range). Reads with its own cursor, in batches."""
    ord_ = names.known_site(site)
    if ord_ is None:
        return
    conn = names.conn
    top = (1 << 62) if hi is None else hi
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(
            f"SELECT {COLS} FROM change_write WHERE site = ? AND seq BETWEEN ? AND ? ORDER BY seq",
            (ord_, first_seq(conn, ord_, lo), top),
        )
        while rows := cursor.fetchmany(2000):
            for row in rows:
                entries = expand(row, names)
                if entries[0][1] < lo or entries[-1][1] > top:
                    entries = [e for e in entries if lo <= e[1] <= top]
                if entries:
                    yield entries
    finally:
        cursor.close()


def has_entry(target: Session | Any, site: str, seq: int) -> bool:
    conn = connection_of(target)
    row = conn.exec_driver_sql(
        "SELECT w.seq + h.width - 1 FROM change_write AS w JOIN sync_shape AS h ON h.ord = "
        "w.shape WHERE w.site = (SELECT ord FROM sync_site WHERE site_id = ?) AND w.seq <= ? "
        "ORDER BY w.seq DESC LIMIT 1",
        (site, seq),
    ).first()
    return row is not None and row[0] >= seq


__all__ = [
    "ChangeWrite",
    "Entry",
    "LogNames",
    "SyncShape",
    "entries_of_records",
    "expand",
    "has_entry",
    "insert_entries",
    "pack",
    "record_key",
    "record_text",
    "site_rows",
]
