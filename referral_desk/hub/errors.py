"""Errors of the hub: one clear line each, never personal data (nothing personal reaches here)."""

from __future__ import annotations

from referral_desk.domain.errors import DomainError

__all__ = [
    "HubError",
    "HubUnavailable",
    "KeyMismatch",
    "NotSetUp",
    "ReturnDamaged",
    "ReturnRefused",
    "UnknownReturnSchema",
]


class HubError(DomainError):
    """Something about the hub or a return was refused; nothing was changed."""


class HubUnavailable(HubError):
    """The hub server cannot be reached or refuses the login."""


class NotSetUp(HubError):
    """The hub database has no (or an older or newer) hub schema."""


class ReturnDamaged(HubError):
    """A return file is truncated, altered, not a return, or the region passphrase is wrong."""


class ReturnRefused(HubError):
    """A return is authentic as a file but its signature or contents are not acceptable."""


class KeyMismatch(ReturnRefused):
    """A return names a registered team but is signed with another key."""


class UnknownReturnSchema(ReturnRefused):
    """A return for a schema this hub does not know (a newer or retired client)."""
