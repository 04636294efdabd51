"""Engine set-up: one SQLCipher-encrypted SQLite file, WAL, foreign keys on, owner-only.

The driver is `sqlcipher3` (SQLite with SQLCipher and FTS5 built in). Every connection is
keyed with the raw 32-byte data key (`PRAGMA key = "x'…'"`), so opening one costs no key
derivation; the key comes from a `KeyHolder` and a locked holder refuses new connections
with `DataLocked`. The main file, its WAL and every backup copy are encrypted page by page.

Writers take SQLite's write lock when their transaction begins (`BEGIN IMMEDIATE`) and wait
for it; readers begin a plain deferred transaction and never wait (WAL readers are not
blocked by a writer). A deferred transaction that reads and then writes must upgrade its
lock, and SQLite refuses that upgrade at once, without waiting, when another writer committed
since the read (SQLITE_BUSY_SNAPSHOT): parallel writers then lost saves. See `for_writing`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlcipher3 import dbapi2 as sqlcipher

from referral_desk.domain.errors import DataLocked
from referral_desk.files import restrict_to_owner
from referral_desk.store.keys import DataKey

# The DB-API module of every local database connection (its exceptions included).
driver = sqlcipher

SQLITE_HEADER = b"SQLite format 3\x00"

BUSY_TIMEOUT_MS = 15_000
"""How long a writer waits for another writer's lock before giving up with "busy".

Normal holds are short: an officer's save takes milliseconds, and long imports commit in
chunks of a second or two. Fifteen seconds covers several of those back to back (and a
start-up migration of an ordinary caseload) with room to spare, while someone kept waiting by
a stuck program still hears "busy, try again" within a quarter of a minute rather than
watching a frozen window.
"""

# Connection execution option read by `_on_begin`: which BEGIN a transaction starts with.
BEGIN_MODE = "referral_desk_begin"
_BEGIN_SQL = {"DEFERRED": "BEGIN", "IMMEDIATE": "BEGIN IMMEDIATE"}


def make_private_dir(path: Path) -> None:
    """Create a folder readable by its owner only: 0700 on POSIX; on Windows an ACL granting
    only the current user, inherited by everything in it (the database, backups, logs)."""
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path, 0o700)
    elif not existed:
        restrict_to_owner(path, folder=True)


def touch_private_file(path: Path) -> None:
    """Create an empty file with mode 0600 if it is missing, so SQLite never makes it 0644."""
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    if os.name == "posix":
        os.chmod(path, 0o600)


def looks_like_sqlite(path: Path) -> bool:
    """True for an empty or plaintext SQLite file (an encrypted one has no readable header)."""
    size = path.stat().st_size
    if size == 0:
        return True
    with path.open("rb") as fh:
        return fh.read(16) == SQLITE_HEADER


def is_plaintext(path: Path) -> bool:
    """A non-empty plaintext SQLite file: one written before encryption, to be migrated."""
    return path.is_file() and path.stat().st_size > 0 and looks_like_sqlite(path)


LOCKED_MESSAGE = "The data is locked: unlock Referral Desk to continue. Nothing was changed."


class KeyHolder:
    """The data key of one open database, dropped (wiped) when the data is locked.

    Shared by the engine's connection factory and the backup code: while it is empty, no
    new connection can be made and `current` raises `DataLocked`.
    """

    def __init__(self, key: DataKey | None = None) -> None:
        self._key = key

    @property
    def locked(self) -> bool:
        return self._key is None

    def current(self) -> DataKey:
        if self._key is None:
            raise DataLocked(LOCKED_MESSAGE)
        return self._key

    def set(self, key: DataKey) -> None:
        if self._key is not None and self._key is not key:
            self._key.wipe()
        self._key = key

    def drop(self) -> None:
        if self._key is not None:
            self._key.wipe()
        self._key = None


def connect_keyed(path: Path, key: DataKey, *, timeout_s: float = 5.0, **kwargs: Any) -> Any:
    """A raw sqlcipher3 connection to `path`, keyed and checked (a wrong key fails here)."""
    conn = sqlcipher.connect(str(path), timeout=timeout_s, **kwargs)
    try:
        cur = conn.cursor()
        # SQLCipher otherwise writes its own errors (a wrong key…) to stderr.
        cur.execute("PRAGMA cipher_log_level = NONE")
        cur.execute(key.pragma())
        cur.execute("SELECT count(*) FROM sqlite_master").fetchone()
        cur.close()
    except BaseException:
        conn.close()
        raise
    return conn


def _on_connect(dbapi_conn: Any, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA secure_delete=ON")  # freed space is zeroed: erased text leaves the file
    cur.close()
    # Let SQLAlchemy, not the driver, decide where transactions begin (see `_on_begin`).
    dbapi_conn.isolation_level = None


def _on_begin(conn: Connection) -> None:
    """Emit BEGIN ourselves so every statement, PRAGMAs and DDL included, is in the transaction.

    The sqlite3 driver otherwise opens transactions only before DML, which would leave
    migrations and `PRAGMA defer_foreign_keys` outside the transaction they belong to.
    Connections from `for_writing(engine)` begin IMMEDIATE, all others DEFERRED.
    """
    conn.exec_driver_sql(_BEGIN_SQL[conn.get_execution_options().get(BEGIN_MODE, "DEFERRED")])


def for_writing(engine: Engine) -> Engine:
    """The same engine (same pool and listeners) whose transactions take the write lock first.

    `BEGIN IMMEDIATE` waits up to the busy timeout for another writer to finish, then holds
    the lock until commit, so nothing this transaction reads can be changed under it and its
    writes cannot be refused half-way. Reads stay on `engine`: they must never queue behind a
    writer.
    """
    return engine.execution_options(**{BEGIN_MODE: "IMMEDIATE"})


def create_sqlite_engine(
    path: Path, keys: KeyHolder, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> Engine:
    """The engine of one encrypted database; its connections are keyed from `keys`.

    Sessions may run on the UI's background worker thread; each checks out its own
    connection. The driver's `timeout` is SQLite's busy timeout: how long a writer waits for
    the lock. A pooled connection checked out while the data is locked is refused too.
    """

    def connect() -> Any:
        return connect_keyed(
            path, keys.current(), timeout_s=busy_timeout_ms / 1000, check_same_thread=False
        )

    engine = create_engine(f"sqlite:///{path}", creator=connect, module=sqlcipher)

    def refuse_while_locked(_dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if keys.locked:
            raise DataLocked(LOCKED_MESSAGE)

    def close_if_locked(_dbapi_conn: Any, record: Any) -> None:
        # A connection another thread held while the data was locked goes back to the pool
        # that `lock` disposed, which would keep it (and the key inside SQLCipher) open.
        if keys.locked and record is not None:
            record.invalidate()

    event.listen(engine, "connect", _on_connect)
    event.listen(engine.pool, "checkout", refuse_while_locked)
    event.listen(engine.pool, "checkin", close_if_locked)
    event.listen(engine, "begin", _on_begin)
    return engine
