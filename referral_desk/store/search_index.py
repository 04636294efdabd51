"""Views of the search index cached between searches while the index is unchanged.

The vocabulary (for typo corrections) and the name order (for browsing) cost a pass over the
index to build; `IndexState` keeps them keyed on the FTS5 structure record (`store.search`
explains why that key is the right one).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate
from typing import Any, TypeVar

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from referral_desk.store.fts import FTS_TABLE, VOCAB_TABLE
from referral_desk.store.search_text import fold

FUZZY_MIN_CHARS = 4  # shorter tokens have too many neighbours for a correction to mean much
FUZZY_MAX_ALTERNATIVES = 4  # per token, best first

# FTS5 keeps its segment structure in row 10 of the `_data` shadow table, with a cookie that is
# incremented each time the structure is rewritten — i.e. by every transaction that changes
# the index. Reading one row by primary key is the cheapest correct change detector we have.
_STRUCTURE_SQL = f"SELECT block FROM {FTS_TABLE}_data WHERE id = 10"


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


def may_hold_uncommitted_writes(bind: Session | Connection) -> bool:
    """True for a session from `Database.write()` or one with unflushed objects.

    A plain Connection cannot tell (every transaction, reads included, begins with BEGIN),
    so callers searching on a connection they have written on pass `fresh=True`.
    """
    if isinstance(bind, Session):
        return bool("write_context" in bind.info or bind.new or bind.dirty or bind.deleted)
    return False
