"""The shared store's settings file is never replaced silently: damaged, or missing beside sync
files, sync refuses (writing nothing); `sync repair-store` rebuilds it from what a site that
synced with the store remembers, once the team passphrase is proved."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import deadline

from referral_desk.sync.state import (
    STORE_FILE,
    StoreError,
    StoreSettingsDamaged,
    StoreSettingsMissing,
)
from referral_desk.usecases.passphrase_store import is_passphrase_refusal


def _person(site: Any, given: str = "Zed") -> str:
    return site.people.add(given_name=given, family_name="Q", date_of_birth="1970-01-01").id


def _shared(make_site: Any, tmp_path: Path, passphrase: str) -> tuple[Any, Any, Path]:
    """Two sites that have both synced through one store."""
    a, b = make_site("a"), make_site("b")
    _person(a)
    _person(b, "Bee")
    store = tmp_path / "store"
    store.mkdir()
    for site in (a, b, a):
        site.sync.sync_now(store, passphrase)
    return a, b, store


def _refused_without_writing(site: Any, store: Path, passphrase: str, h: Any, error: type) -> None:
    _person(site, "Later")
    before = h.full_state(site.db)
    listing = sorted(p.relative_to(store) for p in store.rglob("*"))
    settings = _settings(store)
    with pytest.raises(error) as err:
        site.sync.sync_now(store, passphrase)
    message = str(err.value)
    assert "\n" not in message and "repair-store" in message
    assert not is_passphrase_refusal(err.value), "typing the passphrase again would not help"
    assert h.full_state(site.db) == before
    assert sorted(p.relative_to(store) for p in store.rglob("*")) == listing
    assert _settings(store) == settings


def _settings(store: Path) -> bytes | None:
    path = store / STORE_FILE
    return path.read_bytes() if path.is_file() else None


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong-fields", "folder"])
def test_a_damaged_settings_file_is_refused_not_replaced(
    make_site, tmp_path, h, passphrase, damage
):
    _a, b, store = _shared(make_site, tmp_path, passphrase)
    path = store / STORE_FILE
    if damage == "garbage":
        path.write_bytes(b"\x00\x01 not json")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:30])
    elif damage == "wrong-fields":
        data = json.loads(path.read_bytes())
        data["salt"] = "too short"
        path.write_text(json.dumps(data))
    else:
        path.unlink()
        path.mkdir()
    _refused_without_writing(b, store, passphrase, h, StoreSettingsDamaged)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="pipes as on POSIX")
def test_a_settings_file_that_is_a_pipe_is_damaged_and_does_not_hang(
    make_site, tmp_path, h, passphrase
):
    _a, b, store = _shared(make_site, tmp_path, passphrase)
    (store / STORE_FILE).unlink()
    os.mkfifo(store / STORE_FILE)
    with deadline(30), pytest.raises(StoreSettingsDamaged):
        b.sync.sync_now(store, passphrase)


def test_a_missing_settings_file_beside_sync_files_is_refused(make_site, tmp_path, h, passphrase):
    _a, b, store = _shared(make_site, tmp_path, passphrase)
    (store / STORE_FILE).unlink()
    _refused_without_writing(b, store, passphrase, h, StoreSettingsMissing)
    with pytest.raises(StoreSettingsMissing):  # also for a site new to the store
        make_site("new").sync.sync_now(store, passphrase)


def test_an_empty_store_still_gets_a_settings_file(make_site, tmp_path, passphrase):
    a = make_site("a")
    store = tmp_path / "store"
    store.mkdir()
    assert a.sync.sync_now(store, passphrase).exported.entries > 0
    assert json.loads((store / STORE_FILE).read_bytes())["store_id"]


@pytest.mark.parametrize("damage", ["missing", "garbage"])
def test_repair_rebuilds_the_same_store_and_nobody_exports_again(
    make_site, tmp_path, h, passphrase, damage
):
    a, b, store = _shared(make_site, tmp_path, passphrase)
    original = json.loads((store / STORE_FILE).read_bytes())
    if damage == "missing":
        (store / STORE_FILE).unlink()
    else:
        (store / STORE_FILE).write_bytes(b"{")
    repair = a.sync.repair_store(store, passphrase)
    assert repair.repaired and repair.store_id == original["store_id"]
    assert repair.files_checked >= 2
    rebuilt = json.loads((store / STORE_FILE).read_bytes())
    assert {k: rebuilt[k] for k in ("store_id", "salt", "kdf")} == {
        k: original[k] for k in ("store_id", "salt", "kdf")
    }
    for site in (a, b):
        summary = site.sync.sync_now(store, passphrase)
        assert summary.exported.entries == 0, "the store is known: no history is exported again"
    _person(b, "After")
    b.sync.sync_now(store, passphrase)
    assert a.sync.sync_now(store, passphrase).imported.people == 1
    assert h.digest(a.db) == h.digest(b.db)
    again = a.sync.repair_store(store, passphrase)
    assert not again.repaired


def test_repair_needs_the_team_passphrase(make_site, tmp_path, passphrase):
    a, _b, store = _shared(make_site, tmp_path, passphrase)
    (store / STORE_FILE).unlink()
    with pytest.raises(StoreError, match="Wrong passphrase"):
        a.sync.repair_store(store, "not the team passphrase")
    assert not (store / STORE_FILE).exists()


def test_repair_needs_a_site_that_knows_the_store(make_site, tmp_path, passphrase):
    _a, _b, store = _shared(make_site, tmp_path, passphrase)
    (store / STORE_FILE).unlink()
    with pytest.raises(StoreError, match="no record of that shared store"):
        make_site("stranger").sync.repair_store(store, passphrase)
    assert not (store / STORE_FILE).exists()


def test_repair_refuses_a_folder_holding_another_stores_files(make_site, tmp_path, passphrase):
    a, _b, _store = _shared(make_site, tmp_path, passphrase)
    c, d = make_site("c"), make_site("d")
    _person(c, "Cee")
    other = tmp_path / "other"
    other.mkdir()
    c.sync.sync_now(other, passphrase)
    d.sync.sync_now(other, passphrase)  # d knows `other`, not `store`
    (other / STORE_FILE).unlink()
    with pytest.raises(StoreError, match="were not written for any shared store"):
        a.sync.repair_store(other, passphrase)
    assert not (other / STORE_FILE).exists()
    assert d.sync.repair_store(other, passphrase).repaired
