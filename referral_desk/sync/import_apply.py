"""Phase 2 of a sync import: apply what was staged (see `sync.importer`).

Staged knowledge is merged and quarantined entries retried, then the staged entries are
applied table by table, parents first, in batches of records, saving in the journal how far
it got after each batch (so a killed import is finished from there). Records still waiting
for a parent are retried once at the end.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from referral_desk.domain.hlc import HybridClock
from referral_desk.store.erasure import erase_orphans
from referral_desk.store.models import SiteState
from referral_desk.store.sync_models import (
    SyncBundleSeen,
    SyncImportJournal,
    SyncImportKnowledge,
    SyncImportStaged,
    SyncPending,
)
from referral_desk.store.trust import GRANT_TABLE, GUARDED, RUN_TABLE, TRUST_TABLES
from referral_desk.sync.import_results import ImportSummary, RefusedFile, StagedFile, Totals
from referral_desk.sync.import_rows import (
    COLS,
    NEW,
    RELEASE_SQL,
    cursor_of,
    encodable,
    log_entries,
    quarantine_reasons,
    storable_text,
    unheld,
)
from referral_desk.sync.import_steps import Steps
from referral_desk.sync.merge import apply_entries, pending_reason, table_order
from referral_desk.sync.outgoing import Runs
from referral_desk.sync.quarantine import ValidEntry, quarantine, retry_some, validate
from referral_desk.sync.state import (
    load_export_state,
    load_knowledge,
    merge_knowledge,
    merge_runs,
    raw_rows,
    save_export_state,
    version_vector,
)
from referral_desk.sync.trust import Gate

BATCH_ENTRIES = 5_000  # entries given to one Merger (about; a record is never split)
BATCH_RECORDS = 2_000  # records looked at to cut one batch
STEP = 5_000  # rows per step of the other passes


class Applier:
    """The apply phase, as a base of `Importer` (which sets the attributes below)."""

    dry_run: bool
    store_id: str | None
    _gate: Gate
    _new: str  # the SQL condition "staged entry from another site" (then `unheld`)
    _now: Callable[[], datetime]
    _now_ms: Callable[[], int]

    def _apply(
        self,
        steps: Steps,
        staged: list[StagedFile],
        totals: Totals,
        position: dict[str, Any],
        already: int,
        refused: list[RefusedFile],
    ) -> ImportSummary:
        session = steps.session()
        state = session.get(SiteState, 1)
        assert state is not None
        local = state.site_id
        if position.get("step") in (None, "knowledge"):
            self._merge_knowledge(steps)
            self._release_quarantined(steps, totals)
            position = {"step": "tables", "table": 0, "after": None}
            self._save(steps, position, totals)
        knowledge = load_knowledge(steps.session())
        # Signed statements first (signature runs, then role grants): what they say decides
        # which directory changes of the same import may apply.
        order = (RUN_TABLE, GRANT_TABLE, *table_order())
        self._new = NEW
        if position["step"] == "tables":
            for i in range(int(position["table"]), len(order)):
                after = position["after"] if i == position["table"] else None
                for hi in self._apply_table(steps, order[i], after, local, knowledge, totals):
                    position = {"step": "tables", "table": i, "after": hi}
                    self._save(steps, position, totals)
                    steps.step_done()
            position = {"step": "unknown", "after": None}
            self._save(steps, position, totals)
        if position["step"] == "unknown":
            self._quarantine_unknown(steps, order, local, totals, position)
            position = {"step": "pending", "table": 0, "after": None}
            self._save(steps, position, totals)
        if position["step"] == "pending":
            self._retry_pending(steps, order, knowledge, totals, position)
        return self._finish(steps, staged, totals, already, refused)

    def _save(self, steps: Steps, position: dict[str, Any], totals: Totals) -> None:
        if self.dry_run:
            return
        steps.session().execute(
            SyncImportJournal.__table__.update()
            .where(SyncImportJournal.id == 1)
            .values(position=json.dumps(position), totals=totals.to_json())
        )

    def _merge_knowledge(self, steps: Steps) -> None:
        after = 0
        while True:
            rows = raw_rows(
                steps.session(),
                "SELECT id, site_id, after_seq, vector FROM "
                "sync_import_knowledge WHERE id > ? ORDER BY id LIMIT ?",
                (after, STEP),
            )
            if not rows:
                return
            merge_knowledge(steps.session(), [(s, a, json.loads(v)) for _i, s, a, v in rows])
            after = rows[-1][0]

    def _release_quarantined(self, steps: Steps, totals: Totals) -> None:
        """Quarantined entries that now pass join the staged ones (to be applied with them)."""
        after: tuple[str, int] | None = None
        while True:
            session = steps.session()
            passed, still, after = retry_some(session, after, STEP)
            if after is None:
                return
            totals.still += still
            totals.released += len(passed)
            if passed:
                cursor = cursor_of(session)
                try:
                    rows = [(*e[:7], int(e[7])) for e in passed]
                    cursor.executemany(RELEASE_SQL, rows)
                finally:
                    cursor.close()

    def _batches(
        self, session: Session, table: str, after: str | None
    ) -> tuple[str | None, str | None]:
        """The next range of records (after `after`, up to the returned high id) holding about
        BATCH_ENTRIES staged entries, or (None, None) when the table is done."""
        op, start = (">", after) if after is not None else (">=", "")
        rows = raw_rows(
            session,
            f"SELECT record_id, COUNT(*) FROM sync_import_staged WHERE table_name = ? "
            f"AND record_id {op} ? GROUP BY record_id ORDER BY record_id LIMIT ?",
            (table, start, BATCH_RECORDS),
        )
        if not rows:
            return None, None
        total = 0
        for rid, count in rows:
            total += count
            if total >= BATCH_ENTRIES:
                return start, rid
        return start, rows[-1][0]

    def _apply_table(
        self,
        steps: Steps,
        table: str,
        after: str | None,
        local: str,
        knowledge: Any,
        totals: Totals,
    ) -> Iterator[str]:
        while True:
            session = steps.session()
            start, hi = self._batches(session, table, after)
            if hi is None:
                return
            op = ">" if after is not None else ">="
            rows = raw_rows(
                session,
                f"SELECT {COLS} FROM sync_import_staged s WHERE s.table_name = ? AND "
                f"s.record_id {op} ? AND s.record_id <= ? AND {self._new}",
                (table, start, hi, local),
            )
            self._apply_rows(session, unheld(session, rows), knowledge, totals, retry=())
            after = hi
            yield hi

    def _apply_rows(
        self,
        session: Session,
        rows: list[tuple[Any, ...]],
        knowledge: Any,
        totals: Totals,
        *,
        retry: Sequence[tuple[str, str]],
    ) -> None:
        valid: list[ValidEntry] = []
        bad: list[tuple[Any, str]] = []
        statements: list[ValidEntry] = []
        guarded: list[tuple[Any, ValidEntry]] = []
        good_sites: set[str] = set()
        new = totals.new
        for n, count in Counter(row[9] for row in rows if not row[10] and row[9]).items():
            new[str(n)] = new.get(str(n), 0) + count
        for row in rows:
            raw = row[8]
            if raw is None:
                e: Any = row[:8]
            else:
                try:
                    e = json.loads(raw)
                except ValueError:
                    e = list(row[:2])
                if not encodable(e):
                    bad.append((e, "malformed entry"))
                    continue
            checked = validate(e, good_sites)
            if isinstance(checked, str):
                bad.append((list(e), checked))
            elif type(checked[8]) is str and not storable_text(checked[8]):
                bad.append((list(e), f"bad value for {checked[2]}.{checked[4]}"))
            elif checked[2] in GUARDED:
                guarded.append((e, checked))
            elif checked[2] in TRUST_TABLES:
                statements.append(checked)
            else:
                valid.append(checked)
        refused: list[tuple[Any, str]] = []
        if statements:
            taken, kept = self._gate.take_statements(session, statements)
            refused.extend(kept)
            log_entries(session, taken)
            if taken:  # this PC's clock moves past a grant, so what it writes next is later
                totals.max_hlc = max(totals.max_hlc, max(e[6] for e in taken))
        if guarded:
            passed, kept = self._gate.check_changes(session, guarded)
            valid.extend(passed)
            refused.extend(kept)
        if refused:
            bad.extend(refused)
            # Entries let out of quarantine for another look that still fail go back: they
            # were never released, and are not new to the quarantine either.
            again = {(row[0], row[1]) for row in rows if row[10]}
            back = sum(1 for raw, _why in refused if (raw[0], raw[1]) in again)
            totals.released -= back
            totals.still += back
            totals.quarantined -= back
        if bad:
            quarantine(session, bad)
            totals.quarantined += len(bad)
        if valid or retry:
            stats = apply_entries(
                session,
                valid,
                knowledge,
                now=self._now(),
                now_ms=self._now_ms(),
                retry=retry,
                descend=False,
            )
            totals.add(stats)
        if valid:
            totals.max_hlc = max(totals.max_hlc, max(e[6] for e in valid))

    def _quarantine_unknown(
        self,
        steps: Steps,
        order: tuple[str, ...],
        local: str,
        totals: Totals,
        position: dict[str, Any],
    ) -> None:
        """Entries for tables this version does not know: quarantined (kept, relayed)."""
        marks = ",".join("?" * len(order))
        after = position.get("after") or ["", "", "", 0]
        while True:
            session = steps.session()
            rows = raw_rows(
                session,
                f"SELECT {COLS} FROM sync_import_staged s WHERE "
                "(s.table_name, s.record_id, s.site_id, s.seq) > (?, ?, ?, ?) "
                f"AND s.table_name NOT IN ({marks}) AND {self._new} "
                "ORDER BY s.table_name, s.record_id, s.site_id, s.seq LIMIT ?",
                (*after, *order, local, STEP),
            )
            if not rows:
                return
            new = unheld(session, rows)
            if new:
                self._apply_rows(session, new, None, totals, retry=())
            last = rows[-1]
            after = [last[2], last[3], last[0], last[1]]
            self._save(steps, {"step": "unknown", "after": after}, totals)
            steps.step_done()

    def _retry_pending(
        self,
        steps: Steps,
        order: tuple[str, ...],
        knowledge: Any,
        totals: Totals,
        position: dict[str, Any],
    ) -> None:
        """Records waiting for a parent (from before, or from this import) are retried once,
        parents' tables first, a chunk at a time."""
        table = SyncPending.__table__
        for i in range(int(position.get("table", 0)), len(order)):
            after = position.get("after") if i == position.get("table", 0) else None
            while True:
                session = steps.session()
                query = (
                    select(table.c.record_id)
                    .where(table.c.table_name == order[i])
                    .order_by(table.c.record_id)
                    .limit(500)
                )
                if after is not None:
                    query = query.where(table.c.record_id > after)
                ids = list(session.scalars(query))
                if not ids:
                    break
                self._apply_rows(session, [], knowledge, totals, retry=[(order[i], r) for r in ids])
                after = ids[-1]
                self._save(steps, {"step": "pending", "table": i, "after": after}, totals)
                steps.step_done()

    # -- the end -------------------------------------------------------------------------

    def _finish(
        self,
        steps: Steps,
        staged: list[StagedFile],
        totals: Totals,
        already: int,
        refused: list[RefusedFile],
    ) -> ImportSummary:
        session = steps.session()
        state = session.get(SiteState, 1)
        assert state is not None
        now = self._now()
        new = sum(totals.new.values())
        if new or totals.released:
            merge_knowledge(session, [(state.site_id, state.next_seq - 1, version_vector(session))])
        if totals.max_hlc:
            hlc = HybridClock(last=state.hlc, now_ms=self._now_ms).receive(totals.max_hlc)
            session.execute(text("UPDATE site_state SET hlc = :h WHERE key = 1"), {"h": hlc})
        if totals.deleted:
            # Dependents of owners deleted by this import that no incoming entry erased (a need
            # logged here for a person deleted elsewhere): erased now, their tombstones logged
            # after everything received (the clock was just moved past it), so they travel.
            totals.deleted += sum(erase_orphans(session, now).values())
        session.execute(
            SyncBundleSeen.__table__.insert(),
            [
                {
                    "bundle_id": b.bundle_id,
                    "site_id": b.site_id,
                    "imported_at": now,
                    "entry_count": b.entries,
                    "new_count": totals.new.get(str(n), 0),
                    "file_name": b.name,
                    "file_size": b.size,
                }
                for n, b in enumerate(staged, start=1)
            ],
        )
        if self.store_id is not None:
            st = load_export_state(session, self.store_id)
            runs = Runs()
            cursor = cursor_of(session)
            try:  # one pass, in (site, seq) order
                cursor.execute(
                    "SELECT site_id, seq FROM sync_import_staged WHERE bundle_no > 0 "
                    "ORDER BY site_id, seq"
                )
                while rows := cursor.fetchmany(STEP):
                    runs.add(rows)
            finally:
                cursor.close()
            for site, site_runs in runs.runs.items():
                st.known[site] = merge_runs(st.known.get(site, []), site_runs)
            save_export_state(session, st, exported=False, now=now)
        reasons: dict[str, int] = {}
        for (why,) in session.execute(select(SyncPending.reason)):
            key = pending_reason(why)
            reasons[key] = reasons.get(key, 0) + 1
        pending = sum(reasons.values())
        kept = quarantine_reasons(session) if totals.quarantined or totals.still else ()
        self._clear(session)
        return ImportSummary(
            dry_run=self.dry_run,
            bundles=len(staged),
            already_seen=already,
            entries_total=sum(b.entries for b in staged),
            entries_new=new,
            deleted=totals.deleted,
            conflicts=totals.conflicts,
            clock_reviews=totals.clock_reviews,
            future_stamped=totals.future_stamped,
            quarantined=totals.quarantined,
            released=totals.released,
            still_quarantined=totals.still + totals.quarantined,
            pending=pending,
            pending_reasons=tuple(sorted(reasons.items())),
            refused=tuple(refused),
            quarantine_reasons=kept,
            **totals.counts(),
        )

    def _clear(self, session: Session) -> None:
        session.execute(delete(SyncImportStaged))
        session.execute(delete(SyncImportKnowledge))
        session.execute(delete(SyncImportJournal))


__all__ = ["BATCH_ENTRIES", "BATCH_RECORDS", "STEP", "Applier"]
