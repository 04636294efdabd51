"""Attacks on the shared store's lifecycle (issue 14), written by the attack session.

Each test here FAILS on branch `lifecycle` at 23acdd8 and shows a defect (its docstring says
which, with the command-line reproduction). Each is marked `xfail(strict=True)` so the suite
stays green while the defect is there: the fix makes it pass, strict turns that into a failure,
and the fixer removes the mark. Sites are real databases (`make_site`)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from referral_desk.sync.bundle import BundleError, is_bundle_name, open_bundle
from referral_desk.sync.receipts import RECEIPT_NAME, open_receipt
from referral_desk.sync.state import open_store

NEW = "a brand new team passphrase"
DEFECT = pytest.mark.xfail(strict=True, reason="attack finding (issue 14): see the docstring")


def _person(site: Any, name: str) -> str:
    return site.people.add(given_name=name, family_name="Test", date_of_birth="1990-01-01").id


def _opens_with(path: Path, passphrase: str, keys: Any) -> bool:
    try:
        with open_bundle(path, passphrase, keys) as reader:
            reader.verify()
    except BundleError:
        return False
    return True


def _pair(make_site: Any, tmp_path: Path, passphrase: str) -> tuple[Any, Any, Path]:
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    for site, name in ((a, "Ann"), (b, "Bo")):
        _person(site, name)
    for site in (a, b, a):
        site.sync.sync_now(store, passphrase)
    return a, b, store


def _sync_racing_a_rotation(a: Any, b: Any, store: Path, passphrase: str) -> None:
    """b's sync has opened the store (old settings) when a's rotation runs to the end; b then
    writes its bundle and receipt. A rotation takes a sync plus a snapshot: seconds to minutes
    on a real store, so a colleague syncing meanwhile is the ordinary case."""
    engine = b.sync.engine
    real = engine._export_to_store

    def export_after_rotation(*args: Any, **kwargs: Any) -> Any:
        engine._export_to_store = real
        a.sync.rotate_passphrase(store, passphrase, NEW)
        return real(*args, **kwargs)

    engine._export_to_store = export_after_rotation
    _person(b, "Bo-racing")
    b.sync.sync_now(store, passphrase)


def test_a_sync_racing_a_rotation_leaves_files_the_old_passphrase_opens(
    make_site, tmp_path, h, passphrase
):
    """DEFECT: a colleague's sync that opened the store just before a rotation writes its
    bundle (personal data) and receipt under the OLD passphrase after the rotation finished.
    Nothing ever removes them (their manifest is known from no receipt that opens under the
    new settings, so pruning keeps them; a later rotation proves only against its own old
    settings): whoever left the team opens them with the old passphrase for ever."""
    a, b, store = _pair(make_site, tmp_path, passphrase)
    _sync_racing_a_rotation(a, b, store, passphrase)
    for site in (b, a, b, a):  # everyone carries on with the new passphrase
        site.sync.sync_now(store, NEW)
    info_new = open_store(store, NEW, h.KEYS, create=False)
    assert info_new.exists
    old_readable = [
        p.name
        for p in sorted((store / "outbox").glob("*/*"))
        if is_bundle_name(p.name) and _opens_with(p, passphrase, h.KEYS)
    ]
    assert old_readable == [], "bundles written after the rotation still open with the old one"


def test_a_sync_racing_a_rotation_later_makes_that_pc_take_a_new_site_id(
    make_site, tmp_path, passphrase
):
    """DEFECT: after the race above, the colleague rejoins with the new passphrase
    (`notice_rotation` forgets which bundles of its folder it wrote); its bundle written under
    the old passphrase is still in its own folder, so its next sync reads it as "another copy
    of this data folder" and takes a new site id with a false SHARED_ID message."""
    a, b, store = _pair(make_site, tmp_path, passphrase)
    _sync_racing_a_rotation(a, b, store, passphrase)
    before = b.site_id
    told = [b.sync.sync_now(store, NEW).new_site_id for _ in range(3)]
    assert told == ["", "", ""] and b.site_id == before


def _people(site: Any) -> set[str]:
    with site.db.read() as session:
        from referral_desk.store.models import Person

        return {p.given_name for p in session.query(Person).all() if p.deleted_at is None}


def test_pruning_trusts_its_own_damaged_snapshot_and_a_new_joiner_gets_nothing(
    make_site, tmp_path, passphrase
):
    """DEFECT: the site that wrote the reference snapshot relies on it without authenticating
    it (`StoreLifecycle._trust` returns True for its own folder). A snapshot truncated in the
    store (a share's partial copy, a hostile user, a full disk on the share) still makes that
    site prune every bundle it covers; a new colleague is then refused the snapshot and gets
    nothing, and nobody re-exports (everyone's export state says the store holds it).

    CLI: a, b sync; `a sync snapshot`; b syncs; `truncate -s 5000` a's snapshot;
    `a sync prune` -> "Removed 2 sync files"; a new data folder C: `sync` -> nothing imported."""
    a, b, store = _pair(make_site, tmp_path, passphrase)
    _person(a, "Xavier")
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    snap = a.sync.write_snapshot(store, passphrase)
    b.sync.sync_now(store, passphrase)
    path = store / snap.path
    with path.open("r+b") as fh:
        fh.truncate(5000)
    a.sync.prune_store(store, passphrase, dry_run=False)
    c = make_site("c")
    c.sync.sync_now(store, passphrase)
    assert {"Ann", "Bo", "Xavier"} <= _people(c)


def test_a_receipt_overstating_a_snapshot_makes_pruning_delete_what_no_snapshot_holds(
    make_site, tmp_path, h, passphrase
):
    """DEFECT (insider holding the team passphrase, e.g. before a rotation): pruning takes a
    snapshot's version vector from its writer's receipt and never checks it against the
    snapshot's own (authenticated) manifest. A receipt re-sealed to say a genuine but small
    snapshot covers far more (and that its site holds everything) makes it the reference
    snapshot; every other bundle, the real fullest snapshot included, is pruned; a new
    colleague then lacks the team's later work.
    `verify_whole` authenticates the file but not the receipt's claim about it."""
    from dataclasses import replace

    from referral_desk.sync.receipts import Receipt, seal_receipt

    a, b, store = _pair(make_site, tmp_path, passphrase)
    small = b.sync.write_snapshot(store, passphrase)  # genuine: Ann and Bo only
    _person(a, "Xavier")
    a.sync.sync_now(store, passphrase)
    a.sync.write_snapshot(store, passphrase)
    info = open_store(store, passphrase, h.KEYS, create=False)
    folder = store / "outbox" / b.site_id
    receipt = open_receipt(
        (folder / RECEIPT_NAME).read_bytes(), info, passphrase, h.KEYS, b.site_id
    )
    assert receipt is not None
    meta = receipt.bundles[small.bundle_id]
    huge = {site: 10**9 for site in a.sync.engine.lifecycle.vector()}
    forged = Receipt(
        receipt.site_id,
        receipt.written,
        huge,  # and claims to hold everything, so the "every site holds it" rule applies
        {**receipt.bundles, small.bundle_id: replace(meta, vector=huge)},
    )
    (folder / RECEIPT_NAME).write_bytes(seal_receipt(info, passphrase, h.KEYS, forged))
    a.sync.prune_store(store, passphrase, dry_run=False)
    c = make_site("c")
    c.sync.sync_now(store, passphrase)
    assert {"Ann", "Bo", "Xavier"} <= _people(c)


def test_one_pc_with_its_clock_100_days_ahead_forces_a_colleague_away_5_days_to_the_snapshot(
    make_site, tmp_path, passphrase
):
    """DEFECT (clock skew): retention compares the writer's clock (`created` in its receipt)
    with the pruner's clock. One PC whose clock is 100 days ahead sees every colleague's new
    bundle as 100 days old: at its next sync it writes a snapshot and prunes bundles written
    the same day, so a colleague away for 5 days (well inside the 90-day retention) is told
    "This PC has been away longer than the store keeps history" and must import the whole
    snapshot. (Its future-dated snapshot also counts as "new" for 130 days on every other PC,
    so nobody else writes one meanwhile.)"""
    from datetime import datetime, timedelta

    start = datetime(2026, 1, 5, 9, 0)
    days = {"a": 0, "b": 0, "c": 100}
    a, b, c = make_site("a"), make_site("b"), make_site("c")
    for site, name in ((a, "a"), (b, "b"), (c, "c")):
        site.sync.engine._now = lambda n=name: start + timedelta(days=days[n])
    store = tmp_path / "store"
    store.mkdir()
    _person(a, "Ann")
    a.sync.sync_now(store, passphrase)
    _person(b, "Bo")
    b.sync.sync_now(store, passphrase)  # then b is away from day 0 to day 5
    _person(a, "Abe")
    a.sync.sync_now(store, passphrase)  # day 0
    _person(c, "Cy")
    c.sync.sync_now(store, passphrase)  # the same moment, but c's clock says day 100
    days.update(a=5, b=5, c=105)
    back = b.sync.sync_now(store, passphrase)
    assert back.caught_up == "", "away 5 days, yet told to take the snapshot"


class _Killed(BaseException):
    """Stands for kill -9 at that point (nothing after it in the process runs)."""


def test_a_rotation_killed_after_the_switch_then_an_ordinary_sync_can_never_be_finished(
    make_site, tmp_path, h, passphrase
):
    """DEFECT: the rotation is killed after the store file switched (here: while writing the
    snapshot; `kill -9` about 2 s into `sync rotate-passphrase` on the CLI does the same). The
    manager then syncs with the new passphrase, as anyone would: that sync remembers the new
    settings, so re-running the rotation is refused ("Wrong passphrase") and can never finish.
    The old bundles, snapshot included (everyone's personal data), stay in the store opening
    with the old passphrase, and every colleague's sync from then on ends refusing them
    ("Wrong passphrase, or the file was changed or damaged", exit 1).

    CLI: a, b synced, `a sync snapshot`; `a sync rotate-passphrase --new-passphrase-file N &`,
    kill -9 at ~2.05 s; `a sync` (new) -> exit 0; `b sync` (new) -> exit 1, refused;
    `a sync rotate-passphrase ...` again -> "Wrong passphrase", exit 1."""
    a, b, store = _pair(make_site, tmp_path, passphrase)
    a.sync.write_snapshot(store, passphrase)
    life = a.sync.engine.lifecycle

    def killed(*_args: Any, **_kwargs: Any) -> Any:
        raise _Killed

    life.write_snapshot = killed
    with contextlib.suppress(_Killed):
        a.sync.rotate_passphrase(store, passphrase, NEW)
    del life.write_snapshot
    a.sync.sync_now(store, NEW)  # the manager carries on with the new passphrase
    refused = b.sync.sync_now(store, NEW).imported.refused
    try:
        a.sync.rotate_passphrase(store, passphrase, NEW)  # finishing it, as documented
    except Exception as err:  # the defect: it is refused
        finished = str(err)
    else:
        finished = ""
    old_readable = [
        p.name
        for p in sorted((store / "outbox").glob("*/*"))
        if is_bundle_name(p.name) and _opens_with(p, passphrase, h.KEYS)
    ]
    assert (refused, finished, old_readable) == ((), "", [])


def test_a_junk_file_named_like_a_bundle_in_a_pcs_folder_makes_it_take_a_new_site_id(
    make_site, tmp_path, passphrase
):
    """DEFECT: anyone who can write to the share (no passphrase needed) drops a 5-byte file
    named `<uuid>.rdsync` into a PC's own outbox folder; at its next sync that PC decides
    another copy of its data folder writes under its site id and takes a new one (and again
    after every such file). The clash check (`store_clash`) counts any file named like a
    bundle, never proving it is a bundle of this store written under this site id.

    CLI: `echo junk > STORE/outbox/<site of A>/44444444-4444-4444-8444-444444444444.rdsync`;
    `referral-desk --data-dir A sync` -> `sync status` shows another site id."""
    a, _b, store = _pair(make_site, tmp_path, passphrase)
    before = a.site_id
    (store / "outbox" / before / "44444444-4444-4444-8444-444444444444.rdsync").write_bytes(
        b"junk\n"
    )
    got = a.sync.sync_now(store, passphrase)
    assert (got.new_site_id, a.site_id) == ("", before)


def test_a_folder_in_place_of_a_pcs_receipt_fails_every_sync_of_that_pc(
    make_site, tmp_path, passphrase
):
    """DEFECT (low): anyone who can write to the share replaces a PC's `receipt.rdreceipt`
    with a folder; every sync of that PC then ends in "The shared store folder is not
    writable." (exit 1) after exporting and importing, for ever: the atomic rename cannot
    replace a folder and nothing skips it. One hostile entry blocks a site (issue 11 #8).

    CLI: `rm STORE/outbox/<B>/receipt.rdreceipt; mkdir STORE/outbox/<B>/receipt.rdreceipt`;
    `referral-desk --data-dir B sync` -> exit 1, every time."""
    a, b, store = _pair(make_site, tmp_path, passphrase)
    receipt = store / "outbox" / b.site_id / RECEIPT_NAME
    receipt.unlink()
    receipt.mkdir()
    _person(b, "Bo-later")
    for _ in range(2):  # every sync succeeds and says why the receipt is missing
        got = b.sync.sync_now(store, passphrase)
        assert "receipt could not be written" in got.receipt and RECEIPT_NAME in got.receipt
    assert receipt.is_dir()  # never removed: it may be someone's
    a.sync.sync_now(store, passphrase)
    assert "Bo-later" in _people(a)


def test_two_managers_rotating_at_once_both_succeed_but_one_passphrase_is_dead(
    make_site, tmp_path, h, passphrase, monkeypatch
):
    """DEFECT: two managers change the passphrase at the same time (a to NEW, b to OTHER); b's
    rotation runs entirely while a's is between its sync and its switch. Both report success,
    but the store opens only with NEW: b (and whoever b gave OTHER) is then told "The team
    passphrase has changed" and b's snapshot under OTHER (everyone's personal data) stays in
    the store for ever (it proves under no settings a later rotation or pruning checks). The
    switch does not check that the store file is still the one it opened."""
    from referral_desk.sync import rotation
    from referral_desk.usecases.roles import RoleService

    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    for site, name in ((a, "Ann"), (b, "Bo")):
        site.profile.set(name=f"Officer {name}")
        _person(site, name)
    for site in (a, b, a):
        site.sync.sync_now(store, passphrase)
    RoleService(a.db).grant(b.profile.get().id, "manager")
    for site in (a, b):
        site.sync.sync_now(store, passphrase)
    assert RoleService(b.db).current_role() == "manager"
    other = "another new team passphrase"
    real = rotation.write_store_file
    calls = []

    def switch(store_dir: Path, info: Any) -> None:
        calls.append(info)
        if len(calls) == 1:  # a's switch: b's whole rotation happens just before it
            b.sync.rotate_passphrase(store, passphrase, other)
        real(store_dir, info)

    monkeypatch.setattr(rotation, "write_store_file", switch)
    a.sync.rotate_passphrase(store, passphrase, NEW)
    monkeypatch.setattr(rotation, "write_store_file", real)
    opens = [p for p in (NEW, other) if _store_opens(store, p, h.KEYS)]
    assert len(opens) == 1
    b.sync.sync_now(store, opens[0])  # b learns the passphrase that won and carries on
    a.sync.sync_now(store, opens[0])
    lost = other if opens[0] == NEW else NEW
    stale = [
        p.name
        for p in sorted((store / "outbox").glob("*/*"))
        if is_bundle_name(p.name) and _opens_with(p, lost, h.KEYS)
    ]
    assert stale == [], "a snapshot under the losing passphrase stays in the store"


def _store_opens(store: Path, passphrase: str, keys: Any) -> bool:
    from referral_desk.sync.state import StoreError

    try:
        open_store(store, passphrase, keys, create=False)
    except StoreError:
        return False
    return True


def test_sync_snapshot_with_unsynced_changes_tells_every_colleague_it_was_away(
    make_site, tmp_path, passphrase
):
    """DEFECT (medium; wider than the "known limit" in docs/store-lifecycle.md): `sync
    snapshot` (or Sync > Write team snapshot) run with local changes not yet synced puts them
    in the snapshot only, and marks them as held by the store, so no bundle ever carries them.
    Every colleague's next sync, a minute later, imports the whole snapshot and is told "This
    PC has been away longer than the store keeps history".

    CLI: a, b synced; `a person add ...`; `a sync snapshot`; `b sync` -> "This PC has been
    away longer than the store keeps history: the team snapshot was imported."."""
    a, b, store = _pair(make_site, tmp_path, passphrase)
    b.sync.sync_now(store, passphrase)
    _person(a, "Abe")
    a.sync.write_snapshot(store, passphrase)
    a.sync.sync_now(store, passphrase)
    back = b.sync.sync_now(store, passphrase)
    assert back.caught_up == "" and "Abe" in _people(b)
