"""The referral slip handed to the person: where to go, when, what to bring, who to call.

Written for someone who may not read easily and may be anxious about going: large type, plain
English, one page, and the reference big enough to read over the phone. It carries the minimum
personal data (the person's name) and nothing about offences or risk: the slip is shown at a
reception desk, left on a table, carried in a pocket.

Guard: the slip never contains the words offence, conviction, risk or MAPPA. The data class has no
field for them, and as a second line of defence directory text that mentions them anyway is
dropped sentence by sentence (opening times, what to bring, how to go, appointment place); a name
or address that contains one raises ValueError naming only the field, because silently changing a
name would send the person to the wrong place.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Spacer, Table

from referral_desk.documents.flowables import OneLine, contact_line, qr_code
from referral_desk.documents.fonts import font_family
from referral_desk.documents.layout import (
    MUTED,
    RULE,
    TINT,
    Layout,
    format_date,
    format_datetime,
    layout_for,
    para,
    summary_table,
    table_style,
    text_markup,
)
from referral_desk.documents.model import SlipData
from referral_desk.documents.pages import Marker, PageDecorator, marker_state, write_pdf

__all__ = [
    "FIXED_TEXT_FIELDS",
    "FORBIDDEN_WORDS",
    "FREE_TEXT_FIELDS",
    "checked_slip",
    "continuation_footer",
    "render_slip",
    "slip_story",
]

FORBIDDEN_WORDS = ("offence", "conviction", "risk", "MAPPA")
# A word that starts with one of them (risks, risky, convictions, offences, MAPPA-eligible) counts;
# the same letters inside another word (brisk, Friskney, asterisk) do not.
_FORBIDDEN = re.compile(r"\b(?:offen[cs]e|conviction|risk|mappa)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")

# Directory free text: a sentence that mentions a forbidden word is dropped, the rest is kept.
FREE_TEXT_FIELDS = ("how_to_go", "opening_times", "what_to_bring", "appointment_place")
# Names, addresses and contacts: changing them could mislead, so refuse to print instead.
FIXED_TEXT_FIELDS = {
    "reference": "reference",
    "person_name": "person's name",
    "service_name": "service name",
    "organisation_name": "organisation name",
    "phone": "service phone number",
    "email": "service email address",
    "officer_name": "officer's name",
    "officer_phone": "officer's phone number",
    "office_name": "office name",
}


def _drop_forbidden_sentences(text: str) -> str:
    kept_lines = []
    for line in text.splitlines():
        sentences = [s for s in _SENTENCE_END.split(line.strip()) if s]
        kept = [s for s in sentences if not _FORBIDDEN.search(s)]
        if kept:
            kept_lines.append(" ".join(kept))
    return "\n".join(kept_lines)


def checked_slip(data: SlipData) -> SlipData:
    """Return `data` made safe for a slip, or raise ValueError (message names the field only)."""
    if not data.reference.strip():
        raise ValueError("A slip needs the referral reference")
    if any(ch.isspace() for ch in data.reference):
        raise ValueError("The referral reference must not contain spaces or line breaks")
    for name, label in FIXED_TEXT_FIELDS.items():
        if _FORBIDDEN.search(getattr(data, name)):
            raise ValueError(f"The slip cannot show the {label}: it uses a word slips never carry")
    for line in data.address_lines or ():
        if _FORBIDDEN.search(line):
            raise ValueError("The slip cannot show the address: it uses a word slips never carry")
    cleaned = {name: _drop_forbidden_sentences(getattr(data, name)) for name in FREE_TEXT_FIELDS}
    return replace(data, **cleaned)


def _where(data: SlipData, layout: Layout) -> list[Flowable]:
    body = layout.style("body")
    if data.address_lines is None:
        return [
            para(
                "This service does not publish its address. Phone or email them and they will"
                " tell you where to go.",
                body,
            )
        ]
    lines = [line for line in data.address_lines if line.strip()]
    if not lines:
        return [para("Phone or email them to ask where to go.", body)]
    return [para("\n".join(lines), body)]


def _when(data: SlipData, layout: Layout) -> list[Flowable]:
    body, bold = layout.style("body"), layout.style("bold")
    out: list[Flowable] = []
    if data.appointment_at is not None:
        out.append(para(f"Your appointment is on {format_datetime(data.appointment_at)}", bold))
        if data.appointment_place.strip():
            markup = f"<b>Place:</b> {text_markup(data.appointment_place)}"
            out.append(para(markup, body, markup=True))
    else:
        out.append(para("You do not have an appointment yet.", body))
        # "Phone to arrange your first visit" only while there is no appointment to go to.
        if data.how_to_go.strip():
            out.append(para(data.how_to_go, body))
    if data.opening_times.strip():
        markup = f"<b>Open:</b> {text_markup(data.opening_times)}"
        out.append(para(markup, body, markup=True))
    return out


def _contact(data: SlipData, layout: Layout) -> list[Flowable]:
    body = layout.style("body")
    out: list[Flowable] = []
    if data.phone.strip():
        out.append(contact_line("Phone", data.phone, body))
    if data.email.strip():
        out.append(contact_line("Email", data.email, body))
    return out


def _officer(data: SlipData, layout: Layout) -> list[Flowable]:
    body = layout.style("body")
    out: list[Flowable] = []
    if data.officer_name.strip():
        out.append(para(data.officer_name, body))
    if data.office_name.strip():
        out.append(para(data.office_name, body))
    if data.officer_phone.strip():
        out.append(contact_line("Phone", data.officer_phone, body))
    return out


def _reference_box(data: SlipData, layout: Layout) -> Table:
    fonts = font_family()
    qr_side = layout.qr_size
    text_width = layout.frame_width - qr_side - 6 * mm
    words: list[Flowable] = [
        OneLine(f"Reference: {data.reference}", fonts.bold, layout.reference),
        Spacer(1, 1.5 * mm),
        para("Quote it when you phone, email or visit.", layout.style("body")),
    ]
    dates = [f"Printed on {format_date(data.printed_on or date.today())}."]
    if data.made_on is not None and data.made_on != (data.printed_on or date.today()):
        dates.insert(0, f"Referral made on {format_date(data.made_on)}.")
    words += [Spacer(1, 1.5 * mm), para(" ".join(dates), layout.style("small"))]
    box = Table(
        [[words, qr_code(data.reference, qr_side)]],
        colWidths=[text_width, qr_side + 6 * mm],
        hAlign="LEFT",
    )
    box.setStyle(
        table_style(
            [
                ("BACKGROUND", (0, 0), (-1, -1), TINT),
                ("BOX", (0, 0), (-1, -1), 1.2, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (0, 0), 5 * mm),
                ("RIGHTPADDING", (0, 0), (0, 0), 2 * mm),
                ("LEFTPADDING", (1, 0), (1, 0), 3 * mm),
                ("RIGHTPADDING", (1, 0), (1, 0), 3 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), layout.gap * 0.75),
                ("BOTTOMPADDING", (0, 0), (-1, -1), layout.gap * 0.75),
            ]
        )
    )
    return box


def slip_story(data: SlipData, layout: Layout) -> list[Flowable]:
    """The flowables of one slip; `data` must already have been through `checked_slip`."""
    story: list[Flowable] = [
        Marker(data.reference),
        para(f"Your referral to {data.service_name}", layout.style("title")),
        Spacer(1, 1.5 * mm),
    ]
    organisation = data.organisation_name.strip()
    if organisation and organisation != data.service_name.strip():
        story.append(para(f"Run by {organisation}", layout.style("subtitle")))
    story += [
        Spacer(1, 1.5 * mm),
        para(f"For <b>{text_markup(data.person_name)}</b>", layout.style("body"), markup=True),
        Spacer(1, layout.gap),
        _reference_box(data, layout),
        Spacer(1, layout.gap),
    ]
    body = layout.style("body")
    rows = [
        ("Where to go", _where(data, layout)),
        ("When", _when(data, layout)),
    ]
    if data.what_to_bring.strip():
        rows.append(("What to bring", [para(data.what_to_bring, body)]))
    contact = _contact(data, layout)
    if contact:
        rows.append(("Contact", contact))
    officer = _officer(data, layout)
    if officer:
        rows.append(("Your officer", officer))
    cannot_go = "Tell your officer as soon as you can. They can help you sort it out."
    rows.append(("Cannot go?", [para(cannot_go, body)]))
    story.append(summary_table(rows, layout))
    return story


def continuation_footer(layout: Layout) -> PageDecorator:
    """Page-end decoration: a slip that runs onto a second page says whose page it is."""
    fonts = font_family()

    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        state = marker_state(doc)
        if state is None or state[1] == canvas.getPageNumber():
            return
        canvas.saveState()
        canvas.setFont(fonts.regular, layout.small)
        canvas.setFillColor(MUTED)
        canvas.drawString(layout.margin, layout.margin * 0.5, f"Reference: {state[0]} (continued)")
        canvas.restoreState()

    return draw


def render_slip(data: SlipData, size: str = "A4") -> bytes:
    """One referral slip as PDF bytes, on A4 (default) or A5; other sizes are a ValueError.

    The same data always gives the same bytes.
    """
    layout = layout_for(size)
    safe = checked_slip(data)
    return write_pdf(
        slip_story(safe, layout),
        layout,
        title=f"Referral slip {safe.reference}",
        on_page_end=continuation_footer(layout),
        printed_on=safe.printed_on,
    )
