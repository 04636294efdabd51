import pytest

from referral_desk.domain.errors import IllegalTransition, ReasonRequired, ValidationError
from referral_desk.domain.lifecycle import (
    REASON_LISTS,
    TERMINAL_STATES,
    allowed_next,
    check_need_transition,
    check_transition,
    is_terminal,
    need_status_after_referral,
)
from referral_desk.domain.states import OPEN_REFERRAL_STATES, NeedStatus, Outcome, ReferralState

S = ReferralState

EXPECTED = {
    S.DRAFT: {S.SENT, S.WITHDRAWN},
    S.SENT: {S.ACKNOWLEDGED, S.DECLINED, S.WAITING_LIST, S.ACCEPTED, S.WITHDRAWN},
    S.ACKNOWLEDGED: {S.ACCEPTED, S.DECLINED, S.WAITING_LIST, S.WITHDRAWN},
    S.WAITING_LIST: {S.ACCEPTED, S.DECLINED, S.WITHDRAWN},
    S.ACCEPTED: {S.STARTED, S.ENDED_EARLY, S.WITHDRAWN},
    S.STARTED: {S.COMPLETED, S.ENDED_EARLY, S.WITHDRAWN},
    S.DECLINED: set(),
    S.COMPLETED: set(),
    S.ENDED_EARLY: set(),
    S.WITHDRAWN: set(),
}

DECLINE_CODES = ["not_eligible", "no_capacity", "out_of_area"]


def _reason_for(target):
    return "x" if target in REASON_LISTS else None


@pytest.mark.parametrize("state", list(ReferralState))
def test_allowed_next_matches_design(state):
    nxt = allowed_next(state)
    assert set(nxt) == EXPECTED[state]
    assert len(nxt) == len(set(nxt))
    assert nxt == allowed_next(state)  # stable order


def test_withdrawn_is_last_in_display_order():
    for state in OPEN_REFERRAL_STATES:
        assert allowed_next(state)[-1] == S.WITHDRAWN


def test_allowed_next_returns_a_copy():
    allowed_next(S.SENT).clear()
    assert allowed_next(S.SENT)


def test_terminal_states():
    assert {S.DECLINED, S.COMPLETED, S.ENDED_EARLY, S.WITHDRAWN} == TERMINAL_STATES
    assert is_terminal(S.WITHDRAWN) and not is_terminal(S.SENT)
    assert TERMINAL_STATES.isdisjoint(OPEN_REFERRAL_STATES)


def test_reason_lists():
    assert REASON_LISTS == {
        S.DECLINED: "decline_reason",
        S.WITHDRAWN: "withdraw_reason",
        S.ENDED_EARLY: "end_reason",
    }


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c in ReferralState for t in ReferralState],
)
def test_check_transition_agrees_with_allowed_next(current, target):
    if target in EXPECTED[current]:
        check_transition(current, target, _reason_for(target))
    else:
        with pytest.raises(IllegalTransition) as err:
            check_transition(current, target, _reason_for(target))
        assert current.label in str(err.value)
        assert target.label in str(err.value)


def test_accepts_plain_strings():
    check_transition("sent", "waiting_list", None)


def test_illegal_message_for_terminal_state():
    with pytest.raises(IllegalTransition, match="Completed is a final state"):
        check_transition(S.COMPLETED, S.STARTED, None)


@pytest.mark.parametrize("target", [S.DECLINED, S.WITHDRAWN])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reason_required(target, reason):
    with pytest.raises(ReasonRequired):
        check_transition(S.SENT, target, reason)


def test_missing_reason_lists_valid_codes_when_known():
    with pytest.raises(ReasonRequired) as err:
        check_transition(S.SENT, S.DECLINED, None, DECLINE_CODES)
    assert "not_eligible, no_capacity, out_of_area" in str(err.value)


def test_unknown_reason_lists_valid_codes():
    with pytest.raises(ReasonRequired) as err:
        check_transition(S.SENT, S.DECLINED, "lost_form", DECLINE_CODES)
    message = str(err.value)
    assert "not_eligible, no_capacity, out_of_area" in message
    assert "lost_form" not in message


def test_unknown_reason_set_is_listed_sorted():
    with pytest.raises(ReasonRequired) as err:
        check_transition(S.STARTED, S.ENDED_EARLY, "bored", {"recalled", "disengaged"})
    assert "disengaged, recalled" in str(err.value)


def test_empty_known_reasons_explains_list():
    with pytest.raises(ReasonRequired, match="withdraw_reason"):
        check_transition(S.SENT, S.WITHDRAWN, "duplicate", [])


def test_known_reason_passes():
    check_transition(S.SENT, S.DECLINED, " no_capacity ", DECLINE_CODES)
    check_transition(S.ACCEPTED, S.ENDED_EARLY, "disengaged", ["disengaged"])


def test_reason_without_known_list_is_accepted():
    check_transition(S.DRAFT, S.WITHDRAWN, "made_by_mistake")


def test_reason_for_target_without_reason_is_ignored():
    check_transition(S.SENT, S.ACCEPTED, "leftover", DECLINE_CODES)


def test_outcome_only_on_completion():
    check_transition(S.STARTED, S.COMPLETED, None, outcome=Outcome.PARTLY_ACHIEVED)
    check_transition(S.STARTED, S.COMPLETED, None)
    with pytest.raises(ValidationError):
        check_transition(S.STARTED, S.ENDED_EARLY, "moved", outcome=Outcome.ACHIEVED)
    with pytest.raises(ValidationError):
        check_transition(S.SENT, S.ACCEPTED, None, outcome=Outcome.NOT_ACHIEVED)


def test_illegal_checked_before_reason():
    with pytest.raises(IllegalTransition):
        check_transition(S.DRAFT, S.DECLINED, None)


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (NeedStatus.OPEN, NeedStatus.REFERRED),
        (NeedStatus.UNMET_NO_SERVICE, NeedStatus.REFERRED),
        (NeedStatus.UNMET_SERVICE_FULL, NeedStatus.REFERRED),
        (NeedStatus.UNMET_NOT_ELIGIBLE, NeedStatus.REFERRED),
        (NeedStatus.UNMET_OUT_OF_AREA, NeedStatus.REFERRED),
        (NeedStatus.REFERRED, NeedStatus.REFERRED),
        (NeedStatus.MET, NeedStatus.MET),
        (NeedStatus.CLOSED_NO_LONGER_NEEDED, NeedStatus.CLOSED_NO_LONGER_NEEDED),
    ],
)
def test_need_status_after_referral(current, expected):
    assert need_status_after_referral(current) is expected


@pytest.mark.parametrize("current", list(NeedStatus))
@pytest.mark.parametrize("target", list(NeedStatus))
def test_check_need_transition(current, target):
    if current == target:
        with pytest.raises(IllegalTransition) as err:
            check_need_transition(current, target)
        assert current.label in str(err.value)
    else:
        check_need_transition(current, target)
