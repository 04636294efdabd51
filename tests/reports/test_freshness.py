"""Directory freshness report: services by months since verification, share pre-checked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.months import months_between
from referral_desk.reports.export import prepare
from referral_desk.reports.freshness import _cutoff
from referral_desk.reports.model import Report
from referral_desk.store.models import Organisation, Service, ServiceCategory
from referral_desk.usecases.reports import ReportService

TODAY = date(2026, 3, 2)


@pytest.fixture
def directory(app) -> None:
    with app.db.write() as s:
        org = Organisation(name="Org")
        s.add(org)

        def svc(
            name: str,
            assured: str | None,
            prechecked: bool = False,
            *categories: str,
            status: str = "active",
            isp: bool | None = None,
            deleted: bool = False,
        ) -> None:
            row = Service(
                name=name,
                organisation_id=org.id,
                status=status,
                assured_date=date.fromisoformat(assured) if assured else None,
                isp_agreed=prechecked if isp is None else isp,
                reports_attendance=prechecked,
            )
            if deleted:
                row.deleted_at = app.clock.now()
            s.add(row)
            for code in categories:
                s.add(ServiceCategory(service_id=row.id, category_code=code))

        svc("s1", "2026-03-02", True, "accommodation", "ete")  # today: 0 months
        svc("s2", "2025-12-03", False, "accommodation")  # 2 months (a day short of 3)
        svc("s13", "2026-04-01", True)  # future date: counts as fresh
        svc("s3", "2025-12-02", True)  # exactly 3 months
        svc("s4", "2025-09-03", False, isp=True)  # 5 months; ISP only is not pre-checked
        svc("s5", "2025-09-02", True, "ete")  # exactly 6 months
        svc("s6", "2025-03-03", False)  # 11 months
        svc("s7", "2025-03-02", False)  # exactly 12 months
        svc("s9", "2024-03-03", False)  # 23 months
        svc("s8", "2024-03-02", False)  # exactly 24 months
        svc("s14", "2023-01-01", False)  # 38 months
        svc("s10", None, False, "other")  # never verified
        svc("s11", "2026-03-02", True, "accommodation", status="defunct")  # left out
        svc("s12", "2026-03-02", True, "accommodation", deleted=True)  # left out
        svc("s15", "2026-01-10", False, status="temporarily closed")  # still in the directory


def run(app) -> Report:
    return ReportService(app.db, app.clock).run("freshness", "2026-01-01", "2026-01-31")


def test_services_by_band(app, directory) -> None:
    table = run(app).table("by_band")
    assert table.rows == (
        ("Under 3 months", 4, 2, 50.0),
        ("3-5 months", 2, 1, 50.0),
        ("6-11 months", 2, 1, 50.0),
        ("12-23 months", 2, 0, 0.0),
        ("24 months or more", 2, 0, 0.0),
        ("Never verified", 1, 0, 0.0),
    )
    assert table.totals == ("Total", 13, 4, 30.8)


def test_services_by_category_and_band(app, directory) -> None:
    table = run(app).table("by_category")
    assert table.totals is None  # a service in two categories would count twice
    got = {row[0]: row[1:] for row in table.rows}
    assert len(got) == 17
    assert got["Accommodation"] == (2, 0, 0, 0, 0, 0, 2, 1, 50.0)
    assert got["Education, training and employability"] == (1, 0, 1, 0, 0, 0, 2, 2, 100.0)
    assert got["Other"] == (0, 0, 0, 0, 0, 1, 1, 0, 0.0)
    assert got["Drug misuse"] == (0, 0, 0, 0, 0, 0, 0, 0, None)


def test_snapshot_notes_and_median(app, directory) -> None:
    report = run(app)
    assert report.generated_on == TODAY
    assert any("snapshot on 2026-03-02" in n for n in report.notes)
    # Verified: 0, 0, 1 (s15), 2, 3, 5, 6, 11, 12, 23, 24, 38 months -> median of 6th and 7th.
    assert "Median months since verification (verified services): 5.5." in report.notes


def test_empty_directory(app) -> None:
    table = run(app).table("by_band")
    assert table.totals == ("Total", 0, 0, None)
    assert all(row[1:] == (0, 0, None) for row in table.rows)


def test_suppression(app, directory) -> None:
    table = prepare(run(app), 5).table("by_band")
    assert table.rows == (
        ("Under 3 months", "<5", "<5", "[c]"),  # a share of hidden counts is hidden too
        ("3-5 months", "<5", "<5", "[c]"),
        ("6-11 months", "<5", "<5", "[c]"),
        ("12-23 months", "<5", 0, 0.0),
        ("24 months or more", "<5", 0, 0.0),
        ("Never verified", "<5", 0, 0.0),
    )
    assert table.totals == ("Total", 13, "<5", "[c]")


@given(
    assured=st.dates(date(2015, 1, 1), date(2030, 12, 31)),
    today=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    months=st.sampled_from([3, 6, 12, 24]),
)
def test_cutoff_text_comparison_matches_months_between(
    assured: date, today: date, months: int
) -> None:
    """The SQL compares ISO text against a cut-off; it must agree with the month arithmetic."""
    assert (months_between(assured, today) < months) == (
        assured.isoformat() > _cutoff(today, months)
    )
    assert _cutoff(today, 0) == today.isoformat()
    assert months_between(today - timedelta(days=0), today) == 0
