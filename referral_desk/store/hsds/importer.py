"""Import an HSDS 3.0 package into the directory: check, plan (the preview), apply.

`plan_import` checks every row and works out, without writing, what the import would do:
which organisations, locations, services and service areas are new, changed or unchanged, and
which rows are rejected and why. `apply_plan` then writes the plan in the caller's transaction.

Row faults quarantine the row, never the package: a bad or repeated id, a missing required
value, a value outside an HSDS enum, or a required link to a row that is not in the package.
Rows that depend on a quarantined row (a service of a rejected organisation, the phone of a
rejected service) are quarantined with it. A dangling *optional* link (a parent organisation
that is not in the package) is dropped and the row kept. Tables are checked parents first, so
by the time a row is checked, everything it may point to has been decided.

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

import re
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
from referral_desk.store.hsds.package_reader import (
    DEFAULT_MAX_FILE_BYTES,
    Package,
    read_package,
)
from referral_desk.store.hsds.schema import TABLES
from referral_desk.store.hsds.taxonomy import (
    CategoryMatcher,
    LocalTerm,
    decode_values,
    is_published,
    local_term_for,
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

# Parents before children: when a row is checked, every row it may point to is decided.
CHECK_ORDER = (
    "taxonomy", "taxonomy_term", "organization", "program", "location", "service",
    "service_at_location", "contact", "phone", "address", "accessibility", "schedule",
    "funding", "service_area", "required_document", "language", "cost_option",
    "organization_identifier", "attribute",
)  # fmt: skip
IGNORED_TABLES = ("metadata", "meta_table_description")
RECORD_TABLES = ("organization", "location", "service")
# Which record a child row belongs to: the first of these links that is filled in.
OWNER_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "program": (("organization_id", "organization"),),
    "service_at_location": (("service_id", "service"),),
    "contact": (("service_id", "service"), ("service_at_location_id", "service_at_location"),
                ("organization_id", "organization"), ("location_id", "location")),
    "phone": (("service_id", "service"), ("service_at_location_id", "service_at_location"),
              ("organization_id", "organization"), ("location_id", "location"),
              ("contact_id", "contact")),
    "address": (("location_id", "location"),),
    "accessibility": (("location_id", "location"),),
    "schedule": (("service_id", "service"), ("service_at_location_id", "service_at_location"),
                 ("location_id", "location")),
    "funding": (("service_id", "service"), ("organization_id", "organization")),
    "service_area": (("service_id", "service"),),
    "required_document": (("service_id", "service"),),
    "language": (("service_id", "service"), ("location_id", "location"),
                 ("phone_id", "phone")),
    "cost_option": (("service_id", "service"),),
    "organization_identifier": (("organization_id", "organization"),),
}  # fmt: skip
# Links HSDS leaves out of its foreign keys but which are links all the same.
SELF_LINKS: dict[str, tuple[str, ...]] = {
    "organization": ("parent_organization_id",),
    "taxonomy_term": ("parent_id",),
}
ENUM_CHECKED = {("service", "status"), ("location", "location_type"), ("address", "address_type")}
ATTRIBUTE_ENTITIES = ("service", "organization", "location", "service_at_location")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ARTICLE = {"organization": "an organization", "location": "a location", "service": "a service"}

Key = tuple[str, str]  # (record table, HSDS id)


# --- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """A rejected row or a dropped link: where it is and why (no cell contents)."""

    table: str
    file: str
    row: int
    record_id: str
    message: str


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


# --- checking rows -------------------------------------------------------------------------


@dataclass
class _Row:
    table: str
    number: int
    id: str
    cells: dict[str, str]
    owner: Key | None = None


class _Checker:
    """Decides for every row: accepted (with its owner) or rejected (with a reason)."""

    def __init__(self, package: Package, plan: ImportPlan) -> None:
        self.package = package
        self.plan = plan
        self.accepted: dict[str, dict[str, _Row]] = {t: {} for t in TABLES}
        self.rejected: dict[str, set[str]] = {t: set() for t in TABLES}

    def run(self) -> None:
        for table in CHECK_ORDER:
            self._check_table(table)
        for table in IGNORED_TABLES:
            rows = self.package.table(table).rows
            if rows:
                self.plan.notes.append(
                    f"{self.package.table(table).path}: {len(rows)} row(s) not imported "
                    "(package metadata is not kept in the directory)."
                )
        for name in self.package.ignored_resources:
            self.plan.notes.append(f"Resource '{name}' is not an HSDS table; not imported.")

    def _issue(self, table: str, number: int, rid: str, message: str) -> Issue:
        return Issue(table, self.package.table(table).path, number, rid, message)

    def reject(self, table: str, number: int, rid: str, message: str) -> None:
        self.plan.rejected.append(self._issue(table, number, rid, message))
        self.plan.rejected_by_table[table] = self.plan.rejected_by_table.get(table, 0) + 1
        if rid:
            self.rejected[table].add(rid)

    def warn(self, table: str, number: int, rid: str, message: str) -> None:
        self.plan.warnings.append(self._issue(table, number, rid, message))

    def _state(self, target: str, value: str) -> str:
        if value in self.accepted[target]:
            return "ok"
        return "rejected" if value in self.rejected[target] else "dangling"

    def _check_table(self, table: str) -> None:
        raw = self.package.table(table)
        schema = TABLES[table]
        required = [f.name for f in schema.fields if f.required and f.name != "id"]
        enums = {f.name: f.enum for f in schema.fields if (table, f.name) in ENUM_CHECKED}
        links = [(c, t) for c, t in schema.links if c not in SELF_LINKS.get(table, ())]
        owners = OWNER_LINKS.get(table, ())
        seen: dict[str, int] = {}
        accepted = self.accepted[table]
        for raw_row in raw.rows:
            cells = raw_row.cells
            number = raw_row.number
            rid = cells.get("id", "")
            if not _UUID.fullmatch(rid):
                rid = rid.strip().lower()
            if raw_row.fault:
                self.reject(table, number, "", f"row {raw_row.fault}")
                continue
            if not rid:
                self.reject(table, number, "", "id is missing")
                continue
            if not _UUID.fullmatch(rid):
                self.reject(table, number, "", "id is not a valid UUID")
                self.rejected[table].add(rid)  # so rows that point to it say why
                continue
            if rid in seen:
                self.reject(table, number, "", f"repeats the id of row {seen[rid]}")
                continue
            seen[rid] = number
            cells["id"] = rid
            missing = [c for c in required if not cells.get(c, "").strip()]
            if missing:
                self.reject(table, number, rid, "missing required value: " + ", ".join(missing))
                continue
            bad_enum = self._check_enums(cells, enums) if enums else ""
            if bad_enum:
                self.reject(table, number, rid, bad_enum)
                continue
            problem = self._check_links(table, number, rid, cells, links, owners) if links else ""
            if problem:
                self.reject(table, number, rid, problem)
                continue
            row = _Row(table, number, rid, cells)
            if table == "attribute":
                problem = self._attribute_owner(row)
            elif owners:
                problem = self._owner(row, owners)
            if problem:
                self.reject(table, number, rid, problem)
                continue
            accepted[rid] = row
        for column in SELF_LINKS.get(table, ()):
            for row in accepted.values():
                value = row.cells.get(column, "").strip().lower()
                row.cells[column] = value
                if value and value not in accepted:
                    row.cells[column] = ""
                    gone = value in self.rejected[table]
                    self.warn(table, row.number, row.id, _dropped(column, table, gone))

    @staticmethod
    def _check_enums(cells: dict[str, str], enums: dict[str, tuple[str, ...]]) -> str:
        for name, allowed in enums.items():
            value = cells.get(name, "").strip().casefold()
            if value not in allowed:
                return f"{name} must be one of: {', '.join(allowed)}"
            cells[name] = value
        return ""

    def _check_links(
        self,
        table: str,
        number: int,
        rid: str,
        cells: dict[str, str],
        links: Sequence[tuple[str, str]],
        owners: Sequence[tuple[str, str]],
    ) -> str:
        accepted = self.accepted
        for column, target in links:
            value = cells.get(column, "")
            if not value or value in accepted[target]:
                continue  # the common case: blank, or an exact id of an accepted row
            value = cells[column] = value.strip().lower()
            if not value:
                continue
            state = self._state(target, value)
            if state == "ok":
                continue
            owner_column = next((c for c, _ in owners if cells.get(c, "").strip()), None)
            spec = TABLES[table].field(column)
            if (spec is not None and spec.required) or (
                state == "rejected" and column == owner_column
            ):
                if state == "rejected":
                    return _depends(target, value)
                return f"{column} points to {_a(target)} that is not in the package"
            cells[column] = ""
            self.warn(table, number, rid, _dropped(column, target, state == "rejected"))
        return ""

    def _owner(self, row: _Row, owners: Sequence[tuple[str, str]]) -> str:
        for column, target in owners:
            value = row.cells.get(column, "")
            if not value:
                continue
            if target in RECORD_TABLES:
                row.owner = (target, value)
            else:
                row.owner = self.accepted[target][value].owner
            return ""
        if row.table == "service_area":
            return "is not linked to a service in the package"
        return "is not linked to any service, organization or location in the package"

    def _attribute_owner(self, row: _Row) -> str:
        entity = row.cells.get("link_entity", "").strip().lower()
        if entity not in ATTRIBUTE_ENTITIES:
            return "link_entity must be one of: " + ", ".join(ATTRIBUTE_ENTITIES)
        row.cells["link_entity"] = entity
        link = row.cells.get("link_id", "").strip().lower()
        row.cells["link_id"] = link
        state = self._state(entity, link)
        if state == "rejected":
            return _depends(entity, link)
        if state == "dangling":
            return f"link_id points to {_a(entity)} that is not in the package"
        target = self.accepted[entity][link]
        row.owner = target.owner if entity == "service_at_location" else (entity, link)
        return ""


def _depends(target: str, value: str) -> str:
    # Ids are named only when they are UUIDs: a malformed one could be any text at all.
    which = f"{target} {value}" if _UUID.fullmatch(value) else f"{target} it links to"
    return f"depends on {_the(which)}, which was rejected"


def _the(text: str) -> str:
    return "the " + text.replace("_", " ")


def _dropped(column: str, target: str, rejected: bool) -> str:
    why = "was rejected" if rejected else "is not in the package"
    return f"{column} points to {_a(target)} that {why}; link dropped"


def _a(table: str) -> str:
    return _ARTICLE.get(table, f"a {table.replace('_', ' ')}")


# --- folding rows into records -------------------------------------------------------------


@dataclass
class _Record:
    """What the package says about one organisation, location or service."""

    key: str
    row: _Row
    fields: dict[str, Any]
    hsds: dict[str, Any]  # the hsds_* parts of `extra`
    local: dict[str, Any] = field(default_factory=dict)  # our attributes that were present
    links: dict[str, str | None] = field(default_factory=dict)  # HSDS ids of linked records
    categories: set[str] | None = None
    assurer: str = ""


class _Folder:
    """Turns accepted rows into `_Record`s with our field values."""

    def __init__(self, checker: _Checker, matcher: CategoryMatcher) -> None:
        self.c = checker
        self.matcher = matcher
        self.children: dict[Key, dict[str, list[m.Row]]] = defaultdict(lambda: defaultdict(list))
        self.attributes: dict[Key, list[m.Row]] = defaultdict(list)
        self.locals: dict[Key, dict[LocalTerm, list[tuple[_Row, str]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.areas: dict[str, list[_Row]] = defaultdict(list)
        self.used_terms: set[str] = set()
        self._chains: dict[str, tuple[list[m.Row], list[m.Row]]] = {}
        self._collect()

    def _collect(self) -> None:
        accepted = self.c.accepted
        for table in CHECK_ORDER:
            if table in RECORD_TABLES or table in ("taxonomy", "taxonomy_term", "attribute"):
                continue
            for row in accepted[table].values():
                assert row.owner is not None
                if table == "service_area":
                    self.areas[row.owner[1]].append(row)
                else:
                    self.children[row.owner][table].append(m.canonical(table, row.cells))
        terms = accepted["taxonomy_term"]
        for row in accepted["attribute"].values():
            assert row.owner is not None
            term = terms[row.cells["taxonomy_term_id"]].cells
            local = local_term_for(term)
            if local is not None:
                if local.entity == row.owner[0]:
                    self.locals[row.owner][local].append((row, row.cells.get("value", "")))
                else:
                    self.c.warn("attribute", row.number, row.id,
                                f"term {local.code} does not apply to {_a(row.owner[0])}; "
                                "ignored")  # fmt: skip
                continue
            stored = m.canonical("attribute", row.cells)
            stored[m.TERM_KEY], stored[m.TAXONOMY_KEY] = self._term_chain(term)  # type: ignore[assignment]
            self.attributes[row.owner].append(stored)

    def _term_chain(self, term: dict[str, str]) -> tuple[list[m.Row], list[m.Row]]:
        """The term, its ancestors and their taxonomies (computed once per term)."""
        found = self._chains.get(term["id"])
        if found is None:
            found = self._chains[term["id"]] = self._build_chain(term)
        return found

    def _build_chain(self, term: dict[str, str]) -> tuple[list[m.Row], list[m.Row]]:
        terms: list[m.Row] = []
        taxonomies: list[m.Row] = []
        seen: set[str] = set()
        current: dict[str, str] | None = term
        while current is not None and current["id"] not in seen:
            seen.add(current["id"])
            self.used_terms.add(current["id"])
            terms.append(m.canonical("taxonomy_term", current))
            taxonomy = self.c.accepted["taxonomy"].get(current.get("taxonomy_id", ""))
            if taxonomy is not None and taxonomy.id not in {t["id"] for t in taxonomies}:
                self.used_terms.add(taxonomy.id)
                taxonomies.append(m.canonical("taxonomy", taxonomy.cells))
            parent = self.c.accepted["taxonomy_term"].get(current.get("parent_id", ""))
            current = parent.cells if parent is not None else None
        return terms, taxonomies

    def _local_values(self, key: Key) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for term, items in self.locals.get(key, {}).items():
            try:
                values[term.field] = decode_values(term, [v for _, v in items])
            except ValueError as err:
                row = items[-1][0]
                self.c.warn("attribute", row.number, row.id,
                            f"value of term {term.code} is {err}; ignored")  # fmt: skip
        return values

    def _fold(self, kind: str, key: str) -> tuple[dict[str, Any], dict[str, list[m.Row]]]:
        rows = self.children.get((kind, key), {})
        return m.fold_children(kind, key, rows)

    def organisation(self, row: _Row) -> _Record:
        cells = row.cells
        fields: dict[str, Any] = {
            "name": cells["name"].strip(),
            "description": m.unfill(cells["description"]),
            "email": cells.get("email", "").strip(),
            "website": cells.get("website", "").strip(),
        }
        projected, kept = self._fold(m.ORGANIZATION, row.id)
        fields.update(projected)
        attributes = self.attributes.get((m.ORGANIZATION, row.id))
        if attributes:
            kept["attribute"] = attributes
        hsds = {m.EXTRA_COLUMNS: m.leftover(cells, m.ORGANISATION_MAPPED), m.EXTRA_ROWS: kept}
        local = self._local_values((m.ORGANIZATION, row.id))
        return _Record(row.id, row, fields, hsds, local)

    def location(self, row: _Row) -> _Record:
        cells = row.cells
        fields: dict[str, Any] = {"name": cells.get("name", "").strip()}
        for name in ("latitude", "longitude"):
            try:
                fields[name] = m.parse_float(cells.get(name, ""))
            except ValueError:
                fields[name] = None
                self.c.warn("location", row.number, row.id, f"{name} is not a number; ignored")
        projected, kept = self._fold(m.LOCATION, row.id)
        fields.update(projected)
        attributes = self.attributes.get((m.LOCATION, row.id))
        if attributes:
            kept["attribute"] = attributes
        columns = m.leftover(cells, m.LOCATION_MAPPED, m.LOCATION_DEFAULTS)
        hsds = {m.EXTRA_COLUMNS: columns, m.EXTRA_ROWS: kept}
        links = {"organisation": cells.get("organization_id") or None}
        return _Record(row.id, row, fields, hsds, links=links)

    def service(self, row: _Row) -> _Record:
        cells = row.cells
        fields: dict[str, Any] = {
            "name": cells["name"].strip(),
            "description": cells.get("description", "").strip(),
            "email": cells.get("email", "").strip(),
            "status": cells["status"],
        }
        for column, name in (("minimum_age", "min_age"), ("maximum_age", "max_age")):
            try:
                fields[name] = m.parse_whole(cells.get(column, ""))
            except ValueError:
                fields[name] = None
                self.c.warn("service", row.number, row.id, f"{column} is not a whole number; "
                            "ignored")  # fmt: skip
        try:
            fields["assured_date"] = m.parse_day(cells.get("assured_date", ""))
        except ValueError:
            fields["assured_date"] = None
            self.c.warn("service", row.number, row.id, "assured_date is not a date; ignored")
        projected, kept = self._fold(m.SERVICE, row.id)
        location = projected.pop("location")
        fields.update(projected)
        local = self._local_values((m.SERVICE, row.id))
        # Accessibility is said of the location in HSDS; ours is per service (attribute wins).
        location_rows = self.children.get((m.LOCATION, location or ""), {})
        fields["accessibility"] = local.pop(
            "accessibility", m.accessibility_text(location_rows.get("accessibility", []))
        )
        assurer = local.pop("assurer", cells.get("assurer_email", "").strip())
        attributes = self.attributes.get((m.SERVICE, row.id), [])
        categories = m.attribute_categories(attributes, self.matcher)
        plain = [m.strip_term_keys(a) for a in attributes]
        if attributes and plain != m.category_rows(row.id, categories):
            kept["attribute"] = attributes
        area_columns = {}
        for area in self.areas.get(row.id, []):
            columns = m.leftover(area.cells, m.AREA_MAPPED)
            if columns:
                area_columns[area.id] = columns
        hsds = {
            m.EXTRA_COLUMNS: m.leftover(cells, m.SERVICE_MAPPED),
            m.EXTRA_ROWS: kept,
            m.EXTRA_AREAS: area_columns,
        }
        links = {"organisation": cells["organization_id"], "location": location}
        record = _Record(row.id, row, fields, hsds, local, links, categories or None, assurer)
        return record


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
    def __init__(self, session: Session, plan: ImportPlan, folder: _Folder) -> None:
        self.session = session
        self.plan = plan
        self.folder = folder
        self.internal: dict[Key, str] = {}

    def _record(
        self,
        kind: str,
        model: type[SyncedBase],
        record: _Record,
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

    def organisations(self, records: Iterable[_Record]) -> None:
        existing, used = _existing(self.session, Organisation)
        for rec in records:
            target = {**rec.fields, **rec.local, "hsds_id": rec.key}
            found = existing.get(rec.key)
            self.internal[(m.ORGANIZATION, rec.key)] = self._record(
                "organisation", Organisation, rec, target, found, used
            )

    def locations(self, records: Iterable[_Record]) -> None:
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

    def services(self, records: list[_Record]) -> None:
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

    def areas(self, services: list[_Record]) -> None:
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
    checker = _Checker(package, plan)
    checker.run()
    folder = _Folder(checker, CategoryMatcher(_need_categories(session)))
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
