"""Importing bundles in two phases, in bounded memory, finishing what a crash cut short.

1. **Stage.** Each new file is read as a stream (a line of entries at a time) into
   `sync_import_staged`, invisible to the app, while its manifest's claims are checked; a
   file that turns out bad has its staged entries removed and is refused with one line.
   Entries that several files carry are staged once.
2. **Apply.** Staged knowledge is merged and quarantined entries retried, then the staged
   entries are applied table by table, parents first (`merge.table_order`), in batches of
   records: the `Merger` sees all the entries of a record at once, but never all the entries
   of an import. Entries this site already holds are skipped with SQL (`NOT EXISTS`), not with
   a set in memory. Records still waiting for a parent are retried once at the end.

Small imports (the daily case, up to SMALL entries) are one transaction: a crash leaves the
database as before. A larger one commits in short steps — each batch's changes with the
journal row saying how far it got — pausing between them so an officer's save (which waits
for the write lock) gets through; once every file is read and checked ("applying"), a crash
or kill is finished by `finish_interrupted` on the next open or sync, and a crash while still
reading files is undone. So the data is only ever "not imported" or "imported" once the
import (or the one after a crash) has ended.

A dry run is one transaction rolled back at the end, so a preview counts exactly what an
import would change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from referral_desk.domain.errors import DomainError
from referral_desk.store.database import Database
from referral_desk.store.models import SiteState
from referral_desk.store.sync_models import (
    SyncBundleSeen,
    SyncImportJournal,
    SyncImportKnowledge,
    SyncImportStaged,
)
from referral_desk.store.trust import pin_team_key, pinned_team_key
from referral_desk.sync.bundle import BundleError, BundleReader
from referral_desk.sync.import_apply import NEW, Applier
from referral_desk.sync.import_lock import import_lock
from referral_desk.sync.import_results import ImportSummary, RefusedFile, StagedFile, Totals
from referral_desk.sync.import_rows import (
    STAGE_SQL,
    cursor_of,
    quarantine_reasons,
    staged_row,
    storable,
)
from referral_desk.sync.import_steps import Steps, SyncTransaction, gc_paused
from referral_desk.sync.quarantine import forget_parsed
from referral_desk.sync.state import raw_rows
from referral_desk.sync.trust import Gate

SMALL = 20_000  # staged entries up to which an import is one transaction
MAX_RECORD_ENTRIES = 50_000  # changes to one record in one import: more is refused (memory)


class ClonedSite(BundleError):
    def __init__(self) -> None:
        super().__init__(
            "The file holds changes under this PC's own site id that this PC never made "
            "(was the data folder copied from another PC?). Nothing was imported."
        )


class TooManyChanges(BundleError):
    def __init__(self) -> None:
        super().__init__(
            "The sync file holds more changes to one record than an import can take: "
            "it was not imported."
        )


@dataclass
class Source:
    """One file to import: `open` opens it (parsing the header, deriving the key)."""

    name: str
    open: Callable[[], BundleReader]


class _Rollback(Exception):
    """Carries a dry run's result out of the transaction it rolls back."""

    def __init__(self, result: Any) -> None:
        self.result = result


# --- transactions ----------------------------------------------------------------------------


class Importer(Applier):
    """One import run. Create per call; `run` for new files, `finish_interrupted` after a
    crash."""

    def __init__(
        self,
        db: Database,
        *,
        now: Callable[[], datetime],
        now_ms: Callable[[], int],
        dry_run: bool = False,
        strict: bool = True,
        store_id: str | None = None,
    ) -> None:
        self.db = db
        self._now = now
        self._now_ms = now_ms
        self.dry_run = dry_run
        self.strict = strict
        self.store_id = store_id
        self._staged = 0
        self._knowledge_id = 0
        self._new = NEW
        self._gate = Gate()
        self._offered: list[str] = []  # team manager keys the files' manifests name

    # -- entry points --------------------------------------------------------------------

    def run(self, sources: Sequence[Source], refused: Sequence[RefusedFile] = ()) -> ImportSummary:
        with import_lock(self.db.path), gc_paused():
            self._finish_interrupted_locked()
            steps = Steps(self.db, single=True)
            try:
                result = self._run(steps, list(sources), list(refused))
                if self.dry_run:
                    raise _Rollback(result)
            except _Rollback as rb:
                steps.abort(rb)
                return rb.result
            except BaseException as err:
                steps.abort(err)
                if not steps.single:
                    self._discard_if_staging()
                raise
            finally:
                forget_parsed()
            steps.commit()
            if result.deleted:  # the pages as they were before the erasure leave the WAL now
                self.db.checkpoint()
            return result

    def finish_interrupted(self) -> ImportSummary | None:
        """Finish (or, if it was still reading files, undo) an import cut short."""
        with import_lock(self.db.path), gc_paused():
            return self._finish_interrupted_locked()

    # -- phase 1: stage ------------------------------------------------------------------

    def _run(
        self, steps: Steps, sources: list[Source], refused: list[RefusedFile]
    ) -> ImportSummary:
        session = steps.session()
        state = session.get(SiteState, 1)
        if state is None:  # pragma: no cover - Database.open always creates it
            raise DomainError("This database has no site id; open it with Referral Desk first.")
        local, next_seq = state.site_id, state.next_seq
        if not self.dry_run:
            session.add(
                SyncImportJournal(
                    id=1, state="staging", started_at=self._now(), store_id=self.store_id
                )
            )
            session.flush()
        staged: list[StagedFile] = []
        ids: set[str] = set()
        already = 0
        for source in sources:
            try:
                with source.open() as reader:
                    bid = reader.header.bundle_id
                    if bid in ids or self._seen(steps.session(), bid):
                        reader.verify()  # "already seen" only once proved authentic
                        already += 1
                        continue
                    n = len(staged) + 1
                    try:
                        self._stage(steps, reader, n)
                        assert reader.manifest is not None
                        self._check_record_sizes(steps.session(), n, reader.manifest.entry_count)
                    except BaseException:
                        self._unstage(steps.session(), n)
                        raise
                    staged.append(
                        StagedFile(
                            bid,
                            reader.header.site_id,
                            source.name[-200:],
                            reader.size,
                            reader.manifest.entry_count,
                        )
                    )
                    if reader.manifest.manager:
                        self._offered.append(reader.manifest.manager)
                    ids.add(bid)
            except BundleError as err:
                if self.strict:
                    raise
                refused.append(RefusedFile(source.name, str(err)))
        if not staged:  # nothing new: leave no trace at all
            nothing = ImportSummary(
                dry_run=self.dry_run, already_seen=already, refused=tuple(refused)
            )
            if steps.single:
                raise _Rollback(nothing)
            self._clear(steps.session())
            return nothing
        session = steps.session()
        if raw_rows(
            session,
            "SELECT 1 FROM sync_import_staged WHERE site_id = ? AND seq >= ? LIMIT 1",
            (local, next_seq),
        ):
            raise ClonedSite()
        if self._offered and pinned_team_key(session)[0] is None:
            # First contact with a team by a carried file: trust the manager key it names.
            pin_team_key(session, self._offered[0], "file")
        bundles = json.dumps([asdict(b) for b in staged])
        if not self.dry_run:
            session.execute(
                SyncImportJournal.__table__.update()
                .where(SyncImportJournal.id == 1)
                .values(state="applying", bundles=bundles, position="{}", totals="{}")
            )
        steps.step_done(force=True)  # from here on, a crash is finished, not undone
        return self._apply(steps, staged, Totals(), {}, already, refused)

    def _seen(self, session: Session, bundle_id: str) -> bool:
        return session.get(SyncBundleSeen, bundle_id) is not None

    def _stage(self, steps: Steps, reader: BundleReader, n: int) -> None:
        for item in reader.items():
            session = steps.session()
            cursor = cursor_of(session)
            try:
                if item.entries:
                    rows = [staged_row(e, n) for e in item.entries]
                    try:
                        cursor.executemany(STAGE_SQL, rows)
                    except UnicodeEncodeError:
                        cursor.executemany(STAGE_SQL, [storable(r) for r in rows])
                if item.knowledge:
                    first = self._knowledge_id
                    self._knowledge_id += len(item.knowledge)
                    cursor.executemany(
                        "INSERT INTO sync_import_knowledge (id, bundle_no, site_id, after_seq, "
                        "vector) VALUES (?, ?, ?, ?, ?)",
                        [
                            (first + i + 1, n, k[0], k[1], json.dumps(k[2]))
                            for i, k in enumerate(item.knowledge)
                        ],
                    )
            finally:
                cursor.close()
            self._staged += len(item.entries)
            if steps.single and not self.dry_run and self._staged > SMALL:
                steps.go_steps()
            else:
                steps.step_done()

    def _unstage(self, session: Session, n: int) -> None:
        session.execute(delete(SyncImportStaged).where(SyncImportStaged.bundle_no == n))
        session.execute(delete(SyncImportKnowledge).where(SyncImportKnowledge.bundle_no == n))

    def _check_record_sizes(self, session: Session, n: int, entries: int) -> None:
        """A record changed more than MAX_RECORD_ENTRIES times by one file cannot be merged
        within the memory budget (the Merger holds a record's entries together): refused.
        Checked right after the file is staged, so only its own rows are removed."""
        if entries <= MAX_RECORD_ENTRIES:
            return
        if raw_rows(
            session,
            "SELECT 1 FROM sync_import_staged WHERE bundle_no = ? GROUP BY "
            "table_name, record_id HAVING COUNT(*) > ? LIMIT 1",
            (n, MAX_RECORD_ENTRIES),
        ):
            raise TooManyChanges()

    # -- phase 2: apply ------------------------------------------------------------------

    def _discard_if_staging(self) -> None:
        """After a failure while files were still being read in steps: undo the staging."""
        with SyncTransaction(self.db) as session:
            row = session.get(SyncImportJournal, 1)
            if row is not None and row.state == "staging":
                self._clear(session)

    def _finish_interrupted_locked(self) -> ImportSummary | None:
        with self.db.read() as session:
            row = session.get(SyncImportJournal, 1)
            if row is None:
                return None
            state, bundles, position, totals = row.state, row.bundles, row.position, row.totals
            store_id = row.store_id
        if state != "applying":
            with SyncTransaction(self.db) as session:
                self._clear(session)
            return None
        saved = (self.dry_run, self.store_id)
        self.dry_run, self.store_id = False, store_id
        steps = Steps(self.db, single=False)
        try:
            staged = [StagedFile(**b) for b in json.loads(bundles)]
            result = self._apply(
                steps, staged, Totals.from_json(totals), json.loads(position), 0, []
            )
        except BaseException as err:
            steps.abort(err)
            raise
        finally:
            self.dry_run, self.store_id = saved
            forget_parsed()
        steps.commit()
        return result


def interrupted(session: Session) -> bool:
    """Is there an import to finish (or undo)?"""
    return session.get(SyncImportJournal, 1) is not None


__all__ = [
    "ClonedSite",
    "ImportSummary",
    "Importer",
    "RefusedFile",
    "Source",
    "SyncTransaction",
    "TooManyChanges",
    "interrupted",
    "quarantine_reasons",
]
