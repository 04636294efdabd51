"""Referral and need state rules (DESIGN.md §3, §4).

The transitions are code, not data: follow-ups, reports and the "distance travelled" count
depend on them. The reason codes that some target states require are data (reference lists),
so this module only names the list to use and checks a code against the codes the caller loaded.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from referral_desk.domain.errors import IllegalTransition, ReasonRequired, ValidationError
from referral_desk.domain.states import (
    OPEN_REFERRAL_STATES,
    NeedStatus,
    Outcome,
    ReferralState,
)

__all__ = [
    "REASON_LISTS",
    "TERMINAL_STATES",
    "allowed_next",
    "check_need_transition",
    "check_transition",
    "is_terminal",
    "need_status_after_referral",
]

S = ReferralState

# Forward moves per state, in the order the UI offers them (most likely first). Withdrawal is
# added to every open state below, always last.
_FORWARD: dict[ReferralState, tuple[ReferralState, ...]] = {
    S.DRAFT: (S.SENT,),
    S.SENT: (S.ACKNOWLEDGED, S.ACCEPTED, S.WAITING_LIST, S.DECLINED),
    S.ACKNOWLEDGED: (S.ACCEPTED, S.WAITING_LIST, S.DECLINED),
    S.WAITING_LIST: (S.ACCEPTED, S.DECLINED),
    # accepted -> ended early: the person never attended.
    S.ACCEPTED: (S.STARTED, S.ENDED_EARLY),
    S.STARTED: (S.COMPLETED, S.ENDED_EARLY),
}

_TRANSITIONS: dict[ReferralState, tuple[ReferralState, ...]] = {
    state: _FORWARD.get(state, ()) + ((S.WITHDRAWN,) if state in OPEN_REFERRAL_STATES else ())
    for state in ReferralState
}

TERMINAL_STATES = frozenset(state for state, nxt in _TRANSITIONS.items() if not nxt)
"""Declined, completed, ended early and withdrawn: no way out (reopen by making a new referral)."""

REASON_LISTS: dict[ReferralState, str] = {
    S.DECLINED: "decline_reason",
    S.WITHDRAWN: "withdraw_reason",
    S.ENDED_EARLY: "end_reason",
}
"""Target states that need a reason code, and the reference list holding the valid codes."""


def allowed_next(state: ReferralState) -> list[ReferralState]:
    """States a referral in `state` may move to, in a stable display order."""
    return list(_TRANSITIONS[ReferralState(state)])


def is_terminal(state: ReferralState) -> bool:
    return ReferralState(state) in TERMINAL_STATES


def _codes_for_message(known: Collection[str]) -> str:
    codes = list(known) if isinstance(known, Sequence) else sorted(known)
    return ", ".join(codes)


def check_transition(
    current: ReferralState,
    target: ReferralState,
    reason_code: str | None,
    known_reasons: Collection[str] | None = None,
    outcome: Outcome | None = None,
) -> None:
    """Raise unless a referral may move from `current` to `target` with these details.

    - IllegalTransition when the move is not in the lifecycle (message names both states).
    - ReasonRequired when `target` needs a reason (see REASON_LISTS) and none was given, or, when
      `known_reasons` is given, the code is not one of them (message lists the valid codes).
    - ValidationError when an outcome is given for any target other than completed.

    A reason code given for a target that takes none is ignored, not an error: the UI may keep
    a previously picked value in a hidden field. Blank strings count as no reason.
    """
    current = ReferralState(current)
    target = ReferralState(target)
    if target not in _TRANSITIONS[current]:
        if current in TERMINAL_STATES:
            detail = f"{current.label} is a final state"
        elif current == target:
            detail = f"it is already {current.label}"
        else:
            detail = "that step is not part of the referral lifecycle"
        raise IllegalTransition(
            f"A referral cannot move from {current.label} to {target.label}: {detail}"
        )

    if outcome is not None:
        if target != S.COMPLETED:
            raise ValidationError(
                f"An outcome can only be recorded when completing a referral, not {target.label}"
            )
        Outcome(outcome)  # raises ValueError for a non-outcome; a programming error.

    if target in REASON_LISTS:
        code = reason_code.strip() if reason_code else ""
        if not code:
            message = f"Moving a referral to {target.label} needs a reason code"
            if known_reasons is not None:
                message += f"; use one of: {_codes_for_message(known_reasons)}"
            raise ReasonRequired(message)
        if known_reasons is not None and code not in known_reasons:
            if known_reasons:
                valid = f"use one of: {_codes_for_message(known_reasons)}"
            else:
                valid = f"no codes are set up in the {REASON_LISTS[target]} list"
            raise ReasonRequired(f"Unknown reason code for {target.label}; {valid}")


def need_status_after_referral(current: NeedStatus) -> NeedStatus:
    """The need's status once a referral for it is sent.

    Open and unmet needs become referred (an unmet need that now has a service is no longer
    unmet). Referred stays referred; met and closed needs are left alone, because reopening a
    need is an officer's decision, not a side effect.
    """
    current = NeedStatus(current)
    if current == NeedStatus.OPEN or current.is_unmet:
        return NeedStatus.REFERRED
    return current


def check_need_transition(current: NeedStatus, target: NeedStatus) -> None:
    """Raise IllegalTransition when `target` equals `current`; any other change is allowed.

    Needs are reassessed freely (a met need can reopen, an unmet one can be met later), so the
    only rule is that a change must change something (so the audit trail has no empty entries).
    """
    current = NeedStatus(current)
    target = NeedStatus(target)
    if current == target:
        raise IllegalTransition(f"The need is already {current.label}")
