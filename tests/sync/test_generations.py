"""Earlier settings generations: remembered per store, and a site's own files written under one
removed by its next sync (and nothing else)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from referral_desk.sync import lifecycle
from referral_desk.sync.bundle import BundleError, new_salt, open_bundle
from referral_desk.sync.generations import (
    KEEP,
    earlier_settings,
    remember_earlier,
    stale_own_files,
)
from referral_desk.sync.state import open_store
from referral_desk.sync.store_repair import remembered_stores

NEW = "a brand new team passphrase"


def _person(site, name: str) -> str:
    return site.people.add(given_name=name, family_name="Test", date_of_birth="1990-01-01").id


def _synced(make_site, tmp_path: Path, passphrase: str):
    a = make_site("a")
    store = tmp_path / "store"
    store.mkdir()
    _person(a, "Ann")
    a.sync.sync_now(store, passphrase)
    return a, store


def _own(store: Path, site) -> list[Path]:
    return sorted((store / "outbox" / site.site_id).glob("*.rdsync"))


def test_earlier_generations_are_kept_newest_first_once_each_and_bounded(
    make_site, tmp_path, h, passphrase
):
    a, store = _synced(make_site, tmp_path, passphrase)
    info = open_store(store, passphrase, h.KEYS, create=False)
    infos = [replace(info, salt=new_salt()) for _ in range(KEEP + 2)]
    with a.db.write(reason="test") as session:
        for i in [*infos, infos[-1]]:  # the last one twice: kept once
            remember_earlier(session, i)
    with a.db.read() as session:
        kept = earlier_settings(session, info.store_id)
        other = earlier_settings(session, "00000000-0000-4000-8000-000000000000")
    assert [i.salt for i in kept] == [i.salt for i in reversed(infos)][:KEEP]
    assert other == []


def test_only_this_sites_recorded_files_under_an_earlier_generation_are_stale(
    make_site, tmp_path, h, passphrase
):
    a, store = _synced(make_site, tmp_path, passphrase)
    info = open_store(store, passphrase, h.KEYS, create=False)
    (mine,) = _own(store, a)
    bundle_id = mine.name[: -len(".rdsync")]
    now = replace(info, salt=new_salt())  # as if the store had been rotated since
    folder = mine.parent
    junk = folder / "44444444-4444-4444-8444-444444444444.rdsync"
    junk.write_bytes(b"junk\n")
    copy = folder / "55555555-5555-4555-8555-555555555555.rdsync"  # header names another id
    copy.write_bytes(mine.read_bytes())
    link = folder / "66666666-6666-4666-8666-666666666666.rdsync"
    os.symlink(mine, link)
    ids = {bundle_id, junk.name[:36], copy.name[:36], link.name[:36]}

    assert stale_own_files(store, a.site_id, now, [info], ids) == [mine]
    assert stale_own_files(store, a.site_id, now, [info], ids - {bundle_id}) == []
    assert stale_own_files(store, a.site_id, info, [info], ids) == []  # current: never stale
    assert stale_own_files(store, a.site_id, now, [], ids) == []  # no earlier generation
    assert stale_own_files(store, "7" * 8, now, [info], ids) == []  # not its folder


def test_a_sync_whose_removal_fails_keeps_its_site_id_and_the_next_one_removes_the_file(
    make_site, tmp_path, passphrase, monkeypatch
):
    """A file this site wrote under the old settings, still in its folder after it noticed the
    rotation (its removal failed: held open on a share), is not another writer's: no new
    site id at the next sync, which removes it."""
    a, store = _synced(make_site, tmp_path, passphrase)
    b = make_site("b")
    _person(b, "Bo")
    b.sync.sync_now(store, passphrase)
    a.sync.rotate_passphrase(store, passphrase, NEW)
    assert _own(store, b) == []  # the rotation removed b's bundle
    late = _write_old_bundle(b, store, passphrase)  # a sync that opened the store before it
    monkeypatch.setattr(lifecycle, "remove_files", lambda _paths: 0)
    got = b.sync.sync_now(store, NEW)
    assert got.new_site_id == "" and late.exists()
    monkeypatch.undo()
    before = b.site_id
    got = b.sync.sync_now(store, NEW)
    assert (got.new_site_id, b.site_id) == ("", before) and not late.exists()
    assert all(_opens(p, NEW, b) for p in _own(store, b))


def _opens(path: Path, passphrase: str, site) -> bool:
    try:
        with open_bundle(path, passphrase, site.sync.engine.keys) as reader:
            reader.verify()
    except BundleError:
        return False
    return True


def _write_old_bundle(site, store: Path, passphrase: str) -> Path:
    """A bundle of `site` under the store's settings this site remembers (the old ones), as a
    sync that opened the store before the switch writes it; recorded as its own."""
    ((info, _path),) = remembered_stores(site.db)
    _person(site, "Late")
    out = site.sync.engine._export_to_store(store, info, passphrase, False)
    assert out.path is not None
    return store / out.path
