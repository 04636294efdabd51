"""The declarative base and what every synced record has (DESIGN.md §3).

Apart from `store.models` so that modules defining more tables (`access_models`,
`directory_models`) import their base from here and `store.models` can list them in
`SYNCED_MODELS` without an import cycle.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, MetaData, String, event, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SyncedBase(Base):
    """A record that travels between sites. Local-only columns are listed in `__local__`.

    Timestamps: every DateTime column holds naive UTC as text in one canonical form,
    `YYYY-MM-DD HH:MM:SS.ffffff` (`store.timestamps`), here and in the change log, so the same
    value is the same bytes at every site. `created_at` is when and `site_id` where the record
    was first made (they travel). `updated_at` is local bookkeeping and never travels: it means
    "last changed on this PC", by a local edit or by applying a colleague's change in a sync.
    That is what a calendar export needs (its sequence must grow whenever this PC's copy
    changes) and what "changed since" questions on one PC mean; a writer's clock, which may be
    behind this PC's, could go backwards. `deleted_at` is the tombstone.
    """

    __abstract__ = True
    # Columns never written to the change log: identity, bookkeeping and derived caches.
    __local__: frozenset[str] = frozenset()
    # Columns blanked when the record is deleted (erasure must really erase).
    __personal__: frozenset[str] = frozenset()
    # A record others belong to (a person, a need, a referral): deleting it erases, on every
    # site, each synced record that points at it through a foreign key, and so on down
    # (`store.ownership` reads the graph from the foreign keys).
    __owns_dependents__: bool = False
    # Foreign keys to such a record that only refer to it: the record outlives it.
    __refers_only__: frozenset[str] = frozenset()

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    site_id: Mapped[str] = mapped_column(String(36))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


@event.listens_for(SyncedBase, "init", propagate=True)
def _assign_id(target: SyncedBase, _args: tuple, kwargs: dict) -> None:
    """Ids exist from construction, so related rows can be built before the first flush."""
    if kwargs.get("id") is None:
        kwargs["id"] = new_id()


def column_keys(model: type[Base]) -> list[str]:
    """The model's mapped column attributes, in table order (an export lists them all)."""
    return [col.key for col in inspect(model).columns]
