"""A package read into a private scratch database: the tables, rows and limits every reader
shares (`package_reader` for HSDS 3.0, `legacy` and `oruk_json` for the older forms).

The scratch database is the reader's working area for the file being read, not the directory:
rows are streamed into it and read back in batches, so memory stays flat whatever the package
holds (DESIGN.md §9). Limits are explained in `package_reader`'s docstring.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Any

from referral_desk.domain.errors import DomainError
from referral_desk.hsds.schema import TABLES

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
# Rows per table: `package_reader`'s docstring says why these numbers.
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
