"""Fold checked rows into records: what the package says about each organisation, location
and service, in our fields (`mapping`), with what we do not model kept for the next export.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from referral_desk.store.hsds import mapping as m
from referral_desk.store.hsds.checks import CHECK_ORDER, RECORD_TABLES, Checker, Key, Row, article
from referral_desk.store.hsds.taxonomy import (
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


class Folder:
    """Turns accepted rows into `Record`s with our field values."""

    def __init__(self, checker: Checker, matcher: CategoryMatcher) -> None:
        self.c = checker
        self.matcher = matcher
        self.children: dict[Key, dict[str, list[m.Row]]] = defaultdict(lambda: defaultdict(list))
        self.attributes: dict[Key, list[m.Row]] = defaultdict(list)
        self.locals: dict[Key, dict[LocalTerm, list[tuple[Row, str]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.areas: dict[str, list[Row]] = defaultdict(list)
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
                                f"term {local.code} does not apply to {article(row.owner[0])}; "
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
        record = Record(row.id, row, fields, hsds, local, links, categories or None, assurer)
        return record
