"""Import ops: the writes an importer plans, how they are stored, and how they are applied.

An importer (`hsds.importer`) decides every insert and update of synced records before it
writes anything, as `Op`s. A small import applies them at once with `apply_ops`, in its own
transaction; a large one stages them in the journal (`store.import_journal`), JSON-encoded
(`encode_fields` / `decode_fields`), and applies them in short transactions, chunks weighed
by `Op.weight`.

Applying: inserts go through `store.bulk.BulkLoader` (fast, logged for sync); updates through
the ORM, whose change-log listener logs exactly the fields whose value changes. Only the
columns being set are loaded, and many updates of indexed records (services, organisation
names, need categories) refresh the full-text index once, in one statement, instead of the
triggers re-indexing a service per updated row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, DateTime, select
from sqlalchemy.orm import Session, load_only

from referral_desk.store import fts
from referral_desk.store.bulk import BulkLoader
from referral_desk.store.models import (
    SYNCED_MODELS,
    Organisation,
    Service,
    ServiceCategory,
    SyncedBase,
)
from referral_desk.store.soft_delete import INCLUDE_DELETED

# An update goes through the ORM and its change-log listener, which costs per record what a
# bulk insert of `UPDATE_BASE` values does (loading it, checking every column for changes, an
# audit row), plus `UPDATE_WEIGHT` per field set. Measured on the 20 000-service benchmark:
# with the old weight (4 per field) a chunk took 10 000 one-field updates and held the write
# lock for 5-10 s instead of about one.
UPDATE_BASE = 16
UPDATE_WEIGHT = 4
# From this many updated rows of indexed tables, the full-text index is refreshed once, in bulk.
FTS_BULK_FROM = 200
_INDEXED_TABLES = (Service.__tablename__, Organisation.__tablename__, ServiceCategory.__tablename__)
# SQLite page cache while a chunk is applied: enough for one chunk, bounded (memory budget).
APPLY_CACHE_KB = 32 * 1024


@dataclass(frozen=True)
class Op:
    """Insert a record (`fields` is the whole row, `record_id` its id) or update some fields."""

    table: str
    action: str
    record_id: str
    fields: dict[str, Any]

    @property
    def weight(self) -> int:
        if self.action == "update":
            return UPDATE_BASE + UPDATE_WEIGHT * len(self.fields)
        return max(1, len(self.fields))


# --- encoding field values ------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot journal a {type(value).__name__}")


def encode_fields(fields: dict[str, Any]) -> str:
    return json.dumps(fields, default=_json_default, ensure_ascii=False, separators=(",", ":"))


_DECODERS: dict[str, dict[str, Callable[[Any], Any]]] = {}


def _decoders(model: type[SyncedBase]) -> dict[str, Callable[[Any], Any]]:
    """Per column that JSON cannot carry as itself: how to turn the text back into a value."""
    found = _DECODERS.get(model.__tablename__)
    if found is None:
        found = {}
        for column in model.__table__.columns:
            if isinstance(column.type, DateTime):
                found[column.key] = datetime.fromisoformat
            elif isinstance(column.type, Date):
                found[column.key] = date.fromisoformat
        _DECODERS[model.__tablename__] = found
    return found


def decode_fields(model: type[SyncedBase], text: str) -> dict[str, Any]:
    fields: dict[str, Any] = json.loads(text)
    for name, decode in _decoders(model).items():
        value = fields.get(name)
        if isinstance(value, str):
            fields[name] = decode(value)
    return fields


def model_for(table: str) -> type[SyncedBase]:
    model = SYNCED_MODELS.get(table)
    if model is None:
        raise ValueError(f"not a synced table: {table}")
    return model


# --- applying ops ---------------------------------------------------------------------------


def apply_ops(
    session: Session, ops: Sequence[Op], *, reason: str = "", chunked: bool = False
) -> None:
    """Write `ops` in the caller's transaction: inserts first (bulk), then updates (ORM).

    Foreign keys are checked at commit (`Database.write`), so the order within one transaction
    does not matter; across chunks, the op order does (parents were staged before children).
    `chunked`: one chunk of many, so re-index only the services it touches and keep SQLite's
    cache small.
    """
    inserts: dict[str, list[dict[str, Any]]] = {}
    updates: dict[str, dict[str, dict[str, Any]]] = {}
    for op in ops:
        if op.action == "insert":
            inserts.setdefault(op.table, []).append({"id": op.record_id, **op.fields})
        elif op.action == "update":
            updates.setdefault(op.table, {}).setdefault(op.record_id, {}).update(op.fields)
        else:
            raise ValueError(f"unknown op action: {op.action}")
    if inserts:
        options: dict[str, Any] = {"fts_refresh": "touched", "cache_kb": APPLY_CACHE_KB}
        with BulkLoader(session, reason=reason, **(options if chunked else {})) as loader:
            for table, rows in inserts.items():
                loader.add(model_for(table), rows)
    if updates:
        _apply_updates(session, updates)
    session.flush()


def _apply_updates(session: Session, updates: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Apply updates through the ORM (the change-log listener logs exactly the changed
    fields), with the full-text index refreshed once for all touched services when there are
    many: the index triggers would otherwise rebuild a service's entry once per updated row."""
    indexed = sum(len(updates.get(t, ())) for t in _INDEXED_TABLES)
    conn = session.connection()
    if indexed < FTS_BULK_FROM or not _has_index(conn):
        for table, changes in updates.items():
            _orm_update(session, model_for(table), changes)
        return
    touched = _indexed_services(session, updates)
    for table, changes in updates.items():
        _orm_update(session, model_for(table), changes)
    fts.drop_triggers(conn)  # inside the caller's transaction: a rollback restores them
    session.flush()
    fts.refresh(conn, sorted(touched))
    fts.create_triggers(conn)


def _has_index(conn: Connection) -> bool:
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.exec_driver_sql(sql, (fts.FTS_TABLE,)).first() is not None


def _indexed_services(session: Session, updates: dict[str, dict[str, dict[str, Any]]]) -> set[str]:
    """The services whose index entry these updates change (what the triggers would redo):
    updated services, the services of renamed organisations and of changed category rows."""
    touched = set(updates.get(Service.__tablename__, ()))
    organisations = updates.get(Organisation.__tablename__, {})
    renamed = [oid for oid, fields in organisations.items() if "name" in fields]
    categories = updates.get(ServiceCategory.__tablename__, {})
    touched.update(str(f["service_id"]) for f in categories.values() if f.get("service_id"))
    category_ids = list(categories)
    for start in range(0, max(len(renamed), len(category_ids)), 500):
        if renamed[start : start + 500]:
            touched.update(
                session.scalars(
                    select(Service.id).where(
                        Service.organisation_id.in_(renamed[start : start + 500])
                    ),
                    execution_options=INCLUDE_DELETED,
                )
            )
        if category_ids[start : start + 500]:
            touched.update(
                session.scalars(
                    select(ServiceCategory.service_id).where(
                        ServiceCategory.id.in_(category_ids[start : start + 500])
                    ),
                    execution_options=INCLUDE_DELETED,
                )
            )
    return touched


def _orm_update(
    session: Session, model: type[SyncedBase], updates: dict[str, dict[str, Any]]
) -> None:
    ids = list(updates)
    # No autoflush between chunks: one flush at the end, so the change-log listener makes a
    # single pass over the modified records instead of one per chunk.
    with session.no_autoflush:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            # Only the columns being set are loaded: the listener logs the fields whose value
            # differs from the loaded one, and an unloaded column has no history to check.
            names = sorted({name for rid in chunk for name in updates[rid]})
            # by id, deleted rows too: an import brings a deleted row back by updating it
            stmt = (
                select(model)
                .options(load_only(*(getattr(model, n) for n in names)))
                .where(model.id.in_(chunk))
            )
            for obj in session.scalars(stmt, execution_options=INCLUDE_DELETED):
                for name, value in updates[obj.id].items():
                    setattr(obj, name, value)
