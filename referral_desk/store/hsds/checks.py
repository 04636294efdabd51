"""Check every row of an HSDS package: accept it (and find its owner) or reject it, and why.

Row faults quarantine the row, never the package: a bad or repeated id, a missing required
value, a value outside an HSDS enum, or a required link to a row that is not in the package.
Rows that depend on a quarantined row (a service of a rejected organisation, the phone of a
rejected service) are quarantined with it. A dangling *optional* link (a parent organisation
that is not in the package) is dropped and the row kept. Tables are checked parents first, so
by the time a row is checked, everything it may point to has been decided.

Every child row (phone, address, schedule…) ends up owned by exactly one organisation,
location or service: the first of its links that is filled in (`OWNER_LINKS`).

Messages name tables, columns, row numbers and UUIDs, never cell contents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from referral_desk.store.hsds.package_reader import Package
from referral_desk.store.hsds.schema import TABLES

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
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ARTICLES = {"organization": "an organization", "location": "a location", "service": "a service"}

Key = tuple[str, str]  # (record table, HSDS id)


@dataclass(frozen=True)
class Issue:
    """A rejected row or a dropped link: where it is and why (no cell contents)."""

    table: str
    file: str
    row: int
    record_id: str
    message: str


@dataclass
class Findings:
    """What the checks found: rejected rows, dropped links, and notes for the preview."""

    rejected: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejected_by_table: dict[str, int] = field(default_factory=dict)


@dataclass
class Row:
    table: str
    number: int
    id: str
    cells: dict[str, str]
    owner: Key | None = None


class Checker:
    """Decides for every row: accepted (with its owner) or rejected (with a reason)."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.findings = Findings()
        self.accepted: dict[str, dict[str, Row]] = {t: {} for t in TABLES}
        self.rejected: dict[str, set[str]] = {t: set() for t in TABLES}

    def run(self) -> None:
        for table in CHECK_ORDER:
            self._check_table(table)
        for table in IGNORED_TABLES:
            rows = self.package.table(table).rows
            if rows:
                self.findings.notes.append(
                    f"{self.package.table(table).path}: {len(rows)} row(s) not imported "
                    "(package metadata is not kept in the directory)."
                )
        for name in self.package.ignored_resources:
            self.findings.notes.append(f"Resource '{name}' is not an HSDS table; not imported.")

    def _issue(self, table: str, number: int, rid: str, message: str) -> Issue:
        return Issue(table, self.package.table(table).path, number, rid, message)

    def reject(self, table: str, number: int, rid: str, message: str) -> None:
        self.findings.rejected.append(self._issue(table, number, rid, message))
        self.findings.rejected_by_table[table] = self.findings.rejected_by_table.get(table, 0) + 1
        if rid:
            self.rejected[table].add(rid)

    def warn(self, table: str, number: int, rid: str, message: str) -> None:
        self.findings.warnings.append(self._issue(table, number, rid, message))

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
            if not UUID_RE.fullmatch(rid):
                rid = rid.strip().lower()
            if raw_row.fault:
                self.reject(table, number, "", f"row {raw_row.fault}")
                continue
            if not rid:
                self.reject(table, number, "", "id is missing")
                continue
            if not UUID_RE.fullmatch(rid):
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
            row = Row(table, number, rid, cells)
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
                return f"{column} points to {article(target)} that is not in the package"
            cells[column] = ""
            self.warn(table, number, rid, _dropped(column, target, state == "rejected"))
        return ""

    def _owner(self, row: Row, owners: Sequence[tuple[str, str]]) -> str:
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

    def _attribute_owner(self, row: Row) -> str:
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
            return f"link_id points to {article(entity)} that is not in the package"
        target = self.accepted[entity][link]
        row.owner = target.owner if entity == "service_at_location" else (entity, link)
        return ""


def _depends(target: str, value: str) -> str:
    # Ids are named only when they are UUIDs: a malformed one could be any text at all.
    which = f"{target} {value}" if UUID_RE.fullmatch(value) else f"{target} it links to"
    return f"depends on {_the(which)}, which was rejected"


def _the(text: str) -> str:
    return "the " + text.replace("_", " ")


def _dropped(column: str, target: str, rejected: bool) -> str:
    why = "was rejected" if rejected else "is not in the package"
    return f"{column} points to {article(target)} that {why}; link dropped"


def article(table: str) -> str:
    return ARTICLES.get(table, f"a {table.replace('_', ' ')}")
