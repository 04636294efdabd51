"""Referral slips and provider forms from stored referrals (DESIGN.md §7).

Builds the documents' plain data from the database with the minimum the officer chose to share,
renders it, and records on the referral's timeline that it was printed. Recording happens after
rendering and never changes the document, so the same referral gives the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from referral_desk.documents.model import NeedLine, ProviderFormData, SlipData
from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import field
from referral_desk.store import referral_queries
from referral_desk.store.models import (
    CaseNote,
    Location,
    Need,
    Officer,
    Organisation,
    Person,
    Referral,
    Service,
)
from referral_desk.store.soft_delete import live
from referral_desk.usecases.access_log import AccessLog
from referral_desk.usecases.base import FileWritingService, Session, officer_of
from referral_desk.usecases.common import get_referral
from referral_desk.usecases.needs import category_labels

PAGE_SIZES = ("A4", "A5")
HOW_TO_GO = {
    "phone": "Phone to arrange your first visit",
    "email": "Email to arrange your first visit",
    "form": "Your officer has sent a form; the service will contact you",
    "drop_in": "Drop in during opening times, no appointment needed",
    "drop-in": "Drop in during opening times, no appointment needed",
    "letter": "The service will write to you",
    "in_person": "Go in person during opening times",
}


def check_size(size: str | None) -> str:
    value = (size or "A4").upper()
    if value not in PAGE_SIZES:
        raise ValidationError("Page size must be A4 or A5.")
    return value


def _address(loc: Location | None) -> tuple[str, ...]:
    if loc is None:
        return ()
    parts = (loc.name, loc.address_1, loc.address_2, loc.city, loc.postcode)
    return tuple(p.strip() for p in parts if p and p.strip())


def _parts(session: Session, ref: Referral) -> tuple[Person, Service, Organisation, Officer | None]:
    person = session.get(Person, ref.person_id)
    service = session.get(Service, ref.service_id)
    org = session.get(Organisation, service.organisation_id) if service else None
    if person is None or service is None or org is None:
        raise ValidationError("The referral's person or service is missing; cannot print.")
    officer = session.get(Officer, ref.made_by_officer_id) if ref.made_by_officer_id else None
    if officer is None and officer_of(session):
        officer = session.get(Officer, officer_of(session))
    return person, service, org, officer


def slip_data(session: Session, ref: Referral, printed_on: date | None = None) -> SlipData:
    person, service, org, officer = _parts(session, ref)
    location = session.get(Location, service.location_id) if service.location_id else None
    how = HOW_TO_GO.get(service.referral_method, "")
    if service.referral_contact and service.referral_method in ("form", "email"):
        how = how or service.referral_contact
    return SlipData(
        reference=ref.reference,
        person_name=f"{person.given_name} {person.family_name}".strip(),
        service_name=service.name,
        organisation_name=org.name,
        address_lines=None if service.confidential_address else _address(location),
        phone=service.phone or org.phone,
        email=service.email or org.email,
        how_to_go=how,
        opening_times=service.opening_times,
        what_to_bring=service.what_to_bring,
        appointment_at=ref.appointment_at,
        appointment_place=ref.appointment_place,
        officer_name=officer.name if officer else "",
        officer_phone=officer.office_phone if officer else "",
        office_name=officer.office if officer else "",
        made_on=ref.made_on,
        printed_on=printed_on,
    )


def provider_form_data(
    session: Session, ref: Referral, printed_on: date | None = None
) -> ProviderFormData:
    """Only what `shared_info` lists; risk never appears here unless explicitly shared."""
    person, service, org, officer = _parts(session, ref)
    shared = set(ref.shared_info or [])
    needs: tuple[NeedLine, ...] = ()
    if "needs" in shared and ref.need_id:
        need = live(session, Need, ref.need_id)
        if need is not None:
            labels = category_labels(session)
            needs = (NeedLine(labels.get(need.category_code, ""), need.description),)
    sent = referral_queries.first_sent_at(session, ref.id)
    contact = person.contact_preferences if "contact_details" in shared else None
    return ProviderFormData(
        reference=ref.reference,
        made_on=sent.date() if sent else ref.made_on,
        service_name=service.name,
        organisation_name=org.name,
        person_name=f"{person.given_name} {person.family_name}".strip(),
        consent_on=person.consent_given_on,
        date_of_birth=person.date_of_birth if "date_of_birth" in shared else None,
        contact_details=contact or None,
        release_date=person.expected_release_date if "release_date" in shared else None,
        needs=needs,
        accessibility_needs=ref.accessibility_needs if "accessibility" in shared else "",
        interpreter_language=ref.interpreter_language,
        availability=ref.availability,
        provider_contact=service.referral_contact,
        officer_name=officer.name if officer else "",
        officer_email=officer.email if officer else "",
        officer_phone=officer.office_phone if officer else "",
        officer_team=officer.team if officer else "",
        risk_note=ref.risk_note if ref.share_risk and ref.risk_note else None,
        printed_on=printed_on,
    )


class PrintingService(FileWritingService):
    @cached_property
    def access_log(self) -> AccessLog:
        return AccessLog(self.db, self.clock)

    def slip_pdf(self, ref_or_id: str, size: str | None = "A4") -> bytes:
        from referral_desk.documents.slip import render_slip

        return self._referral_pdf(ref_or_id, size, slip_data, render_slip, "slip")

    def provider_form_pdf(self, ref_or_id: str, size: str | None = "A4") -> bytes:
        from referral_desk.documents.provider_form import render_provider_form

        return self._referral_pdf(ref_or_id, size, provider_form_data, render_provider_form, "form")

    def _referral_pdf(
        self,
        ref_or_id: str,
        size: str | None,
        gather: Callable[[Session, Referral, date], Any],
        render: Callable[[Any, str], bytes],
        kind: str,
    ) -> bytes:
        """One referral's document, rendered outside the transaction; the person's record was
        read for it, so the access is noted (kind: "slip" or "form")."""
        checked = check_size(size)
        with self._read() as session:
            ref = get_referral(session, ref_or_id)
            data = gather(session, ref, self.clock.today())
            person_id = ref.person_id
        pdf = render(data, checked)
        self.access_log.note(person_id, kind)
        return pdf

    def referrals_sent_on(self, day: date | None = None) -> list[str]:
        """References of referrals sent on `day` (default today): the batch print job."""
        day = day or self.clock.today()
        with self._read() as session:
            rows = referral_queries.sent_references(session)
            return sorted({ref for ref, at in rows if at.date() == day})

    def batch_slips_pdf(self, refs: list[str], size: str | None = "A4") -> bytes:
        from referral_desk.documents.batch import render_slips

        size = check_size(size)
        if not refs:
            raise ValidationError("There are no referrals to print.")
        with self._read() as session:
            found = [get_referral(session, r) for r in refs]
            items = [slip_data(session, ref, self.clock.today()) for ref in found]
            people = list(dict.fromkeys(ref.person_id for ref in found))
        pdf = render_slips(items, size)
        self.access_log.note_many(people, "slip")
        return pdf

    def check_pdf_path(self, path: str | os.PathLike[str]) -> Path:
        """Refuse a PDF target before the document is made (the data folder, not a file)."""
        return self.output_guard.check(path, what="PDF")

    def save_pdf(self, path: str | os.PathLike[str], pdf: bytes) -> Path:
        """Write a slip, form or batch PDF where the officer chose: owner-only (it names the
        person), all or nothing, never into the data folder. Returns the path written."""
        return self.output_guard.write(path, pdf, what="PDF")

    def record_printed(self, ref_or_id: str, what: str, how: str) -> None:
        """Put "slip printed" on the referral's timeline (after the document was made)."""
        with self._write(reason="printed") as session:
            ref = get_referral(session, ref_or_id)
            session.add(
                CaseNote(
                    person_id=ref.person_id,
                    referral_id=ref.id,
                    at=self.clock.now(),
                    by_officer_id=officer_of(session),
                    text=field("case_note", "text").clean(
                        f"{what} for referral {ref.reference} {how}"
                    ),
                )
            )
