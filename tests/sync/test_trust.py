"""Roles that mean something (issue 12): grants and directory changes are signed, and every
site verifies them on import, quarantining with a visible reason what is not signed by a
holder of the right role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from changelog_edit import set_logged_value
from unlocking import connect

from referral_desk.domain.errors import NotPermitted
from referral_desk.domain.roles import NOT_BY_MANAGER
from referral_desk.store.trust import GRANT_TABLE, issue_grant, role_book
from referral_desk.sync.trust import FORGED_GRANT, UNSIGNED, not_signed_by
from referral_desk.usecases.directory_admin import DirectoryAdminService
from referral_desk.usecases.roles import RoleService

SERVICE = "5a0c3a3e-0000-4000-8000-000000000001"


def _service_name(site) -> str:
    conn = connect(site.db.path)
    try:
        return conn.execute("SELECT name FROM service WHERE id = ?", (SERVICE,)).fetchone()[0]
    finally:
        conn.close()


def _reasons(site) -> set[str]:
    return {q.reason for q in site.sync.list_quarantine()}


def _team(make_site, store: Path, pw: str, *names: str):
    """A manager who creates the team's store, and officers who join it."""
    sites = []
    for i, name in enumerate(("manager", *names)):
        site = make_site(name)
        site.profile.set(name=f"Officer {name}")
        site.sync.sync_now(store, pw)
        sites.append(site)
        assert RoleService(site.db).current_role() == ("manager" if i == 0 else "officer")
    sites[0].sync.sync_now(store, pw)  # the manager sees everyone's published key
    return sites


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    folder.mkdir()
    return folder


def test_an_officer_who_makes_themselves_keeper_cannot_change_the_directory_elsewhere(
    make_site, store, passphrase
):
    manager, officer = _team(make_site, store, passphrase, "officer")
    with pytest.raises(NotPermitted, match="directory keeper"):
        DirectoryAdminService(officer.db).update_service(SERVICE, name="Hijacked")
    # The officer edits their own database: they trust their own key as the team's manager.
    conn = connect(officer.db.path)
    own = conn.execute("SELECT public_key FROM signing_key").fetchone()[0]
    conn.execute(
        "UPDATE local_setting SET value = ? WHERE key = 'team_manager_key'",
        (json.dumps({"key": own, "source": "store"}),),
    )
    conn.commit()
    conn.close()
    assert RoleService(officer.db).current_role() == "manager"  # locally, they now may
    DirectoryAdminService(officer.db).update_service(SERVICE, name="Hijacked")
    with pytest.raises(Exception, match="another manager"):  # the store says otherwise
        officer.sync.sync_now(store, passphrase)
    officer.sync.export_file(store.parent / "officer.rdsync", passphrase)
    summary = manager.sync.import_file(store.parent / "officer.rdsync", passphrase)
    assert summary.quarantined >= 1
    assert _service_name(manager) == "Service 0"
    assert not_signed_by("directory_keeper") in _reasons(manager)
    # The reason is shown: in the import's summary and the sync status (client and CLI).
    assert not_signed_by("directory_keeper") in dict(summary.quarantine_reasons)
    assert not_signed_by("directory_keeper") in dict(manager.sync.status().quarantine_reasons)


def test_a_keepers_change_applies_and_keeps_its_signature_when_relayed(
    make_site, store, passphrase, tmp_path
):
    manager, keeper, other = _team(make_site, store, passphrase, "keeper", "other")
    keeper_id = keeper.profile.get().id
    RoleService(manager.db).grant(keeper_id, "directory-keeper")
    manager.sync.sync_now(store, passphrase)
    keeper.sync.sync_now(store, passphrase)
    assert RoleService(keeper.db).current_role() == "directory_keeper"
    DirectoryAdminService(keeper.db).update_service(SERVICE, name="Renamed by keeper")
    keeper.sync.sync_now(store, passphrase)
    manager.sync.sync_now(store, passphrase)
    assert _service_name(manager) == "Renamed by keeper"
    assert not _reasons(manager)
    # A prison PC that only ever sees the manager's carried file: relayed, still verified.
    carried = tmp_path / "carried.rdsync"
    manager.sync.export_file(carried, passphrase)
    prison = make_site("prison")
    prison.sync.import_file(carried, passphrase)
    assert _service_name(prison) == "Renamed by keeper"
    assert not _reasons(prison)
    assert RoleService(prison.db).has("directory_keeper") is False
    # And the third site of the team, by the store.
    other.sync.sync_now(store, passphrase)
    assert _service_name(other) == "Renamed by keeper"


def test_a_forged_grant_is_quarantined_and_grants_nothing(make_site, store, passphrase):
    manager, officer = _team(make_site, store, passphrase, "officer")
    officer_id = officer.profile.get().id
    # The officer signs a grant for themselves with their own key (bypassing the service).
    with officer.db.write(reason="forgery") as session:
        session.info["applying_sync"] = True
        key = session.execute(sqlite_text("SELECT public_key FROM signing_key")).scalar_one()
        issue_grant(session, grantee_id=officer_id, grantee_key=key, role="manager", granted=True)
    officer.sync.sync_now(store, passphrase)
    manager.sync.sync_now(store, passphrase)
    assert NOT_BY_MANAGER in _reasons(manager)
    held = {r.officer_id: r.roles for r in RoleService(manager.db).team()}
    assert held[officer_id] == ()


def test_an_altered_grant_does_not_verify(make_site, store, passphrase):
    manager, keeper = _team(make_site, store, passphrase, "keeper")
    keeper_id = keeper.profile.get().id
    RoleService(manager.db).grant(keeper_id, "directory_keeper")
    # The grant is altered on its way (manager instead of keeper), signature kept.
    conn = connect(manager.db.path)
    site, seq, value = conn.execute(
        "SELECT site_id, seq, value FROM change_entry WHERE table_name = ?", (GRANT_TABLE,)
    ).fetchone()
    grant = json.loads(value)
    grant["role"] = "manager"
    set_logged_value(conn, site, seq, json.dumps(grant))
    conn.commit()
    conn.close()
    manager.sync.sync_now(store, passphrase)
    keeper.sync.sync_now(store, passphrase)
    assert FORGED_GRANT in _reasons(keeper)
    assert RoleService(keeper.db).current_role() == "officer"


def test_a_grant_replayed_after_its_revoke_changes_nothing(make_site, store, passphrase, tmp_path):
    manager, keeper = _team(make_site, store, passphrase, "keeper")
    keeper_id = keeper.profile.get().id
    roles = RoleService(manager.db)
    roles.grant(keeper_id, "directory_keeper")
    old = tmp_path / "old.rdsync"
    manager.sync.export_file(old, passphrase)  # holds the grant
    roles.revoke(keeper_id, "directory_keeper")
    manager.sync.sync_now(store, passphrase)
    keeper.sync.sync_now(store, passphrase)
    assert RoleService(keeper.db).current_role() == "officer"
    keeper.sync.import_file(old, passphrase)  # the old grant comes round again
    assert RoleService(keeper.db).current_role() == "officer"
    # A change the revoked keeper signs (by editing their own database) is refused.
    with keeper.db.write(reason="cheat") as session:
        session.execute(
            sqlite_text("UPDATE service SET name = 'After revoke' WHERE id = :i"), {"i": SERVICE}
        )
    _log_service_name(keeper, "After revoke")
    keeper.sync.sync_now(store, passphrase)
    manager.sync.sync_now(store, passphrase)
    assert _service_name(manager) == "Service 0"
    assert not_signed_by("directory_keeper") in _reasons(manager)


def test_unsigned_directory_changes_from_an_older_bundle_are_quarantined(
    make_site, store, passphrase, h, tmp_path
):
    from referral_desk.sync.bundle import seal

    (manager,) = _team(make_site, store, passphrase)
    entry = [
        "7b0c3a3e-0000-4000-8000-000000000009",
        1,
        "service",
        SERVICE,
        "name",
        json.dumps("From an old version"),
        1 << 40,
        0,
    ]
    data, _m = seal(
        [entry],
        [],
        site_id=entry[0],
        vector={entry[0]: 1},
        passphrase=passphrase,
        keys=h.KEYS,
        salt=b"s" * 16,
        kdf=h.FAST_KDF,
        schema=3,
    )
    (tmp_path / "old-1.rdsync").write_bytes(data)
    manager.sync.engine.import_file(tmp_path / "old-1.rdsync", passphrase)
    assert _service_name(manager) == "Service 0"
    assert UNSIGNED in _reasons(manager)
    # At the next import it is looked at again and stays aside: not counted as released.
    other = [entry[0], 2, "service", SERVICE, "description", json.dumps("x"), 1 << 41, 0]
    data, _m = seal(
        [other],
        [],
        site_id=entry[0],
        vector={entry[0]: 2},
        passphrase=passphrase,
        keys=h.KEYS,
        salt=b"s" * 16,
        kdf=h.FAST_KDF,
        schema=3,
    )
    (tmp_path / "old-2.rdsync").write_bytes(data)
    again = manager.sync.engine.import_file(tmp_path / "old-2.rdsync", passphrase)
    assert (again.released, again.quarantined, again.still_quarantined) == (0, 1, 2)


def _log_service_name(site, name: str) -> None:
    """A local write through the unit of work (so it is logged and signed at export)."""
    from referral_desk.store.models import Service

    with site.db.write(reason="cheat") as session:
        svc = session.get(Service, SERVICE)
        svc.name = name + " "
        session.flush()
        svc.name = name


def sqlite_text(sql: str):
    from sqlalchemy import text

    return text(sql)


def test_a_keeper_whose_clock_is_behind_the_managers_can_still_edit(make_site, store, passphrase):
    """The grant moves the keeper's clock past it, so their next change is after the grant
    at every site, even when the manager's PC clock runs an hour ahead."""
    import time

    from referral_desk.domain.hlc import COUNTER_BITS

    manager, keeper = _team(make_site, store, passphrase, "keeper")
    ahead = (int(time.time() * 1000) + 3_600_000) << COUNTER_BITS
    conn = connect(manager.db.path)
    conn.execute("UPDATE site_state SET hlc = ?", (ahead,))
    conn.commit()
    conn.close()
    RoleService(manager.db).grant(keeper.profile.get().id, "directory_keeper")
    manager.sync.sync_now(store, passphrase)
    keeper.sync.sync_now(store, passphrase)
    DirectoryAdminService(keeper.db).update_service(SERVICE, name="Edited by a slow clock")
    keeper.sync.sync_now(store, passphrase)
    manager.sync.sync_now(store, passphrase)
    assert _service_name(manager) == "Edited by a slow clock"
    assert not _reasons(manager)


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1)])
def test_grants_and_revokes_carried_in_any_order_end_the_same(
    make_site, store, passphrase, tmp_path, order
):
    """Grant, revoke, grant again: files carried to a prison PC in any order (older ones
    re-sent after newer ones) leave the officer holding the role, as at the manager's PC."""
    manager, keeper = _team(make_site, store, passphrase, "keeper")
    keeper_id = keeper.profile.get().id
    roles = RoleService(manager.db)
    files = []
    for step, change in enumerate((roles.grant, roles.revoke, roles.grant)):
        change(keeper_id, "directory_keeper")
        files.append(tmp_path / f"step{step}.rdsync")
        manager.sync.export_file(files[-1], passphrase)
    prison = make_site("prison")
    for i in order:
        prison.sync.import_file(files[i], passphrase)
    mine = {r.officer_id: r.roles for r in roles.team()}
    assert mine[keeper_id] == ("directory_keeper",)
    with prison.db.read() as session:
        book = role_book(session)
    assert book.holds(_public_key(keeper), "directory_keeper")
    assert not _reasons(prison)


def _public_key(site) -> str:
    conn = connect(site.db.path)
    try:
        return conn.execute("SELECT public_key FROM signing_key").fetchone()[0]
    finally:
        conn.close()
