"""Transfers, consent withdrawal, hand-over, closure and the My day summary."""

from __future__ import annotations

from datetime import date

import pytest
from custody_case import custody_referral

from referral_desk.domain.errors import ConsentRequired, ValidationError


@pytest.fixture
def referred(app):
    return custody_referral(app)


def test_release_offers_tell_provider_follow_ups(app, referred) -> None:
    person, ref = referred
    change = app.cases.change_setting(person.id, setting="community", area="West Yorkshire")
    moved, count = change.person, change.follow_ups
    assert count == 1 and change.moved and change.changed
    assert moved.setting == "community" and moved.prison == ""
    tells = [f for f in app.follow_ups.list() if f.kind == "tell_provider"]
    assert [t.referral_reference for t in tells] == [ref.reference]
    assert tells[0].due_on == date(2026, 3, 3)


def test_transfer_without_telling_and_custody_needs_prison(app, referred) -> None:
    person, _ = referred
    with pytest.raises(ValidationError, match="prison"):
        app.cases.change_setting(person.id, setting="custody", prison="")
    change = app.cases.change_setting(
        person.id, setting="custody", prison="HMP Styal", tell_providers=False
    )
    assert change.follow_ups == 0 and change.moved


def test_withdrawing_consent_blocks_referrals_and_flags_open_ones(app, referred) -> None:
    person, ref = referred
    assert app.cases.withdraw_consent(person.id) == 1
    need = app.needs.list(person.id)[0]
    with pytest.raises(ConsentRequired):
        app.referrals.make(need.id, ref.service_id, consent=True)
    assert any(f.kind == "tell_provider" for f in app.follow_ups.list())


def test_hand_over_moves_follow_ups_and_close_case(app, referred) -> None:
    person, _ = referred
    me = app.profile.get()
    with app.db.write() as s:
        from referral_desk.store.models import Officer

        other = Officer(name="Sam Patel")
        s.add(other)
    handed = app.cases.hand_over(person.id, other.id)
    assert handed.owner_officer_id == other.id
    assert all(f.officer_id == other.id for f in app.follow_ups.list(person_id=person.id))
    assert app.my_day.summary(me.id).due_this_week == ()
    closed = app.cases.close_case(person.id)
    assert closed.closed_on == date(2026, 3, 2)
    with pytest.raises(ValidationError):
        app.cases.close_case(person.id)


def test_my_day_groups_follow_ups_and_lists_releases(app, referred) -> None:
    person, _ref = referred
    app.follow_ups.add(person.id, "2026-02-27", "Ring the hostel")
    app.follow_ups.add(person.id, "2026-03-02", "Check bus pass")
    day = app.my_day.summary()
    assert [f.note for f in day.overdue] == ["Ring the hostel"]
    assert [f.note for f in day.due_today] == ["Check bus pass"]
    assert [f.kind for f in day.due_this_week] == ["check_acceptance"]  # due Wed 4 March
    assert [p.id for p in day.releases_soon] == [person.id]
    assert day.waiting_on_provider == ()
