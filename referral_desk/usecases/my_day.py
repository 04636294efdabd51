"""The officer's home screen: what needs doing today (DESIGN.md §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from referral_desk.domain.followup_rules import pre_release_due
from referral_desk.domain.states import NeedStatus
from referral_desk.store import referral_queries
from referral_desk.usecases.base import ServiceBase
from referral_desk.usecases.dto import FollowUpView, PersonView, Record, ReferralView
from referral_desk.usecases.followups import follow_up_views
from referral_desk.usecases.reference import follow_up_rules, working_calendar
from referral_desk.usecases.referrals import ReferralService

ACTIVE_NEED = (NeedStatus.OPEN.value, NeedStatus.REFERRED.value)
WAITING_ON_PROVIDER = ("sent", "acknowledged")


@dataclass(frozen=True)
class MyDay(Record):
    today: date
    overdue: tuple[FollowUpView, ...]
    due_today: tuple[FollowUpView, ...]
    due_this_week: tuple[FollowUpView, ...]
    releases_soon: tuple[PersonView, ...]
    waiting_on_provider: tuple[ReferralView, ...]


class MyDayService(ServiceBase):
    def summary(self, officer_id: str | None = None) -> MyDay:
        """Follow-ups (overdue, today, rest of the week), releases soon, silent providers.

        With `officer_id`, only that officer's follow-ups and caseload; else everyone's.
        """
        today = self.clock.today()
        week_end = today + timedelta(days=6 - today.weekday())
        with self._read() as session:
            due = referral_queries.open_follow_ups_due_by(session, week_end, officer_id)
            rows = follow_up_views(session, due)
            rules = follow_up_rules(session)
            nearing = referral_queries.people_released_between(
                session,
                today,
                today + timedelta(weeks=rules.pre_release_weeks),
                ACTIVE_NEED,
                officer_id,
            )
            releases = [
                PersonView.from_row(p)
                for p in nearing
                if pre_release_due(p.expected_release_date, today, rules)
            ]
            calendar = working_calendar(session)
            late = [
                ref
                for ref, days in referral_queries.referrals_waiting(
                    session, WAITING_ON_PROVIDER, officer_id
                )
                if calendar.add_working_days(ref.made_on, days or rules.acceptance_working_days)
                < today
            ]
            waiting = ReferralService._views(session, late)
        return MyDay(
            today=today,
            overdue=tuple(f for f in rows if f.due_on < today),
            due_today=tuple(f for f in rows if f.due_on == today),
            due_this_week=tuple(f for f in rows if today < f.due_on <= week_end),
            releases_soon=tuple(releases),
            waiting_on_provider=tuple(waiting),
        )
