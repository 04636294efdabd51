"""Entries as the import stages, stores and keeps them: the staging SQL, the shape checks that
decide between columns and a whole (to be quarantined) entry, and text SQLite can hold."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from referral_desk.store.changelog_rows import has_entry, insert_entries
from referral_desk.store.changelog_sites import HeldSeqs, hold
from referral_desk.sync.quarantine import ValidEntry
from referral_desk.sync.state import raw_rows

_TOP = 1 << 63

STAGE_SQL = (
    "INSERT OR IGNORE INTO sync_import_staged (site_id, seq, bundle_no, released, table_name, "
    "record_id, field, value, hlc, tombstone, raw) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)"
)
RELEASE_SQL = (
    "INSERT INTO sync_import_staged (site_id, seq, bundle_no, released, table_name, record_id, "
    "field, value, hlc, tombstone, raw) VALUES (?, ?, 0, 1, ?, ?, ?, ?, ?, ?, NULL) "
    "ON CONFLICT (table_name, record_id, site_id, seq) DO UPDATE SET released = 1, "
    "field = excluded.field, value = excluded.value, hlc = excluded.hlc, "
    "tombstone = excluded.tombstone, raw = NULL"
)
# Staged entries from other sites (this site's own are never applied back); `unheld` then keeps
# those this site does not hold yet.
NEW = "s.site_id != ?"
COLS = (
    "s.site_id, s.seq, s.table_name, s.record_id, s.field, s.value, s.hlc, s.tombstone, s.raw, "
    "s.bundle_no, s.released"
)


def staged_row(e: list[Any], bundle_no: int) -> tuple[Any, ...]:
    """An entry as a staging row: columns when it has the usual shape and types, else whole."""
    if len(e) == 8:
        site, seq, table, record, fname, value, hlc, tomb = e
        if (
            type(table) is str
            and type(record) is str
            and type(fname) is str
            and type(value) is str
            and type(hlc) is int
            and 0 < hlc < _TOP
            and type(tomb) is int
            and tomb in (0, 1)
        ):
            return (site, seq, bundle_no, table, record, fname, value, hlc, tomb, None)
    table = e[2] if len(e) > 2 and type(e[2]) is str else ""
    record = e[3] if len(e) > 3 and type(e[3]) is str else ""
    return (e[0], e[1], bundle_no, table, record, None, None, None, None, as_json(e))


def unheld(session: Session, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Staged rows (`COLS`) whose (site, seq) this site does not hold yet, as `sync_site` says
    (applied, superseded or quarantined before). An entry let out of the quarantine for another
    look is held but not in the log: it is applied (or kept aside again) unless the log has it."""
    held = HeldSeqs(session)
    out = []
    for row in rows:
        if (row[0], row[1]) not in held or (row[10] and not has_entry(session, row[0], row[1])):
            out.append(row)
    return out


def as_json(value: Any) -> str:
    # ASCII-only: text that cannot be stored as UTF-8 (a lone surrogate) travels escaped.
    return json.dumps(value, separators=(",", ":"))


def encodable(e: Any) -> bool:
    try:
        json.dumps(e, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError):
        return False
    return True


def log_entries(session: Session, entries: Sequence[ValidEntry]) -> None:
    """Keep accepted signed statements in the change log, so they travel on."""
    if entries:
        insert_entries(session, [(*e[:7], 0) for e in entries])
        hold(session, ((e[0], e[1]) for e in entries))


def cursor_of(session: Session) -> Any:
    return session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def storable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A staging row whose text cannot be stored as UTF-8 (a lone surrogate): kept whole, as
    escaped JSON, to be quarantined."""
    try:
        for v in row:
            if type(v) is str:
                v.encode("utf-8")
    except UnicodeEncodeError:
        entry = [row[0], row[1], row[3], row[4], row[5], row[6], row[7], row[8]]
        table = row[3] if _ok_text(row[3]) else ""
        record = row[4] if _ok_text(row[4]) else ""
        site = row[0] if _ok_text(row[0]) else as_json(row[0])
        return (site, row[1], row[2], table, record, None, None, None, None, as_json(entry))
    return row


def storable_text(text: str) -> bool:
    """Can the database hold this text (UTF-8)? Not with a lone surrogate, which JSON can
    carry as an escape."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _ok_text(value: Any) -> bool:
    try:
        value.encode("utf-8")
    except (UnicodeEncodeError, AttributeError):
        return False
    return True


def quarantine_reasons(session: Session) -> tuple[tuple[str, int], ...]:
    """(reason, entries) of everything kept aside, most frequent first."""
    rows = raw_rows(
        session, "SELECT reason, COUNT(*) FROM sync_quarantine GROUP BY reason ORDER BY 2 DESC, 1"
    )
    return tuple((str(r), int(n)) for r, n in rows)


__all__ = [
    "COLS",
    "NEW",
    "RELEASE_SQL",
    "STAGE_SQL",
    "as_json",
    "cursor_of",
    "encodable",
    "log_entries",
    "quarantine_reasons",
    "staged_row",
    "storable",
    "storable_text",
    "unheld",
]
