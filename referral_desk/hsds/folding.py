"""Fold checked rows into records: what the package says about each organisation, location
and service, in our fields (`mapping`), with what we do not model kept for the next export.

Records are folded a chunk at a time (`Folder.records`): the rows a chunk's records own —
phones, contacts, schedules, attributes… — are read from the package's scratch database for
that chunk only, so memory holds one chunk, never the package. Taxonomy terms are read as
attributes name them, through a small cache.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from referral_desk.hsds import mapping as m
from referral_desk.hsds.checks import Checker, Row, article
from referral_desk.hsds.links import CHECK_ORDER, RECORD_TABLES, Key
from referral_desk.hsds.package import SEP, unpack
from referral_desk.hsds.taxonomy import (
    CategoryMatcher,
    LocalTerm,
    decode_values,
    local_term_for,
)


@dataclass
class Record:
    """What the package says about one organisation, location or service."""

    key: str
    row: Row
    fields: dict[str, Any]
    hsds: dict[str, Any]  # the hsds_* parts of `extra`
    local: dict[str, Any] = field(default_factory=dict)  # our attributes that were present
    links: dict[str, str | None] = field(default_factory=dict)  # HSDS ids of linked records
    categories: set[str] | None = None
    assurer: str = ""


# Tables whose rows belong to an organisation, location or service (`links.OWNER_LINKS`).
CHILD_TABLES = tuple(
    t
    for t in CHECK_ORDER
    if t not in RECORD_TABLES and t not in ("taxonomy", "taxonomy_term", "attribute")
)
RECORD_CHUNK = 500  # records folded (and planned) at a time, at most…
CHUNK_BYTES = 8 * 1024 * 1024  # …and at most this much text with what is attached to them
_IN_CHUNK = 2000
_CACHE = 4096  # taxonomy rows and term chains remembered


class Folder:
    """Turns accepted rows into `Record`s with our field values, a chunk of records at a time."""

    def __init__(self, checker: Checker, matcher: CategoryMatcher) -> None:
        self.c = checker
        self.package = checker.package
        self.matcher = matcher
        self._rows: dict[str, dict[str, dict[str, str] | None]] = {
            "taxonomy": {},
            "taxonomy_term": {},
        }
        self._chains: dict[str, tuple[list[m.Row], list[m.Row]]] = {}
        self._used: dict[str, set[str]] = {"taxonomy": set(), "taxonomy_term": set()}
        self._access: bool | None = None
        self._reset()

    def _reset(self) -> None:
        self.children: dict[Key, dict[str, list[m.Row]]] = defaultdict(lambda: defaultdict(list))
        self.attributes: dict[Key, list[m.Row]] = defaultdict(list)
        self.locals: dict[Key, dict[LocalTerm, list[tuple[Row, str]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.areas: dict[str, list[Row]] = defaultdict(list)

    # --- reading a chunk ---------------------------------------------------------------------

    def records(self, kind: str, size: int = RECORD_CHUNK) -> Iterator[list[Record]]:
        """The accepted records of `kind` (an HSDS record table), folded, `size` at a time."""
        fold: Callable[[Row], Record] = {
            m.ORGANIZATION: self.organisation,
            m.LOCATION: self.location,
            m.SERVICE: self.service,
        }[kind]
        package = self.package
        for batch in package.batches(kind, accepted=True, size=size):
            for part in self._by_weight(kind, batch):
                rows = [
                    Row(kind, num, rid, package.cells_of(kind, cells))
                    for num, _fault, rid, cells in part
                ]
                keys = [row.id for row in rows]
                self._reset()
                self._load_children(kind, keys)
                self._load_attributes(kind, keys)
                if kind == m.SERVICE:
                    locations = {
                        r.get("location_id", "")
                        for rows_by_table in self.children.values()
                        for r in rows_by_table.get("service_at_location", [])[:1]
                    }
                    self._load_children(m.LOCATION, sorted(locations - {""}), ("accessibility",))
                yield [fold(row) for row in rows]
                self._mark_used()
        self._reset()

    def _by_weight(self, kind: str, batch: list[Any]) -> Iterator[list[Any]]:
        """Cut a batch of records where their text, with what is attached, passes CHUNK_BYTES."""
        keys = [rid for _num, _fault, rid, _cells in batch]
        weight = self._attached(kind, keys)
        if kind == m.SERVICE and self._has_accessibility():  # services fold in their
            # location's accessibility rows: count them too
            locations = self._service_locations(keys)
            access = self._attached("access", sorted(set(locations.values())))
            for key, location in locations.items():
                weight[key] = weight.get(key, 0) + access.get(location, 0)
        part: list[Any] = []
        total = 0
        for row in batch:
            size = sum(map(len, row[3])) + weight.get(row[2], 0)
            if part and total + size > CHUNK_BYTES:
                yield part
                part, total = [], 0
            part.append(row)
            total += size
        if part:
            yield part

    def _has_accessibility(self) -> bool:
        if self._access is None:
            self._access = bool(
                self.package.db.execute(
                    "SELECT 1 FROM attached WHERE okind = 'access' LIMIT 1"
                ).fetchone()
            )
        return self._access

    def _attached(self, kind: str, keys: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for start in range(0, len(keys), _IN_CHUNK):
            part = keys[start : start + _IN_CHUNK]
            sql = (
                f"SELECT okey, bytes FROM attached WHERE okind = ? "
                f"AND okey IN ({','.join('?' * len(part))})"
            )
            out.update(self.package.db.execute(sql, (kind, *part)))
        return out

    def _service_locations(self, keys: list[str]) -> dict[str, str]:
        """Each service's location: its first service_at_location row (as `mapping` folds)."""
        table = self.package.table("service_at_location")
        if not table.count or "location_id" not in table.columns:
            return {}
        found: dict[str, str] = {}
        for row, owner in self._owned("service_at_location", m.SERVICE, keys):
            found.setdefault(owner[1], row.cells["location_id"])
        return {k: v for k, v in found.items() if v}

    def _owned(self, table: str, kind: str, keys: list[str]) -> Iterator[tuple[Row, Key]]:
        for num, rid, okey, cells in self._owned_cells(table, kind, keys):
            yield Row(table, num, rid, cells, (kind, okey)), (kind, okey)

    def _owned_cells(
        self, table: str, kind: str, keys: list[str]
    ) -> Iterator[tuple[int, str, str, dict[str, str]]]:
        """Accepted rows of `table` owned by these records of `kind`, in file order."""
        package = self.package
        if not package.has_rows(table):
            return
        columns = package.table(table).columns
        for start in range(0, len(keys), _IN_CHUNK):
            part = keys[start : start + _IN_CHUNK]
            sql = (
                f"SELECT d.num, d.id, d.okey, r.cells FROM d_{table} d "
                f"CROSS JOIN r_{table} r ON r.num = d.num WHERE d.st = 1 AND d.okind = ? "
                f"AND d.okey IN ({','.join('?' * len(part))}) ORDER BY d.num"
            )
            for num, rid, okey, packed in package.db.execute(sql, (kind, *part)):
                yield num, rid, okey, dict(zip(columns, packed.split(SEP)))  # noqa: B905

    def _load_children(
        self, kind: str, keys: list[str], tables: tuple[str, ...] = CHILD_TABLES
    ) -> None:
        for table in tables:
            if table == "service_area":
                for row, owner in self._owned(table, kind, keys):
                    self.areas[owner[1]].append(row)
                continue
            canonical = m.canonical
            for _num, _rid, okey, cells in self._owned_cells(table, kind, keys):
                self.children[(kind, okey)][table].append(canonical(table, cells))

    def _load_attributes(self, kind: str, keys: list[str]) -> None:
        for row, owner in self._owned("attribute", kind, keys):
            term = self._row("taxonomy_term", row.cells["taxonomy_term_id"])
            if term is None:  # pragma: no cover - the checks accepted the link
                continue
            local = local_term_for(term)
            if local is not None:
                if local.entity == owner[0]:
                    self.locals[owner][local].append((row, row.cells.get("value", "")))
                else:
                    self.c.warn(
                        "attribute",
                        row.number,
                        row.id,
                        f"term {local.code} does not apply to {article(owner[0])}; ignored",
                    )
                continue
            stored = m.canonical("attribute", row.cells)
            stored[m.TERM_KEY], stored[m.TAXONOMY_KEY] = self._term_chain(term)  # type: ignore[assignment]
            self.attributes[owner].append(stored)

    def _row(self, table: str, rid: str) -> dict[str, str] | None:
        """An accepted taxonomy or term row by id (cached; the package may hold many)."""
        cache = self._rows[table]
        if rid in cache:
            return cache[rid]
        found = None
        package = self.package
        if rid and package.has_rows(table):
            hit = package.db.execute(
                f"SELECT r.cells FROM d_{table} d CROSS JOIN r_{table} r ON r.num = d.num "
                "WHERE d.id = ? AND d.st = 1",
                (rid,),
            ).fetchone()
            found = package.cells_of(table, unpack(hit[0])) if hit is not None else None
        if len(cache) >= _CACHE:
            cache.clear()
        cache[rid] = found
        return found

    def _mark_used(self) -> None:
        """Remember in the scratch database which taxonomy rows a record used (for the notes)."""
        for table, ids in self._used.items():
            if ids:
                self.package.db.executemany(
                    f"UPDATE d_{table} SET used = 1 WHERE id = ? AND st = 1",
                    [(i,) for i in ids],
                )
                ids.clear()

    def unused(self, table: str) -> Iterator[dict[str, str]]:
        """Accepted taxonomy / term rows no imported record uses."""
        self._mark_used()
        for batch in self.package.batches(table, accepted=True, where="d.used IS NULL"):
            for _num, _fault, _rid, cells in batch:
                yield self.package.cells_of(table, cells)

    def _term_chain(self, term: dict[str, str]) -> tuple[list[m.Row], list[m.Row]]:
        """The term, its ancestors and their taxonomies (computed once per term)."""
        found = self._chains.get(term["id"])
        if found is None:
            if len(self._chains) >= _CACHE:
                self._chains.clear()
            found = self._chains[term["id"]] = self._build_chain(term)
        for row in found[0]:
            self._used["taxonomy_term"].add(row["id"])
        for row in found[1]:
            self._used["taxonomy"].add(row["id"])
        return found

    def _build_chain(self, term: dict[str, str]) -> tuple[list[m.Row], list[m.Row]]:
        terms: list[m.Row] = []
        taxonomies: list[m.Row] = []
        seen: set[str] = set()
        current: dict[str, str] | None = term
        while current is not None and current["id"] not in seen:
            seen.add(current["id"])
            terms.append(m.canonical("taxonomy_term", current))
            taxonomy = self._row("taxonomy", current.get("taxonomy_id", ""))
            if taxonomy is not None and taxonomy["id"] not in {t["id"] for t in taxonomies}:
                taxonomies.append(m.canonical("taxonomy", taxonomy))
            current = self._row("taxonomy_term", current.get("parent_id", ""))
        return terms, taxonomies

    def _local_values(self, key: Key) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for term, items in self.locals.get(key, {}).items():
            try:
                values[term.field] = decode_values(term, [v for _, v in items])
            except ValueError as err:
                row = items[-1][0]
                self.c.warn(
                    "attribute", row.number, row.id, f"value of term {term.code} is {err}; ignored"
                )
        return values

    def _fold(self, kind: str, key: str) -> tuple[dict[str, Any], dict[str, list[m.Row]]]:
        rows = self.children.get((kind, key), {})
        return m.fold_children(kind, key, rows)

    def organisation(self, row: Row) -> Record:
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
        return Record(row.id, row, fields, hsds, local)

    def location(self, row: Row) -> Record:
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
        return Record(row.id, row, fields, hsds, links=links)

    def service(self, row: Row) -> Record:
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
                self.c.warn(
                    "service", row.number, row.id, f"{column} is not a whole number; ignored"
                )
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
        ours = m.derived_service_columns({**m.LOCAL_DEFAULTS, **fields, **local})
        hsds = {
            m.EXTRA_COLUMNS: m.leftover(cells, m.SERVICE_MAPPED, ours),
            m.EXTRA_ROWS: kept,
            m.EXTRA_AREAS: area_columns,
        }
        links = {"organisation": cells["organization_id"], "location": location}
        record = Record(row.id, row, fields, hsds, local, links, categories or None, assurer)
        return record
