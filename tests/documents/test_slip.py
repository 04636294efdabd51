"""The referral slip: what must be on it, what must never be, and that it prints well.

PDF text comes from pypdf; pages are rendered with pypdfium2 and QR codes decoded with
zxing-cpp.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from pdf_pages import render_png
from PIL import Image, ImageOps

from referral_desk.documents.batch import render_slips
from referral_desk.documents.model import SlipData
from referral_desk.documents.slip import (
    FIXED_TEXT_FIELDS,
    FREE_TEXT_FIELDS,
    checked_slip,
    render_slip,
)

pypdf = pytest.importorskip("pypdf", reason="pypdf (test dependency) is needed to read PDFs")


WELSH_NAME = "Gwenllïan Ŵyn Llŷr ap Rhydderch-Łukasiewicz"
FORBIDDEN = re.compile(r"offence|offense|conviction|risk|mappa", re.IGNORECASE)


def make_slip(**changes: object) -> SlipData:
    base = SlipData(
        reference="K7M-3QH",
        person_name=WELSH_NAME,
        service_name="Tenancy Support Drop-in",
        organisation_name="Cymdeithas Tai & Gofal <Gogledd>",
        address_lines=("Uned 4, Canolfan Fusnes", "Ffordd Caergybi", "Bangor", "LL57 1AA"),
        phone="01248 123 456",
        email="referrals@tai.example.org",
        how_to_go="Phone to book your first visit.",
        opening_times="Monday to Friday, 9am to 5pm",
        what_to_bring="Photo ID if you have it and any tenancy letters.",
        appointment_at=datetime(2025, 1, 14, 10, 30),
        appointment_place="Room 3, first floor",
        officer_name="Siân Morgan",
        officer_phone="01248 987 654",
        office_name="Bangor Probation Office",
        made_on=date(2025, 1, 6),
    )
    return dataclasses.replace(base, **changes)


def pdf_pages(pdf: bytes) -> list[pypdf.PageObject]:
    return list(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def flat_text(pdf: bytes) -> str:
    """All text on all pages with whitespace (including line wraps) collapsed to single spaces."""
    return " ".join(" ".join(page.extract_text() for page in pdf_pages(pdf)).split())


def decode_qr(image: Image.Image) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test dependency) decodes QR")
    return [
        result.text
        for result in zxingcpp.read_barcodes(image)
        if result.format == zxingcpp.BarcodeFormat.QRCode
    ]


def ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    """Bounding box of everything darker than light grey (the tinted panel does not count)."""
    mask = ImageOps.invert(image).point(lambda v: 255 if v > 60 else 0)
    box = mask.getbbox()
    assert box is not None, "page is blank"
    return box


# --- what is on the slip ---------------------------------------------------------------------


def test_slip_shows_everything_the_person_needs() -> None:
    text = flat_text(render_slip(make_slip()))

    for expected in (
        "Your referral to Tenancy Support Drop-in",
        "Run by Cymdeithas Tai & Gofal <Gogledd>",
        WELSH_NAME,
        "Reference: K7M-3QH",
        "Uned 4, Canolfan Fusnes",
        "Ffordd Caergybi",
        "LL57 1AA",
        "01248 123 456",
        "referrals@tai.example.org",
        "Monday to Friday, 9am to 5pm",
        "Photo ID if you have it and any tenancy letters.",
        "Tuesday 14 January 2025 at 10:30am",
        "Room 3, first floor",
        "Siân Morgan",
        "01248 987 654",
        "Bangor Probation Office",
        "Referral made on 6 January 2025.",
        "Printed on",
    ):
        assert expected in text, expected
    # With an appointment booked, "phone to book your first visit" would only confuse.
    assert "Phone to book your first visit." not in text
    assert "Phone to book your first visit." in flat_text(
        render_slip(make_slip(appointment_at=None))
    )
    for heading in ("Where to go", "When", "What to bring", "Contact", "Your officer"):
        assert heading in text


def test_reference_is_one_unbroken_text_run_without_letter_spacing() -> None:
    pdf = render_slip(make_slip(reference="W4X-9TN"))
    content = pdf_pages(pdf)[0].get_contents().get_data()

    block = re.search(rb"BT((?:(?!ET).)*\(Reference: W4X-9TN\) Tj(?:(?!ET).)*)ET", content, re.S)
    assert block is not None, "the reference must be drawn by a single text-showing operator"
    assert b" Tc" not in block.group(1) and b" Tz" not in block.group(1)

    runs: list[str] = []
    pdf_pages(pdf)[0].extract_text(visitor_text=lambda text, *_: runs.append(text.strip()))
    assert "Reference: W4X-9TN" in runs


def test_appointment_not_yet_known_is_said_plainly() -> None:
    text = flat_text(render_slip(make_slip(appointment_at=None, appointment_place="")))
    assert "You do not have an appointment yet." in text
    assert "Your appointment is on" not in text


@pytest.mark.parametrize(
    ("at", "words"),
    [
        (datetime(2025, 3, 3, 14, 0), "Monday 3 March 2025 at 2pm"),
        (datetime(2025, 3, 8, 12, 0), "Saturday 8 March 2025 at midday"),
        (datetime(2025, 12, 31, 9, 5), "Wednesday 31 December 2025 at 9:05am"),
    ],
)
def test_times_are_written_in_plain_english(at: datetime, words: str) -> None:
    assert words in flat_text(render_slip(make_slip(appointment_at=at)))


def test_confidential_address_shows_only_the_contact() -> None:
    text = flat_text(render_slip(make_slip(address_lines=None)))
    assert "does not publish its address" in text
    assert "01248 123 456" in text
    assert "Canolfan Fusnes" not in text and "LL57" not in text


# --- what is never on the slip ---------------------------------------------------------------


def test_slip_data_has_no_field_for_descriptions_offences_or_risk() -> None:
    names = {f.name for f in dataclasses.fields(SlipData)}
    assert not {
        n for n in names if re.search(r"descr|offen|convict|risk|mappa|crn|nomis|dob|birth", n)
    }
    # Every text field is either refused when it mentions a forbidden word or filtered.
    text_fields = names - {"address_lines", "appointment_at", "made_on", "printed_on"}
    assert text_fields == set(FREE_TEXT_FIELDS) | set(FIXED_TEXT_FIELDS)


def test_slip_text_never_contains_forbidden_words_even_from_directory_text() -> None:
    slip = make_slip(
        what_to_bring="Photo ID. Do not bring papers about your offence. A pen.",
        opening_times="Tuesdays 10am to 2pm.\nMAPPA cases by arrangement only.",
        how_to_go="Phone first. We assess risks at the first visit; convictions are no barrier.",
        appointment_place="Room 3. Risk assessment room.",
    )
    text = flat_text(render_slip(slip)) + flat_text(
        render_slip(dataclasses.replace(slip, appointment_at=None))
    )

    assert not FORBIDDEN.search(text)
    for kept in ("Photo ID.", "A pen.", "Tuesdays 10am to 2pm.", "Phone first.", "Room 3."):
        assert kept in text


def test_words_merely_containing_the_letters_are_not_censored() -> None:
    slip = make_slip(
        address_lines=("1 Church Lane", "Friskney", "PE22 8RZ"),
        how_to_go="A brisk walk.",
        appointment_at=None,
    )
    text = flat_text(render_slip(slip))
    assert "Friskney" in text and "A brisk walk." in text


@pytest.mark.parametrize(
    "field",
    ["service_name", "organisation_name", "person_name", "officer_name", "office_name"],
)
def test_names_mentioning_forbidden_words_are_refused_without_echoing_them(field: str) -> None:
    slip = make_slip(**{field: "Secret Risk Person"})
    with pytest.raises(ValueError) as caught:
        render_slip(slip)
    assert "Secret" not in str(caught.value)


def test_address_mentioning_forbidden_words_is_refused() -> None:
    with pytest.raises(ValueError, match="address"):
        checked_slip(make_slip(address_lines=("Conviction Court", "Leeds")))


def test_metadata_carries_no_personal_data_and_the_print_day() -> None:
    pdf = render_slip(make_slip(printed_on=date(2025, 1, 8)))
    info = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert info is not None
    assert "Gwenll" not in str(dict(info))
    assert info["/Title"] == "Referral slip K7M-3QH"
    assert info["/Producer"] == "Referral Desk" and info["/Creator"] == "Referral Desk"
    assert info["/CreationDate"].startswith("D:20250108000000")  # the print day, not 2000
    assert info["/ModDate"].startswith("D:20250108000000")


# --- sizes, determinism, fonts ---------------------------------------------------------------


def test_default_is_a4_and_a5_is_available() -> None:
    a4 = pdf_pages(render_slip(make_slip()))[0].mediabox
    a5 = pdf_pages(render_slip(make_slip(), "A5"))[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)
    assert (round(float(a5.width)), round(float(a5.height))) == (420, 595)


@pytest.mark.parametrize("size", ["Letter", "A3", "", "a4 landscape"])
def test_unknown_sizes_are_refused(size: str) -> None:
    with pytest.raises(ValueError, match="A4 or A5"):
        render_slip(make_slip(), size)


def test_same_data_gives_byte_identical_pdf_even_in_a_fresh_process() -> None:
    first, second = render_slip(make_slip()), render_slip(make_slip())
    assert first == second
    assert render_slip(make_slip(reference="W4X-9TN")) != first

    code = (
        "import hashlib, sys, test_module as t\n"
        "sys.stdout.write(hashlib.sha256(t.render_slip(t.make_slip())).hexdigest())\n"
    )
    here = Path(__file__).parent
    out = subprocess.run(
        [sys.executable, "-c", code.replace("test_module", Path(__file__).stem)],
        cwd=here,
        env={"PYTHONPATH": f"{here}{os.pathsep}{here.parent}", "PATH": "", "PYTHONHASHSEED": "123"},
        check=True,
        capture_output=True,
        text=True,
    )
    assert out.stdout == hashlib.sha256(first).hexdigest()


def test_importing_the_documents_layer_does_no_work() -> None:
    code = (
        "import referral_desk.documents.batch, referral_desk.documents.provider_form\n"
        "from reportlab.pdfbase import pdfmetrics\n"
        "print(len(pdfmetrics.getRegisteredFontNames()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "0", "fonts must be registered lazily, not at import"


def test_non_ascii_names_use_the_embedded_font() -> None:
    pdf = render_slip(make_slip(person_name="Łucja Ŵyn Llŷr"))
    assert "Łucja Ŵyn Llŷr" in flat_text(pdf)
    fonts = pdf_pages(pdf)[0]["/Resources"]["/Font"]
    assert fonts
    for ref in fonts.values():
        font = ref.get_object()
        # Every font is an embedded TrueType subset: no base-14 font a PC might substitute.
        assert font["/Subtype"] == "/TrueType"
        assert "/FontFile2" in font["/FontDescriptor"].get_object()


# --- how it looks --------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["A4", "A5"])
def test_qr_code_decodes_to_the_reference(tmp_path: Path, size: str) -> None:
    pages = render_png(render_slip(make_slip(reference="HJ3-RX7"), size), tmp_path, dpi=150)
    assert decode_qr(pages[0]) == ["HJ3-RX7"]


@pytest.mark.parametrize(("size", "pixels"), [("A4", (827, 1169)), ("A5", (583, 827))])
def test_typical_slip_renders_to_one_page(tmp_path: Path, size: str, pixels: tuple) -> None:
    pages = render_png(render_slip(make_slip(), size), tmp_path)
    assert len(pages) == 1
    width, height = pages[0].size
    assert abs(width - pixels[0]) <= 1 and abs(height - pixels[1]) <= 1
    bottom = ink_box(pages[0])[3]
    assert bottom > pixels[1] * 0.5, "a slip with all sections fills more than half the page"


@pytest.mark.parametrize("size", ["A4", "A5"])
def test_long_names_and_addresses_wrap_inside_the_margins(tmp_path: Path, size: str) -> None:
    slip = make_slip(
        person_name=WELSH_NAME + " " + WELSH_NAME,
        service_name="Cymorth Tai Gogledd Cymru – Housing Support and Tenancy Sustainment Service",
        organisation_name="Cymdeithas Tai Clwyd a'r Gororau a Phartneriaid Llanfairpwllgwyngyll",
        address_lines=(
            "Uned 4, Canolfan Fusnes Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
            "Ffordd Caergybi a Bangor Uchaf, Ynys Môn",
            "LL61 5YU",
        ),
        email="atgyfeirio.tai.gogledd.cymru.cymdeithas@cymorthtaigogleddcymru.example.org.uk",
    )
    pdf = render_slip(slip, size)
    text = flat_text(pdf)
    assert "Ynys Môn" in text and "LL61 5YU" in text and "Llanfairpwll" in text
    dpi = 100
    margin_px = (16 if size == "A4" else 10) / 25.4 * dpi
    for page in render_png(pdf, tmp_path, dpi=dpi):
        left, _top, right, _bottom = ink_box(page)
        assert left >= margin_px - 2
        assert right <= page.size[0] - margin_px + 2, "text ran into the right margin"


# --- batch ---------------------------------------------------------------------------------


def test_batch_puts_each_slip_on_its_own_page(tmp_path: Path) -> None:
    references = ["K7M-3QH", "W4X-9TN", "HJ3-RX7"]
    pdf = render_slips([make_slip(reference=r) for r in references], "A4")
    pages = pdf_pages(pdf)
    assert len(pages) == 3
    for page, reference in zip(pages, references, strict=True):
        assert f"Reference: {reference}" in page.extract_text()
    images = render_png(pdf, tmp_path, dpi=150)
    assert [decode_qr(image) for image in images] == [[r] for r in references]


def test_batch_pages_match_single_slips_and_are_deterministic() -> None:
    slips = [make_slip(reference=r) for r in ("K7M-3QH", "W4X-9TN")]
    batch = render_slips(iter(slips))
    assert batch == render_slips(slips)
    single = pdf_pages(render_slip(slips[1]))[0].get_contents().get_data()
    assert pdf_pages(batch)[1].get_contents().get_data() == single


def test_batch_refuses_empty_jobs_and_names_the_bad_slip_by_position() -> None:
    with pytest.raises(ValueError, match="no slips"):
        render_slips([])
    bad = make_slip(service_name="Risk Service")
    with pytest.raises(ValueError, match=r"^Slip 2: "):
        render_slips([make_slip(), bad])
    with pytest.raises(ValueError, match="A4 or A5"):
        render_slips([make_slip()], "B5")
