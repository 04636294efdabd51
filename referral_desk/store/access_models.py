"""The access log: who opened which person's record, and when (reads, not only writes).

An information-governance lead must be able to answer "who has looked at this person?"
(UK GDPR Art. 5(2), accountability), so opening a person in the client, `show person`, printing
a slip or form and a subject access export each leave a row. Rows are insert-only and synced
like any record, so a manager sees opens made on every PC of the team. They point at the person
through a foreign key, so the ownership graph (`store.ownership`) erases them with the person.

They never reach reports or the hub return: those read their own tables only, and a test keeps
it so.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from referral_desk.store.model_base import SyncedBase

# What the officer did with the record: opened it in the client, `show person` at the command
# line, printed a slip or a provider form, exported everything held (subject access).
ACCESS_KINDS = ("open", "show", "slip", "form", "export")


class RecordAccess(SyncedBase):
    """One officer opened one person's record (de-duplicated: see `usecases.access_log`)."""

    __tablename__ = "record_access"
    __table_args__ = (Index("ix_record_access_person_officer", "person_id", "officer_id", "at"),)

    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    officer_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(20), default="open")
