"""Roles for tests: roles are granted (signed), never set in the profile (issue 12).

A fresh database that has joined no team is its own team's first manager (so it may edit its
directory, as the demo does). These helpers give a test the role it needs the proper way.
"""

from __future__ import annotations

from typing import Any

from referral_desk.store.trust import pin_team_key


def grant_own_role(app: Any, role: str) -> None:
    """This PC's officer (its team's first manager) grants itself `role` (e.g. commissioner)."""
    app.roles.grant(app.profile.get().id, role)


def join_another_team(db: Any) -> None:
    """This PC trusts another manager's key (it joined a team): its officer holds no role."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with db.write(reason="test: join a team") as session:
        pin_team_key(session, key.hex(), "store")


def leave_the_team(db: Any) -> None:
    """This PC forgets the team it joined: alone again, its officer is its own manager."""
    from referral_desk.store.models import LocalSetting
    from referral_desk.store.trust import TEAM_KEY_SETTING

    with db.write(reason="test: leave the team") as session:
        row = session.get(LocalSetting, TEAM_KEY_SETTING)
        if row is not None:
            session.delete(row)


def leave_the_team_at(folder: Any) -> None:
    """`leave_the_team` for a data folder no services hold open (command-line tests)."""
    from unlocking import open_test_database

    db = open_test_database(folder)
    try:
        leave_the_team(db)
    finally:
        db.close()
