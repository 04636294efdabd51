"""Directory reads (`store.directory_queries`): deleted services never counted or loaded."""

from __future__ import annotations

from typing import Any

from referral_desk.store import directory_queries as q
from referral_desk.store.database import Database

SHAPE = q.ServiceRowShape(
    copied=("name",),
    tuple_fields=frozenset(),
    location_fields=("id",),
    make_location=lambda *values: values,
)


def test_deleted_services_are_not_counted_listed_or_loaded(
    search_db: Database, directory: Any
) -> None:
    kept = directory.service("Kept", organisation="Org", categories=["mentoring"], areas=["Leeds"])
    gone = directory.service("Gone", organisation="Org")
    directory.delete(gone)
    with search_db.read() as s:
        assert q.live_service_names(s) == [(kept, "Kept")]
        assert [(name, n) for _, name, n in q.organisations_with_service_counts(s)] == [("Org", 1)]
        loaded = q.load_service_fields(s.connection(), [kept, gone], SHAPE)
    assert list(loaded) == [kept]
    assert loaded[kept]["name"] == "Kept"
    assert loaded[kept]["categories"] == ("mentoring",)
    assert loaded[kept]["areas"] == ("Leeds",)
    assert loaded[kept]["organisation_name"] == "Org"
