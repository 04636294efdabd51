"""Referral lifecycle through the use cases, with follow-ups as DESIGN.md §5 says."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from referral_desk.domain.errors import (
    ConsentRequired,
    IllegalTransition,
    NotFound,
    ReasonRequired,
    ValidationError,
)
from referral_desk.domain.identifiers import REFERENCE_ALPHABET
from referral_desk.store.models import (
    ChangeEntry,
    FollowUp,
    Organisation,
    Referral,
    ReferralStatusChange,
    Service,
    ServiceCategory,
)


@pytest.fixture
def service_id(app) -> str:
    with app.db.write() as s:
        org = Organisation(name="Lighthouse Trust")
        svc = Service(name="Lighthouse Housing Advice", organisation_id=org.id, response_days=3)
        s.add_all([org, svc, ServiceCategory(service_id=svc.id, category_code="accommodation")])
    return svc.id


@pytest.fixture
def need(app):
    person = app.people.add(
        given_name="Dafydd",
        family_name="ap Rhys",
        date_of_birth="1985-05-05",
        consent_given_on="2026-01-01",
    )
    return app.needs.log(person.id, "accommodation", "Needs a flat")


def test_refer_creates_sent_referral_with_reference_history_and_follow_up(
    app, need, service_id
) -> None:
    ref = app.referrals.make(need.id, service_id, consent=True)
    assert ref.status == "sent"
    assert len(ref.reference) == 7 and ref.reference[3] == "-"
    assert set(ref.reference.replace("-", "")) <= set(REFERENCE_ALPHABET)
    assert [h.to_status for h in ref.history] == ["draft", "sent"]
    assert app.needs.get(need.id).status == "referred"
    (fu,) = app.follow_ups.list()
    assert fu.kind == "check_acceptance"
    assert fu.due_on == date(2026, 3, 5)  # 3 working days after Monday 2 March
    assert fu.referral_reference == ref.reference


def test_draft_has_reference_and_no_follow_up(app, need, service_id) -> None:
    ref = app.referrals.make(need.id, service_id, consent=True, draft=True)
    assert ref.status == "draft" and ref.reference
    assert app.follow_ups.list() == []


def test_consent_is_required(app, need, service_id) -> None:
    with pytest.raises(ConsentRequired):
        app.referrals.make(need.id, service_id, consent=False)
    app.people.update(need.person_id, consent_withdrawn_on="2026-02-01")
    with pytest.raises(ConsentRequired):
        app.referrals.make(need.id, service_id, consent=True)
    assert app.referrals.list() == []


def test_second_open_referral_to_same_service_warns(app, need, service_id) -> None:
    app.referrals.make(need.id, service_id, consent=True)
    second = app.referrals.make(need.id, service_id, consent=True)
    assert second.warnings
    with pytest.raises(ValidationError, match="already an open referral"):
        app.referrals.make(need.id, service_id, consent=True, strict=True)


def test_full_lifecycle_with_follow_ups(app, need, service_id) -> None:
    ref = app.referrals.make(need.id, service_id, consent=True)
    app.referrals.record_status(ref.reference, "acknowledged", channel="phone")
    accepted = app.referrals.record_status(
        ref.reference.lower(), "accepted", appointment_at="2026-03-06T10:00"
    )
    kinds = {(f.kind, f.due_on) for f in app.follow_ups.list()}
    assert ("check_attendance", date(2026, 3, 9)) in kinds  # working day after Friday
    assert "check_acceptance" not in {k for k, _ in kinds}  # answered by the provider
    started = app.referrals.record_status(accepted.id, "started")
    assert ("review_progress", date(2026, 3, 2) + timedelta(weeks=4)) in {
        (f.kind, f.due_on) for f in app.follow_ups.list()
    }
    done = app.referrals.record_status(started.reference, "completed", outcome="achieved")
    assert done.outcome == "achieved"
    assert app.follow_ups.list() == []  # nothing left to chase
    assert app.needs.get(need.id).status == "met"
    assert [h.to_status for h in done.history] == [
        "draft",
        "sent",
        "acknowledged",
        "accepted",
        "started",
        "completed",
    ]


def test_illegal_transition_and_missing_reason_change_nothing(app, need, service_id) -> None:
    ref = app.referrals.make(need.id, service_id, consent=True)
    with app.db.read() as s:
        before = s.scalar(select(func.count()).select_from(ReferralStatusChange))
    with pytest.raises(IllegalTransition):
        app.referrals.record_status(ref.reference, "completed")
    with pytest.raises(ReasonRequired):
        app.referrals.record_status(ref.reference, "declined")
    with pytest.raises(ReasonRequired, match="no_capacity"):
        app.referrals.record_status(ref.reference, "declined", reason="because")
    with pytest.raises(ValidationError, match="Unknown referral state"):
        app.referrals.record_status(ref.reference, "teleported")
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ReferralStatusChange)) == before
    declined = app.referrals.record_status(ref.reference, "declined", reason="no-capacity")
    assert declined.history[-1].reason_code == "no_capacity"


def test_withdraw_and_delete(app, need, service_id) -> None:
    ref = app.referrals.make(need.id, service_id, consent=True)
    app.referrals.record_status(ref.reference, "withdrawn", reason="duplicate")
    app.referrals.delete(ref.reference)
    with pytest.raises(NotFound):
        app.referrals.get(ref.reference)
    with app.db.read() as s:
        assert all(f.deleted_at for f in s.scalars(select(FollowUp)))


def test_follow_up_done_reschedule_and_progress_repeats(app, need, service_id) -> None:
    ref = app.referrals.make(need.id, service_id, consent=True)
    (fu,) = app.follow_ups.list()
    moved = app.follow_ups.reschedule(fu.id, "2026-03-20")
    assert moved.due_on == date(2026, 3, 20)
    done = app.follow_ups.complete(fu.id, "Spoke to provider")
    assert done.done_on == date(2026, 3, 2)
    with pytest.raises(ValidationError):
        app.follow_ups.complete(fu.id)
    app.referrals.record_status(ref.reference, "accepted")
    app.referrals.record_status(ref.reference, "started")
    (review,) = [f for f in app.follow_ups.list() if f.kind == "review_progress"]
    app.follow_ups.complete(review.id, "Going well")
    assert [f.kind for f in app.follow_ups.list()] == ["review_progress"]
    assert app.follow_ups.list(due_by="2026-03-01") == []


def test_risk_is_shared_only_by_explicit_choice_and_with_words(app, need, service_id) -> None:
    with pytest.raises(ValidationError, match="Write the risk information"):
        app.referrals.make(need.id, service_id, consent=True, share_risk=True)
    with pytest.raises(ValidationError, match="only when you choose"):
        app.referrals.make(need.id, service_id, consent=True, risk_note="Lone visits unsafe")
    with pytest.raises(ValidationError, match="2000 characters"):
        app.referrals.make(need.id, service_id, consent=True, share_risk=True, risk_note="x" * 2001)
    assert app.referrals.list() == []  # nothing was written
    ref = app.referrals.make(
        need.id, service_id, consent=True, share_risk=True, risk_note="Lone visits unsafe"
    )
    assert app.referrals.get(ref.id).risk_note == "Lone visits unsafe"
    assert "Lone visits unsafe" not in repr(ref)  # never in logs or tracebacks


def test_deleting_a_referral_erases_its_risk_note(app, need, service_id) -> None:
    ref = app.referrals.make(
        need.id, service_id, consent=True, share_risk=True, risk_note="Lone visits unsafe"
    )
    app.referrals.delete(ref.id)
    with app.db.read() as s:
        stored = s.get(Referral, ref.id)
        assert stored.deleted_at is not None and stored.risk_note == ""
        logged = s.scalars(
            select(ChangeEntry.value).where(
                ChangeEntry.record_id == ref.id, ChangeEntry.field == "risk_note"
            )
        ).all()
    assert all("Lone visits" not in (v or "") for v in logged)
