"""Typed dates: every common British way of writing a date means the same day; anything else is
refused with one line that never repeats what was typed."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.dates import EXAMPLE, MONTH_NAMES, format_long, parse_typed_date
from referral_desk.domain.errors import ValidationError

TODAY = date(2026, 3, 2)
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))


def written(d: date) -> list[str]:
    """The ways officers write `d`."""
    month = MONTH_NAMES[d.month - 1]
    return [
        f"{d:%d/%m/%Y}",
        f"{d.day}/{d.month}/{d.year}",
        f"{d:%d-%m-%Y}",
        f"{d:%d.%m.%Y}",
        f"{d:%d%m%Y}",
        f"{d.day} {month[:3]} {d.year}",
        f"{d.day} {month} {d.year}",
        f"{d.day} {month.lower()} {d.year}",
        f"{d.day}-{month[:3]}-{d.year}",
        d.isoformat(),
        f"  {d:%d/%m/%Y} ",
        f"{d:%d / %m / %Y}",
        format_long(d),
    ]


@given(DATES)
def test_every_common_way_of_writing_a_date_means_that_date(d: date) -> None:
    for text in written(d):
        assert parse_typed_date(text, "Date", today=TODAY) == d, text


@given(DATES)
def test_the_date_shown_back_reads_as_the_same_date(d: date) -> None:
    assert parse_typed_date(format_long(d), "Date", today=TODAY) == d


@given(st.text(max_size=60))
def test_anything_typed_is_a_date_or_one_clear_refusal(text: str) -> None:
    try:
        result = parse_typed_date(text, "Date of birth", today=TODAY)
    except ValidationError as err:  # one of two fixed lines: what was typed is never echoed
        assert str(err) in (
            f"Date of birth must be a date like {EXAMPLE} or 31 December 1980",
            f"Date of birth is not a real date: check the day and the month (like {EXAMPLE})",
        )
    else:
        assert result is None or isinstance(result, date)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03112003", date(2003, 11, 3)),  # what the dd/mm/yyyy placeholder invites
        ("31/12/1980", date(1980, 12, 31)),
        ("31-12-1980", date(1980, 12, 31)),
        ("31.12.1980", date(1980, 12, 31)),
        ("31121980", date(1980, 12, 31)),
        ("31 Dec 1980", date(1980, 12, 31)),
        ("31 December 1980", date(1980, 12, 31)),
        ("31st December 1980", date(1980, 12, 31)),
        ("1980-12-31", date(1980, 12, 31)),
        ("2/3/91", date(1991, 3, 2)),
        ("2/3/03", date(2003, 3, 2)),
        ("311280", date(1980, 12, 31)),
        ("1 Sept 2026", date(2026, 9, 1)),
        ("", None),
        ("   ", None),
    ],
)
def test_examples(text: str, expected: date | None) -> None:
    assert parse_typed_date(text, "Date", today=TODAY) == expected


@pytest.mark.parametrize("text", ["31/02/1980", "13/13/1980", "00/01/1980", "31 Feb 1980"])
def test_impossible_dates_say_so(text: str) -> None:
    with pytest.raises(ValidationError, match="not a real date"):
        parse_typed_date(text, "Date of birth", today=TODAY)


@pytest.mark.parametrize("text", ["tomorrow", "12/2000", "31 Decembre 1980", "1/2/3", "9" * 50])
def test_other_text_is_refused_with_an_example_in_the_past(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_typed_date(text, "Expected release date", today=TODAY)
    message = str(err.value)
    assert message.startswith("Expected release date must be a date like")
    assert EXAMPLE in message and text not in message
    example = parse_typed_date(EXAMPLE, "x", today=TODAY)
    assert example is not None and example < TODAY


def test_format_long_spells_the_month() -> None:
    assert format_long(date(1980, 12, 31)) == "31 December 1980"
    assert format_long(date(2026, 3, 2)) == "2 March 2026"
