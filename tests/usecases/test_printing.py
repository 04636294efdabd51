"""Slips and provider forms built from stored referrals: minimum data, deterministic, recorded."""

from __future__ import annotations

import io

import pytest

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDF text")

from referral_desk.domain.errors import NotFound, ValidationError  # noqa: E402
from referral_desk.store.models import Location, Organisation, Service  # noqa: E402


def pdf_text(data: bytes) -> str:
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())  # lines wrap; compare words


@pytest.fixture
def referral(app):
    with app.db.write() as s:
        org = Organisation(name="Lighthouse Trust", phone="0113 496 0123")
        loc = Location(
            organisation_id=org.id, address_1="12 Wharf Street", city="Leeds", postcode="LS2 7EQ"
        )
        svc = Service(
            name="Lighthouse Housing Advice",
            organisation_id=org.id,
            location_id=loc.id,
            description="Risk-assessed support for people with offence histories",
            opening_times="Mon–Fri 9:30–4:30",
            what_to_bring="Photo ID if you have it",
            referral_method="phone",
        )
        s.add_all([org, loc, svc])
    person = app.people.add(
        given_name="Llŷr",
        family_name="Ap Gwynfor",
        date_of_birth="1980-01-01",
        consent_given_on="2026-01-10",
        crn="X654321",
    )
    need = app.needs.log(person.id, "accommodation", "Sofa surfing since release")
    return app.referrals.make(
        need.id,
        svc.id,
        consent=True,
        shared_info=["name", "needs"],
        accessibility_needs="Uses a wheelchair",
    )


def test_slip_has_what_the_person_needs_and_nothing_else(app, referral) -> None:
    text = pdf_text(app.printing.slip_pdf(referral.reference))
    for expected in (
        "Lighthouse Housing Advice",
        "Lighthouse Trust",
        "12 Wharf Street",
        "0113 496 0123",
        "Photo ID",
        "Alex Morgan",
        "0113 496 0000",
        referral.reference,
        "Llŷr",
    ):
        assert expected in text
    for forbidden in ("X654321", "1980", "Risk", "offence", "Sofa surfing"):
        assert forbidden.lower() not in text.lower()


def test_slip_is_deterministic_and_printing_is_recorded_on_the_timeline(app, referral) -> None:
    first = app.printing.slip_pdf(referral.reference, "A5")
    app.printing.record_printed(referral.id, "Referral slip", "printed")
    assert app.printing.slip_pdf(referral.reference, "a5") == first
    timeline = app.people.detail(referral.person_id).timeline
    assert any("Referral slip" in e.text and e.kind == "note" for e in timeline)


def test_provider_form_carries_only_what_was_shared(app, referral) -> None:
    text = pdf_text(app.printing.provider_form_pdf(referral.reference))
    assert "Sofa surfing" in text  # needs were shared
    assert "1980" not in text  # date of birth was not
    assert "Uses a wheelchair" not in text  # accessibility was not ticked


def test_confidential_address_is_never_printed(app, referral) -> None:
    with app.db.write() as s:
        s.get(Service, referral.service_id).confidential_address = True
    text = pdf_text(app.printing.slip_pdf(referral.reference))
    assert "12 Wharf Street" not in text and "0113 496 0123" in text


def test_batch_of_slips_sent_today_and_bad_input(app, referral) -> None:
    refs = app.printing.referrals_sent_on()
    assert refs == [referral.reference]
    assert len(pypdf.PdfReader(io.BytesIO(app.printing.batch_slips_pdf(refs))).pages) >= 1
    with pytest.raises(ValidationError):
        app.printing.slip_pdf(referral.reference, "Letter")
    with pytest.raises(NotFound):
        app.printing.slip_pdf("ZZZ-ZZZ")
    with pytest.raises(ValidationError):
        app.printing.batch_slips_pdf([])


def test_risk_information_is_printed_only_when_the_officer_chose_to_share_it(app, referral) -> None:
    assert "risk" not in pdf_text(app.printing.provider_form_pdf(referral.reference)).lower()
    need = app.needs.log(referral.person_id, "finance", "Rent arrears")
    note = "Please do not offer lone home visits; meet at your office."
    shared = app.referrals.make(
        need.id, referral.service_id, consent=True, share_risk=True, risk_note=f"  {note}  "
    )
    assert shared.risk_note == note and "risk" in shared.shared_info
    assert note in pdf_text(app.printing.provider_form_pdf(shared.reference))
    assert "lone home visits" not in pdf_text(app.printing.slip_pdf(shared.reference))


def test_a_long_need_description_prints_on_the_provider_form_in_full(app, referral) -> None:
    """`slip REF --form` with a 4 000+ character description ended in a LayoutError."""
    with app.db.write() as s:
        from referral_desk.store.models import Need

        s.get(Need, referral.need_id).description = "Owes rent since March. " * 220 + "THE END"
    pdf = app.printing.provider_form_pdf(referral.reference, "A5")
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 3
    assert "THE END" in pdf_text(pdf)


def test_pdf_dates_are_the_print_day_not_the_year_2000(app, referral) -> None:
    for pdf in (
        app.printing.slip_pdf(referral.reference),
        app.printing.provider_form_pdf(referral.reference),
    ):
        info = pypdf.PdfReader(io.BytesIO(pdf)).metadata
        assert info["/CreationDate"].startswith(f"D:{app.clock.today():%Y%m%d}")
