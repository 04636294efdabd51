"""Calendar-month arithmetic for the directory's freshness (DESIGN.md §1, §3).

"Verified 14 months ago", the keeper's "not verified for 12 months" list and the
commissioners' freshness bands must agree on what a month is, or a service would be stale on
one screen and fresh in the report. A month ends on the same day number of the next month;
where that day does not exist, on the month's last day.
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["months_before", "months_between"]


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from `earlier` to `later` (0 within the first month; negative
    when `later` is before `earlier`)."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    return months - 1 if later.day < earlier.day else months


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month - timedelta(days=1)).day))
