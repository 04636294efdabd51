"""Referral reads (`store.referral_queries`): live rows by default, references never reused,
and a referral to a service that left the directory still waits."""

from __future__ import annotations

from typing import Any

import pytest
from query_fixtures import Caseload, caseload

from referral_desk.store import referral_queries as q
from referral_desk.store.models import FollowUp, Referral, ReferralStatusChange, Service


@pytest.fixture
def case(app: Any) -> Caseload:
    return caseload(app)


def test_a_deleted_referral_leaves_lists_but_keeps_its_reference(case: Caseload) -> None:
    with case.app.db.read() as s:
        assert [r.id for r in q.referrals(s, case.person_id)] == [case.referral_id]
        assert q.by_reference(s, case.reference).id == case.referral_id
        assert q.status_history(s, case.referral_id)
        assert q.first_sent_at(s, case.referral_id) is not None
        assert [ref for ref, _ in q.sent_references(s)] == [case.reference]
    case.tombstone(Referral, case.referral_id)
    with case.app.db.read() as s:
        assert q.referrals(s) == []
        assert q.by_reference(s, case.reference) is None
        assert q.sent_references(s) == []
        assert q.reference_taken(s, case.reference)
        assert not q.reference_taken(s, "AAA-AAA")


def test_open_referrals_and_pending_follow_ups(case: Caseload) -> None:
    with case.app.db.read() as s:
        opened = q.open_referrals(s, case.person_id, ["sent"], case.service_id)
        assert [r.id for r in opened] == [case.referral_id]
        assert q.open_referrals(s, case.person_id, ["closed"]) == []
        pending = q.pending_follow_ups(s, referral_id=case.referral_id)
        assert pending and all(f.done_on is None for f in pending)
        kinds = {f.kind for f in pending}
        assert q.pending_follow_ups(s, person_id=case.person_id, kinds=["no-such-kind"]) == []
        for kind in kinds:
            left = q.pending_follow_ups(s, referral_id=case.referral_id, except_kind=kind)
            assert kind not in {f.kind for f in left}
        first = pending[0]
    case.tombstone(FollowUp, first.id)
    with case.app.db.read() as s:
        assert first.id not in {f.id for f in q.pending_follow_ups(s, person_id=case.person_id)}


def test_a_referral_still_waits_when_its_service_left_the_directory(case: Caseload) -> None:
    case.tombstone(Service, case.service_id)
    with case.app.db.read() as s:
        waiting = q.referrals_waiting(s, ["sent"])
        assert [(r.id, days) for r, days in waiting] == [(case.referral_id, 3)]
    case.tombstone(Referral, case.referral_id)
    with case.app.db.read() as s:
        assert q.referrals_waiting(s, ["sent"]) == []


def test_history_order_counts_deleted_changes(case: Caseload) -> None:
    with case.app.db.read() as s:
        change = q.status_history(s, case.referral_id)[-1]
        latest = q.last_change_at(
            s, ReferralStatusChange.at, ReferralStatusChange.referral_id, case.referral_id
        )
        assert latest == change.at
    case.tombstone(ReferralStatusChange, change.id)
    with case.app.db.read() as s:
        assert change.id not in {c.id for c in q.status_history(s, case.referral_id)}
        latest = q.last_change_at(
            s, ReferralStatusChange.at, ReferralStatusChange.referral_id, case.referral_id
        )
        assert latest == change.at
