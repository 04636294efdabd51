"""Shared page set-up: the two sizes and their minimum type, words for dates and times that
never depend on the PC's locale, and data escaped before it reaches paragraph markup."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.documents.fonts import font_family
from referral_desk.documents.layout import (
    format_date,
    format_datetime,
    format_time,
    layout_for,
    para,
    text_markup,
)


@pytest.mark.parametrize(("size", "body"), [("A4", 14), (" a5 ", 12)])
def test_a_slip_keeps_large_body_text_on_either_size(size: str, body: float) -> None:
    assert layout_for(size).body >= body
    for form in (False, True):  # the provider form is denser, but the same page sizes
        layout = layout_for(size, form=form)
        assert layout.name == size.strip().upper()
        assert 0 < layout.label_width < layout.frame_width < layout.pagesize[0]


@pytest.mark.parametrize("size", ["B5", "", "letter", None, 4])
def test_another_size_is_refused(size: object) -> None:
    with pytest.raises(ValueError, match="A4 or A5"):
        layout_for(size)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("at", "words"),
    [
        (datetime(2025, 1, 14, 0, 0), "midnight"),
        (datetime(2025, 1, 14, 12, 0), "midday"),
        (datetime(2025, 1, 14, 0, 5), "12:05am"),
        (datetime(2025, 1, 14, 12, 30), "12:30pm"),
        (datetime(2025, 1, 14, 14, 0), "2pm"),
        (datetime(2025, 1, 14, 9, 7), "9:07am"),
    ],
)
def test_times_are_gov_uk_style(at: datetime, words: str) -> None:
    assert format_time(at) == words


def test_dates_are_spelt_out_without_the_locale() -> None:
    assert format_date(date(2025, 3, 3)) == "3 March 2025"
    assert format_datetime(datetime(2025, 1, 14, 10, 30)) == "Tuesday 14 January 2025 at 10:30am"


def test_markup_in_data_is_escaped_and_line_breaks_are_kept() -> None:
    assert text_markup("  A & B <b>x</b>\n\n  second line  \n") == (
        "A &amp; B &lt;b&gt;x&lt;/b&gt;<br/>second line"
    )


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80))
def test_any_text_makes_a_paragraph(text: str) -> None:
    paragraph = para(text, layout_for("A5").style("body"))
    assert paragraph.style.fontName == font_family().regular


def test_bold_roles_use_the_bold_face_of_the_embedded_family() -> None:
    layout, fonts = layout_for("A4"), font_family()
    assert layout.style("heading").fontName == fonts.bold
    assert layout.style("small").fontSize < layout.style("body").fontSize
    with pytest.raises(KeyError):
        layout.style("caption")
