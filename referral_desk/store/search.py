"""Provider search: SQLite FTS5 ranking, typo tolerance and eligibility filters.

The engine answers a `SearchQuery` with ranked `(service_id, score)` pairs; loading the rows is
the caller's job (`services.directory`), so a page costs one ranking query plus a few batched
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

import bisect
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate
from typing import Any, NamedTuple, TypeVar

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from referral_desk.domain.search_query import SearchQuery
from referral_desk.domain.service_rules import PRECHECKED_WHEN
from referral_desk.store.fts import FTS_TABLE, VOCAB_TABLE

# bm25 column weights, in the order of the FTS columns: name, organisation, description,
# categories. A hit in a service's name should beat one buried in a long description.
COLUMN_WEIGHTS = (10.0, 4.0, 1.0, 4.0)
_WEIGHT_ARGS = ", ".join(f"{w:.1f}" for w in COLUMN_WEIGHTS)
RANK_FUNCTION = f"bm25({_WEIGHT_ARGS})"

MAX_TEXT_CHARS = 500  # anything longer is a paste, not a search; keeps the work bounded
MAX_TOKENS = 10
MAX_TOKEN_CHARS = 40

FUZZY_MIN_CHARS = 4  # shorter tokens have too many neighbours for a correction to mean much
FUZZY_FEW_DOCS = 2  # a token found in fewer documents than this may be a typo
FUZZY_MAX_ALTERNATIVES = 4  # per token, best first
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

# FTS5 keeps its segment structure in row 10 of the `_data` shadow table, with a cookie that is
# incremented each time the structure is rewritten — i.e. by every transaction that changes
# the index. Reading one row by primary key is the cheapest correct change detector we have.
_STRUCTURE_SQL = f"SELECT block FROM {FTS_TABLE}_data WHERE id = 10"


class Hit(NamedTuple):
    """One ranked result: a service id and a score (higher is better; 0 when browsing)."""

    service_id: str
    score: float


# --- tokens and the MATCH expression ---------------------------------------------------------


def _is_word_char(ch: str) -> bool:
    # Letters, digits and combining marks: what FTS5's unicode61 tokenizer keeps. Everything
    # else (punctuation, symbols, spaces, controls) separates tokens, exactly as it does there.
    cat = unicodedata.category(ch)
    return cat[0] in "LNM" or cat == "Co"


def _split(text_: str) -> list[str]:
    if not text_:
        return []
    text_ = unicodedata.normalize("NFC", text_[:MAX_TEXT_CHARS])
    tokens: list[str] = []
    current: list[str] = []
    for ch in text_ + " ":
        if _is_word_char(ch):
            current.append(ch)
            continue
        if current:
            token = "".join(current)[:MAX_TOKEN_CHARS]
            current = []
            if any(unicodedata.category(c)[0] in "LN" for c in token):
                tokens.append(token)
    return tokens


def tokenise(text_: str) -> list[str]:
    """Split what an officer typed into search tokens; never fails, may return [].

    Tokens keep their case and accents (FTS5 folds both the same way it did when indexing);
    a token must contain at least one letter or digit, so stray combining marks vanish.
    """
    return _split(text_)[:MAX_TOKENS]


def search_tokens(text_: str) -> tuple[list[str], bool]:
    """The tokens to search for and whether the last one is a prefix (still being typed).

    The last token is a prefix unless the text ends in a space or punctuation. A single
    trailing character after other words is dropped: it is a word just begun ("drug r") or a
    possessive ("St Martin's"), and as a one-letter prefix it matches nearly every service
    while costing a pass over the whole index.
    """
    tokens = _split(text_)
    typed = text_[:MAX_TEXT_CHARS]
    prefix_last = bool(tokens) and len(tokens) <= MAX_TOKENS and _is_word_char(typed[-1])
    tokens = tokens[:MAX_TOKENS]
    if len(tokens) > 1 and len(tokens[-1]) == 1 and prefix_last:
        return tokens[:-1], False
    return tokens, prefix_last


def fold(token: str) -> str:
    """A token as the index stores it: lower case, accents removed (unicode61 with
    remove_diacritics 2). Used to compare typed tokens with vocabulary terms and names."""
    decomposed = unicodedata.normalize("NFKD", token.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _phrase(token: str, prefix: bool) -> str:
    # Tokens never contain '"' (it is punctuation), but escape anyway: this is the safety line.
    quoted = '"' + token.replace('"', '""') + '"'
    return quoted + "*" if prefix else quoted


def match_expression(
    tokens: Sequence[str],
    *,
    prefix_last: bool = True,
    alternatives: Mapping[int, Sequence[str]] | None = None,
) -> str:
    """An FTS5 MATCH string: all tokens required, each quoted, the last one as a prefix.

    `alternatives` maps a token position to other spellings (typo corrections) accepted in
    its place: `("lihgthouse" OR "lighthouse")`.
    """
    alternatives = alternatives or {}
    parts = []
    last = len(tokens) - 1
    for i, token in enumerate(tokens):
        prefix = prefix_last and i == last
        options = [_phrase(token, prefix)]
        options += [_phrase(alt, prefix) for alt in alternatives.get(i, ()) if alt != token]
        parts.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
    return " AND ".join(parts)


# --- cached views of the index ---------------------------------------------------------------


def _max_edits(length: int) -> int:
    return 1 if length < 6 else 2


@dataclass
class Vocabulary:
    """The index's terms with their document counts, sorted for prefix look-ups."""

    terms: list[str]
    docs: list[int]
    _cumulative: list[int] = field(init=False, repr=False)
    _doc_of: dict[str, int] = field(init=False, repr=False)
    _by_length: dict[int, list[str]] = field(init=False, repr=False, default_factory=dict)
    _prefixes: dict[int, list[str]] = field(init=False, repr=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._cumulative = [0, *accumulate(self.docs)]
        self._doc_of = dict(zip(self.terms, self.docs, strict=True))
        for term in self.terms:
            self._by_length.setdefault(len(term), []).append(term)

    @classmethod
    def load(cls, conn: Connection) -> Vocabulary:
        rows = conn.exec_driver_sql(f"SELECT term, doc FROM {VOCAB_TABLE}").all()
        pairs = sorted((str(t), int(d)) for t, d in rows)
        return cls([t for t, _ in pairs], [d for _, d in pairs])

    def doc_count(self, term: str, *, prefix: bool = False) -> int:
        """Documents holding `term` (an upper bound for a prefix: sum over matching terms)."""
        if not prefix:
            return self._doc_of.get(term, 0)
        lo = bisect.bisect_left(self.terms, term)
        hi = bisect.bisect_left(self.terms, term + "\U0010ffff")
        return self._cumulative[hi] - self._cumulative[lo]

    def _prefixes_of_length(self, length: int) -> list[str]:
        with self._lock:
            found = self._prefixes.get(length)
            if found is None:
                found = sorted({t[:length] for t in self.terms if len(t) >= length})
                self._prefixes[length] = found
        return found

    def corrections(self, token: str, *, prefix: bool = False) -> list[str]:
        """Close spellings of `token` that occur in the index, best (fewest edits, most
        documents) first. For a prefix, the candidates are prefixes of indexed terms."""
        if len(token) < FUZZY_MIN_CHARS:
            return []
        limit = _max_edits(len(token))
        if prefix:
            # A partly typed word: compare with term prefixes one shorter, as long, one longer.
            lengths = range(len(token) - 1, len(token) + 2)
        else:
            lengths = range(len(token) - limit, len(token) + limit + 1)
        scored: dict[str, tuple[int, int]] = {}
        for length in lengths:
            if length < FUZZY_MIN_CHARS - 1:
                continue
            pool = self._prefixes_of_length(length) if prefix else self._by_length.get(length, [])
            for candidate, distance, _ in process.extract(
                token, pool, scorer=OSA.distance, score_cutoff=limit, limit=None
            ):
                if candidate == token:
                    continue
                rank = (int(distance), -self.doc_count(candidate, prefix=prefix))
                scored[candidate] = min(scored.get(candidate, rank), rank)
        ranked = [term for term, _ in sorted(scored.items(), key=lambda i: (i[1], i[0]))]
        if prefix:
            # "lighthous"* already matches everything "lighthouse"* does; keeping both would
            # count the same hit twice in bm25.
            ranked = [t for t in ranked if not any(t != o and t.startswith(o) for o in ranked)]
        return ranked[:FUZZY_MAX_ALTERNATIVES]


@dataclass
class NameOrder:
    """Ids of every live service sorted by folded name: the order of the browse list."""

    keys: list[str]
    ids: list[str]

    @classmethod
    def load(cls, conn: Connection) -> NameOrder:
        rows = conn.exec_driver_sql("SELECT id, name FROM service WHERE deleted_at IS NULL")
        pairs = sorted((fold(name or ""), sid) for sid, name in rows)
        return cls([k for k, _ in pairs], [i for _, i in pairs])

    def starting_with(self, initial: str | None) -> list[str]:
        """Ids in name order, all of them or those whose name starts with `initial`."""
        if not initial:
            return self.ids
        folded = fold(initial)
        lo = bisect.bisect_left(self.keys, folded)
        hi = bisect.bisect_left(self.keys, folded + "\U0010ffff")
        return self.ids[lo:hi]

    @cached_property
    def position(self) -> dict[str, int]:
        """Each id's place in the order, to sort ids found by other means."""
        return {sid: i for i, sid in enumerate(self.ids)}


T = TypeVar("T")


class IndexState:
    """Values derived from the index, kept between searches while the index is unchanged.

    The key is the FTS5 structure record (`service_fts_data` row 10): SQLite rewrites it, with
    an incremented cookie, in every transaction that changes the index, whoever writes and on
    whichever connection — unlike `PRAGMA data_version`, which ignores the reader's own
    writes, or row counts, which miss edits such as a renamed category. It is one primary-key
    read (~30 µs). Changes not yet committed are not reflected in it (FTS5 keeps them in
    memory until commit), so a search inside a transaction that has written passes
    `fresh=True` and nothing cached is used or stored.
    """

    def __init__(self) -> None:
        self._key: bytes | None = None
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.loads = 0  # how many values were (re)computed; for tests and benchmarks

    def get(
        self, conn: Connection, name: str, compute: Callable[[Connection], T], fresh: bool = False
    ) -> T:
        key = None if fresh else _structure_key(conn)
        with self._lock:
            if key is not None and key == self._key and name in self._values:
                return self._values[name]  # type: ignore[no-any-return]
        value = compute(conn)
        with self._lock:
            self.loads += 1
            if key is not None:
                if key != self._key:
                    self._key, self._values = key, {}
                self._values[name] = value
        return value


def _structure_key(conn: Connection) -> bytes | None:
    try:
        row = conn.exec_driver_sql(_STRUCTURE_SQL).first()
    except Exception:  # pragma: no cover - an FTS5 build with another layout: never cache
        return None
    return bytes(row[0]) if row is not None and row[0] is not None else None


def _may_hold_uncommitted_writes(bind: Session | Connection) -> bool:
    """True for a session from `Database.write()` or one with unflushed objects.

    A plain Connection cannot tell (every transaction, reads included, begins with BEGIN),
    so callers searching on a connection they have written on pass `fresh=True`.
    """
    if isinstance(bind, Session):
        return bool("write_context" in bind.info or bind.new or bind.dirty or bind.deleted)
    return False


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
            fresh = _may_hold_uncommitted_writes(bind)
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
