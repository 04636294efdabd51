"""The suggested first appointment: 10:00 on the next working day, in both referral forms."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.appointments import default_appointment
from referral_desk.domain.workdays import WorkingCalendar

GOOD_FRIDAY = date(2026, 4, 3)
EASTER_MONDAY = date(2026, 4, 6)


def test_the_next_working_day_at_ten() -> None:
    calendar = WorkingCalendar([GOOD_FRIDAY, EASTER_MONDAY])
    assert default_appointment(date(2026, 3, 2), calendar) == datetime(2026, 3, 3, 10, 0)  # Mon
    assert default_appointment(date(2026, 3, 6), calendar) == datetime(2026, 3, 9, 10, 0)  # Fri
    assert default_appointment(date(2026, 3, 7), calendar) == datetime(2026, 3, 9, 10, 0)  # Sat
    assert default_appointment(date(2026, 4, 2), calendar) == datetime(2026, 4, 7, 10, 0)  # Easter


def test_without_a_calendar_weekends_are_still_skipped() -> None:
    assert default_appointment(date(2026, 3, 6)) == datetime(2026, 3, 9, 10, 0)


@given(today=st.dates(date(2020, 1, 1), date(2035, 12, 31)))
def test_never_today_never_a_weekend(today: date) -> None:
    slot = default_appointment(today)
    assert slot.date() > today and slot.weekday() < 5
    assert (slot.date() - today).days <= 3
