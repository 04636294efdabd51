"""Unmet-needs report: exact figures from known data, period edges, trend and suppression."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from referral_desk.reports.export import prepare
from referral_desk.reports.model import Report
from referral_desk.store.models import Person
from referral_desk.usecases.reports import ReportService

JAN = ("2026-01-01", "2026-01-31")
R = ("no_service", "full", "not_eligible", "out_of_area", "total")


def on(app, day: str) -> None:
    """Move the shared clock: status history is stamped with it."""
    app.clock.fixed_today = date.fromisoformat(day)


@dataclass
class Needs:
    ids: dict[str, str]


@pytest.fixture
def needs(app) -> Needs:
    """Three people and twelve needs around January 2026 (see each line)."""
    on(app, "2025-12-01")
    a = app.people.add(
        given_name="Ann",
        family_name="Ash",
        date_of_birth="2000-01-07",
        gender="female",
        ethnicity="white_english_welsh_scottish_northern_irish_or_british",
        setting="custody",
        prison="HMP Styal",
        disability="yes",
        foreign_national=False,
        cohort_womens=True,
        cohort_young_adult=True,
    ).id
    b = app.people.add(
        given_name="Bob",
        family_name="Birch",
        date_of_birth="1970-02-01",
        gender="Male",
        ethnicity="asian_asian_british_or_asian_welsh_pakistani",
        setting="community",
        area="west_yorkshire",
        foreign_national=True,
        cohort_iom=True,
    ).id
    c = app.people.add(
        given_name="Cy", family_name="Cole", gender="Agender", setting="community", disability="No"
    ).id
    with app.db.write() as session:  # an area typed freely in an older version
        session.get(Person, c).area = "Leeds"
    ids: dict[str, str] = {}

    def log(
        key: str,
        day: str,
        person: str,
        category: str,
        unmet: str | None = None,
        text: str = "",
        identified: str | None = None,
    ) -> None:
        on(app, day)
        ids[key] = app.needs.log(
            person, category, text or "n/a", unmet=unmet, identified_on=identified
        ).id

    def status(key: str, day: str, value: str) -> None:
        on(app, day)
        app.needs.set_status(ids[key], value)

    log("n10", "2025-12-15", c, "accommodation", "no-service")  # Dec; re-enters unmet in Jan
    log("n1", "2025-12-31", b, "ete", "full")  # December only
    log("n2", "2026-01-01", c, "other", "no-service", "Help with a pet while in custody")
    log("n3", "2026-01-05", a, "wellbeing", "full")  # then no service on 20 Jan
    log("n11", "2026-01-08", a, "accommodation", "full")  # deleted: never counts
    log("n4", "2026-01-10", a, "accommodation", "no-service")
    log("n5", "2026-01-10", a, "family")  # unmet only on 3 Feb: counts in Jan (logged) and Feb
    status("n10", "2026-01-12", "referred")
    status("n10", "2026-01-14", "unmet_service_full")
    log("n6", "2026-01-15", b, "alcohol")  # never unmet
    log("n7", "2026-01-20", b, "health", "out-of-area")
    status("n3", "2026-01-20", "unmet_no_service")
    status("n7", "2026-01-25", "referred")
    log("n8", "2026-01-31", b, "drugs", "full")  # last day of January
    log("n9", "2026-02-01", c, "drugs", "out-of-area")  # first day of February
    status("n5", "2026-02-03", "unmet_not_eligible")
    on(app, "2026-02-05")
    app.needs.delete(ids["n11"])
    # Logged on 1 March, identified on 12 January: counts in January.
    log("n12", "2026-03-01", b, "finance", "not-eligible", identified="2026-01-12")
    on(app, "2026-03-02")
    return Needs(ids)


def run(app, date_from: str, date_to: str) -> Report:
    return ReportService(app.db, app.clock).run("unmet-needs", date_from, date_to)


def rows(report: Report, key: str) -> dict[str, tuple]:
    return {row[0]: tuple(row[1:]) for row in report.table(key).rows}


def test_counts_by_category_include_every_category(app, needs) -> None:
    report = run(app, *JAN)
    table = report.table("by_category")
    assert [c.key for c in table.columns] == ["label", *R]
    got = rows(report, "by_category")
    assert len(got) == 17  # every default category, zeros included
    assert got["Accommodation"] == (1, 1, 0, 0, 2)  # n4 no service, n10 full again in January
    assert got["Emotional well-being"] == (1, 0, 0, 0, 1)  # n3: the last unmet reason
    assert got["Family and children"] == (0, 0, 1, 0, 1)  # n5: logged in Jan, unmet later
    assert got["Financial management and income"] == (0, 0, 1, 0, 1)  # n12: backdated
    assert got["Health – physical and mental"] == (0, 0, 0, 1, 1)  # n7: met since, still counts
    assert got["Drug misuse"] == (0, 1, 0, 0, 1)  # n8 on 31 Jan, not n9 on 1 Feb
    assert got["Other"] == (1, 0, 0, 0, 1)
    assert got["Alcohol misuse"] == (0, 0, 0, 0, 0)  # n6 was never unmet
    assert got["Education, training and employability"] == (0, 0, 0, 0, 0)  # n1 is December's
    for between in (
        "Release and resettlement practical support",
        "Bereavement and pre-bereavement",
        "Social networks and mentoring",
        "Women-specific support",
    ):
        assert got[between] == (0, 0, 0, 0, 0)
    assert table.totals == ("Total", 3, 2, 2, 1, 8)


def test_counts_by_place_setting_and_equality_group(app, needs) -> None:
    report = run(app, *JAN)
    assert rows(report, "by_place") == {
        "HMP Styal": ("Custody", 2, 0, 1, 0, 3),
        "Other": ("Community", 1, 1, 0, 0, 2),  # not in the area list: never printed as typed
        "West Yorkshire": ("Community", 0, 1, 1, 1, 3),  # the area code, shown by its label
    }
    assert report.table("by_place").totals == ("Total", "", 3, 2, 2, 1, 8)
    assert rows(report, "by_gender") == {
        "Female": (2, 0, 1, 0, 3),
        "Male": (0, 1, 1, 1, 3),
        "Other answer": (1, 1, 0, 0, 2),  # free text never reaches a table
    }
    assert rows(report, "by_ethnicity") == {
        "Asian, Asian British or Asian Welsh": (0, 1, 1, 1, 3),
        "White": (2, 0, 1, 0, 3),
        "Not recorded": (1, 1, 0, 0, 2),
    }
    # Age when the need was logged: Ann turned 26 on 7 January.
    assert rows(report, "by_age") == {
        "18-25": (1, 0, 0, 0, 1),
        "26-35": (1, 0, 1, 0, 2),
        "50-64": (0, 1, 1, 1, 3),
        "Not recorded": (1, 1, 0, 0, 2),
    }
    assert rows(report, "by_disability") == {
        "Disabled": (2, 0, 1, 0, 3),
        "Not disabled": (1, 1, 0, 0, 2),
        "Not recorded": (0, 1, 1, 1, 3),
    }
    assert rows(report, "by_foreign_national") == {
        "Foreign national": (0, 1, 1, 1, 3),
        "Not a foreign national": (2, 0, 1, 0, 3),
        "Not recorded": (1, 1, 0, 0, 2),
    }
    for key in ("by_gender", "by_ethnicity", "by_age", "by_disability", "by_foreign_national"):
        assert report.table(key).totals == ("Total", 3, 2, 2, 1, 8)


def test_cohorts_overlap_so_they_have_no_total_row(app, needs) -> None:
    report = run(app, *JAN)
    table = report.table("by_cohort")
    assert table.totals is None
    assert rows(report, "by_cohort") == {
        "Integrated Offender Management (IOM)": (0, 1, 1, 1, 3),
        "Prolific and Priority Offender (PPO)": (0, 0, 0, 0, 0),
        "Women's service": (2, 0, 1, 0, 3),
        "Young adults (18-25)": (2, 0, 1, 0, 3),
        "None of these cohorts": (1, 1, 0, 0, 2),
    }


def test_trend_by_month_counts_a_need_in_each_month_it_was_unmet(app, needs) -> None:
    report = run(app, "2025-12-01", "2026-02-28")
    assert rows(report, "trend") == {
        "2025-12": (1, 1, 0, 0, 2),  # n10 no service, n1 full
        "2026-01": (3, 2, 2, 1, 8),
        "2026-02": (0, 0, 1, 1, 2),  # n5 entered not eligible, n9 out of area
    }
    assert report.table("trend").totals is None
    # Over the quarter each need counts once: 10 needs, not 2 + 8 + 2.
    assert report.table("by_category").totals == ("Total", 3, 3, 2, 2, 10)


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        ("2026-01-31", "2026-01-31", ("Total", 0, 1, 0, 0, 1)),  # n8 only
        ("2026-02-01", "2026-02-01", ("Total", 0, 0, 0, 1, 1)),  # n9 only
        ("2026-01-01", "2026-01-01", ("Total", 1, 0, 0, 0, 1)),  # n2 only
        ("2025-12-31", "2025-12-31", ("Total", 0, 1, 0, 0, 1)),  # n1 only
        ("2026-01-12", "2026-01-12", ("Total", 0, 0, 1, 0, 1)),  # n12 by its identified date
        ("2026-03-01", "2026-03-01", ("Total", 0, 0, 1, 0, 1)),  # n12 entered unmet that day
        ("2026-02-02", "2026-02-02", ("Total", 0, 0, 0, 0, 0)),
    ],
)
def test_period_edges(app, needs, date_from: str, date_to: str, expected: tuple) -> None:
    assert run(app, date_from, date_to).table("by_category").totals == expected


def test_other_descriptions_are_for_the_screen_only(app, needs) -> None:
    report = run(app, *JAN)
    (other,) = report.other_descriptions
    assert other.description == "Help with a pet while in custody"
    assert other.identified_on == date(2026, 1, 1)
    assert other.need_id == needs.ids["n2"]
    assert prepare(report, 5).other_descriptions == ()
    assert run(app, "2026-02-01", "2026-02-28").other_descriptions == ()


def test_charts_read_their_tables(app, needs) -> None:
    report = run(app, "2025-12-01", "2026-02-28")
    by_key = {c.key: c for c in report.all_chart_data()}
    trend = by_key["chart_trend"]
    assert trend.labels == ("2025-12", "2026-01", "2026-02")
    assert trend.series[0].values == (2.0, 8.0, 2.0)
    assert by_key["chart_reason"].labels == (
        "No service found",
        "Service full",
        "Not eligible",
        "Out of area",
    )
    assert by_key["chart_reason"].series[0].values == (3.0, 3.0, 2.0, 2.0)


def test_suppressed_report_hides_small_counts_and_their_complements(app, needs) -> None:
    safe = prepare(run(app, *JAN), 5)
    table = safe.table("by_category")
    assert table.totals == ("Total", "<5", "<5", "<5", "<5", 8)
    got = {row[0]: tuple(row[1:]) for row in table.rows}
    assert got["Accommodation"] == ("<5", "<5", 0, 0, "<5")
    assert got["Other"] == ("<5", 0, 0, 0, "<5")
    # No hidden cell is alone in its row or column (else total minus the rest gives it away).
    hidden = ("<5", "[c]")
    for t in safe.tables:
        first = next(i for i, c in enumerate(t.columns) if c.kind == "count")
        lines = [list(r[first:]) for r in t.rows] + ([list(t.totals[first:])] if t.totals else [])
        for line in lines:
            assert sum(v in hidden for v in line) != 1, t.key
        if t.totals:
            for column in zip(*lines, strict=True):
                assert sum(v in hidden for v in column) != 1, t.key
    # Every table that prints the totals row hides the same cells of it.
    shared = {t.totals[-5:] for t in safe.tables if t.totals is not None}
    assert shared == {("<5", "<5", "<5", "<5", 8)}
    # Trend and charts follow their tables.
    assert all(
        v is None or v == 0 or v >= 5
        for c in safe.all_chart_data()
        for s in c.series
        for v in s.values
    )


def test_an_empty_database_gives_zero_tables(app) -> None:
    report = run(app, *JAN)
    assert report.table("by_category").totals == ("Total", 0, 0, 0, 0, 0)
    assert report.table("by_place").rows == ()
    assert len(report.table("trend").rows) == 1
