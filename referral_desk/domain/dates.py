"""Dates as officers type them, and as the app says them back.

Officers in England and Wales write the day first: 31/12/1980, 31-12-1980, 31.12.1980, the
eight digits 31121980 that the dd/mm/yyyy placeholder invites, 31 Dec 1980, 31 December 1980;
systems write 1980-12-31. All of these mean one date and are accepted; the parsed date is then
shown back spelt out ("31 December 1980"), so a slip such as 13/11 typed for 11/13 is seen at
once. Anything else is refused with one line naming the field and an example (in the past, so
it never reads as a suggestion for a release date or a birthday) — never echoing what was typed,
which may be a date of birth.
"""

from __future__ import annotations

import re
from datetime import date

from referral_desk.domain.errors import ValidationError

__all__ = ["EXAMPLE", "format_long", "parse_typed_date"]

EXAMPLE = "31/12/1980"

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
MONTH_NAMES = (
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

_SEP = r"\s*[/.\-\s]\s*"
_DAY_FIRST = re.compile(rf"(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}}|\d{{2}})")
_YEAR_FIRST = re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})")
_DIGITS = re.compile(r"(\d{2})(\d{2})(\d{4}|\d{2})")
_NAMED = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th)?[\s/.\-]*([a-z]+)\.?,?[\s/.\-]*(\d{4}|\d{2})", re.IGNORECASE
)
MAX_LENGTH = 40


def _full_year(year: int, digits: int, today: date) -> int:
    """Two digits: this century up to ten years ahead, else the last one (03 → 2003, 80 → 1980
    in 2026)."""
    if digits == 4:
        return year
    return year + (2000 if year <= today.year % 100 + 10 else 1900)


def parse_typed_date(text: str | None, what: str, *, today: date | None = None) -> date | None:
    """The date `text` means, or None when it is empty; ValidationError naming `what` if it is
    not a date."""
    text = (text or "").strip()
    if not text:
        return None
    today = today or date.today()
    refused = ValidationError(f"{what} must be a date like {EXAMPLE} or 31 December 1980")
    if len(text) > MAX_LENGTH:
        raise refused
    parts: tuple[int, int, int] | None = None
    if m := _YEAR_FIRST.fullmatch(text):
        parts = (int(m[3]), int(m[2]), int(m[1]))
    elif m := _DAY_FIRST.fullmatch(text) or _DIGITS.fullmatch(text):
        parts = (int(m[1]), int(m[2]), _full_year(int(m[3]), len(m[3]), today))
    elif (m := _NAMED.fullmatch(text)) and m[2].lower() in MONTHS:
        parts = (int(m[1]), MONTHS[m[2].lower()], _full_year(int(m[3]), len(m[3]), today))
    if parts is None:
        raise refused
    day, month, year = parts
    try:
        return date(year, month, day)
    except ValueError:
        raise ValidationError(
            f"{what} is not a real date: check the day and the month (like {EXAMPLE})"
        ) from None


def format_long(value: date) -> str:
    """`31 December 1980`: how a parsed date is shown back, impossible to misread."""
    return f"{value.day} {MONTH_NAMES[value.month - 1]} {value.year}"
