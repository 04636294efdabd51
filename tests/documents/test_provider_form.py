"""The provider referral form: only what the officer chose to share, and room for a reply."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date
from pathlib import Path

import pytest
from pdf_pages import render_png
from PIL import ImageOps

from referral_desk.documents.model import NeedLine, ProviderFormData
from referral_desk.documents.provider_form import render_provider_form

pypdf = pytest.importorskip("pypdf", reason="pypdf (test dependency) is needed to read PDFs")


NAME = "Dafydd ap Gruffydd-Włodarczyk"


def minimal_form(**changes: object) -> ProviderFormData:
    """Only the name and needs shared: what `ReferralService.make` shares by default."""
    base = ProviderFormData(
        reference="K7M-3QH",
        made_on=date(2025, 1, 6),
        service_name="Money Advice Clinic",
        organisation_name="Cyngor ar Bopeth Gwynedd",
        person_name=NAME,
        consent_on=date(2025, 1, 3),
        needs=(NeedLine("Financial management and income", "Rent arrears of about £600."),),
        officer_name="Siân Morgan",
        officer_email="sian.morgan@probation.example",
        officer_phone="01248 987 654",
        officer_team="Gwynedd Resettlement Team",
    )
    return dataclasses.replace(base, **changes)


def full_form(**changes: object) -> ProviderFormData:
    everything = minimal_form(
        date_of_birth=date(1990, 2, 17),
        contact_details="07700 900123, texts first please",
        release_date=date(2025, 3, 28),
        needs=(
            NeedLine("Accommodation", "Leaving custody with nowhere to stay."),
            NeedLine("Financial management and income", "Rent arrears of about £600."),
        ),
        accessibility_needs="Step-free access needed",
        interpreter_language="Welsh",
        availability="Weekdays after 2pm",
        provider_contact="referrals@moneyclinic.example",
    )
    return dataclasses.replace(everything, **changes)


def flat_text(pdf: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_form_shows_what_was_shared_and_the_officers_contact() -> None:
    text = flat_text(render_provider_form(full_form()))

    for expected in (
        "Referral to Money Advice Clinic",
        "Cyngor ar Bopeth Gwynedd",
        "Reference: K7M-3QH",
        "Sent on 6 January 2025",
        NAME,
        "17 February 1990",
        "Directly, as they agreed: 07700 900123, texts first please",
        "28 March 2025",
        "Given on 3 January 2025",
        "Accommodation",
        "Leaving custody with nowhere to stay.",
        "Rent arrears of about £600.",
        "Step-free access needed",
        "Needs an interpreter: Welsh",
        "Weekdays after 2pm",
        "Sent to your referral contact: referrals@moneyclinic.example",
        "Siân Morgan",
        "sian.morgan@probation.example",
        "01248 987 654",
        "Gwynedd Resettlement Team",
    ):
        assert expected in text, expected


def test_reply_section_has_every_answer_the_officer_keys_back_in() -> None:
    text = flat_text(render_provider_form(minimal_form()))
    for expected in (
        "Your reply",
        "Accepted",
        "Waiting list",
        "Declined",
        "Reason:",
        "First appointment",
        "Date",
        "Time",
        "Place",
        "Your name",
        "quoting the reference K7M-3QH",
    ):
        assert expected in text, expected


def test_unshared_details_are_left_out_entirely() -> None:
    text = flat_text(render_provider_form(minimal_form()))

    assert NAME in text
    for absent in (
        "Date of birth",
        "Contact details",
        "Expected release",
        "Interpreter",
        "Accessibility",
        "Availability",
    ):
        assert absent not in text, absent
    assert not re.search(r"risk|offence|conviction|mappa", text, re.IGNORECASE)


def test_needs_section_disappears_when_needs_were_not_shared() -> None:
    text = flat_text(render_provider_form(minimal_form(needs=())))
    assert "What they need help with" not in text
    assert "Rent arrears" not in text


def test_risk_appears_only_when_the_officer_explicitly_shared_it() -> None:
    note = "Shared by choice: no lone visits at home."
    without = flat_text(render_provider_form(full_form()))
    with_note = flat_text(render_provider_form(full_form(risk_note=note)))

    assert "risk" not in without.lower()
    assert "Risk information" in with_note
    assert note in with_note


def test_every_page_carries_the_reference_and_page_count() -> None:
    needs = tuple(NeedLine(f"Need {n}", "Detail " * 60) for n in range(8))
    pdf = render_provider_form(full_form(needs=needs))
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert "Reference: K7M-3QH" in text
        assert f"Page {number} of {len(pages)}" in text


def test_metadata_has_no_personal_data() -> None:
    info = pypdf.PdfReader(io.BytesIO(render_provider_form(full_form()))).metadata
    assert info is not None
    assert info["/Title"] == "Referral form K7M-3QH"
    assert "Dafydd" not in str(dict(info))
    assert info["/CreationDate"].startswith(f"D:{date.today():%Y%m%d}000000")


def test_output_is_deterministic_and_sizes_are_checked() -> None:
    assert render_provider_form(full_form()) == render_provider_form(full_form())
    a5 = pypdf.PdfReader(io.BytesIO(render_provider_form(full_form(), "a5"))).pages[0]
    assert round(float(a5.mediabox.width)) == 420
    with pytest.raises(ValueError, match="A4 or A5"):
        render_provider_form(full_form(), "Letter")


def test_special_characters_print_as_typed() -> None:
    text = flat_text(render_provider_form(minimal_form(service_name="Tai & Gwaith <Newydd>")))
    assert "Referral to Tai & Gwaith <Newydd>" in text


@pytest.mark.parametrize("size", ["A4", "A5"])
def test_form_renders_within_margins_and_qr_decodes(tmp_path: Path, size: str) -> None:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test dependency) decodes QR")
    long = full_form(
        person_name=NAME + " " + NAME,
        contact_details="Flat 12, Tŷ Llewelyn, Llanfairpwllgwyngyllgogerychwyrndrobwll, LL61",
    )
    pdf = render_provider_form(long, size)
    dpi = 100
    margin_px = (16 if size == "A4" else 10) / 25.4 * dpi
    pages = render_png(pdf, tmp_path, dpi=dpi)
    assert pages
    for page in pages:
        ink = ImageOps.invert(page).point(lambda v: 255 if v > 60 else 0).getbbox()
        assert ink is not None
        assert ink[0] >= margin_px - 2 and ink[2] <= page.size[0] - margin_px + 2
    sharper = tmp_path / "sharper"
    sharper.mkdir()
    first = render_png(pdf, sharper, dpi=150)[0]
    found = [r.text for r in zxingcpp.read_barcodes(first)]
    assert found == ["K7M-3QH"]
