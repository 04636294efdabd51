"""How fresh a directory record is, in words an officer reads at a glance (DESIGN.md §1, §3).

Officers told us old directories were "undated" and they could not tell whether an entry was
still right. Every search result therefore says when the record was last verified, and a record
not verified for over a year is flagged stale so the officer phones before relying on it.

Pure Python (no Qt) so the wording and the threshold are unit-tested on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from referral_desk.domain.months import months_between

STALE_AFTER_MONTHS = 12


@dataclass(frozen=True)
class Freshness:
    """`text` for the table cell, `stale` to highlight it, `months` for sorting (-1 = never)."""

    text: str
    stale: bool
    months: int


def freshness(verified_on: date | None, today: date) -> Freshness:
    """'verified 14 months ago' (stale), 'verified this month', 'never verified' (stale).

    A date in the future (a clock set wrong on another PC) reads as verified today rather than
    as a negative age: the record is as fresh as it can be.
    """
    if verified_on is None:
        return Freshness("never verified", True, -1)
    if verified_on >= today:
        return Freshness("verified today", False, 0)
    months = months_between(verified_on, today)
    if months <= 0:
        days = (today - verified_on).days
        text = "verified yesterday" if days == 1 else f"verified {days} days ago"
    elif months == 1:
        text = "verified 1 month ago"
    else:
        text = f"verified {months} months ago"
    return Freshness(text, months >= STALE_AFTER_MONTHS, months)
