"""Follow-up discipline report: on time, late, overdue, not yet due, by officer, team and kind."""

from __future__ import annotations

from datetime import date

import pytest

from referral_desk.reports.export import prepare, to_csv_bytes
from referral_desk.reports.model import Report
from referral_desk.store.models import FollowUp, Officer, SiteState
from referral_desk.usecases.reports import ReportService

PERIOD = ("2026-02-01", "2026-03-31")  # the app's today is Monday 2 March 2026
FIGURES = ("due", "on_time", "late", "overdue", "not_due", "oldest")


@pytest.fixture
def follow_ups(app) -> None:
    person = app.people.add(given_name="Eve", family_name="Elm", date_of_birth="1980-01-01")
    app.reference.add_item("team", "Leeds North")  # "Cardiff" is not in the team list
    with app.db.write() as s:
        alex = s.get(SiteState, 1).officer_id  # "Alex Morgan", Leeds North (conftest profile)
        bea = Officer(name="Bea Bright", team="Leeds North")
        cal = Officer(name="Cal Cole", team="Cardiff")
        dev = Officer(name="Dev Dunn", team="")
        s.add_all([bea, cal, dev])
        s.flush()

        def fu(
            officer: str | None, kind: str, due: str, done: str | None = None, deleted: bool = False
        ) -> None:
            row = FollowUp(
                person_id=person.id,
                officer_id=officer,
                kind=kind,
                due_on=date.fromisoformat(due),
                done_on=date.fromisoformat(done) if done else None,
            )
            if deleted:
                row.deleted_at = app.clock.now()
            s.add(row)

        fu(alex, "check_acceptance", "2026-02-02", "2026-02-02")  # on time (same day)
        fu(alex, "check_attendance", "2026-02-03", "2026-02-10")  # late
        fu(alex, "review_progress", "2026-02-20")  # overdue 10 days
        fu(bea.id, "check_acceptance", "2026-02-10")  # overdue 20 days
        fu(bea.id, "custom", "2026-03-02")  # due today: not yet overdue
        fu(cal.id, "pre_release_check", "2026-03-20")  # not yet due
        fu(cal.id, "check_acceptance", "2026-02-01", "2026-01-30")  # first day, done early
        fu(dev.id, "custom", "2026-02-28", "2026-03-01")  # late, officer without a team
        fu(None, "tell_provider", "2026-02-15")  # overdue 15 days, nobody assigned
        fu("6f1d8a52-0000-4000-8000-000000000000", "custom", "2026-02-05")  # officer not here
        fu(alex, "custom", "2026-01-31")  # before the period
        fu(alex, "custom", "2026-04-01")  # after the period
        fu(bea.id, "custom", "2026-02-12", deleted=True)  # deleted


def run(app, date_from: str, date_to: str) -> Report:
    return ReportService(app.db, app.clock).run("followups", date_from, date_to)


def test_by_officer(app, follow_ups) -> None:
    table = run(app, *PERIOD).table("by_officer")
    assert table.rows == (
        ("Alex Morgan", "Leeds North", 3, 1, 1, 1, 0, 10),
        ("Bea Bright", "Leeds North", 2, 0, 0, 1, 1, 20),
        ("Dev Dunn", "No team", 1, 0, 1, 0, 0, None),
        ("Not assigned", "No team", 2, 0, 0, 2, 0, 25),  # no officer, or one not synced here
        ("Cal Cole", "Other", 2, 1, 0, 0, 1, None),  # a team not in the list: never as typed
    )
    assert table.totals == ("Total", "", 10, 2, 2, 4, 2, 25)


def test_by_kind(app, follow_ups) -> None:
    table = run(app, *PERIOD).table("by_kind")
    assert table.rows == (
        ("Check acceptance", 3, 2, 0, 1, 0, 20),
        ("Check attendance", 1, 0, 1, 0, 0, None),
        ("Review progress", 1, 0, 0, 1, 0, 10),
        ("Pre release check", 1, 0, 0, 0, 1, None),
        ("Tell provider", 1, 0, 0, 1, 0, 15),
        ("Custom", 3, 0, 1, 1, 1, 25),
    )


@pytest.mark.parametrize(
    ("date_from", "date_to", "totals"),
    [
        ("2026-02-01", "2026-02-01", ("Total", 1, 1, 0, 0, 0, None)),
        ("2026-03-02", "2026-03-02", ("Total", 1, 0, 0, 0, 1, None)),  # due today
        ("2026-03-01", "2026-03-01", ("Total", 0, 0, 0, 0, 0, None)),
        ("2026-01-31", "2026-01-31", ("Total", 1, 0, 0, 1, 0, 30)),
        ("2026-04-01", "2026-04-30", ("Total", 1, 0, 0, 0, 1, None)),
    ],
)
def test_period_edges(app, follow_ups, date_from: str, date_to: str, totals: tuple) -> None:
    assert run(app, date_from, date_to).table("by_kind").totals == totals


def test_export_pseudonymises_officers_and_suppresses(app, follow_ups) -> None:
    report = run(app, *PERIOD)
    safe = prepare(report, 5)
    officers = [row[0] for row in safe.table("by_officer").rows]
    assert officers == ["Officer 1", "Officer 2", "Officer 3", "Not assigned", "Officer 4"]
    teams = [row[1] for row in safe.table("by_officer").rows]
    assert teams == ["Leeds North", "Leeds North", "No team", "No team", "Other"]
    assert [c.key for c in safe.table("by_officer").columns] == ["label", "team", *FIGURES]
    csv_text = to_csv_bytes(report, 5).decode("utf-8-sig")
    for name in ("Alex", "Morgan", "Bea", "Cal Cole", "Dev Dunn", "Cardiff"):
        assert name not in csv_text
    # Both tables print the same totals row, so both hide the same cells of it.
    hidden = "<5"
    assert safe.table("by_officer").totals == ("Total", "", 10, *[hidden] * 4, "[c]")
    assert safe.table("by_kind").totals == ("Total", 10, *[hidden] * 4, "[c]")
    assert "by_team" not in [t.key for t in report.tables]  # nested in by_officer instead
