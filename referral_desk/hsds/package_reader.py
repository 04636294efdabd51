"""Read an HSDS tabular data package (a folder or a .zip) into a private scratch database.

The reader decides one thing: whether the package can be read at all. Anything that makes a
whole file untrustworthy — no `datapackage.json`, a file that is not UTF-8 or not CSV, a file
over a size or row limit, a required column missing from a whole table, a path that escapes the
package, a link, FIFO, device or folder where a file should be — raises `PackageError` and the
import is refused before anything is written. Faults in single rows are left to the importer,
which quarantines them and applies the rest.

Memory stays flat whatever the package holds (DESIGN.md §9: ≤ 300 MB for any file): rows are
streamed from each CSV, one at a time, into a private temporary SQLite database (`sqlite3`'s
"" database: a file the OS deletes as soon as it is opened, spilling to disk beyond a small
page cache), and the importer reads them back in batches. Nothing holds a whole table.

Limits (`Limits`), each refused with one line naming the file:

- bytes per file (200 MB), for the whole package (512 MB: half again a 200 000-service package
  as our exporter writes it), for `datapackage.json` (4 MB; the official one is 124 kB), its
  nesting depth (a deeply nested descriptor would otherwise crash the JSON parser) and the
  resources it lists (1 000);
- rows per table (`MAX_ROWS`): 200 000 organisations, locations or services — ten times the
  largest directory we plan for (the 20 000-service benchmark) and four times any public HSDS
  directory we know of — and 2 000 000 rows of any other table (ten per service);
- columns per table (200; HSDS's widest table has 23), cells of 128 kB (csv's own limit) and
  rows of 256 kB (a larger row is rejected, the rest of the file read);
- rows attached to one record: 1 MB of text (`checks.MAX_ATTACHED_BYTES`; further rows are
  rejected), so the importer can fold records in chunks of bounded size;
- zip packages: at most 1 000 members, none compressed more than 100:1 (a CSV compresses about
  10:1; a zip bomb, thousands to one), and no member that is a link, a special file, an
  absolute path or a path with `..` in it.

Every cell is text for the directory, so it goes through `domain.text`: `clean_text` for
columns that hold paragraphs (`MULTILINE_COLUMNS`, and columns HSDS does not define), and
`clean_line` for everything else. Only cells holding a control character are changed (the
others are already what the cleaners return, up to surrounding white space, which the mapping
strips); `Package.cleaned_cells` counts them for the preview.

Tolerated on purpose, because real exports do it: CRLF or LF line endings, a UTF-8 byte-order
mark, a resource listed in `datapackage.json` whose file is absent (an empty table), extra
columns (kept by the importer). A leading apostrophe is data and is kept, with one exception:
packages written by Referral Desk before exports became verbatim prefixed cells starting with
`=`, `+`, `-`, `@` with an apostrophe against CSV injection; such a package (our descriptor
name without the `VERBATIM_MARK`, `legacy_escaped`) has the apostrophe removed again here.

Nothing from the cells goes into error messages: they name files, columns and row numbers.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from itertools import accumulate
from pathlib import Path
from typing import Any

from referral_desk.domain.text import clean_line, clean_text, has_controls
from referral_desk.hsds.package import (
    DEFAULT_MAX_FILE_BYTES,
    DESCRIPTOR,
    MAX_OTHER_ROWS,
    MAX_RESOURCES,
    OUR_PACKAGE_NAME,
    ROW_BATCH,
    SEP,
    Limits,
    Package,
    PackageError,
    RawTable,
    filling,
    normal_id,
)
from referral_desk.hsds.package_source import (
    LimitedReader,
    PackageSource,
    Source,
    shown,
    too_big,
)
from referral_desk.hsds.schema import TABLES

# The reading API; `Package`, `PackageError` and `Limits` are defined in `package`.
__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "Limits",
    "Package",
    "PackageError",
    "legacy_escaped",
    "read_package",
    "unescape_cell",
]

# Characters a spreadsheet treats as the start of a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Columns that hold paragraphs: line breaks are kept (`clean_text`). Every other HSDS column is
# one line (`clean_line`); columns HSDS does not define keep their line breaks, since we do not
# know what they hold and keep them only to write them back out.
MULTILINE_COLUMNS = frozenset(
    {(t.name, f.name) for t in TABLES.values() for f in t.fields if f.name == "description"}
    | {
        ("service", "eligibility_description"),
        ("service", "application_process"),
        ("service", "fees_description"),
        ("service", "alert"),
        ("location", "transportation"),
        ("accessibility", "details"),
        ("schedule", "notes"),
        ("attribute", "value"),
        ("cost_option", "amount_description"),
        ("language", "note"),
    }
)


def legacy_escaped(descriptor: Mapping[str, Any]) -> bool:
    """True for a package written by an older Referral Desk, whose exporter escaped formula-like
    cells with an apostrophe: our descriptor name, without the verbatim mark. Any other
    package's apostrophes are data (an HSDS package is not a spreadsheet)."""
    mark = descriptor.get("referral_desk")
    verbatim = isinstance(mark, dict) and mark.get("cells") == "verbatim"
    return descriptor.get("name") == OUR_PACKAGE_NAME and not verbatim


def unescape_cell(value: str) -> str:
    """Undo an older exporter's formula escape: `'=X` was `=X` (and `''=X` was `'=X`)."""
    if value[:1] == "'" and value.lstrip("'")[:1] in FORMULA_TRIGGERS and value.lstrip("'"):
        return value[1:]
    return value


# --- descriptor ----------------------------------------------------------------------------

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects (strings skipped): checked before parsing."""
    steps = (1 if c in "[{" else -1 for c in _BRACKETS.findall(_JSON_STRING.sub("", text)))
    return max(accumulate(steps, initial=0))


def read_descriptor(source: Source) -> dict[str, Any]:
    limit = source.limits.max_descriptor_bytes
    opened = source.open(DESCRIPTOR, limit)
    if opened is None:
        raise PackageError(f"This is not an HSDS data package: {DESCRIPTOR} is missing.")
    fh, _size = opened
    try:
        with fh:
            raw = fh.read(limit + 1)
        if len(raw) > limit:
            raise PackageError(too_big(DESCRIPTOR, limit))
        text = raw.decode("utf-8-sig")
        if json_depth(text) > source.limits.max_descriptor_depth:
            raise PackageError(
                f"{DESCRIPTOR} is nested more than {source.limits.max_descriptor_depth} "
                "levels deep; refused."
            )
        descriptor = json.loads(text)
    except UnicodeDecodeError as err:
        raise PackageError(f"{DESCRIPTOR} is not UTF-8 text.") from err
    except RecursionError as err:
        raise PackageError(f"{DESCRIPTOR} is nested too deeply; refused.") from err
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise PackageError(f"{DESCRIPTOR} cannot be read as JSON.") from err
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise PackageError(f"{DESCRIPTOR} has no list of resources.")
    if len(descriptor["resources"]) > MAX_RESOURCES:
        raise PackageError(
            f"{DESCRIPTOR} lists more than {MAX_RESOURCES} resources; an HSDS package has 21."
        )
    return descriptor


def _safe_relpath(value: Any, resource: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PackageError(f"Resource '{resource}' in {DESCRIPTOR} has no usable path.")
    relpath = value.strip().replace("\\", "/")
    if has_controls(relpath):
        raise PackageError(
            f"Resource '{resource}' in {DESCRIPTOR} has a control character in its path."
        )
    parts = relpath.split("/")
    if (
        relpath.startswith("/")
        or ":" in parts[0]
        or any(p in ("", ".", "..") for p in parts)
        or "://" in relpath
    ):
        raise PackageError(
            f"Resource '{resource}' in {DESCRIPTOR} points outside the package; "
            "only files inside the package are read."
        )
    return relpath


def _resource_name(value: Any) -> str:
    return shown(clean_line(value if isinstance(value, str) else str(value or "")))


def _resource_paths(descriptor: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """HSDS table name -> file path; and the names of resources that are not HSDS tables."""
    found: dict[str, str] = {}
    ignored: list[str] = []
    by_file = {t.path: t.name for t in TABLES.values()}
    for index, resource in enumerate(descriptor["resources"]):
        if not isinstance(resource, dict):
            raise PackageError(f"Resource {index + 1} in {DESCRIPTOR} is not an object.")
        name = _resource_name(resource.get("name"))
        path = resource.get("path")
        if isinstance(path, list):
            if len(path) != 1:
                raise PackageError(
                    f"Resource '{name}' is split over several files; this is not supported."
                )
            path = path[0]
        if path is None and "data" in resource:
            ignored.append(name or f"resource {index + 1}")
            continue
        relpath = _safe_relpath(path, name or f"resource {index + 1}")
        table = name if name in TABLES else by_file.get(posixpath.basename(relpath))
        if table is None or table in found:
            ignored.append(name or shown(relpath))
            continue
        found[table] = relpath
    return found, ignored


# --- CSV -----------------------------------------------------------------------------------


def csv_problem(err: csv.Error) -> str:
    # csv's messages describe the syntax ("unexpected end of data"), never the cell contents.
    text = str(err)
    return text if len(text) < 120 and "'" not in text else "malformed quoting"


def _cleaners(table: str, columns: list[str]) -> list[Callable[[str | None], str]]:
    known = set(TABLES[table].columns)
    return [
        clean_text if (table, c) in MULTILINE_COLUMNS or c not in known else clean_line
        for c in columns
    ]


def _stage_csv(
    package: Package, source: Source, table: str, relpath: str, *, unescape: bool = False
) -> RawTable:
    opened = source.open(relpath)
    if opened is None:
        return RawTable(table, relpath, [], 0, present=False)
    raw, _size = opened
    try:
        with raw:
            limited = io.BufferedReader(
                LimitedReader(raw, source.limits.max_file_bytes, relpath), 1 << 16
            )
            text = io.TextIOWrapper(limited, encoding="utf-8-sig", errors="strict", newline="")
            return stage_rows(
                package,
                csv.reader(text, strict=True),
                table,
                relpath,
                source.limits,
                unescape=unescape,
            )
    except UnicodeDecodeError as err:
        raise PackageError(
            f"{shown(relpath)} is not UTF-8 text; save it as UTF-8 and retry."
        ) from err
    except csv.Error as err:
        raise PackageError(f"{shown(relpath)} is not valid CSV ({csv_problem(err)}).") from err
    except (OSError, zipfile.BadZipFile, EOFError, zlib.error, RuntimeError, ValueError) as err:
        raise PackageError(f"{shown(relpath)} cannot be read.") from err


def stage_rows(
    package: Package,
    reader: Iterator[list[str]],
    table: str,
    relpath: str,
    limits: Limits,
    *,
    unescape: bool = False,
) -> RawTable:
    """Stream rows into the scratch database. `unescape`: remove an older Referral Desk
    export's formula escape (`legacy_escaped`); off for everything else."""
    header = next(reader, None)
    if header is None:
        return RawTable(table, relpath, [], 0, package=package)
    columns = [clean_line(c) for c in header]
    if len(columns) > limits.max_columns:
        raise PackageError(f"{shown(relpath)} has more than {limits.max_columns} columns; refused.")
    if len(set(columns)) != len(columns) or "" in columns:
        raise PackageError(f"{shown(relpath)} has a blank or repeated column name in its header.")
    missing = [c for c in TABLES[table].required_columns if c not in columns]
    if missing:
        raise PackageError(f"{shown(relpath)} lacks the required column(s): {', '.join(missing)}.")
    width = len(columns)
    package.db.execute(
        f"CREATE TABLE r_{table} (num INTEGER PRIMARY KEY, fault TEXT, id TEXT, cells TEXT)"
    )
    insert = f"INSERT INTO r_{table} VALUES (?, ?, ?, ?)"
    id_at = columns.index("id") if "id" in columns else -1
    cleaners = _cleaners(table, columns)
    max_rows = limits.max_rows.get(table, MAX_OTHER_ROWS)
    max_row_bytes = limits.max_row_bytes
    batch: list[tuple[Any, ...]] = []
    number = 1
    count = 0
    cleaned = 0
    for values in reader:
        number += 1
        if number - 1 > max_rows:
            limit = f"{max_rows:,}".replace(",", " ")
            raise PackageError(
                f"{shown(relpath)} has more than {limit} rows, the limit for this table; refused."
            )
        if not values or (len(values) == 1 and not values[0]):
            continue  # a blank line (often the last one)
        count += 1
        if len(values) != width:
            fault = f"has {len(values)} cells where the header has {width}"
            batch.append((number, fault, "", None))
        else:
            joined = "".join(values)
            if len(joined) > max_row_bytes:
                batch.append((number, f"is larger than {max_row_bytes // 1024} kB", "", None))
                continue
            if unescape and "'" in joined:
                values = [unescape_cell(v) if v[:1] == "'" else v for v in values]
                joined = "".join(values)
            if has_controls(joined):
                for i, value in enumerate(values):
                    if has_controls(value):
                        values[i] = new = cleaners[i](value)
                        cleaned += new != value.strip()
            rid = normal_id(values[id_at]) if id_at >= 0 else ""
            batch.append((number, None, rid, SEP.join(values)))
        if len(batch) >= ROW_BATCH:
            package.db.executemany(insert, batch)
            batch.clear()
    if batch:
        package.db.executemany(insert, batch)
    package.cleaned_cells += cleaned
    return RawTable(table, relpath, columns, count, package=package)


def read_package(
    path: Path,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    limits: Limits | None = None,
) -> Package:
    """Read every HSDS table the package lists; raise PackageError if it cannot be used.

    Returns a `Package` holding a scratch database: close it, or use it in a `with` block.
    """
    limits = limits or Limits(max_file_bytes=max_file_bytes)
    package = Package()
    with filling(package), PackageSource(Path(path), limits) as source:
        package.descriptor = read_descriptor(source)
        paths, package.ignored_resources = _resource_paths(package.descriptor)
        unescape = legacy_escaped(package.descriptor)
        for name, relpath in paths.items():
            package.tables[name] = _stage_csv(package, source, name, relpath, unescape=unescape)
    return package
