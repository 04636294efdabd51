import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.workdays import (
    WorkingCalendar,
    easter_sunday,
    england_wales_bank_holidays,
    load_bank_holidays_json,
)

DATA_FILE = Path(__file__).resolve().parents[2] / "resources" / "bank_holidays_england_wales.json"

# Published by GOV.UK (https://www.gov.uk/bank-holidays), England and Wales.
PUBLISHED = {
    2020: ["01-01", "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28"],
    2021: ["01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28"],
    2022: [
        "01-03",
        "04-15",
        "04-18",
        "05-02",
        "06-02",
        "06-03",
        "08-29",
        "09-19",
        "12-26",
        "12-27",
    ],
    2023: ["01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26"],
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_matches_published_list(year):
    expected = [date.fromisoformat(f"{year}-{md}") for md in PUBLISHED[year]]
    assert [d for d, _ in england_wales_bank_holidays(year)] == expected


def test_titles():
    titles = dict(england_wales_bank_holidays(2027))
    assert titles[date(2027, 12, 27)] == "Christmas Day (substitute day)"
    assert titles[date(2027, 12, 28)] == "Boxing Day (substitute day)"
    assert dict(england_wales_bank_holidays(2023))[date(2023, 5, 8)].startswith("Bank holiday")


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2000, date(2000, 4, 23)),
        (2019, date(2019, 4, 21)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),
    ],
)
def test_easter(year, expected):
    assert easter_sunday(year) == expected


@given(st.integers(min_value=1900, max_value=2200))
def test_every_year_is_well_formed(year):
    holidays = england_wales_bank_holidays(year)
    days = [d for d, _ in holidays]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert all(d.weekday() < 5 for d in days)
    assert len(holidays) >= 8
    assert all(d.year == year for d in days)
    assert easter_sunday(year).weekday() == 6


def test_shipped_file_equals_computed():
    expected = [
        {"date": d.isoformat(), "title": t}
        for year in range(2018, 2036)
        for d, t in england_wales_bank_holidays(year)
    ]
    shipped = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert shipped == expected
    assert [r["date"] for r in shipped] == sorted(r["date"] for r in shipped)


def test_load_bank_holidays_json():
    loaded = load_bank_holidays_json(DATA_FILE)
    assert (date(2026, 12, 28), "Boxing Day (substitute day)") in loaded
    assert loaded[0][0] == date(2018, 1, 1)


CAL = WorkingCalendar(d for y in (2025, 2026, 2027) for d, _ in england_wales_bank_holidays(y))
FRI = date(2026, 5, 15)


def test_is_working_day():
    assert CAL.is_working_day(FRI)
    assert not CAL.is_working_day(date(2026, 5, 16))  # Saturday
    assert not CAL.is_working_day(date(2026, 5, 25))  # Spring bank holiday
    assert date(2026, 5, 25) in CAL.holidays


def test_add_working_days():
    assert CAL.add_working_days(FRI, 1) == date(2026, 5, 18)
    assert CAL.add_working_days(FRI, 5) == date(2026, 5, 22)
    # Friday before the spring bank holiday: Monday is skipped.
    assert CAL.add_working_days(date(2026, 5, 22), 1) == date(2026, 5, 26)
    # Over Christmas 2026: Fri 25 and Mon 28 are holidays.
    assert CAL.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    # Over Easter 2026: Good Friday 3 April and Easter Monday 6 April.
    assert CAL.add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert CAL.add_working_days(date(2026, 5, 16), 1) == date(2026, 5, 18)  # from Saturday


def test_add_zero_working_days():
    assert CAL.add_working_days(FRI, 0) == FRI
    assert CAL.add_working_days(date(2026, 5, 16), 0) == date(2026, 5, 18)
    assert CAL.add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 29)


def test_add_negative_working_days_rejected():
    with pytest.raises(ValueError):
        CAL.add_working_days(FRI, -1)


def test_next_working_day_is_strictly_after():
    assert CAL.next_working_day(FRI) == date(2026, 5, 18)
    assert CAL.next_working_day(date(2026, 5, 18)) == date(2026, 5, 19)
    assert CAL.next_working_day(date(2027, 12, 24)) == date(2027, 12, 29)


def test_working_days_between():
    assert CAL.working_days_between(FRI, FRI) == 0
    assert CAL.working_days_between(FRI, date(2026, 5, 18)) == 1
    assert CAL.working_days_between(date(2026, 5, 18), FRI) == 0
    assert CAL.working_days_between(date(2026, 5, 22), date(2026, 5, 29)) == 4
    assert CAL.working_days_between(date(2026, 12, 24), date(2026, 12, 31)) == 3
    assert CAL.working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 261 - 8


def test_empty_calendar():
    cal = WorkingCalendar()
    assert cal.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 25)


dates = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 1))


@given(dates, st.integers(min_value=1, max_value=40))
def test_add_and_count_agree(d, n):
    result = CAL.add_working_days(d, n)
    assert CAL.is_working_day(result)
    assert CAL.working_days_between(d, result) == n
    assert CAL.working_days_between(d, result - timedelta(days=1)) == n - 1


@given(dates, dates)
def test_count_matches_brute_force(a, b):
    brute = sum(CAL.is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))
    assert CAL.working_days_between(a, b) == brute
