"""What every use case shares: the database, a clock, and who is acting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from referral_desk.files import OutputGuard
from referral_desk.store.database import Database
from referral_desk.store.models import SiteState

# The unit of work every use case runs in. Use-case modules take the type from here, so that
# this is the one module of the layer that imports SQLAlchemy (an import-linter contract).
__all__ = ["Clock", "FileWritingService", "ServiceBase", "Session", "officer_of"]


@dataclass
class Clock:
    """Injectable time: tests and demo data pin `today`; the app uses the system clock."""

    fixed_today: date | None = None
    _now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC).replace(tzinfo=None))

    def today(self) -> date:
        return self.fixed_today or date.today()

    def now(self) -> datetime:
        if self.fixed_today is not None:
            real = self._now()
            return datetime.combine(self.fixed_today, real.time())
        return self._now()


class ServiceBase:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or Clock()

    @contextmanager
    def _write(self, reason: str = "") -> Iterator[Session]:
        """A transaction attributed to this site's officer (for audit and "made by")."""
        with self.db.write(reason=reason) as session:
            state = session.get(SiteState, 1)
            officer_id = state.officer_id if state else None
            session.info["write_context"].officer_id = officer_id
            session.info["officer_id"] = officer_id
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self.db.read() as session:
            yield session


class FileWritingService(ServiceBase):
    """A use case that writes files to paths the officer chose (exports, PDFs, calendars).

    It writes only through `output_guard`, which the composition root builds with the data
    folder; built without one (a test, a script), it guards the database's own folder, so no
    way of constructing it can write over the database.
    """

    def __init__(
        self, db: Database, clock: Clock | None = None, *, output_guard: OutputGuard | None = None
    ) -> None:
        super().__init__(db, clock)
        self.output_guard = output_guard or OutputGuard(db.path.parent)


def officer_of(session: Session) -> str | None:
    officer = session.info.get("officer_id")
    if officer is None:
        state = session.get(SiteState, 1)
        officer = state.officer_id if state else None
    return officer
