"""Changing the team passphrase: a manager only; afterwards the old passphrase opens nothing in
the store, colleagues are told it changed, and with the new one they carry on, keeping their
unsynced changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from referral_desk.domain.errors import NotPermitted
from referral_desk.sync.bundle import BundleError, is_bundle_name, open_bundle
from referral_desk.sync.lifecycle import REJOINED
from referral_desk.sync.receipts import RECEIPT_NAME, open_receipt
from referral_desk.sync.rotation import PassphraseChanged
from referral_desk.sync.state import STORE_FILE, StoreError, open_store

NEW = "a brand new team passphrase"


def _person(site, name: str) -> str:
    return site.people.add(given_name=name, family_name="Test", date_of_birth="1990-01-01").id


def _files(store: Path) -> list[Path]:
    return sorted(p for p in (store / "outbox").glob("*/*") if p.is_file())


def _contents(store: Path) -> set[bytes]:
    return {p.read_bytes() for p in _files(store)}


def test_after_a_rotation_the_old_passphrase_opens_nothing_and_colleagues_carry_on(
    make_site, tmp_path, h, passphrase
):
    a, b, c = make_site("a"), make_site("b"), make_site("c")
    store = tmp_path / "store"
    store.mkdir()
    for site, name in ((a, "Ann"), (b, "Bo"), (c, "Cy")):
        _person(site, name)
    for site in (a, b, c, a):
        site.sync.sync_now(store, passphrase)
    unsynced = _person(b, "Bo-later")  # b's change, not synced before the rotation
    before = _contents(store)

    with pytest.raises(NotPermitted):  # b joined a's team: not a manager
        b.sync.rotate_passphrase(store, passphrase, NEW)
    done = a.sync.rotate_passphrase(store, passphrase, NEW)
    assert done.snapshot is not None and done.removed >= len(before) - 1 and done.left == 0

    after = _files(store)
    assert not (_contents(store) & before)  # every older bundle and receipt is gone
    keys = h.KEYS
    with pytest.raises(StoreError):
        open_store(store, passphrase, keys, create=False)
    info = open_store(store, NEW, keys, create=False)
    for path in after:  # the old passphrase opens nothing written after the rotation
        if is_bundle_name(path.name):
            with pytest.raises(BundleError), open_bundle(path, passphrase, keys) as reader:
                reader.verify()
            with open_bundle(path, NEW, keys) as reader:
                reader.verify()
        else:
            assert path.name == RECEIPT_NAME
            site = path.parent.name
            assert open_receipt(path.read_bytes(), info, passphrase, keys, site) is None
            assert open_receipt(path.read_bytes(), info, NEW, keys, site) is not None
    assert (store / STORE_FILE).is_file()

    with pytest.raises(PassphraseChanged) as told:  # b, at its next sync, is asked for it
        b.sync.sync_now(store, passphrase)
    assert "passphrase has changed" in str(told.value)
    with pytest.raises(StoreError) as wrong:  # a passphrase b never had is just wrong
        b.sync.sync_now(store, "some other passphrase entirely")
    assert not isinstance(wrong.value, PassphraseChanged)

    got = b.sync.sync_now(store, NEW)
    assert got.caught_up == REJOINED and got.exported.entries > 0
    for site in (c, a, b, c):
        site.sync.sync_now(store, NEW)
    assert a.people.get(unsynced).given_name == "Bo-later"
    assert h.digest(a.db) == h.digest(b.db) == h.digest(c.db)


def test_a_rotation_cut_short_after_the_switch_is_finished_by_running_it_again(
    make_site, tmp_path, h, passphrase, monkeypatch
):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    _person(a, "Ann")
    _person(b, "Bo")
    for site in (a, b, a):
        site.sync.sync_now(store, passphrase)
    from referral_desk.sync import lifecycle

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt  # as if the PC went off right after the switch

    monkeypatch.setattr(lifecycle.StoreLifecycle, "write_snapshot", killed)
    with pytest.raises(KeyboardInterrupt):
        a.sync.rotate_passphrase(store, passphrase, NEW)
    monkeypatch.undo()
    open_store(store, NEW, h.KEYS, create=False)  # switched already

    done = a.sync.rotate_passphrase(store, passphrase, NEW)
    assert done.resumed and done.snapshot is not None and done.removed > 0
    b.sync.sync_now(store, NEW)
    a.sync.sync_now(store, NEW)
    assert h.digest(a.db) == h.digest(b.db)
