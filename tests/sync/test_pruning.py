"""Pruning: the rules (no files needed), the proof a file is this store's bundle before it is
removed, the dry run, and a kill while pruning (each file whole or gone)."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from child_process import replayable, run_python, seed_from_env, was_killed

from referral_desk.sync import bundle as b
from referral_desk.sync.keys import KdfParams, KeyCache
from referral_desk.sync.pruning import (
    EVERYONE,
    OLD,
    StoredBundle,
    StoreView,
    proves_bundle,
    prune,
    read_view,
    removable,
)
from referral_desk.sync.receipts import BundleMeta, Receipt, write_receipt
from referral_desk.sync.state import open_store

NOW = datetime(2026, 6, 1, 12, 0)
KDF = KdfParams(n=2**14)
KEYS = KeyCache()
PASS = "correct horse battery staple"
A, B = sorted(str(uuid.uuid4()) for _ in range(2))


def _meta(days_old: int, covers: dict[str, tuple[int, int, int]], vector=None) -> BundleMeta:
    when = (NOW - timedelta(days=days_old)).isoformat()
    kind = "snapshot" if vector is not None else "store"
    return BundleMeta(str(uuid.uuid4()), when, kind, covers, vector or {})


def _view(metas: dict[str, list[BundleMeta | None]], held: dict[str, dict[str, int] | None]):
    view = StoreView()
    for site, found in metas.items():
        for meta in found:
            bid = meta.bundle_id if meta is not None else str(uuid.uuid4())
            view.bundles[bid] = StoredBundle(site, bid, Path(f"/nowhere/{bid}.rdsync"), meta)
            if meta is not None:  # this PC saw it when it was written
                view.seen[bid] = datetime.fromisoformat(meta.created)
    for site, vector in held.items():
        view.receipts[site] = Receipt(site, "", vector, {}) if vector is not None else None
    return view


def test_nothing_goes_without_a_snapshot_however_old():
    view = _view({A: [_meta(400, {A: (1, 5, 5)})]}, {A: {A: 5}})
    assert removable(view, NOW, 90) == {}


def test_old_bundles_covered_by_the_reference_snapshot_go_and_the_rest_stay():
    old = _meta(100, {A: (1, 5, 5)})
    beyond = _meta(100, {A: (6, 9, 4)})  # not covered by the snapshot
    young = _meta(10, {A: (1, 3, 3)})
    older_snap = _meta(120, {A: (1, 2, 2)}, {A: 2})
    snap = _meta(30, {A: (1, 5, 5)}, {A: 5})
    view = _view({A: [old, beyond, young, older_snap, snap, None]}, {A: {A: 9}, B: None})
    assert removable(view, NOW, 90) == {old.bundle_id: OLD, older_snap.bundle_id: OLD}


def test_young_bundles_go_only_when_every_site_shows_it_holds_them():
    young = _meta(5, {A: (1, 5, 5), B: (1, 2, 2)})
    snap = _meta(1, {A: (1, 5, 5)}, {A: 5, B: 2})
    both = _view({A: [young, snap], B: []}, {A: {A: 5, B: 2}, B: {A: 5, B: 2}})
    assert removable(both, NOW, 90) == {young.bundle_id: EVERYONE}
    behind = _view({A: [young, snap], B: []}, {A: {A: 5, B: 2}, B: {A: 4, B: 2}})
    assert removable(behind, NOW, 90) == {}
    no_receipt = _view({A: [young, snap], B: []}, {A: {A: 5, B: 2}, B: None})
    assert removable(no_receipt, NOW, 90) == {}


def test_the_reference_snapshot_is_never_removed():
    snap = _meta(500, {A: (1, 5, 5)}, {A: 5})
    view = _view({A: [snap]}, {A: {A: 5}})
    assert removable(view, NOW, 90) == {}


def test_the_fullest_snapshot_is_relied_on_not_a_newer_smaller_one():
    full = _meta(40, {A: (1, 9, 9)}, {A: 9, B: 3})
    small = _meta(1, {B: (1, 4, 4)}, {B: 4})  # from a PC that had not caught up
    old = _meta(100, {A: (1, 9, 9)})
    view = _view({A: [full, old], B: [small]}, {A: {A: 9}, B: {B: 4}})
    assert view.reference_snapshot().bundle_id == full.bundle_id
    assert removable(view, NOW, 90) == {old.bundle_id: OLD}  # neither snapshot goes


def test_age_is_when_this_pc_first_saw_a_bundle_never_its_writers_clock():
    """A writer's clock is not compared with ours: a bundle stamped 100 days ago that this PC
    first saw today is young; one stamped 100 days in the future that this PC has seen for 100
    days is old; one this PC has never listed is not old."""
    snap = _meta(0, {A: (1, 9, 9)}, {A: 9})
    stamped_old = _meta(100, {A: (1, 3, 3)})
    stamped_future = _meta(-100, {A: (4, 6, 3)})
    never_seen = _meta(200, {A: (7, 9, 3)})
    view = _view({A: [snap, stamped_old, stamped_future, never_seen]}, {A: {A: 9}, B: None})
    view.seen[stamped_old.bundle_id] = NOW
    view.seen[stamped_future.bundle_id] = NOW - timedelta(days=100)
    del view.seen[never_seen.bundle_id]
    assert removable(view, NOW, 90) == {stamped_future.bundle_id: OLD}


# --- files -----------------------------------------------------------------------------------


def _store(tmp_path: Path):
    store = tmp_path / "store"
    store.mkdir()
    return store, open_store(store, PASS, KEYS, create=True, kdf=KDF)


def _bundle(store: Path, info, site: str, seqs: range, *, salt: bytes | None = None) -> Path:
    entries = [
        [site, s, "person", str(uuid.uuid4()), "given_name", '"X"', 1000 + s, 0] for s in seqs
    ]
    data, manifest = b.seal(
        entries,
        [],
        site_id=site,
        vector={site: max(seqs)},
        passphrase=PASS,
        keys=KEYS,
        salt=salt or info.salt,
        kdf=KDF,
        kind="store",
        segment=1024,
    )
    folder = store / "outbox" / site
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{manifest.bundle_id}.rdsync"
    path.write_bytes(data)
    return path


def _receipt(store: Path, info, site: str, paths: list[Path], days: int, snapshot: Path | None):
    metas = {}
    for path in paths:
        with b.open_bundle(path, PASS, KEYS) as reader:
            manifest = reader.parse().manifest
        when = (NOW - timedelta(days=days)).isoformat()
        if path == snapshot:
            manifest = b.Manifest(**{**manifest.__dict__, "kind": "snapshot"})
        metas[manifest.bundle_id] = BundleMeta.from_manifest(manifest, when)
    write_receipt(store, info, PASS, KEYS, Receipt(site, "", {site: 99}, metas))


def test_only_files_proved_to_be_this_stores_bundles_are_removed(tmp_path):
    store, info = _store(tmp_path)
    good = _bundle(store, info, A, range(1, 4))
    foreign = _bundle(store, info, A, range(4, 6), salt=b"\x07" * 16)  # another store's key
    moved = _bundle(store, info, A, range(6, 8))
    renamed = moved.with_name(f"{uuid.uuid4()}.rdsync")  # a copy under another bundle's name
    os.rename(moved, renamed)
    snap = _bundle(store, info, A, range(1, 20))
    _receipt(store, info, A, [good, foreign, snap], 200, snap)
    view = read_view(store, info, PASS, KEYS)
    assert proves_bundle(view.bundles[good.stem], info, PASS, KEYS)
    assert not proves_bundle(view.bundles[foreign.stem], info, PASS, KEYS)
    fake = StoredBundle(A, renamed.stem, renamed, view.bundles[good.stem].meta)
    assert not proves_bundle(fake, info, PASS, KEYS)
    link = store / "outbox" / A / f"{uuid.uuid4()}.rdsync"
    link.symlink_to(good)
    assert not proves_bundle(StoredBundle(A, link.stem, link, None), info, PASS, KEYS)

    dry = prune(view, info, PASS, KEYS, now=NOW, dry_run=True)
    assert dry.removed == (f"outbox/{A}/{good.name}",) and dry.not_proved == 1
    assert good.exists() and foreign.exists()
    done = prune(view, info, PASS, KEYS, now=NOW)
    assert done.removed == dry.removed and done.bytes_freed > 0
    assert not good.exists() and foreign.exists() and snap.exists() and link.is_symlink()


def test_a_bundle_its_receipt_understates_is_not_removed(tmp_path):
    """Its coverage comes from its writer's receipt; a receipt re-sealed by someone holding the
    passphrase says a bundle carrying seqs 1..30 carries 1..3 only (covered by the snapshot):
    its own authenticated manifest disagrees, so it stays."""
    from dataclasses import replace

    store, info = _store(tmp_path)
    wide = _bundle(store, info, A, range(1, 31))
    snap = _bundle(store, info, A, range(1, 20))
    _receipt(store, info, A, [wide, snap], 200, snap)
    view = read_view(store, info, PASS, KEYS)
    honest = view.bundles[wide.stem]
    assert honest.meta is not None and not honest.meta.covered_by({A: 19})
    view.bundles[wide.stem] = replace(honest, meta=replace(honest.meta, covers={A: (1, 3, 3)}))
    done = prune(view, info, PASS, KEYS, now=NOW)
    assert done.removed == () and done.not_proved == 1 and wide.exists()


KILLED_CHILD = r"""
import os, signal, sys
from datetime import datetime
from pathlib import Path
from referral_desk.sync import pruning
from referral_desk.sync.keys import KdfParams, KeyCache
from referral_desk.sync.state import open_store

store, kill_at = Path(sys.argv[1]), int(sys.argv[2])
keys = KeyCache()
info = open_store(store, sys.argv[3], keys, create=False, kdf=KdfParams(n=2**14))
done = [0]
real = pruning._unlink

def unlink(path):
    if done[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    real(path)
    done[0] += 1

pruning._unlink = unlink
view = pruning.read_view(store, info, sys.argv[3], keys)
pruning.prune(view, info, sys.argv[3], keys, now=datetime.fromisoformat(sys.argv[4]))
"""


@pytest.mark.parametrize("attempt", range(2))
def test_a_kill_while_pruning_leaves_every_bundle_whole_or_gone(tmp_path, attempt):
    store, info = _store(tmp_path)
    old = [_bundle(store, info, A, range(1 + 3 * i, 4 + 3 * i)) for i in range(6)]
    snap = _bundle(store, info, A, range(1, 19))
    _receipt(store, info, A, [*old, snap], 200, snap)
    with replayable(seed_from_env() + attempt) as rng:
        kill_at = rng.randint(0, len(old))
        child = run_python(KILLED_CHILD, store, kill_at, PASS, NOW.isoformat())
        assert was_killed(child) or (child.returncode == 0 and kill_at == len(old)), child.stderr
        left = [p for p in old if p.exists()]
        assert len(left) == len(old) - kill_at
        for path in [*left, snap]:  # whatever is left opens whole
            with b.open_bundle(path, PASS, KEYS) as reader:
                reader.verify()
        assert not list(store.rglob("*.tmp"))
        view = read_view(store, info, PASS, KEYS)  # and pruning again finishes the job
        prune(view, info, PASS, KEYS, now=NOW)
        assert not any(p.exists() for p in old) and snap.exists()
