"""Use cases for reading the provider directory: search, one service, lists (DESIGN.md §3).

Everything returned is plain data (`ServiceView`, `SearchResult`, dicts). Services are loaded in
batches — one query for services with their organisations, one each for categories, areas and
locations — whatever the page size, so a search page costs a constant number of queries (the
search-as-you-type budget in DESIGN.md §9 leaves no room for one query per row).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from referral_desk.domain.errors import NotFound
from referral_desk.domain.search_query import SearchQuery
from referral_desk.services.base import Clock, ServiceBase
from referral_desk.services.dto import LocationView, SearchResult, ServiceView
from referral_desk.store.database import Database
from referral_desk.store.models import (
    Location,
    Organisation,
    Service,
    ServiceArea,
    ServiceCategory,
)
from referral_desk.store.search import ServiceSearch

_SERVICE_TABLE = Service.__table__
_LOCATION_TABLE = Location.__table__
# Fields of ServiceView filled straight from same-named service columns.
_COPIED = tuple(
    f.name for f in dataclasses.fields(ServiceView) if f.name in _SERVICE_TABLE.c and f.name != "id"
)
_TUPLE_FIELDS = frozenset(
    f.name for f in dataclasses.fields(ServiceView) if str(f.type).startswith("tuple")
)
_LOCATION_FIELDS = tuple(f.name for f in dataclasses.fields(LocationView))


class DirectoryService(ServiceBase):
    """Read side of the provider directory, for the search screen, the CLI and referrals."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        super().__init__(db, clock)
        # One engine per database: it keeps the typo-tolerance vocabulary between searches.
        self._engine = ServiceSearch()

    def search(self, query: SearchQuery) -> list[SearchResult]:
        """Services matching `query`, best first (by name when there is no text)."""
        with self._read() as session:
            conn = session.connection()
            hits = self._engine.search(conn, query)
            loaded = load_service_fields(conn, [h.service_id for h in hits])
        # A service deleted between ranking and loading simply drops out of the page.
        return [
            SearchResult(**loaded[h.service_id], score=h.score)
            for h in hits
            if h.service_id in loaded
        ]

    def get_service(self, service_id: str) -> ServiceView:
        """One service that exists and is not deleted (any status)."""
        key = (service_id or "").strip()
        if _is_uuid(key):
            with self._read() as session:
                loaded = load_service_fields(session.connection(), [key])
            if key in loaded:
                return ServiceView(**loaded[key])
        raise NotFound("No service with that id.")

    def list_services(self) -> list[ServiceView]:
        """Every service that is not deleted, whatever its status, ordered by name."""
        with self._read() as session:
            conn = session.connection()
            ids = list(
                conn.scalars(
                    select(Service.id)
                    .where(Service.deleted_at.is_(None))
                    .order_by(func.lower(Service.name), Service.id)
                )
            )
            loaded = load_service_fields(conn, ids)
        return [ServiceView(**loaded[i]) for i in ids if i in loaded]

    def list_organisations(self) -> list[dict[str, Any]]:
        """Organisations that are not deleted, by name, with how many live services each has."""
        live = (
            select(Service.organisation_id, func.count().label("n"))
            .where(Service.deleted_at.is_(None))
            .group_by(Service.organisation_id)
            .subquery()
        )
        stmt = (
            select(Organisation.id, Organisation.name, func.coalesce(live.c.n, 0))
            .outerjoin(live, live.c.organisation_id == Organisation.id)
            .where(Organisation.deleted_at.is_(None))
            .order_by(func.lower(Organisation.name), Organisation.id)
        )
        with self._read() as session:
            rows = session.execute(stmt).all()
        return [{"id": r[0], "name": r[1], "service_count": int(r[2])} for r in rows]


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    # Bounded IN lists: far below SQLite's variable limit, and each statement stays cacheable.
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load_service_fields(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """ServiceView keyword arguments for the live services among `ids`, keyed by id.

    Four queries per chunk of ids, never one per service. A service whose address is
    confidential (a refuge) comes without its location: the directory shows a contact only.
    """
    result: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        result.update(_load_chunk(conn, chunk))
    return result


_S = _SERVICE_TABLE
_SERVICES_BY_ID = (
    select(
        _S.c.id,
        _S.c.location_id,
        *(_S.c[name] for name in _COPIED),
        func.coalesce(Organisation.name, "").label("organisation_name"),
    )
    .outerjoin(Organisation, Organisation.id == _S.c.organisation_id)
    .where(_S.c.id.in_(bindparam("ids", expanding=True)), _S.c.deleted_at.is_(None))
)
_CATEGORIES_BY_SERVICE = select(ServiceCategory.service_id, ServiceCategory.category_code).where(
    ServiceCategory.service_id.in_(bindparam("ids", expanding=True)),
    ServiceCategory.deleted_at.is_(None),
)
_AREAS_BY_SERVICE = select(ServiceArea.service_id, ServiceArea.name).where(
    ServiceArea.service_id.in_(bindparam("ids", expanding=True)),
    ServiceArea.deleted_at.is_(None),
)
_LOCATIONS_BY_ID = select(*(_LOCATION_TABLE.c[n] for n in _LOCATION_FIELDS)).where(
    _LOCATION_TABLE.c.id.in_(bindparam("ids", expanding=True)),
    _LOCATION_TABLE.c.deleted_at.is_(None),
)


def _load_chunk(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    # Statements are built once at import: building Core constructs per call costs more than
    # running them for a page of 50.
    rows = conn.execute(_SERVICES_BY_ID, {"ids": list(ids)}).all()
    if not rows:
        return {}
    fields: dict[str, dict[str, Any]] = {}
    location_of: dict[str, str] = {}
    for row in rows:
        values = row._mapping
        item: dict[str, Any] = {"id": row.id, "organisation_name": row.organisation_name}
        for name in _COPIED:
            value = values[name]
            if name in _TUPLE_FIELDS:
                value = tuple(value) if isinstance(value, list | tuple) else ()
            item[name] = value
        item["categories"] = []
        item["areas"] = []
        item["location"] = None
        fields[row.id] = item
        if row.location_id and not row.confidential_address:
            location_of[row.id] = row.location_id
    found = list(fields)
    for sid, code in conn.execute(_CATEGORIES_BY_SERVICE, {"ids": found}):
        fields[sid]["categories"].append(code)
    for sid, name in conn.execute(_AREAS_BY_SERVICE, {"ids": found}):
        fields[sid]["areas"].append(name)
    if location_of:
        locations = {
            row.id: LocationView(**{n: row._mapping[n] for n in _LOCATION_FIELDS})
            for row in conn.execute(_LOCATIONS_BY_ID, {"ids": sorted(set(location_of.values()))})
        }
        for sid, location_id in location_of.items():
            fields[sid]["location"] = locations.get(location_id)
    for item in fields.values():
        item["categories"] = tuple(sorted(set(item["categories"])))
        item["areas"] = tuple(sorted(set(item["areas"]), key=str.lower))
    return fields
