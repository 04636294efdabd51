"""Render PDF pages to greyscale images for tests, with pypdfium2 (a dependency of the app),
so page-image tests run in every clone without system tools."""

from __future__ import annotations

import pypdfium2
from PIL import Image


def render_png(pdf: bytes, _tmp_path: object = None, dpi: int = 100) -> list[Image.Image]:
    """One greyscale image per page at `dpi` (pdftoppm's page size rounding)."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for page in doc:
            bitmap = page.render(scale=dpi / 72)
            pages.append(bitmap.to_pil().convert("L"))
            page.close()
        return pages
    finally:
        doc.close()
