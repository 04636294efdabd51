"""Page set-up, type sizes and small building blocks shared by every document.

Kept in one place so both documents look like one family and obey the same rules:
- deterministic bytes: reportlab's `invariant` mode (fixed dates and document id), fixed creator
  and producer strings, no personal data in the PDF metadata;
- large, plain type: at least 14 pt body text on A4 and 12 pt on A5;
- data is escaped before it reaches reportlab's paragraph markup, so a name with `&` or `<` prints
  as typed instead of breaking the layout.

The shared flowables are `flowables`; writing a story onto pages (the PDF metadata, footers)
is `pages`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Paragraph,
    Table,
    TableStyle,
)

from referral_desk.documents.fonts import font_family

__all__ = [
    "INK",
    "MUTED",
    "RULE",
    "TINT",
    "Layout",
    "format_date",
    "format_datetime",
    "format_time",
    "layout_for",
    "para",
    "summary_table",
    "table_style",
    "text_markup",
]

PRODUCER = "Referral Desk"
INK = colors.HexColor("#0b0c0c")
MUTED = colors.HexColor("#505a5f")
RULE = colors.HexColor("#b1b4b6")
TINT = colors.HexColor("#f3f2f1")

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Layout:
    """Everything that changes between A4 and A5: page, margins and the type scale."""

    name: str
    pagesize: tuple[float, float]
    margin: float
    body: float
    small: float
    heading: float
    title: float
    reference: float
    qr_size: float
    label_width: float
    gap: float = 4 * mm
    """Vertical space between blocks; smaller on A5 so a typical slip stays on one page."""

    @property
    def frame_width(self) -> float:
        return self.pagesize[0] - 2 * self.margin

    @property
    def frame_height(self) -> float:
        return self.pagesize[1] - 2 * self.margin

    def style(self, role: str) -> ParagraphStyle:
        """A paragraph style for `role`: body, bold, small, heading, title or subtitle."""
        fonts = font_family()
        size, bold, colour = {
            "body": (self.body, False, INK),
            "bold": (self.body, True, INK),
            "small": (self.small, False, MUTED),
            "heading": (self.heading, True, INK),
            "title": (self.title, True, INK),
            "subtitle": (self.heading, False, INK),
        }[role]
        return ParagraphStyle(
            role,
            fontName=fonts.bold if bold else fonts.regular,
            fontSize=size,
            leading=round(size * 1.25, 1),
            textColor=colour,
            alignment=TA_LEFT,
            spaceAfter=0,
            # Long words (e-mail addresses, URLs) break rather than run off the page.
            splitLongWords=1,
        )


_LAYOUTS = {
    "A4": Layout(
        name="A4",
        pagesize=A4,
        margin=16 * mm,
        body=14,
        small=10.5,
        heading=14,
        title=24,
        reference=30,
        qr_size=34 * mm,
        label_width=44 * mm,
    ),
    "A5": Layout(
        name="A5",
        pagesize=A5,
        margin=10 * mm,
        body=12,
        small=9,
        heading=12,
        title=18,
        reference=24,
        qr_size=26 * mm,
        label_width=37 * mm,
        gap=2.5 * mm,
    ),
}


# The provider form is read by staff at a desk and holds more text, so its type is smaller; it
# still meets the 12 pt minimum on A4 that the slip's plain-English rules set for A5.
_FORM_LAYOUTS = {
    "A4": Layout(
        name="A4",
        pagesize=A4,
        margin=16 * mm,
        body=12,
        small=9,
        heading=14,
        title=20,
        reference=20,
        qr_size=24 * mm,
        label_width=48 * mm,
    ),
    "A5": Layout(
        name="A5",
        pagesize=A5,
        margin=10 * mm,
        body=10,
        small=7.5,
        heading=12,
        title=16,
        reference=16,
        qr_size=20 * mm,
        label_width=38 * mm,
        gap=2.5 * mm,
    ),
}


def layout_for(size: str, *, form: bool = False) -> Layout:
    """The slip (or with `form`, the provider form) layout for "A4" or "A5", case-insensitive.

    Anything else is a ValueError.
    """
    key = size.strip().upper() if isinstance(size, str) else ""
    table = _FORM_LAYOUTS if form else _LAYOUTS
    try:
        return table[key]
    except KeyError:
        raise ValueError("Page size must be A4 or A5") from None


def text_markup(text: str) -> str:
    """Escape `text` for paragraph markup, keeping the writer's line breaks."""
    lines = [escape(line.strip()) for line in text.strip().splitlines()]
    return "<br/>".join(line for line in lines if line)


def para(text: str, style: ParagraphStyle, *, markup: bool = False) -> Paragraph:
    """A paragraph of plain `text` (escaped) or of trusted `markup` built by this package."""
    return Paragraph(text if markup else text_markup(text), style)


def format_date(value: date) -> str:
    """ "3 March 2025": spelled-out month, no locale lookups, so output never varies by PC."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def format_time(value: datetime) -> str:
    """GOV.UK style times: "10:30am", "2pm", "midday", "midnight"."""
    if value.minute == 0 and value.hour in (0, 12):
        return "midnight" if value.hour == 0 else "midday"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def format_datetime(value: datetime) -> str:
    """ "Tuesday 14 January 2025 at 10:30am"."""
    return f"{_DAYS[value.weekday()]} {format_date(value)} at {format_time(value)}"


def table_style(commands: Sequence[tuple]) -> TableStyle:
    """A TableStyle whose cells use the embedded font.

    reportlab sets each cell's font even when the cell holds paragraphs; left at its Helvetica
    default, that would add a base-14 font (Latin-1 only, substituted by the viewer) to the PDF.
    """
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), font_family().regular), *commands])


def summary_table(
    rows: Sequence[tuple[str, Sequence[Flowable]]], layout: Layout, *, top_rule: bool = True
) -> Table:
    """Label / content rows with hairlines between them (like a GOV.UK summary list).

    Labels sit in a narrow left column so each section costs no extra line of height, which keeps
    an A5 slip to one page.
    """
    label_style = layout.style("bold")
    data = [[para(label, label_style), list(content)] for label, content in rows]
    table = Table(
        data,
        colWidths=[layout.label_width, layout.frame_width - layout.label_width],
        hAlign="LEFT",
        splitByRow=1,
        # A row taller than a page (a 4 000-character description) flows on to the next page
        # instead of ending the whole document in a LayoutError.
        splitInRow=1,
    )
    commands: list[tuple] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (0, -1), 3 * mm),
        ("RIGHTPADDING", (1, 0), (1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), layout.gap * 0.4 + layout.body * 0.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), layout.gap * 0.4 + layout.body * 0.3),
        ("LINEBELOW", (0, 0), (-1, -1), 0.6, RULE),
    ]
    if top_rule:
        commands.append(("LINEABOVE", (0, 0), (-1, 0), 0.6, RULE))
    table.setStyle(table_style(commands))
    return table
