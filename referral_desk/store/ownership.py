"""Which records belong to which: the ownership graph that erasure follows.

Deleting a person must erase everything about them — needs and their status history, referrals
and theirs, follow-ups, case notes — on every site, including records a colleague made at the
same time that only arrive later by sync. Rather than a list kept by hand in each delete path,
the graph is read from the models' foreign keys: a synced record belongs to every record it
points at whose class says `__owns_dependents__`, except through columns its own class lists in
`__refers_only__` (a referral stays on the case when the need it was made for is deleted). A new
table with a `person_id` foreign key is therefore erased with its person without anyone having
to remember to add it.

Both delete paths use this: the services' (`usecases.common.erase`, ORM rows) and sync's
(`sync.merge`, which erases rows arriving for a deleted owner and the live rows of an owner
whose tombstone arrives).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.store.changelog_rows import entries_of_records
from referral_desk.store.changelog_values import resolve
from referral_desk.store.models import Base
from referral_desk.store.sync_models import models_version, synced_models

CHUNK = 500


@dataclass(frozen=True)
class OwnerLink:
    """Records of `table` belong to the `owner` record their `column` points at."""

    table: str
    column: str
    owner: str


def owner_links() -> tuple[OwnerLink, ...]:
    """Every ownership link, dependents' tables in parents-first order."""
    return _owner_links(models_version())


@cache
def _owner_links(_version: int) -> tuple[OwnerLink, ...]:
    models = synced_models()
    owners = {name for name, model in models.items() if model.__owns_dependents__}
    links = []
    for table in Base.metadata.sorted_tables:
        model = models.get(table.name)
        if model is None:
            continue
        for col in table.columns:
            if col.name in model.__refers_only__:
                continue
            for fk in col.foreign_keys:
                if fk.column.table.name in owners:
                    links.append(OwnerLink(table.name, col.name, fk.column.table.name))
    return tuple(links)


def links_from(table: str) -> tuple[OwnerLink, ...]:
    """The links through which records of `table` belong to other records."""
    return tuple(link for link in owner_links() if link.table == table)


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def live_dependents(session: Session, table: str, ids: Iterable[str]) -> dict[str, list[str]]:
    """Ids of the live (not deleted) records that belong to these, directly or through others
    (a person's referrals' follow-ups), by table, owners' tables first."""
    found: dict[str, set[str]] = defaultdict(set)
    frontier: dict[str, set[str]] = {table: set(ids)}
    while frontier:
        nxt: dict[str, set[str]] = defaultdict(set)
        for owner, owner_ids in frontier.items():
            for link in owner_links():
                if link.owner != owner:
                    continue
                t = synced_models()[link.table].__table__
                col = t.c[link.column]
                for chunk in _chunks(sorted(owner_ids)):
                    rows = session.scalars(
                        select(t.c.id).where(col.in_(chunk), t.c.deleted_at.is_(None))
                    )
                    for rid in rows:
                        if rid not in found[link.table]:
                            found[link.table].add(rid)
                            nxt[link.table].add(rid)
        frontier = nxt
    order = [t.name for t in Base.metadata.sorted_tables]
    return {t: sorted(found[t]) for t in order if found.get(t)}


def tombstoned(session: Session, table: str, ids: Iterable[str]) -> set[str]:
    """Which of these records the change log holds a tombstone for (deleted rows, and records
    not written yet because they still wait for a parent)."""
    found = resolve(session, entries_of_records(session, table, ids, ("deleted_at",)))
    return {e[3] for e in found if e[5] != "null"}


def owner_refs(session: Session, table: str, ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """The owners these records point at, as the change log says (the winning entry of each
    ownership column): for records that have no row yet."""
    columns = [link.column for link in links_from(table)]
    if not columns:
        return {}
    best: dict[tuple[str, str], tuple[tuple[int, str, int], str]] = {}
    for site, seq, _t, rid, fname, value, hlc, _tomb in resolve(
        session, entries_of_records(session, table, ids, columns)
    ):
        key = (hlc, site, seq)
        old = best.get((rid, fname))
        if old is None or key > old[0]:
            best[(rid, fname)] = (key, value)
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for (rid, fname), (_key, value) in best.items():
        try:
            ref = json.loads(value)
        except ValueError:
            continue
        if isinstance(ref, str):
            out[rid][fname] = ref
    return dict(out)


def waiting_dependents(
    session: Session, waiting: Iterable[tuple[str, str]], dead: Mapping[str, Iterable[str]]
) -> dict[str, set[str]]:
    """Of the records still waiting to be written (`sync_pending`: a parent has not arrived),
    those that belong to a deleted record: one of `dead`, or one the change log holds a
    tombstone for, or another such waiting record (a follow-up of a waiting referral)."""
    by_table: dict[str, set[str]] = defaultdict(set)
    for table, rid in waiting:
        if links_from(table):
            by_table[table].add(rid)
    if not by_table:
        return {}
    known_dead: dict[str, set[str]] = defaultdict(set)
    for table, ids in dead.items():
        known_dead[table].update(ids)
    found: dict[str, set[str]] = defaultdict(set)
    for table in [t.name for t in Base.metadata.sorted_tables]:
        if table not in by_table:
            continue
        refs = owner_refs(session, table, by_table[table])
        wanted: dict[str, set[str]] = defaultdict(set)
        for cols in refs.values():
            for link in links_from(table):
                ref = cols.get(link.column)
                if ref is not None and ref not in known_dead[link.owner]:
                    wanted[link.owner].add(ref)
        for owner, owner_ids in wanted.items():
            known_dead[owner].update(tombstoned(session, owner, owner_ids))
        for rid, cols in refs.items():
            if any(cols.get(link.column) in known_dead[link.owner] for link in links_from(table)):
                found[table].add(rid)
                known_dead[table].add(rid)
    return dict(found)


__all__ = [
    "OwnerLink",
    "links_from",
    "live_dependents",
    "owner_links",
    "owner_refs",
    "tombstoned",
    "waiting_dependents",
]
