"""One demo referral's history: its path through `domain.lifecycle`, dated backwards from
where it should stand today, and the row with its status changes."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from referral_desk.demo import content
from referral_desk.demo.base import (
    ALLOWED,
    APPOINTMENT_TIMES,
    BUCKET_WEIGHTS,
    BUCKETS,
    VALUE,
    Caseload,
    Event,
    GeneratorBase,
    NeedInfo,
    S,
)
from referral_desk.domain.identifiers import new_reference
from referral_desk.domain.states import OPEN_REFERRAL_STATES, Outcome, ReferralState


def _risk_note(referral_id: str) -> str:
    """A risk note picked by the referral's id, so the seeded random stream stays as it was."""
    return content.RISK_NOTES[int(referral_id.replace("-", "")[:8], 16) % len(content.RISK_NOTES)]


_OPTIONAL_SHARED = ["date_of_birth", "contact_details", "release_date", "accessibility"]


class ReferralMaker(GeneratorBase):
    """A referral and its status changes; `FollowUpMaker` plans and closes its follow-ups."""

    def _path_to(self, state: ReferralState) -> list[ReferralState]:
        rng = self.rng
        if state == S.DRAFT:
            return [S.DRAFT]
        path = [S.DRAFT, S.SENT]
        if state == S.SENT:
            return path
        if state == S.ACKNOWLEDGED:
            return [*path, S.ACKNOWLEDGED]
        if state == S.WAITING_LIST:
            return path + ([S.ACKNOWLEDGED] if rng.random() < 0.4 else []) + [S.WAITING_LIST]
        if rng.random() < 0.45:
            path.append(S.ACKNOWLEDGED)
        if rng.random() < 0.15:
            path.append(S.WAITING_LIST)
        path.append(S.ACCEPTED)
        return path if state == S.ACCEPTED else [*path, S.STARTED]

    def _path(self, final: ReferralState) -> list[ReferralState]:
        if final in OPEN_REFERRAL_STATES:
            path = self._path_to(final)
        elif final == S.COMPLETED:
            path = [*self._path_to(S.STARTED), S.COMPLETED]
        elif final == S.ENDED_EARLY:
            before = S.STARTED if self.rng.random() < 0.7 else S.ACCEPTED
            path = [*self._path_to(before), S.ENDED_EARLY]
        elif final == S.DECLINED:
            before = self._pick(((S.SENT, 50), (S.ACKNOWLEDGED, 30), (S.WAITING_LIST, 20)))
            path = [*self._path_to(before), S.DECLINED]
        else:
            before = self._pick(
                (
                    (S.DRAFT, 5),
                    (S.SENT, 35),
                    (S.ACKNOWLEDGED, 15),
                    (S.ACCEPTED, 15),
                    (S.WAITING_LIST, 15),
                    (S.STARTED, 15),
                )
            )
            path = [*self._path_to(before), S.WITHDRAWN]
        for a, b in itertools.pairwise(path):
            if b not in ALLOWED[a]:  # pragma: no cover - a bug in the paths above
                raise RuntimeError(f"demo path breaks the lifecycle: {a} -> {b}")
        return path

    def _gap(self, before: ReferralState, after: ReferralState, appointment_gap: int) -> int:
        """Working days between two consecutive states."""
        r = self.rng.randint
        if before == S.DRAFT:
            return 0 if self.rng.random() < 0.9 else r(1, 3)
        if after == S.ACKNOWLEDGED:
            return r(1, 3)
        if after == S.ACCEPTED:
            return r(10, 35) if before == S.WAITING_LIST else r(1, 6)
        if after == S.WAITING_LIST:
            return r(1, 5)
        if after == S.DECLINED:
            return r(1, 8)
        if after == S.STARTED:
            return appointment_gap
        if after == S.COMPLETED:
            return r(20, 55)
        if after == S.ENDED_EARLY:
            return appointment_gap + r(1, 5) if before == S.ACCEPTED else r(5, 30)
        return r(1, appointment_gap) if before == S.ACCEPTED else r(1, 12)  # withdrawn

    def _next_bucket(self) -> str:
        """Each bucket once, then mostly later: officers keep on top of most follow-ups."""
        self._bucket += 1
        if self._bucket <= len(BUCKETS):
            return BUCKETS[self._bucket - 1]
        return self._pick(BUCKET_WEIGHTS)

    def _target(self, bucket: str, later_max: int) -> date:
        """A working day for an open referral's pending follow-up to fall due."""
        r, days = self.rng.randint, self.days
        if bucket == "today":
            return self.today
        if bucket == "overdue":
            return days.back(self.working_today, r(1, 10))
        if bucket == "this_week":
            return days.forward(self.today, r(1, 4))
        return days.forward(self.today, r(6, later_max))

    def _end_date(
        self,
        path: list[ReferralState],
        gaps: list[int],
        response_days: int,
        appointment_gap: int,
        end_on: date | None,
    ) -> tuple[date, date | None, date | None]:
        """Date of the last event; and for open accepted/started ones the appointment and
        pending follow-up dates that were aimed at."""
        r, days, last = self.rng.randint, self.days, path[-1]
        if end_on is not None:
            return days.on_or_before(end_on), None, None
        if last == S.DRAFT:
            return days.back(self.working_today, r(0, 8)), None, None
        if last in (S.ACKNOWLEDGED, S.WAITING_LIST):
            return days.back(self.working_today, r(0, 20)), None, None
        if last == S.SENT:
            bucket = self._next_bucket()
            lag = {
                "today": response_days,
                "overdue": response_days + r(1, 10),
                "this_week": max(0, response_days - r(1, 4)),
                "later": 0,
            }[bucket]
            return days.back(self.working_today, lag), None, None
        if last == S.ACCEPTED:
            due = self._target(self._next_bucket(), 15)
            appointment = days.back(due, 1)
            accepted = min(days.back(appointment, appointment_gap), self.working_today)
            return accepted, appointment, due
        if last == S.STARTED:
            due = min(self._target(self._next_bucket(), 18), self.today + timedelta(days=27))
            interval = self.ctx.rules.progress_interval_weeks
            started = due - timedelta(weeks=interval * (r(0, 3) + 1))
            return started, started, due
        span = sum(gaps)
        return days.back(self.working_today, r(1, max(1, 185 - span))), None, None

    def _method(self) -> str:
        weighted = [
            (m, w)
            for m, w in (
                ("phone", 35),
                ("email", 30),
                ("form", 15),
                ("slip", 10),
                ("letter", 5),
                ("in_person", 5),
            )
            if m in self.ctx.methods
        ]
        return self._pick(weighted) if weighted else self.ctx.methods[0]

    def _reason(self, state: ReferralState, forced: str | None) -> str:
        codes = self.ctx.reasons.get(state)
        if not codes:
            return ""
        if state == S.WITHDRAWN:
            if forced:
                return forced
            usual = [c for c in codes if c not in ("consent_withdrawn", "died")]
            if usual and self.rng.random() > 0.01:
                return self.rng.choice(usual)
        return self.rng.choice(codes)

    def _channel(self, state: ReferralState, method: str) -> str:
        if state in (S.DRAFT, S.SENT):
            return method  # as ReferralService.make records them
        if state == S.WITHDRAWN:
            return self.rng.choice(("phone", "in_person", "email"))
        return self.rng.choice(("provider_feedback", "email", "phone"))

    def _referral(
        self,
        referral_id: str,
        need: NeedInfo,
        service: dict[str, Any],
        final: ReferralState,
        outcome: str,
        end_on: date | None,
        reason: str | None,
        out: Caseload,
    ) -> None:
        rng, ctx = self.rng, self.ctx
        self.officer_id = need.person["owner_officer_id"]  # the history is the owner's work
        response_days = service["response_days"]
        lag = ctx.rules.acceptance_working_days if response_days is None else max(1, response_days)
        path = self._path(final)
        appointment_gap = rng.randint(3, 12)
        gaps = [self._gap(a, b, appointment_gap) for a, b in itertools.pairwise(path)]
        end, appointment, target = self._end_date(path, gaps, lag, appointment_gap, end_on)
        dates = [end]
        for gap in reversed(gaps):
            dates.append(self.days.back(dates[-1], gap))
        dates.reverse()
        if S.ACCEPTED in path and appointment is None:
            a = path.index(S.ACCEPTED)
            followed_by_start = a + 1 < len(path) and path[a + 1] == S.STARTED
            appointment = (
                dates[a + 1] if followed_by_start else self.days.forward(dates[a], appointment_gap)
            )
        method = self._method()
        events: list[Event] = []
        previous: datetime | None = None
        for state, on in zip(path, dates, strict=True):
            at = self._at(on)
            if previous is not None and at <= previous:
                at = previous + timedelta(minutes=rng.randint(1, 20))
            previous = at
            notes = content.STATUS_NOTES.get(VALUE[state])
            events.append(
                Event(
                    state,
                    on,
                    at,
                    self._reason(state, reason),
                    self._channel(state, method),
                    rng.choice(notes) if notes else "",
                )
            )
        person = need.person
        from_status = None
        for ev in events:
            out.referral_changes.append(
                {
                    "referral_id": referral_id,
                    "from_status": from_status,
                    "to_status": VALUE[ev.state],
                    "at": ev.at,
                    "by_officer_id": self.officer_id,
                    "channel": ev.channel,
                    "reason_code": ev.reason,
                    "note": ev.note,
                }
            )
            from_status = VALUE[ev.state]
        self._referral_follow_ups(
            referral_id, person["id"], events, response_days, appointment, target, out
        )
        if need.first_referral_at is None or events[0].at < need.first_referral_at:
            need.first_referral_at = events[0].at
        if outcome == Outcome.ACHIEVED.value and (
            need.met_at is None or events[-1].at < need.met_at
        ):
            need.met_at = events[-1].at
        info = ["name", "needs", *(x for x in _OPTIONAL_SHARED if rng.random() < 0.35)]
        risk = rng.random() < 0.05
        if risk:
            info.append("risk")
        answered = len(path) > 2
        out.referrals.append(
            {
                "id": referral_id,
                "reference": self._unique(ctx.used_references, lambda: new_reference(rng)),
                "person_id": person["id"],
                "need_id": need.row["id"],
                "service_id": service["id"],
                "made_by_officer_id": self.officer_id,
                "made_on": events[0].on,
                "method": method,
                "consent_confirmed": True,
                "shared_info": info,
                "share_risk": risk,
                "risk_note": _risk_note(referral_id) if risk else "",
                "accessibility_needs": rng.choice(content.ACCESSIBILITY_NEEDS)
                if rng.random() < 0.08
                else "",
                "interpreter_language": rng.choice(content.LANGUAGES_EXTRA[:6])
                if rng.random() < 0.04
                else "",
                "availability": rng.choice(content.AVAILABILITY) if rng.random() < 0.4 else "",
                "appointment_at": datetime.combine(appointment, rng.choice(APPOINTMENT_TIMES))
                if appointment
                else None,
                "appointment_place": (
                    "At the prison (legal visits)"
                    if person["setting"] == "custody"
                    else rng.choice(content.APPOINTMENT_PLACES[:4])
                )
                if appointment
                else "",
                "provider_contact": service["contact_name"] if answered else "",
                "outcome": outcome,
                "outcome_note": rng.choice(content.OUTCOME_NOTES[outcome]) if outcome else "",
                "status": VALUE[final],
            }
        )
