"""The embedded typeface every document uses, registered with reportlab on first use.

reportlab's built-in fonts (Helvetica and friends) only cover Latin-1, so a Welsh name with ŵ or ŷ
or a Polish name with ł would print as black boxes. We ship DejaVu Sans inside the package
(resources/fonts, licence beside it) and embed a subset in each PDF, so the output looks the same
on every PC and needs no installed fonts and no network.

Registration touches reportlab's process-wide font registry and reads ~1.5 MB of font files, so it
happens lazily, once, behind a lock, the first time a document is made, never at import time.
"""

from __future__ import annotations

import importlib.resources
import threading
from dataclasses import dataclass

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["FontFamily", "font_family"]

_REGULAR_FILE = "DejaVuSans.ttf"
_BOLD_FILE = "DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class FontFamily:
    """Names to use in reportlab styles; `<b>` in paragraphs maps to `bold`."""

    regular: str
    bold: str


# Our own names, so another part of the app registering "DejaVuSans" from elsewhere cannot
# silently swap the face under our documents.
_FAMILY = FontFamily(regular="ReferralDesk-Sans", bold="ReferralDesk-Sans-Bold")
_lock = threading.Lock()
_registered = False


def _load(font_name: str, file_name: str) -> TTFont:
    source = importlib.resources.files("referral_desk.resources") / "fonts" / file_name
    # as_file gives a real path even if the package is zipped; TTFont reads the whole file
    # during construction, so the temporary copy may go away afterwards.
    with importlib.resources.as_file(source) as path:
        return TTFont(font_name, str(path))


def font_family() -> FontFamily:
    """Register the embedded family on first call and return its reportlab names."""
    global _registered
    if _registered:
        return _FAMILY
    with _lock:
        if not _registered:
            pdfmetrics.registerFont(_load(_FAMILY.regular, _REGULAR_FILE))
            pdfmetrics.registerFont(_load(_FAMILY.bold, _BOLD_FILE))
            # Tell <b>/<i> markup which face to use; there is no italic, so fall back to upright.
            family = _FAMILY.regular
            addMapping(family, 0, 0, _FAMILY.regular)
            addMapping(family, 1, 0, _FAMILY.bold)
            addMapping(family, 0, 1, _FAMILY.regular)
            addMapping(family, 1, 1, _FAMILY.bold)
            _registered = True
    return _FAMILY
