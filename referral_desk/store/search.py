"""Provider search: SQLite FTS5 ranking, typo tolerance and eligibility filters.

The engine answers a `SearchQuery` with ranked `(service_id, score)` pairs; loading the rows is
the caller's job (`services.directory`), so a page costs one ranking query plus a few batched
loads. Design points, each for a reason:

* User text is never handed to FTS5. It is split into tokens of Unicode letters, digits and
  marks, each token double-quoted, so `"`, `*`, `(`, `-`, `AND`, `NOT` and the like are plain
  words and no input can make MATCH fail. The last token is a prefix (`"tok"*`) because people
  search as they type.
* Ranking is bm25 with the name weighted highest, organisation and categories (which carry
  category labels *and* synonyms, see `store.fts`) medium and the description lowest. FTS5 does
  the sort itself (`ORDER BY rank` with a per-query `rank MATCH`), so only the best rows are
  joined to `service` and filtered.
* Typos are handled without a trigram index: when a token is rare or absent from the index
  vocabulary, close vocabulary terms (optimal string alignment distance, so a transposition
  costs one edit) are ORed in and the extra hits scored below every exact hit. The vocabulary
  is read from the `fts5vocab` table only when needed and cached against the FTS5 structure
  record, which SQLite rewrites on every change to the index (see `VocabularyCache`).
* Empty text with filters lists the matching services by name, score 0.
"""

from __future__ import annotations

import bisect
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from referral_desk.domain.search_query import SearchQuery
from referral_desk.store.fts import FTS_TABLE, VOCAB_TABLE

# bm25 column weights, in the order of the FTS columns: name, organisation, description,
# categories. A hit in a service's name should beat one buried in a long description.
COLUMN_WEIGHTS = (10.0, 4.0, 1.0, 4.0)
RANK_FUNCTION = "bm25({})".format(", ".join(f"{w:.1f}" for w in COLUMN_WEIGHTS))

MAX_TEXT_CHARS = 500  # anything longer is a paste, not a search; keeps the work bounded
MAX_TOKENS = 10
MAX_TOKEN_CHARS = 40

FUZZY_MIN_CHARS = 4  # shorter tokens have too many neighbours for a correction to mean much
FUZZY_FEW_DOCS = 2  # a token found in fewer documents than this may be a typo
FUZZY_MAX_ALTERNATIVES = 4  # per token, best first
FUZZY_PENALTY = 0.5  # fuzzy-only hits keep at most half the score of a comparable exact hit

# Ranking budget: above this many matching documents, rank the name/organisation matches first.
RANKED_MAX = 1500
NARROW_SCOPES = ("name organisation", "name")

# FTS5 keeps its segment structure in row 10 of the `_data` shadow table, with a cookie that is
# incremented each time the structure is rewritten — i.e. on every transaction that changes
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


def tokenise(text_: str) -> list[str]:
    """Split what an officer typed into search tokens; never fails, may return [].

    Tokens keep their case and accents (FTS5 folds both the same way it did when indexing);
    a token must contain at least one letter or digit, so stray combining marks vanish.
    """
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
    return tokens[:MAX_TOKENS]


def fold(token: str) -> str:
    """A token as the index stores it: lower case, accents removed (unicode61 with
    remove_diacritics 2). Used to compare typed tokens with vocabulary terms."""
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


# --- vocabulary for typo tolerance ------------------------------------------------------------


def _max_edits(length: int) -> int:
    return 1 if length < 6 else 2


@dataclass
class Vocabulary:
    """The index's terms with their document counts, sorted for prefix look-ups."""

    terms: list[str]
    docs: list[int]
    _cumulative: list[int] = field(init=False, repr=False)
    _by_length: dict[int, list[str]] = field(init=False, repr=False, default_factory=dict)
    _prefixes: dict[int, list[str]] = field(init=False, repr=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._cumulative = [0, *accumulate(self.docs)]
        self._doc_of = dict(zip(self.terms, self.docs, strict=True))

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[str, int]]) -> Vocabulary:
        pairs = sorted((str(t), int(d)) for t, d in rows)
        return cls([t for t, _ in pairs], [d for _, d in pairs])

    def doc_count(self, term: str, *, prefix: bool = False) -> int:
        """Documents holding `term` (an upper bound for a prefix: sum over matching terms)."""
        if not prefix:
            return self._doc_of.get(term, 0)
        lo = bisect.bisect_left(self.terms, term)
        hi = bisect.bisect_left(self.terms, term + "\U0010ffff")
        return self._cumulative[hi] - self._cumulative[lo]

    def _terms_of_length(self, length: int) -> list[str]:
        with self._lock:
            if not self._by_length:
                for term in self.terms:
                    self._by_length.setdefault(len(term), []).append(term)
        return self._by_length.get(length, [])

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
        lengths = range(len(token) - limit, len(token) + limit + 1)
        if prefix:
            # A partly typed word: compare with term prefixes one shorter, as long, one longer.
            lengths = range(len(token) - 1, len(token) + 2)
        scored: dict[str, tuple[int, int]] = {}
        for length in lengths:
            if length < FUZZY_MIN_CHARS - 1:
                continue
            pool = self._prefixes_of_length(length) if prefix else self._terms_of_length(length)
            for candidate, distance, _ in process.extract(
                token, pool, scorer=OSA.distance, score_cutoff=limit, limit=None
            ):
                if candidate == token:
                    continue
                weight = -self.doc_count(candidate, prefix=prefix)
                scored[candidate] = min(scored.get(candidate, (99, 0)), (int(distance), weight))
        ranked = sorted(scored.items(), key=lambda item: (item[1], item[0]))
        return [term for term, _ in ranked[:FUZZY_MAX_ALTERNATIVES]]


class VocabularyCache:
    """Holds the vocabulary of one database between searches.

    The key is the FTS5 structure record (`service_fts_data` row 10): SQLite rewrites it, with
    an incremented cookie, in every transaction that changes the index, whoever writes and on
    whichever connection — unlike `PRAGMA data_version`, which ignores the reader's own writes,
    or row counts, which miss edits such as a renamed category. It is one primary-key read.
    If it cannot be read the vocabulary is simply reloaded (correct, only slower).
    """

    def __init__(self) -> None:
        self._key: bytes | None = None
        self._vocabulary: Vocabulary | None = None
        self._lock = threading.Lock()
        self.loads = 0  # how many times the vocabulary was (re)read; for tests and benchmarks

    def get(self, conn: Connection) -> Vocabulary:
        key = self._structure_key(conn)
        with self._lock:
            if key is not None and key == self._key and self._vocabulary is not None:
                return self._vocabulary
        rows = conn.exec_driver_sql(f"SELECT term, doc FROM {VOCAB_TABLE}").all()
        vocabulary = Vocabulary.from_rows([(r[0], r[1]) for r in rows])
        with self._lock:
            self._key, self._vocabulary = key, vocabulary
            self.loads += 1
        return vocabulary

    @staticmethod
    def _structure_key(conn: Connection) -> bytes | None:
        try:
            row = conn.exec_driver_sql(_STRUCTURE_SQL).first()
        except Exception:  # pragma: no cover - an FTS5 build with another layout
            return None
        return bytes(row[0]) if row is not None and row[0] is not None else None


# --- filters ----------------------------------------------------------------------------------


def _filters(query: SearchQuery) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions on `service AS s` for the query's filters, with their parameters.

    Only fixed SQL text is produced here; every user value is a bound parameter. JSON lists
    are guarded by json_valid() inside CASE (which SQLite evaluates lazily) so that one
    malformed row can never make the search fail.
    """
    where = ["s.deleted_at IS NULL"]
    params: dict[str, Any] = {}
    if not query.include_inactive:
        where.append("s.status = 'active'")
    if query.category:
        where.append(
            "EXISTS (SELECT 1 FROM service_category sc WHERE sc.category_code = :category"
            " AND sc.service_id = s.id AND sc.deleted_at IS NULL)"
        )
        params["category"] = query.category
    if query.area:
        where.append(
            "EXISTS (SELECT 1 FROM service_area sa WHERE sa.service_id = s.id"
            " AND sa.deleted_at IS NULL AND lower(sa.name) = lower(:area))"
        )
        params["area"] = query.area
    if query.prison:
        where.append(
            "CASE WHEN json_valid(s.prisons) THEN EXISTS (SELECT 1 FROM json_each(s.prisons) j"
            " WHERE lower(j.value) = lower(:prison)) ELSE 0 END"
        )
        params["prison"] = query.prison
    if query.setting == "custody":
        where.append(
            "CASE WHEN json_valid(s.prisons) THEN json_array_length(s.prisons) > 0 ELSE 0 END"
        )
    elif query.setting == "community":
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
    if query.free:
        where.append("s.free = 1")
    if query.prechecked:
        where.append("s.isp_agreed = 1 AND s.reports_attendance = 1")
    if query.accepting:
        where.append("s.capacity = 'accepting'")
    return where, params


# --- the engine ------------------------------------------------------------------------------


def _connection(bind: Session | Connection) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind


class ServiceSearch:
    """Search over one database. Keep one instance per database: it caches the vocabulary."""

    def __init__(self) -> None:
        self.vocabulary = VocabularyCache()

    def search(self, bind: Session | Connection, query: SearchQuery) -> list[Hit]:
        """Ranked hits for `query`, best first, at most `query.limit` of them."""
        conn = _connection(bind)
        where, params = _filters(query)
        tokens, prefix_last = search_tokens(query.text)
        if not tokens:
            return _browse(conn, where, params, query.limit)
        if prefix_last and len(tokens) == 1 and len(tokens[0]) == 1:
            return _by_initial(conn, tokens[0], where, params, query.limit)
        expr = match_expression(tokens, prefix_last=prefix_last)
        hits = _ranked_page(conn, expr, where, params, query.limit)
        if len(hits) >= query.limit:
            return hits  # a full page of exact hits: corrections could only rank below them
        alternatives = self._corrections(conn, tokens, prefix_last)
        if not alternatives:
            return hits
        fuzzy_expr = match_expression(tokens, prefix_last=prefix_last, alternatives=alternatives)
        fuzzy = _ranked_page(conn, fuzzy_expr, where, params, query.limit)
        return _merge(hits, fuzzy, query.limit)

    def _corrections(
        self, conn: Connection, tokens: list[str], prefix_last: bool
    ) -> dict[int, list[str]]:
        """Likely intended spellings for the tokens that are rare or absent in the index."""
        folded = [fold(t) for t in tokens]
        if all(len(f) < FUZZY_MIN_CHARS for f in folded):
            return {}
        vocabulary = self.vocabulary.get(conn)
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


def search_tokens(text_: str) -> tuple[list[str], bool]:
    """The tokens to search for and whether the last one is a prefix (still being typed).

    A single trailing character after other words is dropped: it is either a word being
    started ("drug r") or a possessive ("St Martin's"), and as a one-letter prefix it would
    match nearly every service while costing a scan of the whole index.
    """
    tokens = tokenise(text_)
    prefix_last = bool(text_) and _is_word_char(text_[-1])
    if len(tokens) > 1 and len(tokens[-1]) == 1 and prefix_last:
        return tokens[:-1], False
    return tokens, prefix_last


def _count(conn: Connection, expr: str) -> int:
    sql = f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match"
    return int(conn.execute(text(sql), {"match": expr}).scalar_one())


def _ranked_page(
    conn: Connection, expr: str, where: list[str], params: dict[str, Any], limit: int
) -> list[Hit]:
    """The best `limit` services for a MATCH expression, within a bounded amount of work.

    bm25 costs a few microseconds per matching document, so a short prefix matching most of
    the directory ("re", "co") would blow the as-you-type budget. Counting matches is cheap,
    so when there are more than RANKED_MAX candidates the ranking first considers only
    services matching in their name or organisation — with the weights used these outrank
    any match elsewhere anyway. When filters leave that narrower set short of a page, the
    whole candidate set is ranked after all.
    """
    if _count(conn, expr) > RANKED_MAX:
        for columns in NARROW_SCOPES:
            scoped = f"{{{columns}}} : ({expr})"
            if columns is NARROW_SCOPES[-1] or _count(conn, scoped) <= RANKED_MAX:
                hits = _ranked(conn, scoped, where, params, limit)
                if len(hits) >= limit:
                    return hits
                break
    return _ranked(conn, expr, where, params, limit)


def _ranked(
    conn: Connection, match: str, where: list[str], params: dict[str, Any], limit: int
) -> list[Hit]:
    # CROSS JOIN pins the FTS table as the outer loop, so FTS5 consumes ORDER BY rank and
    # only as many rows as the page needs are looked up in `service` and filtered.
    sql = (
        f"SELECT s.id, {FTS_TABLE}.rank FROM {FTS_TABLE} CROSS JOIN service AS s"
        f" ON s.rowid = {FTS_TABLE}.rowid"
        f" WHERE {FTS_TABLE} MATCH :match AND {FTS_TABLE}.rank MATCH :rank_function"
        " AND " + " AND ".join(where) + f" ORDER BY {FTS_TABLE}.rank LIMIT :limit"
    )
    rows = conn.execute(
        text(sql),
        {**params, "match": match, "rank_function": RANK_FUNCTION, "limit": limit},
    )
    return [Hit(r[0], -float(r[1])) for r in rows]


def _browse(conn: Connection, where: list[str], params: dict[str, Any], limit: int) -> list[Hit]:
    """No text: the services passing the filters, by name (score 0)."""
    sql = (
        "SELECT s.id FROM service AS s WHERE " + " AND ".join(where)
        + " ORDER BY s.name COLLATE NOCASE, s.id LIMIT :limit"
    )  # fmt: skip
    return [Hit(r[0], 0.0) for r in conn.execute(text(sql), {**params, "limit": limit})]


def _by_initial(
    conn: Connection, initial: str, where: list[str], params: dict[str, Any], limit: int
) -> list[Hit]:
    """One character typed so far: services whose name starts with it, by name (score 0).

    A one-letter prefix matches almost every indexed document, so ranking it would be slow
    and meaningless; an A–Z jump is what the officer sees in a printed directory anyway.
    """
    sql = (
        "SELECT s.id FROM service AS s WHERE s.name LIKE :initial ESCAPE '\\' AND "
        + " AND ".join(where) + " ORDER BY s.name COLLATE NOCASE, s.id LIMIT :limit"
    )  # fmt: skip
    pattern = initial.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(text(sql), {**params, "initial": pattern, "limit": limit})
    return [Hit(r[0], 0.0) for r in rows]


def _merge(exact: list[Hit], fuzzy: list[Hit], limit: int) -> list[Hit]:
    """Exact hits first, then fuzzy-only hits with a score below the weakest exact hit.

    Scores stay monotonic with the order shown, so a caller sorting by score changes nothing.
    """
    seen = {h.service_id for h in exact}
    merged = list(exact)
    ceiling = min((h.score for h in exact), default=None)
    for hit in fuzzy:
        if hit.service_id in seen:
            continue
        score = hit.score * FUZZY_PENALTY
        if ceiling is not None:
            score = min(score, ceiling * 0.99)
        merged.append(Hit(hit.service_id, score))
        if len(merged) >= limit:
            break
    return merged


def search_services(
    bind: Session | Connection, query: SearchQuery, engine: ServiceSearch | None = None
) -> list[Hit]:
    """One-off search; pass a long-lived `ServiceSearch` to keep the typo vocabulary cached."""
    return (engine or ServiceSearch()).search(bind, query)
