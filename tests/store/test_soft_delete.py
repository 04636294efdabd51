"""Soft delete applied once (`store.soft_delete`): a tombstoned row never appears through a
normal ORM read, whatever shape the read has, and `include_deleted` shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from referral_desk.store.database import Database
from referral_desk.store.models import Organisation, Service, ServiceCategory
from referral_desk.store.soft_delete import INCLUDE_DELETED, live

WHEN = datetime(2026, 1, 2, 3, 4, 5)


def _two_services(directory: Any) -> tuple[str, str]:
    kept = directory.service("Kept", categories=["accommodation"])
    gone = directory.service("Gone", categories=["accommodation"])
    directory.delete(gone)
    return kept, gone


def test_a_deleted_row_never_appears_in_a_normal_read(search_db: Database, directory: Any) -> None:
    kept, _gone = _two_services(directory)
    with search_db.read() as session:
        assert set(session.scalars(select(Service.id))) == {kept}
        assert [s.id for s in session.scalars(select(Service))] == [kept]
        assert session.scalar(select(func.count()).select_from(Service)) == 1


def test_joins_aliases_and_subqueries_are_filtered(search_db: Database, directory: Any) -> None:
    kept, gone = _two_services(directory)
    directory.delete_category(kept, "accommodation")
    other = aliased(Service)
    with search_db.read() as session:
        # the kept service's only category is deleted; the deleted service's is not (the
        # filter is per row: erasing a service's dependents is `store.ownership`'s job)
        assert list(session.scalars(select(ServiceCategory.service_id))) == [gone]
        joined = select(Service.id).join(Organisation, Organisation.id == Service.organisation_id)
        assert list(session.scalars(joined)) == [kept]
        assert list(session.scalars(select(other.id))) == [kept]
        has_category = exists().where(ServiceCategory.service_id == Service.id)
        assert list(session.scalars(select(Service.id).where(has_category))) == []


def test_include_deleted_shows_tombstones(search_db: Database, directory: Any) -> None:
    kept, gone = _two_services(directory)
    with search_db.read() as session:
        every = session.scalars(select(Service.id), execution_options=INCLUDE_DELETED)
        assert set(every) == {kept, gone}
        on_statement = select(Service.id).execution_options(include_deleted=True)
        assert set(session.scalars(on_statement)) == {kept, gone}


def test_get_by_id_finds_a_deleted_row_whatever_the_session_loaded_before(
    search_db: Database, directory: Any
) -> None:
    """A lookup by id is not filtered: the identity map would answer it without a query."""
    kept, gone = _two_services(directory)
    with search_db.read() as session:
        row = session.get(Service, gone)
        assert row is not None and row.deleted_at is not None
        assert live(session, Service, gone) is None
        assert live(session, Service, kept) is not None
        assert live(session, Service, None) is None
        assert live(session, Service, "no-such-id") is None


def test_core_statements_on_tables_are_not_filtered(search_db: Database, directory: Any) -> None:
    """Sync and the search index read tables directly and handle tombstones themselves."""
    kept, gone = _two_services(directory)
    table = Service.__table__
    with search_db.read() as session:
        assert set(session.scalars(select(table.c.id))) == {kept, gone}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(deleted=st.lists(st.booleans(), min_size=1, max_size=6))
def test_normal_reads_show_exactly_the_live_rows(
    search_db: Database, directory: Any, deleted: list[bool]
) -> None:
    with search_db.write() as session:
        org = Organisation(name="Org")
        session.add(org)
        session.flush()
        ids = []
        for i, dead in enumerate(deleted):
            svc = Service(name=f"S{i}", organisation_id=org.id, deleted_at=WHEN if dead else None)
            session.add(svc)
            ids.append(svc.id)
    with search_db.read() as session:
        shown = set(session.scalars(select(Service.id).where(Service.id.in_(ids))))
        assert shown == {i for i, dead in zip(ids, deleted, strict=True) if not dead}
        every = session.scalars(
            select(Service.id).where(Service.id.in_(ids)), execution_options=INCLUDE_DELETED
        )
        assert set(every) == set(ids)
