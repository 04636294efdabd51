"""What a sync file carries inside its encryption: change entries, knowledge, a manifest.

Format 2 payload: a zlib stream of lines, each one tag byte and compact JSON:

    E[[site, seq, table, record, field, value (JSON text), hlc, tombstone], ...]   entries
    K[[site, after_seq, {site: seq}], ...]                                      knowledge
    M{manifest}                                                                  last line

Entries come in strictly increasing (site, seq) order, at most `LINE_ENTRIES` to a line and
`MAX_LINE` bytes to a line, then knowledge, then the manifest. The order makes duplicates and
the manifest's per-site claims checkable with a counter per site instead of a set of every
entry; the manifest comes last so a writer can stream entries straight from the database and
state afterwards what it wrote (counts per table, seq range per site, SHA-256 of the lines
before it). A reader checks every claim before anything read is used; memory is one line.

The entry's *content* is validated (and quarantined) on import; here only its identity
(site, seq) and shape are checked: an entry without them cannot even be quarantined or relayed.
"""

from __future__ import annotations

import hashlib
import json
import operator
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby, islice
from typing import Any

from referral_desk.sync.container import (
    BundleHeader,
    InconsistentBundle,
    TooBig,
    is_uuid,
    loads,
    nonneg_int,
)

# Meaning of the entries (table and field names, value encodings). Bump when that changes and
# add an upgrader from the previous version to UPGRADERS, so older bundles keep importing.
SYNC_SCHEMA = 4
MIN_SCHEMA = 1

Entry = list[Any]  # [site, seq, table, record, field, value (JSON text), hlc, tombstone 0/1]
Knowledge = list[Any]  # [site, after_seq, {site: seq}]

LINE_ENTRIES = 2000  # entries per line written
MAX_LINE = 8 << 20  # read: longer lines are refused (bounds the memory of one json.loads)
MAX_ENTRIES = 20_000_000  # per file: beyond any real team's history, bounds staging on disk
MAX_KNOWLEDGE = 1_000_000
MAX_SITES = 10_000  # distinct sites in one file (a manifest claim per site is kept in memory)
MAX_TABLES = 1_000
_TOP = 1 << 63
_SEQUENCES = frozenset({list, tuple})  # entries are JSON arrays (tuples when from the database)
_FIRST, _SECOND, _THIRD = operator.itemgetter(0), operator.itemgetter(1), operator.itemgetter(2)


def _from_1(entries: list[Entry]) -> list[Entry]:
    """Schema 2 added `referral.risk_note`: schema-1 entries mean the same and carry none.

    A schema-2 bundle is refused by an app that knows only schema 1 ("update Referral Desk"),
    so a risk note is never silently dropped on a colleague's computer.
    """
    return entries


def _from_2(entries: list[Entry]) -> list[Entry]:
    """Schema 3 added `follow_up.done_at` (when it was done): older entries carry none, and
    those follow-ups show the day only. An older app refuses schema 3, so no time is lost."""
    return entries


def _from_3(entries: list[Entry]) -> list[Entry]:
    """Schema 4 (signed roles, issue 12) added `officer.public_key` and two tables of signed
    statements (`role_grant`, `entry_signature`). Older entries mean the same. Directory
    changes in them carry no signature: a site that receives them from an older bundle keeps
    them in quarantine with the reason shown ("without its author's signature") rather than
    apply changes nobody can vouch for; an older app refuses schema 4 ("update")."""
    return entries


UPGRADERS: dict[int, Callable[[list[Entry]], list[Entry]]] = {1: _from_1, 2: _from_2, 3: _from_3}


def upgrade(schema: int, entries: list[Entry]) -> list[Entry]:
    while schema < SYNC_SCHEMA:
        entries = UPGRADERS[schema](entries)
        schema += 1
    return entries


@dataclass(frozen=True)
class Manifest:
    bundle_id: str
    site_id: str
    schema: int
    app: str
    created: str
    kind: str  # "store" (incremental, to a shared store) or "file" (everything)
    export_no: int
    vector: dict[str, int]
    covers: dict[str, tuple[int, int, int]]  # site -> (min seq, max seq, count)
    counts: dict[str, int]  # table -> entries
    entry_count: int
    knowledge_count: int
    sha256: str
    manager: str = ""  # the team's root manager key the exporter trusts (hex), "" if none

    def to_dict(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle_id,
            "site": self.site_id,
            "schema": self.schema,
            "app": self.app,
            "created": self.created,
            "kind": self.kind,
            "export_no": self.export_no,
            "vector": self.vector,
            "covers": {k: list(v) for k, v in self.covers.items()},
            "counts": self.counts,
            "entry_count": self.entry_count,
            "knowledge_count": self.knowledge_count,
            "sha256": self.sha256,
            "manager": self.manager,
        }


def parse_manifest(m: object, header: BundleHeader) -> Manifest:
    try:
        if not isinstance(m, dict):
            raise ValueError("manifest")
        vector = {str(k): nonneg_int(v) for k, v in dict(m["vector"]).items()}
        covers = {}
        for k, v in dict(m["covers"]).items():
            if not isinstance(v, list) or len(v) != 3:
                raise ValueError("covers")
            covers[str(k)] = (nonneg_int(v[0]), nonneg_int(v[1]), nonneg_int(v[2]))
        counts = {str(k): nonneg_int(v) for k, v in dict(m["counts"]).items()}
        manifest = Manifest(
            bundle_id=str(m["bundle"]),
            site_id=str(m["site"]),
            schema=nonneg_int(m["schema"]),
            app=str(m.get("app", "")),
            created=str(m.get("created", "")),
            kind=str(m.get("kind", "file")),
            export_no=nonneg_int(m.get("export_no", 0)),
            vector=vector,
            covers=covers,
            counts=counts,
            entry_count=nonneg_int(m["entry_count"]),
            knowledge_count=nonneg_int(m["knowledge_count"]),
            sha256=str(m["sha256"]),
            manager=_manager_key(m.get("manager", "")),
        )
    except (ValueError, KeyError, TypeError) as err:
        raise InconsistentBundle() from err
    if (manifest.bundle_id, manifest.site_id, manifest.schema) != (
        header.bundle_id,
        header.site_id,
        header.schema,
    ):
        raise InconsistentBundle()
    return manifest


def _manager_key(value: object) -> str:
    """A manager key as the manifest carries it: 64 hex digits, or "" (none, older files)."""
    if value == "":
        return ""
    if type(value) is not str or len(value) != 64:
        raise ValueError("manager")
    int(value, 16)
    return value.lower()


def check_knowledge(items: object) -> list[Knowledge]:
    if not isinstance(items, list):
        raise InconsistentBundle()
    for k in items:
        if not (isinstance(k, list) and len(k) == 3 and is_uuid(k[0]) and isinstance(k[2], dict)):
            raise InconsistentBundle()
        try:
            nonneg_int(k[1])
            for s, n in k[2].items():
                if not is_uuid(s):
                    raise ValueError("site")
                nonneg_int(n)
        except ValueError as err:
            raise InconsistentBundle() from err
    return items


def table_key(e: Entry) -> str:
    """How an entry is counted per table in a manifest (odd names count as "?")."""
    table = e[2] if len(e) > 2 else None
    return table if type(table) is str and len(table) <= 64 else "?"


class Tally:
    """What a manifest claims, counted while entries pass (writer and reader alike), with the
    order (hence no duplicates) and shape checks of format 2."""

    def __init__(self, *, strict: bool = True) -> None:
        self.counts: dict[str, int] = {}
        self.covers: dict[str, list[int]] = {}
        self.entries = 0
        self.knowledge = 0
        self.strict = strict
        self._last: tuple[str, int] = ("", 0)  # the (site, seq) of the last entry counted

    def add(self, entries: Sequence[Any]) -> None:
        """Count a batch (a line) of entries, checking identity, shape and order. Written with
        C-level passes over the batch (map, zip, groupby): it sees every entry of every file."""
        if not self.strict:
            self._add_as_given(entries)
            return
        if not entries:
            return
        try:
            if not set(map(type, entries)) <= _SEQUENCES or min(map(len, entries)) < 2:
                raise InconsistentBundle()
            sites = list(map(_FIRST, entries))
            seqs = list(map(_SECOND, entries))
        except (TypeError, ValueError, KeyError, IndexError) as err:
            raise InconsistentBundle() from err
        if set(map(type, sites)) != {str} or set(map(type, seqs)) != {int}:
            raise InconsistentBundle()
        if min(seqs) <= 0 or max(seqs) >= _TOP or max(map(len, sites)) > 64:
            raise InconsistentBundle()
        keys = list(zip(sites, seqs, strict=True))
        if keys[0] <= self._last or not all(map(operator.lt, keys, islice(keys, 1, None))):
            raise InconsistentBundle()  # a duplicate, or out of order
        covers = self.covers
        for site, group in groupby(keys, key=_FIRST):
            run = list(group)
            cover = covers.get(site)
            if cover is not None:  # the site the previous batch ended with
                cover[1] = run[-1][1]
                cover[2] += len(run)
            else:
                if not site:
                    raise InconsistentBundle()
                if len(covers) >= MAX_SITES:
                    raise TooBig()
                covers[site] = [run[0][1], run[-1][1], len(run)]
        self._last = keys[-1]
        self._count_tables(entries)
        self.entries += len(entries)
        if self.entries > MAX_ENTRIES:
            raise TooBig()

    def _count_tables(self, entries: Sequence[Any]) -> None:
        counts = self.counts
        try:
            if min(map(len, entries)) < 3:
                raise TypeError("short entries")
            found = Counter(map(_THIRD, entries))
        except TypeError:  # short entries, or odd (unhashable) table names: one at a time
            found = Counter(map(table_key, entries))
        for table, n in found.items():
            key = table if type(table) is str and len(table) <= 64 else "?"
            if key not in counts and len(counts) >= MAX_TABLES:
                raise TooBig()
            counts[key] = counts.get(key, 0) + n

    def _add_as_given(self, entries: Iterable[Any]) -> None:
        """Counts for a writer asked to write entries as they are (tests of bad files)."""
        for e in entries:
            table = table_key(e)
            self.counts[table] = self.counts.get(table, 0) + 1
            cover = self.covers.get(e[0])
            if cover is None:
                self.covers[e[0]] = [e[1], e[1], 1]
            else:
                cover[:] = [min(cover[0], e[1]), max(cover[1], e[1]), cover[2] + 1]
            self.entries += 1

    def add_knowledge(self, items: list[Knowledge]) -> None:
        self.knowledge += len(items)
        if self.knowledge > MAX_KNOWLEDGE:
            raise TooBig()

    def claims(self) -> tuple[dict[str, int], dict[str, tuple[int, int, int]]]:
        return dict(self.counts), {k: (v[0], v[1], v[2]) for k, v in self.covers.items()}


def check_claims(manifest: Manifest, header: BundleHeader, tally: Tally, digest: str) -> None:
    """Everything the manifest says must be what was read."""
    counts, covers = tally.claims()
    if (
        digest != manifest.sha256
        or tally.entries != manifest.entry_count
        or tally.knowledge != manifest.knowledge_count
        or counts != manifest.counts
        or covers != manifest.covers
    ):
        raise InconsistentBundle()
    own = covers.get(header.site_id)  # the vector must cover the exporter's own entries
    if own is not None and manifest.vector.get(header.site_id, 0) < own[1]:
        raise InconsistentBundle()


# --- format 2 lines ------------------------------------------------------------------------

# ASCII-only JSON: a quarantined entry relayed onward may hold a lone surrogate, which has no
# UTF-8 form; escaped, it travels as it came.
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


class LineWriter:
    """Entries and knowledge as format-2 lines, compressed, to `sink` (a SegmentSealer)."""

    def __init__(
        self, sink: Callable[[bytes], None], level: int = 6, *, strict: bool = True
    ) -> None:
        self._sink = sink
        self._zip = zlib.compressobj(level)
        self._hash = hashlib.sha256()
        self.tally = Tally(strict=strict)
        self._batch: list[Any] = []
        self._knowledge_started = False

    def entries(self, entries: Iterable[Entry]) -> None:
        """Add entries (in increasing (site, seq) order, as the reader demands). Lines hold
        LINE_ENTRIES entries; one that would pass MAX_LINE is split when encoded."""
        if self._knowledge_started:
            raise ValueError("entries after knowledge")
        batch = self._batch
        batch.extend(entries)
        while len(batch) >= LINE_ENTRIES:
            line, self._batch = batch[:LINE_ENTRIES], batch[LINE_ENTRIES:]
            batch = self._batch
            self.tally.add(line)
            self._line(b"E", line)

    def knowledge(self, items: list[Knowledge]) -> None:
        self._flush()
        self._knowledge_started = True
        for start in range(0, len(items), LINE_ENTRIES):
            chunk = items[start : start + LINE_ENTRIES]
            self.tally.add_knowledge(chunk)
            self._line(b"K", chunk)

    def finish(self, manifest: dict[str, Any], *, keep_sha: bool = False) -> str:
        """Write the manifest line (its sha256 filled in, unless a test set a false one) and
        end the stream."""
        self._flush()
        if not keep_sha:
            manifest["sha256"] = self._hash.hexdigest()
        line = b"M" + _ENCODE(manifest).encode("ascii") + b"\n"
        self._sink(self._zip.compress(line) + self._zip.flush())
        return manifest["sha256"]

    def _flush(self) -> None:
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        self.tally.add(batch)
        self._line(b"E", batch)

    def _line(self, tag: bytes, items: list[Any]) -> None:
        line = tag + _ENCODE(items).encode("ascii") + b"\n"
        if len(line) > MAX_LINE:
            if len(items) > 1:  # an unusually large value: split the line
                half = len(items) // 2
                self._line(tag, items[:half])
                self._line(tag, items[half:])
                return
            raise ValueError("one change is too large for a sync file")
        self._hash.update(line)
        out = self._zip.compress(line)
        if out:
            self._sink(out)


@dataclass
class Item:
    """One line read: entries or knowledge (already checked for shape and counted)."""

    entries: list[Entry]
    knowledge: list[Knowledge]


class LineReader:
    """Reads format-2 lines from authenticated plaintext segments, one line in memory."""

    def __init__(self, header: BundleHeader) -> None:
        self.header = header
        self.tally = Tally()
        self.manifest: Manifest | None = None
        self._hash = hashlib.sha256()
        self._unzip = zlib.decompressobj()
        self._pending = bytearray()
        self._stage = b"E"

    def items(self, segments: Iterable[bytes]) -> Iterator[Item]:
        try:
            for segment in segments:
                data = segment
                while data:
                    out = self._unzip.decompress(data, MAX_LINE)
                    data = self._unzip.unconsumed_tail
                    yield from self._feed(out)
                if self._unzip.eof and self._unzip.unused_data:
                    raise InconsistentBundle()
            if not self._unzip.eof or self._pending or self.manifest is None:
                raise InconsistentBundle()
        except zlib.error as err:
            raise InconsistentBundle() from err

    def _feed(self, data: bytes) -> Iterator[Item]:
        if not data:
            return
        if self.manifest is not None:
            raise InconsistentBundle()  # nothing may follow the manifest
        start = 0
        pending = self._pending
        while True:
            cut = data.find(b"\n", start)
            if cut < 0:
                pending += data[start:]
                if len(pending) > MAX_LINE:
                    raise InconsistentBundle()
                return
            if pending:
                pending += data[start : cut + 1]
                line = bytes(pending)
                pending.clear()
            else:
                line = data[start : cut + 1]
            start = cut + 1
            if len(line) > MAX_LINE:
                raise InconsistentBundle()
            item = self._line(line)
            if item is not None:
                yield item
            if self.manifest is not None:
                if start < len(data):
                    raise InconsistentBundle()
                return

    def _line(self, line: bytes) -> Item | None:
        tag = line[:1]
        try:
            value = loads(line[1:-1])
        except ValueError as err:
            raise InconsistentBundle() from err
        if tag == b"M":
            manifest = parse_manifest(value, self.header)
            check_claims(manifest, self.header, self.tally, self._hash.hexdigest())
            self.manifest = manifest
            return None
        self._hash.update(line)
        if tag == b"E" and self._stage == b"E":
            if type(value) is not list or not value:
                raise InconsistentBundle()
            self.tally.add(value)
            return Item(upgrade(self.header.schema, value), [])
        if tag == b"K":
            self._stage = b"K"
            self.tally.add_knowledge(check_knowledge(value))
            return Item([], value)
        raise InconsistentBundle()


__all__ = [
    "MIN_SCHEMA",
    "SYNC_SCHEMA",
    "UPGRADERS",
    "Entry",
    "Item",
    "Knowledge",
    "LineReader",
    "LineWriter",
    "Manifest",
    "Tally",
    "check_claims",
    "check_knowledge",
    "parse_manifest",
]
