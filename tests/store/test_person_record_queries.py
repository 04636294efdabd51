"""One person's records (`store.person_record_queries`): live rows, and the names beside them
(service, organisation, officer) even once those are deleted."""

from __future__ import annotations

from typing import Any

import pytest
from query_fixtures import Caseload, caseload

from referral_desk.store import person_record_queries as q
from referral_desk.store.models import Need, Officer, Organisation, Service


@pytest.fixture
def case(app: Any) -> Caseload:
    return caseload(app)


def test_records_of_a_person_leave_out_deleted_ones(case: Caseload) -> None:
    with case.app.db.read() as s:
        assert [n.id for n in q.needs_of(s, case.person_id)] == [case.need_id]
        assert q.need_history(s, [case.need_id])
        assert [r.id for r in q.referrals_of(s, case.person_id, newest_first=True)] == [
            case.referral_id
        ]
        assert q.referral_history(s, [case.referral_id])
        assert q.follow_ups_of(s, case.person_id)
        assert q.case_notes_of(s, case.person_id) == []
    case.tombstone(Need, case.need_id)
    with case.app.db.read() as s:
        assert q.needs_of(s, case.person_id) == []


def test_names_outlive_their_records(case: Caseload) -> None:
    with case.app.db.read() as s:
        officer = s.query(Officer).one()
    case.tombstone(Service, case.service_id)
    case.tombstone(Organisation, case.organisation_id)
    case.tombstone(Officer, officer.id)
    with case.app.db.read() as s:
        assert q.service_summaries(s, [case.service_id])[case.service_id].name == (
            "Lighthouse Housing"
        )
        assert q.organisation_names(s, [case.organisation_id]) == {
            case.organisation_id: "Lighthouse Trust"
        }
        assert q.officer_names(s)[officer.id] == officer.name
