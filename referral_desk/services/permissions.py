"""The one place the accountability tools (access log, retention) ask "is this a manager?".

Until role grants are signed and verified (issue 12, the `roles` work), the role is the local
officer profile's (`profile set --role`). When `services.roles` exists, the body of
`require_manager` becomes `RolesService(...).require("manager")`: every caller goes through
here, so that is the only line to change.
"""

from __future__ import annotations

from referral_desk.domain.errors import NotPermitted
from referral_desk.store.database import Database
from referral_desk.store.models import Officer, SiteState

MANAGER = "manager"


def current_role(db: Database) -> str:
    """This installation's officer's role ("officer" when there is no profile yet)."""
    with db.read() as session:
        state = session.get(SiteState, 1)
        officer = session.get(Officer, state.officer_id) if state and state.officer_id else None
        return officer.role if officer is not None and officer.deleted_at is None else "officer"


def require_manager(db: Database, what: str) -> None:
    """Raise NotPermitted (one line naming `what`) unless the current officer is a manager."""
    if current_role(db) != MANAGER:
        raise NotPermitted(f"Only a manager may {what}.")
