"""Migration 0014 (docs/change-log.md, step 2): the per-field `change_entry` table of a database
built by the previous version becomes `change_write` rows, one per record write, and every
entry reads back exactly as it was: key, table, record, field, value text, stamp, tombstone.

The "previous version" database is built in the test: the migrations up to 0013 (the schema the
previous release had), then log rows written with SQL through the old table — local writes
whose fields have consecutive seqs and stamps (one row each after the migration), and entries
that cannot share a row: a stamp that jumps, a field written twice in a row, a record id that
is not a canonical uuid, more fields than a row takes, another site's entries in between.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from unlocking import connect, keyed_engine, open_test_database
from upgrade_kills import assert_upgrade_all_or_nothing

from referral_desk.store.changelog_rows import LogNames, entries_of_records, site_rows
from referral_desk.store.database import DB_FILENAME, alembic_config, head_revision
from referral_desk.sync.outgoing import entry_batches

LOCAL = "00000000-0000-4000-8000-00000000000a"
OTHER = "00000000-0000-4000-8000-00000000000b"
PERSON = "5f0c7a52-8f1e-4c1e-9a53-0d6f8d3b2a11"
UPPER = "5F0C7A52-8F1E-4C1E-9A53-0D6F8D3B2A12"  # not canonical: kept as text
HLC = 1 << 40


def _entries(more: int = 0) -> list[tuple[Any, ...]]:
    e: list[tuple[Any, ...]] = []
    fields = ["first_name", "last_name", "notes", "created_at", "site_id"]
    values = ['"Siân"', '"O\'Brien \\"Bob\\""', '"tab\\tand\\\\slash"', '"2026-01-01"', '"x"']
    for k, (f, v) in enumerate(zip(fields, values, strict=True)):  # one write: one row
        e.append((LOCAL, 1 + k, "person", PERSON, f, v, HLC + k, 0))
    e.append((LOCAL, 6, "person", PERSON, "notes", '"later"', HLC + 100, 0))  # stamp jumps
    e.append((LOCAL, 7, "person", PERSON, "notes", '"again"', HLC + 101, 0))  # same field
    e.append((LOCAL, 8, "person", "r-1", "notes", "null", HLC + 102, 0))  # not a uuid
    e.append((LOCAL, 9, "person", UPPER, "notes", "12.5", HLC + 103, 0))
    e.append((LOCAL, 10, "person", PERSON, "deleted_at", '"2026-02-01T10:00:00"', HLC + 104, 1))
    e.append((LOCAL, 11, "person", PERSON, "first_name", '""', HLC + 105, 0))
    e += [  # 70 fields of one record: more than one row holds
        (LOCAL, 12 + k, "service", PERSON, f"f{k}", str(k), HLC + 200 + k, 0) for k in range(70)
    ]
    e += [(OTHER, q, "need", f"n{q}", "summary", '"ok"', HLC + 5 * q, 0) for q in (1, 2, 5)]
    for n in range(more):  # a longer migration to kill
        e += [
            (f"00000000-0000-4000-8000-{n:012d}", q, "person", PERSON, f"f{q}", "1", HLC + q, 0)
            for q in range(1, 30)
        ]
    return e


def _previous_version_database(folder: Path, more: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    engine = keyed_engine(folder / DB_FILENAME)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0013")
    engine.dispose()
    con = connect(folder / DB_FILENAME)
    entries = _entries(more)
    con.executemany(
        "INSERT INTO change_entry (site_id, seq, table_name, record_id, field, value, hlc, "
        "tombstone) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        entries,
    )
    sites: dict[str, int] = {}
    for site, seq, *_rest in entries:
        sites[site] = max(sites.get(site, 0), seq)
    con.executemany(  # as migration 0013 left it (seqs with gaps kept simple: tops only)
        "INSERT INTO sync_site (site_id, top) VALUES (?, ?)", sorted(sites.items())
    )
    con.execute("UPDATE site_state SET site_id = ?, next_seq = 82", (LOCAL,))
    con.commit()
    con.close()
    return folder


def _log(folder: Path) -> list[tuple[Any, ...]]:
    """The entries as `change_entry` gives them: the old table before, the view after."""
    con = connect(folder / DB_FILENAME)
    try:
        return [
            (s, q, t, r, f, v, h, int(b))
            for s, q, t, r, f, v, h, b in con.execute(
                "SELECT site_id, seq, table_name, record_id, field, value, hlc, tombstone "
                "FROM change_entry ORDER BY site_id, seq"
            )
        ]
    finally:
        con.close()


def test_every_entry_reads_back_exactly_after_the_migration(tmp_path: Path) -> None:
    folder = _previous_version_database(tmp_path / "d")
    before = _log(folder)
    assert before == sorted(_entries())
    db = open_test_database(folder)
    try:
        with db.read() as session:
            conn = session.connection()
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            assert revision == head_revision()
            rows = conn.exec_driver_sql("SELECT COUNT(*) FROM change_write").scalar()
            # a write of 5; seqs 6, 7, 8, 9 alone; 10-11 (consecutive, one record); 70 fields
            # in 2 rows; 3 from OTHER, one each
            assert rows == 1 + 4 + 1 + 2 + 3
            exported = [tuple(e) for batch in entry_batches(session, None) for e in batch]
            assert exported == before
            names = LogNames(session)
            own = [e for row in site_rows(session, names, LOCAL, 3, 13) for e in row]
            assert [e[1] for e in own] == list(range(3, 14))  # clipped inside rows
            person = entries_of_records(session, "person", [PERSON, "r-1", UPPER])
            assert sorted(person) == [e for e in before if e[2] == "person"]
    finally:
        db.close()
    assert _log(folder) == before
    assert list((folder / "backups").glob("*.sqlite3"))  # copied before the upgrade


def test_the_migration_can_be_stepped_back(tmp_path: Path) -> None:
    folder = _previous_version_database(tmp_path / "d")
    before = _log(folder)
    open_test_database(folder).close()
    engine = keyed_engine(folder / DB_FILENAME)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013")
    engine.dispose()
    assert _log(folder) == before
    con = connect(folder / DB_FILENAME)
    try:
        kinds = dict(con.execute("SELECT name, type FROM sqlite_master").fetchall())
    finally:
        con.close()
    assert kinds["change_entry"] == "table" and "change_write" not in kinds


def _projection(folder: Path) -> tuple[Any, ...]:
    con = connect(folder / DB_FILENAME)
    try:
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        kind = con.execute("SELECT type FROM sqlite_master WHERE name = 'change_entry'").fetchone()
    finally:
        con.close()
    return revision, kind[0], _log(folder)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_a_migration_killed_at_any_point_leaves_the_old_database_then_migrates(
    tmp_path: Path,
) -> None:
    """SIGKILL before a statement or commit drawn from a seed (`tests/upgrade_kills.py`): the
    log is the old table or the new rows with every entry intact, never between; the next open
    migrates."""
    base = _previous_version_database(tmp_path / "base", more=40)
    before, after = assert_upgrade_all_or_nothing(tmp_path, base, _projection)
    assert before[:2] == ("0013", "table") and after[:2] == (head_revision(), "view")
    assert after[2] == before[2]
