"""Report data: periods count their last day whole, tables are read by key, and a chart shows
no figure its (suppressed) table hides."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from referral_desk.reports.model import ChartSpec, Column, Period, Report, ReportTable

TABLE = ReportTable(
    key="by_category",
    title="Needs by category",
    columns=(
        Column("label", "Category", kind="label"),
        Column("made", "Made"),
        Column("met", "Met"),
    ),
    rows=(("Housing", 12, 7), ("Debt", "<5", None), ("Drugs", 9, 0)),
    totals=("Total", 25, 9),
)


def _report(*charts: ChartSpec) -> Report:
    period = Period(date(2026, 1, 1), date(2026, 3, 31))
    return Report("needs", "Needs", period, date(2026, 4, 1), (TABLE,), charts=charts)


def test_a_period_ends_at_the_first_instant_after_its_last_day() -> None:
    period = Period(date(2026, 1, 1), date(2026, 1, 31))
    assert period.start == datetime(2026, 1, 1)
    assert period.end == datetime(2026, 2, 1)
    assert period.label == "2026-01-01 to 2026-01-31"


def test_a_period_lists_every_month_it_touches_across_a_new_year() -> None:
    period = Period(date(2025, 11, 30), date(2026, 2, 1))
    assert period.months() == ("2025-11", "2025-12", "2026-01", "2026-02")
    assert Period(date(2026, 5, 3), date(2026, 5, 4)).months() == ("2026-05",)


def test_rows_columns_and_totals_are_read_by_key() -> None:
    assert TABLE.column("made") == (12, "<5", 9)
    assert TABLE.row("Debt") == {"label": "Debt", "made": "<5", "met": None}
    assert TABLE.totals_dict()["met"] == 9
    with pytest.raises(KeyError):
        TABLE.row("Nobody")
    with pytest.raises(KeyError):
        TABLE.index("missing")
    assert ReportTable("t", "T", TABLE.columns, ()).totals_dict() == {}


def test_a_hidden_cell_draws_no_bar_and_an_empty_one_draws_zero() -> None:
    report = _report(ChartSpec("c", "Chart", "by_category", ("made", "met")))
    (chart,) = report.all_chart_data()
    assert chart.labels == ("Housing", "Debt", "Drugs")
    made, met = chart.series
    assert (made.name, made.values) == ("Made", (12.0, None, 9.0))
    assert met.values == (7.0, 0.0, 0.0)
    assert chart.has_hidden


def test_a_funnel_chart_reads_the_totals_row() -> None:
    spec = ChartSpec("f", "Funnel", "by_category", ("made", "met"), source="totals")
    chart = _report(spec).chart_data(spec)
    assert chart.labels == ("Made", "Met")
    assert chart.series[0].values == (25.0, 9.0)
    assert not chart.has_hidden


def test_a_chart_of_an_unknown_table_is_an_error_not_an_empty_chart() -> None:
    spec = ChartSpec("x", "X", "no_such_table", ("made",))
    with pytest.raises(KeyError):
        _report(spec).chart_data(spec)
