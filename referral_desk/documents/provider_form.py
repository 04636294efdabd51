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
    Flowable,
    KeepTogether,
    Spacer,
    Table,
)

from referral_desk.documents.flowables import OneLine, contact_line, qr_code
from referral_desk.documents.fonts import font_family
from referral_desk.documents.layout import (
    INK,
    MUTED,
    RULE,
    Layout,
    format_date,
    layout_for,
    para,
    summary_table,
    table_style,
    text_markup,
)
from referral_desk.documents.model import ProviderFormData
from referral_desk.documents.pages import PageFooter, write_pdf

__all__ = ["render_provider_form"]

_FOOTER_NOTE = (
    "Personal information shared with the person's consent. Keep it secure; destroy it when no"
    " longer needed."
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


class WriteIn(Flowable):
    """Blanks to fill in by hand: each a small label over a line, with gaps between them.

    `fields` are (label, share of the width); `indent` leaves the left part empty so a blank can
    sit under the text it belongs to.
    """

    def __init__(
        self,
        fields: list[tuple[str, float]],
        layout: Layout,
        *,
        indent: float = 0.0,
        gap: float = 5 * mm,
    ):
        super().__init__()
        self.fields = fields
        self.font = font_family().regular
        self.label_size = layout.small
        self.indent = indent
        self.gap = gap
        self.height = layout.body * 2.6

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        usable = self.width - self.indent - self.gap * (len(self.fields) - 1)
        x = self.indent
        for label, share in self.fields:
            width = usable * share
            canvas.setFillColor(MUTED)
            canvas.setFont(self.font, self.label_size)
            canvas.drawString(x, self.height - self.label_size, label)
            canvas.setStrokeColor(INK)
            canvas.setLineWidth(0.8)
            canvas.line(x, 0, x + width, 0)
            x += width + self.gap


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
    if data.provider_contact.strip():
        # The provider's own address, labelled as theirs: never to be read as the person's.
        left.append(
            contact_line(
                "Sent to your referral contact", data.provider_contact, layout.style("small")
            )
        )
    side = layout.qr_size
    table = Table(
        [[left, qr_code(data.reference, side)]],
        colWidths=[layout.frame_width - side, side],
        hAlign="LEFT",
    )
    table.setStyle(
        table_style(
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
    """Needs are stacked (category over detail) because category labels are long phrases."""
    if not data.needs:
        return []
    body, bold = layout.style("body"), layout.style("bold")
    rows = [
        [[para(need.category_label, bold), para(need.description or "No further detail.", body)]]
        for need in data.needs
    ]
    table = Table(rows, colWidths=[layout.frame_width], hAlign="LEFT", splitInRow=1)
    table.setStyle(
        table_style(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), layout.body * 0.45),
                ("BOTTOMPADDING", (0, 0), (-1, -1), layout.body * 0.55),
                ("LINEABOVE", (0, 0), (-1, 0), 0.6, RULE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.6, RULE),
            ]
        )
    )
    return [*_heading("What they need help with", layout), table]


def _person_contact(data: ProviderFormData) -> str:
    """How the provider reaches the person: directly only if the person agreed to share a
    contact, otherwise through the referring officer (never the provider's own address)."""
    if data.contact_details and data.contact_details.strip():
        return f"Directly, as they agreed: {data.contact_details.strip()}"
    return "Through the referring officer (details below): the person did not share a contact."


def _contact(data: ProviderFormData, layout: Layout) -> list[Flowable]:
    pairs = [
        ("How to contact them", _person_contact(data)),
        ("Accessibility needs", data.accessibility_needs),
        (
            "Interpreter",
            data.interpreter_language and f"Needs an interpreter: {data.interpreter_language}",
        ),
        ("Availability", data.availability),
    ]
    rows = _text_rows(pairs, layout)
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
    ]
    rows = _text_rows(pairs, layout)
    if data.officer_email.strip():
        rows.append(("Email", [contact_line("", data.officer_email, layout.style("body"))]))
    if not rows:
        return []
    return [*_heading("Referring officer", layout), summary_table(rows, layout)]


def _reply(data: ProviderFormData, layout: Layout) -> KeepTogether:
    body, bold = layout.style("body"), layout.style("bold")
    back_to = ", ".join(
        part.strip()
        for part in (data.officer_name, data.officer_email, data.officer_phone)
        if part and part.strip()
    )
    instruction = (
        "Tick one box and fill in the details. Send this page back to"
        f" {back_to or 'the referring officer'}, quoting the reference {data.reference}."
    )
    pad = 4 * mm
    inner = layout.frame_width - 2 * pad
    box = layout.body * 1.1
    tick_col, label_col = box + 3 * mm, layout.label_width - box - 3 * mm
    options = [
        ("Accepted", "We accept this referral."),
        ("Waiting list", "We have put them on our waiting list."),
        ("Declined", "We cannot accept this referral. Reason:"),
    ]
    choice = Table(
        [[CheckBox(box), para(label, bold), para(text, body)] for label, text in options],
        colWidths=[tick_col, label_col, inner - tick_col - label_col],
        hAlign="LEFT",
    )
    choice.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5 * mm),
            ]
        )
    )
    reason = WriteIn([("", 1.0)], layout, indent=tick_col + label_col)
    panel_content: list[Flowable] = [
        choice,
        reason,
        Spacer(1, 4 * mm),
        para("First appointment, if you have offered one", bold),
        WriteIn([("Date", 0.3), ("Time", 0.2), ("Place", 0.5)], layout),
        Spacer(1, 4 * mm),
        para("Who is replying", bold),
        WriteIn([("Your name", 0.4), ("Phone or email", 0.4), ("Date", 0.2)], layout),
    ]
    panel = Table([[panel_content]], colWidths=[layout.frame_width], hAlign="LEFT")
    panel.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad * 0.75),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
            ]
        )
    )
    return KeepTogether(
        [
            *_heading("Your reply", layout),
            para(instruction, body),
            Spacer(1, 2.5 * mm),
            panel,
        ]
    )


def _footer(data: ProviderFormData, layout: Layout) -> PageFooter:
    fonts = font_family()
    note = para(_FOOTER_NOTE, layout.style("small"))

    def draw(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        left, right = layout.margin, layout.pagesize[0] - layout.margin
        _, note_height = note.wrap(layout.frame_width, layout.margin)
        note_bottom = layout.margin + layout.small * 1.5
        note.drawOn(canvas, left, note_bottom)
        rule_y = note_bottom + note_height + layout.small * 0.4
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(left, rule_y, right, rule_y)
        canvas.setFillColor(MUTED)
        canvas.setFont(fonts.bold, layout.small)
        canvas.drawString(left, layout.margin, f"Reference: {data.reference}")
        canvas.drawRightString(right, layout.margin, f"Page {page} of {total}")
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
        footer=_footer(data, layout),
        footer_height=layout.small * 6,
        printed_on=data.printed_on,
    )
