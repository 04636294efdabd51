"""The vocabulary of a merge (`sync.merge`): which fields follow which rule, how records are
counted, the order tables are merged in, and the shape of an entry while it is merged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Table

from referral_desk.store.models import Base
from referral_desk.store.sync_models import models_version, synced_models

DAY_MS = 24 * 3600 * 1000
BATCH = 500
# Bookkeeping fields: differing values there are not edits anyone made.
NOT_CONFLICTS = frozenset({"created_at", "site_id", "deleted_at"})
# Where and when a record was first made: the first writer wins (two sites seeding the same
# reference item keep the earliest), still a deterministic choice.
FIRST_WRITER = frozenset({"created_at", "site_id"})
CATEGORY = {
    "person": "people",
    "need": "needs",
    "need_status_change": "needs",
    "referral": "referrals",
    "referral_status_change": "referrals",
    "follow_up": "follow_ups",
    "organisation": "directory",
    "location": "directory",
    "service": "directory",
    "service_category": "directory",
    "service_area": "directory",
}
# History rows count as a change of the record they belong to.
PARENT_FIELD = {"need_status_change": "need_id", "referral_status_change": "referral_id"}
STATUS_CACHES = (  # (table, history table, link field, default)
    ("need", "need_status_change", "need_id", "open"),
    ("referral", "referral_status_change", "referral_id", "draft"),
)


@dataclass
class MergeStats:
    changed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    conflicts: int = 0
    clock_reviews: int = 0
    future_stamped: int = 0
    pending: int = 0
    # Why records wait, counted: "person" (arrived before the person they belong to) or any
    # other parent table, "incomplete" (part still to come), "duplicate key", "refused".
    pending_reasons: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        keys = ("people", "needs", "referrals", "follow_ups", "directory", "other")
        return {k: len(self.changed.get(k, ())) for k in keys}


# (field, value text, hlc, site, seq, is new, decoded value or _MISSING)
Ent = tuple[str, str, int, str, int, bool, Any]
MISSING = object()


@dataclass
class Write:
    rid: str
    after: dict[str, Any]  # the whole row after the write
    before: dict[str, Any] | None  # None: a new row
    fields: list[str]  # logged fields written


def stamp_key(e: Ent) -> tuple[int, str, int]:
    return (e[2], e[3], e[4])


def pending_reason(why: str) -> str:
    """The stored reason as a key: the parent table waited for, or the kind of problem."""
    if why.startswith("waiting for "):
        return why.removeprefix("waiting for ")
    return {"incomplete": "incomplete", "duplicate key": "duplicate key"}.get(why, "refused")


def table_order() -> tuple[str, ...]:
    """Synced tables parents-first, so a child's parent is written before the child."""
    return _table_order(models_version())


@cache
def _table_order(_version: int) -> tuple[str, ...]:
    synced = synced_models()
    return tuple(t.name for t in Base.metadata.sorted_tables if t.name in synced)


def table_of(name: str) -> Table:
    return synced_models()[name].__table__  # type: ignore[return-value]


def chunks(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


__all__ = [
    "BATCH",
    "CATEGORY",
    "DAY_MS",
    "FIRST_WRITER",
    "MISSING",
    "NOT_CONFLICTS",
    "PARENT_FIELD",
    "STATUS_CACHES",
    "Ent",
    "MergeStats",
    "Write",
    "chunks",
    "pending_reason",
    "stamp_key",
    "table_of",
    "table_order",
]
