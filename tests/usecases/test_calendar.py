"""Calendar export of follow-ups (DESIGN.md §5): parsed back with icalendar, UIDs stable across
exports, re-export updates instead of duplicating, and no personal data in the file.
"""

from __future__ import annotations

import os
import stat
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from referral_desk.domain.errors import ValidationError
from referral_desk.store.models import Officer, Organisation, Service, ServiceCategory
from referral_desk.usecases.calendar import (
    CalendarService,
    export_calendar,
    follow_up_uid,
    follow_ups_ics,
)
from referral_desk.usecases.dto import FollowUpView


@pytest.fixture
def service_id(app: Any) -> str:
    with app.db.write() as session:
        org = Organisation(name="Recovery Steps Trust")
        session.add(org)
        session.flush()
        service = Service(name="Drug Recovery Leeds", organisation_id=org.id, response_days=3)
        session.add(service)
        session.flush()
        session.add(ServiceCategory(service_id=service.id, category_code="drugs"))
    return service.id


@pytest.fixture
def referrals(app: Any, service_id: str) -> list[Any]:
    person = app.people.add(
        given_name="Dafydd",
        family_name="Prydderch",
        crn="X123456",
        date_of_birth="1985-05-05",
        consent_given_on="2026-01-01",
    )
    need = app.needs.log(person.id, "drugs", "Heroin use since release")
    first = app.referrals.make(need.id, service_id, consent=True)
    second = app.referrals.make(need.id, service_id, consent=True)
    app.follow_ups.add(person.id, "2026-03-20", "Ring Dafydd's sister about housing")
    return [first, second]


def events(data: bytes) -> dict[str, Any]:
    cal = Calendar.from_ical(data)
    found = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert len(found) == len(list(cal.walk("VEVENT"))), "duplicate UIDs"
    return found


def open_events(data: bytes) -> dict[str, Any]:
    return {uid: e for uid, e in events(data).items() if str(e["status"]) != "CANCELLED"}


def test_one_all_day_event_per_open_follow_up(app, referrals, tmp_path: Path) -> None:
    path = tmp_path / "follow-ups.ics"
    count = export_calendar(app, path)
    follow_ups = app.follow_ups.list()
    assert count == len(follow_ups) == 3
    found = open_events(path.read_bytes())
    assert set(found) == {follow_up_uid(f.id) for f in follow_ups}
    for fu in follow_ups:
        event = found[f"{fu.id}@referral-desk"]
        assert event.decoded("dtstart") == fu.due_on  # a date: an all-day event
        assert not isinstance(event.decoded("dtstart"), datetime)
        assert event.decoded("dtend") == fu.due_on + timedelta(days=1)
        assert str(event["transp"]) == "TRANSPARENT"
        assert str(event["class"]) == "PRIVATE"
    summaries = sorted(str(e["summary"]) for e in found.values())
    refs = sorted(r.reference for r in referrals)
    assert summaries == sorted(
        [
            f"Check acceptance – referral {refs[0]}",
            f"Check acceptance – referral {refs[1]}",
            "Follow-up",
        ]
    )
    cal = Calendar.from_ical(path.read_bytes())
    assert str(cal["version"]) == "2.0" and "Referral Desk" in str(cal["prodid"])
    assert "Alex Morgan" in str(cal["x-wr-calname"])  # the officer's own calendar name


def test_no_personal_data_in_the_file(app, referrals, tmp_path: Path) -> None:
    path = tmp_path / "follow-ups.ics"
    export_calendar(app, path)
    text = path.read_bytes().decode("utf-8").replace("\r\n ", "")  # unfold long lines
    for secret in (
        "Dafydd",
        "Prydderch",
        "X123456",
        "1985",
        "Heroin",
        "sister",
        "Drug Recovery",
        "Recovery Steps",
    ):
        assert secret not in text


def test_reexport_is_identical_and_updates_the_same_events(
    app, referrals, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "follow-ups.ics"
    export_calendar(app, path)
    first = path.read_bytes()
    export_calendar(app, path)
    assert path.read_bytes() == first  # nothing changed, nothing to update

    before = events(first)
    moved = app.follow_ups.list()[0]
    later = datetime.now() + timedelta(minutes=5)
    monkeypatch.setattr("referral_desk.store.changelog.utcnow", lambda: later)
    app.follow_ups.reschedule(moved.id, "2026-03-27")
    export_calendar(app, path)
    after = events(path.read_bytes())

    assert set(after) == set(before)  # same UIDs: the calendar updates, never duplicates
    uid = follow_up_uid(moved.id)
    assert after[uid].decoded("dtstart") == date(2026, 3, 27)
    assert int(after[uid]["sequence"]) > int(before[uid]["sequence"])
    assert after[uid].decoded("dtstamp") > before[uid].decoded("dtstamp")
    for other in set(after) - {uid}:
        assert int(after[other]["sequence"]) == int(before[other]["sequence"])


def test_done_and_deleted_follow_ups_are_cancelled_not_dropped(
    app, referrals, tmp_path: Path
) -> None:
    path = tmp_path / "follow-ups.ics"
    export_calendar(app, path)
    done = next(f for f in app.follow_ups.list() if f.referral_id == referrals[0].id)
    app.follow_ups.complete(done.id, "Provider confirmed")
    app.referrals.delete(referrals[1].id)
    count = export_calendar(app, path)
    assert count == 1
    found = events(path.read_bytes())
    assert str(found[follow_up_uid(done.id)]["status"]) == "CANCELLED"
    assert str(found[follow_up_uid(done.id)]["summary"]).startswith("Done: ")
    assert len(open_events(path.read_bytes())) == 1
    assert len(found) == 3  # the calendar is told to remove them, not left with stale ones


def test_only_this_officers_follow_ups(app, referrals, tmp_path: Path) -> None:
    with app.db.write() as session:
        colleague = Officer(name="Sam Patel")
        session.add(colleague)
    service = CalendarService(app.db, app.clock)
    data, count = service.ics(officer_id=colleague.id)
    assert count == 0 and open_events(data) == {}
    assert "Alex Morgan" not in data.decode()


def test_pure_function_is_deterministic_and_orders_events() -> None:
    views = [
        FollowUpView(
            id="b",
            person_id="p",
            referral_id="r",
            kind="check_attendance",
            due_on=date(2026, 3, 9),
            referral_reference="K7M-3QH",
            person_name="Never Shown",
        ),
        FollowUpView(
            id="a",
            person_id="p",
            referral_id=None,
            kind="pre_release_check",
            due_on=date(2026, 3, 4),
            note="private note",
        ),
    ]
    data = follow_ups_ics(views, "")
    assert data == follow_ups_ics(list(reversed(views)), "")
    assert b"Never Shown" not in data and b"private note" not in data
    found = list(Calendar.from_ical(data).walk("VEVENT"))
    assert [str(e["uid"]) for e in found] == ["a@referral-desk", "b@referral-desk"]
    assert [str(e["summary"]) for e in found] == [
        "Pre release check",
        "Check attendance – referral K7M-3QH",
    ]
    assert all(int(e["sequence"]) == 0 for e in found)


def test_missing_folder_is_a_clear_error(app, referrals, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="folder"):
        export_calendar(app, tmp_path / "nowhere" / "follow-ups.ics")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("name", ["referral-desk.sqlite3", "follow-ups.ics"])
def test_the_data_folder_is_refused(app, referrals, name: str) -> None:
    target = app.data_path.parent / name
    before = target.read_bytes() if target.exists() else None
    with pytest.raises(ValidationError, match="data folder"):
        export_calendar(app, target)
    assert (target.read_bytes() if target.exists() else None) == before


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_the_calendar_is_owner_only(app, referrals, tmp_path: Path) -> None:
    path = tmp_path / "follow-ups.ics"
    path.write_bytes(b"older")
    path.chmod(0o644)
    export_calendar(app, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name != "data"] == ["follow-ups.ics"]
