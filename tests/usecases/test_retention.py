"""Retention (issue 12): a team setting says how many years after a case was closed its
personal details are erased; a dry run lists what would go (ids and dates, no names), and the
erasure (a manager, confirmed) goes through the ordinary delete path, so tombstones travel."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from logged import logged_values
from role_helpers import join_another_team, leave_the_team, leave_the_team_at
from sqlalchemy import select

from referral_desk.app import run
from referral_desk.domain.errors import NotPermitted, ValidationError
from referral_desk.store.models import ChangeEntry, Need, Person
from referral_desk.store.soft_delete import INCLUDE_DELETED
from referral_desk.usecases.retention import DEFAULT_YEARS, years_after

# TODAY (tests/conftest.py) is 2 March 2026.


def _closed(app, name: str, closed_on: str | None) -> str:
    pid = app.people.add(given_name=name, family_name="Closed", date_of_birth="1970-01-02").id
    app.needs.log(pid, "finance", f"{name}'s debts")
    if closed_on:
        app.cases.close_case(pid, closed_on)
    return pid


@pytest.fixture
def caseload(app) -> dict[str, str]:
    return {
        "old": _closed(app, "Oldest", "2018-01-15"),
        "edge": _closed(app, "Edge", "2019-03-02"),  # exactly 7 years: due today
        "young": _closed(app, "Younger", "2019-03-03"),
        "open": _closed(app, "Open", None),
    }


def test_the_default_and_the_dry_run_lists_ids_and_dates_only(app, caseload) -> None:
    assert app.retention.years() == DEFAULT_YEARS == 7
    due = app.retention.due()
    assert [(i.person_id, i.closed_on) for i in due] == [
        (caseload["old"], date(2018, 1, 15)),
        (caseload["edge"], date(2019, 3, 2)),
    ]
    assert set(due[0].to_dict()) == {"person_id", "closed_on", "erase_from"}
    assert app.people.get(caseload["old"]).family_name == "Closed"  # nothing erased


def test_only_a_manager_changes_the_period_or_erases(app, caseload) -> None:
    join_another_team(app.db)
    with pytest.raises(NotPermitted):
        app.retention.set_years(3)
    with pytest.raises(NotPermitted):
        app.retention.apply()
    assert app.retention.years() == 7 and len(app.people.list()) == 4


@pytest.mark.parametrize("bad", ["0", "101", "seven", "", "-1", "2.5"])
def test_a_bad_period_is_refused(app, bad) -> None:
    leave_the_team(app.db)
    with pytest.raises(ValidationError, match="retention period"):
        app.retention.set_years(bad)
    assert app.retention.years() == 7


def test_apply_erases_what_the_dry_run_listed_as_tombstones(app, caseload) -> None:
    leave_the_team(app.db)
    app.retention.set_years(8)
    assert [i.person_id for i in app.retention.due()] == [caseload["old"]]
    app.retention.set_years(7)
    result = app.retention.apply(expected=2)
    assert sorted(i.person_id for i in result.erased) == sorted([caseload["old"], caseload["edge"]])
    assert sorted(p.id for p in app.people.list()) == sorted([caseload["young"], caseload["open"]])
    with app.db.read() as s:
        gone = s.get(Person, caseload["old"])
        assert gone.deleted_at is not None and gone.family_name == ""
        needs = select(Need).where(Need.person_id == caseload["old"])
        assert s.scalars(needs, execution_options=INCLUDE_DELETED).one().deleted_at
        tombstones = s.scalars(
            select(ChangeEntry.record_id).where(ChangeEntry.tombstone.is_(True))
        ).all()
        assert {caseload["old"], caseload["edge"]} <= set(tombstones)
        values = logged_values(s)
        assert not [v for v in values if "Oldest" in v or "Edge's debts" in v]
    assert app.retention.due() == []
    assert app.audit.verify().intact


def test_apply_refuses_when_the_list_changed_since_the_dry_run(app, caseload) -> None:
    leave_the_team(app.db)
    with pytest.raises(ValidationError, match="nothing was erased"):
        app.retention.apply(expected=1)
    assert len(app.people.list()) == 4


def test_the_period_is_a_team_setting_that_travels(app) -> None:
    leave_the_team(app.db)
    app.retention.set_years(10)
    with app.db.read() as s:
        values = logged_values(
            s, ChangeEntry.table_name == "team_setting", ChangeEntry.field == "value"
        )
    assert "10" in values


def test_years_after_a_leap_day() -> None:
    assert years_after(date(2020, 2, 29), 7) == date(2027, 2, 28)
    assert years_after(date(2020, 2, 29), 8) == date(2028, 2, 29)


def test_the_command_line(app, capsys) -> None:
    # The command line runs on the real clock: closing dates relative to the real today.
    today = date.today()
    _closed(app, "Oldest", years_after(today, -10).isoformat())
    _closed(app, "Edge", years_after(today, -8).isoformat())
    _closed(app, "Younger", years_after(today, -1).isoformat())
    data = str(Path(app.db.path).parent)
    join_another_team(app.db)
    app.close()
    assert run(["--data-dir", data, "retention", "--dry-run", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["years"] == 7 and len(listed["due"]) == 2
    assert run(["--data-dir", data, "retention"]) == 0
    out = capsys.readouterr().out
    assert "2 people due for erasure" in out and "Oldest" not in out and "Closed" not in out
    for argv, words in (
        (["retention", "apply", "--yes"], "Only a manager"),
        (["retention", "set", "3"], "Only a manager"),
        (["retention", "set"], "retention set YEARS"),
        (["retention", "apply", "12"], "Only `retention set`"),
    ):
        assert run(["--data-dir", data, *argv]) == 1
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1
    leave_the_team_at(Path(data))
    assert run(["--data-dir", data, "retention", "set", "nine"]) == 1
    assert run(["--data-dir", data, "retention", "apply"]) == 1  # not a terminal, no --yes
    assert "add --yes" in capsys.readouterr().err
    assert run(["--data-dir", data, "retention", "apply", "--yes", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["erased"]) == 2


def test_reports_inside_the_retention_window_keep_their_counts(app) -> None:
    """Retention erases cases closed years ago: a report over the recent years counts exactly
    what it counted before; one over the erased years no longer counts them (README)."""
    from referral_desk.usecases.base import Clock
    from referral_desk.usecases.needs import NeedService
    from referral_desk.usecases.people import PeopleService

    then = Clock(fixed_today=date(2017, 5, 2))
    old = (
        PeopleService(app.db, then)
        .add(given_name="Old", family_name="Case", date_of_birth="1960-01-02")
        .id
    )
    NeedService(app.db, then).log(old, "finance", "Old debts", unmet="no-service")
    app.cases.close_case(old, "2018-01-15")
    recent = _closed(app, "Recent", None)
    app.needs.log(recent, "accommodation", "No fixed abode", unmet="no-service")

    def counts(start: str, end: str) -> str:
        return json.dumps(app.reports.data("unmet-needs", start, end), sort_keys=True)

    recent_before, old_before = (
        counts("2025-03-02", "2026-03-02"),
        counts("2017-01-01", "2017-12-31"),
    )
    leave_the_team(app.db)
    assert [i.person_id for i in app.retention.apply().erased] == [old]
    assert counts("2025-03-02", "2026-03-02") == recent_before
    assert counts("2017-01-01", "2017-12-31") != old_before
