"""Hostile things named like sync files: links to endless devices, pipes, folders, devices,
unreadable files and linked folders in a shared store are skipped and reported (the rest
imports); `sync import FILE` refuses them with one line. Nothing ever hangs or reads forever."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import deadline

from referral_desk.files import opening as sfiles
from referral_desk.sync import bundle as bfmt
from referral_desk.sync.bundle import BundleError

POSIX = os.name == "posix"
needs_posix = pytest.mark.skipif(not POSIX, reason="links, pipes and devices as on POSIX")


def _store_with_colleague(make_site: Any, tmp_path: Path, passphrase: str) -> tuple[Any, Path]:
    """A store holding one good bundle from a colleague; returns (importing site, store)."""
    colleague = make_site("colleague")
    colleague.people.add(given_name="Zed", family_name="Q", date_of_birth="1970-01-01")
    store = tmp_path / "store"
    store.mkdir()
    colleague.sync.sync_now(store, passphrase)
    return make_site("me"), store


def _hostile_folder(store: Path) -> Path:
    folder = store / "outbox" / str(uuid.uuid4())
    folder.mkdir(parents=True)
    return folder


def _bundle_name() -> str:
    return f"{uuid.uuid4()}{bfmt.SUFFIX}"


def _sync_refuses(site: Any, store: Path, passphrase: str, name: str) -> str:
    with deadline(30):
        summary = site.sync.sync_now(store, passphrase).imported
    assert summary.bundles == 1 and summary.people == 1, "the good bundle still imports"
    (refusal,) = [r for r in summary.refused if r.name.endswith(name)]
    return refusal.reason


@needs_posix
def test_a_link_to_an_endless_device_in_the_store_is_reported(make_site, tmp_path, passphrase):
    me, store = _store_with_colleague(make_site, tmp_path, passphrase)
    name = _bundle_name()
    (_hostile_folder(store) / name).symlink_to("/dev/zero")
    reason = _sync_refuses(me, store, passphrase, name)
    assert "folder, link, device or pipe" in reason


@needs_posix
def test_a_pipe_in_the_store_does_not_hang_sync(make_site, tmp_path, passphrase):
    me, store = _store_with_colleague(make_site, tmp_path, passphrase)
    name = _bundle_name()
    os.mkfifo(_hostile_folder(store) / name)
    reason = _sync_refuses(me, store, passphrase, name)
    assert "folder, link, device or pipe" in reason


def test_a_folder_named_like_a_bundle_is_reported(make_site, tmp_path, passphrase):
    me, store = _store_with_colleague(make_site, tmp_path, passphrase)
    name = _bundle_name()
    (_hostile_folder(store) / name).mkdir()
    reason = _sync_refuses(me, store, passphrase, name)
    assert "folder, link, device or pipe" in reason


@needs_posix
def test_a_device_named_like_a_bundle_is_reported(make_site, tmp_path, passphrase):
    me, store = _store_with_colleague(make_site, tmp_path, passphrase)
    name = _bundle_name()
    try:
        os.mknod(_hostile_folder(store) / name, 0o600 | stat.S_IFCHR, os.makedev(1, 5))
    except (PermissionError, OSError):
        pytest.skip("cannot make a device node here")
    reason = _sync_refuses(me, store, passphrase, name)
    assert "folder, link, device or pipe" in reason


def test_an_unreadable_file_is_reported(make_site, tmp_path, passphrase, monkeypatch):
    me, store = _store_with_colleague(make_site, tmp_path, passphrase)
    name = _bundle_name()
    (_hostile_folder(store) / name).write_bytes(b"secret")
    real_open = os.open

    def no_permission(path: Any, flags: int, *args: Any) -> int:
        if str(path).endswith(name):  # root may read anything: refuse as a locked file would
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)

    monkeypatch.setattr(sfiles.os, "open", no_permission)
    reason = _sync_refuses(me, store, passphrase, name)
    assert "cannot be read" in reason


@needs_posix
def test_a_linked_folder_in_the_store_is_reported_not_read(make_site, tmp_path, passphrase):
    colleague, other = make_site("colleague"), make_site("other")
    other.people.add(given_name="Lin", family_name="K", date_of_birth="1971-01-01")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other.sync.sync_now(elsewhere, passphrase)  # a real bundle, outside the store
    colleague.people.add(given_name="Zed", family_name="Q", date_of_birth="1970-01-01")
    store = tmp_path / "store"
    store.mkdir()
    colleague.sync.sync_now(store, passphrase)
    linked = store / "outbox" / other.site_id
    linked.symlink_to(elsewhere / "outbox" / other.site_id, target_is_directory=True)
    me = make_site("me")
    with deadline(30):
        summary = me.sync.sync_now(store, passphrase).imported
    assert summary.bundles == 1 and summary.people == 1
    (refusal,) = summary.refused
    assert refusal.name == f"outbox/{other.site_id}" and "is a link" in refusal.reason


@pytest.mark.parametrize("kind", ["zero", "pipe", "folder"])
def test_import_of_something_that_is_not_a_file_is_one_line(make_site, tmp_path, passphrase, kind):
    if kind != "folder" and not POSIX:
        pytest.skip("POSIX only")
    me = make_site("me")
    path = tmp_path / "thing.rdsync"
    if kind == "zero":
        path = Path("/dev/zero")
    elif kind == "pipe":
        os.mkfifo(path)
    else:
        path.mkdir()
    with deadline(30), pytest.raises(BundleError) as err:
        me.sync.import_file(path, passphrase)
    assert "\n" not in str(err.value) and "folder, link, device or pipe" in str(err.value)


@needs_posix
def test_import_follows_a_link_the_user_gave_to_a_real_file(make_site, tmp_path, passphrase):
    colleague, me = make_site("colleague"), make_site("me")
    colleague.people.add(given_name="Zed", family_name="Q", date_of_birth="1970-01-01")
    real = tmp_path / "real.rdsync"
    colleague.sync.export_file(real, passphrase)
    link = tmp_path / "link.rdsync"
    link.symlink_to(real)
    assert me.sync.import_file(link, passphrase).people == 1
