"""The one place the accountability tools (access log, retention) ask "is this a manager?".

The answer comes from the team's signed role grants (`usecases.roles`), never from a role an
officer typed: editing one's own profile does not open the access log or retention. The check
runs in the caller's own transaction (`require_manager_in`), so a grant revoked by a sync that
lands between a separate check and the change can never let the change through.
"""

from __future__ import annotations

from referral_desk.domain.errors import NotPermitted
from referral_desk.usecases.base import Session
from referral_desk.usecases.roles import holds

MANAGER = "manager"


def require_manager_in(session: Session, what: str) -> None:
    """Raise NotPermitted (one line naming `what`) unless the current officer is a manager."""
    if not holds(session, MANAGER):
        raise NotPermitted(
            f"Only a manager may {what}: ask the team's manager to grant you the role "
            "(referral-desk role grant)."
        )
