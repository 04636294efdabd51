"""Regional outcomes, the pure part (no PostgreSQL): a median from the teams' histograms."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from referral_desk.hub.regional_outcomes import _histogram_median
from referral_desk.reports.outcomes import _list_median


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=60))
def test_a_histogram_median_is_the_team_reports_median(days: list[int]) -> None:
    histogram = list(Counter(days).items())
    assert _histogram_median(histogram) == _list_median(days)
