"""A snapshot: everything this site holds, in its own outbox folder, marked as a snapshot with
the version vector it covers; the store is then known to hold all of it."""

from __future__ import annotations

import stat

from referral_desk.sync.bundle import open_bundle
from referral_desk.sync.receipts import own_metas
from referral_desk.sync.state import version_vector


def test_a_snapshot_holds_everything_and_says_what_it_covers(make_site, tmp_path, h, passphrase):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    b.people.add(given_name="Bo", family_name="T", date_of_birth="1990-01-01")
    b.sync.sync_now(store, passphrase)
    a.people.add(given_name="Ann", family_name="T", date_of_birth="1990-01-01")
    a.sync.sync_now(store, passphrase)

    snap = a.sync.write_snapshot(store, passphrase)
    path = store / snap.path
    assert path.parent.name == a.site_id and snap.sites >= 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # colleagues' accounts read it
    with open_bundle(path, passphrase, h.KEYS) as reader:
        manifest = reader.parse().manifest
    with a.db.read() as session:
        vector = version_vector(session)
        metas = own_metas(session, a.sync.engine.open_store(store, passphrase).store_id)
    assert manifest.kind == "snapshot" and manifest.vector == vector == snap.vector
    assert manifest.entry_count == snap.entries
    assert metas[snap.bundle_id].is_snapshot and metas[snap.bundle_id].vector == vector

    again = a.sync.sync_now(store, passphrase)  # the store holds all of it: nothing to send
    assert again.exported.entries == 0


def test_a_change_written_while_a_snapshot_is_written_goes_out_in_the_next_bundle(
    make_site, tmp_path, passphrase
):
    """A snapshot never makes the store count as holding an entry (only a bundle does): a
    change that lands after the export but before the snapshot is read is sent in the next
    bundle, so a colleague that holds everything gets it without being told it was away."""
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    for site in (a, b, a, b):
        site.sync.sync_now(store, passphrase)
    engine = a.sync.engine
    real = engine._write_bundle

    def write_after_a_late_change(*args, **kwargs):
        if kwargs.get("kind") == "snapshot":
            a.people.add(given_name="Late", family_name="T", date_of_birth="1990-01-01")
        return real(*args, **kwargs)

    engine._write_bundle = write_after_a_late_change
    a.sync.write_snapshot(store, passphrase)
    engine._write_bundle = real
    assert a.sync.sync_now(store, passphrase).exported.entries > 0
    back = b.sync.sync_now(store, passphrase)
    assert back.caught_up == ""
    assert "Late" in {p.given_name for p in b.people.list()}
