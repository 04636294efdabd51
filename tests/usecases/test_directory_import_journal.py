"""Large directory imports: planned outside the write lock, applied in short journaled chunks,
completed after a crash (DESIGN.md §9: before or after, never between)."""

from __future__ import annotations

import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from child_process import (
    kill_points,
    open_test_database_source,
    replayable,
    run_python,
    seed_from_env,
    statements,
    was_killed,
)
from hsds_packages import uid, write_package
from sqlalchemy import func, select
from unlocking import FIXED_KEY, open_test_database
from unlocking import connect as connect_db

from referral_desk.domain.errors import DomainError
from referral_desk.domain.search_query import SearchQuery
from referral_desk.hsds import importer
from referral_desk.store import import_journal
from referral_desk.store.database import DB_FILENAME, Database
from referral_desk.store.import_journal import ImportOp, ImportRun
from referral_desk.store.models import Person, Service
from referral_desk.usecases.directory_admin import DirectoryAdminService

SERVICES = 60


def big_tables(n: int = SERVICES, tag: str = "") -> dict[str, list[dict[str, str]]]:
    """`n` services of 6 organisations, each with a phone and two areas."""
    orgs = [{"id": uid(900_000 + i), "name": f"Org {i}{tag}", "description": "d"} for i in range(6)]
    services, phones, areas = [], [], []
    for i in range(n):
        sid = uid(100_000 + i)
        services.append(
            {
                "id": sid,
                "organization_id": orgs[i % 6]["id"],
                "name": f"Service {i}{tag}",
                "status": "active",
            }
        )
        phones.append({"id": uid(200_000 + i), "service_id": sid, "number": f"0113 496 {i:04d}"})
        areas += [
            {"id": uid(300_000 + 2 * i + k), "service_id": sid, "name": f"Area {k}{tag}"}
            for k in range(2)
        ]
    return {"organization": orgs, "service": services, "phone": phones, "service_area": areas}


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few records, so that a small package is applied in many transactions."""
    monkeypatch.setattr(import_journal, "CHUNK_WEIGHT", 120)


def projection(path: Path) -> tuple[Any, ...]:
    """What an import changes (ids, values, change-log size), without local timestamps."""
    queries = (
        "SELECT id, name, organisation_id, phone FROM service WHERE deleted_at IS NULL ORDER BY id",
        "SELECT id, name FROM organisation ORDER BY id",
        "SELECT id, service_id, name FROM service_area WHERE deleted_at IS NULL ORDER BY id",
        "SELECT count(*), coalesce(sum(seq), 0) FROM change_entry",
    )
    conn = connect_db(path / DB_FILENAME)
    try:
        return tuple(conn.execute(sql).fetchall() for sql in queries)
    finally:
        conn.close()


def admin_for(db: Database, clock: Any) -> DirectoryAdminService:
    return DirectoryAdminService(db, clock)


def copy_db(app: Any, dest: Path) -> Path:
    dest.mkdir(mode=0o700)
    with app.db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy2(app.db.path, dest / DB_FILENAME)
    return dest


def test_a_journaled_import_writes_what_one_transaction_writes(
    app: Any, tmp_path: Path, small_chunks: None
) -> None:
    pkg = write_package(tmp_path / "pkg", big_tables())
    other = open_test_database(copy_db(app, tmp_path / "other"))
    try:
        chunks: list[tuple[int, int]] = []
        report = admin_for(app.db, app.clock).import_package(
            pkg, small_rows=0, after_chunk=lambda done, total: chunks.append((done, total))
        )
        single = admin_for(other, app.clock).import_package(pkg)  # one transaction
    finally:
        other.close()
    assert len(chunks) > 5 and chunks[-1][0] == chunks[-1][1]
    assert report.counts == single.counts
    assert report.counts["service"]["new"] == SERVICES
    assert projection(app.db.path.parent)[:3] == projection(tmp_path / "other")[:3]
    assert projection(app.db.path.parent)[3][0] == projection(tmp_path / "other")[3][0]
    with app.db.read() as session:  # the journal is emptied, the run kept as history
        assert session.scalar(select(func.count()).select_from(ImportOp)) == 0
        assert session.scalar(select(ImportRun.state)) == "done"
    hits = app.directory.search(SearchQuery(text="service 17"))  # indexed chunk by chunk
    assert uid(100_017) in [h.id for h in hits]


def test_a_reimport_after_edits_updates_in_chunks(
    app: Any, tmp_path: Path, small_chunks: None
) -> None:
    admin = admin_for(app.db, app.clock)
    admin.import_package(write_package(tmp_path / "a", big_tables()), small_rows=0)
    tables = big_tables(tag=" (new)")
    tables["service_area"] = tables["service_area"][::2]  # every service loses an area
    report = admin.import_package(write_package(tmp_path / "b", tables), small_rows=0)
    assert report.counts["service"]["changed"] == SERVICES
    assert report.counts["service_area"]["removed"] == SERVICES
    names = {s.name for s in app.directory.list_services()}
    assert names == {f"Service {i} (new)" for i in range(SERVICES)}
    assert all(len(s.areas) == 1 for s in app.directory.list_services())


def test_an_officer_saves_between_chunks_of_a_long_import(
    app: Any, tmp_path: Path, small_chunks: None
) -> None:
    """The write lock is handed over after every chunk: another writer gets in mid-import."""
    pkg = write_package(tmp_path / "pkg", big_tables())
    saved: list[float] = []

    def officer_saves() -> None:
        started = time.perf_counter()
        with app.db.write(reason="officer") as session:
            session.add(Person(given_name="Sam", family_name="Lee", setting="community"))
        saved.append(time.perf_counter() - started)

    def after_chunk(done: int, total: int) -> None:
        if done == 2:
            writer = threading.Thread(target=officer_saves)
            writer.start()
            writer.join(10)
            assert saved, "the officer's save did not get through between chunks"
            with app.db.read() as session:  # the import is still going on
                assert session.scalar(select(ImportRun.state)) == "ready"

    admin_for(app.db, app.clock).import_package(pkg, small_rows=0, after_chunk=after_chunk)
    assert saved and saved[0] < 2.0
    with app.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Person)) >= 1
        assert session.scalar(select(func.count()).select_from(Service)) == SERVICES


def test_planning_holds_no_write_lock(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = write_package(tmp_path / "pkg", big_tables())
    original = importer._Planner.services
    waits: list[float] = []

    def services_then_check(self: Any, records: Any) -> None:
        def officer() -> None:
            started = time.perf_counter()
            with app.db.write(reason="officer") as session:
                session.add(Person(given_name="Ana", family_name="Cruz", setting="community"))
            waits.append(time.perf_counter() - started)

        writer = threading.Thread(target=officer)
        writer.start()
        writer.join(10)
        original(self, records)

    monkeypatch.setattr(importer._Planner, "services", services_then_check)
    admin_for(app.db, app.clock).import_package(pkg, small_rows=0)
    assert waits and max(waits) < 1.0  # it never waited on the import


def test_an_import_interrupted_after_its_commit_point_is_completed_on_open(
    app: Any, tmp_path: Path, small_chunks: None
) -> None:
    pkg = write_package(tmp_path / "pkg", big_tables())
    reference = open_test_database(copy_db(app, tmp_path / "reference"))
    try:
        admin_for(reference, app.clock).import_package(pkg, small_rows=0)
    finally:
        reference.close()
    after = projection(tmp_path / "reference")

    class Crash(BaseException):
        pass

    def crash(done: int, total: int) -> None:
        if done == 3:
            raise Crash

    with pytest.raises(Crash):
        admin_for(app.db, app.clock).import_package(pkg, small_rows=0, after_chunk=crash)
    folder = app.db.path.parent
    assert projection(folder) != after  # between: three chunks are in
    assert import_journal.pending(app.db)
    app.db.close()
    reopened = open_test_database(folder)  # rolls the import forward
    try:
        assert import_journal.pending(reopened) == []
    finally:
        reopened.close()
    assert projection(folder) == after


def test_a_failure_while_planning_leaves_nothing_behind(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = write_package(tmp_path / "pkg", big_tables())
    before = projection(app.db.path.parent)

    def broken(self: Any, records: Any) -> None:
        raise DomainError("planning failed")

    monkeypatch.setattr(importer._Planner, "services", broken)
    with pytest.raises(DomainError, match="planning failed"):
        admin_for(app.db, app.clock).import_package(pkg, small_rows=0)
    assert projection(app.db.path.parent) == before
    with app.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ImportOp)) == 0
        assert session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_a_plan_made_stale_by_another_import_is_refused(app: Any) -> None:
    first = import_journal.begin(app.db, "hsds")
    second = import_journal.begin(app.db, "hsds")  # (without the lock, as a foreign process)
    import_journal.commit(app.db, second, 0)
    with pytest.raises(import_journal.ImportSuperseded):
        import_journal.commit(app.db, first, 0)


def test_an_open_leaves_a_run_to_the_process_applying_it(app: Any) -> None:
    run = import_journal.begin(app.db, "hsds")
    import_journal.commit(app.db, run, 1)  # ready, with one (empty) chunk to go
    with import_journal.exclusive(app.db) as mine:
        assert mine
        assert import_journal.resume(app.db, wait=False) == []  # someone else holds it
        assert import_journal.pending(app.db) == [run]
    assert import_journal.resume(app.db, wait=False) == [run]
    assert import_journal.pending(app.db) == []


CHILD = (
    open_test_database_source(FIXED_KEY)
    + r"""
import sys
from pathlib import Path
from referral_desk.usecases.base import Clock
from referral_desk.usecases.directory_admin import DirectoryAdminService
from referral_desk.store import import_journal
import_journal.CHUNK_WEIGHT = 120
admin = DirectoryAdminService(open_database(Path(sys.argv[1])), Clock())
admin.import_package(Path(sys.argv[2]), small_rows=0)
"""
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_a_killed_import_leaves_before_or_after(app: Any, tmp_path: Path) -> None:
    """SIGKILL (no clean-up, as a power cut) before a statement or commit drawn from a seed
    (`REFERRAL_DESK_TEST_SEED` replays it); reopening gives before or after, and a later import
    completes."""
    pkg = write_package(tmp_path / "pkg", big_tables(150))
    base = copy_db(app, tmp_path / "base")
    before = projection(base)
    reference = shutil.copytree(base, tmp_path / "reference")
    total = statements(run_python(CHILD, reference, pkg, count=True))
    after = projection(reference)
    with replayable(seed_from_env()) as rng:
        for attempt, kill_after in enumerate(kill_points(rng, total, attempts=3)):
            folder = shutil.copytree(base, tmp_path / f"run{attempt}")
            done = run_python(CHILD, folder, pkg, kill_after=kill_after)
            assert was_killed(done) or kill_after == total, done.stderr[-2000:]
            db = open_test_database(folder)  # rolls a committed import forward
            try:
                state = projection(folder)
                assert state in (before, after), (
                    f"a killed import must leave before or after (killed after {kill_after} "
                    f"of {total} statements)"
                )
                admin_for(db, app.clock).import_package(pkg, small_rows=0)  # a later import
            finally:
                db.close()
            assert projection(folder)[:3] == after[:3]
