"""The fixed state machines: the words the command line accepts and the labels screens show."""

from __future__ import annotations

import pytest

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.states import (
    OPEN_REFERRAL_STATES,
    UNMET_REASONS,
    FollowUpKind,
    NeedStatus,
    Outcome,
    ReferralState,
)


@pytest.mark.parametrize("text", ["waiting-list", "Waiting list", " WAITING_LIST ", "waiting_list"])
def test_a_referral_state_parses_however_it_is_spelt(text: str) -> None:
    assert ReferralState.parse(text) is ReferralState.WAITING_LIST


def test_every_state_parses_back_from_its_command_line_name() -> None:
    for state in ReferralState:
        assert ReferralState.parse(state.cli_name) is state
        assert "_" not in state.cli_name


def test_an_unknown_state_is_refused_listing_the_command_line_names() -> None:
    with pytest.raises(ValidationError) as err:
        ReferralState.parse("finished")
    message = str(err.value)
    assert "finished" not in message  # the typed text is never echoed back
    assert "waiting-list" in message and "ended-early" in message


def test_open_states_are_the_ones_a_referral_can_still_move_on_from() -> None:
    closed = set(ReferralState) - OPEN_REFERRAL_STATES
    assert closed == {
        ReferralState.DECLINED,
        ReferralState.COMPLETED,
        ReferralState.ENDED_EARLY,
        ReferralState.WITHDRAWN,
    }


def test_labels_read_as_words() -> None:
    assert ReferralState.ENDED_EARLY.label == "Ended early"
    assert FollowUpKind.PRE_RELEASE_CHECK.label == "Pre release check"
    assert NeedStatus.UNMET_SERVICE_FULL.label == "Unmet – service full"
    assert all(status.label for status in NeedStatus)


def test_the_unmet_reasons_are_exactly_the_unmet_statuses() -> None:
    unmet = {status for status in NeedStatus if status.is_unmet}
    assert set(UNMET_REASONS.values()) == unmet
    assert not NeedStatus.MET.is_unmet and not NeedStatus.CLOSED_NO_LONGER_NEEDED.is_unmet


def test_outcome_scores_count_distance_travelled() -> None:
    assert [o.score for o in Outcome] == [1.0, 0.5, 0.0]
