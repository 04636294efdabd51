"""What follows from the rows a merge wrote (`sync.merge`): erasure reaching everything that
belongs to a deleted record, the status caches recomputed from their insert-only history, and
records left waiting in `sync_pending`."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from referral_desk.store.changelog import log_tombstones
from referral_desk.store.changelog_rows import LogNames, entries_of_records
from referral_desk.store.erasure import erase_rows
from referral_desk.store.models import SiteState
from referral_desk.store.ownership import links_from, tombstoned, waiting_dependents
from referral_desk.store.sync_models import SyncPending
from referral_desk.sync.merge_rules import (
    CATEGORY,
    PARENT_FIELD,
    STATUS_CACHES,
    MergeStats,
    chunks,
    pending_reason,
    table_of,
)
from referral_desk.sync.state import merge_knowledge, version_vector


class Consequences:
    """Erasure cascade, status caches and pending records, as a base of `Merger`."""

    s: Session
    conn: Any
    names: LogNames
    now: datetime
    now_ms: int
    stats: MergeStats
    descend: bool
    _pending: dict[tuple[str, str], str]
    _deleted: dict[str, set[str]]
    _written_live: dict[str, set[str]]
    _erased: list[tuple[str, str]]
    _exists: dict[str, set[str]]
    _status_touch: dict[str, set[str]]

    # -- erasure reaches what belongs to a deleted record -------------------------------

    def _cascade(self, table: str) -> None:
        """Erase the live rows of `table` that belong to a deleted record (`store.ownership`):
        rows written by this merge whose owner is deleted here (a need a colleague logged for
        a person deleted here meanwhile), and live rows of owners deleted by this merge (the
        person's tombstone arrived). Owners' tables come first in `table_order`, so erasure
        runs down the graph in one pass; it needs nothing but the rows, so it works the same
        when a large import is merged batch by batch."""
        links = links_from(table)
        if not links:
            return
        t = table_of(table)
        doomed: set[str] = set()
        written = sorted(self._written_live.get(table, ()))
        for link in links:
            col = t.c[link.column]
            owner = table_of(link.owner)
            for chunk in chunks(written):
                doomed.update(
                    self.s.scalars(
                        select(t.c.id)
                        .join(owner, owner.c.id == col)
                        .where(
                            t.c.id.in_(chunk),
                            t.c.deleted_at.is_(None),
                            owner.c.deleted_at.is_not(None),
                        )
                    )
                )
            if not self.descend:
                continue
            for chunk in chunks(sorted(self._deleted.get(link.owner, ()))):
                doomed.update(
                    self.s.scalars(select(t.c.id).where(col.in_(chunk), t.c.deleted_at.is_(None)))
                )
        if doomed:
            self._erase_rows(table, sorted(doomed))

    def _erase_rows(self, table: str, ids: list[str]) -> None:
        """What a local delete does to a row: personal fields blank, `deleted_at` set. Its
        tombstone entry is logged once all tables are merged (`_log_erased`)."""
        erase_rows(self.s, table, ids, self.now)
        category = CATEGORY.get(table, "other")
        for rid in ids:
            self._erased.append((table, rid))
            self._deleted[table].add(rid)
            self._written_live[table].discard(rid)
            self._exists[table].add(rid)
            if table not in PARENT_FIELD:  # history rows: their need or referral is counted
                self.stats.changed[category].add(rid)
        self.stats.deleted += len(ids)

    def _cascade_waiting(self) -> None:
        """Records still waiting for a parent (no row yet) are erased too when they belong to
        a deleted record, so their text does not wait in the log for the other parent; and
        waiting records that arrived deleted have their log entries scrubbed like any other."""
        waiting: dict[str, list[str]] = defaultdict(list)
        for table, rid in self._pending:
            waiting[table].append(rid)
        if not waiting:
            return
        for table, ids in waiting.items():
            self._deleted[table].update(tombstoned(self.s, table, ids))
        found = waiting_dependents(self.s, list(self._pending), self._deleted)
        for table, ids in found.items():
            done = tombstoned(self.s, table, ids)
            fresh = [(table, rid) for rid in sorted(ids) if rid not in done]
            self._erased.extend(fresh)
            self.stats.deleted += len(fresh)
            self._deleted[table].update(ids)

    def _log_erased(self, newest: int) -> None:
        """Tombstones for what this merge erased, as this site's own changes: they travel, so
        a site that has not seen the owner's delete erases them too. Two sites erasing the same
        record both log one; any tombstone wins and the latest one gives `deleted_at`, so they
        still converge. A knowledge checkpoint first records that these were written after
        seeing everything imported here."""
        if not self._erased:
            return
        state = self.s.get(SiteState, 1)
        if state is None:  # pragma: no cover - every database has one
            raise RuntimeError("site_state row missing: database was not initialised")
        merge_knowledge(self.s, [(state.site_id, state.next_seq - 1, version_vector(self.s))])
        log_tombstones(
            self.s,
            self._erased,
            self.now,
            reason="sync: erased with the record it belongs to",
            after_hlc=newest,
            now_ms=lambda: self.now_ms,
        )

    # -- after all tables ----------------------------------------------------------------

    def _recompute_status(self) -> None:
        for table, history, link, default in STATUS_CACHES:
            ids = sorted(
                self._status_touch.get(table, set()) | self._status_touch.get(history, set())
            )
            for chunk in chunks(ids):
                self._recompute_chunk(table, history, link, default, list(chunk))

    def _recompute_chunk(
        self, table: str, history: str, link: str, default: str, ids: list[str]
    ) -> None:
        marks = ",".join("?" * len(ids))
        rows = self.conn.exec_driver_sql(
            f"SELECT h.{link}, h.to_status, h.id FROM {history} h WHERE h.{link} IN ({marks})",
            tuple(ids),
        ).all()
        # The newest `to_status` entry of each history row: (stamp, site).
        stamps: dict[str, tuple[int, str]] = {}
        for site, _seq, _t, hid, _f, _v, hlc, _tomb in entries_of_records(
            self.conn, history, [r[2] for r in rows], ("to_status",), self.names
        ):
            if (hlc, site) > stamps.get(hid, (0, "")):
                stamps[hid] = (hlc, site)
        latest: dict[str, tuple[int, str, str, str]] = {}
        for owner, status, hid in rows:
            stamp, site = stamps.get(hid, (0, ""))
            key = (stamp, site, hid, status)
            if owner not in latest or key > latest[owner]:
                latest[owner] = key
        t = table_of(table)
        current = dict(self.s.execute(select(t.c.id, t.c.status).where(t.c.id.in_(ids))).all())
        changes = []
        for rid, status in current.items():
            want = latest[rid][3] if rid in latest else default
            if status != want:
                changes.append({"_id": rid, "status": want})
        if changes:
            self.s.execute(
                t.update().where(t.c.id == bindparam("_id")).values(status=bindparam("status")),
                changes,
            )

    def _save_pending(self, touched: dict[str, set[str]]) -> None:
        """Records merged here that now wait leave a row in `sync_pending`; those that waited
        and could be written lose theirs."""
        table = SyncPending.__table__
        old: set[tuple[str, str]] = set()
        for name, ids in touched.items():
            for chunk in chunks(sorted(ids)):
                old.update(
                    (name, r)
                    for r in self.s.scalars(
                        select(table.c.record_id).where(
                            table.c.table_name == name, table.c.record_id.in_(chunk)
                        )
                    )
                )
        resolved = [{"t": t, "r": r} for t, r in old if (t, r) not in self._pending]
        if resolved:
            self.s.execute(
                table.delete().where(
                    (table.c.table_name == bindparam("t")) & (table.c.record_id == bindparam("r"))
                ),
                resolved,
            )
        fresh = [
            {"table_name": t, "record_id": r, "reason": why, "since": self.now}
            for (t, r), why in self._pending.items()
            if (t, r) not in old
        ]
        if fresh:
            self.s.execute(table.insert(), fresh)
        self.stats.pending = len(self._pending)
        reasons: dict[str, int] = defaultdict(int)
        for why in self._pending.values():
            reasons[pending_reason(why)] += 1
        self.stats.pending_reasons = dict(sorted(reasons.items()))


__all__ = ["Consequences"]
