"""The change log's entries with every value as it travels: the `change_entry` view gives a
value the log reads from the record's row as NULL (`store.changelog_values`); these fill it."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.store.changelog_models import ChangeEntry
from referral_desk.store.changelog_values import resolve


class Logged(NamedTuple):
    site_id: str
    seq: int
    table_name: str
    record_id: str
    field: str
    value: str
    hlc: int
    tombstone: int


def logged(session: Session, *where: Any) -> list[Logged]:
    """Entries matching `where` (conditions on `ChangeEntry`), in (site, seq) order."""
    c = ChangeEntry
    rows = session.execute(
        select(c.site_id, c.seq, c.table_name, c.record_id, c.field, c.value, c.hlc, c.tombstone)
        .where(*where)
        .order_by(c.site_id, c.seq)
    ).all()
    return [Logged(*e) for e in resolve(session, [tuple(r) for r in rows])]


def logged_values(session: Session, *where: Any) -> list[str]:
    return [e.value for e in logged(session, *where)]
