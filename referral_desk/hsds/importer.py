"""Import an HSDS 3.0 package into the directory: check, plan (the preview), apply.

`plan_import` checks every row and works out, without writing, what the import would do:
which organisations, locations, services and service areas are new, changed or unchanged, and
which rows are rejected and why. Each write it decides on is handed to a *sink* as an
`import_ops.Op`: a list for an import applied in one transaction (`import_package`, small
imports), nothing for a preview, or the journal (`import_journal.JournalWriter`) for a large
import that is applied later in short transactions (`usecases.directory_admin`).

Planning streams: records are folded and diffed a chunk at a time (`folding.RECORD_CHUNK`),
the directory's current rows are read for that chunk only, and the ids given to organisations
and locations are remembered in the package's scratch database, so memory does not grow with
the package (DESIGN.md §9: ≤ 300 MB for any import).

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from referral_desk.hsds import gc_paused
from referral_desk.hsds import mapping as m
from referral_desk.hsds.checks import Checker
from referral_desk.hsds.detect import open_package
from referral_desk.hsds.findings import Issue
from referral_desk.hsds.folding import Folder, Record
from referral_desk.hsds.links import lookup
from referral_desk.hsds.package import DEFAULT_MAX_FILE_BYTES, Limits, Package
from referral_desk.hsds.taxonomy import (
    CategoryMatcher,
    is_published,
)
from referral_desk.hsds.verdict import refuse_if_nothing_usable
from referral_desk.store import directory_rows as rows_of
from referral_desk.store.changelog import utcnow
from referral_desk.store.directory_rows import (
    LOCATION,
    ORGANISATION,
    SERVICE,
    SERVICE_AREA,
    SERVICE_CATEGORY,
    Session,
)
from referral_desk.store.import_ops import Op, apply_ops

# The preview lists this many changes; beyond, it only counts them (a 200 000-service import
# would otherwise hold a change per record in memory).
MAX_LISTED_CHANGES = 10_000
_IN_CHUNK = 2000

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
    changes_total: int = 0
    rejected_total: int = 0
    warnings_total: int = 0
    cleaned_cells: int = 0
    writes: int = 0  # ops handed to the sink
    form: str = ""  # what the file was: HSDS version and form (`detect`)

    @property
    def has_writes(self) -> bool:
        return self.writes > 0

    def count(self, kind: str, action: str) -> None:
        self.counts[kind][action] += 1

    def change(self, change: Change) -> None:
        self.changes_total += 1
        if len(self.changes) < MAX_LISTED_CHANGES:
            self.changes.append(change)


class Sink(Protocol):
    """Where planned writes go (a list, the journal, or nowhere for a preview)."""

    def add(self, op: Op) -> None: ...


class OpList(list[Op]):
    """Planned writes kept in memory, for an import applied in one transaction."""

    def add(self, op: Op) -> None:
        self.append(op)


class Discard:
    """A preview writes nothing."""

    def add(self, op: Op) -> None:
        return None


# --- planning against the directory --------------------------------------------------------


def _chunks(items: Sequence[str], size: int = _IN_CHUNK) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


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
    def __init__(self, session: Session, plan: ImportPlan, sink: Sink, folder: Folder) -> None:
        self.session = session
        self.plan = plan
        self.sink = sink
        self.folder = folder
        self.scratch = folder.package.db
        # Our ids of the organisations and locations planned so far (services link to them).
        self.scratch.execute(
            "CREATE TABLE IF NOT EXISTS planned (kind TEXT, key TEXT, id TEXT, "
            "PRIMARY KEY (kind, key)) WITHOUT ROWID"
        )

    def _insert(self, table: str, record_id: str, values: dict[str, Any]) -> None:
        self.plan.writes += 1
        self.sink.add(Op(table, "insert", record_id, values))

    def _update(self, table: str, record_id: str, values: dict[str, Any]) -> None:
        self.plan.writes += 1
        self.sink.add(Op(table, "update", record_id, values))

    def _remember(self, kind: str, ids: dict[str, str]) -> None:
        self.scratch.executemany(
            "INSERT OR REPLACE INTO planned VALUES (?, ?, ?)",
            [(kind, k, v) for k, v in ids.items()],
        )

    def _recall(self, kind: str, keys: Iterable[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in _chunks(sorted({k for k in keys if k})):
            sql = (
                f"SELECT key, id FROM planned WHERE kind = ? "
                f"AND key IN ({','.join('?' * len(part))})"
            )
            out.update(self.scratch.execute(sql, (kind, *part)))
        return out

    def _record(
        self,
        kind: str,
        table: str,
        record: Record,
        target: dict[str, Any],
        existing: Mapping[str, Any] | None,
        used: set[str],
        also_changed: tuple[str, ...] = (),
    ) -> str:
        if existing is None:
            new_id = _new_id(record.key, used)
            target["extra"] = _merge_extra(None, record.hsds)
            self._insert(table, new_id, target)
            self.plan.count(kind, "new")
            self.plan.change(Change(kind, "new", record.key, str(target.get("name", ""))))
            return new_id
        target["extra"] = _merge_extra(existing["extra"], record.hsds)
        changed = _diff(target, existing)
        if changed or also_changed:
            if changed:
                self._update(table, existing["id"], changed)
            self.plan.count(kind, "changed")
            name = str(target.get("name", existing["name"]))
            fields = (*changed, *also_changed)
            self.plan.change(Change(kind, "changed", record.key, name, fields))
        else:
            self.plan.count(kind, "unchanged")
        return str(existing["id"])

    def organisations(self, records: list[Record]) -> None:
        existing, used = rows_of.existing_by_key(
            self.session, ORGANISATION, [r.key for r in records]
        )
        ids = {}
        for rec in records:
            target = {**rec.fields, **rec.local, "hsds_id": rec.key}
            found = existing.get(rec.key)
            ids[rec.key] = self._record("organisation", ORGANISATION, rec, target, found, used)
        self._remember(m.ORGANIZATION, ids)

    def locations(self, records: list[Record]) -> None:
        existing, used = rows_of.existing_by_key(self.session, LOCATION, [r.key for r in records])
        orgs = self._recall(m.ORGANIZATION, (str(r.links["organisation"] or "") for r in records))
        ids = {}
        for rec in records:
            org = rec.links["organisation"]
            target = {
                **rec.fields,
                "organisation_id": orgs[org] if org else None,
                "hsds_id": rec.key,
            }
            found = existing.get(rec.key)
            ids[rec.key] = self._record("location", LOCATION, rec, target, found, used)
        self._remember(m.LOCATION, ids)

    def services(self, records: list[Record]) -> None:
        existing, used = rows_of.existing_by_key(self.session, SERVICE, [r.key for r in records])
        orgs = self._recall(m.ORGANIZATION, (str(r.links["organisation"]) for r in records))
        locations = self._recall(m.LOCATION, (str(r.links["location"] or "") for r in records))
        categories = rows_of.category_rows_of(self.session, [f["id"] for f in existing.values()])
        ids: dict[str, str] = {}
        for rec in records:
            location = rec.links["location"]
            target = {
                **rec.fields,
                **rec.local,
                "assurer": rec.assurer,
                "organisation_id": orgs[str(rec.links["organisation"])],
                "location_id": locations[location] if location else None,
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
            sid = self._record("service", SERVICE, rec, target, found, used, also)
            ids[rec.key] = sid
            if found is None:
                self._plan_categories(rec.categories, sid, {})
        self._areas(records, ids)

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
                self._update(SERVICE_CATEGORY, current[code][0], {"deleted_at": None})
            else:
                self._insert(
                    SERVICE_CATEGORY, str(uuid.uuid4()), {"service_id": sid, "category_code": code}
                )
        for code in sorted(live - wanted):
            self._update(SERVICE_CATEGORY, current[code][0], {"deleted_at": now})
        return True

    def _areas(self, services: list[Record], sids: dict[str, str]) -> None:
        rows = [(rec, row) for rec in services for row in self.folder.areas.get(rec.key, [])]
        here = [sids[rec.key] for rec in services]
        existing, used = rows_of.existing_by_key(
            self.session, SERVICE_AREA, [row.id for _, row in rows], here
        )
        kind = "service_area"
        in_chunk: set[str] = set()
        for rec, row in rows:
            in_chunk.add(row.id)
            target = {
                "service_id": sids[rec.key],
                "name": row.cells.get("name", "").strip(),
                "hsds_id": row.id,
            }
            found = existing.get(row.id)
            if found is None:
                self._insert(SERVICE_AREA, _new_id(row.id, used), target)
                self.plan.count(kind, "new")
                self.plan.change(Change(kind, "new", row.id, target["name"]))
                continue
            changed = _diff(target, found)
            if changed:
                self._update(SERVICE_AREA, found["id"], changed)
                self.plan.count(kind, "changed")
                self.plan.change(Change(kind, "changed", row.id, target["name"], tuple(changed)))
            else:
                self.plan.count(kind, "unchanged")
        # Areas of these services that the package no longer lists are removed (HSDS owns them;
        # an area the package lists under another service moves there instead).
        services_here = set(here)
        gone = {
            key: found
            for key, found in existing.items()
            if found["service_id"] in services_here and key not in in_chunk
        }
        elsewhere = lookup(self.folder.package, "service_area", gone, accepted_only=True)
        now = utcnow()
        for key, found in gone.items():
            if key not in elsewhere:
                self._update(SERVICE_AREA, found["id"], {"deleted_at": now})
                self.plan.count(kind, "removed")
                self.plan.change(Change(kind, "removed", key, found["name"]))


def _keep_newer_assurance(target: dict[str, Any], existing: Mapping[str, Any]) -> None:
    new: date | None = target["assured_date"]
    old: date | None = existing["assured_date"]
    if new is None or (old is not None and old > new):
        target["assured_date"] = old
        target["assurer"] = existing["assurer"]


def plan_import(session: Session, package: Package, sink: Sink | None = None) -> ImportPlan:
    """Check the package and work out what importing it would change; every write goes to
    `sink` (nothing is written to the database here)."""
    plan = ImportPlan(cleaned_cells=package.cleaned_cells, form=package.form)
    checker = Checker(package)
    checker.run()
    refuse_if_nothing_usable(package, checker.findings)
    folder = Folder(checker, CategoryMatcher(rows_of.need_categories(session, current_first=True)))
    planner = _Planner(session, plan, Discard() if sink is None else sink, folder)
    for records in folder.records(m.ORGANIZATION):
        planner.organisations(records)
    for records in folder.records(m.LOCATION):
        planner.locations(records)
    for records in folder.records(m.SERVICE):
        planner.services(records)
    found = checker.findings
    plan.notes = [*package.translation_notes, *found.notes]
    for table in ("taxonomy", "taxonomy_term"):
        unused = sum(1 for row in folder.unused(table) if not is_published(row))
        if unused:
            plan.notes.append(
                f"{package.table(table).path}: {unused} row(s) not used by any imported record."
            )
    plan.rejected, plan.warnings = found.rejected, found.warnings
    plan.rejected_total, plan.warnings_total = found.rejected_total, found.warnings_total
    plan.rejected_by_table = found.rejected_by_table
    if plan.cleaned_cells:
        plan.notes.append(
            f"{plan.cleaned_cells} cell(s) held control characters (invisible codes that break "
            "spreadsheets and printing); they were removed."
        )
    for what, listed, total in (
        ("rejected rows", plan.rejected, plan.rejected_total),
        ("warnings", plan.warnings, plan.warnings_total),
        ("changes", plan.changes, plan.changes_total),
    ):
        if total > len(listed):
            plan.notes.append(f"Only the first {len(listed)} of {total} {what} are listed.")
    return plan


def import_package(
    session: Session,
    path: Path,
    *,
    dry_run: bool = False,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    limits: Limits | None = None,
) -> ImportPlan:
    """Read, check and plan; apply too unless `dry_run`, all in the caller's transaction.

    PackageError refuses the whole file. The cyclic garbage collector is paused meanwhile
    (`gc_paused`): the 20 000-service budget. Large imports go through the journal instead
    (`usecases.directory_admin`), so that they do not hold the write lock throughout.
    """
    limits = limits or Limits(max_file_bytes=max_file_bytes)
    with gc_paused(), open_package(path, limits=limits) as pkg:
        ops = OpList()
        plan = plan_import(session, pkg, None if dry_run else ops)
    if ops:
        apply_ops(session, ops, reason="directory import")
    return plan
