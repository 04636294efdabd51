"""Use cases for reading the provider directory: search, one service, lists (DESIGN.md §3).

Everything returned is plain data (`ServiceView`, `SearchResult`, dicts). Services are loaded in
batches — one query for services with their organisations, one each for categories, areas and
locations — whatever the page size, so a search page costs a constant number of queries (the
search-as-you-type budget in DESIGN.md §9 leaves no room for one query per row).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from referral_desk.domain.errors import NotFound
from referral_desk.domain.search_query import SearchQuery
from referral_desk.store import directory_queries as queries
from referral_desk.store.database import Database
from referral_desk.store.search import ServiceSearch, fold
from referral_desk.usecases.base import Clock, ServiceBase
from referral_desk.usecases.dto import LocationView, SearchResult, ServiceView

# What a ServiceView holds, for the store's batch loader: fields filled straight from
# same-named service columns, those given as tuples, and the location's fields.
_SHAPE = queries.ServiceRowShape(
    copied=tuple(
        f.name
        for f in dataclasses.fields(ServiceView)
        if f.name in queries.service_columns() and f.name != "id"
    ),
    tuple_fields=frozenset(
        f.name for f in dataclasses.fields(ServiceView) if str(f.type).startswith("tuple")
    ),
    location_fields=tuple(f.name for f in dataclasses.fields(LocationView)),
    make_location=LocationView,
)


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
            cache: queries.RowCache = self._search.state.get(
                conn, "service_rows", queries.new_row_cache
            )
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
            rows = queries.live_service_names(session)
            ids = [sid for _, sid in sorted((fold(name or ""), sid) for sid, name in rows)]
            loaded = load_service_fields(session.connection(), ids)
        return [ServiceView(**loaded[i]) for i in ids if i in loaded]

    def list_organisations(self) -> list[dict[str, Any]]:
        """Organisations that are not deleted, by name, with how many live services each has."""
        with self._read() as session:
            rows = queries.organisations_with_service_counts(session)
        rows.sort(key=lambda r: (fold(r[1] or ""), r[0]))
        return [{"id": r[0], "name": r[1], "service_count": r[2]} for r in rows]


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def load_service_fields(
    conn: Any, ids: Sequence[str], cache: queries.RowCache | None = None
) -> dict[str, dict[str, Any]]:
    """ServiceView keyword arguments for the live services among `ids`, keyed by id
    (`store.directory_queries.load_service_fields`; `conn` is the session's connection)."""
    return queries.load_service_fields(conn, ids, _SHAPE, cache)
