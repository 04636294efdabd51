"""Soft delete applied once: an ORM read never sees a tombstoned row unless it asks to.

Every synced record is deleted by setting `deleted_at` (the tombstone travels in sync, and
erasure blanks the personal fields), so "live rows only" is the rule of almost every read. It
used to be written by hand in each query (~90 times), and a forgotten one showed a deleted
person. Here a session event adds `deleted_at IS NULL` for every `SyncedBase` entity that an
ORM SELECT touches (joins, subqueries and aliases included).

Readers that must see tombstones (sync export and merge, erasure and the ownership graph,
retention, the audit of what was deleted) pass the execution option `include_deleted=True`:
`session.execute(stmt, execution_options=INCLUDE_DELETED)` or
`stmt.execution_options(include_deleted=True)`.

Not filtered, on purpose:
- `Session.get` (a lookup by id): an object already in the identity map is returned without a
  query, so filtering the query would make the answer depend on what the session happened to
  load before. `get` returns the row whatever its state; callers check `deleted_at` (the
  `store` query functions do: `live(session, Model, id)`).
- refreshes of expired attributes of an object already loaded, and Core statements on tables
  (`Model.__table__`, raw SQL): those are sync's and the search index's, which handle
  tombstones themselves.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from referral_desk.store.model_base import SyncedBase

# The execution option that lets a reader see tombstones.
INCLUDE_DELETED_OPTION = "include_deleted"
INCLUDE_DELETED: dict[str, Any] = {INCLUDE_DELETED_OPTION: True}

M = TypeVar("M", bound=SyncedBase)


class SoftDeleteSession(Session):
    """A session whose `get` looks a row up by id whether or not it is deleted (see above)."""

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        options = dict(kwargs.pop("execution_options", None) or {})
        options.setdefault(INCLUDE_DELETED_OPTION, True)
        return super().get(entity, ident, execution_options=options, **kwargs)


def _live_only(state: ORMExecuteState) -> None:
    if (
        not state.is_select
        or state.is_column_load
        or state.is_relationship_load
        or state.execution_options.get(INCLUDE_DELETED_OPTION, False)
    ):
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            SyncedBase,
            lambda cls: cls.deleted_at.is_(None),
            include_aliases=True,
        )
    )


def install(session_factory: sessionmaker) -> None:
    """Filter tombstones out of every ORM read of sessions from this sessionmaker."""
    event.listen(session_factory, "do_orm_execute", _live_only)


def live(session: Session, model: type[M], record_id: str | None) -> M | None:
    """The record with this id, or None if there is none or it is deleted."""
    if not record_id:
        return None
    row = session.get(model, record_id)
    return row if row is not None and row.deleted_at is None else None


def rows_by_id(session: Session, model: type[M], ids: Collection[str]) -> dict[str, M]:
    """The records with these ids, deleted or not, by id: `Session.get` for many ids at once
    (a name shown beside a record, such as a referral's service, outlives its record)."""
    if not ids:
        return {}
    stmt = select(model).where(model.id.in_(ids))
    return {row.id: row for row in session.scalars(stmt, execution_options=INCLUDE_DELETED)}
