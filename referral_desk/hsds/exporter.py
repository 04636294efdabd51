"""Write the directory as an HSDS 3.0 tabular data package (a folder or a .zip).

The package is valid HSDS: every table of the standard with its standard columns (plus any
extra columns kept from imported packages, declared in `datapackage.json`), required values
filled (`cells.FILLER` where we have none), and every link pointing at a row that is in the
package — a final pass drops links (or, for required links, rows) whose target is not there.
Our offender-specific fields travel as attribute rows under the published local taxonomy
(`taxonomy.py`), need categories under a second one.

Output is deterministic: records in HSDS-id order, generated rows with UUIDv5 ids, fixed zip
timestamps. Exporting, importing into an empty directory and exporting again gives the same
bytes, which is what the round-trip tests check.

Values are written exactly as stored. HSDS is a data interchange format read by other
directories' systems, not a spreadsheet: a phone number `+44 113 496 0000` or a description
`- Drop-in` must reach them as it is. (Spreadsheet-safety escaping belongs to the files meant
to be opened in a spreadsheet, the reports' CSV and XLSX: `reports.export`.) Versions of
Referral Desk before this one did prefix such cells with an apostrophe; the descriptor now says
`"referral_desk": {"cells": "verbatim"}` (`VERBATIM_MARK`), and the reader removes the
apostrophe only from packages of ours that lack the mark (`package_reader.legacy_escaped`).

Safety on the way out: a service with a confidential address (a refuge) is exported without
its location, and a location used only by such services is not exported at all: the directory
publishes a contact for them, never an address.

The package is written under a temporary name and renamed into place (`write_package`), so a
reader never sees half a package.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from referral_desk import files as files_out
from referral_desk.domain.errors import DomainError
from referral_desk.hsds import gc_paused
from referral_desk.hsds import mapping as m
from referral_desk.hsds.links import CHECK_ORDER, SELF_LINKS
from referral_desk.hsds.package import DESCRIPTOR, OUR_PACKAGE_NAME, VERBATIM_MARK
from referral_desk.hsds.schema import HSDS_VERSION, TABLES
from referral_desk.hsds.taxonomy import (
    LOCAL_FIELDS,
    LOCAL_TAXONOMY,
    LOCAL_TERMS,
    NEED_TAXONOMY,
    CategoryMatcher,
    need_term_row,
)
from referral_desk.store import directory_rows as rows_of
from referral_desk.store.directory_rows import (
    LOCATION,
    ORGANISATION,
    SERVICE,
    SERVICE_AREA,
    Session,
)

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
# Every table is written, in this order, even when empty: consumers find what they expect.
WRITE_ORDER = tuple(TABLES)


class ExportError(DomainError):
    """The package could not be written (nothing is left half-written)."""


def _key(row: Any) -> str:
    return str(row.hsds_id or row.id)


class _Builder:
    """Collects the rows of every table from the directory's records."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tables: dict[str, list[m.Row]] = {t: [] for t in TABLES}
        self.foreign_terms: dict[str, m.Row] = {}
        self.foreign_taxonomies: dict[str, m.Row] = {}
        self._own_ids: set[str] = set()
        categories = rows_of.need_categories(session)
        self.category_labels = {code: label for code, label in categories}
        self.matcher = CategoryMatcher([(c, lbl) for c, lbl in categories])

    def build(self) -> dict[str, list[m.Row]]:
        orgs = sorted(rows_of.live_rows(self.session, ORGANISATION), key=_key)
        locations = sorted(rows_of.live_rows(self.session, LOCATION), key=_key)
        services = sorted(rows_of.live_rows(self.session, SERVICE), key=_key)
        org_keys = {o.id: _key(o) for o in orgs}
        users: dict[str, list[bool]] = defaultdict(list)
        for svc in services:
            if svc.location_id:
                users[svc.location_id].append(bool(svc.confidential_address))
        # A location is withheld when every service that uses it keeps its address private.
        withheld = {loc for loc, flags in users.items() if flags and all(flags)}
        exported = [loc for loc in locations if loc.id not in withheld]
        loc_keys = {loc.id: _key(loc) for loc in exported}
        access = {
            loc.id: m.accessibility_text(self._kept(loc).get("accessibility", []))
            for loc in exported
        }
        self._taxonomies()
        for org in orgs:
            self._organisation(org)
        for loc in exported:
            self._location(loc, org_keys)
        categories = rows_of.live_categories(self.session)
        areas = self._areas()
        for svc in services:
            self._service(svc, org_keys, loc_keys, access, categories, areas)
        for table, found in (
            ("taxonomy", self.foreign_taxonomies),
            ("taxonomy_term", self.foreign_terms),
        ):
            self.tables[table] += [found[k] for k in sorted(found) if k not in self._own_ids]
        _drop_broken_links(self.tables)
        return self.tables

    # --- reads ---------------------------------------------------------------------------

    def _areas(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = defaultdict(list)
        for area in rows_of.live_rows(self.session, SERVICE_AREA):
            out[area.service_id].append(area)
        return out

    @staticmethod
    def _kept(record: Any) -> dict[str, list[m.Row]]:
        extra = record.extra if isinstance(record.extra, dict) else {}
        rows = extra.get(m.EXTRA_ROWS)
        return dict(rows) if isinstance(rows, dict) else {}

    @staticmethod
    def _columns(record: Any, key: str = m.EXTRA_COLUMNS) -> dict[str, Any]:
        extra = record.extra if isinstance(record.extra, dict) else {}
        value = extra.get(key)
        return dict(value) if isinstance(value, dict) else {}

    # --- records -------------------------------------------------------------------------

    def _taxonomies(self) -> None:
        self.tables["taxonomy"] += [LOCAL_TAXONOMY.row(), NEED_TAXONOMY.row()]
        self.tables["taxonomy_term"] += [t.row() for t in LOCAL_TERMS]
        self.tables["taxonomy_term"] += [
            need_term_row(code, label) for code, label in self.category_labels.items()
        ]
        self._own_ids = {r["id"] for t in ("taxonomy", "taxonomy_term") for r in self.tables[t]}

    def _add(self, children: dict[str, list[m.Row]]) -> None:
        for table, rows in children.items():
            self.tables[table].extend(rows)

    def _attributes(self, rows: Iterable[m.Row]) -> None:
        for row in rows:
            for term in row.get(m.TERM_KEY, []):  # type: ignore[union-attr]
                self.foreign_terms.setdefault(term["id"], dict(term))  # type: ignore[index]
            for taxonomy in row.get(m.TAXONOMY_KEY, []):  # type: ignore[union-attr]
                self.foreign_taxonomies.setdefault(taxonomy["id"], dict(taxonomy))  # type: ignore[index]
            self.tables["attribute"].append(m.strip_term_keys(row))

    def _organisation(self, org: Any) -> None:
        key = _key(org)
        fields = dict(org._mapping)
        self.tables["organization"].append(m.organisation_row(key, fields, self._columns(org)))
        kept = self._kept(org)
        stored_attributes = kept.pop("attribute", [])
        self._add(m.unfold_children(m.ORGANIZATION, key, fields, kept))
        local = {f: fields[f] for f in LOCAL_FIELDS[m.ORGANIZATION]}
        self.tables["attribute"] += m.local_attribute_rows(m.ORGANIZATION, key, local)
        self._attributes(stored_attributes)

    def _location(self, loc: Any, org_keys: dict[str, str]) -> None:
        key = _key(loc)
        fields = dict(loc._mapping)
        org_key = org_keys.get(loc.organisation_id or "", "")
        self.tables["location"].append(m.location_row(key, org_key, fields, self._columns(loc)))
        kept = self._kept(loc)
        stored_attributes = kept.pop("attribute", [])
        self._add(m.unfold_children(m.LOCATION, key, fields, kept))
        self._attributes(stored_attributes)

    def _service(
        self,
        svc: Any,
        org_keys: dict[str, str],
        loc_keys: dict[str, str],
        access: dict[str, str],
        categories: dict[str, set[str]],
        areas: dict[str, list[Any]],
    ) -> None:
        key = _key(svc)
        fields = dict(svc._mapping)
        location = None if svc.confidential_address else svc.location_id
        fields["location"] = loc_keys.get(location or "")
        org_key = org_keys.get(svc.organisation_id, "")
        self.tables["service"].append(m.service_row(key, org_key, fields, self._columns(svc)))
        kept = self._kept(svc)
        stored_attributes = kept.pop("attribute", [])
        self._add(m.unfold_children(m.SERVICE, key, fields, kept))
        # Need categories: the kept rows while they still name the same categories.
        codes = categories.get(svc.id, set())
        if stored_attributes and m.attribute_categories(stored_attributes, self.matcher) == codes:
            self._attributes(stored_attributes)
        else:
            self.tables["attribute"] += m.category_rows(key, codes)
            for code in sorted(codes - set(self.category_labels)):
                self.category_labels[code] = code
                self.tables["taxonomy_term"].append(need_term_row(code, code))
            self._attributes(
                r for r in stored_attributes if not m.attribute_categories([r], self.matcher)
            )
        local = {f: fields[f] for f in LOCAL_FIELDS[m.SERVICE]}
        always: set[str] = set()
        assurer = fields["assurer"] or ""
        if assurer and not m.looks_like_email(assurer):
            local["assurer"] = assurer
        location_access = access.get(location or "", "") if fields["location"] else ""
        if (fields["accessibility"] or "") != location_access:
            local["accessibility"] = fields["accessibility"] or ""
            always.add("accessibility")
        self.tables["attribute"] += m.local_attribute_rows(
            m.SERVICE, key, local, always=frozenset(always)
        )
        area_columns = self._columns(svc, m.EXTRA_AREAS)
        for area in sorted(areas.get(svc.id, []), key=_key):
            area_key = _key(area)
            columns = area_columns.get(area_key, {})
            self.tables["service_area"].append(m.area_row(area_key, key, area.name, columns))


def _drop_broken_links(tables: dict[str, list[m.Row]]) -> None:
    """Blank optional links, and drop rows with required links, to rows not in the package."""
    ids: dict[str, set[str]] = {}
    order = [t for t in CHECK_ORDER if t in tables] + [t for t in tables if t not in CHECK_ORDER]
    for table in order:
        schema = TABLES[table]
        links = [*schema.links, *((c, table) for c in SELF_LINKS.get(table, ()))]
        kept: list[m.Row] = []
        seen: set[str] = set()
        self_ids = {r["id"] for r in tables[table]}
        for row in tables[table]:
            if row["id"] in seen:
                continue
            ok = True
            for column, target in links:
                value = row.get(column, "")
                spec = schema.field(column)
                required = spec is not None and spec.required
                if not value:
                    if required:  # e.g. a service whose organisation was deleted
                        ok = False
                        break
                    continue
                known = self_ids if target == table else ids.get(target, set())
                if value in known:
                    continue
                if required:
                    ok = False
                    break
                row = {**row, column: ""}
            if ok and table == "attribute":
                ok = row["link_id"] in ids.get(row["link_entity"], set())
            if ok:
                seen.add(row["id"])
                kept.append(row)
        tables[table] = kept
        ids[table] = seen


# --- writing -------------------------------------------------------------------------------


def _columns_of(table: str, rows: list[m.Row]) -> list[str]:
    standard = list(TABLES[table].columns)
    extra = sorted({k for row in rows for k in row if k not in standard})
    return standard + extra


def _csv_bytes(columns: list[str], rows: list[m.Row]) -> bytes:
    """The table as CSV, every value verbatim (the csv module quotes what needs quoting)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(str(row.get(c, "")) for c in columns)
    return buffer.getvalue().encode("utf-8")


def _field_schema(field: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": field.name, "type": field.type}
    if field.format:
        out["format"] = field.format
    if field.title:
        out["title"] = field.title
    constraints: dict[str, Any] = {"required": field.required, "unique": field.unique}
    if field.enum:
        constraints["enum"] = list(field.enum)
    out["constraints"] = constraints
    return out


def _descriptor(columns: dict[str, list[str]]) -> dict[str, Any]:
    resources = []
    for name in WRITE_ORDER:
        table = TABLES[name]
        fields = [_field_schema(f) for f in table.fields]
        fields += [
            {"name": c, "type": "string", "constraints": {"required": False, "unique": False}}
            for c in columns[name]
            if table.field(c) is None
        ]
        schema: dict[str, Any] = {"primaryKey": "id", "fields": fields}
        if table.links:
            schema["foreignKeys"] = [
                {"fields": c, "reference": {"resource": t, "fields": "id"}} for c, t in table.links
            ]
        resources.append(
            {
                "name": name,
                "path": table.path,
                "description": table.description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "profile": "tabular-data-resource",
                "schema": schema,
            }
        )
    return {
        "name": OUR_PACKAGE_NAME,
        "title": "Referral Desk provider directory",
        "description": "Voluntary and community sector services for people on probation, "
        "in Open Referral HSDS 3.0 form. Offender-specific fields are attributes under the "
        "'referral-desk' taxonomy.",
        "profile": "tabular-data-package",
        "version": HSDS_VERSION,
        "homepage": "http://docs.openreferral.org",
        "resources": resources,
        **VERBATIM_MARK,
    }


def package_files(session: Session) -> tuple[dict[str, bytes], dict[str, int]]:
    """Every file of the package (name -> bytes) and the row count of each table."""
    with gc_paused():
        return _package_files(session)


def _package_files(session: Session) -> tuple[dict[str, bytes], dict[str, int]]:
    tables = _Builder(session).build()
    columns = {name: _columns_of(name, tables[name]) for name in WRITE_ORDER}
    files = {TABLES[name].path: _csv_bytes(columns[name], tables[name]) for name in WRITE_ORDER}
    descriptor = json.dumps(_descriptor(columns), indent=2, ensure_ascii=False) + "\n"
    files = {DESCRIPTOR: descriptor.encode("utf-8"), **files}
    return files, {name: len(tables[name]) for name in WRITE_ORDER}


def package_names() -> frozenset[str]:
    """The names of every file a package of ours can hold."""
    return frozenset({DESCRIPTOR, *(TABLES[name].path for name in WRITE_ORDER)})


def is_previous_export(folder: Path) -> bool:
    """True for an empty folder, or one holding only the files of a package we write, with
    its descriptor: replacing it loses nothing. Any other file means the officer chose a folder
    that holds their own files, which an export must never delete."""
    known = package_names()
    found: set[str] = set()
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name not in known or not entry.is_file(follow_symlinks=False):
                return False
            found.add(entry.name)
    return not found or DESCRIPTOR in found


def write_zip(files: dict[str, bytes], handle: IO[bytes]) -> None:
    """The package as a zip into `handle` (a file being written, or memory): fixed member
    dates, so the same directory always gives the same bytes."""
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def package_zip(session: Session) -> bytes:
    """The live directory as a zipped package in memory (to sign it, say): directory data only,
    never personal data, so it never needs to touch the disk."""
    files, _counts = package_files(session)
    buffer = io.BytesIO()
    write_zip(files, buffer)
    return buffer.getvalue()


def write_package(files: dict[str, bytes], dest: Path) -> None:
    """A `.zip` file when `dest` ends in .zip, else a folder (created if needed).

    Either appears whole or not at all: the zip is streamed to a temporary file that is then
    renamed over `dest`; the folder is filled under a temporary name beside `dest` and moved
    into place, replacing a previous export (never a folder holding anything else). A failure
    half-way (a full disk) leaves no partial package that a later import would take for a
    directory with most services gone, and leaves a previous export as it was.
    """
    try:
        if dest.suffix.lower() == ".zip":
            if dest.is_dir():
                raise ExportError("The export path is a folder; give a new .zip file name.")
            dest.parent.mkdir(parents=True, exist_ok=True)
            with files_out.atomic_output(dest) as handle:
                write_zip(files, handle)
            return
        if dest.exists() and not dest.is_dir():
            raise ExportError("The export path is a file; give a folder or a .zip file name.")
        if dest.is_dir() and not is_previous_export(dest):
            raise ExportError(
                "The export folder already holds other files; choose an empty folder or a new "
                "folder name."
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        with files_out.atomic_folder(dest, replaceable=is_previous_export) as folder:
            for name, data in files.items():
                files_out.write_new_file(folder / name, data)
    except OSError as err:
        raise ExportError(
            f"The export could not be written there ({err.strerror or 'input/output error'}); "
            "nothing was changed."
        ) from None


def export_package(session: Session, dest: Path) -> dict[str, int]:
    """Write the live directory to `dest`; returns rows written per HSDS table."""
    files, counts = package_files(session)
    write_package(files, Path(dest))
    return counts
