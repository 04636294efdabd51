"""The change log read as per-field entries: the `change_entry` view.

The log is stored one row per record write (`store.changelog_rows`); sync's unit is still the
field entry, and reports, repairs and tests that ask "which entries does the log hold for this
record?" read them here, one row per entry, exactly as they were written. Read-only: writes go
through `store.changelog_rows`. It is mapped on a metadata of its own, so the schema (built by
the migrations, compared with `Base.metadata`) has no table of this name.
"""

from __future__ import annotations

from sqlalchemy import Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class _View(DeclarativeBase):
    metadata = MetaData()


class ChangeEntry(_View):
    """One field write as the view gives it (DESIGN.md §6)."""

    __tablename__ = "change_entry"

    site_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(Text)  # JSON text
    hlc: Mapped[int] = mapped_column(Integer)
    tombstone: Mapped[int] = mapped_column(Integer)


__all__ = ["ChangeEntry"]
