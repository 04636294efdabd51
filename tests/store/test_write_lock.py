"""Writers take the write lock up front and wait for it; readers never queue behind a writer.

Issue 11 point 4: with deferred transactions, parallel writers lost saves after about a
second ("database is busy"), because SQLite refuses at once, without waiting, to upgrade a
read transaction to a write when another writer committed since the read.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from unlocking import connect as connect_db
from unlocking import keyed_database, open_test_database

from referral_desk.domain.errors import DatabaseBusy
from referral_desk.store.database import DB_FILENAME, Database, translate_db_error
from referral_desk.store.models import Organisation

WRITERS = 3
WRITES_EACH = 40


@contextmanager
def lock_held(path: Path) -> Iterator[sqlite3.Connection]:
    """Another program holding the write lock, with a write of its own not yet committed."""
    holder = connect_db(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE site_state SET hlc = hlc + 1 WHERE key = 1")
    try:
        yield holder
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


def organisations(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Organisation)) or 0


def test_parallel_writers_all_succeed(tmp_path: Path) -> None:
    """Three writers with their own engines on one file, as three windows or commands are."""
    open_test_database(tmp_path).close()
    refused: list[str] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        db = open_test_database(tmp_path)
        try:
            start.wait()
            for i in range(WRITES_EACH):
                try:
                    with db.write() as s:
                        s.add(Organisation(name=f"Writer {n} organisation {i}"))
                except DatabaseBusy as err:
                    refused.append(str(err))
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert refused == []
    db = open_test_database(tmp_path)
    try:
        assert organisations(db) == WRITERS * WRITES_EACH
    finally:
        db.close()


def test_a_writer_waits_for_the_lock_and_then_saves(tmp_path: Path) -> None:
    db = open_test_database(tmp_path)
    asked = threading.Event()
    done = threading.Event()
    errors: list[BaseException] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _begin(_conn, _cur, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN"):
            asked.set()

    def save() -> None:
        try:
            with db.write() as s:
                s.add(Organisation(name="Saved after waiting"))
        except BaseException as err:  # reported to the test thread
            errors.append(err)
        finally:
            done.set()

    try:
        with lock_held(tmp_path / DB_FILENAME) as holder:
            writer = threading.Thread(target=save)
            writer.start()
            assert asked.wait(timeout=30)
            time.sleep(1.0)  # the other program keeps the lock for a second
            assert not done.is_set(), "the save must wait while the lock is held"
            holder.execute("COMMIT")  # the other program's write lands first...
        writer.join(timeout=30)
        assert errors == []  # ...and the waiting save then goes through
        assert organisations(db) == 1
    finally:
        db.close()


def test_a_lock_held_past_the_timeout_is_busy_and_changes_nothing(tmp_path: Path) -> None:
    open_test_database(tmp_path).close()
    path = tmp_path / DB_FILENAME
    db = keyed_database(path, busy_timeout_ms=100)
    try:
        with lock_held(path):
            with pytest.raises(DatabaseBusy) as caught, db.write() as s:
                s.add(Organisation(name="Lighthouse Trust"))
            assert organisations(db) == 0  # reading is never blocked by the writer
        message = str(caught.value)
        assert "busy" in message and "Nothing was saved" in message
        assert "Lighthouse" not in message
        assert organisations(db) == 0
    finally:
        db.close()


def test_writes_begin_immediate_and_reads_begin_deferred(tmp_path: Path) -> None:
    db = open_test_database(tmp_path)
    begins: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _note(_conn, _cur, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN"):
            begins.append(statement)

    try:
        with db.write() as s:
            s.add(Organisation(name="Written"))
        assert organisations(db) == 1
        assert begins == ["BEGIN IMMEDIATE", "BEGIN"]
    finally:
        db.close()


def test_an_open_read_does_not_hold_up_a_writer(tmp_path: Path) -> None:
    open_test_database(tmp_path).close()
    path = tmp_path / DB_FILENAME
    reader = keyed_database(path, busy_timeout_ms=100)
    writer = keyed_database(path, busy_timeout_ms=100)
    try:
        with reader.read() as r:
            before = r.scalar(select(func.count()).select_from(Organisation))
            with writer.write() as w:
                w.add(Organisation(name="Written while another window reads"))
            # The reader keeps the snapshot it started with until its transaction ends.
            assert r.scalar(select(func.count()).select_from(Organisation)) == before == 0
        assert organisations(reader) == 1
    finally:
        reader.close()
        writer.close()


@pytest.mark.parametrize(
    ("error", "busy"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("database table is locked"), True),
        (sqlite3.OperationalError("attempt to write a readonly database"), False),
        (sqlite3.OperationalError("database or disk is full"), False),
    ],
)
def test_busy_is_recognised_by_its_own_class(error: Exception, busy: bool) -> None:
    assert isinstance(translate_db_error(error), DatabaseBusy) is busy
