"""Stories onto pages: the one PDF writer (deterministic bytes, the real day in the metadata,
no personal data in it), "Page n of m" footers and the markers that tell a page's footer which
slip of a batch it belongs to.
"""

from __future__ import annotations

import calendar
import io
import time
from collections.abc import Callable, Iterable
from datetime import date

from reportlab.pdfbase.pdfdoc import TimeStamp
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
)

from referral_desk.documents.fonts import font_family
from referral_desk.documents.layout import PRODUCER, Layout

__all__ = [
    "Marker",
    "PageDecorator",
    "PageFooter",
    "dated_canvas",
    "marker_state",
    "numbered_canvas",
    "write_pdf",
]


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
