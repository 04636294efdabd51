"""What every directory keeper's use case shares: the role check inside its own transaction.

The keeper role (or manager, which implies it) is checked in the service, never only by a
widget, so the client, the command line (`referral-desk directory …`), the hub's directory
pull and any script are refused alike: one line (`NotPermitted`), nothing written. The check
runs inside the write's transaction, so a role revoked by a sync that lands meanwhile counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.roles import KEEPER
from referral_desk.store.directory_admin_queries import officer_name
from referral_desk.usecases.base import FileWritingService, officer_of
from referral_desk.usecases.roles import require_in

if TYPE_CHECKING:
    from referral_desk.usecases.base import Session


class KeeperServiceBase(FileWritingService):
    """Base of the directory keeper's use cases (`usecases.directory_admin` combines them)."""

    @contextmanager
    def _keeper_write(self, reason: str) -> Iterator[Session]:
        """A write transaction that first checks this officer holds the keeper role."""
        with self._write(reason=reason) as session:
            require_in(session, KEEPER)
            yield session

    def _require_keeper(self) -> None:
        """The role check alone, for work spread over several transactions (a large import
        is checked before it is staged in the journal)."""
        with self._read() as session:
            require_in(session, KEEPER)

    @staticmethod
    def _officer_name(session: Session) -> str:
        """This officer's name, stamped as assurer or pre-checker; it must be set first."""
        name = officer_name(session, officer_of(session))
        if not name:
            raise ValidationError("Set your name in your officer profile first.")
        return name
