"""The transaction(s) of one sync import: one for small imports and dry runs, short steps
for large ones so an officer's save gets the write lock between them (see `sync.importer`)."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from referral_desk.store.database import Database

HOLD = 1.0  # seconds a large import keeps the write lock before committing a step
GAP = 0.1  # then it lets go this long: more than SQLite's longest busy-wait between tries


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


class Steps:
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


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around an import: 100 000 entries are hundreds of
    thousands of small acyclic tuples and strings, and repeated full collections over them
    cost a fifth of the import's CPU time (bench_sync). Reference counting still frees them;
    whatever the collector's state was (the GUI keeps it off, `ui.collector`) comes back."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


__all__ = ["GAP", "HOLD", "Steps", "SyncTransaction", "gc_paused"]
