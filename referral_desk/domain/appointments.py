"""The appointment a referral form suggests before the officer types one (DESIGN.md §5).

The commonest first appointment is the next morning the provider is open: 10:00 on the next
working day (weekends and bank holidays skipped, `domain.workdays`), never a Saturday. Both
forms that offer an appointment (recording a referral, updating one) use this one rule.
"""

from __future__ import annotations

from datetime import date, datetime, time

from referral_desk.domain.workdays import WorkingCalendar

__all__ = ["APPOINTMENT_TIME", "default_appointment"]

APPOINTMENT_TIME = time(10, 0)


def default_appointment(today: date, calendar: WorkingCalendar | None = None) -> datetime:
    """10:00 on the first working day after `today` (without a calendar: the next weekday)."""
    return datetime.combine(
        (calendar or WorkingCalendar()).next_working_day(today), APPOINTMENT_TIME
    )
