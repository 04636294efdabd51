"""The sites this database knows and which of their seqs it holds (`sync_site`).

Each site id is interned as a small integer (`ord`, local to this database: bundles still name
sites by their uuid) and carries the seqs of that site this database **holds or has
superseded**: a contiguous prefix `1..top` plus the runs above it (`runs`, JSON `[[lo, hi], …]`,
NULL when there are none). The version vector is the `top` column, and "do we hold (site, seq)
already?" is one indexed look-up, instead of counting or scanning change-log rows. The compact
change log (docs/change-log.md) drops superseded writes, so this table, not the log, is what
says what a site has seen.

Everything that adds a (site, seq) to the log or the quarantine calls `hold` in the same
transaction (`HeldSeqs` answers "held already?" for a batch of entries); only taking a new
site id (`sync.site_identity`) ever shrinks a site's set.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from referral_desk.store.models import Base

Runs = list[list[int]]


class SyncSite(Base):
    """A site this database has seen, and the seqs of it held here (see the module docstring)."""

    __tablename__ = "sync_site"

    ord: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 64 as in the quarantine: an entry kept aside may name a site that is not a uuid.
    site_id: Mapped[str] = mapped_column(String(64), unique=True)
    top: Mapped[int] = mapped_column(Integer, default=0)
    runs: Mapped[str | None] = mapped_column(Text)


def merge_runs(a: Runs, b: Runs) -> Runs:
    """The union of two lists of [lo, hi] runs, sorted, overlapping and adjacent runs joined."""
    out: Runs = []
    for lo, hi in sorted([*a, *b]):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return out


def seq_runs(seqs: Iterable[int]) -> Runs:
    """Seqs as sorted runs."""
    runs: Runs = []
    for s in sorted(set(seqs)):
        if runs and s == runs[-1][1] + 1:
            runs[-1][1] = s
        else:
            runs.append([s, s])
    return runs


def _conn(target: Any) -> Any:
    return target.connection() if isinstance(target, Session) else target


def _split(runs: Runs) -> tuple[int, str | None]:
    """(top, runs above it as JSON or None) of a merged run list."""
    if runs and runs[0][0] <= 1:
        top, rest = runs[0][1], runs[1:]
    else:
        top, rest = 0, runs
    return top, (json.dumps(rest, separators=(",", ":")) if rest else None)


def held_runs(target: Session | Any, site: str) -> Runs:
    """Every seq of `site` held here, as runs."""
    row = (
        _conn(target)
        .exec_driver_sql("SELECT top, runs FROM sync_site WHERE site_id = ?", (site,))
        .first()
    )
    if row is None:
        return []
    return _runs_of(row[0], row[1])


def _runs_of(top: int, runs: str | None) -> Runs:
    out: Runs = [[1, top]] if top > 0 else []
    return out + (json.loads(runs) if runs else [])


def hold_runs(target: Session | Any, incoming: Mapping[str, Runs]) -> None:
    """Record seq runs per site as held (added to what is held already)."""
    conn = _conn(target)
    for site, runs in incoming.items():
        if not runs:
            continue
        merged = merge_runs(held_runs(conn, site), [list(r) for r in runs])
        _put(conn, site, merged)


def hold(target: Session | Any, keys: Iterable[tuple[Any, Any]]) -> None:
    """Record (site, seq) keys as held. Keys that are not (text, positive int) are ignored:
    such an entry cannot be asked for by its key, and the bundle reader refuses them anyway."""
    by_site: dict[str, list[int]] = {}
    for site, seq in keys:
        if type(site) is str and type(seq) is int and seq > 0:
            by_site.setdefault(site, []).append(seq)
    hold_runs(target, {site: seq_runs(seqs) for site, seqs in by_site.items()})


def hold_below(target: Session | Any, site: str, cut: int) -> None:
    """Keep only the held seqs of `site` up to `cut` (a site id given up: later seqs under it
    were this copy's own and moved to its new id, and another copy may write them anew)."""
    conn = _conn(target)
    kept = [[lo, min(hi, cut)] for lo, hi in held_runs(conn, site) if lo <= cut]
    _put(conn, site, kept)


def _put(conn: Any, site: str, runs: Runs) -> None:
    top, rest = _split(runs)
    conn.exec_driver_sql(
        "INSERT INTO sync_site (site_id, top, runs) VALUES (?, ?, ?) ON CONFLICT (site_id) "
        "DO UPDATE SET top = excluded.top, runs = excluded.runs",
        (site, top, rest),
    )


class HeldSeqs:
    """Every site's held seqs, read once, for many "held already?" questions (one batch of an
    import). Asked in Python with a binary search over the runs: an import applies a bundle
    record by record, not in seq order, so until it ends the site's seqs it has applied are
    thousands of runs, and a per-row SQL search of them would be quadratic."""

    def __init__(self, target: Session | Any) -> None:
        self._sites: dict[str, tuple[int, list[int], list[int]]] = {}
        for site, top, runs in _conn(target).exec_driver_sql(
            "SELECT site_id, top, runs FROM sync_site"
        ):
            above = json.loads(runs) if runs else []
            self._sites[site] = (top, [r[0] for r in above], [r[1] for r in above])

    def __contains__(self, key: tuple[str, int]) -> bool:
        found = self._sites.get(key[0])
        if found is None:
            return False
        top, starts, ends = found
        seq = key[1]
        if seq <= top:
            return True
        i = bisect.bisect_right(starts, seq) - 1
        return i >= 0 and seq <= ends[i]


def held_vector(target: Session | Any) -> dict[str, int]:
    """Highest contiguous seq held per site (sites with none left out)."""
    rows = _conn(target).exec_driver_sql("SELECT site_id, top FROM sync_site WHERE top > 0")
    return {site: top for site, top in rows}


def held_tops(target: Session | Any) -> dict[str, int]:
    """Highest seq held per site, whether or not everything below it is held too."""
    out: dict[str, int] = {}
    for site, top, runs in _conn(target).exec_driver_sql(
        "SELECT site_id, top, runs FROM sync_site"
    ):
        high = json.loads(runs)[-1][1] if runs else top
        if high > 0:
            out[site] = high
    return out


__all__ = [
    "HeldSeqs",
    "SyncSite",
    "held_runs",
    "held_tops",
    "held_vector",
    "hold",
    "hold_below",
    "hold_runs",
    "merge_runs",
    "seq_runs",
]
