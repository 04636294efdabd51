from datetime import date

import pytest

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.followup_rules import (
    DEFAULT_RULES,
    FollowUpRules,
    PlannedFollowUp,
    closed_by_transition,
    next_progress_review,
    on_accepted,
    on_pre_release,
    on_sent,
    on_started,
    on_transfer,
    plan_for_transition,
    pre_release_due,
)
from referral_desk.domain.states import OPEN_REFERRAL_STATES, FollowUpKind, ReferralState
from referral_desk.domain.workdays import WorkingCalendar, england_wales_bank_holidays

CAL = WorkingCalendar(d for d, _ in england_wales_bank_holidays(2026))
RULES = FollowUpRules()


def test_defaults_match_design():
    assert RULES == DEFAULT_RULES
    assert RULES.to_mapping() == {
        "acceptance_working_days": 5,
        "progress_interval_weeks": 4,
        "pre_release_weeks": 12,
        "transfer_working_days": 1,
    }


def test_mapping_round_trip():
    rules = FollowUpRules(acceptance_working_days=3, progress_interval_weeks=6)
    assert FollowUpRules.from_mapping(rules.to_mapping()) == rules


def test_from_mapping_ignores_unknown_and_fills_defaults():
    rules = FollowUpRules.from_mapping({"pre_release_weeks": "8", "colour": "red"})
    assert rules == FollowUpRules(pre_release_weeks=8)
    assert FollowUpRules.from_mapping({}) == RULES
    assert FollowUpRules.from_mapping(None) == RULES
    assert FollowUpRules.from_mapping({"acceptance_working_days": 7.0}).acceptance_working_days == 7


@pytest.mark.parametrize(
    "data",
    [
        {"acceptance_working_days": "five"},
        {"acceptance_working_days": 0},
        {"acceptance_working_days": -3},
        {"acceptance_working_days": True},
        {"progress_interval_weeks": 2.5},
        {"progress_interval_weeks": None},
        {"pre_release_weeks": 500},
        {"transfer_working_days": "-1"},
    ],
)
def test_from_mapping_bad_values(data):
    with pytest.raises(ValidationError) as err:
        FollowUpRules.from_mapping(data)
    assert next(iter(data)) in str(err.value)


def test_from_mapping_rejects_non_mapping():
    with pytest.raises(ValidationError):
        FollowUpRules.from_mapping([1, 2])  # type: ignore[arg-type]


def test_direct_construction_is_validated():
    with pytest.raises(ValidationError):
        FollowUpRules(progress_interval_weeks=0)


def test_rules_are_frozen():
    with pytest.raises(AttributeError):
        RULES.pre_release_weeks = 3  # type: ignore[misc]


def test_on_sent_uses_service_response_days():
    # Thursday 21 May 2026 + 3 working days skips the weekend and Spring bank holiday (25 May).
    [f] = on_sent(date(2026, 5, 21), 3, CAL, RULES)
    assert f == PlannedFollowUp(FollowUpKind.CHECK_ACCEPTANCE, date(2026, 5, 27), f.note)
    assert f.note


def test_on_sent_default_and_zero():
    [f] = on_sent(date(2026, 5, 11), None, CAL, RULES)
    assert f.due_on == date(2026, 5, 18)
    [f] = on_sent(date(2026, 5, 11), None, CAL, FollowUpRules(acceptance_working_days=2))
    assert f.due_on == date(2026, 5, 13)
    [f] = on_sent(date(2026, 5, 15), 0, CAL, RULES)
    assert f.due_on == date(2026, 5, 18)


def test_on_accepted():
    assert on_accepted(None, CAL, RULES) == []
    [f] = on_accepted(date(2026, 12, 24), CAL, RULES)
    assert f.kind is FollowUpKind.CHECK_ATTENDANCE
    assert f.due_on == date(2026, 12, 29)


def test_progress_reviews():
    [f] = on_started(date(2026, 3, 2), RULES)
    assert (f.kind, f.due_on) == (FollowUpKind.REVIEW_PROGRESS, date(2026, 3, 30))
    [g] = next_progress_review(f.due_on, FollowUpRules(progress_interval_weeks=2))
    assert g.due_on == date(2026, 4, 13)


@pytest.mark.parametrize(
    ("release_on", "due"),
    [
        (None, False),
        (date(2026, 1, 31), False),  # in the past
        (date(2026, 2, 1), True),  # today
        (date(2026, 4, 26), True),  # exactly 12 weeks
        (date(2026, 4, 27), False),
    ],
)
def test_pre_release_due(release_on, due):
    today = date(2026, 2, 1)
    assert pre_release_due(release_on, today, RULES) is due
    planned = on_pre_release(release_on, today, RULES)
    assert bool(planned) is due
    if due:
        assert planned[0].kind is FollowUpKind.PRE_RELEASE_CHECK
        assert planned[0].due_on == today


def test_on_transfer_next_working_day():
    [f] = on_transfer(date(2026, 4, 2), CAL, RULES)  # Thursday before Easter
    assert (f.kind, f.due_on) == (FollowUpKind.TELL_PROVIDER, date(2026, 4, 7))
    [f] = on_transfer(date(2026, 4, 2), CAL, FollowUpRules(transfer_working_days=0))
    assert f.due_on == date(2026, 4, 2)


def test_plan_for_transition_dispatch():
    on = date(2026, 6, 1)
    sent = plan_for_transition(ReferralState.SENT, on, response_days=2, calendar=CAL, rules=RULES)
    assert sent == on_sent(on, 2, CAL, RULES)
    accepted = plan_for_transition(
        ReferralState.ACCEPTED, on, appointment_on=date(2026, 6, 5), calendar=CAL
    )
    assert accepted == on_accepted(date(2026, 6, 5), CAL, RULES)
    assert plan_for_transition("accepted", on, calendar=CAL) == []
    assert plan_for_transition(ReferralState.STARTED, on, calendar=CAL) == on_started(on, RULES)
    for target in (ReferralState.DECLINED, ReferralState.COMPLETED, ReferralState.WITHDRAWN):
        assert plan_for_transition(target, on, calendar=CAL, rules=RULES) == []


# --- which pending follow-ups a status change closes (one rule: service and demo) ---------------


@pytest.mark.parametrize("state", [s for s in ReferralState if s not in OPEN_REFERRAL_STATES])
def test_an_ended_referral_closes_everything_but_telling_the_provider(state) -> None:
    closing = closed_by_transition(state)
    assert closing is not None and closing.note == f"Referral {state.label.lower()}"
    for kind in FollowUpKind:
        assert closing.closes(kind.value) == (kind != FollowUpKind.TELL_PROVIDER)


@pytest.mark.parametrize(
    "state", [ReferralState.ACKNOWLEDGED, ReferralState.ACCEPTED, ReferralState.WAITING_LIST]
)
def test_a_provider_answer_closes_only_the_acceptance_check(state) -> None:
    closing = closed_by_transition(state)
    assert closing is not None and closing.note.startswith("Provider answered: ")
    assert [k for k in FollowUpKind if closing.closes(k.value)] == [FollowUpKind.CHECK_ACCEPTANCE]


@pytest.mark.parametrize("state", [ReferralState.DRAFT, ReferralState.SENT, ReferralState.STARTED])
def test_other_moves_close_nothing(state) -> None:
    assert closed_by_transition(state) is None
