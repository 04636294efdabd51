"""Opening, creating, migrating and refusing database files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, func, select, text
from unlocking import connect as connect_db
from unlocking import fixed_key, keyed_engine, open_test_database

from referral_desk.domain.errors import DatabaseError
from referral_desk.store import fts
from referral_desk.store.database import (
    DB_FILENAME,
    SCHEMA_HEAD,
    Database,
    alembic_config,
    current_revision,
    head_revision,
)
from referral_desk.store.engine import KeyHolder, connect_keyed, driver
from referral_desk.store.models import Organisation, Person, SiteState


def test_new_database_is_built_by_migrations_to_head(tmp_path: Path) -> None:
    db = open_test_database(tmp_path / "d")
    try:
        assert current_revision(db.engine) == head_revision()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        db.close()


def test_schema_head_constant_matches_the_newest_migration() -> None:
    assert head_revision() == SCHEMA_HEAD


def test_migrations_build_exactly_the_schema_the_models_describe(tmp_path: Path) -> None:
    """A column added to a model without a migration (or the reverse) fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from referral_desk.store import directory_models, sync_models
    from referral_desk.store.models import Base

    assert directory_models and sync_models  # their tables are on Base.metadata too

    def ours(diff: tuple) -> bool:
        kind, item = diff[0], diff[1]
        if kind == "remove_table" and item.name.startswith(fts.FTS_TABLE):
            return False  # the FTS5 virtual table and its shadow tables are made by SQL
        # An expression index (COLLATE NOCASE) cannot be reflected back exactly.
        return not (kind in ("add_index", "remove_index") and item.name == "ix_service_area_live")

    db = open_test_database(tmp_path / "d")
    try:
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        db.close()
    assert [d for d in diffs if ours(d)] == []


def test_every_search_trigger_exists_after_upgrade_head(tmp_path: Path) -> None:
    db = open_test_database(tmp_path / "d")
    try:
        with db.engine.connect() as conn:
            assert fts.trigger_names(conn) >= fts.EXPECTED_TRIGGERS
    finally:
        db.close()


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_files_are_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "data"
    open_test_database(folder).close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / DB_FILENAME).stat().st_mode) == 0o600


def test_reopen_keeps_site_id_and_data(tmp_path: Path) -> None:
    db = open_test_database(tmp_path)
    site = db.site_id
    with db.write() as s:
        s.add(Organisation(name="Lighthouse Trust"))
    db.close()
    db = open_test_database(tmp_path)
    try:
        assert db.site_id == site
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(Organisation)) == 1
            assert s.scalar(select(func.count()).select_from(SiteState)) == 1
    finally:
        db.close()


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    path.write_bytes(b"PK\x03\x04 this is a zip, not a database" * 10)
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="not a Referral Desk database"):
        open_test_database(tmp_path)
    assert path.read_bytes() == before


def test_a_corrupt_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(DatabaseError):
        open_test_database(tmp_path)


def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    open_test_database(tmp_path).close()
    con = connect_db(tmp_path / DB_FILENAME)
    con.execute("UPDATE alembic_version SET version_num = 'fffffffff'")
    con.commit()
    con.close()
    with pytest.raises(DatabaseError, match="newer version of Referral Desk"):
        open_test_database(tmp_path)


def test_older_database_is_backed_up_then_migrated(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in script.walk_revisions()]
    first = revisions[-1]
    engine = keyed_engine(tmp_path / DB_FILENAME)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, first)
    engine.dispose()
    told: list[int] = []
    db = open_test_database(tmp_path, before_upgrade=lambda: told.append(len(told)))
    try:
        assert current_revision(db.engine) == head_revision()
    finally:
        db.close()
    assert told == [0]  # the officer is told once, before the backup starts
    open_test_database(tmp_path, before_upgrade=lambda: told.append(len(told))).close()
    open_test_database(tmp_path / "new", before_upgrade=lambda: told.append(len(told))).close()
    assert told == [0]  # up to date, or brand new: nothing to say
    backups = list((tmp_path / "backups").glob("*.sqlite3"))
    if first == head_revision():
        assert backups == []  # nothing to migrate, so no backup
    else:
        assert len(backups) == 1
        con = connect_db(backups[0])
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == first
        con.close()


def test_only_the_newest_pre_upgrade_copies_are_kept(tmp_path: Path) -> None:
    from referral_desk.store.database import KEEP_BACKUPS

    engine = keyed_engine(tmp_path / DB_FILENAME)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    backups = tmp_path / "backups"
    backups.mkdir()
    older = []
    for age in range(4):  # copies left by four earlier upgrades, oldest last
        old = backups / f"referral-desk-old{age}-2025010{age}-120000.sqlite3"
        old.write_bytes(b"old copy")
        os.utime(old, (1_700_000_000 - age * 86_400,) * 2)
        older.append(old.name)
    unrelated = backups / "notes.txt"
    unrelated.write_text("not ours")
    open_test_database(tmp_path).close()
    kept = sorted(p.name for p in backups.glob("*.sqlite3"))
    assert len(kept) == KEEP_BACKUPS == 3
    assert any("-0001-" in name for name in kept)  # the copy made just now
    assert set(kept) - {k for k in kept if "-0001-" in k} == set(older[:2])  # the two newest
    assert unrelated.exists()


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    db = open_test_database(tmp_path)
    try:
        with pytest.raises(RuntimeError), db.write() as s:
            s.add(Organisation(name="Half written"))
            s.flush()
            raise RuntimeError("boom")
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(Organisation)) == 0
            assert s.execute(text("SELECT count(*) FROM change_entry")).scalar() == 0
    finally:
        db.close()


def test_read_only_database_gives_a_clear_message(tmp_path: Path) -> None:
    open_test_database(tmp_path).close()
    path = tmp_path / DB_FILENAME
    # Root ignores file modes, so open SQLite read-only the way a read-only share behaves.
    keys = KeyHolder(fixed_key())
    ro = create_engine(
        "sqlite://",
        creator=lambda: connect_keyed(Path(f"file:{path}?mode=ro"), keys.current(), uri=True),
        module=driver,
    )
    db = Database(path, ro, keys)
    try:
        with pytest.raises(DatabaseError, match="read-only"), db.write() as s:
            s.add(Organisation(name="x"))
    finally:
        ro.dispose()


def test_full_disk_gives_a_clear_message_and_keeps_data(tmp_path: Path) -> None:
    db = open_test_database(tmp_path)
    with db.write() as s:
        s.add(Person(given_name="A", family_name="B"))
    with db.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    db.close()

    engine = keyed_engine(tmp_path / DB_FILENAME)

    @event.listens_for(engine, "connect")
    def _cap(dbapi_conn, _rec) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 2}")

    full = Database(tmp_path / DB_FILENAME, engine, KeyHolder(fixed_key()))
    try:
        with pytest.raises(DatabaseError, match="disk is full"), full.write() as s:
            for i in range(2000):
                s.add(Organisation(name=f"Organisation {i}" * 20))
        with full.read() as s:
            assert s.scalar(select(func.count()).select_from(Organisation)) == 0
            assert s.scalar(select(func.count()).select_from(Person)) == 1
    finally:
        full.close()


_REAL_UPGRADE = command.upgrade


def _database_at(folder: Path, revision: str) -> Path:
    """A database file as an older version of the app left it."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = keyed_engine(folder / DB_FILENAME)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        _REAL_UPGRADE(cfg, revision)
    engine.dispose()
    return folder / DB_FILENAME


@pytest.fixture
def failing_upgrade(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every upgrade runs its migration steps, then its last step fails (and is rolled back)."""
    calls: list[int] = []

    def upgrade_then_fail(cfg, revision, **kw):  # type: ignore[no-untyped-def]
        _REAL_UPGRADE(cfg, revision, **kw)
        calls.append(1)
        raise RuntimeError("a migration step failed")

    monkeypatch.setattr(command, "upgrade", upgrade_then_fail)
    return calls


def _copies(folder: Path) -> list[Path]:
    return sorted((folder / "backups").glob("*.sqlite3"))


def test_failed_upgrades_make_one_copy_not_one_each(tmp_path: Path, failing_upgrade) -> None:
    """Issue 11 point 12: six failed starts left six full copies of the caseload."""
    _database_at(tmp_path, "0001")
    for attempt in range(6):
        with pytest.raises(DatabaseError, match="could not be upgraded"):
            open_test_database(tmp_path)
        copies = _copies(tmp_path)
        assert len(copies) == 1
        if attempt == 0:
            first = copies[0].stat()
        else:  # the copy is reused as it is, never written again
            now = copies[0].stat()
            assert (now.st_ino, now.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert len(failing_upgrade) == 6  # the upgrade really was tried (and rolled back) each time
    engine = keyed_engine(tmp_path / DB_FILENAME)
    try:
        assert current_revision(engine) == "0001"  # each failure left the database as it was
    finally:
        engine.dispose()
    left = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert left == [copies[0].name, copies[0].name + ".json"]  # the copy and its record
    con = connect_db(copies[0])
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    con.close()


def test_a_changed_database_is_copied_again_after_a_failure(tmp_path, failing_upgrade) -> None:
    path = _database_at(tmp_path, "0001")
    with pytest.raises(DatabaseError):
        open_test_database(tmp_path)
    con = connect_db(path)
    con.execute("UPDATE alembic_version SET version_num = version_num")  # no change: same copy
    con.commit()
    con.close()
    with pytest.raises(DatabaseError):
        open_test_database(tmp_path)
    assert len(_copies(tmp_path)) == 1
    con = connect_db(path)
    con.execute("CREATE TABLE officer_notes (x)")  # the database now holds something new
    con.commit()
    con.close()
    with pytest.raises(DatabaseError):
        open_test_database(tmp_path)
    assert len(_copies(tmp_path)) == 2


def test_copies_are_pruned_after_a_failed_upgrade_too(tmp_path, failing_upgrade) -> None:
    from referral_desk.store.database import KEEP_BACKUPS

    _database_at(tmp_path, "0001")
    backups = tmp_path / "backups"
    backups.mkdir(mode=0o700)
    for age in range(5):  # copies left by earlier versions that never pruned after a failure
        old = backups / f"referral-desk-0001-2025010{age}-120000.sqlite3"
        old.write_bytes(b"old copy")
        os.utime(old, (1_700_000_000 - age * 86_400,) * 2)
    (backups / ".referral-desk-0001-20250101-120000.sqlite3.partial").write_bytes(b"half")
    with pytest.raises(DatabaseError):
        open_test_database(tmp_path)
    names = sorted(p.name for p in backups.iterdir())
    assert len(_copies(tmp_path)) == KEEP_BACKUPS
    assert not [n for n in names if n.endswith(".partial")]  # a killed start's half copy
    assert "referral-desk-0001-20250100-120000.sqlite3" in names  # the newest old one stays


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_copies_are_owner_only_in_an_owner_only_folder(tmp_path: Path, failing_upgrade) -> None:
    _database_at(tmp_path, "0001")
    with pytest.raises(DatabaseError):
        open_test_database(tmp_path)
    folder = tmp_path / "backups"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.iterdir())
    assert len(files) == 2  # the copy and its sidecar record, nothing else left behind
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def test_the_upgrade_after_failures_reuses_the_copy(tmp_path: Path, monkeypatch) -> None:
    _database_at(tmp_path, "0001")

    def fail(*_args: object, **_kw: object) -> None:
        raise RuntimeError("a migration step failed")

    monkeypatch.setattr(command, "upgrade", fail)
    with pytest.raises(DatabaseError, match="could not be upgraded"):
        open_test_database(tmp_path)
    monkeypatch.setattr(command, "upgrade", _REAL_UPGRADE)
    db = open_test_database(tmp_path)
    try:
        assert current_revision(db.engine) == head_revision()
    finally:
        db.close()
    assert len(_copies(tmp_path)) == 1
