"""The access log (issue 12, "Accountable"): who opened which person's record and when —
reads, not only writes — kept locally and synced, visible to a manager only, erased with the
person, and never in reports or the hub return."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from role_helpers import join_another_team, leave_the_team, leave_the_team_at
from sqlalchemy import select
from unlocking import connect, open_test_services

from referral_desk.app import run
from referral_desk.domain.errors import DatabaseBusy, NotFound, NotPermitted
from referral_desk.store.access_models import RecordAccess
from referral_desk.store.soft_delete import INCLUDE_DELETED
from referral_desk.usecases.base import Clock


class Ticking(Clock):
    """A clock a test moves on by hand."""

    def __init__(self, start: datetime) -> None:
        super().__init__()
        self.at = start

    def today(self):  # type: ignore[override]
        return self.at.date()

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def timed(tmp_path: Path, template_db: Path):
    import shutil

    data = tmp_path / "timed"
    data.mkdir(mode=0o700)
    shutil.copy2(template_db, data / "referral-desk.sqlite3")
    clock = Ticking(datetime(2026, 3, 2, 9, 0))
    services = open_test_services(data, clock)
    yield services, clock
    services.close()


def _rows(app) -> list[RecordAccess]:
    with app.db.read() as s:
        every = select(RecordAccess).order_by(RecordAccess.at)
        return list(s.scalars(every, execution_options=INCLUDE_DELETED))


def _person(app, name: str = "Ada") -> str:
    return app.people.add(given_name=name, family_name="Opened", date_of_birth="1980-01-02").id


def test_opening_a_person_is_noted_once_per_few_minutes(timed) -> None:
    app, clock = timed
    pid = _person(app)
    for _ in range(5):  # repaints, reloads after edits
        app.people.detail(pid)
    clock.at += timedelta(minutes=4)
    app.people.detail(pid)
    assert len(_rows(app)) == 1
    clock.at += timedelta(minutes=2)
    app.people.detail(pid)
    rows = _rows(app)
    assert [(r.kind, r.at) for r in rows] == [
        ("open", datetime(2026, 3, 2, 9, 0)),
        ("open", datetime(2026, 3, 2, 9, 6)),
    ]
    officer = app.profile.get()
    assert {r.officer_id for r in rows} == {officer.id}


def test_reading_without_showing_is_not_noted(app) -> None:
    pid = _person(app)
    app.people.detail(pid, access=None)
    assert _rows(app) == []


def test_slips_and_forms_note_the_person_they_name(app) -> None:
    from referral_desk.store.models import Organisation, Service

    with app.db.write() as s:
        org = Organisation(name="Trust")
        svc = Service(name="Advice", organisation_id=org.id, response_days=3)
        s.add_all([org, svc])
    pid = _person(app)
    need = app.needs.log(pid, "finance", "Debts")
    ref = app.referrals.make(need.id, svc.id, consent=True)
    app.printing.slip_pdf(ref.reference)
    app.printing.provider_form_pdf(ref.reference)
    app.printing.batch_slips_pdf([ref.reference])
    assert sorted(r.kind for r in _rows(app)) == ["form", "slip"]


def test_only_a_manager_sees_who_opened_a_record(app) -> None:
    pid = _person(app)
    app.people.detail(pid)
    join_another_team(app.db)
    with pytest.raises(NotPermitted, match="Only a manager"):
        app.access.for_person(pid)
    leave_the_team(app.db)
    views = app.access.for_person(pid)
    assert [(v.officer_name, v.kind) for v in views] == [("Alex Morgan", "open")]
    with pytest.raises(NotFound):
        app.access.for_person("not-an-id")


def test_a_busy_database_does_not_stop_the_read_and_the_open_is_noted_later(app, monkeypatch):
    pid = _person(app, "Bea")
    other = _person(app, "Cy")
    real_write = type(app.db).write

    def busy(self, **kwargs):
        raise DatabaseBusy("busy")

    monkeypatch.setattr(type(app.db), "write", busy)
    detail = app.people.detail(pid)  # still shown
    assert detail.person.id == pid
    monkeypatch.setattr(type(app.db), "write", real_write)
    assert _rows(app) == []
    app.people.detail(other)
    assert sorted(r.person_id for r in _rows(app)) == sorted([pid, other])


def test_the_access_log_is_erased_with_the_person(app) -> None:
    pid = _person(app)
    app.people.detail(pid)
    app.people.delete(pid)
    rows = _rows(app)
    assert len(rows) == 1 and rows[0].deleted_at is not None
    leave_the_team(app.db)
    with pytest.raises(NotFound):
        app.access.for_person(pid)


def test_show_person_at_the_command_line_is_noted_and_the_manager_lists_it(app, capsys):
    pid = _person(app)
    data = str(Path(app.db.path).parent)
    join_another_team(app.db)
    app.close()
    assert run(["--data-dir", data, "show", "person", pid]) == 0
    assert run(["--data-dir", data, "person", "access", pid]) == 1
    assert "Only a manager" in capsys.readouterr().err
    leave_the_team_at(Path(data))
    capsys.readouterr()
    assert run(["--data-dir", data, "person", "access", pid, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["officer_name"], r["kind"]) for r in rows] == [("Alex Morgan", "show")]
    for bad in ("nope", "", "'; DROP TABLE person; --", "0" * 5000):
        assert run(["--data-dir", data, "person", "access", bad]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_the_access_log_never_reaches_reports_or_the_hub_return(app) -> None:
    """Reports and the hub return are the same with and without any number of opens."""
    from referral_desk.store.models import Organisation, Service

    with app.db.write() as s:
        org = Organisation(name="Trust")
        svc = Service(name="Advice", organisation_id=org.id, response_days=3)
        s.add_all([org, svc])
    app.profile.set(team="Leeds North")
    people = [_person(app, f"R{i}") for i in range(6)]
    for pid in people:
        need = app.needs.log(pid, "finance", "Debts", unmet="no-service")
        app.needs.log(pid, "accommodation", "No fixed abode")
        app.referrals.make(need.id, svc.id, consent=True)

    def everything() -> tuple:
        reports = {n: app.reports.data(n, "2020-01-01", "2026-12-31") for n in app.reports.names()}
        facts = app.hub.make_return().facts()
        return json.dumps(reports, sort_keys=True, default=str), json.dumps(
            {k: v for k, v in facts.items() if k not in ("created",)}, sort_keys=True, default=str
        )

    before = everything()
    with app.db.write() as s:
        for pid in people:
            for minute in range(20):
                s.add(
                    RecordAccess(
                        person_id=pid,
                        officer_id=None,
                        kind="open",
                        at=datetime(2026, 3, 1, 9, minute),
                    )
                )
    after = everything()
    assert before == after
    conn = connect(app.db.path)
    ids = [r[0] for r in conn.execute("SELECT id FROM record_access")]
    conn.close()
    assert not [i for i in ids if i in after[0] or i in after[1]]
