"""How the rows of an HSDS package link: the order tables are checked in, which link makes a
child row belong to a record, and the lookups of decided rows in the scratch database.

The checks (`checks.Checker`) write a decision beside every row, `d_<table>` (`st`: `ACCEPTED`,
`REJECTED`, `REJECTED_NOT_UUID`; `okind`/`okey`: its owner). `lookup` reads those decisions
back by id, a chunk of ids per query; `LinkBatch` does it once for all the links of a batch of
rows, so nothing in memory grows with the size of the package.
"""

from __future__ import annotations

from collections.abc import Iterable

from referral_desk.hsds.package import Package
from referral_desk.hsds.schema import TABLES

# Parents before children: when a row is checked, every row it may point to is decided.
CHECK_ORDER = (
    "taxonomy",
    "taxonomy_term",
    "organization",
    "program",
    "location",
    "service",
    "service_at_location",
    "contact",
    "phone",
    "address",
    "accessibility",
    "schedule",
    "funding",
    "service_area",
    "required_document",
    "language",
    "cost_option",
    "organization_identifier",
    "attribute",
)
IGNORED_TABLES = ("metadata", "meta_table_description")
RECORD_TABLES = ("organization", "location", "service")
# Which record a child row belongs to: the first of these links that is filled in.
OWNER_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "program": (("organization_id", "organization"),),
    "service_at_location": (("service_id", "service"),),
    "contact": (
        ("service_id", "service"),
        ("service_at_location_id", "service_at_location"),
        ("organization_id", "organization"),
        ("location_id", "location"),
    ),
    "phone": (
        ("service_id", "service"),
        ("service_at_location_id", "service_at_location"),
        ("organization_id", "organization"),
        ("location_id", "location"),
        ("contact_id", "contact"),
    ),
    "address": (("location_id", "location"),),
    "accessibility": (("location_id", "location"),),
    "schedule": (
        ("service_id", "service"),
        ("service_at_location_id", "service_at_location"),
        ("location_id", "location"),
    ),
    "funding": (("service_id", "service"), ("organization_id", "organization")),
    "service_area": (("service_id", "service"),),
    "required_document": (("service_id", "service"),),
    "language": (("service_id", "service"), ("location_id", "location"), ("phone_id", "phone")),
    "cost_option": (("service_id", "service"),),
    "organization_identifier": (("organization_id", "organization"),),
}
# Links HSDS leaves out of its foreign keys but which are links all the same.
SELF_LINKS: dict[str, tuple[str, ...]] = {
    "organization": ("parent_organization_id",),
    "taxonomy_term": ("parent_id",),
}
# Tables whose rows are looked up by id: link targets, attribute owners, service areas (the
# importer asks whether an area moved to another service).
LOOKED_UP = frozenset(
    {target for table in TABLES.values() for _column, target in table.links}
    | set(RECORD_TABLES)
    | {"service_at_location", "service_area", "taxonomy", "taxonomy_term"}
)
Key = tuple[str, str]  # (record table, HSDS id)
ACCEPTED, REJECTED, REJECTED_NOT_UUID = 1, 2, 3
LOOKUP_CHUNK = 2000  # ids per IN (…) query


Found = dict[str, tuple[int, str | None, str | None]]  # id -> (state, owner kind, owner key)


def lookup(
    package: Package, table: str, values: Iterable[str], accepted_only: bool = False
) -> Found:
    """The decided rows of `table` with one of these ids: id -> (state, owner kind, owner key)."""
    wanted = [v for v in set(values) if v]
    out: Found = {}
    if not wanted or not package.has_rows(table):
        return out
    state = "st = 1" if accepted_only else "st > 0"
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        part = wanted[start : start + LOOKUP_CHUNK]
        sql = (
            f"SELECT id, st, okind, okey FROM d_{table} "
            f"WHERE id IN ({','.join('?' * len(part))}) AND {state}"
        )
        for rid, st, okind, okey in package.db.execute(sql, part):
            out.setdefault(rid, (st, okind, okey))
    return out


class LinkBatch:
    """What one batch of rows may point to, looked up once for the whole batch.

    Values are looked up as they are in the file; a value that needed trimming or lower-casing
    (rare) is looked up on its own when asked for.
    """

    def __init__(self, package: Package, found: dict[str, Found], asked: dict[str, set[str]]):
        self.package = package
        self.found = found
        self.asked = asked

    def _hit(self, target: str, value: str) -> tuple[int, str | None, str | None] | None:
        found = self.found.setdefault(target, {})
        hit = found.get(value)
        if hit is None:
            asked = self.asked.setdefault(target, set())
            if value not in asked:
                asked.add(value)
                found.update(lookup(self.package, target, (value,)))
                hit = found.get(value)
        return hit

    def state(self, target: str, value: str) -> str:
        hit = self._hit(target, value)
        if hit is None:
            return "dangling"
        return "ok" if hit[0] == ACCEPTED else "rejected"

    def owner(self, target: str, value: str) -> Key | None:
        hit = self._hit(target, value)
        return (hit[1], hit[2]) if hit and hit[1] is not None and hit[2] is not None else None
