"""BulkLoader: fast inserts that are still logged for sync, atomic, and keep search working."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime

import pytest
from logged import logged
from sqlalchemy import func, select, text

from referral_desk.domain.errors import DatabaseError
from referral_desk.domain.hlc import hlc_wall_ms
from referral_desk.store import changelog, fts
from referral_desk.store.bulk import BulkLoader
from referral_desk.store.changelog_sites import held_vector
from referral_desk.store.database import Database
from referral_desk.store.models import (
    AuditEntry,
    ChangeEntry,
    Need,
    Organisation,
    Person,
    Service,
    ServiceCategory,
    SiteState,
    SyncedBase,
)


def _orgs(n: int) -> list[dict]:
    return [
        {"name": f"Organisation {i}", "website": f"https://o{i}.example.org.uk"} for i in range(n)
    ]


def _services(org_ids: list[str]) -> list[dict]:
    rows = [
        {
            "organisation_id": org_ids[0],
            "name": "Lighthouse Housing Advice",
            "description": "Help with homelessness applications for Siân and everyone else",
            "languages": ["English", "Cymraeg"],
            "prisons": ["HMP Leeds"],
            "response_days": 3,
            "capacity_as_of": date(2025, 3, 1),
            "unit_cost": 45.5,
        }
    ]
    rows += [{"organisation_id": oid, "name": f"Debt advice {i}"} for i, oid in enumerate(org_ids)]
    return rows


def _site(db: Database) -> SiteState:
    with db.read() as session:
        state = session.get(SiteState, 1)
        assert state is not None
        return state


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _load_directory(db: Database) -> tuple[list[str], list[str], list[str]]:
    with db.write() as session, BulkLoader(session, reason="test load") as loader:
        org_ids = loader.add(Organisation, _orgs(3))
        service_ids = loader.add(Service, _services(org_ids))
        cat_ids = loader.add(
            ServiceCategory,
            [{"service_id": sid, "category_code": "accommodation"} for sid in service_ids[:1]]
            + [{"service_id": sid, "category_code": "finance"} for sid in service_ids[1:]],
        )
    return org_ids, service_ids, cat_ids


def test_every_logged_field_of_every_row_is_in_the_change_log(search_db: Database) -> None:
    org_ids, service_ids, cat_ids = _load_directory(search_db)
    site_id = _site(search_db).site_id
    with search_db.read() as session:
        for model, ids in (
            (Organisation, org_ids),
            (Service, service_ids),
            (ServiceCategory, cat_ids),
        ):
            table = model.__tablename__
            entries = logged(
                session, ChangeEntry.table_name == table, ChangeEntry.record_id.in_(ids)
            )
            fields = changelog.logged_columns(model)
            assert sorted((e.record_id, e.field) for e in entries) == sorted(
                (rid, name) for rid in ids for name in fields
            )
            by_key = {(e.record_id, e.field): e for e in entries}
            for obj in session.scalars(select(model).where(model.id.in_(ids))):
                for name in fields:
                    entry = by_key[(obj.id, name)]
                    # The value logged is what the ORM reads back, encoded like the listener does.
                    assert entry.value == changelog.encode_value(getattr(obj, name)), name
                    assert entry.site_id == site_id
                    assert not entry.tombstone


def test_defaults_and_bookkeeping_are_filled_like_the_orm(search_db: Database) -> None:
    before = changelog.utcnow().replace(microsecond=0)
    _, service_ids, _ = _load_directory(search_db)
    site_id = _site(search_db).site_id
    with search_db.read() as session:
        service = session.get(Service, service_ids[1])
        assert service is not None
        assert uuid.UUID(service.id).version == 4
        assert service.site_id == site_id
        assert service.created_at == service.updated_at >= before
        assert service.deleted_at is None
        assert service.status == "active" and service.gender == "any" and service.free is True
        assert service.languages == [] and service.extra == {}
        lighthouse = session.get(Service, service_ids[0])
        assert lighthouse is not None
        assert lighthouse.languages == ["English", "Cymraeg"]
        assert lighthouse.capacity_as_of == date(2025, 3, 1)
        assert lighthouse.unit_cost == 45.5
    # Stored text is exactly what SQLAlchemy writes (readers elsewhere parse it the same way).
    with search_db.engine.connect() as conn:
        created = conn.execute(
            text("SELECT created_at FROM service WHERE id = :id"), {"id": service_ids[0]}
        ).scalar_one()
        langs = conn.execute(
            text("SELECT languages FROM service WHERE id = :id"), {"id": service_ids[0]}
        ).scalar_one()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", created)
    assert langs == json.dumps(["English", "Cymraeg"])


def test_sequence_numbers_are_contiguous_and_ordinary_writes_continue_them(
    search_db: Database,
) -> None:
    start = _site(search_db)
    org_ids, service_ids, cat_ids = _load_directory(search_db)
    after = _site(search_db)
    expected = sum(
        len(ids) * len(changelog.logged_columns(m))
        for m, ids in ((Organisation, org_ids), (Service, service_ids), (ServiceCategory, cat_ids))
    )
    assert after.next_seq == start.next_seq + expected
    with search_db.read() as session:
        rows = session.execute(
            select(ChangeEntry.seq, ChangeEntry.hlc)
            .where(ChangeEntry.seq >= start.next_seq)
            .order_by(ChangeEntry.seq)
        ).all()
    assert [r.seq for r in rows] == list(range(start.next_seq, after.next_seq))
    hlcs = [r.hlc for r in rows]
    assert hlcs == sorted(set(hlcs)) and hlcs[0] > start.hlc
    assert after.hlc == hlcs[-1]
    assert abs(hlc_wall_ms(hlcs[0]) - datetime.now().timestamp() * 1000) < 3_600_000

    with search_db.write() as session:  # an ordinary ORM write afterwards
        session.add(Organisation(name="Written by a form"))
    with search_db.read() as session:
        nxt = session.execute(
            select(ChangeEntry.seq, ChangeEntry.hlc).where(ChangeEntry.seq >= after.next_seq)
        ).all()
    assert sorted(r.seq for r in nxt) == list(
        range(after.next_seq, after.next_seq + len(changelog.logged_columns(Organisation)))
    )
    assert min(r.hlc for r in nxt) > after.hlc


def test_orm_write_in_the_same_session_after_a_load(search_db: Database) -> None:
    with search_db.write() as session:
        session.add(Organisation(name="Before the load"))  # pending, flushed by the loader
        with BulkLoader(session) as loader:
            loader.add(Organisation, _orgs(2))
        session.add(Organisation(name="After the load"))
    with search_db.read() as session:
        seqs = session.scalars(select(ChangeEntry.seq).order_by(ChangeEntry.seq)).all()
        state = session.get(SiteState, 1)
        assert state is not None
    assert seqs == list(range(1, len(seqs) + 1))
    assert state.next_seq == len(seqs) + 1
    assert _count(search_db, Organisation) == 4
    with search_db.read() as session:  # every seq this site used is held (sync_site)
        assert held_vector(session) == {state.site_id: len(seqs)}


def test_local_columns_are_stored_but_not_logged(search_db: Database) -> None:
    with search_db.write() as session, BulkLoader(session) as loader:
        (person_id,) = loader.add(Person, [{"given_name": "Siân", "family_name": "ap Rhys"}])
        (need_id,) = loader.add(
            Need,
            [
                {
                    "person_id": person_id,
                    "category_code": "accommodation",
                    "identified_on": date(2025, 1, 6),
                    "status": "referred",
                }
            ],
        )
    with search_db.read() as session:
        need = session.get(Need, need_id)
        assert need is not None and need.status == "referred"
        fields = set(
            session.scalars(select(ChangeEntry.field).where(ChangeEntry.record_id == need_id))
        )
        person = session.get(Person, person_id)
        assert person is not None and person.given_name == "Siân"
    assert "status" not in fields
    assert fields == set(changelog.logged_columns(Need))


def test_one_audit_row_per_table_per_load(search_db: Database) -> None:
    before = _count(search_db, AuditEntry)
    _load_directory(search_db)
    with search_db.read() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.id > before)).all()
    assert sorted(r.table_name for r in rows) == ["organisation", "service", "service_category"]
    by_table = {r.table_name: r for r in rows}
    assert by_table["service"].action == "create"
    assert by_table["service"].reason == "test load: bulk create (4 records)"
    assert by_table["organisation"].fields == ",".join(
        sorted(changelog.logged_columns(Organisation))
    )


def test_search_finds_loaded_services_and_triggers_come_back(search_db: Database) -> None:
    _, service_ids, _ = _load_directory(search_db)
    with search_db.engine.connect() as conn:
        hits = (
            conn.execute(
                text(
                    "SELECT s.id FROM service_fts JOIN service s ON s.rowid = service_fts.rowid "
                    "WHERE service_fts MATCH :q"
                ),
                {"q": "lighthouse"},
            )
            .scalars()
            .all()
        )
        by_category = conn.execute(
            text("SELECT count(*) FROM service_fts WHERE service_fts MATCH :q"),
            {"q": "categories:debt OR categories:money OR categories:financial"},
        ).scalar_one()
        assert fts.trigger_names(conn) >= fts.EXPECTED_TRIGGERS
    assert hits == [service_ids[0]]
    assert by_category >= 1
    # The restored triggers index later ordinary writes again.
    with search_db.write() as session:
        org = Organisation(name="Harbour Trust")
        session.add(org)
        session.flush()
        session.add(Service(organisation_id=org.id, name="Harbour Tenancy Help"))
    with search_db.engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM service_fts WHERE service_fts MATCH 'harbour'")
        ).scalar_one()
    assert found == 1


def _snapshot(db: Database) -> tuple:
    with db.engine.connect() as conn:
        triggers = frozenset(fts.trigger_names(conn))
    state = _site(db)
    counts = tuple(
        _count(db, m) for m in (Organisation, Service, ServiceCategory, ChangeEntry, AuditEntry)
    )
    return counts, state.next_seq, state.hlc, triggers


def test_an_exception_mid_load_leaves_nothing_behind(search_db: Database) -> None:
    before = _snapshot(search_db)
    with (
        pytest.raises(RuntimeError, match="power cut"),
        search_db.write() as session,
        BulkLoader(session) as loader,
    ):
        org_ids = loader.add(Organisation, _orgs(3))
        loader.add(Service, _services(org_ids))  # triggers are dropped by now
        raise RuntimeError("power cut")
    assert _snapshot(search_db) == before
    assert before[3] >= fts.EXPECTED_TRIGGERS


def test_a_database_error_mid_load_leaves_nothing_behind(search_db: Database) -> None:
    before = _snapshot(search_db)
    with (
        pytest.raises(DatabaseError),
        search_db.write() as session,
        BulkLoader(session) as loader,
    ):
        loader.add(Organisation, _orgs(2))
        loader.add(Service, [{"organisation_id": str(uuid.uuid4()), "name": "Orphan"}])
    assert _snapshot(search_db) == before


def test_unknown_columns_are_refused(search_db: Database) -> None:
    with (
        pytest.raises(ValueError, match="organisation: colour"),
        search_db.write() as session,
        BulkLoader(session) as loader,
    ):
        loader.add(Organisation, [{"name": "Typo Trust", "colour": "blue"}])
    assert _count(search_db, Organisation) == 0


def test_loads_through_a_plain_connection_too(search_db: Database) -> None:
    given = "7d0e1a53-2b6c-4e36-9b5a-9f1e5e7c1a01"
    with search_db.engine.begin() as conn, BulkLoader(conn) as loader:
        ids = loader.add(Organisation, [{"id": given, "name": "X"}])
    assert ids == [given]
    with search_db.read() as session:
        fields = session.scalars(select(ChangeEntry.field).where(ChangeEntry.record_id == given))
        assert sorted(fields) == sorted(changelog.logged_columns(Organisation))


def test_every_synced_model_can_be_planned(search_db: Database) -> None:
    """A load of any synced table works (catches column types the loader cannot bind)."""
    from referral_desk.store.models import SYNCED_MODELS

    with search_db.write() as session:
        loader = BulkLoader(session)
        for model in SYNCED_MODELS.values():
            assert issubclass(model, SyncedBase)
            loader.add(model, [])
        loader.finish()


def test_triggers_survive_a_failed_load_that_starts_with_services(search_db: Database) -> None:
    """Dropping the full-text triggers must be part of the transaction, not auto-committed
    (Python's sqlite3 on its own begins transactions only at the first DML statement)."""
    with search_db.write() as session:
        org = Organisation(name="Existing Trust")
        session.add(org)
    before = _snapshot(search_db)
    with (
        pytest.raises(RuntimeError, match="stop"),
        search_db.write() as session,
        BulkLoader(session) as loader,
    ):
        loader.add(Service, [{"organisation_id": org.id, "name": "First thing loaded"}])
        raise RuntimeError("stop")
    assert _snapshot(search_db) == before
