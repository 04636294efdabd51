"""The regional directory: a keeper publishes it (signed HSDS 3.0), teams pull it with a preview."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from role_helpers import join_another_team
from sqlalchemy import func, select
from unlocking import open_test_services as open_services

from referral_desk.app import run
from referral_desk.hub.errors import KeyMismatch, ReturnDamaged, ReturnRefused
from referral_desk.store.models import Service
from referral_desk.usecases.base import Clock

TODAY = date(2026, 3, 2)


@pytest.fixture
def keeper(tmp_path: Path, make_team):
    app = make_team(
        tmp_path / "keeper", "Region directory", people=5, seed=4, clock=Clock(fixed_today=TODAY)
    )
    # The team's first manager (a fresh database): a manager may do all a keeper may.
    yield app
    app.close()


@pytest.fixture
def newcomer(tmp_path: Path):
    folder = tmp_path / "newcomer"
    folder.mkdir(mode=0o700)
    app = open_services(folder, Clock(fixed_today=TODAY))
    app.profile.set(name="New Officer", team="Wakefield")
    yield app
    app.close()


def services(app) -> int:
    with app.db.read() as s:
        return s.scalar(
            select(func.count()).select_from(Service).where(Service.deleted_at.is_(None))
        )


def test_publish_then_pull_with_a_preview_first(keeper, newcomer, ready_hub):
    published = keeper.hub.publish_directory(ready_hub)
    assert published["published_id"] >= 1
    signed, preview = newcomer.hub.pull_directory(ready_hub, dry_run=True)
    assert signed.publisher == "Region directory"
    assert preview.dry_run and preview.total("new") > 0
    assert services(newcomer) == 0
    _, applied = newcomer.hub.pull_directory(ready_hub)
    assert not applied.dry_run
    assert services(newcomer) == services(keeper) > 0


def test_a_carried_directory_file_imports_the_same(keeper, newcomer, tmp_path):
    out = tmp_path / "region.rddir"
    keeper.hub.publish_directory(out=out)
    newcomer.hub.pull_directory(file=out)
    assert services(newcomer) == services(keeper)


def test_only_a_directory_keeper_publishes(newcomer, ready_hub):
    join_another_team(newcomer.db)
    with pytest.raises(Exception, match="directory keeper"):
        newcomer.hub.publish_directory(ready_hub)


@pytest.mark.parametrize("damage", ["content", "signature", "truncate", "foreign"])
def test_a_tampered_directory_file_is_refused(keeper, newcomer, tmp_path, damage):
    out = tmp_path / "region.rddir"
    keeper.hub.publish_directory(out=out)
    data = bytearray(out.read_bytes())
    if damage == "content":
        data[-100] ^= 1
    elif damage == "signature":
        cut = data.index(b"}") + 1
        data[cut + 3] ^= 1
    elif damage == "truncate":
        data = data[:40]
    else:
        data = bytearray(b"PK\x03\x04")
    out.write_bytes(bytes(data))
    with pytest.raises((ReturnRefused, ReturnDamaged)):
        newcomer.hub.pull_directory(file=out)
    assert services(newcomer) == 0


def test_a_directory_from_another_publisher_key_is_refused_after_the_first(
    keeper, newcomer, ready_hub
):
    keeper.hub.publish_directory(ready_hub)
    newcomer.hub.pull_directory(ready_hub)
    keeper.hub.signing_key_path.unlink()
    keeper.hub.publish_directory(ready_hub)
    with pytest.raises(KeyMismatch):
        newcomer.hub.pull_directory(ready_hub, dry_run=True)


def test_cli_publish_and_pull(keeper, newcomer, ready_hub, capsys):
    keeper_dir = str(keeper.data_path.parent)
    team_dir = str(newcomer.data_path.parent)
    assert run(["--data-dir", keeper_dir, "hub", "publish", "--url", ready_hub]) == 0
    assert run(["--data-dir", team_dir, "hub", "pull", "--url", ready_hub, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Regional directory from Region directory" in out and "dry run" in out
    assert run(["--data-dir", team_dir, "hub", "pull", "--file", "/nonexistent"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
