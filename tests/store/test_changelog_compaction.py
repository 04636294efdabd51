"""The first open after migration 0014 stops keeping the values the rows hold and vacuums the
file (`store.changelog_compaction`): every entry reads back exactly as before, the file is
smaller, and an interrupted compaction finishes at the next open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from logged import logged
from unlocking import open_test_database

from referral_desk.demo import generate_demo
from referral_desk.store import changelog_compaction
from referral_desk.store.changelog_rows import LogNames, expand, pack_values
from referral_desk.store.changelog_values import resolve
from referral_desk.store.database import DB_FILENAME
from referral_desk.store.models import LocalSetting
from referral_desk.usecases.app_services import AppServices


def _as_migrated(db: Any) -> None:
    """Every value kept as text, and the note migration 0014 leaves: a migrated database."""
    with db.write() as session:
        names = LogNames(session)
        conn = names.conn
        updates = []
        for row in conn.exec_driver_sql(
            "SELECT site, seq, shape, record, hlc, tomb, vals FROM change_write"
        ).all():
            entries = resolve(session, expand(row, names))
            updates.append((pack_values(e[5] for e in entries), row[0], row[1]))
        conn.exec_driver_sql("UPDATE change_write SET vals = ? WHERE site = ? AND seq = ?", updates)
        session.add(LocalSetting(key=changelog_compaction.COMPACTION_KEY, value=True))


def _stored(db: Any) -> int:
    with db.read() as session:
        return int(
            session.connection()
            .exec_driver_sql("SELECT COUNT(*) FROM change_write WHERE vals IS NOT NULL")
            .scalar()
        )


def _entries(db: Any) -> list[Any]:
    with db.read() as session:
        return logged(session)


def test_the_first_open_after_the_migration_compacts_and_vacuums(
    app: AppServices, tmp_path: Path, monkeypatch: Any
) -> None:
    # A demo's log is a small part of its file; the large set's was 88% (vacuumed for real).
    monkeypatch.setattr(changelog_compaction, "VACUUM_SHARE", 0.0)
    generate_demo(app, people=40, services=60, seed=3)
    app.people.update(app.people.list()[0].id, area="Wales")  # a superseded value too
    db = app.db
    before = _entries(db)
    none_stored = _stored(db)
    _as_migrated(db)
    assert _stored(db) > 1000
    folder = db.path.parent
    db.close()
    size_migrated = (folder / DB_FILENAME).stat().st_size
    reopened = open_test_database(folder)
    try:
        assert _entries(reopened) == before
        assert _stored(reopened) == none_stored  # only what the rows do not hold is kept
        with reopened.read() as session:
            assert not changelog_compaction.compaction_due(session)
            free = session.connection().exec_driver_sql("PRAGMA freelist_count").scalar()
        assert free == 0  # vacuumed
    finally:
        reopened.close()
    assert (folder / DB_FILENAME).stat().st_size < size_migrated


def test_an_interrupted_compaction_finishes_at_the_next_open(
    app: AppServices, tmp_path: Path
) -> None:
    generate_demo(app, people=40, services=60, seed=4)
    db = app.db
    before = _entries(db)
    _as_migrated(db)
    with db.write() as session:  # one batch done, then the PC was switched off
        assert changelog_compaction.compact_batch(session, (0, 0)) is not None
    with db.read() as session:
        assert changelog_compaction.compaction_due(session)
    folder = db.path.parent
    db.close()
    reopened = open_test_database(folder)
    try:
        assert _entries(reopened) == before
        with reopened.read() as session:
            assert not changelog_compaction.compaction_due(session)
    finally:
        reopened.close()
