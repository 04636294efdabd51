"""Use cases for follow-ups: what is due, marking done, rescheduling."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import field
from referral_desk.domain.followup_rules import next_progress_review
from referral_desk.domain.states import OPEN_REFERRAL_STATES, FollowUpKind
from referral_desk.store import followup_queries as queries
from referral_desk.store.models import FollowUp, Person, Referral
from referral_desk.store.soft_delete import live
from referral_desk.usecases.base import ServiceBase, Session, officer_of
from referral_desk.usecases.common import get_live, live_referral_of, parse_date
from referral_desk.usecases.dto import FollowUpView
from referral_desk.usecases.reference import follow_up_rules


def follow_up_views(
    session: Session,
    rows: list[FollowUp],
    *,
    person_names: Mapping[str, str] | None = None,
    referrals: Mapping[str, Any] | None = None,
    service_names: Mapping[str, str] | None = None,
) -> list[FollowUpView]:
    """Views with the names and references a follow-up shows (My day, person view, lists).

    Only those columns are read, never whole rows. A caller that has already loaded some of
    them (the person view has the person, their referrals and services) passes them in, and
    only what is still missing is looked up.
    """
    people = dict(person_names or {})
    missing = {f.person_id for f in rows} - people.keys()
    if missing:
        people.update(queries.person_names(session, missing))
    refs: dict[str, Any] = dict(referrals or {})
    missing = {f.referral_id for f in rows if f.referral_id} - refs.keys()
    if missing:
        refs.update(queries.referral_references(session, missing))
    services = dict(service_names or {})
    missing = {r.service_id for r in refs.values()} - services.keys()
    if missing:
        services.update(queries.service_names(session, missing))
    out = []
    for f in rows:
        ref = refs.get(f.referral_id or "")
        out.append(
            FollowUpView.from_row(
                f,
                person_name=people.get(f.person_id, ""),
                referral_reference=ref.reference if ref else "",
                service_name=services.get(ref.service_id, "") if ref else "",
            )
        )
    return out


class FollowUpService(ServiceBase):
    def list(
        self,
        due_by: str | date | None = None,
        *,
        include_done: bool = False,
        officer_id: str | None = None,
        person_id: str | None = None,
    ) -> list[FollowUpView]:
        due = parse_date(due_by, "Due-by date")
        with self._read() as session:
            rows = queries.follow_ups(
                session,
                include_done=include_done,
                due_by=due,
                officer_id=officer_id,
                person_id=person_id,
            )
            return follow_up_views(session, rows)

    def complete(self, follow_up_id: str, note: str = "") -> FollowUpView:
        """Mark done; a progress review on a still-running referral schedules the next one."""
        note = field("follow_up", "result_note").clean(note)
        with self._write(reason="follow-up done") as session:
            fu = get_live(session, FollowUp, follow_up_id, "follow-up")
            if fu.done_on is not None:
                raise ValidationError("That follow-up is already done.")
            today = self.clock.today()
            fu.done_on = today
            fu.done_at = self.clock.now()
            fu.done_by_officer_id = officer_of(session)
            fu.result_note = note
            if fu.kind == FollowUpKind.REVIEW_PROGRESS and fu.referral_id:
                ref = live(session, Referral, fu.referral_id)
                if ref and ref.status in OPEN_REFERRAL_STATES:
                    for item in next_progress_review(today, follow_up_rules(session)):
                        session.add(
                            FollowUp(
                                referral_id=ref.id,
                                person_id=ref.person_id,
                                kind=item.kind.value,
                                due_on=item.due_on,
                                note=item.note,
                                officer_id=officer_of(session),
                            )
                        )
            session.flush()
            return follow_up_views(session, [fu])[0]

    def reschedule(self, follow_up_id: str, due_on: str | date) -> FollowUpView:
        due = parse_date(due_on, "New due date")
        if due is None:
            raise ValidationError("A new due date is needed.")
        with self._write(reason="reschedule follow-up") as session:
            fu = get_live(session, FollowUp, follow_up_id, "follow-up")
            fu.due_on = due
            session.flush()
            return follow_up_views(session, [fu])[0]

    def add(
        self,
        person_id: str,
        due_on: str | date,
        note: str,
        *,
        referral_id: str | None = None,
        kind: str = "custom",
    ) -> FollowUpView:
        due = parse_date(due_on, "Due date")
        if due is None:
            raise ValidationError("A due date is needed.")
        try:
            kind_value = FollowUpKind(kind).value
        except ValueError:
            raise ValidationError("Unknown follow-up kind.") from None
        note = field("follow_up", "note").clean(note)
        with self._write(reason="add follow-up") as session:
            person = get_live(session, Person, person_id, "person")
            fu = FollowUp(
                person_id=person.id,
                referral_id=live_referral_of(session, person.id, referral_id),
                kind=kind_value,
                due_on=due,
                note=note,
                officer_id=officer_of(session),
            )
            session.add(fu)
            session.flush()
            return follow_up_views(session, [fu])[0]

    def get(self, follow_up_id: str) -> FollowUpView:
        with self._read() as session:
            fu = get_live(session, FollowUp, follow_up_id, "follow-up")
            return follow_up_views(session, [fu])[0]
