"""Local bookkeeping tables of the sync engine (DESIGN.md §6). None of them is synced itself.

- `sync_bundle_seen`: bundles already imported, so a re-import is recognised and changes nothing.
- `sync_conflict`: concurrent edits of one field (and changes stamped far in the future) kept
  for the user to review; the deterministic winner is applied meanwhile.
- `sync_quarantine`: incoming change entries that failed validation, kept verbatim so they are
  relayed onward and retried after an upgrade (skipping one never breaks convergence).
- `sync_pending`: records whose entries are known but that cannot be written yet (a parent
  record or a required field has not arrived); retried on every import.
- `sync_knowledge`: "when site S wrote its entries after seq N it had seen vector V" checkpoints,
  relayed between sites, to tell concurrent edits from ones made after seeing the other.
- `sync_site` (`store.changelog_sites`): the sites seen, and which seqs of each are held.
- `sync_export_state`: per shared store, which entries the store is known to hold already.
- `sync_import_journal`, `sync_import_staged`, `sync_import_knowledge`: an import in progress.
  Incoming entries are staged here first (invisible to the app) while the file is read and
  checked, then applied in batches; a large import commits batch by batch, the journal row
  saying how far it got, so an import cut short is finished (rolled forward) from the staged
  entries the next time — never left half-applied.

`scrub_erased_entries` lives here (not in `sync`) so that the store layer's own delete path can
call it too: erasure must also reach old values kept in the change log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from referral_desk.store.changelog import utcnow
from referral_desk.store.changelog_edits import rewrite_values
from referral_desk.store.changelog_sites import SyncSite  # noqa: F401 - on Base.metadata too
from referral_desk.store.models import SYNCED_MODELS, Base, SyncedBase


class SyncBundleSeen(Base):
    __tablename__ = "sync_bundle_seen"

    bundle_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[str] = mapped_column(String(36))
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    file_name: Mapped[str] = mapped_column(String(200), default="")
    file_size: Mapped[int] = mapped_column(Integer, default=0)


class SyncConflict(Base):
    """One field written twice concurrently (kind "concurrent"), or overwritten by a change
    stamped more than a day ahead of this PC's clock (kind "clock"). Values are JSON text."""

    __tablename__ = "sync_conflict"
    __table_args__ = (
        Index("ix_sync_conflict_record", "table_name", "record_id", "field"),
        Index("ix_sync_conflict_resolved_at", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20), default="concurrent")
    table_name: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(60))
    local_value: Mapped[str | None] = mapped_column(Text)
    local_site: Mapped[str | None] = mapped_column(String(36))
    local_hlc: Mapped[int | None] = mapped_column(Integer)
    remote_value: Mapped[str] = mapped_column(Text)
    remote_site: Mapped[str] = mapped_column(String(36))
    remote_hlc: Mapped[int] = mapped_column(Integer)
    winner: Mapped[str] = mapped_column(String(10))  # local | remote
    detected_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    kept: Mapped[str] = mapped_column(String(20), default="")


class SyncQuarantine(Base):
    """An incoming entry that failed validation, kept verbatim (`raw` is its JSON list)."""

    __tablename__ = "sync_quarantine"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(Text, default="")
    record_id: Mapped[str] = mapped_column(Text, default="")
    field: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    first_seen_at: Mapped[datetime] = mapped_column(DateTime)
    last_tried_at: Mapped[datetime] = mapped_column(DateTime)
    tries: Mapped[int] = mapped_column(Integer, default=1)


class SyncPending(Base):
    """A record known from the change log that could not be written yet, and why."""

    __tablename__ = "sync_pending"

    table_name: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))
    since: Mapped[datetime] = mapped_column(DateTime)


class SyncKnowledge(Base):
    """Site `site_id` wrote its entries with seq > `after_seq` having seen `vector` (JSON)."""

    __tablename__ = "sync_knowledge"
    __table_args__ = (UniqueConstraint("site_id", "after_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(36))
    after_seq: Mapped[int] = mapped_column(Integer)
    vector: Mapped[str] = mapped_column(Text)


class SyncExportState(Base):
    """What one shared store is known to hold: `known` is {site: [[lo, hi], ...]} (JSON)."""

    __tablename__ = "sync_export_state"

    store_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    known: Mapped[str] = mapped_column(Text, default="{}")
    knowledge_id: Mapped[int] = mapped_column(Integer, default=0)
    exports: Mapped[int] = mapped_column(Integer, default=0)
    last_export_at: Mapped[datetime | None] = mapped_column(DateTime)


class SyncImportJournal(Base):
    """The import in progress (at most one row). `state` is "staging" (the files are being
    read: discarded if cut short) or "applying" (they were all read and checked: finished if
    cut short). `bundles` (JSON) lists the files; `position` (JSON) how far applying got;
    `totals` (JSON) the counts so far."""

    __tablename__ = "sync_import_journal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    store_id: Mapped[str | None] = mapped_column(String(36))
    bundles: Mapped[str] = mapped_column(Text, default="[]")
    position: Mapped[str] = mapped_column(Text, default="{}")
    totals: Mapped[str] = mapped_column(Text, default="{}")


class SyncImportStaged(Base):
    """One incoming entry, staged. `bundle_no` is the file it came from (1-based, in the
    journal's list); `released` marks an entry let out of quarantine by this import. An entry
    not in the usual shape is kept whole in `raw` (JSON) and quarantined when applied.

    Rows are kept in (table, record) order (the key, without a rowid) because they are applied
    a range of records at a time; the same entry from two files is staged once."""

    __tablename__ = "sync_import_staged"
    __table_args__ = ({"sqlite_with_rowid": False},)

    table_name: Mapped[str] = mapped_column(Text, primary_key=True)
    record_id: Mapped[str] = mapped_column(Text, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_no: Mapped[int] = mapped_column(Integer)
    released: Mapped[int] = mapped_column(Integer, default=0)
    field: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    hlc: Mapped[int | None] = mapped_column(Integer)
    tombstone: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[str | None] = mapped_column(Text)


class SyncImportKnowledge(Base):
    """A knowledge checkpoint read from an incoming file, staged like its entries."""

    __tablename__ = "sync_import_knowledge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bundle_no: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[str] = mapped_column(String(36))
    after_seq: Mapped[int] = mapped_column(Integer)
    vector: Mapped[str] = mapped_column(Text)


def synced_models() -> dict[str, type[SyncedBase]]:
    """Every synced table: `SYNCED_MODELS` plus any `SyncedBase` model defined in another
    store module (all of them write change entries, so sync must carry all of them)."""
    found = dict(SYNCED_MODELS)
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, SyncedBase) and isinstance(getattr(cls, "__tablename__", None), str):
            found.setdefault(cls.__tablename__, cls)
    return found


def models_version() -> int:
    """Changes when a model module is imported; caches of table facts compare it. Cheap (it
    is asked once per incoming entry): the number of tables, not a walk over the mappers."""
    return len(Base.metadata.tables)


def blank_value(model: type, field: str) -> object:
    """What erasure leaves in a personal field: None where allowed, else an empty string."""
    col = inspect(model).columns[field]
    return None if col.nullable else ""


def scrub_erased_entries(session: Session, table_name: str, record_ids: Iterable[str]) -> int:
    """Blank the personal values kept in the change log, quarantine and conflict list for
    deleted records, so erasure also reaches history (and is what gets relayed onward).

    Returns the number of change-log values rewritten.
    """
    model = synced_models().get(table_name)
    ids = list(dict.fromkeys(record_ids))
    if model is None or not model.__personal__ or not ids:
        return 0
    blanks = {f: json.dumps(blank_value(model, f)) for f in sorted(model.__personal__)}
    rewritten = rewrite_values(session, table_name, ids, blanks)
    now = utcnow()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conflicts = SyncConflict.__table__
        has_conflicts = session.execute(
            select(conflicts.c.id)
            .where(conflicts.c.table_name == table_name, conflicts.c.record_id.in_(chunk))
            .limit(1)
        ).first()
        if has_conflicts:
            session.execute(
                update(SyncConflict)
                .where(
                    SyncConflict.table_name == table_name,
                    SyncConflict.record_id.in_(chunk),
                    SyncConflict.resolved_at.is_(None),
                )
                .values(resolved_at=now, kept="deleted")
            )
            blank_c = case(blanks, value=SyncConflict.field, else_=None)
            session.execute(
                update(SyncConflict)
                .where(
                    SyncConflict.table_name == table_name,
                    SyncConflict.record_id.in_(chunk),
                    SyncConflict.field.in_(list(blanks)),
                )
                .values(local_value=blank_c, remote_value=blank_c)
            )
        _scrub_quarantine(session, table_name, chunk, blanks)
    return rewritten


def _scrub_quarantine(
    session: Session, table_name: str, ids: list[str], blanks: dict[str, str]
) -> None:
    quarantined = session.execute(
        select(
            SyncQuarantine.site_id, SyncQuarantine.seq, SyncQuarantine.field, SyncQuarantine.raw
        ).where(
            SyncQuarantine.table_name == table_name,
            SyncQuarantine.record_id.in_(ids),
            SyncQuarantine.field.in_(list(blanks)),
        )
    ).all()
    for site, seq, field, raw_text in quarantined:
        try:
            raw = json.loads(raw_text)
            raw[5] = blanks[field]
            new_raw = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
        except (ValueError, TypeError, IndexError, KeyError):
            new_raw = "[]"
        session.execute(
            update(SyncQuarantine)
            .where(SyncQuarantine.site_id == site, SyncQuarantine.seq == seq)
            .values(raw=new_raw)
        )
