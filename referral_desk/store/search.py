"""Provider search: SQLite FTS5 ranking, typo tolerance and eligibility filters.

The engine answers a `SearchQuery` with ranked `(service_id, score)` pairs; loading the rows is
the caller's job (`usecases.directory`), so a page costs one ranking query plus a few batched
loads. Design points, each for a reason:

* User text is never handed to FTS5. It is split into tokens of Unicode letters, digits and
  marks, each token double-quoted, so `"`, `*`, `(`, `-`, `AND`, `NOT` and the like are plain
  words and no input can make MATCH fail. The last token is a prefix (`"tok"*`) because people
  search as they type.
* Ranking is bm25 with the name weighted highest, organisation and categories (which carry
  category labels *and* synonyms, see `store.fts`) medium and the description lowest.
* bm25 costs microseconds per matching document, which a short prefix ("re", "co") multiplies
  by most of the directory. Counting matches is cheap, so large candidate sets are first ranked
  within the name and organisation columns only (`_ranked_page`). Without filters FTS5 sorts
  by rank itself and only a page of rows is joined to `service`; with filters the join comes
  first so that bm25 runs only for services that pass them.
* Typos are handled without a trigram index: when a token is rare or absent from the index
  vocabulary, close vocabulary terms (optimal string alignment distance, so a transposition
  costs one edit) are ORed in and the extra hits scored below every exact hit.
* No text lists services by name; one typed character jumps to names starting with it. Both
  walk a cached, name-sorted list of ids and check filters in batches, because the schema has
  no index on the name and sorting 20 000 rows per keystroke is over budget.
* The caches (vocabulary, name order) are keyed on the FTS5 structure record, which SQLite
  rewrites on every committed change to the index — and every change to a service, its
  categories or their labels changes the index (triggers in `store.fts`). See `IndexState`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from referral_desk.domain.search_query import SearchQuery
from referral_desk.domain.service_rules import PRECHECKED_WHEN
from referral_desk.store.fts import FTS_TABLE
from referral_desk.store.search_index import (
    FUZZY_MIN_CHARS,
    IndexState,
    NameOrder,
    Vocabulary,
    may_hold_uncommitted_writes,
)
from referral_desk.store.search_text import (
    fold,
    match_expression,
    search_tokens,
    tokenise,
)

__all__ = [
    "Hit",
    "IndexState",
    "NameOrder",
    "ServiceSearch",
    "Vocabulary",
    "fold",
    "match_expression",
    "search_services",
    "search_tokens",
    "tokenise",
]

# bm25 column weights, in the order of the FTS columns: name, organisation, description,
# categories. A hit in a service's name should beat one buried in a long description.
COLUMN_WEIGHTS = (10.0, 4.0, 1.0, 4.0)
_WEIGHT_ARGS = ", ".join(f"{w:.1f}" for w in COLUMN_WEIGHTS)
RANK_FUNCTION = f"bm25({_WEIGHT_ARGS})"


FUZZY_FEW_DOCS = 2  # a token found in fewer documents than this may be a typo
FUZZY_PENALTY = 0.5  # fuzzy-only hits keep at most half the score of a comparable exact hit

# Ranking budget: above this many matching documents, rank name/organisation matches first.
RANKED_MAX = 1500
# With selective filters (category, area, prison, custody, pre-checked) the join comes first
# and bm25 runs only for the few rows that pass, so more candidates can be afforded; and a
# narrow pass would mostly come back short of a page, wasting it.
FILTERED_RANKED_MAX = 6000
NARROW_SCOPES = ("name organisation", "name")

# Name-ordered walks check filters on batches of ids; past WALK_MAX candidates without a full
# page (very selective filters) one filtered scan of the table is cheaper.
WALK_FIRST_BATCH = 100
WALK_MAX = 600


class Hit(NamedTuple):
    """One ranked result: a service id and a score (higher is better; 0 when browsing)."""

    service_id: str
    score: float


# --- filters ----------------------------------------------------------------------------------


# Up to this many candidate rows, an area is tested per row (an indexed EXISTS); beyond it the
# set of services in the area is built once per statement, which then costs less.
AREA_EXISTS_MAX = 800


def _filters(query: SearchQuery) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions on `service AS s` for the query's filters, and their parameters.

    Only fixed SQL text is produced here; every user value is a bound parameter. Conditions
    come cheapest first. The category test is an uncorrelated IN, built once per statement
    from the (category_code, service_id) index. The area test is `{area}`, filled in by
    `_Plan.where` with a per-row or a set form. JSON lists are pre-tested on their text (most
    services list no prisons: '[]'), then checked exactly with json_valid() inside CASE,
    which SQLite evaluates lazily, so a malformed row never makes the search fail.
    Case-insensitive comparisons use COLLATE NOCASE / lower(), which fold ASCII letters only.
    """
    where = ["s.deleted_at IS NULL"]
    params: dict[str, Any] = {}
    if not query.include_inactive:
        where.append("s.status = 'active'")
    if query.free:
        where.append("s.free = 1")
    if query.prechecked:
        where.append(" AND ".join(f"s.{name} = 1" for name in PRECHECKED_WHEN))
    if query.accepting:
        where.append("s.capacity = 'accepting'")
    if query.setting == "community":
        where.append("s.community = 1")
    elif query.setting == "gate":
        where.append("s.through_the_gate = 1")
    if query.gender:
        where.append("lower(s.gender) IN ('any', '', :gender)")
        params["gender"] = query.gender
    if query.age is not None:
        where.append(
            "(s.min_age IS NULL OR s.min_age <= :age) AND (s.max_age IS NULL OR s.max_age >= :age)"
        )
        params["age"] = query.age
    if query.category:
        where.append(
            "s.id IN (SELECT sc.service_id FROM service_category sc"
            " WHERE sc.category_code = :category AND sc.deleted_at IS NULL)"
        )
        params["category"] = query.category
    if query.setting == "custody" or query.prison:
        where.append("s.prisons NOT IN ('[]', '', 'null')")
    if query.setting == "custody":
        where.append(
            "CASE WHEN json_valid(s.prisons) THEN json_array_length(s.prisons) > 0 ELSE 0 END"
        )
    if query.prison:
        if query.prison.isascii() and query.prison.isprintable() and '"' not in query.prison:
            # A cheap substring test first; json_each (a table per row) only for likely rows.
            where.append("instr(lower(s.prisons), lower(:prison)) > 0")
        where.append(
            "CASE WHEN json_valid(s.prisons) THEN EXISTS (SELECT 1 FROM json_each(s.prisons) j"
            " WHERE lower(j.value) = lower(:prison)) ELSE 0 END"
        )
        params["prison"] = query.prison
    if query.area:
        where.append("{area}")
        params["area"] = query.area
    return where, params


_AREA_PER_ROW = (
    "EXISTS (SELECT 1 FROM service_area sa WHERE sa.service_id = s.id"
    " AND sa.deleted_at IS NULL AND sa.name = :area COLLATE NOCASE)"
)
_AREA_AS_SET = (
    "s.id IN (SELECT sa.service_id FROM service_area sa"
    " WHERE sa.name = :area COLLATE NOCASE AND sa.deleted_at IS NULL)"
)


@dataclass(frozen=True)
class _Plan:
    """The filter SQL of one query, and whether anything beyond the defaults narrows it."""

    conditions: str
    params: dict[str, Any]
    filtered: bool
    selective: bool  # filters that usually leave a small fraction of the directory
    by_category: bool
    limit: int

    @classmethod
    def of(cls, query: SearchQuery) -> _Plan:
        where, params = _filters(query)
        selective = bool(
            query.category
            or query.area
            or query.prison
            or query.setting in ("custody", "gate")
            or query.prechecked
        )
        return cls(
            " AND ".join(where),
            params,
            query.has_filters,
            selective,
            bool(query.category),
            query.limit,
        )

    def where(self, candidates: int = 0) -> str:
        """The conditions, for a statement that will test about `candidates` rows."""
        area = _AREA_AS_SET if candidates > AREA_EXISTS_MAX else _AREA_PER_ROW
        return self.conditions.replace("{area}", area)


# --- the engine ------------------------------------------------------------------------------


def _connection(bind: Session | Connection) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind


class ServiceSearch:
    """Search over one database. Keep one instance per database: it caches index views."""

    def __init__(self) -> None:
        self.state = IndexState()

    def search(
        self, bind: Session | Connection, query: SearchQuery, *, fresh: bool | None = None
    ) -> list[Hit]:
        """Ranked hits for `query`, best first, at most `query.limit` of them.

        `fresh` bypasses the cached views of the index; by default it is on for sessions that
        may hold uncommitted writes (see `IndexState`).
        """
        if fresh is None:
            fresh = may_hold_uncommitted_writes(bind)
        conn = _connection(bind)
        plan = _Plan.of(query)
        tokens, prefix_last = search_tokens(query.text)
        if not tokens:
            return self._by_name(conn, plan, None, fresh)
        if prefix_last and len(tokens) == 1 and len(tokens[0]) == 1:
            return self._by_name(conn, plan, tokens[0], fresh)
        hits = _ranked_page(conn, match_expression(tokens, prefix_last=prefix_last), plan)
        if len(hits) >= plan.limit:
            return hits  # a full page of exact hits: corrections could only rank below them
        alternatives = self._corrections(conn, tokens, prefix_last, fresh)
        if not alternatives:
            return hits
        fuzzy_expr = match_expression(tokens, prefix_last=prefix_last, alternatives=alternatives)
        return _merge(hits, _ranked_page(conn, fuzzy_expr, plan), plan.limit)

    def vocabulary(self, conn: Connection, fresh: bool = False) -> Vocabulary:
        return self.state.get(conn, "vocabulary", Vocabulary.load, fresh)

    def name_order(self, conn: Connection, fresh: bool = False) -> NameOrder:
        return self.state.get(conn, "name_order", NameOrder.load, fresh)

    def _corrections(
        self, conn: Connection, tokens: list[str], prefix_last: bool, fresh: bool
    ) -> dict[int, list[str]]:
        """Likely intended spellings for the tokens that are rare or absent in the index."""
        folded = [fold(t) for t in tokens]
        if all(len(f) < FUZZY_MIN_CHARS for f in folded):
            return {}
        vocabulary = self.vocabulary(conn, fresh)
        last = len(tokens) - 1
        found: dict[int, list[str]] = {}
        for i, token in enumerate(folded):
            if len(token) < FUZZY_MIN_CHARS:
                continue
            prefix = prefix_last and i == last
            if vocabulary.doc_count(token, prefix=prefix) >= FUZZY_FEW_DOCS:
                continue
            alternatives = vocabulary.corrections(token, prefix=prefix)
            if alternatives:
                found[i] = alternatives
        return found

    def _by_name(
        self, conn: Connection, plan: _Plan, initial: str | None, fresh: bool
    ) -> list[Hit]:
        """Services passing the filters in name order (score 0), optionally by first letter.

        Walks the cached name order in growing batches, asking SQL which ids pass the
        filters, so an unfiltered page costs one small query. When filters are so selective
        that WALK_MAX candidates give no full page — or a category filter lets an index
        drive the query — one filtered query finds them all and the cached order sorts them.
        """
        order = self.name_order(conn, fresh)
        if plan.by_category:
            return _by_name_scan(conn, plan, order, initial)
        candidates = order.starting_with(initial)
        page: list[str] = []
        start, size = 0, max(WALK_FIRST_BATCH, 2 * plan.limit)
        while start < len(candidates) and len(page) < plan.limit:
            if start >= WALK_MAX:
                return _by_name_scan(conn, plan, order, initial)
            batch = candidates[start : start + size]
            passing = _passing(conn, plan, batch)
            page += [sid for sid in batch if sid in passing]
            start += size
            size *= 2
        return [Hit(sid, 0.0) for sid in page[: plan.limit]]


def _passing(conn: Connection, plan: _Plan, ids: Sequence[str]) -> set[str]:
    passing: set[str] = set()
    for offset in range(0, len(ids), 500):
        chunk = ids[offset : offset + 500]
        names = {f"id{i}": sid for i, sid in enumerate(chunk)}
        marks = ", ".join(f":{n}" for n in names)
        sql = f"SELECT s.id FROM service AS s WHERE s.id IN ({marks}) AND {plan.where(len(chunk))}"
        passing.update(r[0] for r in conn.exec_driver_sql(sql, {**plan.params, **names}))
    return passing


def _by_name_scan(
    conn: Connection, plan: _Plan, order: NameOrder, initial: str | None
) -> list[Hit]:
    """All services passing selective filters in one scan, put in the cached name order."""
    sql = f"SELECT s.id FROM service AS s WHERE {plan.where(len(order.ids))}"
    position = order.position
    found = [
        (position[r[0]], r[0]) for r in conn.exec_driver_sql(sql, plan.params) if r[0] in position
    ]
    if initial:
        wanted = fold(initial)
        found = [(p, sid) for p, sid in found if order.keys[p].startswith(wanted)]
    found.sort()
    return [Hit(sid, 0.0) for _, sid in found[: plan.limit]]


def _count(conn: Connection, expr: str) -> int:
    sql = f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match"
    return int(conn.exec_driver_sql(sql, {"match": expr}).scalar_one())


def _ranked_page(conn: Connection, expr: str, plan: _Plan) -> list[Hit]:
    """The best services for a MATCH expression within a bounded amount of work.

    When more than RANKED_MAX documents match (FILTERED_RANKED_MAX with selective filters,
    where bm25 runs only for rows that pass them), first rank only those matching in the name
    and organisation (or, if that is still too many, the name) — with the weights used these
    outrank matches elsewhere anyway. Only when that narrower set cannot fill a page (few
    name matches, or filters rejecting most of them) is every candidate ranked.
    """
    total = _count(conn, expr)
    if total > (FILTERED_RANKED_MAX if plan.selective else RANKED_MAX):
        for columns in NARROW_SCOPES:
            scoped = f"{{{columns}}} : ({expr})"
            narrow = _count(conn, scoped)
            if narrow <= RANKED_MAX or columns == NARROW_SCOPES[-1]:
                hits = _ranked(conn, scoped, plan, narrow)
                if len(hits) >= plan.limit:
                    return hits
                break
    return _ranked(conn, expr, plan, total)


def _ranked(conn: Connection, match: str, plan: _Plan, candidates: int) -> list[Hit]:
    params = {**plan.params, "match": match, "limit": plan.limit}
    if plan.filtered:
        # Filters first: bm25 is computed (in the select list) only for rows that pass.
        sql = (
            f"SELECT s.id, bm25({FTS_TABLE}, {_WEIGHT_ARGS}) AS score"
            f" FROM {FTS_TABLE} CROSS JOIN service AS s ON s.rowid = {FTS_TABLE}.rowid"
            f" WHERE {FTS_TABLE} MATCH :match AND {plan.where(candidates)}"
            " ORDER BY score, s.id LIMIT :limit"
        )
    else:
        # CROSS JOIN keeps FTS5 as the outer loop so it consumes ORDER BY rank: it ranks and
        # sorts internally, and only a page of rows is looked up in `service`.
        sql = (
            f"SELECT s.id, {FTS_TABLE}.rank FROM {FTS_TABLE} CROSS JOIN service AS s"
            f" ON s.rowid = {FTS_TABLE}.rowid"
            f" WHERE {FTS_TABLE} MATCH :match AND {FTS_TABLE}.rank MATCH :rank_function"
            f" AND {plan.where(candidates)} ORDER BY {FTS_TABLE}.rank LIMIT :limit"
        )
        params["rank_function"] = RANK_FUNCTION
    return [Hit(r[0], -float(r[1])) for r in conn.exec_driver_sql(sql, params)]


def _merge(exact: list[Hit], fuzzy: list[Hit], limit: int) -> list[Hit]:
    """Exact hits first, then fuzzy-only hits with a score below the weakest exact hit.

    Scores stay monotonic with the order shown, so a caller sorting by score changes nothing.
    """
    seen = {h.service_id for h in exact}
    merged = list(exact)
    ceiling = min((h.score for h in exact), default=None)
    for hit in fuzzy:
        if len(merged) >= limit:
            break
        if hit.service_id in seen:
            continue
        score = hit.score * FUZZY_PENALTY
        if ceiling is not None:
            score = min(score, ceiling * (1 - FUZZY_PENALTY) if ceiling > 0 else ceiling)
        merged.append(Hit(hit.service_id, score))
    return merged


def search_services(
    bind: Session | Connection,
    query: SearchQuery,
    engine: ServiceSearch | None = None,
    *,
    fresh: bool | None = None,
) -> list[Hit]:
    """One-off search; pass a long-lived `ServiceSearch` to keep its caches between calls."""
    return (engine or ServiceSearch()).search(bind, query, fresh=fresh)
