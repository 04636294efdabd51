"""After migration 0014: stop keeping values the records' rows hold, then give the space back.

Migration 0014 converts the old log keeping every value as text: deciding which texts equal
their row needs the encoding the app uses now (`value_text.encode_value`), and a migration
must not depend on the code of a later version. So it leaves a note (`COMPACTION_KEY` in
`local_setting`) and the first open afterwards does this with the app's own code
(`changelog_values.table_texts`, the reader every export uses): every stored text equal to its
row's current value becomes null, in short transactions of `BATCH` rows in key order — an
officer's save is never held behind it, and a kill part-way loses nothing (it is idempotent
and the note stays until the end). Then a `VACUUM` returns the freed pages to the disk: the
old log was most of the file.
"""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy.orm import Session

from referral_desk.store.changelog_rows import LogNames, pack_values, record_text
from referral_desk.store.changelog_values import table_texts
from referral_desk.store.models import Base, LocalSetting

COMPACTION_KEY = "change_log_values_due"
BATCH = 5000
VACUUM_SHARE = 0.25  # free pages above this share of the file: worth rewriting it


def compact_batch(session: Session, after: tuple[int, int]) -> tuple[int, int] | None:
    """Null the stored values equal to their rows in the next BATCH rows after key `after`
    (site ord, seq). Returns the last key done, or None when there are no more rows."""
    names = LogNames(session)
    rows = names.conn.exec_driver_sql(
        "SELECT site, seq, shape, record, vals FROM change_write WHERE vals IS NOT NULL "
        "AND (site, seq) > (?, ?) ORDER BY site, seq LIMIT ?",
        (*after, BATCH),
    ).all()
    if not rows:
        return None
    wants: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    parsed = []
    for site, seq, shape, record, vals in rows:
        table, fields = names.fields_of(shape)
        rid = record_text(record)
        values = json.loads(vals)
        parsed.append((site, seq, table, rid, fields, values))
        if table in Base.metadata.tables:
            for f, v in zip(fields, values, strict=True):
                if v is not None:
                    wants[table][rid].add(f)
    texts = table_texts(session, wants)
    updates = []
    for site, seq, table, rid, fields, values in parsed:
        kept = [
            None if texts.get((table, rid, f)) == v else v
            for f, v in zip(fields, values, strict=True)
        ]
        if kept != values:
            updates.append((pack_values(kept), site, seq))
    if updates:
        names.conn.exec_driver_sql(
            "UPDATE change_write SET vals = ? WHERE site = ? AND seq = ?", updates
        )
    return rows[-1][0], rows[-1][1]


def compaction_due(session: Session) -> bool:
    return session.get(LocalSetting, COMPACTION_KEY) is not None


def finish(session: Session) -> None:
    row = session.get(LocalSetting, COMPACTION_KEY)
    if row is not None:
        session.delete(row)


__all__ = ["BATCH", "COMPACTION_KEY", "compact_batch", "compaction_due", "finish"]
