"""Engine set-up: one SQLite file, WAL, foreign keys on, owner-only permissions."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event

SQLITE_HEADER = b"SQLite format 3\x00"


def make_private_dir(path: Path) -> None:
    """Create a folder readable by its owner only (0700 on POSIX; per-user folder on Windows)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path, 0o700)


def touch_private_file(path: Path) -> None:
    """Create an empty file with mode 0600 if it is missing, so SQLite never makes it 0644."""
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    if os.name == "posix":
        os.chmod(path, 0o600)


def looks_like_sqlite(path: Path) -> bool:
    """True for an empty or SQLite file; a foreign file must never be 'migrated' into."""
    size = path.stat().st_size
    if size == 0:
        return True
    with path.open("rb") as fh:
        return fh.read(16) == SQLITE_HEADER


def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()
    # Let SQLAlchemy, not the driver, decide where transactions begin (see `_on_begin`).
    dbapi_conn.isolation_level = None


def _on_begin(conn: Connection) -> None:
    """Emit BEGIN ourselves so every statement, PRAGMAs and DDL included, is in the transaction.

    The sqlite3 driver otherwise opens transactions only before DML, which would leave
    migrations and `PRAGMA defer_foreign_keys` outside the transaction they belong to.
    Write units of work begin IMMEDIATE (option `begin_immediate`): they take the write lock
    first, waiting up to the busy timeout while another writer (a long sync import, between its
    batches) holds it. A deferred one that read first would instead fail as soon as another
    writer committed after its read.
    """
    immediate = conn.get_execution_options().get("begin_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_sqlite_engine(path: Path) -> Engine:
    # Sessions may run on the UI's background worker thread; each checks out its own connection.
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine
