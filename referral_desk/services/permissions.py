"""The one place the accountability tools (access log, retention) ask "is this a manager?".

The answer comes from the team's signed role grants (`services.roles`), never from a role an
officer typed: editing one's own profile does not open the access log or retention.
"""

from __future__ import annotations

from referral_desk.domain.errors import NotPermitted
from referral_desk.services.roles import holds
from referral_desk.store.database import Database

MANAGER = "manager"


def require_manager(db: Database, what: str) -> None:
    """Raise NotPermitted (one line naming `what`) unless the current officer is a manager."""
    with db.read() as session:
        if not holds(session, MANAGER):
            raise NotPermitted(
                f"Only a manager may {what}: ask the team's manager to grant you the role "
                "(referral-desk role grant)."
            )
