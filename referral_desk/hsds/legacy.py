"""HSDS 1.1 and 2.0 tabular packages, translated into the HSDS 3.0 rows the importer takes.

Older packages differ from 3.0 in file names and a few columns: addresses come as
`physical_addresses.csv` and `postal_addresses.csv`, opening times as `regular_schedules.csv`
(one row per weekday) and `holiday_schedules.csv`, taxonomy as `taxonomy.csv` linked to
services by `services_taxonomy.csv`, eligibility as its own table, and ids need not be UUIDs.
Each file is read with the same guards as a 3.0 CSV (size, UTF-8, CSV syntax, columns, row
size; `package_reader`), and each row becomes one 3.0 row (`staged.Staged`), so every check,
fold and preview of the 3.0 importer applies unchanged.

Nothing is dropped without saying so: a file we do not translate, a column we do not map and a
row that cannot be read are each named in `Package.translation_notes`, which the preview shows.
"""

from __future__ import annotations

import csv
import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from referral_desk.domain.text import clean_line, has_controls
from referral_desk.hsds.cells import FILLER
from referral_desk.hsds.package import Limits, Package, PackageError, normal_id
from referral_desk.hsds.package_reader import csv_problem
from referral_desk.hsds.package_source import LimitedReader, Source, shown
from referral_desk.hsds.schema import TABLES
from referral_desk.hsds.staged import ORIGINAL_ID, RECORDS, Staged

Row = dict[str, str]
# Which table an id column points to (`parent_id` points to the row's own table).
LINK_TARGETS = {
    "organization_id": "organization",
    "parent_organization_id": "organization",
    "program_id": "program",
    "service_id": "service",
    "location_id": "location",
    "service_at_location_id": "service_at_location",
    "contact_id": "contact",
    "phone_id": "phone",
    "taxonomy_term_id": "taxonomy_term",
    "taxonomy_id": "taxonomy_term",
}
WEEKDAYS = {
    "1": "MO",
    "2": "TU",
    "3": "WE",
    "4": "TH",
    "5": "FR",
    "6": "SA",
    "7": "SU",
    "monday": "MO",
    "tuesday": "TU",
    "wednesday": "WE",
    "thursday": "TH",
    "friday": "FR",
    "saturday": "SA",
    "sunday": "SU",
    "mon": "MO",
    "tue": "TU",
    "wed": "WE",
    "thu": "TH",
    "fri": "FR",
    "sat": "SA",
    "sun": "SU",
}
# Files found only in HSDS 1.x/2.0 packages: one of them makes a package "older HSDS".
LEGACY_MARKERS = frozenset(
    {
        "physical_addresses.csv",
        "postal_addresses.csv",
        "regular_schedules.csv",
        "holiday_schedules.csv",
        "services_taxonomy.csv",
        "taxonomy.csv",
        "eligibility.csv",
        "payment_accepted.csv",
        "accessibility_for_disabilities.csv",
    }
)
# Files an HSDS 2.0 package has and 1.1 had not.
V2_MARKERS = frozenset({"attributes.csv", "taxonomy_terms.csv", "schedules.csv"})
NOT_TRANSLATED = {
    "payment_accepted.csv": "HSDS 3.0 has no table for accepted payments",
}


@dataclass(frozen=True)
class FileSpec:
    """How one older file becomes 3.0 rows: its table, renamed columns, and a row hook."""

    table: str
    renames: tuple[tuple[str, str], ...] = ()
    fixed: tuple[tuple[str, str], ...] = ()  # values set on every row (when blank)
    hook: Callable[[Row, Row], None] | None = None  # (old row, new row): extra mapping


def _address(old: Row, new: Row) -> None:
    extra = [old.get(c, "").strip() for c in ("address_2", "address_3", "address_4")]
    new["address_2"] = ", ".join(v for v in extra if v)
    for column in ("city", "state_province", "postal_code", "country"):
        new[column] = new[column] or FILLER  # required by 3.0; read back as blank


def _regular(old: Row, new: Row) -> None:
    day = WEEKDAYS.get(old.get("weekday", "").strip().lower(), "")
    new["byday"] = day
    new["freq"] = "WEEKLY" if day else ""
    new["wkst"] = "MO" if day else ""


def _holiday(old: Row, new: Row) -> None:
    closed = old.get("closed", "").strip().lower() in ("true", "1", "yes", "y")
    note = "Closed" if closed else "Holiday opening times"
    new["description"] = new["description"] or note


def _term(old: Row, new: Row) -> None:
    new["taxonomy"] = new["taxonomy"] or old.get("vocabulary", "")
    new["description"] = new["description"] or new["name"] or FILLER


def _description(old: Row, new: Row) -> None:
    new["description"] = new["description"] or FILLER


def _location(old: Row, new: Row) -> None:
    new["location_type"] = new["location_type"] or "physical"


FILES: dict[str, FileSpec] = {
    "organizations.csv": FileSpec("organization", (("url", "website"),), hook=_description),
    "programs.csv": FileSpec("program", hook=_description),
    "services.csv": FileSpec(
        "service", (("fees", "fees_description"), ("eligibility", "eligibility_description"))
    ),
    "locations.csv": FileSpec("location", hook=_location),
    "service_at_location.csv": FileSpec("service_at_location"),
    "services_at_location.csv": FileSpec("service_at_location"),
    "contacts.csv": FileSpec("contact"),
    "phones.csv": FileSpec("phone"),
    "physical_addresses.csv": FileSpec(
        "address", fixed=(("address_type", "physical"),), hook=_address
    ),
    "postal_addresses.csv": FileSpec("address", fixed=(("address_type", "postal"),), hook=_address),
    "accessibility_for_disabilities.csv": FileSpec(
        "accessibility", (("accessibility", "description"),)
    ),
    "regular_schedules.csv": FileSpec("schedule", hook=_regular),
    "holiday_schedules.csv": FileSpec(
        "schedule", (("start_date", "valid_from"), ("end_date", "valid_to")), hook=_holiday
    ),
    "schedules.csv": FileSpec("schedule"),
    "funding.csv": FileSpec("funding"),
    "service_area.csv": FileSpec("service_area", (("service_area", "name"),)),
    "service_areas.csv": FileSpec("service_area", (("service_area", "name"),)),
    "required_documents.csv": FileSpec("required_document"),
    "languages.csv": FileSpec("language", (("language", "name"),)),
    "taxonomy.csv": FileSpec("taxonomy_term", hook=_term),
    "taxonomy_terms.csv": FileSpec("taxonomy_term", (("term", "name"),), hook=_term),
    "services_taxonomy.csv": FileSpec(
        "attribute",
        (
            ("service_id", "link_id"),
            ("taxonomy_id", "taxonomy_term_id"),
            ("taxonomy_detail", "value"),
        ),
        fixed=(("link_entity", "service"),),
    ),
    "attributes.csv": FileSpec("attribute"),
    "metadata.csv": FileSpec("metadata"),
    "meta_table_description.csv": FileSpec("meta_table_description"),
    "meta_table_descriptions.csv": FileSpec("meta_table_description"),
}
# Records first, so their ids are known (a translation needs nothing else in order).
ORDER = tuple(FILES)


def version_of(names: set[str], descriptor: dict[str, Any]) -> str:
    """'2.0' or '1.1' for an older package, from its descriptor's version, else its files."""
    declared = str(descriptor.get("version", "")).strip().lstrip("v")
    if declared[:1] in ("1", "2"):
        return "2.0" if declared.startswith("2") else "1.1"
    return "2.0" if names & V2_MARKERS else "1.1"


def is_legacy(names: set[str], descriptor: dict[str, Any]) -> bool:
    declared = str(descriptor.get("version", "")).strip().lstrip("v")
    if declared[:1] in ("1", "2"):
        return True
    if declared[:1] == "3":
        return False
    return bool(names & LEGACY_MARKERS)


def translate(
    package: Package, source: Source, files: dict[str, str], publisher: str, limits: Limits
) -> None:
    """Read the older package's files (basename -> path in the package) into `package`."""
    staged = Staged(package, publisher)
    notes = package.translation_notes
    eligibility = _eligibility(package, source, files.get("eligibility.csv"), limits, notes)
    for name in sorted(files, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n)):
        relpath = files[name]
        if name == "eligibility.csv":
            continue
        spec = FILES.get(name)
        if spec is None:
            why = NOT_TRANSLATED.get(name, "not a table of HSDS 1.1 or 2.0")
            notes.append(f"{shown(relpath)}: not imported ({why}).")
            continue
        header, rows = _read(source, relpath, limits, notes)
        if header is None:
            continue
        _note_columns(spec, header, relpath, notes)
        for _number, old in rows:
            new = _row(spec, old, staged)
            if spec.table == "service" and eligibility:
                extra = _eligibility_of(package, old.get("id", ""))
                if extra and not new["eligibility_description"]:
                    new["eligibility_description"] = extra
            staged.add(spec.table, new, relpath)
    staged.finish(limits)


def _row(spec: FileSpec, old: Row, staged: Staged) -> Row:
    table = spec.table
    columns = TABLES[table].columns
    renames = dict(spec.renames)
    new: Row = dict.fromkeys(columns, "")
    for column, value in old.items():
        target = renames.get(column, column)
        if target in new:
            new[target] = value.strip()
    for column, value in spec.fixed:
        new[column] = new[column] or value
    if spec.hook is not None:
        spec.hook(old, new)
    original = new["id"]
    new["id"] = staged.id(table, original)
    if table in RECORDS and original and normal_id(original) != new["id"]:
        new[ORIGINAL_ID] = original
    for column in columns:
        if column == "id" or not new[column]:
            continue
        if column == "parent_id":
            new[column] = staged.id(table, new[column])
        elif column == "link_id":
            entity = new.get("link_entity", "").strip().lower()
            new[column] = staged.id(entity or "service", new[column])
        elif column in LINK_TARGETS:
            target = LINK_TARGETS[column]
            if table == "taxonomy_term" and column == "taxonomy_id":
                target = "taxonomy"
            new[column] = staged.id(target, new[column])
    return new


def _note_columns(spec: FileSpec, header: list[str], relpath: str, notes: list[str]) -> None:
    used = set(TABLES[spec.table].columns) | {old for old, _new in spec.renames}
    used |= {"address_3", "address_4", "weekday", "closed", "vocabulary"}
    if spec.table == "taxonomy_term":
        used.add("parent_name")  # the parent's name, repeated: the parent row has it
    ignored = [c for c in header if c not in used]
    if ignored:
        notes.append(
            f"{shown(relpath)}: column(s) not imported (no HSDS 3.0 column for them): "
            + ", ".join(shown(c) for c in ignored[:20])
            + ("…" if len(ignored) > 20 else "")
        )


def _eligibility(
    package: Package, source: Source, relpath: str | None, limits: Limits, notes: list[str]
) -> bool:
    """Eligibility rows, one per service and criterion, joined into the service's text."""
    if relpath is None:
        return False
    header, rows = _read(source, relpath, limits, notes)
    if header is None:
        return False
    package.db.execute("CREATE TABLE l_eligibility (service TEXT, text TEXT)")
    package.db.executemany(
        "INSERT INTO l_eligibility VALUES (?, ?)",
        ((normal_id(r.get("service_id", "")), r.get("eligibility", "").strip()) for _n, r in rows),
    )
    package.db.execute("CREATE INDEX l_eligibility_service ON l_eligibility (service)")
    return True


def _eligibility_of(package: Package, service_id: str) -> str:
    found = package.db.execute(
        "SELECT text FROM l_eligibility WHERE service = ? AND text != '' ORDER BY rowid",
        (normal_id(service_id),),
    ).fetchall()
    return "; ".join(t for (t,) in found)


def _read(
    source: Source, relpath: str, limits: Limits, notes: list[str]
) -> tuple[list[str] | None, Iterator[tuple[int, Row]]]:
    """The header and a stream of (row number, cells) of one older CSV, with 3.0's guards.

    Rows that cannot be read (wrong number of cells, too large) are named in `notes`.
    """
    opened = source.open(relpath)
    if opened is None:
        return None, iter(())
    raw, _size = opened
    text = io.TextIOWrapper(
        io.BufferedReader(LimitedReader(raw, limits.max_file_bytes, relpath), 1 << 16),
        encoding="utf-8-sig",
        errors="strict",
        newline="",
    )
    reader = csv.reader(text, strict=True)

    def close() -> None:
        text.close()
        raw.close()  # the counting wrapper does not close what it wraps

    try:
        header = next(reader, None)
        columns = [clean_line(c) for c in header or ()]
        if len(columns) > limits.max_columns:
            raise PackageError(
                f"{shown(relpath)} has more than {limits.max_columns} columns; refused."
            )
        if columns and (len(set(columns)) != len(columns) or "" in columns):
            raise PackageError(
                f"{shown(relpath)} has a blank or repeated column name in its header."
            )
    except BaseException as err:
        close()
        if isinstance(err, (UnicodeDecodeError, csv.Error, OSError, ValueError)):
            raise _unreadable(relpath, err) from err
        raise
    if not columns:
        close()
        return None, iter(())

    def rows() -> Iterator[tuple[int, Row]]:
        number = 1
        try:
            for values in reader:
                number += 1
                if not values or (len(values) == 1 and not values[0]):
                    continue
                if len(values) != len(columns):
                    notes.append(
                        f"{shown(relpath)} row {number}: has {len(values)} cells "
                        f"where the header has {len(columns)}; not imported."
                    )
                    continue
                if sum(map(len, values)) > limits.max_row_bytes:
                    notes.append(
                        f"{shown(relpath)} row {number}: larger than "
                        f"{limits.max_row_bytes // 1024} kB; not imported."
                    )
                    continue
                if any(has_controls(v) for v in values):
                    values = [v.replace("\x1f", " ") for v in values]
                yield number, dict(zip(columns, values, strict=True))
        except (
            UnicodeDecodeError,
            csv.Error,
            OSError,
            ValueError,
            zipfile.BadZipFile,
            EOFError,
            zlib.error,
            RuntimeError,
        ) as err:
            raise _unreadable(relpath, err) from err
        finally:
            close()

    return columns, rows()


def _unreadable(relpath: str, err: BaseException) -> PackageError:
    if isinstance(err, PackageError):
        return err
    if isinstance(err, UnicodeDecodeError):
        return PackageError(f"{shown(relpath)} is not UTF-8 text; save it as UTF-8 and retry.")
    if isinstance(err, csv.Error):
        return PackageError(f"{shown(relpath)} is not valid CSV ({csv_problem(err)}).")
    return PackageError(f"{shown(relpath)} cannot be read.")


def file_names(paths: list[str]) -> dict[str, str]:
    """Basename -> path for the CSV files of an older package (the first of each name)."""
    out: dict[str, str] = {}
    for path in sorted(paths, key=lambda p: (p.count("/"), p)):
        name = posixpath.basename(path)
        if name.lower().endswith(".csv"):
            out.setdefault(name, path)
    return out
