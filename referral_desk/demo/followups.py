"""The demo's follow-ups, planned with `domain.followup_rules` on the day of each transition and
closed by the same rule the referral service applies (`closed_by_transition`), then done by
the officer on the day they fall due."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from referral_desk.demo import content
from referral_desk.demo.base import ONE_DAY, VALUE, Caseload, Event, GeneratorBase, NeedInfo, S
from referral_desk.domain.followup_rules import (
    closed_by_transition,
    next_progress_review,
    on_accepted,
    on_pre_release,
    on_sent,
    on_started,
)
from referral_desk.domain.states import FollowUpKind, NeedStatus, ReferralState

_CLOSING = {state: closed_by_transition(state) for state in ReferralState}
_SETTLED_NEEDS = frozenset({NeedStatus.MET.value, NeedStatus.CLOSED_NO_LONGER_NEEDED.value})


class FollowUpMaker(GeneratorBase):
    """Follow-ups of referrals (by transition) and of people (pre-release, custom)."""

    def _referral_follow_ups(
        self,
        referral_id: str,
        person_id: str,
        events: list[Event],
        response_days: int | None,
        appointment: date | None,
        target: date | None,
        out: Caseload,
    ) -> None:
        """Plan and close follow-ups transition by transition, as the services would have."""
        calendar, rules = self.ctx.calendar, self.ctx.rules
        pending: list[dict[str, Any]] = []
        last = len(events) - 1
        for i, ev in enumerate(events):
            state = ev.state
            if state == S.SENT:
                planned = on_sent(ev.on, response_days, calendar, rules)
            elif state == S.ACCEPTED:
                planned = on_accepted(appointment, calendar, rules)
            elif state == S.STARTED:
                planned = on_started(ev.on, rules)
            else:
                planned = []
            for item in planned:
                pending.append(
                    self._follow_up(referral_id, person_id, item.kind, item.due_on, item.note, out)
                )
            closing = _CLOSING[state]
            if closing is not None:  # the state answers some of them: closed as the service does
                for fu in [f for f in pending if closing.closes(f["kind"])]:
                    pending.remove(fu)
                    fu["done_on"], fu["result_note"] = ev.on, closing.note
                    fu["done_at"], fu["done_by_officer_id"] = ev.at, self.officer_id
            if i < last:
                self._officer_work(pending, events[i + 1].on, events[i + 1].state, out)
            elif target is not None:
                self._officer_work(pending, target, state, out)
            elif state in (S.ACKNOWLEDGED, S.WAITING_LIST):
                self._officer_work(pending, self.today + ONE_DAY, state, out)

    def _follow_up(
        self,
        referral_id: str | None,
        person_id: str,
        kind: FollowUpKind,
        due_on: date,
        note: str,
        out: Caseload,
    ) -> dict[str, Any]:
        row = {
            "referral_id": referral_id,
            "person_id": person_id,
            "kind": VALUE[kind],
            "due_on": due_on,
            "note": note,
            "officer_id": self.officer_id,
            "done_on": None,
            "done_at": None,
            "done_by_officer_id": None,
            "result_note": "",
        }
        out.follow_ups.append(row)
        return row

    def _officer_work(
        self, pending: list[dict[str, Any]], until: date, next_state: ReferralState, out: Caseload
    ) -> None:
        """The officer does, on the day they fall due, the follow-ups due before `until`."""
        rng, rules = self.rng, self.ctx.rules
        while True:
            due = [f for f in pending if f["due_on"] < until and f["due_on"] <= self.today]
            if not due:
                return
            for fu in due:
                pending.remove(fu)
                kind = fu["kind"]
                fu["done_on"] = fu["due_on"]
                fu["done_at"] = self._done_at(fu["done_on"])
                fu["done_by_officer_id"] = self.officer_id
                if kind == FollowUpKind.CHECK_ACCEPTANCE:
                    fu["result_note"] = rng.choice(content.CHASE_NOTES)
                elif kind == FollowUpKind.CHECK_ATTENDANCE:
                    attended = next_state in (S.STARTED, S.COMPLETED)
                    notes = content.ATTENDED_NOTES if attended else content.MISSED_NOTES
                    fu["result_note"] = rng.choice(notes)
                else:
                    fu["result_note"] = rng.choice(content.REVIEW_NOTES)
                    for item in next_progress_review(fu["done_on"], rules):
                        pending.append(
                            self._follow_up(
                                fu["referral_id"],
                                fu["person_id"],
                                item.kind,
                                item.due_on,
                                item.note,
                                out,
                            )
                        )

    def _person_follow_ups(
        self, person: dict[str, Any], needs: list[NeedInfo], out: Caseload
    ) -> None:
        rng, today, rules = self.rng, self.today, self.ctx.rules
        self.officer_id = person["owner_officer_id"]
        first = min((n.row["identified_on"] for n in needs), default=self._days_ago(0, 200))
        consent = first - timedelta(days=rng.randint(0, 14))
        withdrawn = person["consent_withdrawn_on"]
        if withdrawn is not None and consent >= withdrawn:
            consent = withdrawn - timedelta(days=rng.randint(30, 200))
        person["consent_given_on"] = consent
        release = person["expected_release_date"]
        open_needs = any(n.row["status"] not in _SETTLED_NEEDS for n in needs)
        if person["setting"] == "custody" and open_needs and release is not None:
            became_due = release - timedelta(weeks=rules.pre_release_weeks)
            for item in on_pre_release(release, became_due, rules):
                fu = self._follow_up(None, person["id"], item.kind, item.due_on, item.note, out)
                if item.due_on < today - timedelta(days=7) and rng.random() < 0.6:
                    fu["done_on"] = min(today, item.due_on + timedelta(days=rng.randint(0, 3)))
                    fu["done_at"] = self._done_at(fu["done_on"])
                    fu["done_by_officer_id"] = self.officer_id
                    fu["result_note"] = rng.choice(content.PRE_RELEASE_NOTES)
        if rng.random() < 0.08:
            due = today + timedelta(days=rng.randint(-10, 20))
            fu = self._follow_up(
                None,
                person["id"],
                FollowUpKind.CUSTOM,
                due,
                rng.choice(content.CUSTOM_FOLLOW_UPS),
                out,
            )
            if due < today and rng.random() < 0.4:
                fu["done_on"], fu["done_by_officer_id"] = due, self.officer_id
                fu["done_at"] = self._done_at(due)
                fu["result_note"] = "Done"
