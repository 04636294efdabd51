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

import contextlib
import csv
import io
import json
import posixpath
import re
import sqlite3
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from struct import error as StructError
from types import MappingProxyType, TracebackType
from typing import IO, Any

from referral_desk.domain.errors import DomainError
from referral_desk.domain.text import clean_line, clean_text, has_controls, printable
from referral_desk.files import (
    FileMissing,
    NotRegularFile,
    open_regular_in,
    open_user_path,
)
from referral_desk.store.hsds.schema import TABLES

MB = 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 200 * MB
MAX_PACKAGE_BYTES = 512 * MB
MAX_DESCRIPTOR_BYTES = 4 * MB
MAX_DESCRIPTOR_DEPTH = 32
MAX_RESOURCES = 1000  # resources listed in datapackage.json (HSDS has 21 tables)
MAX_COLUMNS = 200
MAX_ROW_BYTES = 256 * 1024  # one row's text; real rows are a few hundred bytes
MAX_ZIP_MEMBERS = 1000
MAX_COMPRESSION_RATIO = 100
# Below this size a member may compress as well as it likes (a header-only CSV does).
RATIO_FLOOR_BYTES = 1 * MB
# Rows per table, see the module docstring for why these numbers.
MAX_RECORD_ROWS = 200_000
MAX_OTHER_ROWS = 2_000_000
MAX_ROWS: Mapping[str, int] = MappingProxyType(
    {
        name: MAX_RECORD_ROWS if name in ("organization", "location", "service") else MAX_OTHER_ROWS
        for name in TABLES
    }
)
DESCRIPTOR = "datapackage.json"
# The descriptor name of every package Referral Desk writes, and the mark that says its cells
# are verbatim (written since the export stopped escaping formula-like cells).
OUR_PACKAGE_NAME = "referral-desk-directory"
VERBATIM_MARK: Mapping[str, Any] = MappingProxyType({"referral_desk": {"cells": "verbatim"}})
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
ROW_BATCH = 2000  # rows per insert into the scratch database, and per batch read back
# Cells of a row are stored as one text joined by this control character: no cell can hold it
# once cleaned (`domain.text`), and one value per row is far cheaper to bind than one per cell.
SEP = "\x1f"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class PackageError(DomainError):
    """The package as a whole cannot be used: the import is refused and nothing is written."""


@dataclass(frozen=True)
class Limits:
    """How much of a package the reader accepts (defaults: module constants above)."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_package_bytes: int = MAX_PACKAGE_BYTES
    max_descriptor_bytes: int = MAX_DESCRIPTOR_BYTES
    max_descriptor_depth: int = MAX_DESCRIPTOR_DEPTH
    max_columns: int = MAX_COLUMNS
    max_row_bytes: int = MAX_ROW_BYTES
    max_zip_members: int = MAX_ZIP_MEMBERS
    max_ratio: int = MAX_COMPRESSION_RATIO
    max_rows: Mapping[str, int] = field(default_factory=lambda: MAX_ROWS)


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


def normal_id(value: str) -> str:
    """An id cell as ids are compared: canonical UUIDs as they are, anything else trimmed and
    lower-cased (publishers' spreadsheets add spaces and capitals)."""
    return value if _UUID.fullmatch(value) else value.strip().lower()


@dataclass
class RawRow:
    """One data row: its row number in the file (the header is row 1) and its cells."""

    number: int
    cells: dict[str, str]
    fault: str = ""  # a problem with this row only (wrong number of cells)


@dataclass
class RawTable:
    """One table of a read package: its header and how many rows it has (rows stay on disk)."""

    name: str
    path: str
    columns: list[str]
    count: int = 0
    present: bool = True  # False: listed in datapackage.json but the file is absent
    package: Package | None = field(default=None, repr=False, compare=False)

    @property
    def extra_columns(self) -> list[str]:
        known = set(TABLES[self.name].columns) if self.name in TABLES else set()
        return [c for c in self.columns if c not in known]

    @property
    def rows(self) -> list[RawRow]:
        """Every row, read back from disk (for small packages and tests; the importer batches)."""
        if self.package is None or not self.count:
            return []
        out = []
        for batch in self.package.batches(self.name):
            for number, fault, _id, values in batch:
                cells = dict(zip(self.columns, values, strict=True)) if not fault else {}
                out.append(RawRow(number, cells, fault or ""))
        return out


class Package:
    """A package read into a private scratch database; close it (or use `with`) when done.

    Each table is `r_<name>`: `num` (row number in the file), `fault` (a fault of the whole
    row), `id` (the id cell, `normal_id`), and `cells` in header order (`pack`). Rows with a
    fault keep no cells. The checks write their decisions beside it (`checks.Checker`).
    """

    def __init__(self) -> None:
        self.db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA cache_size = -65536")  # 64 MB of pages; the rest on disk
        self.db.execute("PRAGMA temp_store = FILE")
        # One transaction for the scratch database's whole life: it is thrown away, never
        # committed, and a statement per transaction would cost a sync of the file each.
        self.db.execute("BEGIN")
        self.descriptor: dict[str, Any] = {}
        self.tables: dict[str, RawTable] = {}
        self.ignored_resources: list[str] = []
        self.cleaned_cells = 0
        # What the file was (`detect`), and what translating an older form left out.
        self.form = "HSDS 3.0 tabular package"
        self.translation_notes: list[str] = []

    def __enter__(self) -> Package:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def __del__(self) -> None:  # a forgotten package must not keep its scratch file
        with contextlib.suppress(Exception):  # interpreter shutdown
            self.db.close()

    @property
    def total_rows(self) -> int:
        return sum(t.count for t in self.tables.values())

    def table(self, name: str) -> RawTable:
        """The named table, or an empty one when the package does not have it."""
        found = self.tables.get(name)
        if found is not None:
            return found
        path = TABLES[name].path if name in TABLES else f"{name}.csv"
        return RawTable(name, path, [], 0, present=False)

    def has_rows(self, name: str) -> bool:
        return self.table(name).count > 0

    def batches(
        self,
        name: str,
        *,
        accepted: bool = False,
        where: str = "",
        size: int = ROW_BATCH,
    ) -> Iterator[list[tuple[int, str | None, str, tuple[str, ...]]]]:
        """Rows of table `name` in file order, `size` at a time: (num, fault, id, cells).

        `accepted`: only rows the checks accepted (`d_<name>`), optionally filtered further by
        `where` on the decision `d`.
        """
        table = self.tables.get(name)
        if table is None or not table.count:
            return
        sql = f"SELECT r.num, r.fault, r.id, r.cells FROM r_{name} r"
        if accepted:
            # Walk the decisions by row number (their primary key), each row found by rowid.
            sql = f"SELECT r.num, r.fault, r.id, r.cells FROM d_{name} d CROSS JOIN r_{name} r"
            sql += " ON r.num = d.num WHERE d.num > ? AND d.st = 1"
            sql += f" AND {where}" if where else ""
            sql += f" ORDER BY d.num LIMIT {size}"
        else:
            sql += f" WHERE r.num > ? ORDER BY r.num LIMIT {size}"
        last = 0
        while True:
            rows = self.db.execute(sql, (last,)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [(n, f, i, unpack(c)) for n, f, i, c in rows]

    def cells_of(self, name: str, values: tuple[str, ...]) -> dict[str, str]:
        return dict(zip(self.tables[name].columns, values, strict=True))


def pack(values: Iterable[str]) -> str:
    return SEP.join(values)


def unpack(text: str | None) -> tuple[str, ...]:
    return tuple(text.split(SEP)) if text is not None else ()


# --- sources: a folder or a zip ------------------------------------------------------------


def _shown(name: str) -> str:
    """A name from the package, safe to print: controls escaped, length bounded."""
    text = printable(name)
    return text if len(text) <= 80 else text[:77] + "…"


class _Source:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.read_bytes = 0  # declared sizes of the files opened so far

    def open(self, relpath: str) -> tuple[IO[bytes], int] | None:
        """(stream, size) of a file of the package, None when it is absent."""
        raise NotImplementedError

    def close(self) -> None:
        return None

    def _count(self, relpath: str, size: int, limit: int) -> None:
        if size > limit:
            raise PackageError(_too_big(relpath, limit))
        self.read_bytes += size
        if self.read_bytes > self.limits.max_package_bytes:
            raise PackageError(
                f"The package is larger than the limit of {_size(self.limits.max_package_bytes)} "
                f"in all (at {_shown(relpath)})."
            )


class _FolderSource(_Source):
    def __init__(self, root: Path, limits: Limits) -> None:
        super().__init__(limits)
        self.root = root

    def open(self, relpath: str, limit: int | None = None) -> tuple[IO[bytes], int] | None:
        try:
            fh, size = open_regular_in(self.root, relpath)
        except FileMissing:
            return None
        except NotRegularFile as err:
            raise PackageError(f"{_shown(relpath)} is not a regular file ({err}).") from err
        except OSError as err:
            raise PackageError(f"{_shown(relpath)} cannot be read.") from err
        try:
            self._count(relpath, size, self.limits.max_file_bytes if limit is None else limit)
        except BaseException:
            fh.close()
            raise
        return fh, size


_S_IFMT = 0o170000


class _ZipSource(_Source):
    def __init__(self, archive: zipfile.ZipFile, limits: Limits) -> None:
        super().__init__(limits)
        self.archive = archive
        infos = archive.infolist()
        if len(infos) > limits.max_zip_members:
            raise PackageError(
                f"The .zip file holds more than {limits.max_zip_members} files; "
                "an HSDS package has about twenty."
            )
        for info in infos:
            _check_member(info)
        self.infos = {i.filename: i for i in infos if not i.is_dir()}
        candidates = sorted(
            (n for n in self.infos if posixpath.basename(n) == DESCRIPTOR),
            key=lambda n: (n.count("/"), n),
        )
        # The descriptor at the root, or inside the one folder a zip tool wrapped it in.
        self.prefix = posixpath.dirname(candidates[0]) + "/" if candidates else ""
        if self.prefix == "/":
            self.prefix = ""

    def open(self, relpath: str, limit: int | None = None) -> tuple[IO[bytes], int] | None:
        info = self.infos.get(self.prefix + relpath)
        if info is None:
            return None
        size = info.file_size
        self._count(relpath, size, self.limits.max_file_bytes if limit is None else limit)
        if size > RATIO_FLOOR_BYTES and size > self.limits.max_ratio * max(info.compress_size, 1):
            raise PackageError(
                f"{_shown(relpath)} is compressed more than {self.limits.max_ratio} to 1 in the "
                ".zip file; refused as a possible zip bomb."
            )
        try:
            # The stream stops at the declared size and checks the CRC at the end.
            return self.archive.open(info), size
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, ValueError) as e:
            raise PackageError(f"{_shown(relpath)} cannot be read from the .zip file.") from e

    def close(self) -> None:
        self.archive.close()


def _check_member(info: zipfile.ZipInfo) -> None:
    """Refuse members that are links or special files, or whose path leaves the package."""
    name = info.filename
    mode = (info.external_attr >> 16) & 0xFFFF
    kind = mode & _S_IFMT
    if info.create_system == 3 and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        what = "a link" if kind == stat.S_IFLNK else "a special file"
        raise PackageError(f"The .zip file holds {_shown(name)}, which is {what}; refused.")
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts or "\x00" in name:
        raise PackageError(
            f"The .zip file holds {_shown(name)}, whose path points outside the package; refused."
        )


def _zip_member_count(fh: IO[bytes]) -> int | None:
    """Members declared in the end-of-central-directory record, before zipfile reads them all."""
    find = getattr(zipfile, "_EndRecData", None)
    if find is None:  # pragma: no cover - private helper of every CPython since 2.6
        return None
    try:
        record = find(fh)
    except (OSError, ValueError, StructError):
        return None
    return None if record is None else int(record[zipfile._ECD_ENTRIES_TOTAL])  # type: ignore[attr-defined]


class _PackageSource:
    """Context manager choosing the source: a folder, a .zip, or a folder's datapackage.json."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self.source: _Source | None = None
        self.handle: IO[bytes] | None = None

    def __enter__(self) -> _Source:
        try:
            fh, size, is_folder = open_user_path(self.path)
        except FileMissing as err:
            raise PackageError("The package was not found (give a folder or a .zip file).") from err
        except NotRegularFile as err:
            raise PackageError(
                f"{_shown(self.path.name)} is not a regular file or a folder ({err})."
            ) from err
        except OSError as err:
            raise PackageError("The package cannot be read (check its permissions).") from err
        if is_folder:
            self.source = _FolderSource(self.path, self.limits)
            return self.source
        assert fh is not None
        self.handle = fh
        if not zipfile.is_zipfile(fh):
            fh.close()
            if self.path.name == DESCRIPTOR:
                self.source = _FolderSource(self.path.parent, self.limits)
                return self.source
            raise PackageError("The package must be a folder or a .zip file.")
        if size > self.limits.max_package_bytes:
            fh.close()
            raise PackageError(_too_big(self.path.name, self.limits.max_package_bytes))
        members = _zip_member_count(fh)
        if members is not None and members > self.limits.max_zip_members:
            fh.close()
            raise PackageError(
                f"The .zip file holds more than {self.limits.max_zip_members} files; "
                "an HSDS package has about twenty."
            )
        try:
            fh.seek(0)
            archive = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
            fh.close()
            raise PackageError("The .zip file cannot be read.") from err
        try:
            self.source = _ZipSource(archive, self.limits)
        except BaseException:
            archive.close()
            fh.close()
            raise
        return self.source

    def __exit__(self, *exc: object) -> None:
        if self.source is not None:
            self.source.close()
        if self.handle is not None:
            self.handle.close()


class _LimitedReader(io.RawIOBase):
    """Counts bytes as they are read: a file may grow, or a zip entry lie, after it was sized."""

    def __init__(self, raw: IO[bytes], limit: int, name: str) -> None:
        self.raw, self.limit, self.name, self.count = raw, limit, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise PackageError(_too_big(self.name, self.limit))
        buffer[: len(data)] = data
        return len(data)


def _size(limit: int) -> str:
    return f"{limit // MB} MB" if limit >= MB else f"{max(1, limit // 1024)} kB"


def _too_big(name: str, limit: int) -> str:
    return f"{_shown(name)} is larger than the limit of {_size(limit)} per file."


# --- descriptor ----------------------------------------------------------------------------

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def _json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects (strings skipped): checked before parsing."""
    steps = (1 if c in "[{" else -1 for c in _BRACKETS.findall(_JSON_STRING.sub("", text)))
    return max(accumulate(steps, initial=0))


def _read_descriptor(source: _Source) -> dict[str, Any]:
    limit = source.limits.max_descriptor_bytes
    opened = source.open(DESCRIPTOR, limit)
    if opened is None:
        raise PackageError(f"This is not an HSDS data package: {DESCRIPTOR} is missing.")
    fh, _size = opened
    try:
        with fh:
            raw = fh.read(limit + 1)
        if len(raw) > limit:
            raise PackageError(_too_big(DESCRIPTOR, limit))
        text = raw.decode("utf-8-sig")
        if _json_depth(text) > source.limits.max_descriptor_depth:
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
    return _shown(clean_line(value if isinstance(value, str) else str(value or "")))


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
            ignored.append(name or _shown(relpath))
            continue
        found[table] = relpath
    return found, ignored


# --- CSV -----------------------------------------------------------------------------------


def _csv_problem(err: csv.Error) -> str:
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
    package: Package, source: _Source, table: str, relpath: str, *, unescape: bool = False
) -> RawTable:
    opened = source.open(relpath)
    if opened is None:
        return RawTable(table, relpath, [], 0, present=False)
    raw, _size = opened
    try:
        with raw:
            limited = io.BufferedReader(
                _LimitedReader(raw, source.limits.max_file_bytes, relpath), 1 << 16
            )
            text = io.TextIOWrapper(limited, encoding="utf-8-sig", errors="strict", newline="")
            return _stage_rows(
                package,
                csv.reader(text, strict=True),
                table,
                relpath,
                source.limits,
                unescape=unescape,
            )
    except UnicodeDecodeError as err:
        raise PackageError(
            f"{_shown(relpath)} is not UTF-8 text; save it as UTF-8 and retry."
        ) from err
    except csv.Error as err:
        raise PackageError(f"{_shown(relpath)} is not valid CSV ({_csv_problem(err)}).") from err
    except (OSError, zipfile.BadZipFile, EOFError, zlib.error, RuntimeError, ValueError) as err:
        raise PackageError(f"{_shown(relpath)} cannot be read.") from err


def _stage_rows(
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
        raise PackageError(
            f"{_shown(relpath)} has more than {limits.max_columns} columns; refused."
        )
    if len(set(columns)) != len(columns) or "" in columns:
        raise PackageError(f"{_shown(relpath)} has a blank or repeated column name in its header.")
    missing = [c for c in TABLES[table].required_columns if c not in columns]
    if missing:
        raise PackageError(f"{_shown(relpath)} lacks the required column(s): {', '.join(missing)}.")
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
                f"{_shown(relpath)} has more than {limit} rows, the limit for this table; refused."
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
    with filling(package), _PackageSource(Path(path), limits) as source:
        package.descriptor = _read_descriptor(source)
        paths, package.ignored_resources = _resource_paths(package.descriptor)
        unescape = legacy_escaped(package.descriptor)
        for name, relpath in paths.items():
            package.tables[name] = _stage_csv(package, source, name, relpath, unescape=unescape)
    return package


@contextlib.contextmanager
def filling(package: Package) -> Iterator[Package]:
    """While a package's scratch store is filled: on any failure it is closed (its temporary
    file removed), and a failure of the scratch store itself becomes one clear line."""
    try:
        yield package
    except sqlite3.Error as err:
        package.close()
        raise PackageError(
            "The package could not be read into temporary storage (is the disk full?)."
        ) from err
    except BaseException:
        package.close()
        raise
