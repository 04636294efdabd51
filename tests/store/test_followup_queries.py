"""Follow-up reads (`store.followup_queries`): live lists, and a calendar that still lists a
deleted follow-up so a calendar app can cancel it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from query_fixtures import Caseload, caseload

from referral_desk.store import followup_queries as q
from referral_desk.store.models import FollowUp, Person, Referral, Service


@pytest.fixture
def case(app: Any) -> Caseload:
    return caseload(app)


def test_a_deleted_follow_up_leaves_lists_but_stays_in_the_calendar(case: Caseload) -> None:
    with case.app.db.read() as s:
        rows = q.follow_ups(s, person_id=case.person_id)
        assert rows
        first = rows[0]
        assert q.follow_ups(s, due_by=date(2000, 1, 1)) == []
    case.tombstone(FollowUp, first.id)
    with case.app.db.read() as s:
        assert first.id not in {f.id for f in q.follow_ups(s, include_done=True)}
        calendar = q.calendar_follow_ups(s, date(2000, 1, 1), None)
        assert first.id in {f.id for f in calendar}


def test_names_beside_a_follow_up_outlive_their_records(case: Caseload) -> None:
    case.tombstone(Service, case.service_id)
    case.tombstone(Referral, case.referral_id)
    case.tombstone(Person, case.person_id)
    with case.app.db.read() as s:
        assert q.person_names(s, [case.person_id]) == {case.person_id: "Dafydd ap Rhys"}
        assert q.referral_references(s, [case.referral_id])[case.referral_id].reference == (
            case.reference
        )
        assert q.service_names(s, [case.service_id]) == {case.service_id: "Lighthouse Housing"}
