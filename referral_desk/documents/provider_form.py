"""The referral form sent to the provider: the consented minimum, plus room for their reply.

Many small providers reply on paper or by a scanned page, so the form ends with a reply section
(accepted / waiting list / declined with reason / first appointment) laid out in the same order
the officer keys it back in, and every page carries the reference.

Only what `ProviderFormData` carries can appear, and optional personal fields the officer did not
share are left out entirely. Risk information appears only when the officer explicitly chose to
share it (`risk_note`); otherwise the form does not mention risk at all.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    KeepTogether,
    Spacer,
    Table,
    TableStyle,
)

from referral_desk.documents.fonts import font_family
from referral_desk.documents.layout import (
    INK,
    MUTED,
    RULE,
    Layout,
    OneLine,
    PageDecorator,
    format_date,
    layout_for,
    para,
    qr_code,
    summary_table,
    text_markup,
    write_pdf,
)
from referral_desk.documents.model import ProviderFormData

__all__ = ["render_provider_form"]

_FOOTER_NOTE = (
    "Personal information shared with the person's consent. Keep it secure and destroy it when"
    " you no longer need it."
)


class CheckBox(Flowable):
    """An empty square to tick by hand."""

    def __init__(self, side: float):
        super().__init__()
        self.width = self.height = side

    def draw(self) -> None:
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(1)
        self.canv.rect(0, 0, self.width, self.height, stroke=1, fill=0)


def _heading(text: str, layout: Layout) -> list[Flowable]:
    return [Spacer(1, layout.heading * 0.9), para(text, layout.style("heading")), Spacer(1, 2)]


def _header(data: ProviderFormData, layout: Layout) -> Table:
    fonts = font_family()
    left: list[Flowable] = [
        para("Referral form", layout.style("small")),
        Spacer(1, 1 * mm),
        para(f"Referral to {data.service_name}", layout.style("title")),
    ]
    organisation = data.organisation_name.strip()
    if organisation and organisation != data.service_name.strip():
        left.append(para(organisation, layout.style("subtitle")))
    left += [
        Spacer(1, 2.5 * mm),
        OneLine(f"Reference: {data.reference}", fonts.bold, layout.reference),
        para(f"Sent on {format_date(data.made_on)}", layout.style("body")),
    ]
    side = layout.qr_size
    table = Table(
        [[left, qr_code(data.reference, side)]],
        colWidths=[layout.frame_width - side, side],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
                ("LINEBELOW", (0, 0), (-1, -1), 1.5, INK),
            ]
        )
    )
    return table


def _text_rows(pairs: list[tuple[str, str]], layout: Layout) -> list[tuple[str, list[Flowable]]]:
    body = layout.style("body")
    return [(label, [para(value, body)]) for label, value in pairs if value and value.strip()]


def _person(data: ProviderFormData, layout: Layout) -> list[Flowable]:
    pairs = [("Name", data.person_name)]
    if data.date_of_birth is not None:
        pairs.append(("Date of birth", format_date(data.date_of_birth)))
    if data.contact_details is not None:
        pairs.append(("Contact details", data.contact_details))
    if data.release_date is not None:
        pairs.append(("Expected release", format_date(data.release_date)))
    if data.consent_on is not None:
        pairs.append(("Consent to share", f"Given on {format_date(data.consent_on)}"))
    return [*_heading("About the person", layout), summary_table(_text_rows(pairs, layout), layout)]


def _needs(data: ProviderFormData, layout: Layout) -> list[Flowable]:
    if not data.needs:
        return []
    body = layout.style("body")
    rows = [
        (need.category_label, [para(need.description.strip() or "No further detail given.", body)])
        for need in data.needs
    ]
    return [*_heading("What they need help with", layout), summary_table(rows, layout)]


def _contact(data: ProviderFormData, layout: Layout) -> list[Flowable]:
    pairs = [
        ("Accessibility needs", data.accessibility_needs),
        (
            "Interpreter",
            data.interpreter_language and f"Needs an interpreter: {data.interpreter_language}",
        ),
        ("Availability", data.availability),
        ("How to contact them", data.contact_route),
    ]
    rows = _text_rows(pairs, layout)
    if not rows:
        return []
    return [*_heading("Arranging to see them", layout), summary_table(rows, layout)]


def _risk(data: ProviderFormData, layout: Layout) -> list[Flowable]:
    if data.risk_note is None or not data.risk_note.strip():
        return []
    rows = [("Shared by the officer", [para(data.risk_note, layout.style("body"))])]
    return [*_heading("Risk information", layout), summary_table(rows, layout)]


def _officer(data: ProviderFormData, layout: Layout) -> list[Flowable]:
    pairs = [
        ("Name", data.officer_name),
        ("Team", data.officer_team),
        ("Phone", data.officer_phone),
        ("Email", data.officer_email),
    ]
    rows = _text_rows(pairs, layout)
    if not rows:
        return []
    return [*_heading("Referring officer", layout), summary_table(rows, layout)]


def _write_in(labels: list[tuple[str, float]], layout: Layout, row_height: float) -> Table:
    """A row of labelled blanks to write in: label above, a line to write on below."""
    small = layout.style("small")
    widths = [layout.frame_width * share for _, share in labels]
    table = Table(
        [[para(label, small) for label, _ in labels]],
        colWidths=widths,
        rowHeights=[row_height],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("LINEBELOW", (0, 0), (-1, -1), 0.8, INK),
            ]
        )
    )
    return table


def _reply(data: ProviderFormData, layout: Layout) -> KeepTogether:
    body, bold = layout.style("body"), layout.style("bold")
    back_to = ", ".join(
        part
        for part in (data.officer_name, data.officer_email, data.officer_phone)
        if part and part.strip()
    )
    instruction = "Tick one box and fill in the details."
    if back_to:
        instruction += f" Send this page back to {back_to}, quoting the reference."
    else:
        instruction += " Send this page back to the referring officer, quoting the reference."
    box = layout.body * 1.1
    options = [
        ("Accepted", "We accept this referral."),
        ("Waiting list", "We have put them on our waiting list."),
        ("Declined", "We cannot accept this referral. Reason:"),
    ]
    rows = [[CheckBox(box), para(label, bold), para(text, body)] for label, text in options]
    choice = Table(rows, colWidths=[box + 4 * mm, 34 * mm, None], hAlign="LEFT", rowHeights=None)
    choice.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 2 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2 * mm),
            ]
        )
    )
    line = layout.body * 2.4
    reason = _write_in([("", 1.0)], layout, line)
    appointment = _write_in(
        [("First appointment: date", 0.25), ("Time", 0.2), ("Place", 0.55)], layout, line
    )
    signed = _write_in([("Your name", 0.4), ("Phone or email", 0.4), ("Date", 0.2)], layout, line)
    return KeepTogether(
        [
            *_heading("Your reply", layout),
            para(text_markup(instruction), body, markup=True),
            Spacer(1, 2 * mm),
            choice,
            reason,
            Spacer(1, 3 * mm),
            appointment,
            Spacer(1, 3 * mm),
            signed,
        ]
    )


def _footer(data: ProviderFormData, layout: Layout) -> PageDecorator:
    fonts = font_family()

    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        left, right = layout.margin, layout.pagesize[0] - layout.margin
        step = layout.small * 1.3
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(left, layout.margin + 2 * step, right, layout.margin + 2 * step)
        canvas.setFillColor(MUTED)
        canvas.setFont(fonts.regular, layout.small)
        canvas.drawString(left, layout.margin + step * 0.9, _FOOTER_NOTE)
        canvas.setFont(fonts.bold, layout.small)
        canvas.drawString(left, layout.margin, f"Reference: {data.reference}")
        canvas.drawRightString(right, layout.margin, f"Page {canvas.getPageNumber()}")
        canvas.restoreState()

    return draw


def provider_form_story(data: ProviderFormData, layout: Layout) -> list[Flowable]:
    """The flowables of the provider form, in reading order."""
    body = layout.style("body")
    intro = (
        f"{text_markup(data.officer_name) or 'The referring officer'} is referring the person"
        " below to your service. They have agreed to us sharing this information with you, and"
        " nothing else has been shared."
    )
    return [
        _header(data, layout),
        Spacer(1, 3 * mm),
        para(intro, body, markup=True),
        *_person(data, layout),
        *_needs(data, layout),
        *_contact(data, layout),
        *_risk(data, layout),
        *_officer(data, layout),
        Spacer(1, 2 * mm),
        _reply(data, layout),
    ]


def render_provider_form(data: ProviderFormData, size: str = "A4") -> bytes:
    """The provider referral form as PDF bytes, on A4 (default) or A5; else ValueError.

    The same data always gives the same bytes.
    """
    if not data.reference.strip():
        raise ValueError("A referral form needs the referral reference")
    layout = layout_for(size, form=True)
    return write_pdf(
        provider_form_story(data, layout),
        layout,
        title=f"Referral form {data.reference}",
        on_page_end=_footer(data, layout),
        footer_height=layout.small * 4,
    )
