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

import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from referral_desk.domain.errors import DomainError
from referral_desk.domain.hlc import HybridClock
from referral_desk.store.database import Database
from referral_desk.store.erasure import erase_orphans
from referral_desk.store.models import SiteState
from referral_desk.store.sync_models import (
    SyncBundleSeen,
    SyncImportJournal,
    SyncImportKnowledge,
    SyncImportStaged,
    SyncPending,
)
from referral_desk.store.trust import (
    GRANT_TABLE,
    GUARDED,
    RUN_TABLE,
    TRUST_TABLES,
    pin_team_key,
    pinned_team_key,
)
from referral_desk.sync.bundle import BundleError, BundleReader
from referral_desk.sync.import_lock import import_lock
from referral_desk.sync.merge import MergeStats, apply_entries, pending_reason, table_order
from referral_desk.sync.outgoing import Runs
from referral_desk.sync.quarantine import (
    ValidEntry,
    forget_parsed,
    quarantine,
    retry_some,
    validate,
)
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

SMALL = 20_000  # staged entries up to which an import is one transaction
BATCH_ENTRIES = 5_000  # entries given to one Merger (about; a record is never split)
BATCH_RECORDS = 2_000  # records looked at to cut one batch
STEP = 5_000  # rows per step of the other passes
MAX_RECORD_ENTRIES = 50_000  # changes to one record in one import: more is refused (memory)
HOLD = 1.0  # seconds a large import keeps the write lock before committing a step
GAP = 0.1  # then it lets go this long: more than SQLite's longest busy-wait between tries
_TOP = 1 << 63


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


@dataclass(frozen=True)
class RefusedFile:
    name: str  # relative to the store, e.g. outbox/<site>/<bundle-id>.rdsync
    reason: str


@dataclass(frozen=True)
class ImportSummary:
    dry_run: bool = False
    bundles: int = 0  # new bundles applied (or previewed)
    already_seen: int = 0
    entries_total: int = 0
    entries_new: int = 0
    people: int = 0
    needs: int = 0
    referrals: int = 0
    follow_ups: int = 0
    directory: int = 0
    other: int = 0
    deleted: int = 0
    conflicts: int = 0
    clock_reviews: int = 0
    future_stamped: int = 0
    quarantined: int = 0
    released: int = 0
    still_quarantined: int = 0
    pending: int = 0
    pending_reasons: tuple[tuple[str, int], ...] = ()  # (what they wait for, how many)
    refused: tuple[RefusedFile, ...] = ()
    # Why entries are kept aside (all of them, not only this import's), e.g. "directory
    # change not signed by a directory keeper": shown, never a value.
    quarantine_reasons: tuple[tuple[str, int], ...] = ()

    @property
    def nothing_new(self) -> bool:
        return self.entries_new == 0 and self.released == 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


class SyncTransaction:
    """A write transaction that never mints local change entries.

    `Database.write` begins IMMEDIATE, so SQLite's write lock is already held (nothing read
    here can be changed by another window before we write) when the session is handed over.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cm: Any = None

    def __enter__(self) -> Session:
        self._cm = self.db.write(reason="sync")
        session = self._cm.__enter__()
        session.info["applying_sync"] = True
        return session

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        return bool(self._cm.__exit__(exc_type, exc, tb))


class _Steps:
    """The transaction(s) of one import: a single one (small imports, dry runs), or, once
    switched to steps, one per step of about HOLD seconds (the batch that passes HOLD ends
    it), with a GAP between them in which a waiting writer gets the lock."""

    def __init__(self, db: Database, *, single: bool) -> None:
        self.db = db
        self.single = single
        self._cm: SyncTransaction | None = None
        self._session: Session | None = None
        self._began = 0.0

    def session(self) -> Session:
        if self._session is None:
            self._cm = SyncTransaction(self.db)
            self._session = self._cm.__enter__()
            self._began = time.monotonic()
        return self._session

    def commit(self) -> None:
        if self._cm is not None:
            cm, self._cm, self._session = self._cm, None, None
            cm.__exit__(None, None, None)

    def abort(self, err: BaseException) -> None:
        if self._cm is not None:
            cm, self._cm, self._session = self._cm, None, None
            with contextlib.suppress(BaseException):  # the original error is what is raised
                cm.__exit__(type(err), err, err.__traceback__)

    def step_done(self, *, force: bool = False) -> None:
        """End of a step: in steps mode, commit once the lock was held HOLD seconds (or when
        `force`d), then let an officer's waiting save through."""
        if self.single or self._cm is None:
            return
        if force or time.monotonic() - self._began >= HOLD:
            self.commit()
            time.sleep(GAP)

    def go_steps(self) -> None:
        self.single = False
        self.step_done(force=True)


# --- totals ----------------------------------------------------------------------------------


@dataclass
class _Totals:
    """Counts while applying. `new`, `max_hlc`, `released` and `still` are kept in the
    journal (a resumed import needs them); the per-category counts are for the summary."""

    new: dict[str, int] = field(default_factory=dict)  # bundle_no -> entries new here
    max_hlc: int = 0
    quarantined: int = 0
    released: int = 0
    still: int = 0
    deleted: int = 0
    conflicts: int = 0
    clock_reviews: int = 0
    future_stamped: int = 0
    counted: dict[str, int] = field(default_factory=dict)
    owners: dict[str, set[str]] = field(default_factory=dict)

    def to_json(self) -> str:
        keep = {
            "new": self.new,
            "max_hlc": self.max_hlc,
            "released": self.released,
            "still": self.still,
            "quarantined": self.quarantined,
        }
        return json.dumps(keep, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str) -> _Totals:
        try:
            raw = json.loads(data)
            return cls(
                new={str(k): int(v) for k, v in raw.get("new", {}).items()},
                max_hlc=int(raw.get("max_hlc", 0)),
                released=int(raw.get("released", 0)),
                still=int(raw.get("still", 0)),
                quarantined=int(raw.get("quarantined", 0)),
            )
        except (ValueError, TypeError, AttributeError):
            return cls()

    def add(self, stats: MergeStats) -> None:
        self.deleted += stats.deleted
        self.conflicts += stats.conflicts
        self.clock_reviews += stats.clock_reviews
        self.future_stamped += stats.future_stamped
        for category, ids in stats.changed.items():
            if category in ("needs", "referrals"):  # history rows count for their owner,
                self.owners.setdefault(category, set()).update(ids)  # which another batch has
            else:
                self.counted[category] = self.counted.get(category, 0) + len(ids)

    def counts(self) -> dict[str, int]:
        keys = ("people", "needs", "referrals", "follow_ups", "directory", "other")
        return {k: self.counted.get(k, 0) + len(self.owners.get(k, ())) for k in keys}


# --- the import ------------------------------------------------------------------------------

_STAGE_SQL = (
    "INSERT OR IGNORE INTO sync_import_staged (site_id, seq, bundle_no, released, table_name, "
    "record_id, field, value, hlc, tombstone, raw) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)"
)
_RELEASE_SQL = (
    "INSERT INTO sync_import_staged (site_id, seq, bundle_no, released, table_name, record_id, "
    "field, value, hlc, tombstone, raw) VALUES (?, ?, 0, 1, ?, ?, ?, ?, ?, ?, NULL) "
    "ON CONFLICT (table_name, record_id, site_id, seq) DO UPDATE SET released = 1, "
    "field = excluded.field, value = excluded.value, hlc = excluded.hlc, "
    "tombstone = excluded.tombstone, raw = NULL"
)
# Staged entries this site does not hold yet (its own, and those in the log, are skipped).
_NEW = (
    "s.site_id != ? AND NOT EXISTS (SELECT 1 FROM change_entry c WHERE c.site_id = s.site_id "
    "AND c.seq = s.seq)"
)
# ... nor in the quarantine (asked only when entries were quarantined before this import: the
# ones it quarantines itself are each staged once).
_NOT_QUARANTINED = (
    " AND NOT EXISTS (SELECT 1 FROM sync_quarantine q WHERE q.site_id = s.site_id "
    "AND q.seq = s.seq)"
)
_COLS = (
    "s.site_id, s.seq, s.table_name, s.record_id, s.field, s.value, s.hlc, s.tombstone, s.raw, "
    "s.bundle_no, s.released"
)


def _staged_row(e: list[Any], bundle_no: int) -> tuple[Any, ...]:
    """An entry as a staging row: columns when it has the usual shape and types, else whole."""
    if len(e) == 8:
        site, seq, table, record, fname, value, hlc, tomb = e
        if (
            type(table) is str
            and type(record) is str
            and type(fname) is str
            and type(value) is str
            and type(hlc) is int
            and 0 < hlc < _TOP
            and type(tomb) is int
            and tomb in (0, 1)
        ):
            return (site, seq, bundle_no, table, record, fname, value, hlc, tomb, None)
    table = e[2] if len(e) > 2 and type(e[2]) is str else ""
    record = e[3] if len(e) > 3 and type(e[3]) is str else ""
    return (e[0], e[1], bundle_no, table, record, None, None, None, None, _json(e))


def _json(value: Any) -> str:
    # ASCII-only: text that cannot be stored as UTF-8 (a lone surrogate) travels escaped.
    return json.dumps(value, separators=(",", ":"))


def _encodable(e: Any) -> bool:
    try:
        json.dumps(e, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError):
        return False
    return True


@dataclass
class _Staged:
    bundle_id: str
    site_id: str
    name: str
    size: int
    entries: int


class Importer:
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
        self._new = _NEW + _NOT_QUARANTINED
        self._gate = Gate()
        self._offered: list[str] = []  # team manager keys the files' manifests name

    # -- entry points --------------------------------------------------------------------

    def run(self, sources: Sequence[Source], refused: Sequence[RefusedFile] = ()) -> ImportSummary:
        with import_lock(self.db.path):
            self._finish_interrupted_locked()
            steps = _Steps(self.db, single=True)
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
        with import_lock(self.db.path):
            return self._finish_interrupted_locked()

    # -- phase 1: stage ------------------------------------------------------------------

    def _run(
        self, steps: _Steps, sources: list[Source], refused: list[RefusedFile]
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
        staged: list[_Staged] = []
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
                        _Staged(
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
        return self._apply(steps, staged, _Totals(), {}, already, refused)

    def _seen(self, session: Session, bundle_id: str) -> bool:
        return session.get(SyncBundleSeen, bundle_id) is not None

    def _stage(self, steps: _Steps, reader: BundleReader, n: int) -> None:
        for item in reader.items():
            session = steps.session()
            cursor = _cursor(session)
            try:
                if item.entries:
                    rows = [_staged_row(e, n) for e in item.entries]
                    try:
                        cursor.executemany(_STAGE_SQL, rows)
                    except UnicodeEncodeError:
                        cursor.executemany(_STAGE_SQL, [_storable(r) for r in rows])
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

    def _apply(
        self,
        steps: _Steps,
        staged: list[_Staged],
        totals: _Totals,
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
        held = steps.session().scalar(text("SELECT EXISTS (SELECT 1 FROM sync_quarantine)"))
        self._new = _NEW + (_NOT_QUARANTINED if held else "")
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

    def _save(self, steps: _Steps, position: dict[str, Any], totals: _Totals) -> None:
        if self.dry_run:
            return
        steps.session().execute(
            SyncImportJournal.__table__.update()
            .where(SyncImportJournal.id == 1)
            .values(position=json.dumps(position), totals=totals.to_json())
        )

    def _merge_knowledge(self, steps: _Steps) -> None:
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

    def _release_quarantined(self, steps: _Steps, totals: _Totals) -> None:
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
                cursor = _cursor(session)
                try:
                    rows = [(*e[:7], int(e[7])) for e in passed]
                    cursor.executemany(_RELEASE_SQL, rows)
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
        steps: _Steps,
        table: str,
        after: str | None,
        local: str,
        knowledge: Any,
        totals: _Totals,
    ) -> Iterator[str]:
        while True:
            session = steps.session()
            start, hi = self._batches(session, table, after)
            if hi is None:
                return
            op = ">" if after is not None else ">="
            rows = raw_rows(
                session,
                f"SELECT {_COLS} FROM sync_import_staged s WHERE s.table_name = ? AND "
                f"s.record_id {op} ? AND s.record_id <= ? AND {self._new}",
                (table, start, hi, local),
            )
            self._apply_rows(session, rows, knowledge, totals, retry=())
            after = hi
            yield hi

    def _apply_rows(
        self,
        session: Session,
        rows: list[tuple[Any, ...]],
        knowledge: Any,
        totals: _Totals,
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
                if not _encodable(e):
                    bad.append((e, "malformed entry"))
                    continue
            checked = validate(e, good_sites)
            if isinstance(checked, str):
                bad.append((list(e), checked))
            elif type(checked[8]) is str and not _storable_text(checked[8]):
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
            _log_entries(session, taken)
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
        steps: _Steps,
        order: tuple[str, ...],
        local: str,
        totals: _Totals,
        position: dict[str, Any],
    ) -> None:
        """Entries for tables this version does not know: quarantined (kept, relayed)."""
        marks = ",".join("?" * len(order))
        after = position.get("after") or ["", "", "", 0]
        while True:
            session = steps.session()
            rows = raw_rows(
                session,
                f"SELECT {_COLS} FROM sync_import_staged s WHERE "
                "(s.table_name, s.record_id, s.site_id, s.seq) > (?, ?, ?, ?) "
                f"AND s.table_name NOT IN ({marks}) AND {self._new} "
                "ORDER BY s.table_name, s.record_id, s.site_id, s.seq LIMIT ?",
                (*after, *order, local, STEP),
            )
            if not rows:
                return
            self._apply_rows(session, rows, None, totals, retry=())
            last = rows[-1]
            after = [last[2], last[3], last[0], last[1]]
            self._save(steps, {"step": "unknown", "after": after}, totals)
            steps.step_done()

    def _retry_pending(
        self,
        steps: _Steps,
        order: tuple[str, ...],
        knowledge: Any,
        totals: _Totals,
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
        steps: _Steps,
        staged: list[_Staged],
        totals: _Totals,
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
            cursor = _cursor(session)
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
        steps = _Steps(self.db, single=False)
        try:
            staged = [_Staged(**b) for b in json.loads(bundles)]
            result = self._apply(
                steps, staged, _Totals.from_json(totals), json.loads(position), 0, []
            )
        except BaseException as err:
            steps.abort(err)
            raise
        finally:
            self.dry_run, self.store_id = saved
            forget_parsed()
        steps.commit()
        return result


def _log_entries(session: Session, entries: Sequence[ValidEntry]) -> None:
    """Keep accepted signed statements in the change log, so they travel on."""
    if entries:
        session.connection().exec_driver_sql(
            "INSERT OR IGNORE INTO change_entry "
            "(site_id, seq, table_name, record_id, field, value, hlc, tombstone) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            [tuple(e[:7]) for e in entries],
        )


def _cursor(session: Session) -> Any:
    return session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _storable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A staging row whose text cannot be stored as UTF-8 (a lone surrogate): kept whole, as
    escaped JSON, to be quarantined."""
    try:
        for v in row:
            if type(v) is str:
                v.encode("utf-8")
    except UnicodeEncodeError:
        entry = [row[0], row[1], row[3], row[4], row[5], row[6], row[7], row[8]]
        table = row[3] if _ok_text(row[3]) else ""
        record = row[4] if _ok_text(row[4]) else ""
        site = row[0] if _ok_text(row[0]) else _json(row[0])
        return (site, row[1], row[2], table, record, None, None, None, None, _json(entry))
    return row


def _storable_text(text: str) -> bool:
    """Can the database hold this text (UTF-8)? Not with a lone surrogate, which JSON can
    carry as an escape."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _ok_text(value: Any) -> bool:
    try:
        value.encode("utf-8")
    except (UnicodeEncodeError, AttributeError):
        return False
    return True


def quarantine_reasons(session: Session) -> tuple[tuple[str, int], ...]:
    """(reason, entries) of everything kept aside, most frequent first."""
    rows = raw_rows(
        session, "SELECT reason, COUNT(*) FROM sync_quarantine GROUP BY reason ORDER BY 2 DESC, 1"
    )
    return tuple((str(r), int(n)) for r, n in rows)


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
]
