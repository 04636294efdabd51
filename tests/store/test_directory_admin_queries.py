"""The directory keeper's queries: live rows only, categories revived rather than duplicated,
stale services oldest first, declines tallied per service and reason."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from referral_desk.store.database import Database
from referral_desk.store.directory_admin_queries import (
    live_locations,
    live_service_count,
    replace_service_areas,
    replace_service_categories,
    service_names,
    soft_delete_organisation,
    soft_delete_service,
    stale_services,
)
from referral_desk.store.models import (
    Location,
    Organisation,
    Service,
    ServiceArea,
    ServiceCategory,
)
from referral_desk.store.soft_delete import INCLUDE_DELETED


def _categories(db: Database, service_id: str) -> list[tuple[str, bool]]:
    with db.read() as session:
        rows = session.scalars(
            select(ServiceCategory).where(ServiceCategory.service_id == service_id),
            execution_options=INCLUDE_DELETED,
        )
        return sorted((r.category_code, r.deleted_at is None) for r in rows)


def test_a_category_ticked_again_is_revived_not_added_twice(
    search_db: Database, directory: Any
) -> None:
    sid = directory.service("Tenancy", categories=["accommodation", "finance"])
    with search_db.write() as session:
        replace_service_categories(session, sid, ["finance"])
    assert _categories(search_db, sid) == [("accommodation", False), ("finance", True)]
    with search_db.write() as session:
        replace_service_categories(session, sid, ["accommodation", "finance"])
    assert _categories(search_db, sid) == [("accommodation", True), ("finance", True)]


def test_areas_are_one_per_name_whatever_the_case(search_db: Database, directory: Any) -> None:
    sid = directory.service("Tenancy", areas=["leeds"])
    with search_db.write() as session:
        replace_service_areas(session, sid, ["Leeds", "LEEDS", "Bradford"])
    with search_db.read() as session:
        live = session.scalars(
            select(ServiceArea.name).where(
                ServiceArea.service_id == sid, ServiceArea.deleted_at.is_(None)
            )
        )
        assert sorted(live) == ["Bradford", "Leeds"]


def test_deleting_marks_rows_and_counts_see_live_rows_only(
    search_db: Database, directory: Any
) -> None:
    sid = directory.service("Tenancy", organisation="Hope", categories=["finance"], areas=["X"])
    org_id = directory.organisation("Hope")
    with search_db.write() as session:
        session.add(Location(organisation_id=org_id, name="Office"))
    with search_db.read() as session:
        assert live_service_count(session, organisation_id=org_id) == 1
        assert [loc.name for loc in live_locations(session, org_id)] == ["Office"]
    with search_db.write() as session:
        soft_delete_service(session, session.get(Service, sid))
    with search_db.read() as session:
        assert live_service_count(session, organisation_id=org_id) == 0
        assert service_names(session, [sid]) == {}
    assert _categories(search_db, sid) == [("finance", False)]
    with search_db.write() as session:
        soft_delete_organisation(session, session.get(Organisation, org_id))
    with search_db.read() as session:
        assert live_locations(session, org_id) == []


def test_stale_services_never_verified_first_then_oldest(
    search_db: Database, directory: Any
) -> None:
    never = directory.service("Never", organisation="Hope")
    old = directory.service("Old", assured_date=date(2024, 1, 1))
    older = directory.service("Older", assured_date=date(2023, 1, 1))
    directory.service("Fresh", assured_date=date(2026, 2, 1))
    directory.service("Gone", status="defunct")
    with search_db.read() as session:
        rows = stale_services(session, date(2025, 3, 2), left_out=["defunct"])
        assert [(s.id, org) for s, org in rows] == [
            (never, "Hope"),
            (older, "Test Organisation"),
            (old, "Test Organisation"),
        ]
        names = service_names(session, [never, old, "not-an-id"])
    assert names == {never: ("Never", "Hope"), old: ("Old", "Test Organisation")}
