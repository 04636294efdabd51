"""Case-level actions that ripple into referrals: transfer/release, consent, hand-over, closure.

Prisoners are "moved without informing the services they had been accessing" (DESIGN.md §1):
every change of setting or of consent makes follow-ups on the open referrals, so an officer is
reminded to tell each provider.
"""

from __future__ import annotations

from datetime import date

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import field
from referral_desk.domain.followup_rules import on_transfer
from referral_desk.domain.states import OPEN_REFERRAL_STATES, FollowUpKind
from referral_desk.store import referral_queries
from referral_desk.store.models import CaseNote, FollowUp, Officer, Person, Referral
from referral_desk.usecases.base import ServiceBase, Session, officer_of
from referral_desk.usecases.common import get_live, parse_date
from referral_desk.usecases.dto import PersonView, SettingChange
from referral_desk.usecases.people import clean_person_fields, resolve_reference_fields
from referral_desk.usecases.reference import follow_up_rules, working_calendar

# (setting, prison, area)
Place = tuple[str, str, str]


def move_text(before: Place, after: Place) -> str:
    """The timeline's words for a move, from where to where."""
    (was, old_prison, old_area), (now, prison, area) = before, after
    if was == "custody" and now == "custody":
        return f"Transferred from {old_prison or 'custody'} to {prison}"
    if was == "custody":
        where = f" ({area})" if area else ""
        return f"Released from {old_prison or 'custody'} to the community{where}"
    if now == "custody":
        where = f" ({old_area})" if old_area else ""
        return f"Into custody at {prison}, from the community{where}"
    return f"Moved from {old_area or 'no area'} to {area or 'no area'}"


def open_referrals(session: Session, person_id: str) -> list[Referral]:
    states = [s.value for s in OPEN_REFERRAL_STATES]
    return referral_queries.open_referrals(session, person_id, states)


def _tell_providers(session: Session, person: Person, today: date, note: str) -> int:
    refs = open_referrals(session, person.id)
    planned = on_transfer(today, working_calendar(session), follow_up_rules(session))
    for ref in refs:
        for item in planned:
            session.add(
                FollowUp(
                    referral_id=ref.id,
                    person_id=person.id,
                    kind=FollowUpKind.TELL_PROVIDER.value,
                    due_on=item.due_on,
                    note=note,
                    officer_id=officer_of(session),
                )
            )
    return len(refs)


class CaseActionService(ServiceBase):
    def open_referral_count(self, person_id: str) -> int:
        with self._read() as session:
            return len(open_referrals(session, get_live(session, Person, person_id, "person").id))

    def change_setting(
        self,
        person_id: str,
        *,
        setting: str,
        prison: str = "",
        area: str = "",
        office: str = "",
        expected_release_date: str | date | None = None,
        tell_providers: bool = True,
    ) -> SettingChange:
        """Transfer or release: a line on the timeline (who, when, from where to where) and,
        if asked, a "tell the provider" follow-up on each open referral.

        Saving what is already recorded writes nothing at all: no change to sync, no line, no
        follow-ups (`changed` is then False).
        """
        fields = clean_person_fields(
            {"setting": setting, "prison": prison, "area": area, "office": office},
            self.clock.today(),
        )
        if fields["setting"] == "custody" and not fields["prison"]:
            raise ValidationError("Choose the prison for someone in custody.")
        if fields["setting"] == "community":
            fields["prison"] = ""
        release = parse_date(expected_release_date, "Expected release date")
        if expected_release_date is not None:
            fields["expected_release_date"] = release
        with self._write(reason="transfer or release") as session:
            person = get_live(session, Person, person_id, "person")
            fields = resolve_reference_fields(session, fields, person)
            changes = {k: v for k, v in fields.items() if getattr(person, k) != v}
            if not changes:
                return SettingChange(PersonView.from_row(person))
            before = (person.setting, person.prison, person.area)
            for key, value in changes.items():
                setattr(person, key, value)
            after = (person.setting, person.prison, person.area)
            moved = before != after
            count = 0
            if moved:
                session.add(
                    CaseNote(
                        person_id=person.id,
                        at=self.clock.now(),
                        kind="setting",
                        by_officer_id=officer_of(session),
                        text=move_text(before, after),
                    )
                )
            if moved and tell_providers:
                note = (
                    "Tell the provider the person has been released"
                    if person.setting == "community"
                    else "Tell the provider the person has moved prison"
                )
                count = _tell_providers(session, person, self.clock.today(), note)
            session.flush()
            return SettingChange(PersonView.from_row(person), count, moved=moved, changed=True)

    def withdraw_consent(self, person_id: str, on: str | date | None = None) -> int:
        """Record withdrawn consent: blocks new referrals, a follow-up per open referral."""
        when = parse_date(on, "Date consent was withdrawn") or self.clock.today()
        with self._write(reason="consent withdrawn") as session:
            person = get_live(session, Person, person_id, "person")
            if person.consent_withdrawn_on is not None:
                raise ValidationError("Consent is already recorded as withdrawn.")
            person.consent_withdrawn_on = when
            return _tell_providers(
                session,
                person,
                self.clock.today(),
                "Consent withdrawn: tell the provider and stop sharing information",
            )

    def give_consent(self, person_id: str, on: str | date | None = None, scope: str = "") -> None:
        when = parse_date(on, "Consent date") or self.clock.today()
        scope = field("person", "consent_scope").clean(scope)
        with self._write(reason="consent given") as session:
            person = get_live(session, Person, person_id, "person")
            person.consent_given_on = when
            person.consent_withdrawn_on = None
            if scope:
                person.consent_scope = scope

    def hand_over(self, person_id: str, officer_id: str) -> PersonView:
        """Change the owning officer; open follow-ups go with the case. History stays."""
        with self._write(reason="hand over case") as session:
            person = get_live(session, Person, person_id, "person")
            officer = get_live(session, Officer, officer_id, "officer")
            person.owner_officer_id = officer.id
            for fu in referral_queries.pending_follow_ups(session, person_id=person.id):
                fu.officer_id = officer.id
            session.flush()
            return PersonView.from_row(person)

    def close_case(self, person_id: str, on: str | date | None = None) -> PersonView:
        when = parse_date(on, "Closing date") or self.clock.today()
        with self._write(reason="close case") as session:
            person = get_live(session, Person, person_id, "person")
            if person.closed_on is not None:
                raise ValidationError("The case is already closed.")
            person.closed_on = when
            session.flush()
            return PersonView.from_row(person)

    def reopen_case(self, person_id: str) -> PersonView:
        with self._write(reason="reopen case") as session:
            person = get_live(session, Person, person_id, "person")
            person.closed_on = None
            session.flush()
            return PersonView.from_row(person)
