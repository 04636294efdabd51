"""The directory's rows as the exchange formats read them (`store.directory_rows`): live rows
by HSDS key, the ids a new record must not take, and categories to bring back, not duplicate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from referral_desk.store import directory_rows as rows
from referral_desk.store.database import Database
from referral_desk.store.models import ReferenceItem, Service, ServiceArea, ServiceCategory
from referral_desk.store.soft_delete import INCLUDE_DELETED

if TYPE_CHECKING:
    from store.conftest import DirectoryBuilder


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def test_existing_by_key_finds_live_rows_by_hsds_id_or_our_id(
    search_db: Database, directory: DirectoryBuilder
) -> None:
    ours = directory.service("Made here")
    imported = directory.service("From a package", hsds_id="hsds-1")
    gone = directory.service("Deleted")
    directory.delete(gone)
    with search_db.read() as session:
        found, used = rows.existing_by_key(session, rows.SERVICE, [ours, "hsds-1", gone, "unknown"])
    assert set(found) == {ours, "hsds-1"}
    assert found["hsds-1"]["id"] == imported and found["hsds-1"]["name"] == "From a package"
    # A deleted record's id is still taken: a new record must not reuse it.
    assert used == {ours, gone}


def test_existing_by_key_also_lists_every_row_of_the_given_services(
    search_db: Database, directory: DirectoryBuilder
) -> None:
    sid = directory.service("Housing", areas=["Leeds", "Bradford"])
    with search_db.read() as session:
        found, used = rows.existing_by_key(session, rows.SERVICE_AREA, [], [sid])
        ids = set(session.scalars(select(ServiceArea.id).where(ServiceArea.service_id == sid)))
    assert {row["name"] for row in found.values()} == {"Leeds", "Bradford"}
    assert set(found) == ids and used == set()


def test_the_oldest_live_row_wins_a_key_held_twice(
    search_db: Database, directory: DirectoryBuilder
) -> None:
    first = directory.service("First", hsds_id="same")
    directory.service("Second", hsds_id="same")
    with search_db.read() as session:
        found, _used = rows.existing_by_key(session, rows.SERVICE, ["same"])
    assert found["same"]["id"] == first


def test_category_rows_prefer_the_live_row_and_remember_a_deleted_one(
    search_db: Database, directory: DirectoryBuilder
) -> None:
    sid = directory.service("Mentoring", categories=["mentoring", "accommodation"])
    directory.delete_category(sid, "accommodation")
    with search_db.read() as session:
        current = rows.category_rows_of(session, [sid])
        ids = dict(
            session.execute(
                select(ServiceCategory.category_code, ServiceCategory.id).where(
                    ServiceCategory.service_id == sid
                ),
                execution_options=INCLUDE_DELETED,
            ).all()
        )
        assert rows.category_rows_of(session, []) == {}
        live = rows.live_categories(session)
    assert current[sid] == {
        "mentoring": (ids["mentoring"], True),
        "accommodation": (ids["accommodation"], False),
    }
    assert live[sid] == {"mentoring"}


def test_live_rows_leave_out_deleted_records(
    search_db: Database, directory: DirectoryBuilder
) -> None:
    kept = directory.service("Kept")
    directory.delete(directory.service("Gone"))
    with search_db.read() as session:
        names = {row.name for row in rows.live_rows(session, rows.SERVICE)}
        assert session.get(Service, kept) is not None
    assert names == {"Kept"}


def test_need_categories_can_put_deprecated_ones_last(search_db: Database) -> None:
    with search_db.write() as session:
        first = session.scalars(
            select(ReferenceItem)
            .where(ReferenceItem.list_name == "need_category")
            .order_by(ReferenceItem.sort_order, ReferenceItem.code)
        ).first()
        assert first is not None
        first.deprecated_at = _now()
        code = first.code
    with search_db.read() as session:
        in_order = rows.need_categories(session)
        current_first = rows.need_categories(session, current_first=True)
    assert in_order[0][0] == code
    assert current_first[-1][0] == code
    assert sorted(in_order) == sorted(current_first)
