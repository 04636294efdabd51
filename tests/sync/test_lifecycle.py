"""The shared store's lifecycle across sites: a PC away longer than the store keeps history, a
new colleague joining from the snapshot, snapshots written when due. Time is simulated: each
site's sync engine reads a clock the test moves (days), never the wall clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from referral_desk.sync.bundle import is_bundle_name
from referral_desk.sync.lifecycle import AWAY

START = datetime(2026, 1, 5, 9, 0)


class Clock:
    def __init__(self) -> None:
        self.day = 0

    def now(self) -> datetime:
        return START + timedelta(days=self.day)


def on_clock(site: Any, clock: Clock) -> Any:
    site.sync.engine._now = clock.now
    return site


def bundles(store: Path) -> list[Path]:
    root = store / "outbox"
    return sorted(p for p in root.glob("*/*") if is_bundle_name(p.name))


def add_person(site: Any, name: str) -> str:
    return site.people.add(given_name=name, family_name="Test", date_of_birth="1990-01-01").id


def test_a_pc_away_longer_than_the_store_keeps_history_is_told_and_catches_up(
    make_site, tmp_path, h, passphrase
):
    clock = Clock()
    a, b, c = (on_clock(make_site(n), clock) for n in "abc")
    store = tmp_path / "store"
    store.mkdir()
    for site, name in ((a, "Ann"), (b, "Bo"), (c, "Cy")):
        add_person(site, name)
    for site in (a, b, c, a, b):
        site.sync.sync_now(store, passphrase)
    removed: list[str] = []
    snapshots = 0
    days = range(1, 101, 3)
    for day in days:  # c is away 100 days; a and b work and sync every third day
        clock.day = day
        for site, name in ((a, "Ann"), (b, "Bo")):
            pid = add_person(site, f"{name}{day}")
            if day % 3 == 0:
                site.people.update(pid, given_name=f"{name}{day}x")
            got = site.sync.sync_now(store, passphrase)
            removed.extend(got.pruned.removed)
            snapshots += got.snapshot is not None
            assert got.caught_up == ""
    assert snapshots >= 2 and removed, "snapshots were written and old bundles pruned"
    assert all(Path(store / r).name not in {p.name for p in bundles(store)} for r in removed)

    back = c.sync.sync_now(store, passphrase)
    assert back.caught_up == AWAY
    assert back.caught_up.startswith("This PC has been away longer than the store keeps history")
    for site in (a, b, c, a):
        again = site.sync.sync_now(store, passphrase)
        assert again.caught_up == ""
    first = h.digest(a.db)
    assert h.digest(b.db) == first and h.digest(c.db) == first
    assert len(first["person"]) == 3 + 2 * len(days)  # nothing lost


def test_a_new_colleague_starts_from_the_snapshot_not_the_history(
    make_site, tmp_path, h, passphrase
):
    clock = Clock()
    a, b = (on_clock(make_site(n), clock) for n in "ab")
    store = tmp_path / "store"
    store.mkdir()
    written = 0
    for day in range(0, 40, 2):
        clock.day = day
        add_person(a, f"A{day}")
        add_person(b, f"B{day}")
        written += a.sync.sync_now(store, passphrase).exported.path is not None
        written += b.sync.sync_now(store, passphrase).exported.path is not None
    a.sync.sync_now(store, passphrase)  # a holds b's last changes too
    snap = a.sync.write_snapshot(store, passphrase)
    add_person(a, "After")
    a.sync.sync_now(store, passphrase)
    assert len(bundles(store)) == 2  # the others: imported by every site, and covered

    d = on_clock(make_site("d"), clock)
    preview = d.sync.sync_now(store, passphrase, dry_run=True)
    got = d.sync.sync_now(store, passphrase)
    assert got.caught_up == ""
    # The snapshot, then only what it does not cover (a's bundle after it), not the history.
    assert got.imported.bundles == 2 and written == 40
    assert preview.imported.bundles == got.imported.bundles
    assert snap.entries > 0
    for site in (a, b, d):
        site.sync.sync_now(store, passphrase)
    assert h.digest(d.db) == h.digest(a.db) == h.digest(b.db)


def test_a_smaller_snapshot_from_a_pc_not_caught_up_does_not_hide_the_fuller_one(
    make_site, tmp_path, h, passphrase
):
    a, b, c = make_site("a"), make_site("b"), make_site("c")
    store = tmp_path / "store"
    store.mkdir()
    for name in ("Ann", "Abe", "Amy"):
        add_person(a, name)
    a.sync.sync_now(store, passphrase)
    a.sync.write_snapshot(store, passphrase)
    a.sync.prune_store(store, passphrase)  # a's bundle: covered, and a's is the only receipt
    add_person(b, "Bo")
    b.sync.write_snapshot(store, passphrase)  # newer, but b holds nothing of a's yet
    for site in (b, c, a, b, c):
        site.sync.sync_now(store, passphrase)
    first = h.digest(a.db)
    assert h.digest(b.db) == first and h.digest(c.db) == first
    assert len(first["person"]) == 4


def test_a_snapshot_from_a_pc_with_its_clock_ahead_does_not_stop_colleagues_writing_one(
    make_site, tmp_path, passphrase
):
    """c's clock is 100 days ahead: its snapshot is stamped day 100. Its age is measured on
    each PC's own clock from when that PC first saw it, so a and b still write a snapshot once
    it is 30 days old for them (not for 130 days)."""
    clock = Clock()
    a, b = (on_clock(make_site(n), clock) for n in "ab")
    c = make_site("c")
    c.sync.engine._now = lambda: clock.now() + timedelta(days=100)
    store = tmp_path / "store"
    store.mkdir()
    add_person(c, "Cy")
    c.sync.sync_now(store, passphrase)
    c.sync.write_snapshot(store, passphrase)
    written = []
    for day in range(0, 46, 3):
        clock.day = day
        for site, name in ((a, "Ann"), (b, "Bo")):
            add_person(site, f"{name}{day}")
            got = site.sync.sync_now(store, passphrase)
            if got.snapshot is not None:
                written.append(day)
    assert written and written[0] <= 36


def test_a_receipt_overstating_a_snapshot_does_not_tell_colleagues_they_were_away(
    make_site, tmp_path, h, passphrase
):
    """A receipt re-sealed (by someone holding the passphrase) to say b's small snapshot covers
    far more: a's vector never reaches that claim, but the snapshot's own manifest does not
    say it, so a is not told at every sync that it was away."""
    from dataclasses import replace

    from referral_desk.sync.receipts import RECEIPT_NAME, Receipt, open_receipt, seal_receipt
    from referral_desk.sync.state import open_store

    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    for site, name in ((a, "Ann"), (b, "Bo")):
        add_person(site, name)
    for site in (a, b, a):
        site.sync.sync_now(store, passphrase)
    small = b.sync.write_snapshot(store, passphrase)
    info = open_store(store, passphrase, h.KEYS, create=False)
    path = store / "outbox" / b.site_id / RECEIPT_NAME
    receipt = open_receipt(path.read_bytes(), info, passphrase, h.KEYS, b.site_id)
    assert receipt is not None
    huge = {site: 10**9 for site in a.sync.engine.lifecycle.vector()}
    meta = replace(receipt.bundles[small.bundle_id], vector=huge)
    forged = Receipt(b.site_id, receipt.written, huge, {**receipt.bundles, small.bundle_id: meta})
    path.write_bytes(seal_receipt(info, passphrase, h.KEYS, forged))
    for _ in range(2):
        assert a.sync.sync_now(store, passphrase).caught_up == ""
