"""Read an HSDS tabular data package (a folder or a .zip) into plain rows of text.

The reader decides one thing: whether the package can be read at all. Anything that makes a
whole file untrustworthy — no `datapackage.json`, a file that is not UTF-8 or not CSV, a file
over the size limit, a required column missing from a whole table, a path that escapes the
package — raises `PackageError` and the import is refused before anything is written. Faults
in single rows are left to the importer, which quarantines them and applies the rest.

Tolerated on purpose, because real exports do it: CRLF or LF line endings, a UTF-8 byte-order
mark, a resource listed in `datapackage.json` whose file is absent (an empty table), extra
columns (kept by the importer), and the cell escape our own exporter adds against CSV
injection (a leading apostrophe before `=`, `+`, `-`, `@`), which is removed again here.

Nothing from the cells goes into error messages: they name files, columns and row numbers.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from referral_desk.domain.errors import DomainError
from referral_desk.store.hsds.schema import TABLES

DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_DESCRIPTOR_BYTES = 16 * 1024 * 1024
DESCRIPTOR = "datapackage.json"
# Characters a spreadsheet treats as the start of a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class PackageError(DomainError):
    """The package as a whole cannot be used: the import is refused and nothing is written."""


def unescape_cell(value: str) -> str:
    """Undo the exporter's formula escape: `'=X` was `=X` (and `''=X` was `'=X`)."""
    if value[:1] == "'" and value.lstrip("'")[:1] in FORMULA_TRIGGERS and value.lstrip("'"):
        return value[1:]
    return value


@dataclass
class RawRow:
    """One data row: its row number in the file (the header is row 1) and its cells."""

    number: int
    cells: dict[str, str]
    fault: str = ""  # a problem with this row only (wrong number of cells)


@dataclass
class RawTable:
    name: str
    path: str
    columns: list[str]
    rows: list[RawRow]
    present: bool = True  # False: listed in datapackage.json but the file is absent

    @property
    def extra_columns(self) -> list[str]:
        known = set(TABLES[self.name].columns) if self.name in TABLES else set()
        return [c for c in self.columns if c not in known]


@dataclass
class Package:
    descriptor: dict[str, Any]
    tables: dict[str, RawTable]
    ignored_resources: list[str] = field(default_factory=list)

    def table(self, name: str) -> RawTable:
        """The named table, or an empty one when the package does not have it."""
        found = self.tables.get(name)
        if found is not None:
            return found
        path = TABLES[name].path if name in TABLES else f"{name}.csv"
        return RawTable(name, path, [], [], present=False)


# --- sources: a folder or a zip ------------------------------------------------------------


class _Source:
    def size(self, relpath: str) -> int | None:
        raise NotImplementedError

    def open(self, relpath: str) -> IO[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        return None


class _FolderSource(_Source):
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, relpath: str) -> Path:
        return self.root.joinpath(*relpath.split("/"))

    def size(self, relpath: str) -> int | None:
        path = self._path(relpath)
        return path.stat().st_size if path.is_file() else None

    def open(self, relpath: str) -> IO[bytes]:
        return self._path(relpath).open("rb")


class _ZipSource(_Source):
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.infos = {i.filename: i for i in archive.infolist() if not i.is_dir()}
        candidates = sorted(
            (n for n in self.infos if posixpath.basename(n) == DESCRIPTOR),
            key=lambda n: (n.count("/"), n),
        )
        # The descriptor at the root, or inside the one folder a zip tool wrapped it in.
        self.prefix = posixpath.dirname(candidates[0]) + "/" if candidates else ""
        if self.prefix == "/":
            self.prefix = ""

    def size(self, relpath: str) -> int | None:
        info = self.infos.get(self.prefix + relpath)
        return info.file_size if info is not None else None

    def open(self, relpath: str) -> IO[bytes]:
        return self.archive.open(self.prefix + relpath)

    def close(self) -> None:
        self.archive.close()


@contextmanager
def _open_source(path: Path) -> Iterator[_Source]:
    if path.is_dir():
        yield _FolderSource(path)
        return
    if not path.exists():
        raise PackageError("The package was not found (give a folder or a .zip file).")
    if not zipfile.is_zipfile(path):
        if path.name == DESCRIPTOR:
            yield _FolderSource(path.parent)
            return
        raise PackageError("The package must be a folder or a .zip file.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise PackageError("The .zip file cannot be read.") from err
    source = _ZipSource(archive)
    try:
        yield source
    finally:
        source.close()


class _LimitedReader(io.RawIOBase):
    """Counts bytes as they are read: a zip entry may declare a smaller size than it has."""

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


def _too_big(name: str, limit: int) -> str:
    return f"{name} is larger than the limit of {limit // (1024 * 1024) or 1} MB per file."


# --- descriptor ----------------------------------------------------------------------------


def _safe_relpath(value: Any, resource: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PackageError(f"Resource '{resource}' in {DESCRIPTOR} has no usable path.")
    relpath = value.strip().replace("\\", "/")
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


def _read_descriptor(source: _Source) -> dict[str, Any]:
    size = source.size(DESCRIPTOR)
    if size is None:
        raise PackageError(f"This is not an HSDS data package: {DESCRIPTOR} is missing.")
    if size > MAX_DESCRIPTOR_BYTES:
        raise PackageError(_too_big(DESCRIPTOR, MAX_DESCRIPTOR_BYTES))
    try:
        with source.open(DESCRIPTOR) as fh:
            raw = fh.read(MAX_DESCRIPTOR_BYTES + 1)
        descriptor = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise PackageError(f"{DESCRIPTOR} is not UTF-8 text.") from err
    except (ValueError, OSError, zipfile.BadZipFile) as err:
        raise PackageError(f"{DESCRIPTOR} cannot be read as JSON.") from err
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise PackageError(f"{DESCRIPTOR} has no list of resources.")
    return descriptor


def _resource_paths(descriptor: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """HSDS table name -> file path; and the names of resources that are not HSDS tables."""
    found: dict[str, str] = {}
    ignored: list[str] = []
    by_file = {t.path: t.name for t in TABLES.values()}
    for index, resource in enumerate(descriptor["resources"]):
        if not isinstance(resource, dict):
            raise PackageError(f"Resource {index + 1} in {DESCRIPTOR} is not an object.")
        name = str(resource.get("name") or "").strip()
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
            ignored.append(name or relpath)
            continue
        found[table] = relpath
    return found, ignored


# --- CSV -----------------------------------------------------------------------------------


def _read_csv(source: _Source, table: str, relpath: str, max_bytes: int) -> RawTable:
    size = source.size(relpath)
    if size is None:
        return RawTable(table, relpath, [], [], present=False)
    if size > max_bytes:
        raise PackageError(_too_big(relpath, max_bytes))
    try:
        with source.open(relpath) as raw:
            limited = io.BufferedReader(_LimitedReader(raw, max_bytes, relpath), 1 << 16)
            text = io.TextIOWrapper(limited, encoding="utf-8-sig", errors="strict", newline="")
            return _parse(csv.reader(text, strict=True), table, relpath)
    except UnicodeDecodeError as err:
        raise PackageError(f"{relpath} is not UTF-8 text; save it as UTF-8 and retry.") from err
    except csv.Error as err:
        raise PackageError(f"{relpath} is not valid CSV ({_csv_problem(err)}).") from err
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise PackageError(f"{relpath} cannot be read.") from err


def _csv_problem(err: csv.Error) -> str:
    # csv's messages describe the syntax ("unexpected end of data"), never the cell contents.
    text = str(err)
    return text if len(text) < 120 and "'" not in text else "malformed quoting"


def _parse(reader: Iterator[list[str]], table: str, relpath: str) -> RawTable:
    header = next(reader, None)
    if header is None:
        return RawTable(table, relpath, [], [])
    columns = [c.strip() for c in header]
    if len(set(columns)) != len(columns) or "" in columns:
        raise PackageError(f"{relpath} has a blank or repeated column name in its header.")
    missing = [c for c in TABLES[table].required_columns if c not in columns]
    if missing:
        raise PackageError(f"{relpath} lacks the required column(s): {', '.join(missing)}.")
    width = len(columns)
    rows: list[RawRow] = []
    number = 1
    unescape = unescape_cell
    for values in reader:
        number += 1
        if not values or (len(values) == 1 and not values[0]):
            continue  # a blank line (often the last one)
        fault = ""
        if len(values) != width:
            fault = f"has {len(values)} cells where the header has {width}"
            values = (values + [""] * width)[:width]
        cells = {
            c: (unescape(v) if v[:1] == "'" else v) for c, v in zip(columns, values, strict=True)
        }
        rows.append(RawRow(number, cells, fault))
    return RawTable(table, relpath, columns, rows)


def read_package(path: Path, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Package:
    """Read every HSDS table the package lists; raise PackageError if it cannot be used."""
    with _open_source(Path(path)) as source:
        descriptor = _read_descriptor(source)
        paths, ignored = _resource_paths(descriptor)
        tables = {
            name: _read_csv(source, name, relpath, max_file_bytes)
            for name, relpath in paths.items()
        }
    return Package(descriptor, tables, ignored)
