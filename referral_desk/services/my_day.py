"""The officer's home screen: what needs doing today (DESIGN.md §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, exists, select

from referral_desk.domain.followup_rules import pre_release_due
from referral_desk.domain.states import NeedStatus
from referral_desk.services.base import ServiceBase
from referral_desk.services.dto import FollowUpView, PersonView, Record, ReferralView
from referral_desk.services.followups import follow_up_views
from referral_desk.services.reference import follow_up_rules, working_calendar
from referral_desk.services.referrals import ReferralService
from referral_desk.store.models import FollowUp, Need, Person, Referral, Service

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
            stmt = select(FollowUp).where(
                FollowUp.deleted_at.is_(None),
                FollowUp.done_on.is_(None),
                FollowUp.due_on <= week_end,
            )
            if officer_id:
                stmt = stmt.where(FollowUp.officer_id == officer_id)
            rows = follow_up_views(session, list(session.scalars(stmt.order_by(FollowUp.due_on))))
            rules = follow_up_rules(session)
            people_stmt = select(Person).where(
                Person.deleted_at.is_(None),
                Person.closed_on.is_(None),
                Person.expected_release_date >= today,
                Person.expected_release_date <= today + timedelta(weeks=rules.pre_release_weeks),
                exists().where(
                    and_(
                        Need.person_id == Person.id,
                        Need.deleted_at.is_(None),
                        Need.status.in_(ACTIVE_NEED),
                    )
                ),
            )
            if officer_id:
                people_stmt = people_stmt.where(Person.owner_officer_id == officer_id)
            releases = [
                PersonView.from_row(p)
                for p in session.scalars(people_stmt.order_by(Person.expected_release_date))
                if pre_release_due(p.expected_release_date, today, rules)
            ]
            calendar = working_calendar(session)
            waiting_stmt = (
                select(Referral, Service.response_days)
                .join(Service, Service.id == Referral.service_id)
                .where(Referral.deleted_at.is_(None), Referral.status.in_(WAITING_ON_PROVIDER))
            )
            if officer_id:
                waiting_stmt = waiting_stmt.where(Referral.made_by_officer_id == officer_id)
            late = [
                ref
                for ref, days in session.execute(waiting_stmt)
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
