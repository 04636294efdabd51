"""People and needs (`store.people_queries`): live rows only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from query_fixtures import Caseload, caseload

from referral_desk.store import people_queries as q
from referral_desk.store.models import Need, Person


@pytest.fixture
def case(app: Any) -> Caseload:
    return caseload(app)


def test_people_duplicates_and_needs_leave_out_deleted_rows(case: Caseload) -> None:
    with case.app.db.read() as s:
        assert [p.id for p in q.people(s)] == [case.person_id]
        assert q.people(s, "no-such-officer") == []
        found = q.possible_duplicates(s, family_name="AP RHYS")
        assert [p.id for p in found] == [case.person_id]
        assert q.possible_duplicates(s) == []
        assert [n.id for n in q.needs(s, case.person_id)] == [case.need_id]
        assert q.highest_need_priority(s, case.person_id) >= 1
    case.tombstone(Need, case.need_id)
    with case.app.db.read() as s:
        assert q.highest_need_priority(s, case.person_id) == 0
    case.tombstone(Person, case.person_id)
    with case.app.db.read() as s:
        assert q.people(s) == []
        assert q.possible_duplicates(s, date_of_birth=date(1985, 5, 5)) == []


def test_people_closed_by_a_date(app: Any) -> None:
    with app.db.write() as s:
        old = Person(given_name="A", family_name="Old", closed_on=date(2010, 1, 1))
        gone = Person(given_name="B", family_name="Gone", closed_on=date(2009, 1, 1))
        s.add_all([old, gone, Person(given_name="C", family_name="Open")])
    with app.db.read() as s:
        assert [p.id for p in q.people_closed_by(s, date(2011, 1, 1))] == [gone.id, old.id]
    with app.db.write() as s:
        s.get(Person, gone.id).deleted_at = datetime(2026, 2, 1)
    with app.db.read() as s:
        assert [p.id for p in q.people_closed_by(s, date(2011, 1, 1))] == [old.id]
        assert q.people_closed_by(s, date(2009, 6, 1)) == []
