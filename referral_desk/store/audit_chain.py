"""Tamper evidence for the audit trail: every entry carries the hash of the one before it.

Each site's entries form a chain in the order they were written (`id`): entry n holds its place
`chain_seq` = n, `prev_hash` (the `entry_hash` of entry n-1; 64 zeros for the first) and
`entry_hash`, the SHA-256 of a canonical encoding of its own columns and `prev_hash`. The
newest place and hash of every chain are also kept as the chain's head (`local_setting`), so
removing the last entries shows too.

The hashes are filled in once, when the transaction that wrote the entries commits (a
`before_commit` listener on the database's sessions): every write path — the unit of work,
sync's merge, bulk loads, tombstones logged with Core — inserts audit rows in a transaction,
so none can forget to chain them, and the cost is one indexed look-up per commit plus one hash
per new entry.

`verify` walks each chain and reports every break: an entry whose columns no longer match its
hash (altered), a place missing from the chain or entries missing at its end (removed), an
entry stored out of its place (reordered), or an entry with no link at all (inserted outside
the app). Audit rows hold field names, never values, so erasure leaves them in place and the
chain survives it.

What this does not do: someone able to write to the database and recompute every hash after
the one they changed can rebuild a consistent chain (there is no secret key). Encryption at
rest is what stops them writing at all; the chain makes an edit made with an ordinary SQL tool
visible.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

GENESIS = "0" * 64
HEAD_KEY = "audit_chain_head"
# Columns covered by the hash, in the order they are encoded (id is storage order only).
COLUMNS = ("site_id", "at", "officer_id", "action", "table_name", "record_id", "fields", "reason")


def entry_hash(row: Sequence[Any], chain_seq: int, prev_hash: str) -> str:
    """SHA-256 (hex) of one entry: its columns as stored (`at` is the canonical timestamp
    text), its place in the chain and the previous entry's hash, as a compact JSON array."""
    values = [None if v is None else str(v) for v in row]
    text = json.dumps([*values, chain_seq, prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_SELECT = "SELECT id, " + ", ".join(COLUMNS)


def _heads(conn: Any) -> dict[str, list[Any]]:
    row = conn.exec_driver_sql("SELECT value FROM local_setting WHERE key = ?", (HEAD_KEY,))
    found = row.first()
    if found is None:
        return {}
    value = json.loads(found[0]) if isinstance(found[0], str) else found[0]
    return value if isinstance(value, dict) else {}


def chain_new_entries(conn: Any) -> int:
    """Give every entry not yet chained its place and hashes, oldest first; update the heads.
    Runs inside the writing transaction. Returns how many entries were chained."""
    rows = conn.exec_driver_sql(
        f"{_SELECT} FROM audit_entry WHERE entry_hash IS NULL ORDER BY id"
    ).all()
    if not rows:
        return 0
    heads = _heads(conn)
    last: dict[str, tuple[int, str]] = {}
    updates = []
    for row in rows:
        site = row[1]
        if site not in last:
            prev = conn.exec_driver_sql(
                "SELECT chain_seq, entry_hash FROM audit_entry WHERE site_id = ? AND "
                "chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1",
                (site,),
            ).first()
            last[site] = (prev[0], prev[1]) if prev is not None else (0, GENESIS)
        seq, prev_hash = last[site]
        seq += 1
        digest = entry_hash(row[1:], seq, prev_hash)
        updates.append((seq, prev_hash, digest, row[0]))
        last[site] = (seq, digest)
    conn.exec_driver_sql(
        "UPDATE audit_entry SET chain_seq = ?, prev_hash = ?, entry_hash = ? WHERE id = ?",
        updates,
    )
    for site, (seq, digest) in last.items():
        heads[site] = [seq, digest]
    text = json.dumps(heads, sort_keys=True, separators=(",", ":"))
    conn.exec_driver_sql(
        "INSERT INTO local_setting (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (HEAD_KEY, text),
    )
    return len(updates)


def _before_commit(session: Session) -> None:
    session.flush()  # ORM-made audit rows are inserted by the final flush otherwise
    chain_new_entries(session.connection())


def install(session_factory: Any) -> None:
    """Chain the audit entries of every write transaction of this sessionmaker at commit."""
    event.listen(session_factory, "before_commit", _before_commit)


# -- verification -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """One break: the site whose chain it is, the entry's place in that chain (and its row id
    where there is a row), what kind (altered, removed, reordered, inserted) and one line."""

    site_id: str
    entry: int
    kind: str
    detail: str
    row_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "entry": self.entry,
            "kind": self.kind,
            "detail": self.detail,
            "row_id": self.row_id,
        }


@dataclass(frozen=True)
class ChainReport:
    sites: dict[str, int]  # entries per site chain
    breaks: tuple[ChainBreak, ...]

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def entries(self) -> int:
        return sum(self.sites.values())


def _rows(conn: Any, sql: str, params: tuple = ()) -> Iterator[Any]:
    result = conn.exec_driver_sql(sql, params)
    while True:
        batch = result.fetchmany(2000)
        if not batch:
            return
        yield from batch


def verify(conn: Any, *, limit: int = 1000) -> ChainReport:
    """Walk every site's chain and report its breaks (at most `limit` of them)."""
    breaks: list[ChainBreak] = []
    sites: dict[str, int] = {}

    def add(brk: ChainBreak) -> None:
        if len(breaks) < limit:
            breaks.append(brk)

    for row in _rows(
        conn,
        "SELECT id, site_id FROM audit_entry WHERE entry_hash IS NULL "
        "OR chain_seq IS NULL OR prev_hash IS NULL ORDER BY id",
    ):
        add(
            ChainBreak(
                row[1] or "",
                0,
                "inserted",
                "an entry with no link in the chain (added outside Referral Desk)",
                row[0],
            )
        )
    heads = _heads(conn)
    site_ids = [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT DISTINCT site_id FROM audit_entry WHERE chain_seq IS NOT NULL ORDER BY site_id"
        )
    ]
    for site in sorted(set(site_ids) | set(heads)):
        expected, prev_hash, count = 1, GENESIS, 0
        for row in _rows(
            conn,
            f"{_SELECT}, chain_seq, prev_hash, entry_hash FROM audit_entry "
            "WHERE site_id = ? AND chain_seq IS NOT NULL ORDER BY chain_seq, id",
            (site,),
        ):
            count += 1
            rid, seq, linked, stored = row[0], row[-3], row[-2], row[-1]
            if seq < expected:
                add(
                    ChainBreak(site, seq, "altered", f"entry {seq} appears twice in the chain", rid)
                )
                continue
            if seq > expected:
                missing = (
                    f"entry {expected}"
                    if seq == expected + 1
                    else (f"entries {expected} to {seq - 1}")
                )
                add(ChainBreak(site, expected, "removed", f"{missing} removed", None))
            elif linked != prev_hash:
                add(
                    ChainBreak(
                        site,
                        seq - 1,
                        "altered",
                        f"entry {seq - 1} was rewritten: entry {seq} does not link to it",
                        rid,
                    )
                )
            if entry_hash(row[1 : 1 + len(COLUMNS)], seq, linked) != stored:
                add(
                    ChainBreak(
                        site, seq, "altered", f"entry {seq} was changed after it was written", rid
                    )
                )
            expected, prev_hash = seq + 1, stored
        sites[site] = count
        head = heads.get(site)
        if isinstance(head, list) and len(head) == 2 and isinstance(head[0], int):
            if head[0] >= expected:
                missing = (
                    f"entry {head[0]}"
                    if head[0] == expected
                    else (f"entries {expected} to {head[0]}")
                )
                add(
                    ChainBreak(
                        site, expected, "removed", f"{missing} removed from the end of the chain"
                    )
                )
            elif head[0] == expected - 1 and head[1] != prev_hash:
                add(
                    ChainBreak(
                        site, head[0], "altered", f"entry {head[0]} is not the one last written"
                    )
                )
        # Storage order (id) must follow chain order: entries swapped places otherwise.
        last_seq = 0
        for rid, seq in _rows(
            conn,
            "SELECT id, chain_seq FROM audit_entry WHERE site_id = ? AND chain_seq IS NOT NULL "
            "ORDER BY id",
            (site,),
        ):
            if seq < last_seq:
                add(
                    ChainBreak(
                        site, seq, "reordered", f"entry {seq} is stored after entry {last_seq}", rid
                    )
                )
            last_seq = max(last_seq, seq)
    return ChainReport(sites=sites, breaks=tuple(breaks))


__all__ = ["ChainBreak", "ChainReport", "chain_new_entries", "entry_hash", "install", "verify"]
