"""The embedded typeface: registered once under our own names, covering Welsh and Polish."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from reportlab.pdfbase import pdfmetrics

from referral_desk.documents.fonts import font_family


def test_the_family_is_registered_once_even_when_asked_from_many_threads() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        families = list(pool.map(lambda _: font_family(), range(8)))
    assert len(set(families)) == 1
    family = families[0]
    assert family.regular != family.bold
    assert not family.regular.startswith(("Helvetica", "DejaVu"))  # our own names


def test_the_face_has_glyphs_beyond_latin_1() -> None:
    face = pdfmetrics.getFont(font_family().regular).face
    for char in "ŵŷłŁ€–":
        assert ord(char) in face.charWidths, char
