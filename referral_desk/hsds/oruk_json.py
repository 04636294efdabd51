"""The HSDS 3.0 JSON form used by Open Referral UK feeds: a saved file of services.

An ORUK or HSDS API returns a service (`/services/{id}`: the service with its organization,
service_at_locations and their locations, phones, schedules, service areas, languages,
attributes and taxonomy terms nested inside) or a page of them (`{"contents": [...]}`, or
`content`/`items`/`services`/`data`), and an officer or keeper saves it to a file. This reads
such a file, offline (nothing here opens a network connection), and turns every nested object
into the 3.0 row it stands for (`staged.Staged`), so the 3.0 checks and importer decide it.
The older ORUK v1 names (`physical_addresses`, `regular_schedules`, `service_taxonomys`,
`eligibilitys`) are read too.

Bounds, as for every reader: a regular file only, at most `MAX_JSON_BYTES` (parsing holds the
whole document in memory: 24 MB is about 20 000 full services, and reading such a file peaked
at 245 MB, inside DESIGN.md §9's 300 MB; each service is let go once turned into rows),
nesting checked before parsing, UTF-8 only; control characters are cleaned like any CSV cell.
Objects and values that have no place in HSDS 3.0 are named in the preview's notes, never
dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from referral_desk.files import FileMissing, NotRegularFile, open_user_path
from referral_desk.hsds.cells import FILLER
from referral_desk.hsds.legacy import WEEKDAYS
from referral_desk.hsds.package import MB, Limits, Package, PackageError
from referral_desk.hsds.package_reader import json_depth
from referral_desk.hsds.package_source import shown
from referral_desk.hsds.schema import TABLES
from referral_desk.hsds.staged import ORIGINAL_ID, RECORDS, Staged

MAX_JSON_BYTES = 24 * MB
PAGE_KEYS = ("contents", "content", "items", "services", "data")
SOURCE = "services (JSON)"
# Nested lists of a service, a location or a contact, and the 3.0 table each holds.
CHILD_TABLES = {
    "phones": "phone",
    "schedules": "schedule",
    "regular_schedules": "schedule",
    "holiday_schedules": "schedule",
    "service_areas": "service_area",
    "languages": "language",
    "contacts": "contact",
    "funding": "funding",
    "fundings": "funding",
    "cost_options": "cost_option",
    "required_documents": "required_document",
    "addresses": "address",
    "physical_addresses": "address",
    "postal_addresses": "address",
    "accessibility": "accessibility",
    "accessibility_for_disabilities": "accessibility",
    "programs": "program",
}
LINK_COLUMNS = (
    "organization_id",
    "service_id",
    "location_id",
    "program_id",
    "contact_id",
    "service_at_location_id",
    "parent_organization_id",
)
# Keys of a service handled apart from the plain columns and CHILD_TABLES.
HANDLED = {
    "organization",
    "service_at_locations",
    "attributes",
    "service_taxonomys",
    "taxonomy_terms",
    "eligibilitys",
    "metadata",
    "program",
}


def read_json(path: Path, limits: Limits, publisher: str) -> Package:
    """Read a saved ORUK/HSDS JSON file of services into a new `Package` (3.0 rows)."""
    services = _services(_load(path, limits))
    package = Package()
    try:
        package.form = "HSDS 3.0 JSON (Open Referral UK API: services)"
        writer = _Writer(Staged(package, publisher), package.translation_notes)
        for index in range(len(services)):
            # Each service is let go once written: the parsed document shrinks as rows grow.
            service, services[index] = services[index], None
            if isinstance(service, dict):
                writer.service(service)
            else:
                package.translation_notes.append(
                    f"Item {index + 1} of the list is not a service object; not imported."
                )
        writer.note_ignored()
        writer.staged.finish(limits)
    except BaseException:
        package.close()
        raise
    return package


def _load(path: Path, limits: Limits) -> Any:
    limit = min(MAX_JSON_BYTES, limits.max_file_bytes)
    try:
        fh, _size, is_folder = open_user_path(path)
    except FileMissing as err:
        raise PackageError("The file was not found.") from err
    except NotRegularFile as err:
        raise PackageError(f"{shown(path.name)} is not a regular file ({err}).") from err
    except OSError as err:
        raise PackageError("The file cannot be read (check its permissions).") from err
    if is_folder or fh is None:
        raise PackageError("Give a .json file of services, or an HSDS package folder or .zip.")
    with fh:
        raw = fh.read(limit + 1)
    if len(raw) > limit:
        raise PackageError(f"{shown(path.name)} is larger than the limit of {limit // MB} MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise PackageError(f"{shown(path.name)} is not UTF-8 text.") from err
    del raw  # the bytes are not needed once decoded (memory: DESIGN.md §9)
    if json_depth(text) > limits.max_descriptor_depth:
        raise PackageError(
            f"{shown(path.name)} is nested more than {limits.max_descriptor_depth} levels deep; "
            "refused."
        )
    try:
        return json.loads(text)
    except RecursionError as err:
        raise PackageError(f"{shown(path.name)} is nested too deeply; refused.") from err
    except ValueError as err:
        raise PackageError(f"{shown(path.name)} cannot be read as JSON.") from err


def _services(document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in PAGE_KEYS:
            if isinstance(document.get(key), list):
                return list(document[key])
        if "name" in document or "id" in document:
            return [document]
    raise PackageError(
        "This JSON file holds no Open Referral services (expected a service, a list of "
        "services, or a page with 'contents')."
    )


def _scalars(obj: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, value in obj.items():
        if isinstance(key, str) and not isinstance(value, (dict, list)):
            yield key, value


def _objects(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


class _Writer:
    """Turns nested service objects into 3.0 rows; each record is written once."""

    def __init__(self, staged: Staged, notes: list[str]) -> None:
        self.staged = staged
        self.notes = notes
        self.seen: dict[str, set[str]] = {}
        self.ignored: dict[str, set[str]] = {}  # where -> keys with no place in HSDS 3.0

    def _ignore(self, where: str, key: str) -> None:
        self.ignored.setdefault(where, set()).add(key)

    def note_ignored(self) -> None:
        for where, keys in sorted(self.ignored.items()):
            names = ", ".join(shown(k) for k in sorted(keys)[:20])
            self.notes.append(f"{where}: field(s) not imported (no HSDS 3.0 column): {names}.")

    def _row(self, table: str, obj: dict[str, Any], fallback_key: str) -> dict[str, Any]:
        """A 3.0 row of `table` from an object's plain values; its id mapped (or derived)."""
        columns = TABLES[table].columns
        row: dict[str, Any] = {}
        for key, value in _scalars(obj):
            if key in columns:
                row[key] = value
            elif key not in (
                "weekday",
                "closed",
                "vocabulary",
                "service_area",
                "language",
                "accessibility",
                "start_date",
                "end_date",
            ):
                self._ignore(table, key)
        original = str(obj.get("id", "") or "").strip()
        row["id"] = self.staged.id(table, original or fallback_key)
        if table in RECORDS and original and original.lower() != row["id"]:
            row[ORIGINAL_ID] = original
        for column in LINK_COLUMNS:
            if row.get(column):
                target = column.removesuffix("_id").replace("parent_", "")
                row[column] = self.staged.id(target, row[column])
        return row

    def _once(self, table: str, row: dict[str, Any]) -> None:
        seen = self.seen.setdefault(table, set())
        if row["id"] in seen:
            return
        seen.add(row["id"])
        self.staged.add(table, row, SOURCE)

    def service(self, obj: dict[str, Any]) -> None:
        row = self._row("service", obj, f"service:{obj.get('name', '')}")
        sid = row["id"]
        org = _objects(obj.get("organization"))
        if org:
            org_row = self._row("organization", org[0], f"organization:{org[0].get('name', '')}")
            org_row["description"] = org_row.get("description") or FILLER
            self._once("organization", org_row)
            row["organization_id"] = row.get("organization_id") or org_row["id"]
        row["status"] = row.get("status") or "active"
        self._eligibility(obj, row)
        self._once("service", row)
        self._children(obj, {"service_id": sid}, sid, "service")
        for n, sal in enumerate(_objects(obj.get("service_at_locations"))):
            self._service_at_location(sal, sid, row.get("organization_id", ""), n)
        for n, attr in enumerate(_objects(obj.get("attributes"))):
            self._attribute(attr, sid, f"{sid}:attribute:{n}")
        for n, link in enumerate(_objects(obj.get("service_taxonomys"))):
            term = _objects(link.get("taxonomy")) or [link]
            self._attribute(
                {"taxonomy_term": term[0], "id": link.get("id")}, sid, f"{sid}:taxonomy:{n}"
            )
        for n, term in enumerate(_objects(obj.get("taxonomy_terms"))):
            self._attribute({"taxonomy_term": term}, sid, f"{sid}:term:{n}")
        for key, value in obj.items():
            if isinstance(value, (dict, list)) and key not in CHILD_TABLES and key not in HANDLED:
                self._ignore("service", key)

    def _eligibility(self, obj: dict[str, Any], row: dict[str, Any]) -> None:
        texts = []
        for item in _objects(obj.get("eligibilitys")):
            text = str(item.get("eligibility", "") or "").strip()
            if text:
                texts.append(text)
            for column in ("minimum_age", "maximum_age"):
                if item.get(column) not in (None, "") and not row.get(column):
                    row[column] = item[column]
        if texts and not row.get("eligibility_description"):
            row["eligibility_description"] = "; ".join(texts)

    def _children(self, obj: dict[str, Any], links: dict[str, str], owner: str, where: str) -> None:
        for key, table in CHILD_TABLES.items():
            for n, child in enumerate(_objects(obj.get(key))):
                row = self._row(table, child, f"{owner}:{key}:{n}")
                row.update({k: v for k, v in links.items() if k in TABLES[table].columns})
                self._fill(key, table, child, row)
                self._once(table, row)
                if table == "contact":
                    self._children(child, {"contact_id": row["id"]}, row["id"], "contact")

    @staticmethod
    def _fill(key: str, table: str, child: dict[str, Any], row: dict[str, Any]) -> None:
        if table == "address":
            row["address_type"] = row.get("address_type") or (
                "postal" if key == "postal_addresses" else "physical"
            )
            for column in ("address_1", "city", "state_province", "postal_code", "country"):
                row[column] = row.get(column) or FILLER
        elif table == "schedule" and "weekday" in child:
            day = WEEKDAYS.get(str(child.get("weekday", "")).strip().lower(), "")
            if day and not row.get("byday"):
                row.update(byday=day, freq="WEEKLY", wkst="MO")
        elif table == "service_area":
            row["name"] = row.get("name") or child.get("service_area") or ""
        elif table == "language":
            row["name"] = row.get("name") or child.get("language") or ""
        elif table == "accessibility":
            row["description"] = row.get("description") or child.get("accessibility") or ""
        elif table == "program":
            row["description"] = row.get("description") or FILLER

    def _service_at_location(self, sal: dict[str, Any], sid: str, org: str, n: int) -> None:
        location = _objects(sal.get("location"))
        lid = ""
        if location:
            loc = self._row("location", location[0], f"{sid}:location:{n}")
            loc["location_type"] = loc.get("location_type") or "physical"
            loc.setdefault("organization_id", org)
            lid = loc["id"]
            self._once("location", loc)
            self._children(location[0], {"location_id": lid}, lid, "location")
        elif sal.get("location_id"):
            lid = self.staged.id("location", sal["location_id"])
        if not lid:
            self.notes.append("A service_at_location without a location was not imported.")
            return
        row = self._row("service_at_location", sal, f"{sid}:{lid}")
        row.update(service_id=sid, location_id=lid)
        self._once("service_at_location", row)
        self._children(sal, {"service_at_location_id": row["id"]}, row["id"], "sal")

    def _attribute(self, attr: dict[str, Any], sid: str, fallback: str) -> None:
        terms = _objects(attr.get("taxonomy_term"))
        term_id = str(attr.get("taxonomy_term_id", "") or "")
        if terms:
            term = self._row("taxonomy_term", terms[0], f"term:{terms[0].get('name', '')}")
            term["taxonomy"] = term.get("taxonomy") or terms[0].get("vocabulary") or ""
            term["description"] = term.get("description") or term.get("name") or FILLER
            if isinstance(terms[0].get("parent"), (str, int)):
                term["parent_id"] = self.staged.id("taxonomy_term", terms[0]["parent"])
            elif term.get("parent_id"):
                term["parent_id"] = self.staged.id("taxonomy_term", term["parent_id"])
            self._once("taxonomy_term", term)
            term_id = term["id"]
        elif term_id:
            term_id = self.staged.id("taxonomy_term", term_id)
        if not term_id:
            self.notes.append("An attribute without a taxonomy term was not imported.")
            return
        row = self._row("attribute", attr, fallback)
        row.update(link_id=sid, link_entity="service", taxonomy_term_id=term_id)
        self._once("attribute", row)
