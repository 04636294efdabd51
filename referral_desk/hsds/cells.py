"""The cells of HSDS rows as our fields read them, and the names both directions share.

`FILLER` is what the exporter writes where HSDS requires a value we do not have; the importer
reads it back as blank (`unfill`), so exports validate and round trips stay exact. The
`EXTRA_*` keys name where a record's `extra` keeps what we do not map (`mapping`).
"""

from __future__ import annotations

import re
from datetime import date

from referral_desk.hsds.schema import TABLES

FILLER = "Not recorded"
EXTRA_COLUMNS = "hsds_columns"
EXTRA_ROWS = "hsds_rows"
EXTRA_AREAS = "hsds_area_columns"
HSDS_EXTRA_KEYS = (EXTRA_COLUMNS, EXTRA_ROWS, EXTRA_AREAS)
# Keys of a stored attribute row that carry its term and taxonomy, not columns.
TERM_KEY = "_terms"
TAXONOMY_KEY = "_taxonomies"

Row = dict[str, str]

# The HSDS tables of the records we import (the rest are their children).
SERVICE = "service"
ORGANIZATION = "organization"
LOCATION = "location"

# --- values --------------------------------------------------------------------------------


def blank_row(table: str) -> Row:
    return dict.fromkeys(TABLES[table].columns, "")


_COLUMN_SETS = {name: frozenset(t.columns) for name, t in TABLES.items()}


def canonical(table: str, cells: dict[str, str]) -> Row:
    """A row as stored and compared: every standard column, then non-blank extra columns.

    Rows read from a file with exactly the standard header are already canonical and are
    returned as they are (the common case, and the importer's hot path).
    """
    if cells.keys() == _COLUMN_SETS[table]:
        return cells
    row = {c: cells.get(c, "") for c in TABLES[table].columns}
    for key, value in cells.items():
        if key not in row and value != "":
            row[key] = value
    return row


def fill(text: str) -> str:
    return text if text.strip() else FILLER


def unfill(text: str) -> str:
    text = (text or "").strip()
    return "" if text == FILLER else text


def fmt_number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def parse_float(text: str) -> float | None:
    """A number cell; ValueError when it is not one."""
    text = (text or "").strip()
    if not text:
        return None
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return value


def parse_whole(text: str) -> int | None:
    value = parse_float(text)
    if value is None:
        return None
    if not value.is_integer():
        raise ValueError("not a whole number")
    return int(value)


def parse_day(text: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    return date.fromisoformat(text[:10])


def clean_phone(text: str) -> str:
    """Some publishers wrap numbers in quotes to stop spreadsheets eating the '+'."""
    value = (text or "").strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].strip()
    return value


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def looks_like_email(text: str) -> bool:
    return bool(_EMAIL.fullmatch(text or ""))


def leftover(cells: dict[str, str], mapped: frozenset[str], defaults: Row | None = None) -> Row:
    """Columns of a record's own row that we do not map: kept in `extra["hsds_columns"]`."""
    defaults = defaults or {}
    return {k: v for k, v in cells.items() if k not in mapped and v != "" and defaults.get(k) != v}


def new_row(table: str, **values: str) -> Row:
    """A row of `table` with every standard column, these values set."""
    row = blank_row(table)
    row.update(values)
    return row
