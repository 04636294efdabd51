"""Referral-outcomes report: exact figures from known referrals, edges, suppression."""

from __future__ import annotations

from datetime import date

import pytest

from referral_desk.reports.export import prepare
from referral_desk.reports.model import Report
from referral_desk.store.models import Organisation, Service
from referral_desk.usecases.reports import ReportService

JAN = ("2026-01-01", "2026-01-31")
FIGURES = (
    "made",
    "acknowledged",
    "accepted",
    "waiting_list",
    "started",
    "completed",
    "ended_early",
    "withdrawn",
    "median_ack",
    "median_start",
    "outcomes",
    "score",
    "mean_score",
)


def on(app, day: str) -> None:
    app.clock.fixed_today = date.fromisoformat(day)


@pytest.fixture
def services(app) -> dict[str, str]:
    with app.db.write() as s:
        light = Organisation(name="Lighthouse Trust")
        quiet = Organisation(name="Quiet Ltd")
        busy = Organisation(name="Busy Org")
        svc = {
            "housing": Service(name="Housing Advice", organisation_id=light.id),
            "tenancy": Service(name="Tenancy Support", organisation_id=light.id),
            "silent": Service(name="Silent Service", organisation_id=quiet.id),
            "waiting": Service(name="Waiting Service", organisation_id=busy.id),
        }
        s.add_all([light, quiet, busy, *svc.values()])
    return {k: v.id for k, v in svc.items()}


@pytest.fixture
def referrals(app, services) -> dict[str, str]:
    """Fourteen referrals; each line says what happens to it."""
    on(app, "2025-12-01")
    person = app.people.add(
        given_name="Dee",
        family_name="Dale",
        date_of_birth="1990-01-01",
        consent_given_on="2025-11-01",
    )
    need = app.needs.log(person.id, "accommodation", "somewhere to live")
    refs: dict[str, str] = {}

    def make(key: str, day: str, service: str, draft: bool = False) -> None:
        on(app, day)
        made = app.referrals.make(need.id, services[service], consent=True, draft=draft)
        refs[key] = made.reference

    def move(key: str, day: str, state: str, **kwargs: str) -> None:
        on(app, day)
        app.referrals.record_status(refs[key], state, **kwargs)

    make("r10", "2025-12-31", "housing")  # made in December
    make("r1", "2026-01-05", "housing")
    move("r1", "2026-01-08", "acknowledged")  # 3 days
    move("r1", "2026-01-09", "accepted")
    move("r1", "2026-01-15", "started")  # 10 days
    move("r1", "2026-02-20", "completed", outcome="achieved")
    make("r2", "2026-01-05", "housing")
    move("r2", "2026-01-07", "declined", reason="no_capacity")  # 2 days
    make("r3", "2026-01-06", "housing")
    move("r3", "2026-01-10", "waiting-list")  # 4 days
    move("r3", "2026-01-20", "accepted")
    move("r3", "2026-01-25", "started")  # 19 days
    move("r3", "2026-02-10", "completed", outcome="partly-achieved")
    make("r4", "2026-01-06", "tenancy")
    move("r4", "2026-01-16", "accepted")  # 10 days
    move("r4", "2026-01-30", "ended-early", reason="disengaged")
    make("r5", "2026-01-10", "tenancy")
    move("r5", "2026-01-11", "declined", reason="not_eligible")  # 1 day
    make("r6", "2026-01-12", "silent")  # never answered
    make("r7", "2026-01-13", "silent")
    move("r7", "2026-01-20", "withdrawn", reason="made_by_mistake")
    make("r11", "2026-01-20", "waiting", draft=True)  # never sent: not a referral made
    make("r12", "2026-01-21", "housing")
    move("r12", "2026-01-22", "accepted")  # 1 day
    move("r12", "2026-01-23", "started")  # 2 days
    move("r12", "2026-01-30", "completed", outcome="not-achieved")
    make("r13", "2026-01-22", "housing")  # deleted below
    make("r14", "2026-01-25", "waiting")
    move("r14", "2026-01-26", "waiting-list")  # 1 day, still waiting
    make("r8", "2026-01-31", "tenancy")  # last day of January
    move("r8", "2026-02-02", "acknowledged")  # 2 days
    make("r9", "2026-02-01", "housing")  # first day of February
    on(app, "2026-02-01")
    app.referrals.delete(refs["r13"])
    on(app, "2026-03-02")
    return refs


def run(app, date_from: str, date_to: str) -> Report:
    return ReportService(app.db, app.clock).run("outcomes", date_from, date_to)


def figures(report: Report, key: str, labels: int = 1) -> dict[tuple, tuple]:
    table = report.table(key)
    return {tuple(row[:labels]): tuple(row[labels:]) for row in table.rows}


def test_by_provider_and_service(app, referrals) -> None:
    report = run(app, *JAN)
    table = report.table("by_service")
    assert [c.key for c in table.columns] == ["label", "service", *FIGURES]
    assert [row[:2] for row in table.rows] == [
        ("Lighthouse Trust", "Housing Advice"),  # busiest first
        ("Lighthouse Trust", "Tenancy Support"),
        ("Quiet Ltd", "Silent Service"),
        ("Busy Org", "Waiting Service"),
    ]
    assert figures(report, "by_service", 2) == {
        # made ack acc wait start comp early withdr | med ack, med start | outcomes score mean
        ("Lighthouse Trust", "Housing Advice"): (4, 4, 3, 1, 3, 3, 0, 0, 2.5, 10.0, 3, 1.5, 0.5),
        ("Lighthouse Trust", "Tenancy Support"): (3, 3, 1, 0, 0, 0, 1, 0, 2.0, None, 0, None, None),
        ("Quiet Ltd", "Silent Service"): (2, 0, 0, 0, 0, 0, 0, 1, None, None, 0, None, None),
        ("Busy Org", "Waiting Service"): (1, 1, 0, 1, 0, 0, 0, 0, 1.0, None, 0, None, None),
    }
    # Median days to acknowledge over 1, 1, 1, 2, 2, 3, 4, 10; to start over 2, 10, 19.
    assert table.totals == ("Total", "", 10, 8, 4, 2, 3, 3, 1, 1, 2.0, 10.0, 3, 1.5, 0.5)


def test_declines_by_reason(app, referrals) -> None:
    table = run(app, *JAN).table("declined_by_reason")
    assert [c.title for c in table.columns] == [
        "Provider",
        "Service",
        "Not eligible",
        "No capacity",
        "Out of area",
        "Offence-type exclusion",
        "Could not contact person",
        "Total declined",
    ]
    assert table.rows == (
        ("Lighthouse Trust", "Housing Advice", 0, 1, 0, 0, 0, 1),
        ("Lighthouse Trust", "Tenancy Support", 1, 0, 0, 0, 0, 1),
    )
    assert table.totals == ("Total", "", 1, 1, 0, 0, 0, 2)


def test_providers_that_never_respond(app, referrals) -> None:
    table = run(app, *JAN).table("never_respond")
    # Quiet Ltd: one service, sent referrals on 12 and 13 January; today is 2 March.
    assert table.rows == (("Quiet Ltd", 1, 49, 48),)
    assert table.totals is None
    assert not [c for c in table.columns if c.kind == "count"]  # nothing to suppress here


def test_waiting_list_is_an_outcome_state(app, referrals) -> None:
    table = run(app, *JAN).table("by_service")
    assert "Waiting list" in [c.title for c in table.columns]
    assert table.totals_dict()["waiting_list"] == 2  # r3 (then accepted) and r14 (still waiting)


@pytest.mark.parametrize(
    ("date_from", "date_to", "made"),
    [
        ("2026-01-31", "2026-01-31", 1),  # r8
        ("2026-02-01", "2026-02-28", 1),  # r9
        ("2025-12-31", "2025-12-31", 1),  # r10
        ("2025-12-01", "2026-02-28", 12),
        ("2026-03-01", "2026-03-31", 0),
    ],
)
def test_period_edges(app, referrals, date_from: str, date_to: str, made: int) -> None:
    assert run(app, date_from, date_to).table("by_service").totals[2] == made


def test_empty_period_has_zero_totals_and_no_rows(app, referrals) -> None:
    report = run(app, "2026-03-01", "2026-03-31")
    assert report.table("by_service").rows == ()
    assert report.table("by_service").totals == (
        "Total",
        "",
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        None,
        None,
        0,
        None,
        None,
    )
    assert report.table("declined_by_reason").rows == ()
    assert report.table("never_respond").rows == ()


def test_charts(app, referrals) -> None:
    charts = {c.key: c for c in run(app, *JAN).all_chart_data()}
    funnel = charts["chart_funnel"]
    assert funnel.labels == ("Made", "Acknowledged", "Accepted", "Started", "Completed")
    assert funnel.series[0].values == (10.0, 8.0, 4.0, 3.0, 3.0)
    assert charts["chart_declines"].labels[:2] == ("Not eligible", "No capacity")
    assert charts["chart_declines"].series[0].values == (1.0, 1.0, 0.0, 0.0, 0.0)


def test_suppression_hides_small_counts_and_the_measures_built_on_them(app, referrals) -> None:
    safe = prepare(run(app, *JAN), 5)
    table = safe.table("by_service")
    hidden = "<5"
    # Housing Advice: every figure is 1-4 except no early ends and no withdrawals (zeros).
    assert table.rows[0] == (
        "Lighthouse Trust",
        "Housing Advice",
        *[hidden] * 6,
        0,
        0,
        "[c]",
        "[c]",
        hidden,
        "[c]",
        "[c]",
    )
    # Quiet Ltd never answered (the next table says so), so its zero replies are public and
    # stay visible; its two referrals and one withdrawal are hidden.
    assert table.rows[2] == (
        "Quiet Ltd",
        "Silent Service",
        hidden,
        0,
        0,
        0,
        0,
        0,
        0,
        hidden,
        None,
        None,
        0,
        None,
        None,
    )
    # Totals: 10 made and 8 acknowledged are shown; the median of 8 replies too.
    assert table.totals == (
        "Total",
        "",
        10,
        8,
        *[hidden] * 6,
        2.0,
        "[c]",
        hidden,
        "[c]",
        "[c]",
    )
    declines = safe.table("declined_by_reason")
    assert declines.totals == ("Total", "", hidden, hidden, 0, 0, 0, hidden)
    assert safe.table("never_respond").rows == (("Quiet Ltd", 1, 49, 48),)
