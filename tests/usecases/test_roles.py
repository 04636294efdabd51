"""Permissions are checked in the services: the client, the CLI and sync obey one rule."""

from __future__ import annotations

import pytest
from role_helpers import join_another_team

from referral_desk.domain.errors import NotPermitted, ValidationError


def _changes(app) -> int:
    with app.db.read() as session:
        from sqlalchemy import text

        return session.execute(text("SELECT COUNT(*) FROM change_entry")).scalar_one()


def test_an_officer_without_a_role_changes_no_directory_list_or_role(app) -> None:
    join_another_team(app.db)
    assert app.roles.current_role() == "officer"
    before = _changes(app)
    attempts = (
        lambda: app.directory_admin.create_organisation(name="Someone's Trust"),
        lambda: app.reference.add_item("prison", "HMP Nowhere"),
        lambda: app.roles.grant(app.profile.get().id, "manager"),
        lambda: app.roles.team(),
        lambda: app.roles.require("manager"),
    )
    for attempt in attempts:
        with pytest.raises(NotPermitted, match="ask the team's manager"):
            attempt()
    assert _changes(app) == before  # nothing written


def test_the_first_manager_grants_and_a_role_is_never_a_profile_setting(app) -> None:
    assert app.roles.current_role() == "manager"  # no team joined: its own first manager
    with pytest.raises(ValidationError, match="granted by the team's manager"):
        app.profile.set(role="directory_keeper")
    with pytest.raises(ValidationError, match="first manager"):
        app.roles.revoke(app.profile.get().id, "manager")
    view = app.roles.grant(app.profile.get().id, "commissioner")
    assert view.roles == ("commissioner", "manager") and view.root
    with pytest.raises(ValidationError, match="already holds"):
        app.roles.grant(app.profile.get().id, "commissioner")
    assert app.roles.has("commissioner") and app.roles.has("directory_keeper")
    app.directory_admin.create_organisation(name="Team Trust")  # a manager may do it


def test_the_team_lists_live_officers_only(app) -> None:
    from datetime import datetime

    from referral_desk.store.models import Officer

    me = app.profile.get()
    with app.db.write() as s:
        s.add(Officer(name="Left Long Ago", deleted_at=datetime(2026, 1, 1)))
    assert [o.id for o in app.profile.officers()] == [me.id]
    assert [o.officer_id for o in app.roles.team()] == [me.id]
