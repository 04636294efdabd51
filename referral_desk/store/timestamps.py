"""One text form for every stored date and time (issue 11, point 13).

The same value must be the same bytes at every site. DateTime columns are written by
SQLAlchemy's SQLite type as `YYYY-MM-DD HH:MM:SS.ffffff`; change-log values used to be
`datetime.isoformat()`, with a `T` and no fraction at all when the microseconds happen to be
zero. So one timestamp read `…T16:21:00` in one place and `… 16:21:00.000000` in another, and
databases written by older versions (raw inserts) held `… 16:21:00` too.

The canonical form is SQLAlchemy's: **`YYYY-MM-DD HH:MM:SS.ffffff`**, always 26 characters,
always with microseconds, so texts sort like the times they name and compare equal exactly
when the times do. It is used

- in every DateTime column: SQLAlchemy's SQLite type writes this form on the ORM path and on
  sync's raw inserts, which go through the same bind processors (a test pins the format);
- in every change-log value of a DateTime field (`changelog.encode_value`, the bulk loader's
  encoder), and for entries arriving from older versions (`sync.quarantine.validate` rewrites
  their text to this form before they are stored or relayed);
- by migration 0006, which rewrote the values already stored.

Stored times are naive: bookkeeping stamps are UTC, `appointment_at` is the officer's wall
time. A time-zone offset, should one slip in, is dropped exactly as the column type drops it,
so the column and the change log still agree.
"""

from __future__ import annotations

from datetime import date, datetime

LENGTH = 26
# What SQLAlchemy's SQLite DateTime type writes (its default storage format).
SQLALCHEMY_FORMAT = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)


def timestamp_text(value: datetime | date) -> str:
    """The canonical text of a date and time (a bare date means its midnight)."""
    if isinstance(value, datetime):
        return (
            f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
        )
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d} 00:00:00.000000"


def is_canonical(text: str) -> bool:
    """Cheap shape check (no parsing): 26 characters, a space, a dot where they belong."""
    return len(text) == LENGTH and text[10] == " " and text[19] == "."


def canonical_text(text: str) -> str:
    """Any ISO 8601 date or date-and-time text in the canonical form; ValueError otherwise."""
    return timestamp_text(datetime.fromisoformat(text.strip()))


__all__ = ["LENGTH", "SQLALCHEMY_FORMAT", "canonical_text", "is_canonical", "timestamp_text"]
