"""The change log's table, beside the code that writes it (`store.changelog`).

One row per field write, from this site and every other: the unit of sync (DESIGN.md §6). It is
most of a team database's size, which is why it has a module of its own: the compact log that
replaces it (docs/change-log.md) changes this table and its readers, not the record models.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from referral_desk.store.models import Base


class ChangeEntry(Base):
    """One field write: the unit of sync (DESIGN.md §6). Entries from other sites are kept too."""

    __tablename__ = "change_entry"
    __table_args__ = (Index("ix_change_entry_record", "table_name", "record_id", "field"),)

    site_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(Text)  # JSON text
    hlc: Mapped[int] = mapped_column(Integer)
    tombstone: Mapped[bool] = mapped_column(Boolean, default=False)


__all__ = ["ChangeEntry"]
