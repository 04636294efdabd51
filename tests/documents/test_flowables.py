"""The shared flowables: a reference that never wraps, addresses broken only where a reader
expects, contact lines that pick between them."""

from __future__ import annotations

import itertools
import re

from hypothesis import given
from hypothesis import strategies as st
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from referral_desk.documents.flowables import Address, OneLine, contact_line, looks_like_address
from referral_desk.documents.fonts import font_family


def _style() -> ParagraphStyle:
    fonts = font_family()
    return ParagraphStyle("body", fontName=fonts.regular, fontSize=12, leading=15)


def test_addresses_are_single_tokens_with_at_scheme_or_www() -> None:
    assert looks_like_address("hello@collective.example.org.uk")
    assert looks_like_address(" https://example.org/refer ")
    assert looks_like_address("WWW.example.org")
    assert not looks_like_address("0113 496 0000")
    assert not looks_like_address("ask at reception@front desk")
    assert not looks_like_address("")


def test_contact_line_keeps_an_address_whole_and_text_as_a_paragraph() -> None:
    assert isinstance(contact_line("Email", "a@b.example", _style()), Address)
    line = contact_line("Phone", "0113 <496> & 0000", _style())
    assert isinstance(line, Paragraph)
    assert "&lt;496&gt; &amp;" in line.text


def test_an_address_wider_than_the_column_breaks_only_at_dots_at_and_slashes() -> None:
    value = "referrals.team@a-very-long-organisation-name.example.org.uk"
    address = Address("Email", value, _style())
    address.wrap(120, 1000)
    assert address._para is not None
    lines = [re.sub(r"<[^>]+>", "", line) for line in address._para.text.split("<br/>")]
    assert lines[0].strip() == "Email:"  # the address does not fit beside its label
    pieces = lines[1:]
    assert "".join(pieces) == value and len(pieces) > 1
    for before, line in itertools.pairwise(pieces):
        assert line[:1] in ("@", ".") or before.endswith("/")


@given(st.text(min_size=1, max_size=60), st.floats(10, 400))
def test_one_line_never_wraps_and_shrinks_at_most_to_sixty_percent(text: str, width: float) -> None:
    line = OneLine(text, font_family().regular, 20)
    _w, height = line.wrap(width, 1000)
    assert 20 * 0.6 * 1.2 - 1e-9 <= height <= 20 * 1.2 + 1e-9
