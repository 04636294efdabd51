"""The charts of a report PDF (issue 11, point 5): long monthly series are added up by quarter or
year (and say so), and a chart taller than a page continues in drawings that each fit one."""

from __future__ import annotations

from report_charts_data import chart, months

from referral_desk.documents.report_charts import (
    CHART_MAX_HEIGHT,
    MONTHS_CHARTED,
    by_period,
    chart_drawings,
)


def test_long_monthly_series_add_up_by_quarter_then_year() -> None:
    same = chart(months(MONTHS_CHARTED), [1.0] * MONTHS_CHARTED)
    assert by_period(same) == (same, None)
    values: list[float | None] = [1.0] * 72
    values[4] = None  # a hidden month hides its quarter
    merged, note = by_period(chart(months(72), values))
    assert merged["labels"][:3] == ["2020 Q1", "2020 Q2", "2020 Q3"] and len(merged["labels"]) == 24
    assert merged["series"][0]["values"][:3] == [3.0, None, 3.0]
    assert note is not None and "72 months" in note and "quarter" in note
    merged, note = by_period(chart(months(241, (2006, 3)), [2.0] * 241))
    assert merged["labels"][0] == "2006" and merged["labels"][-1] == "2026"
    assert merged["series"][0]["values"][0] == 20.0  # March to December 2006
    assert note is not None and "by year" in note
    not_months = chart([f"Provider {i}" for i in range(80)], [1.0] * 80)
    assert by_period(not_months) == (not_months, None)


def test_a_tall_chart_continues_in_drawings_that_fit_a_page() -> None:
    labels = [f"Service number {i} with a long name" for i in range(300)]
    drawings = chart_drawings(chart(labels, [float(i) for i in range(300)], [1.0] * 300), 500)
    assert len(drawings) > 1
    assert all(d.height <= CHART_MAX_HEIGHT for d in drawings)
    assert chart_drawings(chart([], []), 300)  # no rows: an empty chart, not a crash
