"""Use cases for referrals: make one, move it through its lifecycle, read it back."""

from __future__ import annotations

from datetime import datetime

from referral_desk.domain.errors import ConsentRequired, ValidationError
from referral_desk.domain.fields import field
from referral_desk.domain.followup_rules import Closing, closed_by_transition, plan_for_transition
from referral_desk.domain.identifiers import new_reference
from referral_desk.domain.lifecycle import (
    REASON_LISTS,
    check_transition,
    need_status_after_referral,
)
from referral_desk.domain.service_rules import is_unusable
from referral_desk.domain.states import (
    OPEN_REFERRAL_STATES,
    NeedStatus,
    Outcome,
    ReferralState,
)
from referral_desk.domain.text import clean_line
from referral_desk.store import referral_queries
from referral_desk.store.models import (
    FollowUp,
    Need,
    Officer,
    Organisation,
    Person,
    Referral,
    ReferralStatusChange,
    Service,
)
from referral_desk.store.soft_delete import live, rows_by_id
from referral_desk.usecases.base import ServiceBase, Session, officer_of
from referral_desk.usecases.common import (
    after_last,
    erase,
    get_live,
    get_referral,
    parse_datetime,
)
from referral_desk.usecases.dto import ReferralView, StatusChangeView
from referral_desk.usecases.needs import set_need_status
from referral_desk.usecases.reference import (
    follow_up_rules,
    reference_items,
    require_code,
    working_calendar,
)


def _referral_text(**values: str | None) -> dict[str, str]:
    """Typed referral fields, cleaned and checked against their limits (domain.fields)."""
    return {name: field("referral", name).clean(value) for name, value in values.items()}


def referral_view(session: Session, ref: Referral, warnings: tuple[str, ...] = ()) -> ReferralView:
    service = session.get(Service, ref.service_id)
    org = session.get(Organisation, service.organisation_id) if service else None
    person = session.get(Person, ref.person_id)
    history = []
    names: dict[str, str] = {}
    for change in referral_queries.status_history(session, ref.id):
        oid = change.by_officer_id
        if oid and oid not in names:
            officer = session.get(Officer, oid)
            names[oid] = officer.name if officer else ""
        history.append(StatusChangeView.from_row(change, by_name=names.get(oid or "", "")))
    return ReferralView.from_row(
        ref,
        service_name=service.name if service else "",
        organisation_name=org.name if org else "",
        person_name=f"{person.given_name} {person.family_name}".strip() if person else "",
        history=tuple(history),
        warnings=warnings,
    )


def unused_reference(session: Session) -> str:
    while True:
        ref = new_reference()
        if not referral_queries.reference_taken(session, ref):
            return ref


def add_follow_ups(
    session: Session,
    ref: Referral,
    target: ReferralState,
    on,
    *,
    response_days: int | None,
    appointment_on=None,
) -> None:
    """Create the follow-ups of DESIGN.md §5 for this transition, in the same transaction.

    Only this local write creates them: sync carries the rows, it never re-plans them.
    """
    planned = plan_for_transition(
        target,
        on,
        response_days=response_days,
        appointment_on=appointment_on,
        calendar=working_calendar(session),
        rules=follow_up_rules(session),
    )
    for item in planned:
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


def open_referrals_to(session: Session, person_id: str, service_id: str) -> list[Referral]:
    states = [s.value for s in OPEN_REFERRAL_STATES]
    return referral_queries.open_referrals(session, person_id, states, service_id)


class ReferralService(ServiceBase):
    def make(
        self,
        need_id: str,
        service_id: str,
        *,
        consent: bool,
        method: str = "phone",
        draft: bool = False,
        shared_info: list[str] | None = None,
        share_risk: bool = False,
        risk_note: str = "",
        accessibility_needs: str = "",
        interpreter_language: str = "",
        availability: str = "",
        appointment_at: str | datetime | None = None,
        appointment_place: str = "",
        strict: bool = False,
    ) -> ReferralView:
        """Record a referral (sent, or a draft). Needs consent; warns on a second open one.

        Risk is shared only by explicit choice (`share_risk`) and then only as the words the
        officer wrote for this provider (`risk_note`): a ticked box with nothing to say would
        print a provider form that promises risk information and carries none.
        """
        if not consent:
            raise ConsentRequired("Confirm the person consents to the referral being shared.")
        text = _referral_text(
            risk_note=risk_note,
            accessibility_needs=accessibility_needs,
            interpreter_language=interpreter_language,
            availability=availability,
            appointment_place=appointment_place,
        )
        risk_note = text["risk_note"]
        if share_risk and not risk_note:
            raise ValidationError("Write the risk information to share with this provider.")
        if risk_note and not share_risk:
            raise ValidationError("Risk information is shared only when you choose to share it.")
        appointment = parse_datetime(appointment_at, "Appointment")
        with self._write(reason="make referral") as session:
            need = get_live(session, Need, need_id, "need")
            service = get_live(session, Service, service_id, "service")
            person = get_live(session, Person, need.person_id, "person")
            if person.consent_withdrawn_on is not None:
                raise ConsentRequired(
                    "The person has withdrawn consent to share; no new referrals can be made."
                )
            if is_unusable(service.status):
                raise ValidationError(f"That service is {service.status}; choose another.")
            require_code(session, "referral_method", method, "referral method")
            info = list(shared_info if shared_info is not None else ["name", "needs"])
            known_info = {i.code for i in reference_items(session, "shared_info")}
            if set(info) - known_info:
                raise ValidationError("Unknown shared information; use: " + ", ".join(known_info))
            if "risk" in info and not share_risk:
                info.remove("risk")
            if share_risk and "risk" not in info:
                info.append("risk")
            warnings: tuple[str, ...] = ()
            if open_referrals_to(session, person.id, service.id):
                if strict:
                    raise ValidationError(
                        "There is already an open referral for this person to this service."
                    )
                warnings = ("There is already an open referral for this person to this service.",)
            today = self.clock.today()
            ref = Referral(
                reference=unused_reference(session),
                person_id=person.id,
                need_id=need.id,
                service_id=service.id,
                made_by_officer_id=officer_of(session),
                made_on=today,
                method=method,
                consent_confirmed=True,
                shared_info=info,
                share_risk=share_risk,
                risk_note=risk_note,
                accessibility_needs=text["accessibility_needs"],
                interpreter_language=text["interpreter_language"],
                availability=text["availability"],
                appointment_at=appointment,
                appointment_place=text["appointment_place"],
                status="",
            )
            session.add(ref)
            session.flush()
            now = self.clock.now()
            self._record(session, ref, ReferralState.DRAFT, now, channel=method)
            if not draft:
                self._record(session, ref, ReferralState.SENT, now, channel=method)
                add_follow_ups(
                    session, ref, ReferralState.SENT, today, response_days=service.response_days
                )
            need_status = NeedStatus(need.status)
            after = need_status_after_referral(need_status)
            if after != need_status:
                set_need_status(session, need, after, now, note="referral made")
            session.flush()
            return referral_view(session, ref, warnings)

    @staticmethod
    def _record(
        session: Session,
        ref: Referral,
        target: ReferralState,
        at: datetime,
        *,
        channel: str = "",
        reason: str = "",
        note: str = "",
    ) -> None:
        session.flush()
        at = after_last(
            session, ReferralStatusChange.at, ReferralStatusChange.referral_id, ref.id, at
        )
        session.add(
            ReferralStatusChange(
                referral_id=ref.id,
                from_status=ref.status or None,
                to_status=target.value,
                at=at,
                by_officer_id=officer_of(session),
                channel=channel,
                reason_code=reason,
                note=note,
            )
        )
        ref.status = target.value

    def record_status(
        self,
        ref_or_id: str,
        state: str | ReferralState,
        *,
        reason: str | None = None,
        note: str = "",
        channel: str = "",
        outcome: str | None = None,
        outcome_note: str = "",
        appointment_at: str | datetime | None = None,
        appointment_place: str | None = None,
    ) -> ReferralView:
        """Move a referral along its lifecycle; reasons where needed; follow-ups as §5 says."""
        target = state if isinstance(state, ReferralState) else ReferralState.parse(state)
        outcome_value = None
        if outcome:
            try:
                outcome_value = Outcome(outcome.strip().lower().replace("-", "_"))
            except ValueError:
                raise ValidationError(
                    "Outcome must be achieved, partly-achieved or not-achieved"
                ) from None
        appointment = parse_datetime(appointment_at, "Appointment")
        reason = clean_line(reason).replace("-", "_") or None
        channel = clean_line(channel)
        note = field("referral_status_change", "note").clean(note)
        outcome_note = field("referral", "outcome_note").clean(outcome_note)
        if appointment_place is not None:
            appointment_place = field("referral", "appointment_place").clean(appointment_place)
        with self._write(reason="referral status") as session:
            ref = get_referral(session, ref_or_id)
            list_name = REASON_LISTS.get(target)
            known = {i.code for i in reference_items(session, list_name)} if list_name else None
            check_transition(ReferralState(ref.status), target, reason, known, outcome_value)
            if channel:
                require_code(session, "channel", channel, "channel")
            if appointment is not None:
                ref.appointment_at = appointment
            if appointment_place is not None:
                ref.appointment_place = appointment_place
            if outcome_value is not None:
                ref.outcome = outcome_value.value
                ref.outcome_note = outcome_note
            now = self.clock.now()
            self._record(
                session,
                ref,
                target,
                now,
                channel=channel,
                reason=reason if list_name else "",
                note=note,
            )
            service = session.get(Service, ref.service_id)
            add_follow_ups(
                session,
                ref,
                target,
                self.clock.today(),
                response_days=service.response_days if service else None,
                appointment_on=ref.appointment_at.date() if ref.appointment_at else None,
            )
            closing = closed_by_transition(target)
            if closing is not None:
                self._close_follow_ups(session, ref, closing)
            if target == ReferralState.COMPLETED and outcome_value == Outcome.ACHIEVED:
                need = live(session, Need, ref.need_id)
                if need is not None and need.status != "met":
                    set_need_status(session, need, NeedStatus.MET, now, note="referral achieved")
            session.flush()
            return referral_view(session, ref)

    def _close_follow_ups(self, session: Session, ref: Referral, closing: Closing) -> None:
        """Pending follow-ups that the new state answers are done: nothing left to chase."""
        for fu in referral_queries.pending_follow_ups(session, referral_id=ref.id):
            if not closing.closes(fu.kind):
                continue
            fu.done_on = self.clock.today()
            fu.done_at = self.clock.now()
            fu.done_by_officer_id = officer_of(session)  # who recorded the answering step
            fu.result_note = closing.note

    def get(self, ref_or_id: str) -> ReferralView:
        with self._read() as session:
            return referral_view(session, get_referral(session, ref_or_id))

    def list(self, person_id: str | None = None) -> list[ReferralView]:
        with self._read() as session:
            return self._views(session, referral_queries.referrals(session, person_id))

    @staticmethod
    def _views(session: Session, rows: list[Referral]) -> list[ReferralView]:
        """Batch-load names for a list (no per-row queries, no history)."""
        sids = {r.service_id for r in rows}
        pids = {r.person_id for r in rows}
        services = rows_by_id(session, Service, sids)
        org_ids = {s.organisation_id for s in services.values()}
        orgs = {o.id: o.name for o in rows_by_id(session, Organisation, org_ids).values()}
        people = {
            p.id: f"{p.given_name} {p.family_name}".strip()
            for p in rows_by_id(session, Person, pids).values()
        }
        out = []
        for r in rows:
            s = services.get(r.service_id)
            out.append(
                ReferralView.from_row(
                    r,
                    service_name=s.name if s else "",
                    organisation_name=orgs.get(s.organisation_id, "") if s else "",
                    person_name=people.get(r.person_id, ""),
                    history=(),
                )
            )
        return out

    def delete(self, ref_or_id: str) -> None:
        with self._write(reason="delete referral") as session:
            ref = get_referral(session, ref_or_id)
            # With its history, follow-ups and timeline notes (`store.ownership`).
            erase(session, [ref], self.clock.now())
        self.db.checkpoint()
