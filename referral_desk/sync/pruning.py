"""Pruning the shared store: removing bundles no site will ever need again.

A bundle is removable when the **reference snapshot** (the fullest in the store: most entries
covered, then the newest; `StoreView.reference_snapshot`) covers it (every entry it
carries is in 1..vector[site] of the snapshot, so a new joiner or a PC away too long gets it
from the snapshot) **and** either

- it is older than the retention period (90 days by default), so a PC away for less than that
  still catches up from bundles alone. Its age is measured on this PC's clock only, from when
  this PC first saw the file (`StoreView.seen`, `first_seen`), never by comparing its writer's
  clock (`created`) with ours: a PC with its clock 100 days ahead must not prune colleagues'
  bundles written the same day; or
- every site with a folder in the store has a receipt that shows it holds everything the bundle
  carries (a folder without a readable receipt blocks this rule: it may still need it).

The reference snapshot is never removed; another snapshot is a bundle like any other. Nothing
is pruned on its strength until it authenticates whole and its own manifest says what its
writer's receipt says of it (`verify_whole`): the file may be damaged, the receipt forged by
someone holding the passphrase. A bundle
whose manifest is not known from its writer's receipt (an older version wrote it, or its
receipt does not open) is never removed: its coverage cannot be proved.

Before a file is removed it is **proved to be a bundle of this store**: a regular file (links
are never followed or removed), named `<uuid>.rdsync` in a real site folder, whose header
names that bundle id and that site and uses this store's salt and KDF cost, and whose first
segment authenticates under this store's key (so whoever wrote it had the team passphrase);
then it is authenticated whole and its own manifest must say what its writer's receipt said
of it (the rules above took its coverage from the receipt).
Removing is one `unlink` per file: a kill leaves each file whole or gone, never half-deleted.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from referral_desk.files import NotRegularFile, open_regular
from referral_desk.sync.bundle import HEADER_READ, SUFFIX, BundleError, is_bundle_name
from referral_desk.sync.container import bundle_key, open_segments, parse_header
from referral_desk.sync.keys import KeyCache
from referral_desk.sync.receipts import BundleMeta, Receipt, read_receipts, site_folders
from referral_desk.sync.state import OUTBOX, StoreInfo

RETENTION_DAYS = 90
OLD = "older than the retention period and covered by the newest snapshot"
EVERYONE = "imported by every site and covered by the newest snapshot"


@dataclass(frozen=True)
class StoredBundle:
    """One bundle file in the store, with its manifest when its writer's receipt gives it."""

    site: str  # the folder it is in
    bundle_id: str
    path: Path
    meta: BundleMeta | None

    @property
    def rel(self) -> str:
        return f"{OUTBOX}/{self.site}/{self.bundle_id}{SUFFIX}"


@dataclass
class StoreView:
    """What the store holds now: every bundle file and every site's receipt."""

    bundles: dict[str, StoredBundle] = field(default_factory=dict)
    receipts: dict[str, Receipt | None] = field(default_factory=dict)
    # bundle id -> when THIS PC first saw it (`first_seen`, its own clock): a bundle's age is
    # never measured by comparing the writer's clock with this PC's. Unknown: not old.
    seen: dict[str, datetime] = field(default_factory=dict)

    def snapshots(self) -> list[StoredBundle]:
        """Every snapshot, the fullest first (most entries covered, then newest)."""
        found = [b for b in self.bundles.values() if b.meta is not None and b.meta.is_snapshot]
        return sorted(found, key=_fullness, reverse=True)

    def reference_snapshot(self) -> StoredBundle | None:
        """The snapshot the store relies on: the fullest (most entries covered), then the
        newest. Never removed; a PC that has not caught up may write a newer but smaller one,
        which must not make the fuller one removable."""
        found = self.snapshots()
        return found[0] if found else None

    def metas(self) -> list[BundleMeta]:
        return [b.meta for b in self.bundles.values() if b.meta is not None]


def read_view(
    store_dir: Path,
    info: StoreInfo,
    passphrase: str,
    keys: KeyCache,
    own: tuple[str, dict[str, BundleMeta]] | None = None,
) -> StoreView:
    """List the store: bundle files per site folder (no links) and the receipts. `own`: this
    site's id and its remembered manifests, newer than its receipt in the store."""
    view = StoreView(receipts=read_receipts(store_dir, info, passphrase, keys))
    for site in site_folders(store_dir):
        receipt = view.receipts.get(site)
        metas = dict(receipt.bundles) if receipt is not None else {}
        if own is not None and own[0] == site:
            metas.update(own[1])
        folder = Path(store_dir) / OUTBOX / site
        try:
            with os.scandir(folder) as it:
                names = [e.name for e in it if is_bundle_name(e.name)]
        except OSError:
            continue
        for name in names:
            bundle_id = name[: -len(SUFFIX)]
            view.bundles[bundle_id] = StoredBundle(
                site, bundle_id, folder / name, metas.get(bundle_id)
            )
    return view


def _fullness(bundle: StoredBundle) -> tuple[int, datetime, str]:
    meta = bundle.meta
    assert meta is not None
    return (sum(meta.vector.values()), _when(meta) or datetime.min, bundle.bundle_id)


def _when(meta: BundleMeta | None) -> datetime | None:
    if meta is None:
        return None
    try:
        return datetime.fromisoformat(meta.created).replace(tzinfo=None)
    except ValueError:
        return None


def removable(view: StoreView, now: datetime, retention_days: int) -> dict[str, str]:
    """bundle id -> why it may go (the rules in the module docstring)."""
    newest = view.reference_snapshot()
    if newest is None or newest.meta is None:
        return {}
    cover = newest.meta.vector
    receipts = list(view.receipts.values())
    everyone = bool(receipts) and all(r is not None for r in receipts)
    cutoff = now - timedelta(days=retention_days)
    out: dict[str, str] = {}
    for bundle in view.bundles.values():
        meta = bundle.meta
        if meta is None or bundle.bundle_id == newest.bundle_id or not meta.covered_by(cover):
            continue
        when = view.seen.get(bundle.bundle_id)
        if when is not None and when < cutoff:
            out[bundle.bundle_id] = OLD
        elif everyone and all(r is not None and meta.covered_by(r.held) for r in receipts):
            out[bundle.bundle_id] = EVERYONE
    return out


def proves_bundle(bundle: StoredBundle, info: StoreInfo, passphrase: str, keys: KeyCache) -> bool:
    """Is this file a bundle of this store (see the module docstring)? Never raises for what
    the file holds: anything odd is "not proved"."""
    folder = bundle.path.parent
    try:
        if folder.is_symlink() or folder.name != bundle.site:
            return False
        fh, _size = open_regular(bundle.path, follow_symlinks=False)
    except (OSError, NotRegularFile):
        return False
    with fh:
        try:
            header, plen = parse_header(fh.read(HEADER_READ))
            if (header.bundle_id, header.site_id) != (bundle.bundle_id, bundle.site):
                return False
            if header.format < 2 or (header.salt, header.kdf) != (info.salt, info.kdf):
                return False
            fh.seek(0)
            prefix = fh.read(plen)
            key = bundle_key(keys, passphrase, header)
            next(iter(open_segments(fh, key, header, prefix)))
        except (BundleError, OSError, ValueError, StopIteration):
            return False
    return True


def verify_whole(bundle: StoredBundle, passphrase: str, keys: KeyCache) -> bool:
    """Authenticate every byte of a bundle (the snapshot that pruning relies on) **and** check
    that what its writer's receipt says of it (`bundle.meta`: kind, per-site ranges, a
    snapshot's vector) is what its own authenticated manifest says. Pruning takes coverage from
    the receipt; a receipt re-sealed by someone holding the passphrase could otherwise make a
    small snapshot claim it covers everything, and everything else would be pruned."""
    from referral_desk.sync.bundle import open_bundle

    if bundle.meta is None:
        return False
    try:
        with open_bundle(bundle.path, passphrase, keys, follow_symlinks=False) as reader:
            if (reader.header.bundle_id, reader.header.site_id) != (
                bundle.bundle_id,
                bundle.site,
            ):
                return False
            for _item in reader.items():
                pass
            manifest = reader.manifest
    except BundleError:
        return False
    if manifest is None:
        return False
    told = BundleMeta.from_manifest(manifest, bundle.meta.created)
    return (told.kind, told.covers, told.vector) == (
        bundle.meta.kind,
        bundle.meta.covers,
        bundle.meta.vector,
    )


def _unlink(path: Path) -> None:
    """One file, atomically gone (never follows a link: unlink removes the name only)."""
    os.unlink(path)


@dataclass(frozen=True)
class PruneSummary:
    dry_run: bool = False
    removed: tuple[str, ...] = ()  # store-relative names (would be) removed
    reasons: tuple[tuple[str, int], ...] = ()  # (why, how many)
    bytes_freed: int = 0
    kept: int = 0  # bundle files left in the store
    not_proved: int = 0  # removable by the rules but not provably this store's bundles

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def prune(
    view: StoreView,
    info: StoreInfo,
    passphrase: str,
    keys: KeyCache,
    *,
    now: datetime,
    retention_days: int = RETENTION_DAYS,
    dry_run: bool = False,
    trusted: Callable[[StoredBundle], bool] | None = None,
) -> PruneSummary:
    """Remove (or, dry run, list) every removable bundle. `trusted(snapshot)` says whether the
    newest snapshot may be relied on (it is authenticated whole once, by the caller)."""
    found = removable(view, now, retention_days)
    newest = view.reference_snapshot()
    if found and newest is not None and trusted is not None and not trusted(newest):
        found = {}
    removed: list[str] = []
    counts: dict[str, int] = {}
    freed = 0
    unproved = 0
    for bundle_id, why in sorted(found.items()):
        bundle = view.bundles[bundle_id]
        # Its coverage came from its writer's receipt: removed only if its own authenticated
        # manifest says the same (a re-sealed receipt cannot make pruning take what no
        # snapshot holds).
        if not proves_bundle(bundle, info, passphrase, keys) or not verify_whole(
            bundle, passphrase, keys
        ):
            unproved += 1
            continue
        try:
            size = bundle.path.stat(follow_symlinks=False).st_size
            if not dry_run:
                _unlink(bundle.path)
        except FileNotFoundError:
            continue  # another site pruned it meanwhile
        except OSError:
            continue  # held open or read-only on a share: tried again at the next sync
        removed.append(bundle.rel)
        counts[why] = counts.get(why, 0) + 1
        freed += size
    return PruneSummary(
        dry_run,
        tuple(removed),
        tuple(sorted(counts.items())),
        freed,
        len(view.bundles) - len(removed),
        unproved,
    )


__all__ = [
    "EVERYONE",
    "OLD",
    "RETENTION_DAYS",
    "PruneSummary",
    "StoreView",
    "StoredBundle",
    "proves_bundle",
    "prune",
    "read_view",
    "removable",
    "verify_whole",
]
