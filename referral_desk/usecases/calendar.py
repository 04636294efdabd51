"""Follow-ups as an iCalendar file for the officer's own calendar (DESIGN.md §5).

Why each choice:

* **Stable UIDs** (`<follow-up id>@referral-desk`): importing the file again updates the same
  events instead of adding copies.
* **SEQUENCE and DTSTAMP from the follow-up's `updated_at`**: calendars accept an update only
  when its sequence grows, and the file must be byte-for-byte the same when nothing changed
  (a re-export then changes nothing). Seconds since 2024 grow with every edit and fit the
  32-bit integers calendar software uses until 2092.
* **Done and deleted follow-ups stay in the file as CANCELLED** for a while, so a re-import
  clears them from the calendar rather than leaving stale reminders behind.
* **No personal data**: calendars sync to phones and cloud services, so an event says only the
  kind of follow-up and the referral reference, never a name, a note or the service (a service
  such as "Drug recovery" would itself reveal something about the person).
* **All-day, transparent, private** events: a reminder for the day, never blocking time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from icalendar import Calendar, Event

from referral_desk.domain.states import FollowUpKind
from referral_desk.store.followup_queries import calendar_follow_ups
from referral_desk.usecases.base import FileWritingService
from referral_desk.usecases.dto import FollowUpView
from referral_desk.usecases.followups import follow_up_views

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices

UID_DOMAIN = "referral-desk"
PRODID = "-//Referral Desk//Follow-ups//EN"
SEQUENCE_EPOCH = datetime(2024, 1, 1)
FIXED_STAMP = datetime(2024, 1, 1, tzinfo=UTC)
KEEP_CLOSED_DAYS = 90
"""Done or deleted follow-ups due within this many days stay in the file, as cancelled."""


def follow_up_uid(follow_up_id: str) -> str:
    return f"{follow_up_id}@{UID_DOMAIN}"


def _kind_label(kind: str) -> str:
    try:
        return FollowUpKind(kind).label
    except ValueError:
        return "Follow-up"


def event_summary(follow_up: FollowUpView) -> str:
    """'Check acceptance – referral K7M-3QH': the kind and the reference, nothing personal."""
    kind = _kind_label(follow_up.kind)
    if follow_up.kind == FollowUpKind.CUSTOM:
        kind = "Follow-up"
    if follow_up.referral_reference:
        return f"{kind} – referral {follow_up.referral_reference}"
    return kind


def _sequence(updated_at: datetime | None) -> int:
    if updated_at is None:
        return 0
    naive = updated_at.astimezone(UTC).replace(tzinfo=None) if updated_at.tzinfo else updated_at
    return max(0, int((naive - SEQUENCE_EPOCH).total_seconds()))


def _stamp(updated_at: datetime | None) -> datetime:
    if updated_at is None:
        return FIXED_STAMP
    if updated_at.tzinfo is None:
        return updated_at.replace(tzinfo=UTC, microsecond=0)
    return updated_at.astimezone(UTC).replace(microsecond=0)


def follow_ups_ics(
    follow_ups: Sequence[FollowUpView],
    officer_name: str = "",
    *,
    updated: Mapping[str, datetime] | None = None,
    removed: Iterable[str] = (),
) -> bytes:
    """An iCalendar file: one all-day VEVENT per follow-up, done/removed ones CANCELLED.

    `updated` maps follow-up ids to their last change (for SEQUENCE and DTSTAMP); without it
    the stamp is fixed, so the output depends only on the follow-ups. Events are sorted, so the
    same data always gives the same bytes.
    """
    updated = updated or {}
    gone = set(removed)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = "Referral Desk follow-ups"
    if officer_name.strip():
        name += f" – {officer_name.strip()}"
    cal.add("x-wr-calname", name)
    for fu in sorted(follow_ups, key=lambda f: (f.due_on, f.id)):
        cancelled = fu.done_on is not None or fu.id in gone
        changed = updated.get(fu.id)
        event = Event()
        event.add("uid", follow_up_uid(fu.id))
        event.add("dtstamp", _stamp(changed))
        event.add("sequence", _sequence(changed))
        summary = event_summary(fu)
        event.add("summary", f"Done: {summary}" if cancelled else summary)
        event.add("dtstart", fu.due_on)
        event.add("dtend", fu.due_on + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        event.add("class", "PRIVATE")
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("categories", ["Referral Desk"])
        where = f"referral {fu.referral_reference}" if fu.referral_reference else "My day"
        event.add("description", f"Follow-up from Referral Desk. Open {where} there for details.")
        cal.add_component(event)
    return cal.to_ical()


class CalendarService(FileWritingService):
    """Builds and writes the officer's follow-up calendar from the database."""

    def ics(self, officer_id: str | None = None) -> tuple[bytes, int]:
        """The file's bytes and how many open follow-ups it holds."""
        since = self.clock.today() - timedelta(days=KEEP_CLOSED_DAYS)
        with self._read() as session:
            rows = calendar_follow_ups(session, since, officer_id)
            views = follow_up_views(session, rows)
            updated = {r.id: r.updated_at for r in rows if r.updated_at is not None}
            removed = {r.id for r in rows if r.deleted_at is not None}
        open_count = sum(1 for v in views if v.done_on is None and v.id not in removed)
        officer = self._officer_name(officer_id)
        return follow_ups_ics(views, officer, updated=updated, removed=removed), open_count

    def _officer_name(self, officer_id: str | None) -> str:
        from referral_desk.usecases.profile import ProfileService

        profile = ProfileService(self.db, self.clock).get()
        if profile is None or (officer_id and profile.id != officer_id):
            return ""
        return profile.name

    def export(self, path: str | Path, officer_id: str | None = None) -> int:
        """Write the calendar to `path` (owner-only, atomically, never into the data folder);
        returns the number of open follow-ups."""
        self.output_guard.check(path, what="calendar file")
        data, count = self.ics(officer_id)
        self.output_guard.write(path, data, what="calendar file")
        return count


def export_calendar(services: AppServices, path: str | Path, officer_id: str | None = None) -> int:
    """Export this officer's follow-ups (the profile's, unless another officer is named)."""
    if officer_id is None:
        profile = services.profile.get()
        officer_id = profile.id if profile is not None else None
    calendar = CalendarService(services.db, services.clock, output_guard=services.output_guard)
    return calendar.export(path, officer_id)
