"""Import an HSDS 3.0 package into the directory: check, plan (the preview), apply.

`plan_import` checks every row and works out, without writing, what the import would do:
which organisations, locations, services and service areas are new, changed or unchanged, and
which rows are rejected and why. `apply_plan` then writes the plan in the caller's transaction.

Row faults quarantine the row and what depends on it, never the package (`checks`); checked
rows are folded into our fields (`folding`, `mapping`).

Records are matched to the directory by HSDS id (`hsds_id`, or our own id for records that
were created here and exported), so a re-import updates instead of duplicating. Fields HSDS
has no column for — pre-check, prisons served, offence-type exclusions, capacity and the rest
of our local taxonomy — are only set when the package carries them as our attributes; a
package without them never wipes them. Need categories likewise change only when the package
names at least one category for the service. A package never makes a record look less
recently verified than it is: an older `assured_date` does not replace a newer one.

Writes go through the ORM for updates (the change log records just the changed fields, the
full-text triggers fire) and through `store.bulk.BulkLoader` for new records, which writes the
same change-log entries far faster than the unit of work (the 20 000-service budget).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.store.bulk import BulkLoader
from referral_desk.store.changelog import utcnow
from referral_desk.store.hsds import gc_paused
from referral_desk.store.hsds import mapping as m
from referral_desk.store.hsds.checks import Checker, Issue, Key
from referral_desk.store.hsds.folding import Folder, Record
from referral_desk.store.hsds.package_reader import (
    DEFAULT_MAX_FILE_BYTES,
    Package,
    read_package,
)
from referral_desk.store.hsds.taxonomy import (
    CategoryMatcher,
    is_published,
)
from referral_desk.store.models import (
    Location,
    Organisation,
    ReferenceItem,
    Service,
    ServiceArea,
    ServiceCategory,
    SyncedBase,
)

# --- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    kind: str  # organisation | location | service | service_area
    action: str  # new | changed | removed
    hsds_id: str
    name: str
    fields: tuple[str, ...] = ()


KINDS = ("organisation", "location", "service", "service_area")


@dataclass
class ImportPlan:
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            k: {"new": 0, "changed": 0, "unchanged": 0, "removed": 0} for k in KINDS
        }
    )
    changes: list[Change] = field(default_factory=list)
    rejected: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejected_by_table: dict[str, int] = field(default_factory=dict)
    # what to write
    inserts: dict[type[SyncedBase], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    updates: dict[type[SyncedBase], dict[str, dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    @property
    def has_writes(self) -> bool:
        return any(self.inserts.values()) or any(self.updates.values())

    def count(self, kind: str, action: str) -> None:
        self.counts[kind][action] += 1


# --- planning against the directory --------------------------------------------------------


def _existing(session: Session, model: type[SyncedBase]) -> tuple[dict[str, Any], set[str]]:
    """Live records by HSDS key (hsds_id, else our id), and every id the table has used."""
    table = model.__table__
    by_key: dict[str, Any] = {}
    ids: set[str] = set()
    rows = session.execute(select(table).order_by(table.c.created_at, table.c.id))
    for row in rows:
        ids.add(row.id)
        if row.deleted_at is None:
            key = row.hsds_id or row.id
            by_key.setdefault(key, row._mapping)
    return by_key, ids


def _new_id(key: str, used: set[str]) -> str:
    """HSDS ids are UUIDs: reuse them as record ids so two sites importing one file agree."""
    new = key if key not in used else str(uuid.uuid4())
    used.add(new)
    return new


def _merge_extra(existing: Mapping[str, Any] | None, hsds: dict[str, Any]) -> dict[str, Any]:
    extra = {k: v for k, v in (existing or {}).items() if k not in m.HSDS_EXTRA_KEYS}
    extra.update({k: v for k, v in hsds.items() if v})
    return extra


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple):
        a = list(a)
    if isinstance(b, tuple):
        b = list(b)
    if type(a) is type(b) or a is None or b is None:
        return bool(a == b)
    numbers = (int, float)
    return type(a) in numbers and type(b) in numbers and a == b


def _diff(target: dict[str, Any], existing: Mapping[str, Any]) -> dict[str, Any]:
    changed = {}
    for name, value in target.items():
        if name == "hsds_id" and existing["hsds_id"] is None and existing["id"] == value:
            continue
        if not _same(existing[name], value):
            changed[name] = value
    return changed


class _Planner:
    def __init__(self, session: Session, plan: ImportPlan, folder: Folder) -> None:
        self.session = session
        self.plan = plan
        self.folder = folder
        self.internal: dict[Key, str] = {}

    def _record(
        self,
        kind: str,
        model: type[SyncedBase],
        record: Record,
        target: dict[str, Any],
        existing: Mapping[str, Any] | None,
        used: set[str],
        also_changed: tuple[str, ...] = (),
    ) -> str:
        if existing is None:
            new_id = _new_id(record.key, used)
            target["extra"] = _merge_extra(None, record.hsds)
            self.plan.inserts[model].append({"id": new_id, **target})
            self.plan.count(kind, "new")
            self.plan.changes.append(Change(kind, "new", record.key, str(target.get("name", ""))))
            return new_id
        target["extra"] = _merge_extra(existing["extra"], record.hsds)
        changed = _diff(target, existing)
        if changed or also_changed:
            if changed:
                self.plan.updates[model][existing["id"]] = changed
            self.plan.count(kind, "changed")
            name = str(target.get("name", existing["name"]))
            fields = (*changed, *also_changed)
            self.plan.changes.append(Change(kind, "changed", record.key, name, fields))
        else:
            self.plan.count(kind, "unchanged")
        return str(existing["id"])

    def organisations(self, records: Iterable[Record]) -> None:
        existing, used = _existing(self.session, Organisation)
        for rec in records:
            target = {**rec.fields, **rec.local, "hsds_id": rec.key}
            found = existing.get(rec.key)
            self.internal[(m.ORGANIZATION, rec.key)] = self._record(
                "organisation", Organisation, rec, target, found, used
            )

    def locations(self, records: Iterable[Record]) -> None:
        existing, used = _existing(self.session, Location)
        for rec in records:
            org = rec.links["organisation"]
            target = {
                **rec.fields,
                "organisation_id": self.internal[(m.ORGANIZATION, org)] if org else None,
                "hsds_id": rec.key,
            }
            found = existing.get(rec.key)
            self.internal[(m.LOCATION, rec.key)] = self._record(
                "location", Location, rec, target, found, used
            )

    def services(self, records: list[Record]) -> None:
        existing, used = _existing(self.session, Service)
        categories = self._categories()
        for rec in records:
            location = rec.links["location"]
            target = {
                **rec.fields,
                **rec.local,
                "assurer": rec.assurer,
                "organisation_id": self.internal[(m.ORGANIZATION, str(rec.links["organisation"]))],
                "location_id": self.internal[(m.LOCATION, location)] if location else None,
                "hsds_id": rec.key,
            }
            found = existing.get(rec.key)
            also: tuple[str, ...] = ()
            if found is not None:
                _keep_newer_assurance(target, found)
                if location is None and target.get(
                    "confidential_address", found["confidential_address"]
                ):
                    # Exports withhold a refuge's location; that is no reason to forget it.
                    target["location_id"] = found["location_id"]
                current = categories.get(found["id"], {})
                if self._plan_categories(rec.categories, found["id"], current):
                    also = ("categories",)
            sid = self._record("service", Service, rec, target, found, used, also)
            self.internal[(m.SERVICE, rec.key)] = sid
            if found is None:
                self._plan_categories(rec.categories, sid, {})

    def _categories(self) -> dict[str, dict[str, tuple[str, bool]]]:
        table = ServiceCategory.__table__
        out: dict[str, dict[str, tuple[str, bool]]] = defaultdict(dict)
        for sid, code, cid, deleted in self.session.execute(
            select(table.c.service_id, table.c.category_code, table.c.id, table.c.deleted_at)
        ):
            live = deleted is None
            if code not in out[sid] or live:
                out[sid][code] = (cid, live)
        return out

    def _plan_categories(
        self, wanted: set[str] | None, sid: str, current: dict[str, tuple[str, bool]]
    ) -> bool:
        """Plan the category rows of one service; False when nothing changes."""
        if wanted is None:
            return False  # the package names no category: keep ours
        live = {code for code, (_, alive) in current.items() if alive}
        if wanted == live:
            return False
        now = utcnow()
        for code in sorted(wanted - live):
            if code in current:
                self.plan.updates[ServiceCategory][current[code][0]] = {"deleted_at": None}
            else:
                self.plan.inserts[ServiceCategory].append(
                    {"service_id": sid, "category_code": code}
                )
        for code in sorted(live - wanted):
            self.plan.updates[ServiceCategory][current[code][0]] = {"deleted_at": now}
        return True

    def areas(self, services: list[Record]) -> None:
        existing, used = _existing(self.session, ServiceArea)
        in_package: set[str] = set()
        kind = "service_area"
        for rec in services:
            sid = self.internal[(m.SERVICE, rec.key)]
            for row in self.folder.areas.get(rec.key, []):
                in_package.add(row.id)
                target = {"service_id": sid, "name": row.cells.get("name", "").strip(),
                          "hsds_id": row.id}  # fmt: skip
                found = existing.get(row.id)
                if found is None:
                    self.plan.inserts[ServiceArea].append({"id": _new_id(row.id, used), **target})
                    self.plan.count(kind, "new")
                    self.plan.changes.append(Change(kind, "new", row.id, target["name"]))
                    continue
                changed = _diff(target, found)
                if changed:
                    self.plan.updates[ServiceArea][found["id"]] = changed
                    self.plan.count(kind, "changed")
                    self.plan.changes.append(
                        Change(kind, "changed", row.id, target["name"], tuple(changed))
                    )
                else:
                    self.plan.count(kind, "unchanged")
        # Areas of these services that the package no longer lists are removed (HSDS owns them).
        services_here = {self.internal[(m.SERVICE, r.key)] for r in services}
        now = utcnow()
        for key, found in existing.items():
            if found["service_id"] in services_here and key not in in_package:
                self.plan.updates[ServiceArea][found["id"]] = {"deleted_at": now}
                self.plan.count(kind, "removed")
                self.plan.changes.append(Change(kind, "removed", key, found["name"]))


def _keep_newer_assurance(target: dict[str, Any], existing: Mapping[str, Any]) -> None:
    new: date | None = target["assured_date"]
    old: date | None = existing["assured_date"]
    if new is None or (old is not None and old > new):
        target["assured_date"] = old
        target["assurer"] = existing["assurer"]


def _need_categories(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(ReferenceItem.code, ReferenceItem.label)
        .where(ReferenceItem.list_name == "need_category", ReferenceItem.deleted_at.is_(None))
        .order_by(ReferenceItem.deprecated_at.is_not(None), ReferenceItem.sort_order)
    )
    return [(code, label) for code, label in rows]


def plan_import(session: Session, package: Package) -> ImportPlan:
    """Check the package and work out what importing it would change. Writes nothing."""
    plan = ImportPlan()
    checker = Checker(package)
    checker.run()
    folder = Folder(checker, CategoryMatcher(_need_categories(session)))
    accepted = checker.accepted
    orgs = [folder.organisation(r) for r in accepted["organization"].values()]
    locations = [folder.location(r) for r in accepted["location"].values()]
    services = [folder.service(r) for r in accepted["service"].values()]
    for table in ("taxonomy", "taxonomy_term"):
        count = sum(
            1 for i, row in accepted[table].items()
            if i not in folder.used_terms and not is_published(row.cells)
        )  # fmt: skip
        if count:
            plan.notes.append(
                f"{package.table(table).path}: {count} row(s) not used by any imported record."
            )
    found = checker.findings
    plan.rejected, plan.warnings = found.rejected, found.warnings
    plan.notes, plan.rejected_by_table = found.notes, found.rejected_by_table
    planner = _Planner(session, plan, folder)
    planner.organisations(orgs)
    planner.locations(locations)
    planner.services(services)
    planner.areas(services)
    return plan


# --- applying ------------------------------------------------------------------------------

_FIRST = (Organisation, Location)
_SECOND = (Service, ServiceArea, ServiceCategory)


def apply_plan(session: Session, plan: ImportPlan, *, reason: str = "directory import") -> None:
    """Write the plan in the caller's transaction (which commits or rolls back all of it)."""
    _bulk_insert(session, plan, _FIRST, reason)
    for model, updates in plan.updates.items():
        _orm_update(session, model, updates)
    session.flush()
    _bulk_insert(session, plan, _SECOND, reason)


def _bulk_insert(
    session: Session, plan: ImportPlan, models: Sequence[type[SyncedBase]], reason: str
) -> None:
    if not any(plan.inserts.get(model) for model in models):
        return
    with BulkLoader(session, reason=reason) as loader:
        for model in models:
            rows = plan.inserts.get(model)
            if rows:
                loader.add(model, rows)


def _orm_update(
    session: Session, model: type[SyncedBase], updates: dict[str, dict[str, Any]]
) -> None:
    ids = list(updates)
    # No autoflush between chunks: one flush at the end, so the change-log listener makes a
    # single pass over the modified records instead of one per chunk.
    with session.no_autoflush:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for obj in session.scalars(select(model).where(model.id.in_(chunk))):
                for name, value in updates[obj.id].items():
                    setattr(obj, name, value)


def import_package(
    session: Session,
    path: Path,
    *,
    dry_run: bool = False,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> ImportPlan:
    """Read, check and plan; apply too unless `dry_run`. PackageError refuses the whole file.

    The cyclic garbage collector is paused meanwhile (`gc_paused`): the 20 000-service budget.
    """
    with gc_paused():
        # The parsed package is dropped as soon as it is planned (the peak memory of a write).
        plan = plan_import(session, read_package(path, max_file_bytes=max_file_bytes))
        if not dry_run and plan.has_writes:
            apply_plan(session, plan)
    return plan
