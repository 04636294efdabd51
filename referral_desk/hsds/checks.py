"""Check every row of an HSDS package: accept it (and find its owner) or reject it, and why.

Row faults quarantine the row, never the package: a bad or repeated id, a missing required
value, a value outside an HSDS enum, or a required link to a row that is not in the package.
Rows that depend on a quarantined row (a service of a rejected organisation, the phone of a
rejected service) are quarantined with it. A dangling *optional* link (a parent organisation
that is not in the package) is dropped and the row kept. Tables are checked parents first, so
by the time a row is checked, everything it may point to has been decided.

Every child row (phone, address, schedule…) ends up owned by exactly one organisation,
location or service: the first of its links that is filled in (`OWNER_LINKS`).

Rows are checked in batches straight from the package's scratch database (`Package`), and the
decisions are written beside them, in `d_<table>`: `st` 1 accepted, 2 rejected, 3 rejected
with an id that is no UUID (rows rejected before their id counts have none); `okind`/`okey`:
the owner; `used`: a taxonomy row some imported record uses. Links are looked up per batch
with one query per table they point to, so nothing in memory grows with the size of the
package; only the lists of issues shown in the preview do, and they stop at
`MAX_LISTED_ISSUES` (the totals go on).

Messages name tables, columns, row numbers and UUIDs, never cell contents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from referral_desk.hsds.findings import Findings, Issue
from referral_desk.hsds.links import (
    ACCEPTED,
    CHECK_ORDER,
    IGNORED_TABLES,
    LOOKED_UP,
    LOOKUP_CHUNK,
    OWNER_LINKS,
    RECORD_TABLES,
    REJECTED,
    REJECTED_NOT_UUID,
    SELF_LINKS,
    Key,
    LinkBatch,
    lookup,
)
from referral_desk.hsds.package import Package, pack
from referral_desk.hsds.schema import TABLES

ENUM_CHECKED = {("service", "status"), ("location", "location_type"), ("address", "address_type")}
ATTRIBUTE_ENTITIES = ("service", "organization", "location", "service_at_location")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ARTICLES = {"organization": "an organization", "location": "a location", "service": "a service"}

# Text of the rows attached to one organisation, location or service (phones, schedules,
# attributes…). Real records attach a few kB; past this, further rows are skipped, so one
# record (and one chunk of records) can never need more than a bounded amount of memory.
MAX_ATTACHED_BYTES = 1024 * 1024
_FILTER_BYTES = 1 << 23  # 8 MB: 67 million bits, about 3 % false "maybe" at 2 million ids
_FILTER_MASK = (_FILTER_BYTES << 3) - 1


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
        self._indexed = False
        # Bytes of accepted rows attached to each record; ("access", location) counts the
        # accessibility rows apart, since services fold in their location's.
        package.db.execute(
            "CREATE TABLE IF NOT EXISTS attached (okind TEXT, okey TEXT, bytes INTEGER, "
            "PRIMARY KEY (okind, okey)) WITHOUT ROWID"
        )

    def run(self) -> None:
        for table in CHECK_ORDER:
            self._check_table(table)
        for table in IGNORED_TABLES:
            count = self.package.table(table).count
            if count:
                self.findings.notes.append(
                    f"{self.package.table(table).path}: {count} row(s) not imported "
                    "(package metadata is not kept in the directory)."
                )
        for name in self.package.ignored_resources:
            self.findings.notes.append(f"Resource '{name}' is not an HSDS table; not imported.")

    def _issue(self, table: str, number: int, rid: str, message: str) -> Issue:
        return Issue(table, self.package.table(table).path, number, rid, message)

    def reject(self, table: str, number: int, rid: str, message: str) -> None:
        self.findings.add_rejected(self._issue(table, number, rid, message))

    def warn(self, table: str, number: int, rid: str, message: str) -> None:
        self.findings.add_warning(self._issue(table, number, rid, message))

    def _lookups(
        self, table: str, columns: list[str], batch: list[Any], links: Sequence[tuple[str, str]]
    ) -> LinkBatch:
        where: dict[str, set[str]] = {}
        index = {c: i for i, c in enumerate(columns)}
        for column, target in links:
            at = index[column]
            where.setdefault(target, set()).update(
                cells[at] for _num, fault, _rid, cells in batch if not fault and cells[at]
            )
        if table == "attribute" and "link_entity" in index and "link_id" in index:
            entity_at, link_at = index["link_entity"], index["link_id"]
            for _num, fault, _rid, cells in batch:
                entity = "" if fault else cells[entity_at].strip().lower()
                if entity in ATTRIBUTE_ENTITIES:
                    where.setdefault(entity, set()).add(cells[link_at].strip().lower())
        found = {t: lookup(self.package, t, v) for t, v in where.items()}
        return LinkBatch(self.package, found, where)

    def _index_ids(self, table: str) -> None:
        self.package.db.execute(f"CREATE INDEX d_{table}_id ON d_{table} (id, st, okind, okey)")

    def _earlier(self, table: str, ids: set[str]) -> dict[str, int]:
        """Ids of this batch already used by an earlier row with a valid id (its number)."""
        if not self._indexed:
            self._index_ids(table)
            self._indexed = True
        out: dict[str, int] = {}
        wanted = list(ids)
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            part = wanted[start : start + LOOKUP_CHUNK]
            sql = (
                f"SELECT id, min(num) FROM d_{table} WHERE id IN ({','.join('?' * len(part))})"
                " AND st IN (1, 2) GROUP BY id"
            )
            out.update(self.package.db.execute(sql, part))
        return out

    def _check_table(self, table: str) -> None:
        raw = self.package.table(table)
        if not raw.count:
            return
        schema = TABLES[table]
        columns = raw.columns
        present = set(columns)
        required = [f.name for f in schema.fields if f.required and f.name != "id"]
        enums = {f.name: f.enum for f in schema.fields if (table, f.name) in ENUM_CHECKED}
        links = [
            (c, t) for c, t in schema.links if c not in SELF_LINKS.get(table, ()) and c in present
        ]
        owners = OWNER_LINKS.get(table, ())
        db = self.package.db
        db.execute(
            f"CREATE TABLE d_{table} (num INTEGER PRIMARY KEY, id TEXT, st INTEGER, "
            "okind TEXT, okey TEXT, used INTEGER, bytes INTEGER)"
        )
        # Lookups by id (covering: they read the index only) are for tables rows point to:
        # indexed once the table is decided (a bulk build, cheaper than row by row), or
        # earlier if a repeated id needs looking up (`_earlier`).
        self._indexed = False
        # Ids seen in this table so far, as bits of a fixed-size filter: a clear bit proves an
        # id new without a query (only the rare possible repeats are asked of the database).
        filter_bits = bytearray(_FILTER_BYTES)
        update_cells = f"UPDATE r_{table} SET cells = ? WHERE num = ?"
        for batch in self.package.batches(table):
            lookups = self._lookups(table, columns, batch, links)
            maybe = set()
            for _n, fault, rid, _c in batch:
                if not fault and rid:
                    h = hash(rid) & _FILTER_MASK
                    if filter_bits[h >> 3] & (1 << (h & 7)):
                        maybe.add(rid)
                    else:
                        filter_bits[h >> 3] |= 1 << (h & 7)
            earlier = self._earlier(table, maybe) if maybe else {}
            seen: dict[str, int] = {}
            decided: list[tuple[int, str, int, str | None, str | None, int]] = []
            changed: list[tuple[Any, ...]] = []
            for number, fault, rid, values in batch:
                if fault:
                    self.reject(table, number, "", f"row {fault}")
                    continue
                if not rid:
                    self.reject(table, number, "", "id is missing")
                    continue
                if not UUID_RE.fullmatch(rid):
                    self.reject(table, number, "", "id is not a valid UUID")
                    decided.append((number, rid, REJECTED_NOT_UUID, None, None, 0))  # say why
                    continue
                first = earlier.get(rid) or seen.get(rid)
                if first:
                    self.reject(table, number, "", f"repeats the id of row {first}")
                    continue
                seen[rid] = number
                cells = dict(zip(columns, values))  # noqa: B905 - same length by construction
                cells["id"] = rid
                row = Row(table, number, rid, cells)
                problem = self._problem(row, required, enums, links, owners, lookups)
                if problem:
                    self.reject(table, number, rid, problem)
                    decided.append((number, rid, REJECTED, None, None, 0))
                    continue
                owner = row.owner or (None, None)
                size = sum(map(len, values)) if owner[0] is not None else 0
                decided.append((number, rid, ACCEPTED, owner[0], owner[1], size))
                final = tuple(cells.values())
                if final != values:
                    changed.append((pack(final), number))
            db.executemany(f"INSERT INTO d_{table} VALUES (?, ?, ?, ?, ?, NULL, ?)", decided)
            if changed:
                db.executemany(update_cells, changed)
        if table in LOOKED_UP and not self._indexed:
            self._index_ids(table)
        for column in SELF_LINKS.get(table, ()):
            if column in present:
                self._self_links(table, columns.index(column), column)
        if table in OWNER_LINKS or table == "attribute":
            self._cap_attached(table)

    def _cap_attached(self, table: str) -> None:
        """Skip this table's rows past `MAX_ATTACHED_BYTES` of text attached to one record
        (counting what earlier tables attached), then add the rest to the running totals."""
        db = self.package.db
        db.execute(
            f"CREATE INDEX d_{table}_owner ON d_{table} (okind, okey, num, bytes) WHERE st = 1"
        )
        # Owners that may be over: this table's rows alone bring them within reach of the
        # limit given the most any record has attached so far (index-only), then exactly.
        most = db.execute("SELECT coalesce(max(bytes), 0) FROM attached").fetchone()[0]
        over = []
        for kind, key, size in db.execute(
            f"SELECT okind, okey, sum(bytes) AS s FROM d_{table} WHERE st = 1 "
            "AND okind IS NOT NULL GROUP BY okind, okey HAVING s > ?",
            (MAX_ATTACHED_BYTES - most,),
        ).fetchall():
            hit = db.execute(
                "SELECT bytes FROM attached WHERE okind = ? AND okey = ?", (kind, key)
            ).fetchone()
            before = hit[0] if hit else 0
            if before + size > MAX_ATTACHED_BYTES:
                over.append((kind, key, before))
        limit = MAX_ATTACHED_BYTES // 1024
        skipped: list[tuple[int, str, str]] = []
        for kind, key, running in over:  # rare: records with far more attached than usual
            for number, rid, size in db.execute(
                f"SELECT num, id, bytes FROM d_{table} WHERE st = 1 AND okind = ? AND okey = ? "
                "ORDER BY num",
                (kind, key),
            ).fetchall():
                running += size
                if running > MAX_ATTACHED_BYTES:
                    skipped.append((number, rid, kind))
        for number, rid, kind in sorted(skipped):
            self.reject(
                table,
                number,
                rid,
                f"more than {limit} kB of rows are attached to "
                f"{article(kind)}; the rest are skipped",
            )
        db.executemany(
            f"UPDATE d_{table} SET st = {REJECTED}, okind = NULL, okey = NULL WHERE num = ?",
            [(number,) for number, _rid, _kind in skipped],
        )
        kinds = ["d.okind"] if table != "accessibility" else ["d.okind", "'access'"]
        for kind in kinds:
            db.execute(
                f"""INSERT INTO attached (okind, okey, bytes)
                    SELECT {kind}, d.okey, sum(d.bytes) FROM d_{table} d
                    WHERE d.st = 1 AND d.okind IS NOT NULL GROUP BY d.okind, d.okey
                    ON CONFLICT (okind, okey) DO UPDATE SET bytes = bytes + excluded.bytes"""
            )

    def _problem(
        self,
        row: Row,
        required: Sequence[str],
        enums: dict[str, tuple[str, ...]],
        links: Sequence[tuple[str, str]],
        owners: Sequence[tuple[str, str]],
        lookups: LinkBatch,
    ) -> str:
        """Why the row is rejected ("" when it is accepted; then `row.owner` is set)."""
        cells = row.cells
        missing = [c for c in required if not cells.get(c, "").strip()]
        if missing:
            return "missing required value: " + ", ".join(missing)
        bad_enum = self._check_enums(cells, enums) if enums else ""
        if bad_enum:
            return bad_enum
        if links:
            problem = self._check_links(row, links, owners, lookups)
            if problem:
                return problem
        if row.table == "attribute":
            return self._attribute_owner(row, lookups)
        if owners:
            return self._owner(row, owners, lookups)
        return ""

    def _self_links(self, table: str, at: int, column: str) -> None:
        """Links HSDS leaves out of its foreign keys: kept when they resolve, else dropped."""
        db = self.package.db
        for batch in self.package.batches(table, accepted=True):
            found = lookup(self.package, table, (c[at].strip().lower() for _n, _f, _r, c in batch))
            updates = []
            for number, _fault, rid, cells in batch:
                value = cells[at].strip().lower()
                hit = found.get(value)
                if value and (hit is None or hit[0] != ACCEPTED):
                    value = ""
                    self.warn(table, number, rid, _dropped(column, table, hit is not None))
                if value != cells[at]:
                    updates.append((pack((*cells[:at], value, *cells[at + 1 :])), number))
            if updates:
                db.executemany(f"UPDATE r_{table} SET cells = ? WHERE num = ?", updates)

    @staticmethod
    def _check_enums(cells: dict[str, str], enums: dict[str, tuple[str, ...]]) -> str:
        for name, allowed in enums.items():
            value = cells.get(name, "").strip().casefold()
            if value not in allowed:
                return f"{name} must be one of: {', '.join(allowed)}"
            if name in cells:
                cells[name] = value
        return ""

    def _check_links(
        self,
        row: Row,
        links: Sequence[tuple[str, str]],
        owners: Sequence[tuple[str, str]],
        lookups: LinkBatch,
    ) -> str:
        cells = row.cells
        found = lookups.found
        for column, target in links:
            value = cells.get(column, "")
            if not value:
                continue
            hit = found[target].get(value)
            if hit is not None and hit[0] == ACCEPTED:
                continue  # the common case: the exact id of an accepted row
            if value != value.strip().lower():
                value = cells[column] = value.strip().lower()
                if not value:
                    continue
            state = lookups.state(target, value)
            if state == "ok":
                continue
            owner_column = next((c for c, _ in owners if cells.get(c, "").strip()), None)
            spec = TABLES[row.table].field(column)
            if (spec is not None and spec.required) or (
                state == "rejected" and column == owner_column
            ):
                if state == "rejected":
                    return _depends(target, value)
                return f"{column} points to {article(target)} that is not in the package"
            cells[column] = ""
            self.warn(row.table, row.number, row.id, _dropped(column, target, state == "rejected"))
        return ""

    @staticmethod
    def _owner(row: Row, owners: Sequence[tuple[str, str]], lookups: LinkBatch) -> str:
        for column, target in owners:
            value = row.cells.get(column, "")
            if not value:
                continue
            row.owner = (target, value) if target in RECORD_TABLES else lookups.owner(target, value)
            return ""
        if row.table == "service_area":
            return "is not linked to a service in the package"
        return "is not linked to any service, organization or location in the package"

    @staticmethod
    def _attribute_owner(row: Row, lookups: LinkBatch) -> str:
        entity = row.cells.get("link_entity", "").strip().lower()
        if entity not in ATTRIBUTE_ENTITIES:
            return "link_entity must be one of: " + ", ".join(ATTRIBUTE_ENTITIES)
        row.cells["link_entity"] = entity
        link = row.cells.get("link_id", "").strip().lower()
        row.cells["link_id"] = link
        state = lookups.state(entity, link)
        if state == "rejected":
            return _depends(entity, link)
        if state == "dangling":
            return f"link_id points to {article(entity)} that is not in the package"
        sal = entity == "service_at_location"
        row.owner = lookups.owner(entity, link) if sal else (entity, link)
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
