"""compact change log, step 2: one row per record write

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 22:00:00

The per-field `change_entry` table becomes `change_write` (docs/change-log.md): consecutive
entries of one site, table and record whose seqs and stamps each go up by one (one record
write) are one row, keyed by the site's `sync_site.ord` and the first seq, with the table and
field list interned in `sync_shape`, the record id as 16 bytes when it is a canonical uuid,
tombstones as bits and the values as a JSON array of their texts. Every entry reads back
exactly as it was (the digests of signed directory changes depend on it). `change_entry` is
then a read-only view of the entries.

Streamed in key order (never the whole log in memory); one transaction with the rest of the
upgrade, after the copy `Database.open` makes first. Every value is kept as text here; a note
in `local_setting` has the next open null those the rows hold and vacuum the file
(`store/changelog_compaction.py`: that needs the app's own value encoding). Written by hand, with its own grouping
code, so the migration never depends on the code of a later version.
"""

import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

MAX_WIDTH = 60
BATCH = 20_000


def _uuid_text(col: str) -> str:
    h = f"hex({col})"
    parts = [f"substr({h}, {a}, {n})" for a, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
    joined = " || '-' || ".join(parts)
    return f"lower({joined})"


VIEW = (
    "CREATE VIEW change_entry AS SELECT s.site_id AS site_id, w.seq + j.key AS seq, "
    "h.table_name AS table_name, CASE WHEN typeof(w.record) = 'blob' THEN "
    f"{_uuid_text('w.record')} ELSE w.record END AS record_id, j.value AS field, "
    "json_extract(w.vals, '$[' || j.key || ']') AS value, w.hlc + j.key AS hlc, "
    "(w.tomb >> j.key) & 1 AS tombstone "
    "FROM change_write AS w JOIN sync_shape AS h ON h.ord = w.shape "
    "JOIN sync_site AS s ON s.ord = w.site, json_each(h.fields) AS j"
)


def _key(record: str) -> Any:
    if len(record) == 36:
        try:
            u = uuid.UUID(record)
        except ValueError:
            return record
        if str(u) == record:
            return u.bytes
    return record


def _groups(rows: Any) -> Iterator[list[Sequence[Any]]]:
    group: list[Sequence[Any]] = []
    for e in rows:
        if group:
            first, last = group[0], group[-1]
            if (
                len(group) < MAX_WIDTH
                and e[0] == first[0]
                and e[1] == last[1] + 1
                and e[6] == last[6] + 1
                and e[2] == first[2]
                and e[3] == first[3]
                and all(g[4] != e[4] for g in group)
            ):
                group.append(e)
                continue
            yield group
        group = [e]
    if group:
        yield group


def upgrade() -> None:
    op.create_table(
        "sync_shape",
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ord", name=op.f("pk_sync_shape")),
        sa.UniqueConstraint("table_name", "fields", name=op.f("uq_sync_shape_table_name")),
    )
    op.create_table(
        "change_write",
        sa.Column("site", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("shape", sa.Integer(), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("hlc", sa.Integer(), nullable=False),
        sa.Column("tomb", sa.Integer(), nullable=False),
        sa.Column("vals", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("site", "seq", name=op.f("pk_change_write")),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    sites = dict(conn.exec_driver_sql("SELECT site_id, ord FROM sync_site").all())
    shapes: dict[tuple[str, str], int] = {}
    # A second connection-level cursor streams the old log while the first inserts.
    reader = conn.connection.dbapi_connection.cursor()
    reader.execute(
        "SELECT site_id, seq, table_name, record_id, field, value, hlc, tombstone "
        "FROM change_entry ORDER BY site_id, seq"
    )
    out: list[tuple[Any, ...]] = []

    def site_ord(site: str) -> int:
        if site not in sites:  # every logged site is in sync_site since 0013; be safe
            conn.exec_driver_sql("INSERT INTO sync_site (site_id, top) VALUES (?, 0)", (site,))
            sites[site] = conn.exec_driver_sql(
                "SELECT ord FROM sync_site WHERE site_id = ?", (site,)
            ).scalar_one()
        return sites[site]

    def shape_ord(table: str, fields: list[str]) -> int:
        text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        if (table, text) not in shapes:
            conn.exec_driver_sql(
                "INSERT INTO sync_shape (table_name, fields, width) VALUES (?, ?, ?)",
                (table, text, len(fields)),
            )
            shapes[(table, text)] = conn.exec_driver_sql(
                "SELECT ord FROM sync_shape WHERE table_name = ? AND fields = ?", (table, text)
            ).scalar_one()
        return shapes[(table, text)]

    def flush() -> None:
        conn.exec_driver_sql(
            "INSERT INTO change_write (site, seq, shape, record, hlc, tomb, vals) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            out,
        )
        out.clear()

    def stream() -> Iterator[Sequence[Any]]:
        while rows := reader.fetchmany(BATCH):
            yield from rows

    try:
        for group in _groups(stream()):
            first = group[0]
            tomb = 0
            for k, e in enumerate(group):
                if e[7]:
                    tomb |= 1 << k
            values = json.dumps([e[5] for e in group], ensure_ascii=False, separators=(",", ":"))
            out.append(
                (
                    site_ord(first[0]),
                    first[1],
                    shape_ord(first[2], [e[4] for e in group]),
                    _key(first[3]),
                    first[6],
                    tomb,
                    values,
                )
            )
            if len(out) >= BATCH:
                flush()
        if out:
            flush()
    finally:
        reader.close()
    op.create_index("ix_change_write_record", "change_write", ["record", "shape"])
    op.drop_table("change_entry")
    conn.exec_driver_sql(VIEW)
    # The next open stops keeping the values the rows hold, with the app's own encoding, then
    # gives the space back (`referral_desk.store.changelog_compaction`).
    conn.exec_driver_sql(
        "INSERT OR REPLACE INTO local_setting (key, value) SELECT 'change_log_values_due', "
        "'true' WHERE EXISTS (SELECT 1 FROM change_write)"
    )


def _encode(declared: str, stored: Any) -> str:
    """A stored column value as the change log's JSON text (what `encode_value` gives for the
    value the ORM reads back), by the column's declared type."""
    kind = declared.upper()
    if stored is None:
        value: Any = None
    elif kind == "BOOLEAN":
        value = bool(stored)
    elif kind == "JSON":
        value = json.loads(stored)
    elif kind == "FLOAT":
        value = float(stored)
    else:  # text, integers, and DATE / DATETIME kept in their canonical text
        value = stored
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _fill_values(conn: sa.Connection) -> None:
    """Write into the rows every value the log reads from the records (a downgrade returns to
    a log that keeps each value itself)."""
    rows = conn.exec_driver_sql(
        "SELECT w.site, w.seq, h.table_name, h.fields, w.record, w.vals FROM change_write AS w "
        "JOIN sync_shape AS h ON h.ord = w.shape WHERE w.vals IS NULL OR w.vals LIKE '%null%'"
    ).all()
    declared: dict[str, dict[str, str]] = {}
    for site, seq, table, fields_text, record, vals in rows:
        fields = json.loads(fields_text)
        values = json.loads(vals) if vals is not None else [None] * len(fields)
        if all(v is not None for v in values):
            continue
        if table not in declared:
            info = conn.exec_driver_sql(f'PRAGMA table_info("{table}")').all()
            declared[table] = {r[1]: r[2] for r in info}
        rid = str(uuid.UUID(bytes=record)) if isinstance(record, bytes) else record
        cols = ", ".join(f'"{f}"' for f in fields)
        found = conn.exec_driver_sql(f'SELECT {cols} FROM "{table}" WHERE id = ?', (rid,)).first()
        if found is None:
            raise RuntimeError(f"a change-log value of {table} has no row to read from")
        for k, f in enumerate(fields):
            if values[k] is None:
                values[k] = _encode(declared[table][f], found[k])
        conn.exec_driver_sql(
            "UPDATE change_write SET vals = ? WHERE site = ? AND seq = ?",
            (json.dumps(values, ensure_ascii=False, separators=(",", ":")), site, seq),
        )


def downgrade() -> None:
    conn = op.get_bind()
    conn.exec_driver_sql("DELETE FROM local_setting WHERE key = 'change_log_values_due'")
    _fill_values(conn)
    conn.exec_driver_sql("DROP VIEW change_entry")
    conn.exec_driver_sql("ALTER TABLE change_write RENAME TO change_write_old")
    op.create_table(
        "change_entry",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("hlc", sa.Integer(), nullable=False),
        sa.Column("tombstone", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "seq", name=op.f("pk_change_entry")),
    )
    conn.exec_driver_sql(
        "INSERT INTO change_entry SELECT s.site_id, w.seq + j.key, h.table_name, CASE WHEN "
        f"typeof(w.record) = 'blob' THEN {_uuid_text('w.record')} ELSE w.record END, j.value, "
        "json_extract(w.vals, '$[' || j.key || ']'), w.hlc + j.key, (w.tomb >> j.key) & 1 "
        "FROM change_write_old AS w JOIN sync_shape AS h ON h.ord = w.shape "
        "JOIN sync_site AS s ON s.ord = w.site, json_each(h.fields) AS j"
    )
    op.create_index(
        "ix_change_entry_record", "change_entry", ["table_name", "record_id", "field"]
    )
    op.drop_table("change_write_old")
    op.drop_table("sync_shape")
