"""One canonical text for every stored date and time; erase what older versions left live

The same timestamp was stored as `2026-03-02 16:21:00` by older raw inserts, as
`2026-03-02 16:21:00.000000` by SQLAlchemy, and in the change log as `2026-03-02T16:21:00`
(`isoformat()`, which leaves out a zero fraction). From now on every DateTime column and every
change-log value of a DateTime field holds `YYYY-MM-DD HH:MM:SS.ffffff` (see
`referral_desk.store.timestamps`); this rewrites the values already stored, in place. Values
that are not dates at all are left as they are. Quarantined entries stay verbatim: they are
made canonical when they pass validation.

The format is spelled out here rather than imported, so that this migration keeps doing what it
did if the application's code changes later.

Older versions did not erase a record made for a person (need, referral) while that person was
being deleted at another site: it stayed live, text and all. When anything has been deleted,
this leaves a note in `local_setting` (`erasure_repair_due`); the next open erases every live
record that belongs to a deleted one (`referral_desk.store.erasure.erase_orphans`), with the
application's own code, since that logs tombstones which then travel to colleagues.

Revision ID: 0006
Revises: 0005
"""

import json
from datetime import datetime
from typing import Any

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 5000
# Already canonical, told apart in SQL so that an up-to-date database reads, never rewrites.
_CANONICAL_COLUMN = "length({c}) = 26 AND substr({c}, 11, 1) = ' ' AND substr({c}, 20, 1) = '.'"
_CANONICAL_VALUE = (
    "length({c}) = 28 AND substr({c}, 12, 1) = ' ' AND substr({c}, 21, 1) = '.'"
)
# The two shapes older versions wrote, rewritten in SQL (millions of change-log values on a
# large caseload); anything else goes through Python below.
_D = "[0-9]"
_DAY = f"{_D * 4}-{_D * 2}-{_D * 2}"
_TIME = f"{_D * 2}:{_D * 2}:{_D * 2}"
_NO_FRACTION = f"{_DAY}[T ]{_TIME}"  # isoformat() of a whole second, or sqlite3's adapter
_T_FRACTION = f"{_DAY}T{_TIME}.{_D * 6}"  # isoformat() otherwise
_FAST_COLUMN = (
    "CASE WHEN {c} GLOB '" + _NO_FRACTION + "' "
    "THEN substr({c}, 1, 10) || ' ' || substr({c}, 12, 8) || '.000000' "
    "ELSE substr({c}, 1, 10) || ' ' || substr({c}, 12) END"
)
_FAST_COLUMN_WHERE = "({c} GLOB '" + _NO_FRACTION + "' OR {c} GLOB '" + _T_FRACTION + "')"
_FAST_VALUE = (
    "CASE WHEN {c} GLOB '\"" + _NO_FRACTION + "\"' "
    "THEN '\"' || substr({c}, 2, 10) || ' ' || substr({c}, 13, 8) || '.000000\"' "
    "ELSE substr({c}, 1, 11) || ' ' || substr({c}, 13) END"
)
_FAST_VALUE_WHERE = (
    "({c} GLOB '\"" + _NO_FRACTION + "\"' OR {c} GLOB '\"" + _T_FRACTION + "\"')"
)


def _canonical(text: Any) -> str | None:
    """The canonical text of an ISO date or date-and-time, None if it is not one."""
    if not isinstance(text, str):
        return None
    try:
        v = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:"
        f"{v.second:02d}.{v.microsecond:06d}"
    )


def _canonical_json(text: Any) -> str | None:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    fixed = _canonical(value)
    return None if fixed is None else json.dumps(fixed)


def _datetime_columns(conn: Any) -> dict[str, list[str]]:
    tables = [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'service_fts%' AND name <> 'alembic_version'"
        )
    ]
    out: dict[str, list[str]] = {}
    for table in tables:
        cols = [r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{table}")')
                if str(r[2]).upper() == "DATETIME"]
        if cols:
            out[table] = cols
    return out


def _rewrite(conn: Any, table: str, column: str, rows: list[tuple[Any, Any]], fix: Any) -> None:
    updates = []
    for rowid, text in rows:
        fixed = fix(text)
        if fixed is not None and fixed != text:
            updates.append((fixed, rowid))
    for i in range(0, len(updates), BATCH):
        conn.exec_driver_sql(
            f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', updates[i : i + BATCH]
        )


def upgrade() -> None:
    conn = op.get_bind()
    conn.exec_driver_sql(
        "INSERT OR REPLACE INTO local_setting (key, value) SELECT 'erasure_repair_due', 'true' "
        "WHERE EXISTS (SELECT 1 FROM person WHERE deleted_at IS NOT NULL) "
        "OR EXISTS (SELECT 1 FROM need WHERE deleted_at IS NOT NULL) "
        "OR EXISTS (SELECT 1 FROM referral WHERE deleted_at IS NOT NULL)"
    )
    columns = _datetime_columns(conn)
    for table, cols in columns.items():
        for col in cols:
            quoted = f'"{col}"'
            conn.exec_driver_sql(
                f'UPDATE "{table}" SET {quoted} = {_FAST_COLUMN.format(c=quoted)} '
                f"WHERE {_FAST_COLUMN_WHERE.format(c=quoted)}"
            )
            rows = conn.exec_driver_sql(
                f'SELECT rowid, {quoted} FROM "{table}" WHERE {quoted} IS NOT NULL '
                f"AND NOT ({_CANONICAL_COLUMN.format(c=quoted)})"
            ).all()
            _rewrite(conn, table, col, rows, _canonical)
    # Change-log values (JSON text) of the DateTime fields of synced tables; and the same
    # values copied into the conflict list.
    fields = {(t, c) for t, cols in columns.items() for c in cols}
    if not fields:
        return
    pairs = sorted(fields)
    is_datetime = "(" + " OR ".join(["(table_name = ? AND field = ?)"] * len(pairs)) + ")"
    pair_params = tuple(x for pair in pairs for x in pair)
    for table, value_cols in (("change_entry", ("value",)),
                              ("sync_conflict", ("local_value", "remote_value"))):
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).first()
        if not exists:
            continue
        for col in value_cols:
            conn.exec_driver_sql(
                f"UPDATE {table} SET {col} = {_FAST_VALUE.format(c=col)} "
                f"WHERE {_FAST_VALUE_WHERE.format(c=col)} AND {is_datetime}",
                pair_params,
            )
            rows = conn.exec_driver_sql(
                f"SELECT rowid, {col} FROM {table} WHERE {col} IS NOT NULL AND {col} <> 'null' "
                f"AND NOT ({_CANONICAL_VALUE.format(c=col)}) AND {is_datetime}",
                pair_params,
            ).all()
            _rewrite(conn, table, col, rows, _canonical_json)


def downgrade() -> None:
    # Canonical texts are valid for every earlier version: nothing to undo.
    op.get_bind().exec_driver_sql("DELETE FROM local_setting WHERE key = 'erasure_repair_due'")
