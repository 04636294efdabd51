"""Migration 0013 (docs/change-log.md): a database built by the previous version gets
`sync_site`, filled from its change log and quarantine, and reads the same version vector.

The "previous version" database is built in the test: the migrations up to 0012 (the schema the
previous release had), then log and quarantine rows written with SQL through the old tables,
with gaps and runs above them as out-of-order delivery leaves them.
"""

from __future__ import annotations

import shutil
import signal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from unlocking import connect, keyed_engine, open_test_database
from upgrade_kills import assert_upgrade_all_or_nothing

from referral_desk.store.database import (
    DB_FILENAME,
    alembic_config,
    current_revision,
    head_revision,
)
from referral_desk.sync.outgoing import export_scope
from referral_desk.sync.state import ExportState, version_vector

LOCAL = "00000000-0000-4000-8000-00000000000a"
OTHER = "00000000-0000-4000-8000-00000000000b"
FAR = "00000000-0000-4000-8000-00000000000c"


def _previous_version_database(folder: Path, more_sites: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    engine = keyed_engine(folder / DB_FILENAME)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0012")
    engine.dispose()
    con = connect(folder / DB_FILENAME)
    entries = [(LOCAL, q) for q in range(1, 6)]
    entries += [(OTHER, q) for q in (1, 2, 3, 7, 8, 11)]
    entries += [(FAR, q) for q in (4, 5)]  # nothing from its start yet
    for n in range(more_sites):  # one row of sync_site each: a longer migration to kill
        entries += [(f"00000000-0000-4000-8000-{n:012d}", q) for q in (1, 2, 5)]
    con.executemany(
        "INSERT INTO change_entry (site_id, seq, table_name, record_id, field, value, hlc, "
        "tombstone) VALUES (?, ?, 'person', 'r', 'notes', '\"x\"', ?, 0)",
        [(s, q, 1000 + i) for i, (s, q) in enumerate(entries)],
    )
    con.executemany(  # kept aside: held too, one of them also in the log
        "INSERT INTO sync_quarantine (site_id, seq, table_name, record_id, field, raw, reason, "
        "first_seen_at, last_tried_at, tries) VALUES (?, ?, '', '', '', '[]', 'x', "
        "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)",
        [(OTHER, 4), (OTHER, 11), (FAR, 9)],
    )
    con.execute("UPDATE site_state SET site_id = ?, next_seq = 6", (LOCAL,))
    con.commit()
    con.close()
    return folder


def test_a_previous_version_database_gets_its_held_seqs_from_its_log(tmp_path: Path) -> None:
    folder = _previous_version_database(tmp_path / "d")
    db = open_test_database(folder)
    try:
        assert current_revision(db.engine) == head_revision()
        with db.read() as session:
            rows = session.connection().exec_driver_sql(
                "SELECT site_id, top, runs FROM sync_site ORDER BY site_id"
            )
            assert [tuple(r) for r in rows] == [
                (LOCAL, 5, None),
                (OTHER, 4, "[[7,8],[11,11]]"),
                (FAR, 0, "[[4,5],[9,9]]"),
            ]
            assert version_vector(session) == {LOCAL: 5, OTHER: 4}
            scope = export_scope(session, ExportState("s", {OTHER: [[1, 8]]}, 0, 0))
            assert scope == [(LOCAL, 1, 5), (OTHER, 9, 11), (FAR, 1, 9)]
    finally:
        db.close()
    assert list((folder / "backups").glob("*.sqlite3"))  # copied before the upgrade


def _projection(folder: Path) -> tuple[Any, ...]:
    """The revision, the log's keys and `sync_site` (None before the migration made it)."""
    con = connect(folder / DB_FILENAME)
    try:
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        log = con.execute("SELECT site_id, seq FROM change_entry ORDER BY 1, 2").fetchall()
        made = con.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sync_site'"
        ).fetchone()[0]
        sites = con.execute("SELECT * FROM sync_site ORDER BY ord").fetchall() if made else None
        return revision, log, sites
    finally:
        con.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_a_migration_killed_at_any_point_leaves_the_old_database_then_migrates(
    tmp_path: Path,
) -> None:
    """SIGKILL before a statement or commit drawn from a seed (`tests/upgrade_kills.py`): the
    database is as the previous version left it or fully migrated, never between; the copy made
    before the upgrade is kept; the next open migrates."""
    base = _previous_version_database(tmp_path / "base", more_sites=40)

    def copy_is_the_old_database(folder: Path) -> None:
        copies = list((folder / "backups").glob("*.sqlite3"))
        if copies:
            assert _projection_of_file(copies[0]) == _projection(base)

    before, after = assert_upgrade_all_or_nothing(
        tmp_path, base, _projection, check_before=copy_is_the_old_database
    )
    assert before[0] == "0012" and after[0] == head_revision() and after[1] == before[1]


def _projection_of_file(path: Path) -> tuple[Any, ...]:
    folder = path.parent / "as-db"
    folder.mkdir(exist_ok=True)
    shutil.copy2(path, folder / DB_FILENAME)
    return _projection(folder)
