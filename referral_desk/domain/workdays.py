"""Working days for follow-up due dates (DESIGN.md §5).

Follow-ups are due in working days: weekends and England and Wales bank holidays are skipped.
The holidays are shipped as data (resources/bank_holidays_england_wales.json, editable, because
governments add one-off holidays at a few months' notice); `england_wales_bank_holidays` computes
the regular ones and the known one-offs so that file can be generated and checked.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable
from datetime import date, timedelta
from os import PathLike
from pathlib import Path

__all__ = [
    "WorkingCalendar",
    "easter_sunday",
    "england_wales_bank_holidays",
    "load_bank_holidays_json",
]

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


class WorkingCalendar:
    """Monday-to-Friday calendar minus the given bank holidays."""

    def __init__(self, holidays: Iterable[date] = ()) -> None:
        self._holidays = frozenset(holidays)
        # Only holidays on weekdays change a working-day count.
        self._weekday_holidays = sorted(d for d in self._holidays if d.weekday() < _SATURDAY)

    @property
    def holidays(self) -> frozenset[date]:
        return self._holidays

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < _SATURDAY and d not in self._holidays

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += _ONE_DAY
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The date `n` working days after `d` (Friday + 1 = Monday).

        With n = 0 this is `d` itself if it is a working day, otherwise the next working day, so
        a due date is never on a weekend or holiday.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        if n == 0:
            return d if self.is_working_day(d) else self.next_working_day(d)
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days fall in (a, b]; 0 when b is not after a."""
        if b <= a:
            return 0
        days = (b - a).days
        weeks, rest = divmod(days, 7)
        count = weeks * 5
        start_weekday = a.weekday()
        for offset in range(1, rest + 1):
            if (start_weekday + offset) % 7 < _SATURDAY:
                count += 1
        lo = bisect.bisect_right(self._weekday_holidays, a)
        hi = bisect.bisect_right(self._weekday_holidays, b)
        return count - (hi - lo)


def easter_sunday(year: int) -> date:
    """Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    d = date(year, month, 1)
    return d + timedelta(days=(7 - d.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    d = nxt - _ONE_DAY
    return d - timedelta(days=d.weekday())


def _next_weekday(d: date) -> date:
    while d.weekday() >= _SATURDAY:
        d += _ONE_DAY
    return d


_SUBSTITUTE = " (substitute day)"

# One-off changes announced by the government: (year, regular title) -> replacement entries.
_MOVED: dict[tuple[int, str], list[tuple[date, str]]] = {
    (2020, "Early May bank holiday"): [(date(2020, 5, 8), "Early May bank holiday (VE day)")],
    (2022, "Spring bank holiday"): [
        (date(2022, 6, 2), "Spring bank holiday"),
        (date(2022, 6, 3), "Platinum Jubilee bank holiday"),
    ],
}
_EXTRA: dict[int, list[tuple[date, str]]] = {
    2022: [(date(2022, 9, 19), "Bank holiday for the State Funeral of Queen Elizabeth II")],
    2023: [(date(2023, 5, 8), "Bank holiday for the coronation of King Charles III")],
}


def england_wales_bank_holidays(year: int) -> list[tuple[date, str]]:
    """Bank holidays in England and Wales for `year`, sorted by date, with their titles.

    Regular rules plus the one-offs known at the time of writing (2020 VE day, 2022 Platinum
    Jubilee and State Funeral, 2023 Coronation). Future one-offs must be added to the data file.
    """
    easter = easter_sunday(year)
    regular: list[tuple[date, str]] = []

    new_year = date(year, 1, 1)
    if new_year.weekday() >= _SATURDAY:
        regular.append((_next_weekday(new_year), "New Year's Day" + _SUBSTITUTE))
    else:
        regular.append((new_year, "New Year's Day"))

    regular += [
        (easter - timedelta(days=2), "Good Friday"),
        (easter + _ONE_DAY, "Easter Monday"),
        (_first_monday(year, 5), "Early May bank holiday"),
        (_last_monday(year, 5), "Spring bank holiday"),
        (_last_monday(year, 8), "Summer bank holiday"),
    ]

    # Christmas and Boxing Day falling at a weekend move to the next free weekdays, in order.
    taken: set[date] = set()
    for d, title in ((date(year, 12, 25), "Christmas Day"), (date(year, 12, 26), "Boxing Day")):
        if d.weekday() < _SATURDAY:
            regular.append((d, title))
            taken.add(d)
            continue
        sub = _next_weekday(d)
        while sub in taken or sub == date(year, 12, 26):
            sub = _next_weekday(sub + _ONE_DAY)
        regular.append((sub, title + _SUBSTITUTE))
        taken.add(sub)

    result: list[tuple[date, str]] = []
    for d, title in regular:
        result += _MOVED.get((year, title), [(d, title)])
    result += _EXTRA.get(year, [])
    return sorted(result)


def load_bank_holidays_json(path: str | PathLike[str]) -> list[tuple[date, str]]:
    """Read the shipped/edited `[{"date": "YYYY-MM-DD", "title": ...}, ...]` file."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    return sorted((date.fromisoformat(r["date"]), str(r.get("title", ""))) for r in records)
