"""Reading the provider directory: live services in batches, names, organisations.

Services are loaded in batches — one query for services with their organisations, one each for
categories, areas and locations — whatever the page size, so a search page costs a constant
number of queries (the search-as-you-type budget in DESIGN.md §9 leaves no room for one query
per row). The rows come back as keyword arguments of the caller's view class, described by a
`ServiceRowShape` (the store does not know the use cases' DTOs).

The batch loader uses raw driver statements (the soft-delete filter of `store.soft_delete`
covers ORM reads only, so these say `deleted_at IS NULL` themselves).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Connection, Dialect, func, select
from sqlalchemy.orm import Session

from referral_desk.store.models import Location, Organisation, Service

_SERVICE_TABLE = Service.__table__
_LOCATION_TABLE = Location.__table__


@dataclass(frozen=True)
class ServiceRowShape:
    """What the caller's view of a service holds: the service columns copied as they are, the
    ones given as tuples, and how a location is built (from `location_fields`, in order)."""

    copied: tuple[str, ...]
    tuple_fields: frozenset[str]
    location_fields: tuple[str, ...]
    make_location: Callable[..., Any]

    @property
    def service_columns(self) -> tuple[str, ...]:
        return ("id", "location_id", *self.copied)


def service_columns() -> frozenset[str]:
    """Names of the service table's columns (a view copies those it shares with it)."""
    return frozenset(_SERVICE_TABLE.c.keys())


def live_service_names(session: Session) -> list[tuple[str, str]]:
    """(id, name) of every service that is not deleted."""
    return [(sid, name) for sid, name in session.execute(select(Service.id, Service.name))]


def organisations_with_service_counts(session: Session) -> list[tuple[str, str, int]]:
    """(id, name, live services) of every organisation that is not deleted."""
    live = (
        select(Service.organisation_id, func.count().label("n"))
        .group_by(Service.organisation_id)
        .subquery()
    )
    stmt = select(Organisation.id, Organisation.name, func.coalesce(live.c.n, 0)).outerjoin(
        live, live.c.organisation_id == Organisation.id
    )
    return [(r[0], r[1], int(r[2])) for r in session.execute(stmt)]


def new_row_cache(_conn: Connection) -> RowCache:
    return {}


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
    conn: Connection, ids: Sequence[str], shape: ServiceRowShape, cache: RowCache | None = None
) -> dict[str, dict[str, Any]]:
    """ServiceView keyword arguments for the live services among `ids`, keyed by id.

    At most four queries per chunk of ids (services with organisations, categories, areas,
    locations), never one per service; rows found in `cache` skip the first two. A service
    whose address is confidential (a refuge) comes without its location: the directory shows
    a contact only.
    """
    result: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        result.update(_load_chunk(conn, chunk, shape, cache))
    return result


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


def _load_rows(conn: Connection, ids: Sequence[str], shape: ServiceRowShape) -> RowCache:
    """Service columns, organisation name and category codes of the live services in `ids`."""
    marks = ", ".join("?" * len(ids))
    columns = shape.service_columns
    cols = ", ".join(f"s.{name}" for name in columns)
    converters = _converters(conn.dialect, "service", columns)
    rows = conn.exec_driver_sql(_SERVICES_SQL.format(cols=cols, marks=marks), tuple(ids)).all()
    if not rows:
        return {}
    loaded: RowCache = {}
    categories: dict[str, list[str]] = {}
    for raw in rows:
        values = dict(zip(columns, _convert(raw, converters), strict=False))
        sid = values["id"]
        location_id = values.pop("location_id")
        for name in shape.tuple_fields.intersection(values):
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
    conn: Connection, ids: Sequence[str], shape: ServiceRowShape, cache: RowCache | None
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
        fetched = _load_rows(conn, missing, shape)
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
        converters = _converters(conn.dialect, "location", shape.location_fields)
        sql = _LOCATIONS_SQL.format(
            cols=", ".join(shape.location_fields), marks=", ".join("?" * len(wanted))
        )
        locations = {
            raw[0]: shape.make_location(*_convert(raw, converters))
            for raw in conn.exec_driver_sql(sql, wanted).all()
        }
        for sid, location_id in location_of.items():
            fields[sid]["location"] = locations.get(location_id)
    for item in fields.values():
        item["areas"] = tuple(sorted(set(item["areas"]), key=str.lower))
    return fields
