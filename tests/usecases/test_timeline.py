"""The person's timeline: who did what and when, in the order it really happened."""

from __future__ import annotations

from datetime import datetime

import pytest
from custody_case import custody_referral

from referral_desk.store.models import FollowUp, Officer


@pytest.fixture
def referred(app):
    at(app, 8, 0)  # the case is set up first thing: every time below is later that day
    return custody_referral(app)


def at(app, hour: int, minute: int = 0) -> None:
    """Pin the time of day of the next writes (the day is the conftest's Monday)."""
    app.clock._now = lambda: datetime(2026, 3, 2, hour, minute)


def test_follow_up_done_shows_who_and_when_in_time_order(app, referred) -> None:
    person, _ref = referred
    (follow_up,) = app.follow_ups.list()
    at(app, 9, 15)
    app.people.add_note(person.id, "Morning: phoned the provider")
    at(app, 14, 40)
    done = app.follow_ups.complete(follow_up.id, "Provider confirmed a place")
    at(app, 16, 5)
    app.people.add_note(person.id, "Afternoon: told Zoë")

    assert done.done_at == datetime(2026, 3, 2, 14, 40)
    assert done.done_by_officer_id == app.profile.get().id
    timeline = app.people.detail(person.id).timeline
    kinds = [e.kind for e in timeline[:3]]
    assert kinds == ["note", "follow_up_done", "note"]  # newest first, by the real time
    event = timeline[1]
    assert event.at == datetime(2026, 3, 2, 14, 40) and event.time_known
    assert event.by_name == "Alex Morgan"
    assert "Provider confirmed a place" in event.text


def test_follow_ups_answered_by_a_referral_step_say_who_recorded_it(app, referred) -> None:
    person, ref = referred
    at(app, 11, 30)
    app.referrals.record_status(ref.id, "accepted", channel="phone")
    (answered,) = [f for f in app.follow_ups.list(include_done=True) if f.done_on]
    assert answered.done_at == datetime(2026, 3, 2, 11, 30)
    event = next(e for e in app.people.detail(person.id).timeline if e.kind == "follow_up_done")
    assert event.by_name == "Alex Morgan" and event.time_known


def test_follow_ups_done_before_times_were_kept_show_the_day_only(app, referred) -> None:
    """Rows from before migration 0006 (or from an older colleague's PC) have no time."""
    person, _ = referred
    with app.db.write() as s:
        officer = Officer(name="Sam Patel")
        s.add(officer)
        s.flush()
        fu = s.query(FollowUp).one()
        fu.done_on, fu.done_by_officer_id = fu.due_on, officer.id
    event = next(e for e in app.people.detail(person.id).timeline if e.kind == "follow_up_done")
    assert not event.time_known and event.at.time() == datetime.min.time()
    assert event.by_name == "Sam Patel"


def test_transfers_and_releases_are_on_the_timeline_with_who_and_from_where(app, referred):
    person, _ = referred
    at(app, 10, 0)
    app.cases.change_setting(person.id, setting="custody", prison="HMP Manchester")
    at(app, 15, 0)
    app.cases.change_setting(person.id, setting="community", area="Greater Manchester")
    moves = [e for e in app.people.detail(person.id).timeline if e.kind == "setting"]
    assert [(e.at.hour, e.text) for e in moves] == [
        (15, "Released from HMP Manchester to the community (Greater Manchester)"),
        (10, "Transferred from HMP Leeds to HMP Manchester"),
    ]
    assert {e.by_name for e in moves} == {"Alex Morgan"}


def test_saving_the_same_prison_again_changes_nothing(app, referred) -> None:
    from sqlalchemy import func, select

    from referral_desk.store.models import CaseNote, ChangeEntry

    person, _ = referred

    def counts() -> tuple[int, int, int]:
        with app.db.read() as s:
            return (
                s.scalar(select(func.count()).select_from(ChangeEntry)),
                s.scalar(select(func.count()).select_from(CaseNote)),
                len(app.follow_ups.list()),
            )

    before = counts()
    change = app.cases.change_setting(
        person.id, setting="custody", prison="HMP Leeds", expected_release_date="2026-04-20"
    )
    assert not change.changed and not change.moved and change.follow_ups == 0
    assert counts() == before
    # Only the release date: saved, but not a move (no timeline line, no follow-ups).
    change = app.cases.change_setting(
        person.id, setting="custody", prison="HMP Leeds", expected_release_date="2026-05-01"
    )
    assert change.changed and not change.moved and change.follow_ups == 0
    assert counts()[1:] == before[1:]
