"""The access log travels (issue 12): a manager on one PC sees opens made on another."""

from __future__ import annotations

from pathlib import Path


def test_opens_travel_to_the_other_pcs_of_the_team(make_site, passphrase, tmp_path: Path) -> None:
    from referral_desk.usecases.access_log import AccessLogService

    a, b = make_site("a"), make_site("b")
    a.profile.set(name="Officer A")
    b.profile.set(name="Manager B")
    pid = a.people.add(given_name="Di", family_name="Synced", date_of_birth="1980-01-02").id
    a.people.detail(pid)
    store = tmp_path / "store"
    store.mkdir()
    b.sync.sync_now(store, passphrase)  # B creates the team's store: its first manager
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    views = AccessLogService(b.db).for_person(pid)
    assert [(v.officer_name, v.kind, v.site_id) for v in views] == [
        ("Officer A", "open", a.site_id)
    ]
