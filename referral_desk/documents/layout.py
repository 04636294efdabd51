"""Page set-up, type sizes and small building blocks shared by the slip and the provider form.

Kept in one place so both documents look like one family and obey the same rules:
- deterministic bytes: reportlab's `invariant` mode (fixed dates and document id), fixed creator
  and producer strings, no personal data in the PDF metadata;
- large, plain type: at least 14 pt body text on A4 and 12 pt on A5;
- data is escaped before it reaches reportlab's paragraph markup, so a name with `&` or `<` prints
  as typed instead of breaking the layout.
"""

from __future__ import annotations

import calendar
import io
import itertools
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import TimeStamp
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
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
    "Address",
    "Layout",
    "Marker",
    "OneLine",
    "PageDecorator",
    "PageFooter",
    "QrCode",
    "contact_line",
    "dated_canvas",
    "format_date",
    "format_datetime",
    "format_time",
    "layout_for",
    "looks_like_address",
    "marker_state",
    "numbered_canvas",
    "para",
    "qr_code",
    "summary_table",
    "table_style",
    "text_markup",
    "write_pdf",
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


class OneLine(Flowable):
    """A single line of text drawn as one text run, never wrapped or split.

    Used for the referral reference: it must reach the page as exactly the characters of the
    reference, in one piece, so it can be read aloud, copied by hand and found by text search.
    The font shrinks (never below 60% of the asked size) rather than wrap if the frame is narrow.
    """

    def __init__(self, text: str, font_name: str, size: float, colour: colors.Color = INK):
        super().__init__()
        self.text = text
        self.font_name = font_name
        self.size = size
        self.colour = colour
        self._used = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        natural = stringWidth(self.text, self.font_name, self.size)
        scale = min(1.0, avail_width / natural) if natural else 1.0
        self._used = max(self.size * 0.6, self.size * scale)
        self.width = min(avail_width, natural * self._used / self.size)
        self.height = self._used * 1.2
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setFillColor(self.colour)
        canvas.setFont(self.font_name, self._used)
        canvas.drawString(0, self._used * 0.25, self.text)


# Where an address may break: before "@" and ".", after "/" (the usual typesetting rule), so each
# line starts with the punctuation that shows it continues the line above.
_ADDRESS_BREAKS = re.compile(r"(?=[@.])|(?<=/)")


class Address(Flowable):
    """An e-mail address or web address after an optional bold label, never broken mid-word.

    A paragraph would split "hello@collective.example.org.uk" anywhere once it is wider than the
    column ("…collective.exa" / "mple.org.uk"), and a person copying it by hand would write the
    wrong address. Here the address goes on the label's line if it fits, else on lines of its
    own broken only before "@" or "." or after "/"; a single piece wider than the column makes
    the type smaller (never below 60 %) rather than break inside it.
    """

    def __init__(self, label: str, value: str, style: ParagraphStyle):
        super().__init__()
        self.label = label
        self.value = value.strip()
        self.style = style
        self._para: Paragraph | None = None

    def _markup(self, avail_width: float) -> tuple[str, float]:
        fonts = font_family()
        size = self.style.fontSize
        label = f"<b>{escape(self.label)}:</b> " if self.label else ""
        label_width = stringWidth(f"{self.label}: ", fonts.bold, size) if self.label else 0.0
        if label_width + stringWidth(self.value, fonts.regular, size) <= avail_width:
            return label + escape(self.value), size
        pieces = [p for p in _ADDRESS_BREAKS.split(self.value) if p]
        widest = max(stringWidth(p, fonts.regular, size) for p in pieces)
        if widest > avail_width:
            size = max(size * 0.6, size * avail_width / widest)
        lines: list[str] = []
        current = ""
        for piece in pieces:
            if current and stringWidth(current + piece, fonts.regular, size) > avail_width:
                lines.append(current)
                current = piece
            else:
                current += piece
        lines.append(current)
        body = "<br/>".join(escape(line) for line in lines)
        if size != self.style.fontSize:
            body = f'<font size="{size:.2f}">{body}</font>'
        return (f"{label}<br/>{body}" if label else body), size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        markup, size = self._markup(avail_width)
        style = ParagraphStyle(
            "address",
            parent=self.style,
            splitLongWords=0,
            leading=max(self.style.leading, size * 1.25),
        )
        self._para = Paragraph(markup, style)
        self.width, self.height = self._para.wrap(avail_width, avail_height)
        return self.width, self.height

    def draw(self) -> None:
        assert self._para is not None
        self._para.drawOn(self.canv, 0, 0)


def looks_like_address(value: str) -> bool:
    """An e-mail or web address: one unbroken token with "@", "://" or "www."."""
    text = value.strip()
    return (
        bool(text)
        and not any(ch.isspace() for ch in text)
        and ("@" in text or "://" in text or text.lower().startswith("www."))
    )


def contact_line(label: str, value: str, style: ParagraphStyle) -> Flowable:
    """ "Label: value" that never breaks an e-mail or web address in the middle."""
    if looks_like_address(value):
        return Address(label, value, style)
    markup = f"<b>{escape(label)}:</b> {text_markup(value)}" if label else text_markup(value)
    return Paragraph(markup, style)


class QrCode(Flowable):
    """A square QR code of `value`, `size` points wide including the 4-module quiet zone.

    Level M survives a crease or a smudge on a slip carried around in a pocket. Drawn as one
    filled path of horizontal runs rather than reportlab's widget (a shape object per run), which
    halves the time to make a slip.
    """

    def __init__(self, value: str, size: float, border: int = 4):
        super().__init__()
        self.value = value
        self.width = self.height = size
        self.border = border

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
        code.addData(self.value)
        code.make()
        count = code.getModuleCount()
        module = self.width / (count + 2 * self.border)
        path = self.canv.beginPath()
        for row_index, row in enumerate(code.modules):
            top = self.height - (row_index + self.border + 1) * module
            column = 0
            for dark, run in itertools.groupby(bool(cell) for cell in row):
                length = sum(1 for _ in run)
                if dark:
                    left = (column + self.border) * module
                    path.rect(left, top, length * module, module)
                column += length
        # A white quiet zone even on a tinted panel: scanners need the contrast.
        self.canv.setFillColor(colors.white)
        self.canv.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)


def qr_code(value: str, size: float) -> QrCode:
    """The QR code flowable for `value` (see `QrCode`)."""
    return QrCode(value, size)


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


PageDecorator = Callable[[Canvas, BaseDocTemplate], None]


class Marker(Flowable):
    """Takes no space; when laid out, records `value` and the page it landed on on the document.

    Page decorations run per page, not per flowable, so this is how a footer learns which slip
    of a batch it belongs to (see `marker_state`).
    """

    def __init__(self, value: str):
        super().__init__()
        self.value = value
        self.width = self.height = 0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        doc = self.canv._doctemplate
        doc.marker_state = (self.value, self.canv.getPageNumber())


def marker_state(doc: BaseDocTemplate) -> tuple[str, int] | None:
    """The last `Marker` laid out in `doc` and its page number, or None before the first."""
    return getattr(doc, "marker_state", None)


PageFooter = Callable[[Canvas, int, int], None]
"""Draws a footer given the canvas, this page's number and the total number of pages."""


def numbered_canvas(footer: PageFooter) -> type[Canvas]:
    """A canvas class that holds pages back until the end so each footer can say "Page 2 of 3".

    The usual reportlab recipe: remember each finished page's state instead of emitting it, then
    at save time replay every page, draw its footer with the now-known total, and emit it.
    """

    class _NumberedCanvas(Canvas):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self._held_pages: list[dict] = []

        def showPage(self) -> None:
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held_pages)
            for number, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                footer(self, number, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return _NumberedCanvas


def write_pdf(
    story: Iterable[Flowable],
    layout: Layout,
    *,
    title: str,
    on_page_end: PageDecorator | None = None,
    footer: PageFooter | None = None,
    footer_height: float = 0.0,
    printed_on: date | None = None,
) -> bytes:
    """Lay out `story` on pages of `layout` and return the PDF bytes.

    `title` goes into the PDF metadata, so it must not hold personal data (use the reference).
    The metadata's creation and modification dates are `printed_on` (default today) at midnight
    UTC: the real day the document was made, and with `invariant=1` (document id from the
    content) plus fixed creator and producer strings, the same story on the same day always gives
    the same bytes. `on_page_end` decorates each page as it is finished; `footer` runs once all
    pages are known, for "Page n of m" (the body frame leaves `footer_height` free at the bottom
    for either).
    """
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=layout.pagesize,
        leftMargin=layout.margin,
        rightMargin=layout.margin,
        topMargin=layout.margin,
        bottomMargin=layout.margin,
        title=title,
        author="",
        subject="",
        creator=PRODUCER,
        producer=PRODUCER,
        invariant=1,
        pageCompression=1,
        # Without these reportlab sets up Helvetica on every page; keep to the embedded font.
        initialFontName=font_family().regular,
        initialFontSize=layout.body,
        initialLeading=layout.body * 1.25,
        lang="en-GB",
    )
    frame = Frame(
        layout.margin,
        layout.margin + footer_height,
        layout.frame_width,
        layout.frame_height - footer_height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    decorate = on_page_end if on_page_end is not None else _no_decoration
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=decorate)])
    base = Canvas if footer is None else numbered_canvas(footer)
    doc.build(list(story), canvasmaker=dated_canvas(base, printed_on or date.today()))
    return buffer.getvalue()


def dated_canvas(base: type[Canvas], day: date) -> type[Canvas]:
    """`base` whose PDF metadata dates are `day` at 00:00 UTC instead of invariant mode's
    fixed 1 January 2000 (a reader checking when a form was printed must see the real day)."""
    stamp = TimeStamp(invariant=1)
    stamp.t = calendar.timegm(day.timetuple())
    stamp.lt = time.gmtime(stamp.t)
    stamp.YMDhms = tuple(stamp.lt)[:6]

    class _DatedCanvas(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = stamp

    return _DatedCanvas


def _no_decoration(canvas: Canvas, doc: BaseDocTemplate) -> None:
    return None
