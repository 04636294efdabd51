"""Rows of HSDS 3.0 tables produced by a translation (an older package, an ORUK JSON file).

The importer takes HSDS 3.0 rows from a `Package` (`package_reader`). A package in another
form is translated row by row into 3.0 rows, which are kept here, in the package's own scratch
database (`s_<table>`, one JSON array per row, so no cell can break the packing), and then
staged exactly as a 3.0 CSV would be (`package_reader.stage_rows`): the same limits, the same
control-character cleaning, the same row numbers for the preview. Memory stays flat: nothing
holds a whole table.

Ids that are not UUIDs (HSDS 1.x/2.0 and many ORUK feeds use numbers or slugs) become stable
UUIDs: uuid5 of the publisher, the table and the id, so a re-import of the same publisher's
next package updates the same records. The id as the publisher wrote it is kept in an
`original_id` column of organisations, locations and services (the importer keeps columns it
does not map in the record's `extra`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from referral_desk.hsds.package import Limits, Package, RawTable, normal_id
from referral_desk.hsds.package_reader import stage_rows
from referral_desk.hsds.schema import TABLES

# A fixed namespace of our own: the same publisher and id give the same UUID everywhere.
NAMESPACE = uuid.UUID("6f1c8a52-3d0e-5b7a-9c41-2e8f0d7b6a13")
ORIGINAL_ID = "original_id"
RECORDS = ("organization", "location", "service")
_UUID_LEN = 36
BATCH = 2000  # rows per insert


@lru_cache(maxsize=65536)  # links repeat ids: an organisation's, a location's, a term's
def stable_uuid(publisher: str, table: str, value: str) -> str:
    """The UUID for `value` of `table`: itself when it is one, else uuid5 (publisher, table, id)."""
    value = normal_id(value)
    if not value:
        return ""
    if len(value) == _UUID_LEN:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    return str(uuid.uuid5(NAMESPACE, f"{publisher}\x00{table}\x00{value}"))


class Staged:
    """3.0 rows collected table by table, then staged into the package as if read from CSV."""

    def __init__(self, package: Package, publisher: str) -> None:
        self.package = package
        self.publisher = publisher
        self.paths: dict[str, str] = {}  # 3.0 table -> the file (or JSON part) rows came from
        self.counts: dict[str, int] = {}
        self._originals: set[str] = set()  # record tables where an id was not a UUID
        self._pending: dict[str, list[tuple[str]]] = {}  # rows not yet inserted, per table

    def id(self, table: str, value: Any) -> str:
        return stable_uuid(self.publisher, table, _text(value))

    def add(self, table: str, cells: dict[str, Any], source: str) -> None:
        """One 3.0 row of `table` (missing columns blank); `id` and links already mapped."""
        if table not in self.counts:
            self.package.db.execute(f"CREATE TABLE s_{table} (num INTEGER PRIMARY KEY, cells TEXT)")
            self.counts[table] = 0
            self.paths[table] = source
        elif source not in self.paths[table].split(" + "):
            self.paths[table] += f" + {source}"
        row = [_text(cells.get(c, "")) for c in TABLES[table].columns]
        if table in RECORDS:
            original = _text(cells.get(ORIGINAL_ID, ""))
            if original:
                self._originals.add(table)
            row.append(original)
        self.counts[table] += 1
        pending = self._pending.setdefault(table, [])
        pending.append((json.dumps(row),))
        if len(pending) >= BATCH:
            self._flush(table)

    def _flush(self, table: str) -> None:
        pending = self._pending.pop(table, [])
        if pending:
            self.package.db.executemany(f"INSERT INTO s_{table} (cells) VALUES (?)", pending)

    def finish(self, limits: Limits) -> None:
        """Stage every collected table into the package (`r_<table>`), then drop the copies."""
        for table in list(self.counts):
            self._flush(table)
            self.package.tables[table] = self._stage(table, limits)
            self.package.db.execute(f"DROP TABLE s_{table}")

    def _stage(self, table: str, limits: Limits) -> RawTable:
        columns = list(TABLES[table].columns)
        keep_original = table in self._originals
        if keep_original:
            columns.append(ORIGINAL_ID)
        width = len(columns)

        def rows() -> Iterator[list[str]]:
            yield columns
            last = 0
            while True:
                batch = self.package.db.execute(
                    f"SELECT num, cells FROM s_{table} WHERE num > ? ORDER BY num LIMIT 2000",
                    (last,),
                ).fetchall()
                if not batch:
                    return
                last = batch[-1][0]
                for _num, cells in batch:
                    yield json.loads(cells)[:width]

        raw = stage_rows(self.package, rows(), table, self.paths[table], limits)
        return raw


def _text(value: Any) -> str:
    """A JSON or CSV value as the text of a cell (numbers as written, booleans as HSDS does)."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return ""
