"""Writing a story onto pages: the same story on the same day gives the same bytes, the PDF's
dates are the day it was printed, and "Page n of m" footers know the total."""

from __future__ import annotations

import io
from datetime import date

import pypdf
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import PageBreak, Paragraph

from referral_desk.documents.layout import layout_for
from referral_desk.documents.pages import write_pdf


def _story() -> list:
    body = layout_for("A4").style("body")
    return [Paragraph("First page", body), PageBreak(), Paragraph("Second", body)]


def test_the_same_story_on_the_same_day_gives_the_same_bytes() -> None:
    day = date(2026, 3, 2)
    first = write_pdf(_story(), layout_for("A4"), title="REF-1", printed_on=day)
    again = write_pdf(_story(), layout_for("A4"), title="REF-1", printed_on=day)
    later = write_pdf(_story(), layout_for("A4"), title="REF-1", printed_on=date(2026, 3, 3))
    assert first == again
    assert first != later


def test_the_metadata_holds_the_title_and_the_day_printed_and_nothing_else() -> None:
    pdf = write_pdf(_story(), layout_for("A5"), title="REF-2", printed_on=date(2026, 3, 2))
    info = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert info is not None
    assert info.title == "REF-2"
    assert not info.author and not info.subject
    assert info.creation_date is not None and info.creation_date.date() == date(2026, 3, 2)


def test_footers_are_drawn_once_every_page_is_known() -> None:
    seen: list[tuple[int, int]] = []

    def footer(canvas: Canvas, number: int, total: int) -> None:
        seen.append((number, total))

    pdf = write_pdf(_story(), layout_for("A4"), title="REF-3", footer=footer, footer_height=20)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 2
    assert seen == [(1, 2), (2, 2)]
