"""Use cases for reading the provider directory: search, one service, lists (DESIGN.md §3).

Everything returned is plain data (`ServiceView`, `SearchResult`, dicts). Services are loaded in
batches — one query for services with their organisations, one each for categories, areas and
locations — whatever the page size, so a search page costs a constant number of queries (the
search-as-you-type budget in DESIGN.md §9 leaves no room for one query per row).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Connection, Dialect, func, select

from referral_desk.domain.errors import NotFound
from referral_desk.domain.search_query import SearchQuery
from referral_desk.services.base import Clock, ServiceBase
from referral_desk.services.dto import LocationView, SearchResult, ServiceView
from referral_desk.store.database import Database
from referral_desk.store.models import (
    Location,
    Organisation,
    Service,
)
from referral_desk.store.search import ServiceSearch, fold

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
        # One search engine per database: it keeps its views of the index between searches.
        self._search = ServiceSearch()

    def search(self, query: SearchQuery) -> list[SearchResult]:
        """Services matching `query`, best first (by name when there is no text)."""
        with self._read() as session:
            conn = session.connection()
            hits = self._search.search(conn, query)
            # Typing "hou", "hous", "housi" returns much the same services: keep their rows
            # for as long as the index is unchanged (see RowCache).
            cache: RowCache = self._search.state.get(conn, "service_rows", _new_cache)
            loaded = load_service_fields(conn, [h.service_id for h in hits], cache)
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
        """Every service that is not deleted, whatever its status, ordered by name.

        Names are compared folded (case and accents ignored), as in the search's browse list.
        """
        with self._read() as session:
            conn = session.connection()
            rows = conn.execute(
                select(Service.id, Service.name).where(Service.deleted_at.is_(None))
            ).all()
            ids = [sid for _, sid in sorted((fold(name or ""), sid) for sid, name in rows)]
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
        )
        with self._read() as session:
            rows = session.execute(stmt).all()
        rows.sort(key=lambda r: (fold(r[1] or ""), r[0]))
        return [{"id": r[0], "name": r[1], "service_count": int(r[2])} for r in rows]


def _new_cache(_conn: Connection) -> RowCache:
    return {}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    # Bounded IN lists: far below SQLite's variable limit whatever the number of services.
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Service rows (with organisation name and category codes) already loaded, by id, while the
# search index is unchanged. Every change to a service, its categories or its organisation's
# name changes the index (triggers in store.fts), so the engine's IndexState drops this with
# its other views; areas and locations are not in the index and are always read afresh.
RowCache = dict[str, tuple[dict[str, Any], str | None]]
ROW_CACHE_MAX = 5000


def load_service_fields(
    conn: Connection, ids: Sequence[str], cache: RowCache | None = None
) -> dict[str, dict[str, Any]]:
    """ServiceView keyword arguments for the live services among `ids`, keyed by id.

    At most four queries per chunk of ids (services with organisations, categories, areas,
    locations), never one per service; rows found in `cache` skip the first two. A service
    whose address is confidential (a refuge) comes without its location: the directory shows
    a contact only.
    """
    result: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        result.update(_load_chunk(conn, chunk, cache))
    return result


_SERVICE_COLUMNS = ("id", "location_id", *_COPIED)
_SERVICES_SQL = (
    "SELECT {cols}, coalesce(o.name, '') FROM service AS s"
    " LEFT JOIN organisation AS o ON o.id = s.organisation_id"
    " WHERE s.id IN ({marks}) AND s.deleted_at IS NULL"
)
_CATEGORIES_SQL = (
    "SELECT service_id, category_code FROM service_category"
    " WHERE service_id IN ({marks}) AND deleted_at IS NULL"
)
_AREAS_SQL = (
    "SELECT service_id, name FROM service_area WHERE service_id IN ({marks}) AND deleted_at IS NULL"
)
_LOCATIONS_SQL = "SELECT {cols} FROM location WHERE id IN ({marks}) AND deleted_at IS NULL"


@lru_cache(maxsize=4)
def _converters(dialect: Dialect, table_name: str, columns: tuple[str, ...]) -> tuple[Any, ...]:
    """The dialect's own result processors (JSON, dates, booleans) for raw driver rows."""
    table = _SERVICE_TABLE if table_name == "service" else _LOCATION_TABLE
    converters = []
    for name in columns:
        col_type = table.c[name].type
        convert = col_type.dialect_impl(dialect).result_processor(dialect, None)
        if convert is not None and isinstance(col_type, JSON):
            convert = _lenient(convert)
        converters.append(convert)
    return tuple(converters)


def _lenient(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """JSON decoding that reads a malformed value as empty rather than failing the page, and
    skips the decoder for the empty list most rows hold (it is most of the loading time)."""

    def process(value: Any) -> Any:
        if value == "[]":
            return []
        try:
            return convert(value)
        except ValueError:
            return None

    return process


def _convert(row: Sequence[Any], converters: Sequence[Any]) -> list[Any]:
    return [conv(v) if conv is not None else v for v, conv in zip(row, converters, strict=False)]


def _load_rows(conn: Connection, ids: Sequence[str]) -> RowCache:
    """Service columns, organisation name and category codes of the live services in `ids`."""
    marks = ", ".join("?" * len(ids))
    cols = ", ".join(f"s.{name}" for name in _SERVICE_COLUMNS)
    converters = _converters(conn.dialect, "service", _SERVICE_COLUMNS)
    rows = conn.exec_driver_sql(_SERVICES_SQL.format(cols=cols, marks=marks), tuple(ids)).all()
    if not rows:
        return {}
    loaded: RowCache = {}
    categories: dict[str, list[str]] = {}
    for raw in rows:
        values = dict(zip(_SERVICE_COLUMNS, _convert(raw, converters), strict=False))
        sid = values["id"]
        location_id = values.pop("location_id")
        for name in _TUPLE_FIELDS.intersection(values):
            value = values[name]
            values[name] = tuple(value) if isinstance(value, list | tuple) else ()
        values["organisation_name"] = raw[-1]
        loaded[sid] = (values, location_id)
        categories[sid] = []
    found = tuple(loaded)
    marks = ", ".join("?" * len(found))
    for sid, code in conn.exec_driver_sql(_CATEGORIES_SQL.format(marks=marks), found).all():
        categories[sid].append(code)
    for sid, (values, _) in loaded.items():
        values["categories"] = tuple(sorted(set(categories[sid])))
    return loaded


def _load_chunk(
    conn: Connection, ids: Sequence[str], cache: RowCache | None
) -> dict[str, dict[str, Any]]:
    # Raw driver statements converted with SQLAlchemy's own type processors: the Core layer
    # costs more than the queries themselves for a page of 50, and this is the keystroke path.
    rows: RowCache = {}
    missing: list[str] = []
    for sid in ids:
        cached = cache.get(sid) if cache is not None else None
        if cached is None:
            missing.append(sid)
        else:
            rows[sid] = cached
    if missing:
        fetched = _load_rows(conn, missing)
        rows.update(fetched)
        if cache is not None:
            if len(cache) + len(fetched) > ROW_CACHE_MAX:
                cache.clear()
            cache.update(fetched)
    if not rows:
        return {}
    fields = {sid: {**values, "areas": [], "location": None} for sid, (values, _) in rows.items()}
    location_of = {
        sid: location_id
        for sid, (values, location_id) in rows.items()
        if location_id and not values["confidential_address"]
    }
    found = tuple(fields)
    marks = ", ".join("?" * len(found))
    for sid, name in conn.exec_driver_sql(_AREAS_SQL.format(marks=marks), found).all():
        fields[sid]["areas"].append(name)
    if location_of:
        wanted = tuple(sorted(set(location_of.values())))
        converters = _converters(conn.dialect, "location", _LOCATION_FIELDS)
        sql = _LOCATIONS_SQL.format(
            cols=", ".join(_LOCATION_FIELDS), marks=", ".join("?" * len(wanted))
        )
        locations = {
            raw[0]: LocationView(*_convert(raw, converters))
            for raw in conn.exec_driver_sql(sql, wanted).all()
        }
        for sid, location_id in location_of.items():
            fields[sid]["location"] = locations.get(location_id)
    for item in fields.values():
        item["areas"] = tuple(sorted(set(item["areas"]), key=str.lower))
    return fields
