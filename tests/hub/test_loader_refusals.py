"""Bad input at the hub: one clear line each, nothing half-loaded, nothing changed."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import psycopg
import pytest
from hub_helpers import as_user

from referral_desk.app import run
from referral_desk.hub import loader
from referral_desk.hub.errors import (
    HubError,
    HubUnavailable,
    KeyMismatch,
    NotSetUp,
    ReturnDamaged,
    ReturnRefused,
    UnknownReturnSchema,
)
from referral_desk.hub.returnfile import (
    SignedReturn,
    load_or_create_signing_key,
    seal_return,
    sign_return,
)
from referral_desk.sync.keys import KeyCache
from referral_desk.usecases.base import Clock

TODAY = date(2026, 3, 2)
PASS = "region passphrase for tests"


@pytest.fixture
def team(tmp_path: Path, make_team):
    app = make_team(
        tmp_path / "team", "Leeds North", people=20, seed=3, clock=Clock(fixed_today=TODAY)
    )
    yield app
    app.close()


def snapshot(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url) as conn:
        return {
            name: sorted(r[0] for r in conn.execute(f"SELECT t::text FROM {name} t"))
            for name in (
                "hub_team",
                "hub_return",
                "hub_need",
                "hub_need_status",
                "hub_referral",
                "hub_follow_up",
                "hub_service",
            )
        }


def load_bytes(app, url: str, data: bytes, tmp_path: Path):
    path = tmp_path / f"{uuid.uuid4().hex}.rdreturn"
    path.write_bytes(data)
    return app.hub.load_files(url, [path], PASS)


def sealed(app, signed: SignedReturn) -> bytes:
    return seal_return(signed, PASS, KeyCache())


def test_a_bad_signature_is_refused(team, ready_hub, tmp_path):
    good = team.hub.make_return()
    forged = SignedReturn(good.statement, bytes(64), good.payload)
    before = snapshot(ready_hub)
    with pytest.raises(ReturnRefused, match="signature is not valid"):
        load_bytes(team, ready_hub, sealed(team, forged), tmp_path)
    assert snapshot(ready_hub) == before


def test_changed_contents_under_a_good_signature_are_refused(team, ready_hub, tmp_path):
    good = team.hub.make_return()
    facts = good.facts()
    facts["needs"] = facts["needs"][1:]
    altered = SignedReturn(good.statement, good.signature, json.dumps(facts).encode())
    with pytest.raises(ReturnRefused, match="do not match its signature"):
        load_bytes(team, ready_hub, sealed(team, altered), tmp_path)
    assert snapshot(ready_hub)["hub_team"] == []


def test_a_changed_signing_key_for_a_registered_team_is_refused(team, ready_hub, tmp_path):
    team.hub.push(ready_hub)
    before = snapshot(ready_hub)
    team.hub.signing_key_path.unlink()  # a new PC (or an impostor) with the team's name
    with pytest.raises(KeyMismatch, match="different key"):
        team.hub.push(ready_hub)
    path = tmp_path / "impostor.rdreturn"
    team.hub.write_return(path, PASS)
    with pytest.raises(KeyMismatch):
        team.hub.load_files(ready_hub, [path], PASS)
    assert snapshot(ready_hub) == before


@pytest.mark.parametrize("damage", ["flip-body", "flip-header", "truncate", "empty", "other"])
def test_tampered_truncated_or_foreign_files_are_refused(team, ready_hub, tmp_path, damage):
    data = bytearray(sealed(team, team.hub.make_return()))
    if damage == "flip-body":
        data[-40] ^= 1
    elif damage == "flip-header":
        data[30] ^= 1
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "empty":
        data = bytearray()
    else:
        data = bytearray(b"PK\x03\x04 not a return at all")
    with pytest.raises(ReturnDamaged):
        load_bytes(team, ready_hub, bytes(data), tmp_path)
    assert snapshot(ready_hub)["hub_return"] == []


def test_a_wrong_region_passphrase_is_refused(team, ready_hub, tmp_path):
    path = tmp_path / "r.rdreturn"
    team.hub.write_return(path, "another region's passphrase")
    with pytest.raises(ReturnDamaged, match="Wrong region passphrase"):
        team.hub.load_files(ready_hub, [path], PASS)


def test_a_folder_or_missing_file_is_refused(team, ready_hub, tmp_path):
    with pytest.raises(ReturnDamaged, match="regular file"):
        team.hub.load_files(ready_hub, [tmp_path], PASS)
    with pytest.raises(ReturnDamaged, match="regular file"):
        team.hub.load_files(ready_hub, [tmp_path / "missing.rdreturn"], PASS)


def test_a_return_for_an_unknown_schema_is_refused(team, ready_hub, tmp_path):
    key = load_or_create_signing_key(team.hub.signing_key_path)
    future = sign_return(
        team.hub.make_return().facts(),
        team="Leeds North",
        created="2026-03-02T10:00:00",
        key=key,
        schema=99,
    )
    with pytest.raises(UnknownReturnSchema, match="schema 99"):
        load_bytes(team, ready_hub, sealed(team, future), tmp_path)
    assert snapshot(ready_hub)["hub_team"] == []


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f["needs"][0].__setitem__(6, "Flat 3, 12 Acacia Avenue\nLeeds"),
        lambda f: f["needs"][0].__setitem__(0, "Jane Doe"),
        lambda f: f["need_status"].append(["0" * 32, "open", "2026-01-01T00:00:00"]),
        lambda f: f["referrals"][0].__setitem__(6, "a note about the person"),
        lambda f: f.__setitem__("needs", "everything"),
    ],
    ids=["control-chars", "not-a-pseudonym", "unknown-record", "free-text-code", "shape"],
)
def test_a_signed_return_of_the_wrong_shape_is_refused(team, ready_hub, tmp_path, change):
    key = load_or_create_signing_key(team.hub.signing_key_path)
    facts = team.hub.make_return().facts()
    change(facts)
    signed = sign_return(facts, team="Leeds North", created="2026-03-02T10:00:00", key=key)
    with pytest.raises(ReturnRefused):
        load_bytes(team, ready_hub, sealed(team, signed), tmp_path)
    assert snapshot(ready_hub)["hub_team"] == []


def test_a_failure_while_loading_leaves_the_earlier_return_whole(
    team, ready_hub, tmp_path, monkeypatch
):
    team.hub.push(ready_hub)
    before = snapshot(ready_hub)
    real_copy = loader._copy

    def failing_copy(conn, table, rows):
        if table.name == "hub_referral":
            raise RuntimeError("disk full (simulated)")
        real_copy(conn, table, rows)

    monkeypatch.setattr(loader, "_copy", failing_copy)
    with pytest.raises(RuntimeError):
        team.hub.push(ready_hub)
    assert snapshot(ready_hub) == before


def test_a_hub_that_is_down_or_refuses_the_login(team, ready_hub, server_url):
    with pytest.raises(HubUnavailable, match="refused the login"):
        team.hub.push(as_user(ready_hub, "nobody_here"))
    down = "postgresql://hubtest@127.0.0.1:9/hub?connect_timeout=2"
    with pytest.raises(HubUnavailable, match="cannot be reached"):
        team.hub.push(down)
    socket = "postgresql://hubtest@/hub?host=/nonexistent-socket-dir&port=5999"
    with pytest.raises(HubUnavailable, match="cannot be reached"):
        team.hub.push(socket)


def test_a_database_without_the_hub_schema(team, hub_url):
    with pytest.raises(NotSetUp, match="hub init"):
        team.hub.push(hub_url)
    with pytest.raises(NotSetUp):
        team.hub.regional("unmet-needs", hub_url, "2026-01-01", "2026-03-01")


def test_the_command_line_says_one_line_and_exits_non_zero(
    team, ready_hub, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("REFERRAL_DESK_HUB_PASSPHRASE", PASS)
    data = str(team.data_path.parent)
    bad = tmp_path / "bad.rdreturn"
    bad.write_bytes(b"RDHUBRT\n\x00")
    for args in (
        ["hub", "load", str(bad), "--url", ready_hub],
        ["hub", "push", "--url", "mysql://x@y/z"],
        ["hub", "push", "--url", as_user(ready_hub, "nobody_here")],
        ["hub", "report", "unmet-needs", "--url", ready_hub, "--from", "2026-13-01"],
    ):
        assert run(["--data-dir", data, *args]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert "nobody_here" not in err and "@" not in err


def test_commissioners_read_report_views_only_and_loaders_load(team, ready_hub):
    team.hub.push(ready_hub)
    with psycopg.connect(ready_hub, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS test_commissioner")
        conn.execute("DROP ROLE IF EXISTS test_loader")
        conn.execute("CREATE ROLE test_commissioner LOGIN IN ROLE referral_hub_commissioner")
        conn.execute("CREATE ROLE test_loader LOGIN IN ROLE referral_hub_loader")
    try:
        commissioner = as_user(ready_hub, "test_commissioner")
        report = team.hub.regional("unmet-needs", commissioner, "2025-03-01", "2026-03-02")
        assert report.table("by_team").rows
        with psycopg.connect(commissioner) as conn:
            assert conn.execute("SELECT count(*) FROM report_need").fetchone()[0] > 0
        refused = (
            "SELECT count(*) FROM hub_need",
            "DELETE FROM hub_need",
            "INSERT INTO hub_team (name, signer, registered_at) VALUES ('x', 'y', now())",
        )
        for sql in refused:
            with (
                psycopg.connect(commissioner) as conn,
                pytest.raises(psycopg.errors.InsufficientPrivilege),
            ):
                conn.execute(sql)
        with pytest.raises(HubError, match="not allowed"):  # a message, not a traceback
            team.hub.push(commissioner)
        loaded = team.hub.push(as_user(ready_hub, "test_loader"))
        assert loaded.status == "loaded"
    finally:
        with psycopg.connect(ready_hub, autocommit=True) as conn:
            conn.execute("DROP OWNED BY test_commissioner, test_loader")
            conn.execute("DROP ROLE test_commissioner")
            conn.execute("DROP ROLE test_loader")
