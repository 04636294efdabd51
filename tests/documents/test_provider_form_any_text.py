"""Any text of any length and script prints: long text flows on to further pages, addresses
never break mid-word, and nothing ends in a reportlab LayoutError (issue: 4 000-character need
descriptions made `slip --form` fail)."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date, datetime

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral_desk.documents.model import NeedLine, ProviderFormData, SlipData
from referral_desk.documents.provider_form import render_provider_form
from referral_desk.documents.slip import render_slip

WELSH = "Gwenllïan Ŵyn Llŷr ap Rhydderch "
POLISH = "Zażółć gęślą jaźń Łukasiewicz "
ARABIC = "مرحبا بكم في الخدمة "
EMOJI = "🏠💷📞 "
_FORBIDDEN = re.compile(r"offen[cs]e|conviction|risk|mappa", re.IGNORECASE)


def form(**changes: object) -> ProviderFormData:
    base = ProviderFormData(
        reference="K7M-3QH",
        made_on=date(2025, 1, 6),
        service_name="Money Advice Clinic",
        organisation_name="Cyngor ar Bopeth Gwynedd",
        person_name="Dafydd ap Gruffydd",
        needs=(NeedLine("Financial management and income", "Rent arrears."),),
        officer_name="Siân Morgan",
        officer_email="sian.morgan@probation.example",
        printed_on=date(2025, 1, 7),
    )
    return dataclasses.replace(base, **changes)


def slip(**changes: object) -> SlipData:
    base = SlipData(
        reference="K7M-3QH",
        person_name="Dafydd ap Gruffydd",
        service_name="Tenancy Support",
        organisation_name="Cymdeithas Tai",
        address_lines=("Uned 4", "LL57 1AA"),
        phone="01248 123 456",
        email="referrals@tai.example.org",
        appointment_at=datetime(2025, 1, 14, 10, 30),
        printed_on=date(2025, 1, 7),
    )
    return dataclasses.replace(base, **changes)


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def squashed(pdf: bytes) -> str:
    return "".join("".join(pages(pdf)).split())


def test_a_need_description_of_many_pages_flows_on_instead_of_failing() -> None:
    description = " ".join(
        f"Sentence {n} about the arrears and what was tried." for n in range(600)
    )
    assert len(description) > 25_000
    pdf = render_provider_form(form(needs=(NeedLine("Accommodation", description),)))
    text = pages(pdf)
    assert len(text) >= 5
    # Nothing silently cut: the last sentence is printed, and every page carries the reference.
    assert "Sentence599aboutthearrears" in squashed(pdf)
    assert all("Reference: K7M-3QH" in page for page in text)


def test_an_unbroken_4000_character_description_prints() -> None:
    pdf = render_provider_form(form(needs=(NeedLine("Other", "x" * 4_000),)))
    assert squashed(pdf).count("x") >= 4_000


def test_long_risk_note_and_availability_flow_on_too() -> None:
    pdf = render_provider_form(
        form(risk_note="Keep the door open. " * 400, availability="Weekdays after 2pm. " * 400)
    )
    assert len(pages(pdf)) >= 3


def test_long_directory_text_on_a_slip_flows_on_to_a_second_page() -> None:
    pdf = render_slip(slip(what_to_bring="Photo ID and letters. " * 300), "A5")
    assert len(pages(pdf)) >= 2
    assert "Reference: K7M-3QH (continued)" in pages(pdf)[-1]


@pytest.mark.parametrize("size", ["A4", "A5"])
@pytest.mark.parametrize(
    "email",
    [
        "referrals@the-longest-community-collective.example.org.uk",
        "a.very.long.name.for.a.mailbox.that.goes.on@collective.example.org.uk",
        "hello@averyveryveryveryveryveryveryveryveryverylongdomainnamewithnodots.org",
    ],
)
def test_email_addresses_break_only_before_at_or_dot(size: str, email: str) -> None:
    for pdf in (
        render_slip(slip(email=email), size),
        render_provider_form(form(officer_email=email), size),
    ):
        text = "\n".join(pages(pdf))
        joined, breaks = "", set()
        for char in text:
            if char == "\n":
                breaks.add(len(joined))
            else:
                joined += char
        start = joined.find(email)
        assert start >= 0, "the address is printed whole, in order"
        inside = [b for b in breaks if start < b < start + len(email)]
        assert all(joined[b] in "@." for b in inside), "broken only before @ or ."


def test_provider_form_says_how_to_reach_the_person_and_labels_the_providers_address() -> None:
    through_officer = squashed(render_provider_form(form(provider_contact="ref@clinic.org")))
    assert "Howtocontactthem" in through_officer
    assert "Throughthereferringofficer" in through_officer
    assert "Senttoyourreferralcontact:ref@clinic.org" in through_officer
    direct = squashed(render_provider_form(form(contact_details="07700 900123 (texts)")))
    assert "Directly,astheyagreed:07700900123(texts)" in direct
    assert "Throughthereferringofficer" not in direct


_SCRIPTS = st.sampled_from([WELSH, POLISH, ARABIC, EMOJI, "漢字かな ", "Ελληνικά ", "x" * 90])
_TEXT = st.one_of(
    st.text(max_size=3_000),
    st.lists(_SCRIPTS, max_size=300).map("".join),
).filter(lambda value: not _FORBIDDEN.search(value))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(description=_TEXT, note=_TEXT, name=_TEXT, size=st.sampled_from(["A4", "A5"]))
def test_any_text_in_any_script_yields_a_valid_pdf(
    description: str, note: str, name: str, size: str
) -> None:
    made = form(
        person_name=name or "X",
        needs=(NeedLine("Other", description),),
        availability=note,
        accessibility_needs=description,
        contact_details=note or None,
        risk_note=note or None,
    )
    assert len(pages(render_provider_form(made, size))) >= 1
    printed = slip(
        person_name=name or "X", what_to_bring=description, opening_times=note, how_to_go=note
    )
    assert len(pages(render_slip(printed, size))) >= 1
