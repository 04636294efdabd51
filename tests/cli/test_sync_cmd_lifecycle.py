"""`referral-desk sync snapshot | prune | rotate-passphrase`, and what `sync` says about them."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, NoReturn

import pytest

from referral_desk.cli import sync_cmd
from referral_desk.domain.errors import DomainError, NotPermitted
from referral_desk.sync.exchange import ExportSummary, SyncSummary
from referral_desk.sync.lifecycle import AWAY
from referral_desk.sync.rotation import PassphraseChanged
from referral_desk.usecases.base import Clock

NEW = "the team's new passphrase"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise SystemExit(f"usage error: {message}")


def run(site: Any, *argv: str) -> tuple[Any, str]:
    js = argparse.ArgumentParser(add_help=False)
    js.add_argument("--json", action="store_true")
    p = _Parser(prog="referral-desk")
    sync_cmd.add_sync_parser(p.add_subparsers(dest="command", parser_class=_Parser), js)
    args = p.parse_args(["sync", *argv])
    data, text = sync_cmd.run_sync(SimpleNamespace(db=site.db, clock=Clock(), sync=site.sync), args)
    json.dumps(data)
    return data, text(data)


@pytest.fixture
def env_pass(monkeypatch, passphrase):
    monkeypatch.setenv(sync_cmd.ENV_PASSPHRASE, passphrase)


def _synced_pair(make_site, tmp_path):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    for site, name in ((a, "Ann"), (b, "Bo")):
        site.people.add(given_name=name, family_name="Q", date_of_birth="1970-01-01")
    for site in (a, b, a):
        run(site, "--store", str(store))
    return a, b, store


def test_snapshot_then_prune_dry_run_lists_and_prune_removes(make_site, tmp_path, env_pass):
    a, _b, store = _synced_pair(make_site, tmp_path)
    data, text = run(a, "snapshot", "--store", str(store))
    assert data["entries"] > 0 and text.startswith("Wrote the team snapshot")
    assert "Ann" not in text
    later = datetime.now() + timedelta(days=91)
    a.sync.engine._now = lambda: later
    data, text = run(a, "prune", "--store", str(store), "--dry-run")
    assert data["dry_run"] and data["removed"] and text.startswith("Would remove")
    assert all((store / name).exists() for name in data["removed"])
    data, text = run(a, "prune", "--store", str(store))
    assert text.startswith("Removed") and not any((store / n).exists() for n in data["removed"])
    data, text = run(a, "prune", "--store", str(store))
    assert not data["removed"] and text.startswith("Nothing to prune")


def test_rotate_passphrase_by_the_manager_then_a_colleague_is_told(
    make_site, tmp_path, env_pass, monkeypatch
):
    a, b, store = _synced_pair(make_site, tmp_path)
    secret = tmp_path / "new.txt"
    secret.write_text(NEW + "\n", encoding="utf-8")
    with pytest.raises(NotPermitted):
        run(b, "rotate-passphrase", "--store", str(store), "--new-passphrase-file", str(secret))
    data, text = run(
        a, "rotate-passphrase", "--store", str(store), "--new-passphrase-file", str(secret)
    )
    assert data["removed"] > 0 and text.startswith("The team passphrase is changed")
    with pytest.raises(PassphraseChanged) as told:
        run(b, "--store", str(store))
    assert "\n" not in str(told.value) and "Sync settings" in str(told.value)
    monkeypatch.setenv(sync_cmd.ENV_PASSPHRASE, NEW)
    data, text = run(b, "--store", str(store))
    assert text.startswith("The team passphrase was changed")


def test_rotate_passphrase_needs_the_new_one(make_site, tmp_path, env_pass, monkeypatch):
    monkeypatch.delenv(sync_cmd.ENV_NEW_PASSPHRASE, raising=False)
    a = make_site("a")
    with pytest.raises(DomainError) as err:
        run(a, "rotate-passphrase", "--store", str(tmp_path))
    assert "new passphrase" in str(err.value) and sync_cmd.ENV_NEW_PASSPHRASE in str(err.value)


def test_sync_text_says_first_when_the_snapshot_was_imported() -> None:
    summary = SyncSummary("site", ExportSummary(entries=0), caught_up=AWAY)
    assert sync_cmd._sync_text(summary.to_dict()).splitlines()[0] == AWAY


def test_sync_with_a_folder_in_place_of_its_receipt_succeeds_and_says_why(
    make_site, tmp_path, env_pass
):
    _a, b, store = _synced_pair(make_site, tmp_path)
    receipt = store / "outbox" / b.site_id / "receipt.rdreceipt"
    receipt.unlink()
    receipt.mkdir()
    b.people.add(given_name="Later", family_name="Q", date_of_birth="1970-01-01")
    data, text = run(b, "--store", str(store))
    assert data["exported"]["entries"] > 0 and data["receipt"]
    assert data["receipt"] + "\n" in text and "Later" not in text
    assert receipt.is_dir()
