"""Directory use cases: search pages, one service, lists — plain data, batched loading."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import event, select

from referral_desk.domain.errors import NotFound
from referral_desk.domain.search_query import SearchQuery
from referral_desk.store.database import Database
from referral_desk.store.models import (
    Location,
    Organisation,
    Service,
    ServiceArea,
    ServiceCategory,
)
from referral_desk.usecases.directory import DirectoryService
from referral_desk.usecases.dto import LocationView, SearchResult, ServiceView


def add_org(db: Database, name: str) -> str:
    with db.write() as session:
        org = Organisation(name=name)
        session.add(org)
        session.flush()
        return org.id


def add_service(
    db: Database,
    org_id: str,
    name: str,
    *,
    categories: tuple[str, ...] = (),
    areas: tuple[str, ...] = (),
    location: dict[str, Any] | None = None,
    **fields: Any,
) -> str:
    with db.write() as session:
        if location is not None:
            loc = Location(organisation_id=org_id, **location)
            session.add(loc)
            session.flush()
            fields["location_id"] = loc.id
        svc = Service(name=name, organisation_id=org_id, **fields)
        session.add(svc)
        session.flush()
        session.add_all(ServiceCategory(service_id=svc.id, category_code=c) for c in categories)
        session.add_all(ServiceArea(service_id=svc.id, name=a) for a in areas)
        return svc.id


def delete_service(db: Database, service_id: str) -> None:
    with db.write() as session:
        svc = session.get(Service, service_id)
        assert svc is not None
        svc.deleted_at = datetime(2026, 1, 1)


@pytest.fixture
def directory(directory_db: Database) -> DirectoryService:
    return DirectoryService(directory_db)


@pytest.fixture
def lighthouse(directory_db: Database) -> dict[str, str]:
    org = add_org(directory_db, "Lighthouse Trust")
    full = add_service(
        directory_db,
        org,
        "Lighthouse Housing Advice",
        description="Help to find and keep a tenancy.",
        categories=("finance", "accommodation"),
        areas=("West Yorkshire", "Leeds"),
        prisons=["HMP Leeds"],
        languages=["en", "cy"],
        capacity_as_of=date(2026, 2, 1),
        isp_agreed=True,
        reports_attendance=True,
        location={
            "name": "Drop-in",
            "address_1": "1 Quay St",
            "city": "Leeds",
            "postcode": "LS1 1AA",
        },
    )
    refuge = add_service(
        directory_db,
        org,
        "Lighthouse Refuge",
        categories=("women",),
        gender="female",
        confidential_address=True,
        location={"name": "Refuge", "address_1": "Secret Road", "postcode": "LS2 2BB"},
    )
    return {"org": org, "full": full, "refuge": refuge}


def test_search_returns_complete_plain_results(
    directory: DirectoryService, lighthouse: dict[str, str]
) -> None:
    results = directory.search(SearchQuery(text="lighthouse hou"))
    assert [r.id for r in results] == [lighthouse["full"]]
    result = results[0]
    assert isinstance(result, SearchResult) and result.score > 0
    assert result.organisation_name == "Lighthouse Trust"
    assert result.categories == ("accommodation", "finance")
    assert result.areas == ("Leeds", "West Yorkshire")
    assert result.prisons == ("HMP Leeds",)
    assert result.languages == ("en", "cy")
    assert result.capacity_as_of == date(2026, 2, 1)
    assert result.prechecked is True and result.isp_agreed is True
    assert result.location == LocationView(
        id=result.location.id if result.location else "",
        name="Drop-in",
        address_1="1 Quay St",
        city="Leeds",
        postcode="LS1 1AA",
    )
    assert result.to_dict()["capacity_as_of"] == "2026-02-01"


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "St Martin's", '"', "*", "-", "(", "a AND OR NOT (", "l", "\x00", "\ud800"],
)
def test_any_text_gives_plain_results(
    directory: DirectoryService, lighthouse: dict[str, str], typed: str
) -> None:
    results = directory.search(SearchQuery(text=typed, area=typed or None, limit=5))
    assert all(isinstance(r, SearchResult) for r in results)


def test_confidential_address_is_never_loaded(
    directory: DirectoryService, lighthouse: dict[str, str]
) -> None:
    assert directory.get_service(lighthouse["refuge"]).location is None
    results = directory.search(SearchQuery(text="refuge"))
    assert [r.id for r in results] == [lighthouse["refuge"]]
    assert results[0].location is None
    assert "Secret" not in repr(results[0].to_dict())


def test_search_by_filters_only_lists_by_name(
    directory: DirectoryService, directory_db: Database, lighthouse: dict[str, str]
) -> None:
    other = add_service(
        directory_db, add_org(directory_db, "Abbey"), "Abbey Debt Advice", categories=("finance",)
    )
    results = directory.search(SearchQuery(category="finance"))
    assert [r.id for r in results] == [other, lighthouse["full"]]
    assert {r.score for r in results} == {0.0}
    assert [r.id for r in directory.search(SearchQuery(text="", gender="f"))] == [
        other,
        lighthouse["full"],
        lighthouse["refuge"],
    ]


def test_service_added_after_a_search_is_found_by_the_next(
    directory: DirectoryService, directory_db: Database, lighthouse: dict[str, str]
) -> None:
    assert directory.search(SearchQuery(text="beacon")) == []
    assert directory.search(SearchQuery(text="baecon")) == []
    new = add_service(directory_db, lighthouse["org"], "Beacon Mentoring")
    assert [r.id for r in directory.search(SearchQuery(text="beacon"))] == [new]
    assert [r.id for r in directory.search(SearchQuery(text="baecon"))] == [new]
    assert new in [r.id for r in directory.search(SearchQuery())]
    delete_service(directory_db, new)
    assert directory.search(SearchQuery(text="beacon")) == []
    assert new not in [r.id for r in directory.search(SearchQuery())]


def test_get_service(directory: DirectoryService, lighthouse: dict[str, str]) -> None:
    view = directory.get_service(lighthouse["full"])
    assert type(view) is ServiceView
    assert view.name == "Lighthouse Housing Advice"
    assert view.organisation_name == "Lighthouse Trust"
    assert view.categories == ("accommodation", "finance")
    assert directory.get_service(f"  {lighthouse['full']}  ").id == lighthouse["full"]


@pytest.mark.parametrize(
    "bad", ["", "   ", "not-a-uuid", "00000000-0000-0000-0000-000000000000", "x' OR 1=1 --"]
)
def test_get_missing_service_raises_not_found_without_the_input(
    directory: DirectoryService, lighthouse: dict[str, str], bad: str
) -> None:
    with pytest.raises(NotFound) as err:
        directory.get_service(bad)
    assert bad.strip() == "" or bad not in str(err.value)


def test_deleted_service_is_not_found_anywhere(
    directory: DirectoryService, directory_db: Database, lighthouse: dict[str, str]
) -> None:
    delete_service(directory_db, lighthouse["full"])
    with pytest.raises(NotFound) as err:
        directory.get_service(lighthouse["full"])
    assert lighthouse["full"] not in str(err.value)
    assert lighthouse["full"] not in [s.id for s in directory.list_services()]
    assert directory.search(SearchQuery(text="tenancy", include_inactive=True)) == []


def test_list_services_shows_every_status_by_name(
    directory: DirectoryService, directory_db: Database, lighthouse: dict[str, str]
) -> None:
    org = add_org(directory_db, "Zeta")
    closed = add_service(directory_db, org, "Ápex gym", status="temporarily closed")
    defunct = add_service(directory_db, org, "Zulu", status="defunct")
    gone = add_service(directory_db, org, "Deleted service")
    delete_service(directory_db, gone)
    listed = directory.list_services()
    assert [s.id for s in listed] == [closed, lighthouse["full"], lighthouse["refuge"], defunct]
    assert listed[0].status == "temporarily closed"
    assert all(type(s) is ServiceView for s in listed)
    # Search keeps to active services unless asked.
    assert closed not in [r.id for r in directory.search(SearchQuery(text="apex"))]
    assert [r.id for r in directory.search(SearchQuery(include_inactive=True, limit=1))] == [closed]
    assert [r.id for r in directory.search(SearchQuery(text="apex", include_inactive=True))] == [
        closed
    ]


def test_list_organisations_counts_live_services(
    directory: DirectoryService, directory_db: Database, lighthouse: dict[str, str]
) -> None:
    empty = add_org(directory_db, "Abbey Trust")
    other = add_org(directory_db, "zephyr")
    gone = add_service(directory_db, other, "Gone")
    add_service(directory_db, other, "Kept", status="inactive")
    delete_service(directory_db, gone)
    assert directory.list_organisations() == [
        {"id": empty, "name": "Abbey Trust", "service_count": 0},
        {"id": lighthouse["org"], "name": "Lighthouse Trust", "service_count": 2},
        {"id": other, "name": "zephyr", "service_count": 1},
    ]


def test_a_malformed_list_column_reads_as_empty(
    directory: DirectoryService, directory_db: Database, lighthouse: dict[str, str]
) -> None:
    with directory_db.write() as session:
        session.connection().exec_driver_sql(
            "UPDATE service SET prisons = '[broken', languages = 'null' WHERE id = ?",
            (lighthouse["full"],),
        )
    view = directory.get_service(lighthouse["full"])
    assert view.prisons == () and view.languages == ()
    assert [r.id for r in directory.search(SearchQuery(text="tenancy", prison="HMP Leeds"))] == []


def test_deleted_category_and_area_rows_are_not_shown(
    directory: DirectoryService, directory_db: Database, lighthouse: dict[str, str]
) -> None:
    with directory_db.write() as session:
        for model, column, value in (
            (ServiceCategory, ServiceCategory.category_code, "finance"),
            (ServiceArea, ServiceArea.name, "Leeds"),
        ):
            row = session.scalars(
                select(model).where(model.service_id == lighthouse["full"], column == value)
            ).one()
            row.deleted_at = datetime(2026, 1, 1)
    view = directory.get_service(lighthouse["full"])
    assert view.categories == ("accommodation",)
    assert view.areas == ("West Yorkshire",)


@pytest.fixture
def statements(directory_db: Database) -> Iterator[list[str]]:
    """Every SQL statement the engine runs while the test body does."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        seen.append(sql)

    event.listen(directory_db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(directory_db.engine, "before_cursor_execute", record)


def _loading(sql: list[str]) -> list[str]:
    """The statements that load rows: not ranking (FTS), filtering or transaction control."""
    return [
        s
        for s in sql
        if "service_fts" not in s
        and "FROM service AS s WHERE" not in s
        and s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")
    ]


def test_a_result_page_is_loaded_in_a_fixed_number_of_queries(
    directory_db: Database, statements: list[str]
) -> None:
    org = add_org(directory_db, "Many")
    for i in range(3):
        add_service(
            directory_db,
            org,
            f"Support {i}",
            categories=("finance",),
            areas=("Leeds",),
            location={"name": f"Office {i}"},
        )
    statements.clear()
    assert len(DirectoryService(directory_db).search(SearchQuery(text="support"))) == 3
    small = _loading(statements)
    for i in range(3, 40):
        add_service(
            directory_db,
            org,
            f"Support {i}",
            categories=("finance", "ete"),
            areas=("Leeds", "Wales"),
            location={"name": f"Office {i}"},
        )
    statements.clear()
    directory = DirectoryService(directory_db)
    assert len(directory.search(SearchQuery(text="support"))) == 40
    large = _loading(statements)
    assert len(large) == len(small) == 4  # services+organisations, categories, areas, locations
    statements.clear()
    assert len(directory.list_services()) == 40
    assert len(_loading(statements)) == 5  # the ordered ids, then the same four loads


def test_rows_are_reused_while_the_index_is_unchanged(
    directory: DirectoryService, directory_db: Database, statements: list[str]
) -> None:
    org = add_org(directory_db, "Many")
    first = add_service(directory_db, org, "Support one", areas=("Leeds",))
    directory.search(SearchQuery(text="support"))
    statements.clear()
    assert [r.areas for r in directory.search(SearchQuery(text="supp"))] == [("Leeds",)]
    assert len(_loading(statements)) == 1  # areas only: not in the index, always read afresh
    # Any change to a service changes the index, so its row is read again.
    with directory_db.write() as session:
        svc = session.get(Service, first)
        assert svc is not None
        svc.capacity = "full"
        session.add(ServiceArea(service_id=first, name="Wales"))
    statements.clear()
    [result] = directory.search(SearchQuery(text="support"))
    assert result.capacity == "full" and result.areas == ("Leeds", "Wales")
    assert len(_loading(statements)) == 3  # service row, categories, areas (no location)
