"""What a directory service's fields mean for the officer, decided once (DESIGN.md §3).

Several layers ask the same questions of a service: the referral form and the referral use
case ask "can it take a referral?", the search filter, the freshness report, the hub's facts
and the screens ask "is it pre-checked?". Each used to answer with its own copy, and copies
drift; the answers live here, and the SQL forms are built from the same names.
"""

from __future__ import annotations

from typing import Any

from referral_desk.domain.vocabularies import SERVICE_STATUSES, ServiceStatus, in_vocabulary

__all__ = ["PRECHECKED_WHEN", "UNUSABLE_STATUSES", "is_prechecked", "is_unusable"]

UNUSABLE_STATUSES: frozenset[ServiceStatus] = frozenset(
    {ServiceStatus.INACTIVE, ServiceStatus.DEFUNCT}
)
"""No new referral may go to a service in these statuses. A temporarily closed service may
still be referred to (the form warns): the provider keeps a list for when it reopens."""

PRECHECKED_WHEN: tuple[str, ...] = ("isp_agreed", "reports_attendance")
"""A service is pre-checked when each of these flags is set: an information-sharing protocol
is agreed and the provider reports attendance, so an officer need not phone to confirm either.
(`reports_progress` is shown, but is not part of the test.) Field names, so the search and the
reports build their SQL from this one list."""


def is_unusable(status: str | None) -> bool:
    """Can no referral go to a service with this stored status? (Any case or spelling of the
    vocabulary; blank or unknown reads as usable, as the stored default is active.)"""
    return in_vocabulary(status, SERVICE_STATUSES) in UNUSABLE_STATUSES


def is_prechecked(service: Any) -> bool:
    """Is `service` (anything with the `PRECHECKED_WHEN` attributes: a row, a view) pre-checked?"""
    return all(bool(getattr(service, name, False)) for name in PRECHECKED_WHEN)
