"""Synced tables of the directory keeper's tools (DESIGN.md §2, §3).

`DirectoryCorrection` is how an officer who finds a directory entry wrong tells the person who
can fix it: the report is an ordinary synced record, so it travels to the directory keeper in the
next sync bundle and comes back resolved the same way. Field-level last-writer-wins is enough:
the reporter writes the report fields, the keeper writes the resolution fields.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from referral_desk.store.model_base import SyncedBase

CORRECTION_STATUSES = ("open", "accepted", "dismissed")


class DirectoryCorrection(SyncedBase):
    """An officer says "this entry is wrong"; the keeper accepts or dismisses it."""

    __tablename__ = "directory_correction"
    __table_args__ = (Index("ix_directory_correction_status", "status", "reported_on"),)
    # Free text may mention a named provider worker; blank it when the report is erased.
    __personal__ = frozenset({"text", "resolution_note"})

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    reported_by_officer_id: Mapped[str | None] = mapped_column(String(36))
    reported_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    resolved_by: Mapped[str | None] = mapped_column(String(36))  # officer id
    resolved_on: Mapped[date | None] = mapped_column(Date)
    resolution_note: Mapped[str] = mapped_column(Text, default="")
