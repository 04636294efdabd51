"""Two managers changing the passphrase at once: the switch re-reads the store's settings file
just before replacing it and after; the manager whose settings were replaced is told, nothing
of its change stays, and the team carries on with the passphrase that won."""

from __future__ import annotations

from pathlib import Path

import pytest

from referral_desk.sync import rotation
from referral_desk.sync.bundle import BundleError, is_bundle_name, open_bundle
from referral_desk.sync.rotation import RotationRaced, _new_info
from referral_desk.sync.state import StoreError, open_store, write_store_file

NEW = "a brand new team passphrase"
OTHER = "another new team passphrase"


def _person(site, name: str) -> str:
    return site.people.add(given_name=name, family_name="Test", date_of_birth="1990-01-01").id


def _pair(make_site, tmp_path: Path, passphrase: str):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    for site, name in ((a, "Ann"), (b, "Bo")):
        _person(site, name)
    for site in (a, b, a):
        site.sync.sync_now(store, passphrase)
    return a, b, store


def _other_switch(store: Path, passphrase: str, keys) -> None:
    """Another manager's switch to OTHER landing now (settings only)."""
    info = open_store(store, passphrase, keys, create=False)
    write_store_file(store, _new_info(info, OTHER, keys, None))


def _opening(store: Path, passphrase: str, keys) -> list[str]:
    found = []
    for path in sorted((store / "outbox").glob("*/*")):
        if not is_bundle_name(path.name):
            continue
        try:
            with open_bundle(path, passphrase, keys) as reader:
                reader.verify()
        except BundleError:
            continue
        found.append(path.name)
    return found


def _opens(store: Path, passphrase: str, keys) -> bool:
    try:
        open_store(store, passphrase, keys, create=False)
    except StoreError:
        return False
    return True


def test_a_switch_after_the_store_changed_since_it_was_opened_is_refused(
    make_site, tmp_path, h, passphrase, monkeypatch
):
    a, _b, store = _pair(make_site, tmp_path, passphrase)
    real = rotation._new_info

    def slow_key(*args, **kwargs):  # the new key takes a second: b's rotation ends meanwhile
        _other_switch(store, passphrase, h.KEYS)
        return real(*args, **kwargs)

    monkeypatch.setattr(rotation, "_new_info", slow_key)
    with pytest.raises(RotationRaced) as told:
        a.sync.rotate_passphrase(store, passphrase, NEW)
    monkeypatch.undo()
    assert "Another team manager changed the team passphrase" in str(told.value)
    assert not _opens(store, NEW, h.KEYS) and _opens(store, OTHER, h.KEYS)
    assert _opening(store, NEW, h.KEYS) == []  # nothing of a's change was written


def test_a_manager_whose_switch_was_overwritten_is_told_before_writing_its_snapshot(
    make_site, tmp_path, h, passphrase, monkeypatch
):
    a, _b, store = _pair(make_site, tmp_path, passphrase)
    real = rotation.write_store_file

    def overwritten(store_dir, info):  # b read the file before a's switch, wrote after it
        real(store_dir, info)
        _other_switch(store, NEW, h.KEYS)

    monkeypatch.setattr(rotation, "write_store_file", overwritten)
    with pytest.raises(RotationRaced):
        a.sync.rotate_passphrase(store, passphrase, NEW)
    monkeypatch.undo()
    assert _opens(store, OTHER, h.KEYS)
    assert _opening(store, NEW, h.KEYS) == []


def test_a_manager_overwritten_while_writing_its_snapshot_removes_it_and_is_told(
    make_site, tmp_path, h, passphrase, monkeypatch
):
    a, b, store = _pair(make_site, tmp_path, passphrase)
    life = a.sync.engine.lifecycle
    real = life.write_snapshot
    written = []

    def snapshot_then_overwritten(*args, **kwargs):
        done = real(*args, **kwargs)
        written.append(store / done.path)
        _other_switch(store, NEW, h.KEYS)
        return done

    monkeypatch.setattr(life, "write_snapshot", snapshot_then_overwritten)
    with pytest.raises(RotationRaced):
        a.sync.rotate_passphrase(store, passphrase, NEW)
    monkeypatch.undo()
    assert written and not written[0].exists()
    assert _opening(store, NEW, h.KEYS) == []
    # The old files are still there (the winner removes them); the team carries on.
    for site in (a, b, a):
        site.sync.sync_now(store, OTHER)
    assert h.digest(a.db) == h.digest(b.db)


def test_running_a_finished_rotation_again_removes_a_leavers_file_written_during_it(
    make_site, tmp_path, h, passphrase
):
    """A colleague who never syncs again (whoever left) wrote a bundle under the old settings
    while the rotation ran: its own next sync would remove it, but there is none. The manager
    runs the same change again: it proves the file under the old passphrase and removes it."""
    from referral_desk.sync.store_repair import remembered_stores

    a, b, store = _pair(make_site, tmp_path, passphrase)
    a.sync.rotate_passphrase(store, passphrase, NEW)
    ((old, _path),) = remembered_stores(b.db)  # b has not synced since: the old settings
    _person(b, "Leaving")
    late = b.sync.engine._export_to_store(store, old, passphrase, False)
    assert late.path is not None and _opening(store, passphrase, h.KEYS) != []

    again = a.sync.rotate_passphrase(store, passphrase, NEW)
    assert again.resumed and again.snapshot is None and again.removed == 1
    assert _opening(store, passphrase, h.KEYS) == []
    assert _opening(store, NEW, h.KEYS) != []  # the rotation's snapshot stays
