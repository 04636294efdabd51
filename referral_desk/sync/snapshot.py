"""Snapshots: one bundle holding the current state of everything a site holds.

A snapshot is a full export (what `export --out FILE` writes: every entry this site holds,
from every site, every quarantined entry and every knowledge checkpoint) written into the
site's own outbox folder of the shared store, its manifest marked `kind: "snapshot"` with the
version vector it covers. It is built on the export stream (`outgoing.entry_batches` with no
scope), not on the log's table, so when the log keeps only the winning write of each field the
snapshot carries only winners and is compact by itself.

Why: a new colleague (or a PC away longer than the store keeps history) imports the newest
snapshot and then only the bundles it does not cover, instead of replaying every bundle ever
written; and once a snapshot covers a bundle, the bundle can be pruned (`pruning`).

The `covers`/`vector` a snapshot states map onto the compact log's bundle schema 5 (`covers`
per origin site as seq ranges): a snapshot covers 1..vector[site] of every site.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from referral_desk.store.trust import sign_own_entries
from referral_desk.sync.outgoing import scrub_dead
from referral_desk.sync.receipts import SNAPSHOT, BundleMeta, remember_meta
from referral_desk.sync.site_identity import remember_own_bundles
from referral_desk.sync.state import (
    OUTBOX,
    StoreInfo,
)

if TYPE_CHECKING:
    from referral_desk.sync.exchange import SyncEngine


@dataclass(frozen=True)
class SnapshotSummary:
    path: str  # relative to the store: outbox/<site>/<bundle-id>.rdsync
    bundle_id: str
    entries: int
    sites: int
    vector: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_snapshot(
    engine: SyncEngine, store_dir: Path, info: StoreInfo, passphrase: str
) -> SnapshotSummary:
    """Write a snapshot of everything this site holds into its own outbox folder.

    The file is streamed from one read snapshot of the database and renamed into place when
    complete (never seen half-written); then the bundle's manifest is remembered for the
    receipt. A snapshot never makes the store count as holding an entry: only an ordinary
    bundle does. Colleagues that hold everything skip snapshots, so an entry carried by a
    snapshot alone would reach them only by "catching up" from it (told they were away); an
    entry not yet sent in a bundle (written since the last export) goes in the next one.
    """
    site = engine.db.site_id
    with engine._transaction() as session:  # erasure and signing before anything leaves
        sign_own_entries(session)
        scrub_dead(session, None)
    out = engine._write_to_outbox(store_dir, site, None, passphrase, info, kind=SNAPSHOT)
    final, bundle_id, present, (manifest, _runs, _top) = out
    now = engine._now()
    with engine._transaction() as session:
        remember_own_bundles(session, info.store_id, present, bundle_id)
        remember_meta(session, info.store_id, BundleMeta.from_manifest(manifest, now.isoformat()))
    return SnapshotSummary(
        f"{OUTBOX}/{site}/{final.name}",
        bundle_id,
        manifest.entry_count,
        len(manifest.covers),
        dict(manifest.vector),
    )


def vector_covers(big: dict[str, int], small: dict[str, int]) -> bool:
    """Does version vector `big` hold everything `small` does?"""
    return all(big.get(site, 0) >= n for site, n in small.items())


__all__ = ["SnapshotSummary", "vector_covers", "write_snapshot"]
