"""The directory's rows as an exchange format reads them: plain mappings, by table name.

`referral_desk.hsds` parses, checks and maps a directory package; this module is the part of
it that touches the database, so that the format knows table names and columns but never a
query. Writes go the other way through `import_ops.Op` / `apply_ops` (and `bulk`).

Reads are Core `select`s over the tables, not ORM objects: a 20 000-service export or import
would otherwise build (and track) an object per row.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, or_, select
from sqlalchemy.orm import Session

from referral_desk.store.models import (
    Location,
    Organisation,
    ReferenceItem,
    Service,
    ServiceArea,
    ServiceCategory,
)
from referral_desk.store.soft_delete import INCLUDE_DELETED

# The directory tables an exchange format reads and writes (`import_ops.Op.table`).
ORGANISATION = Organisation.__tablename__
LOCATION = Location.__tablename__
SERVICE = Service.__tablename__
SERVICE_AREA = ServiceArea.__tablename__
SERVICE_CATEGORY = ServiceCategory.__tablename__

_TABLES: dict[str, Table] = {
    model.__tablename__: cast(Table, model.__table__)
    for model in (Organisation, Location, Service, ServiceArea, ServiceCategory)
}

Row = Mapping[str, Any]

__all__ = [
    "LOCATION",
    "ORGANISATION",
    "SERVICE",
    "SERVICE_AREA",
    "SERVICE_CATEGORY",
    "Session",  # what the exchange formats pass through, without importing SQLAlchemy
    "category_rows_of",
    "existing_by_key",
    "live_categories",
    "live_rows",
    "need_categories",
]


def _table(name: str) -> Table:
    return _TABLES[name]


def _each(values: Sequence[str]) -> Any:
    """`IN (…)` over any number of values as one JSON parameter (SQLite's json_each): no
    statement with thousands of bound parameters for SQLAlchemy to expand and compile."""
    rows = func.json_each(json.dumps(list(values))).table_valued("value")
    return select(rows.c.value).scalar_subquery()


def existing_by_key(
    session: Session, table_name: str, keys: Sequence[str], service_ids: Sequence[str] = ()
) -> tuple[dict[str, Row], set[str]]:
    """Live rows by exchange key (hsds_id, else our id) for these keys, and which of the keys
    are already used as record ids (also by deleted rows). `service_ids`: also every row of
    these services (service areas). The oldest live row wins a key held twice."""
    table = _table(table_name)
    by_key: dict[str, Row] = {}
    used: set[str] = set()
    wanted = set(keys)
    conditions = []
    if keys:
        conditions += [table.c.hsds_id.in_(_each(keys)), table.c.id.in_(_each(keys))]
    if service_ids:
        conditions.append(table.c.service_id.in_(_each(service_ids)))
    if not conditions:
        return by_key, used
    # One statement: SQLite's multi-index OR reads a row matched twice (an area found by its
    # key and by its service, the usual case) once, where two queries read and decoded it twice.
    rows: list[Any] = list(
        session.execute(
            select(table).where(or_(*conditions)),
            execution_options=INCLUDE_DELETED,  # ids of deleted rows are taken too
        )
    )
    rows.sort(key=lambda r: (r.created_at, r.id))
    for row in rows:
        if row.id in wanted:
            used.add(row.id)
        if row.deleted_at is None:
            key = row.hsds_id or row.id
            by_key.setdefault(key, row._mapping)
    return by_key, used


def category_rows_of(
    session: Session, service_ids: Sequence[str]
) -> dict[str, dict[str, tuple[str, bool]]]:
    """service id -> category code -> (row id, live) for these services: the live row of a
    code when there is one, else its oldest deleted row (to bring back rather than add)."""
    table = _table(SERVICE_CATEGORY)
    out: dict[str, dict[str, tuple[str, bool]]] = defaultdict(dict)
    if not service_ids:
        return out
    for sid, code, cid, deleted in session.execute(
        select(table.c.service_id, table.c.category_code, table.c.id, table.c.deleted_at)
        .where(table.c.service_id.in_(_each(service_ids)))
        .order_by(table.c.created_at, table.c.id),
        execution_options=INCLUDE_DELETED,  # a deleted row is brought back rather than added
    ):
        live = deleted is None
        if code not in out[sid] or live:
            out[sid][code] = (cid, live)
    return out


def need_categories(session: Session, *, current_first: bool = False) -> list[tuple[str, str]]:
    """(code, label) of every need category in list order; `current_first` puts deprecated
    ones last (matching package labels prefers a current category)."""
    stmt = select(ReferenceItem.code, ReferenceItem.label).where(
        ReferenceItem.list_name == "need_category", ReferenceItem.deleted_at.is_(None)
    )
    if current_first:
        stmt = stmt.order_by(ReferenceItem.deprecated_at.is_not(None), ReferenceItem.sort_order)
    else:
        stmt = stmt.order_by(ReferenceItem.sort_order, ReferenceItem.code)
    return [(code, label) for code, label in session.execute(stmt)]


def live_rows(session: Session, table_name: str) -> list[Any]:
    """Every row of a directory table that is not deleted (attribute access: `row.name`)."""
    table = _table(table_name)
    return list(session.execute(select(table).where(table.c.deleted_at.is_(None))))


def live_categories(session: Session) -> dict[str, set[str]]:
    """service id -> the codes of its live need categories."""
    out: dict[str, set[str]] = defaultdict(set)
    table = _table(SERVICE_CATEGORY)
    stmt = select(table.c.service_id, table.c.category_code).where(table.c.deleted_at.is_(None))
    for sid, code in session.execute(stmt):
        out[sid].add(code)
    return out
