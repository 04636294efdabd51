"""What Record a referral knows before the officer starts: the need, person and service read
on the worker (`load_form`), and the notices shown above the form (consent withdrawn or not
recorded, a service not taking referrals, an open referral to the same service, a record that
may be out of date). A mixin of `RecordReferralDialog` (ui/record_referral.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
)

from referral_desk.domain.appointments import default_appointment
from referral_desk.domain.errors import DomainError
from referral_desk.domain.states import OPEN_REFERRAL_STATES, ReferralState
from referral_desk.domain.vocabularies import CAPACITY_FULL, CAPACITY_WAITING_LIST, capacity_value
from referral_desk.ui import palette
from referral_desk.ui.freshness import freshness
from referral_desk.ui.widgets import fmt_date, named
from referral_desk.usecases.dto import (
    NeedView,
    PersonView,
    ReferenceItemView,
    ReferralView,
    ServiceView,
)

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices


def banner(text: str, kind: str, name: str) -> QLabel:
    """A coloured, word-wrapped notice whose text a screen reader reads as its description."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(
        f"QLabel {{ {palette.banner_style(kind)} border-radius: 4px; padding: 6px; }}"
    )
    named(label, name)
    label.setAccessibleDescription(text)
    return label


def _is_open(status: str) -> bool:
    try:
        return ReferralState(status) in OPEN_REFERRAL_STATES
    except ValueError:
        return False


@dataclass(frozen=True)
class ReferralForm:
    """What the form is built from, read in one go on the worker."""

    need: NeedView
    person: PersonView
    service: ServiceView
    methods: list[ReferenceItemView]
    shared_items: list[ReferenceItemView]
    duplicates: list[ReferralView]
    today: date
    appointment: datetime


def load_form(services: AppServices, need_id: str, service_id: str) -> ReferralForm:
    """The need, person and service, the lists the form offers, and open duplicates."""
    need = services.needs.get(need_id)
    person = services.people.get(need.person_id)
    today = services.clock.today()
    return ReferralForm(
        need=need,
        person=person,
        service=services.directory.get_service(service_id),
        methods=services.reference.list("referral_method"),
        shared_items=services.reference.list("shared_info"),
        duplicates=[
            r
            for r in services.referrals.list(person.id)
            if r.service_id == service_id and _is_open(r.status)
        ],
        today=today,
        appointment=_default_appointment(services, today),
    )


def _default_appointment(services: AppServices, today: date) -> datetime:
    """10:00 on the next working day (domain.appointments), bank holidays skipped."""
    try:
        calendar = services.reference.calendar()
    except DomainError:  # the bank holidays are a nicety here; weekends are still skipped
        calendar = None
    return default_appointment(today, calendar)


class ReferralNotices:
    """The notices above the form; the dialog provides the loaded `person`, `service`,
    `duplicates`, `_today` and the two blocking flags."""

    person: PersonView
    service: ServiceView
    duplicates: list[ReferralView]
    consent_withdrawn: bool
    service_unusable: bool
    _today: date

    def _contact_text(self) -> str:
        s = self.service
        parts = [p for p in (s.referral_contact, s.contact_name, s.phone, s.email) if p]
        if s.response_days is not None:
            parts.append(f"usually responds within {s.response_days} working days")
        return "How to refer: " + " · ".join(parts) if parts else ""

    def _banners(self) -> list[QLabel]:
        out = []
        p = self.person
        if self.consent_withdrawn:
            out.append(
                banner(
                    f"Consent to share was withdrawn on {fmt_date(p.consent_withdrawn_on)}. "
                    "No new referral can be made until the person gives consent again "
                    "(record it on their page).",
                    "error",
                    "Consent withdrawn",
                )
            )
        elif p.consent_given_on is None:
            out.append(
                banner(
                    "No consent is recorded on the person's page. Ask them now, and tick consent "
                    "below only if they agree.",
                    "info",
                    "No consent recorded",
                )
            )
        if self.service_unusable:
            out.append(
                banner(
                    f"This service is {self.service.status}: choose another service.",
                    "error",
                    "Service not available",
                )
            )
        if self.duplicates:
            refs = ", ".join(
                f"{r.reference} ({ReferralState(r.status).label.lower()})" for r in self.duplicates
            )
            out.append(
                banner(
                    f"There is already an open referral for this person to this service: {refs}. "
                    "Saving will ask you to confirm a second one.",
                    "warning",
                    "Open referral already exists",
                )
            )
        fresh = freshness(self.service.assured_date, self._today)
        notes = []
        if fresh.stale:
            notes.append(f"This record was {fresh.text}: confirm the details when you call.")
        capacity = capacity_value(self.service.capacity)
        if capacity in (CAPACITY_FULL, CAPACITY_WAITING_LIST):
            as_of = fmt_date(self.service.capacity_as_of)
            state = "was full" if capacity == CAPACITY_FULL else "had a waiting list"
            notes.append(f"The service {state}" + (f" on {as_of}." if as_of else "."))
        if (self.service.status or "active") == "temporarily closed":
            notes.append("The service is temporarily closed.")
        if notes:
            out.append(banner(" ".join(notes), "warning", "Check before referring"))
        return out
