"""A copied data folder never makes two writers with one site id (`sync.site_identity`).

Sites are real databases; a "second machine" is the same folder's files copied elsewhere and
opened with another injected machine fingerprint. Every scenario ends with all sites holding
the same data, nothing written on either copy lost.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unlocking import connect

from referral_desk.store.database import Database
from referral_desk.sync.site_identity import MOVED, SHARED_ID, machine_fingerprint
from referral_desk.usecases.directory_admin import DirectoryAdminService

SERVICE = "5a0c3a3e-0000-4000-8000-000000000001"


def _on(site: Any, machine: str) -> Any:
    site.sync.engine.fingerprint = lambda: machine
    return site


def _add(site: Any, name: str) -> str:
    return site.people.add(given_name=name, family_name="Test", date_of_birth="1990-01-01").id


def _copy_folder(h: Any, site: Any, to: Path, machine: str) -> tuple[Any, Any]:
    """Close `site`, copy its folder's files to `to`, reopen both: (original, copy)."""
    site.close()
    shutil.copytree(site.path, to)
    return _on(h.open_site(site.path), machine_of(site)), h.open_site(to)


def machine_of(site: Any) -> str:
    return str(site.sync.engine.fingerprint())


def _sync_all(sites: list[Any], store: Path, passphrase: str, rounds: int = 2) -> list[Any]:
    return [s.sync.sync_now(str(store), passphrase) for _ in range(rounds) for s in sites]


def _audit_reasons(db: Database) -> list[str]:
    with db.read() as session:
        rows = session.connection().exec_driver_sql(
            "SELECT reason FROM audit_entry WHERE table_name = 'site_state'"
        )
        return [r[0] for r in rows]


def _names(site: Any) -> set[str]:
    return {p.given_name for p in site.people.list()}


@pytest.fixture
def opened() -> Any:
    sites: list[Any] = []
    yield sites
    for s in sites:
        s.close()


def test_a_folder_copied_to_another_pc_takes_a_new_id_and_everything_converges(
    make_site: Any, h: Any, passphrase: str, tmp_path: Path, opened: list[Any]
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    a, b = _on(make_site("a"), "pc-a"), _on(make_site("b"), "pc-b")
    _add(a, "Before")
    _sync_all([a, b], store, passphrase, rounds=1)
    _add(a, "Unsent")  # written before the copy, not exported yet: both copies hold it
    old = a.site_id
    a, copy = _copy_folder(h, a, tmp_path / "copy", "pc-a")
    opened.extend([a, copy])
    _on(copy, "pc-copy")
    _add(a, "OnOriginal")
    _add(copy, "OnCopy")
    first = a.sync.sync_now(str(store), passphrase)
    moved = copy.sync.sync_now(str(store), passphrase)
    assert first.new_site_id == ""
    assert moved.new_site_id == MOVED
    assert copy.site_id != old and a.site_id == old
    _add(copy, "AfterMove")
    _sync_all([b, a, copy], store, passphrase)
    assert h.digest(a.db) == h.digest(copy.db) == h.digest(b.db)
    assert {"Before", "Unsent", "OnOriginal", "OnCopy", "AfterMove"} <= _names(b)
    assert any("new site id" in r for r in _audit_reasons(copy.db))
    for site in (a, copy, b):
        said, found = h.held_by_log(site.db)
        assert said == found
    assert copy.site_id == copy.sync.sync_now(str(store), passphrase).site_id  # settled


def test_a_restored_backup_noticed_in_the_store_takes_a_new_id_and_converges(
    make_site: Any, h: Any, passphrase: str, tmp_path: Path, opened: list[Any]
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    a, b = _on(make_site("a"), "pc-a"), _on(make_site("b"), "pc-b")
    _add(a, "Before")
    _sync_all([a, b], store, passphrase, rounds=1)
    _add(a, "InBackup")  # in the backup, not exported at backup time
    old = a.site_id
    a, backup = _copy_folder(h, a, tmp_path / "backup", "pc-a")
    opened.extend([a, backup])
    _on(backup, "pc-a")  # restored on the same PC: the machine check cannot tell
    _add(a, "OriginalCarriesOn")
    assert a.sync.sync_now(str(store), passphrase).new_site_id == ""
    _add(backup, "OnRestored")
    restored = backup.sync.sync_now(str(store), passphrase)
    assert restored.new_site_id == SHARED_ID
    assert backup.site_id != old and a.site_id == old
    _sync_all([b, a, backup], store, passphrase)
    assert h.digest(a.db) == h.digest(backup.db) == h.digest(b.db)
    assert {"Before", "InBackup", "OriginalCarriesOn", "OnRestored"} <= _names(b)
    assert [s.sync.sync_now(str(store), passphrase).new_site_id for s in (a, backup)] == ["", ""]


def test_a_folder_on_its_own_pc_never_changes_id(
    make_site: Any, passphrase: str, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    a, b = _on(make_site("a"), "pc-a"), _on(make_site("b"), "pc-b")
    ids = a.site_id, b.site_id
    for i in range(3):
        _add(a, f"A{i}")
        _add(b, f"B{i}")
        summaries = _sync_all([a, b], store, passphrase, rounds=1)
        assert [s.new_site_id for s in summaries] == ["", ""]
    assert a.sync.export_file(str(tmp_path / "usb.rdsync"), passphrase).new_site_id == ""
    assert (a.site_id, b.site_id) == ids


def test_a_file_export_from_a_copied_folder_goes_out_under_the_new_id(
    make_site: Any, h: Any, passphrase: str, tmp_path: Path, opened: list[Any]
) -> None:
    a = _on(make_site("a"), "pc-a")
    a.sync.export_file(str(tmp_path / "first.rdsync"), passphrase)  # records this machine
    a, copy = _copy_folder(h, a, tmp_path / "copy", "pc-a")
    opened.extend([a, copy])
    _on(copy, "pc-copy")
    _add(copy, "OnCopy")
    summary = copy.sync.export_file(str(tmp_path / "usb.rdsync"), passphrase)
    assert summary.new_site_id == MOVED
    assert copy.site_id != a.site_id


def test_the_machine_fingerprint_is_a_stable_hash() -> None:
    assert machine_fingerprint() == machine_fingerprint()
    assert len(machine_fingerprint()) == 64


def test_directory_changes_re_keyed_to_the_new_id_are_signed_again_and_verify(
    make_site: Any, h: Any, passphrase: str, tmp_path: Path, opened: list[Any]
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    manager, other = _on(make_site("manager"), "pc-m"), _on(make_site("other"), "pc-o")
    for name in ("Signed once", "Signed twice"):  # so the manager has signed several runs
        DirectoryAdminService(manager.db).update_service(SERVICE, name=name)
        _sync_all([manager, other], store, passphrase, rounds=1)
    manager, copy = _copy_folder(h, manager, tmp_path / "copy", "pc-m")
    opened.extend([manager, copy])
    _on(copy, "pc-copy")
    DirectoryAdminService(copy.db).update_service(SERVICE, name="Renamed on the copy")
    assert copy.sync.sync_now(str(store), passphrase).new_site_id == MOVED
    other.sync.sync_now(str(store), passphrase)
    assert not other.sync.list_quarantine()
    assert _service_name(h, other) == "Renamed on the copy"


def _service_name(h: Any, site: Any) -> str:
    conn = connect(site.db.path)
    try:
        return str(conn.execute("SELECT name FROM service WHERE id = ?", (SERVICE,)).fetchone()[0])
    finally:
        conn.close()


def test_a_folder_from_before_the_check_adopts_its_machine_and_bundles(
    make_site: Any, passphrase: str, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    a = _on(make_site("a"), "pc-a")
    for name in ("One", "Two"):
        _add(a, name)
        a.sync.sync_now(str(store), passphrase)
    site = a.site_id
    conn = connect(a.db.path)  # as a database written by the previous version
    conn.execute("DELETE FROM local_setting WHERE key IN ('site_machine', 'site_own_bundles')")
    conn.commit()
    conn.close()
    _on(a, "pc-a-after-upgrade")
    _add(a, "Three")
    assert a.sync.sync_now(str(store), passphrase).new_site_id == ""
    assert a.site_id == site


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    copy_machine=st.sampled_from(["pc-a", "pc-copy"]),  # a restored backup, or a copied folder
    steps=st.lists(
        st.tuples(st.sampled_from(["a", "copy", "b"]), st.sampled_from(["add", "edit", "sync"])),
        min_size=3,
        max_size=12,
    ),
)
def test_any_order_of_writes_and_syncs_after_a_copy_converges_with_nothing_lost(
    template_dir: Path, tmp_path_factory: Any, h: Any, copy_machine: str, steps: list[Any]
) -> None:
    root = tmp_path_factory.mktemp("clash")
    store = root / "store"
    store.mkdir()
    opened: list[Any] = []
    try:
        a = _on(h.copy_site(template_dir, root / "a"), "pc-a")
        b = _on(h.copy_site(template_dir, root / "b"), "pc-b")
        opened.extend([a, b])
        pid = _add(a, "Shared")
        _sync_all([a, b], store, h.PASSPHRASE, rounds=1)
        _add(a, "Unsent")
        a, copy = _copy_folder(h, a, root / "copy", "pc-a")
        opened[0] = a
        opened.append(_on(copy, copy_machine))
        sites = {"a": a, "copy": copy, "b": b}
        written = {"Shared", "Unsent"}
        for n, (who, what) in enumerate(steps):
            site = sites[who]
            if what == "add":
                written.add(_add(site, f"{who}{n}") and f"{who}{n}")
            elif what == "edit":
                site.people.update(pid, given_name="Shared", family_name=f"{who}{n}")
            else:
                site.sync.sync_now(str(store), h.PASSPHRASE)
        _sync_all([a, copy, b], store, h.PASSPHRASE)
        assert h.digest(a.db) == h.digest(copy.db) == h.digest(b.db)
        assert written <= _names(b)
        assert a.site_id != copy.site_id
        for site in (a, copy, b):  # sync_site kept in step with the re-keyed log
            said, found = h.held_by_log(site.db)
            assert said == found
    finally:
        for site in opened:
            site.close()


def test_only_a_genuine_bundle_of_this_site_in_its_folder_is_another_writer(
    make_site: Any, passphrase: str, tmp_path: Path
) -> None:
    """A file in this site's folder counts as another writer only when it proves to be a bundle
    of this store written under this site id: not junk named like a bundle, not a colleague's
    genuine bundle copied in (its header names the colleague), not a bundle of another store."""
    store, other = tmp_path / "store", tmp_path / "other"
    store.mkdir()
    other.mkdir()
    a, b = _on(make_site("a"), "pc-a"), _on(make_site("b"), "pc-b")
    _add(a, "Ann")
    _add(b, "Bo")
    _sync_all([a, b], store, passphrase, rounds=1)
    mine = store / "outbox" / a.site_id
    theirs = next((store / "outbox" / b.site_id).glob("*.rdsync"))
    shutil.copyfile(theirs, mine / theirs.name)
    a.sync.sync_now(str(other), passphrase)  # a's own bundle, but of another store
    foreign = next((other / "outbox" / a.site_id).glob("*.rdsync"))
    shutil.copyfile(foreign, mine / foreign.name)
    (mine / "44444444-4444-4444-8444-444444444444.rdsync").write_bytes(b"junk\n")
    before = a.site_id
    _add(a, "Later")
    assert a.sync.sync_now(str(store), passphrase).new_site_id == ""
    assert a.site_id == before
