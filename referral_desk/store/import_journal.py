"""A durable journal that lets a long import write in short transactions (DESIGN.md §9).

A large import (20 000 directory services) takes seconds to write. In one transaction it would
hold SQLite's only write lock all that time, and an officer saving a person in another window
would wait or fail. So a long import is split:

1. **Plan** without the write lock: the importer reads the file and works out every insert and
   update against a read snapshot, and writes them as *ops* to `import_op` (a few thousand per
   short transaction) under an `import_run` row in state `staging`. Nothing the app shows
   changes: ops are invisible until applied.
2. **Commit point**: one short transaction turns the run `ready`. From here on the import is
   decided and will be completed, even after a crash.
3. **Apply**: the ops are applied in chunks of bounded work (`CHUNK_WEIGHT`), one transaction
   each, which also records how far the run got. The last chunk marks the run `done` and deletes
   its ops.

A crash or a kill at any point leaves either a `staging` run (the import never happened: its
ops are discarded by the next import) or a `ready` run (rolled forward by `resume`, which
`Database.open` and every import call first). The user therefore sees the import as not done
or done, never as half done — except, by design, while it is being applied: other windows may
see the first chunks before the last.

One journaled import at a time: an importer holds `exclusive` (an OS file lock beside the
database, released by the OS if the process dies) from staging to the last chunk. A second
import waits for it, then plans against the directory the first one left; `Database.open`
resumes runs only when it can take the lock at once, so a window opened during someone else's
import neither waits nor competes. Should a run still become ready behind another's back (two
processes sharing a data folder without the lock), the commit point refuses the stale plan
(`ImportSuperseded`). An officer's edit meanwhile is not a conflict: updates carry only the
fields the import changes, and the import's value wins, as the later write would in sync.

Ops are generic — insert or update of a synced record by table name, with field values encoded
as JSON and decoded by column type (`store.import_ops`) — so any importer can use the journal;
`apply_ops` is also what a small import calls directly in its single transaction.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Integer, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from referral_desk.domain.errors import DatabaseError, DomainError
from referral_desk.store import fts
from referral_desk.store.changelog import utcnow
from referral_desk.store.import_ops import Op, apply_ops, decode_fields, encode_fields, model_for
from referral_desk.store.models import Base

if TYPE_CHECKING:
    from referral_desk.store.database import Database

__all__ = [  # the ops are `store.import_ops`'; importers reach them through the journal too
    "Op",
    "apply_ops",
    "apply_run",
    "begin",
    "commit",
    "discard",
    "exclusive",
    "pending",
    "resume",
]

STAGING, READY, DONE = "staging", "ready", "done"
# Work per applied chunk, in field values written by a bulk insert (`import_ops.Op.weight`):
# about a second on a loaded 2-core machine.
CHUNK_WEIGHT = 40_000
OPS_PER_WRITE = 2_000  # ops staged per short transaction while planning
KEEP_DONE_RUNS = 20  # finished runs kept as a short history (no personal data in them)


class ImportSuperseded(DomainError):
    """Another import was applied while this one was being prepared; nothing was written."""


class ImportRun(Base):
    """One journaled import: its state and how far it has been applied."""

    __tablename__ = "import_run"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # which importer, e.g. "hsds"
    state: Mapped[str] = mapped_column(String(10))  # staging | ready | done
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    officer_id: Mapped[str | None] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(String(200), default="")
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    applied_chunks: Mapped[int] = mapped_column(Integer, default=0)


class ImportOp(Base):
    """One staged write of a run: insert or update of a synced record (`fields` is JSON)."""

    __tablename__ = "import_op"

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(10))  # insert | update
    record_id: Mapped[str] = mapped_column(String(36))
    fields: Mapped[str] = mapped_column(Text)


# --- one importer at a time -----------------------------------------------------------------

LOCK_NAME = "import.lock"


def _try_lock(fd: int) -> bool:
    if os.name == "posix":
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt  # pragma: no cover - Windows

    try:  # pragma: no cover - Windows
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
    except OSError:  # pragma: no cover - Windows
        return False
    return True  # pragma: no cover - Windows


@contextmanager
def exclusive(db: Database, *, wait: bool = True) -> Iterator[bool]:
    """Hold the importer lock of this database (yields False when `wait` is off and another
    process holds it). The OS drops the lock when its holder dies, so no run is orphaned."""
    path = Path(db.path).parent / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as err:
        if not wait:  # e.g. a read-only data folder: leave the run for a later open
            yield False
            return
        raise DatabaseError("The data folder is not writable: the import cannot run.") from err
    try:
        got = _try_lock(fd)
        while not got and wait:
            time.sleep(0.1)
            got = _try_lock(fd)
        yield got
    finally:
        os.close(fd)  # releases the lock


# --- staging --------------------------------------------------------------------------------


class JournalWriter:
    """Stages ops of one run, `OPS_PER_WRITE` per short write transaction, cut into chunks."""

    def __init__(self, db: Database, run_id: str) -> None:
        self.db = db
        self.run_id = run_id
        self.buffer: list[tuple[Any, ...]] = []
        self.chunk = 0
        self.weight = 0
        self.seq = 0
        self.count = 0

    def add(self, op: Op) -> None:
        if self.weight and self.weight + op.weight > CHUNK_WEIGHT:
            self.chunk += 1
            self.weight = 0
        self.weight += op.weight
        self.seq += 1
        self.count += 1
        self.buffer.append(
            (
                self.run_id,
                self.chunk,
                self.seq,
                op.table,
                op.action,
                op.record_id,
                encode_fields(op.fields),
            )
        )
        if len(self.buffer) >= OPS_PER_WRITE:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        rows, self.buffer = self.buffer, []
        with self.db.write(reason="import: staging") as session:
            if session.get(ImportRun, self.run_id) is None:
                raise ImportSuperseded(_SUPERSEDED)
            # Plain executemany: the Core insert's per-row overhead doubles staging time.
            session.connection().exec_driver_sql(
                "INSERT INTO import_op (run_id, chunk, seq, table_name, action, record_id, fields)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    @property
    def chunks(self) -> int:
        return self.chunk + 1 if self.count else 0


_SUPERSEDED = (
    "Another directory import was applied while this one was being prepared, so nothing was "
    "written. Import the package again to see what it still changes."
)


def begin(db: Database, kind: str, *, reason: str = "", officer_id: str | None = None) -> str:
    """Open a run in state `staging`; call while holding `exclusive`, so that every run still
    staging was abandoned by a process that died (it is discarded)."""
    run_id = str(uuid.uuid4())
    now = utcnow()
    with db.write(reason="import: begin") as session:
        for stale in session.scalars(select(ImportRun.id).where(ImportRun.state == STAGING)):
            _delete_run(session, stale)
        session.add(
            ImportRun(
                id=run_id,
                kind=kind,
                state=STAGING,
                created_at=now,
                officer_id=officer_id,
                reason=reason[:200],
            )
        )
    return run_id


def commit(db: Database, run_id: str, chunks: int) -> None:
    """The commit point: the run becomes `ready` and will be applied, now or after a crash.

    Refused (and the run discarded) when another run became ready after this one began: this
    plan was made against a directory that import has changed since.
    """
    with db.write(reason="import: commit") as session:
        run = session.get(ImportRun, run_id)
        newer = None
        if run is not None:
            newer = session.scalar(
                select(ImportRun.id)
                .where(
                    ImportRun.id != run_id,
                    ImportRun.state.in_((READY, DONE)),
                    ImportRun.ready_at >= run.created_at,
                )
                .limit(1)
            )
        if run is None or run.state != STAGING or newer is not None:
            raise ImportSuperseded(_SUPERSEDED)
        run.state = READY
        run.ready_at = utcnow()
        run.chunks = chunks


def discard(db: Database, run_id: str) -> None:
    """Forget a run that will not be committed (its planning failed or was refused)."""
    with db.write(reason="import: discard") as session:
        _delete_run(session, run_id)


def _delete_run(session: Session, run_id: str) -> None:
    session.execute(delete(ImportOp).where(ImportOp.run_id == run_id))
    session.execute(delete(ImportRun).where(ImportRun.id == run_id, ImportRun.state == STAGING))


# --- applying a run -------------------------------------------------------------------------


def apply_run(
    db: Database,
    run_id: str,
    *,
    after_chunk: Callable[[int, int], None] | None = None,
) -> None:
    """Apply a `ready` run chunk by chunk, each chunk one transaction; idempotent on resume.

    `after_chunk(done, total)` is called after each committed chunk (progress; tests).
    """
    while True:
        with db.write(reason="import: apply") as session:
            # Take the write lock before reading how far the run got (a no-op update).
            session.execute(
                update(ImportRun).where(ImportRun.id == run_id).values(state=ImportRun.state)
            )
            run = session.get(ImportRun, run_id)
            if run is None or run.state != READY:
                return
            context = session.info.get("write_context")
            if context is not None:
                context.officer_id = run.officer_id
                context.reason = run.reason
            session.info["officer_id"] = run.officer_id
            chunk = run.applied_chunks
            total = run.chunks
            if chunk < total:
                apply_ops(
                    session, _load_chunk(session, run_id, chunk), reason=run.reason, chunked=True
                )
                # Applied ops are never needed again: deleting them with their chunk spreads
                # the deletion (zeroed pages: `secure_delete`) instead of lengthening the last.
                session.connection().exec_driver_sql(
                    "DELETE FROM import_op WHERE run_id = ? AND chunk = ?", (run_id, chunk)
                )
                chunk += 1
            session.execute(
                update(ImportRun).where(ImportRun.id == run_id).values(applied_chunks=chunk)
            )
            if chunk >= total:
                _finish(session, run_id, optimize=total > 0)
        if after_chunk is not None:
            after_chunk(chunk, total)
        if chunk >= total:
            return


def _load_chunk(session: Session, run_id: str, chunk: int) -> list[Op]:
    rows = session.connection().exec_driver_sql(
        "SELECT table_name, action, record_id, fields FROM import_op "
        "WHERE run_id = ? AND chunk = ? ORDER BY seq",
        (run_id, chunk),
    )
    return [Op(t, a, r, decode_fields(model_for(t), f)) for t, a, r, f in rows]


def _finish(session: Session, run_id: str, *, optimize: bool) -> None:
    conn = session.connection()
    if (
        optimize
        and conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (fts.FTS_TABLE,)
        ).first()
    ):
        fts.optimize(conn)  # merge the index segments the chunks' refreshes added
    session.execute(delete(ImportOp).where(ImportOp.run_id == run_id))
    session.execute(
        update(ImportRun).where(ImportRun.id == run_id).values(state=DONE, done_at=utcnow())
    )
    old = session.scalars(
        select(ImportRun.id)
        .where(ImportRun.state == DONE)
        .order_by(ImportRun.done_at.desc())
        .offset(KEEP_DONE_RUNS)
    ).all()
    if old:
        session.execute(delete(ImportRun).where(ImportRun.id.in_(old)))


def pending(db: Database) -> list[str]:
    """Runs that were committed but not (fully) applied: an import was interrupted."""
    with db.read() as session:
        return list(
            session.scalars(
                select(ImportRun.id).where(ImportRun.state == READY).order_by(ImportRun.ready_at)
            )
        )


def resume(db: Database, *, wait: bool = True) -> list[str]:
    """Roll forward every interrupted run; returns their ids (usually none: one query).

    Without `wait`, runs another process is applying right now are left to it.
    """
    runs = pending(db)
    if not runs:
        return []
    with exclusive(db, wait=wait) as mine:
        if not mine:
            return []
        runs = pending(db)
        for run_id in runs:
            apply_run(db, run_id)
    return runs
