"""Applying import ops: updates logged for sync, the search index right, cheaply.

The journal's chunking, staging and crash recovery are tested through the directory import
(`tests/usecases/test_directory_import_journal.py`); these tests pin what `apply_ops` does
with many updates at once: one bulk re-index instead of a trigger per row, only the columns
being set loaded, and a chunk of updates bounded by what updates really cost.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from referral_desk.store import fts, import_journal, import_ops
from referral_desk.store.bulk import BulkLoader
from referral_desk.store.database import Database
from referral_desk.store.import_ops import Op, apply_ops
from referral_desk.store.models import ChangeEntry, Organisation, Service, ServiceCategory

SERVICES = 6
FINANCE = "categories:debt OR categories:money OR categories:financial"  # its label


def _directory(db: Database) -> tuple[list[str], list[str], list[str]]:
    """Two organisations, their services (in categories), through the bulk loader."""
    with db.write() as session, BulkLoader(session) as loader:
        orgs = loader.add(Organisation, [{"name": "Harbour Trust"}, {"name": "Beacon Trust"}])
        services = loader.add(
            Service,
            [
                {"organisation_id": orgs[i % 2], "name": f"Service {i}", "description": "Old"}
                for i in range(SERVICES)
            ],
        )
        categories = loader.add(
            ServiceCategory, [{"service_id": sid, "category_code": "finance"} for sid in services]
        )
    return orgs, services, categories


def _matching(db: Database, query: str) -> set[str]:
    with db.engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT s.id FROM service_fts JOIN service s ON s.rowid = service_fts.rowid "
                    "WHERE service_fts MATCH :q"
                ),
                {"q": query},
            ).scalars()
        )


def _entries(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(ChangeEntry)) or 0)


@pytest.fixture
def bulk_from_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_ops, "FTS_BULK_FROM", 2)


def test_many_updates_reindex_their_services_once(
    search_db: Database, bulk_from_two: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _orgs, services, _cats = _directory(search_db)
    refreshed: list[list[str]] = []
    real_refresh = fts.refresh

    def spy(conn: Any, ids: list[str]) -> None:
        refreshed.append(list(ids))
        real_refresh(conn, ids)

    monkeypatch.setattr(fts, "refresh", spy)
    before = _entries(search_db)
    ops = [Op("service", "update", sid, {"description": "Saturday opening"}) for sid in services]
    with search_db.write() as session:
        apply_ops(session, ops)
    assert refreshed == [sorted(services)]  # one bulk re-index, not a trigger per row
    assert _matching(search_db, "saturday") == set(services)
    assert _matching(search_db, "old") == set()
    assert _entries(search_db) == before + SERVICES  # one logged field per service
    with search_db.engine.connect() as conn:
        assert fts.trigger_names(conn) >= fts.EXPECTED_TRIGGERS


def test_renamed_organisations_and_removed_categories_reach_the_index(
    search_db: Database, bulk_from_two: None
) -> None:
    orgs, services, categories = _directory(search_db)
    assert _matching(search_db, FINANCE) == set(services)
    ops = [
        Op("organisation", "update", orgs[0], {"name": "Lighthouse Trust"}),
        *(Op("service_category", "update", cid, {"deleted_at": None}) for cid in categories[:1]),
    ]
    from referral_desk.store.changelog import utcnow

    ops += [
        Op("service_category", "update", cid, {"deleted_at": utcnow()}) for cid in categories[1:]
    ]
    with search_db.write() as session:
        apply_ops(session, ops)
    assert _matching(search_db, "organisation:lighthouse") == set(services[0::2])
    assert _matching(search_db, "organisation:harbour") == set()
    assert _matching(search_db, FINANCE) == {services[0]}


def test_an_error_while_reindexing_leaves_updates_index_and_triggers_as_they_were(
    search_db: Database, bulk_from_two: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _orgs, services, _cats = _directory(search_db)
    before = _entries(search_db)

    def broken(conn: Any, ids: list[str]) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(fts, "refresh", broken)
    ops = [Op("service", "update", sid, {"description": "Saturday opening"}) for sid in services]
    with pytest.raises(RuntimeError, match="disk full"), search_db.write() as session:
        apply_ops(session, ops)
    assert _matching(search_db, "old") == set(services)
    assert _matching(search_db, "saturday") == set()
    assert _entries(search_db) == before
    with search_db.engine.connect() as conn:
        assert fts.trigger_names(conn) >= fts.EXPECTED_TRIGGERS


def test_an_update_loads_only_the_columns_it_sets(search_db: Database) -> None:
    _orgs, services, _cats = _directory(search_db)
    selects: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM service " in statement:
            selects.append(statement)

    event.listen(search_db.engine, "before_cursor_execute", record)
    try:
        with search_db.write() as session:
            apply_ops(session, [Op("service", "update", services[0], {"name": "Renamed"})])
    finally:
        event.remove(search_db.engine, "before_cursor_execute", record)
    assert selects, "the update did not read the service"
    assert all("description" not in sql and "languages" not in sql for sql in selects)
    assert _matching(search_db, "renamed") == {services[0]}


def test_a_chunk_of_updates_is_bounded_by_records_not_only_fields() -> None:
    """An ORM update costs per record about what a bulk insert costs per 16 values: a chunk
    of one-field updates must hold far fewer records than a chunk of one-field inserts."""
    one_field_update = Op("service", "update", "x", {"description": "y"})
    one_field_insert = Op("service", "insert", "x", {"description": "y"})
    per_chunk = import_journal.CHUNK_WEIGHT // one_field_update.weight
    assert per_chunk <= import_journal.CHUNK_WEIGHT // 16
    assert one_field_insert.weight == 1
    two_fields = Op("service", "update", "x", {"description": "y", "name": "z"})
    assert two_fields.weight > one_field_update.weight
