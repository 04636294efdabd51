"""Hub errors are domain errors (so the command line prints one line, never a traceback), and a
refused signing key or schema is caught wherever a refused return is."""

from __future__ import annotations

import referral_desk.hub.errors as hub_errors
from referral_desk.domain.errors import DomainError
from referral_desk.hub.errors import HubError, KeyMismatch, ReturnRefused, UnknownReturnSchema


def test_every_hub_error_is_a_domain_error() -> None:
    classes = [getattr(hub_errors, name) for name in hub_errors.__all__]
    assert classes and all(issubclass(c, HubError) for c in classes)
    assert issubclass(HubError, DomainError)


def test_key_and_schema_refusals_are_refused_returns() -> None:
    assert issubclass(KeyMismatch, ReturnRefused)
    assert issubclass(UnknownReturnSchema, ReturnRefused)
