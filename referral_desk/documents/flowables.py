"""Flowables the slip and the provider form share: a reference that never wraps, an email or web
address that breaks only at its dots and slashes, contact lines, and the QR code.
"""

from __future__ import annotations

import itertools
import re
from xml.sax.saxutils import escape

from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    Paragraph,
)

from referral_desk.documents.fonts import font_family
from referral_desk.documents.layout import INK, text_markup

__all__ = ["Address", "OneLine", "QrCode", "contact_line", "looks_like_address", "qr_code"]


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
