"""Calendar months: one definition for the freshness cell, the keeper's stale list and the
commissioners' freshness report (three copies before issue 13)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.months import months_before, months_between


@pytest.mark.parametrize(
    ("earlier", "later", "months"),
    [
        ("2026-03-02", "2026-03-02", 0),
        ("2025-12-03", "2026-03-02", 2),
        ("2025-12-02", "2026-03-02", 3),
        ("2024-02-29", "2025-02-28", 11),
        ("2024-02-29", "2025-03-01", 12),
        ("2025-01-31", "2025-02-28", 0),
        ("2025-01-31", "2025-03-01", 1),
        ("2025-01-31", "2025-03-31", 2),
    ],
)
def test_months_between_counts_whole_months(earlier: str, later: str, months: int) -> None:
    assert months_between(date.fromisoformat(earlier), date.fromisoformat(later)) == months


def test_months_before_clamps_to_month_end() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 3, 2), 12) == date(2025, 3, 2)
    assert months_before(date(2026, 1, 15), 2) == date(2025, 11, 15)
    assert months_before(date(2024, 3, 30), 1) == date(2024, 2, 29)


@given(
    day=st.dates(date(1990, 1, 1), date(2090, 12, 31)),
    months=st.integers(0, 600),
)
def test_a_day_months_before_is_that_many_months_back(day: date, months: int) -> None:
    earlier = months_before(day, months)
    assert earlier <= day
    assert months_between(earlier, day) == months
