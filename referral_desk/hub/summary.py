"""Referral histories summarised on loading: what the outcomes report asks of each referral.

Why at load time: a region holds a million referrals and four or five million status changes.
The outcomes report only ever asks, per referral, when it was sent, how many days until the
first reply and until it started, which states it ever reached and why it was declined, so the
hub works that out once per return (the same rules as `reports.outcomes._select_per_referral`)
and stores it beside the referral, rather than re-reading every history for every report.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from referral_desk.domain.states import Outcome, ReferralState
from referral_desk.reports import outcomes as oc

__all__ = ["Summary", "score", "summarise"]

_REPLIES = frozenset(s.value for s in oc.REPLIES)
_SENT = ReferralState.SENT.value
_STARTED = ReferralState.STARTED.value
_DECLINED = ReferralState.DECLINED.value
_SCORES = {o.value: o.score for o in Outcome}

Summary = tuple[date | None, int | None, int | None, int, str | None]
"""(sent on, days to first reply, days to start, bits of states reached, decline reason)."""


def score(outcome: str) -> float | None:
    return _SCORES.get(outcome)


def summarise(history: Iterable[tuple[Any, ...]]) -> dict[str, Summary]:
    """history rows (referral, status, at, reason) -> summary per referral that has any."""
    firsts: dict[str, dict[str, datetime]] = {}
    reached: dict[str, int] = {}
    declines: dict[str, str] = {}
    for referral, status, at, reason in history:
        first = firsts.setdefault(referral, {})
        key = "reply" if status in _REPLIES else None
        for name in (status, key):
            if name is not None and (name not in first or at < first[name]):
                first[name] = at
        reached[referral] = reached.get(referral, 0) | oc.BITS.get(status, 0)
        if status == _DECLINED and (referral not in declines or reason > declines[referral]):
            declines[referral] = reason
    out: dict[str, Summary] = {}
    for referral, first in firsts.items():
        sent = first.get(_SENT)
        sent_on = sent.date() if sent else None
        out[referral] = (
            sent_on,
            _days(sent_on, first.get("reply")),
            _days(sent_on, first.get(_STARTED)),
            reached[referral],
            declines.get(referral),
        )
    return out


def _days(sent_on: date | None, later: datetime | None) -> int | None:
    if sent_on is None or later is None:
        return None
    return (later.date() - sent_on).days
