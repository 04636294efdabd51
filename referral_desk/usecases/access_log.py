"""Who opened which person's record: noting opens, and the manager's view of them.

Opening a person (client or `show person`), printing their slip or form and exporting their
record each note an access (`store.access_models.RecordAccess`). An officer's repeated opens of
the same person within `DEDUP_WINDOW` count once: the person view reloads after every edit and
every sync, and one row per repaint would swamp the log and the sync files for no information.

Noting an access is a small write of its own after the read. If the database is busy (another
window saving, a long sync import) the read is not held up: the access is kept here and written
with the next one, with its own time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from referral_desk.domain.errors import DatabaseBusy
from referral_desk.store.access_models import ACCESS_KINDS, RecordAccess
from referral_desk.store.access_queries import accessed_since, accesses_to
from referral_desk.store.database import Database
from referral_desk.store.models import Person, SiteState
from referral_desk.store.person_record_queries import officer_names
from referral_desk.store.soft_delete import live
from referral_desk.usecases.base import Clock, ServiceBase, Session, officer_of
from referral_desk.usecases.common import get_live
from referral_desk.usecases.dto import Record
from referral_desk.usecases.permissions import require_manager_in

DEDUP_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class AccessView(Record):
    at: datetime
    officer_id: str | None
    officer_name: str
    kind: str
    site_id: str


def recent_access(
    session: Session, person_id: str, officer_id: str | None, kind: str, now: datetime
) -> bool:
    """Has this officer noted the same kind of access to this person within the window?"""
    return accessed_since(session, person_id, officer_id, kind, now - DEDUP_WINDOW)


def note_access(session: Session, person_id: str, kind: str, now: datetime) -> bool:
    """In the caller's write transaction: note one access unless it repeats a recent one.
    Returns whether a row was written."""
    if kind not in ACCESS_KINDS:
        raise ValueError(f"unknown access kind {kind!r}")
    officer_id = officer_of(session)
    if recent_access(session, person_id, officer_id, kind, now):
        return False
    session.add(RecordAccess(person_id=person_id, officer_id=officer_id, at=now, kind=kind))
    return True


class AccessLog:
    """Notes accesses for the services that read a person's record (one per service bundle)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._waiting: list[tuple[str, str, datetime]] = []

    def note(self, person_id: str, kind: str) -> None:
        """Note that this PC's officer accessed this person's record (`kind`)."""
        self.note_many([person_id], kind)

    def note_many(self, person_ids: list[str], kind: str) -> None:
        """The same for several people in one transaction (a batch of slips)."""
        now = self.clock.now()
        with self.db.read() as session:
            state = session.get(SiteState, 1)
            officer_id = state.officer_id if state else None
            for person_id in person_ids:
                if not recent_access(session, person_id, officer_id, kind, now):
                    self._waiting.append((person_id, kind, now))
        if not self._waiting:
            return
        try:
            with self.db.write(reason="record opened") as session:
                session.info["officer_id"] = officer_id
                session.info["write_context"].officer_id = officer_id
                for pid, what, when in self._waiting:
                    if live(session, Person, pid) is not None:
                        note_access(session, pid, what, when)
        except DatabaseBusy:
            del self._waiting[:-1000]  # bounded: the newest wait for the next chance
            return
        self._waiting.clear()


class AccessLogService(ServiceBase):
    def for_person(self, person_id: str) -> list[AccessView]:
        """Every noted access to this person's record, newest first (a manager only)."""
        with self._read() as session:
            require_manager_in(session, "see who has opened a record")
            person = get_live(session, Person, person_id, "person")
            return accesses_of(session, person.id)


def accesses_of(session: Session, person_id: str) -> list[AccessView]:
    """The same list without the role check: the subject access export includes it."""
    names = officer_names(session)
    rows = accesses_to(session, person_id)
    return [
        AccessView(
            at=r.at,
            officer_id=r.officer_id,
            officer_name=names.get(r.officer_id or "", "") or "(unknown officer)",
            kind=r.kind,
            site_id=r.site_id,
        )
        for r in rows
    ]
