"""Every domain error is a `DomainError`: the CLI and the client turn those (and only those)
into one line for the user, so an error class outside the family would reach them as a
traceback."""

from __future__ import annotations

import inspect

from referral_desk.domain import errors
from referral_desk.domain.errors import DatabaseBusy, DatabaseError, DomainError, WrongPassphrase


def test_every_error_class_is_a_domain_error() -> None:
    classes = [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__
    ]
    assert len(classes) >= 10
    assert all(issubclass(c, DomainError) for c in classes)


def test_busy_is_a_database_error_so_callers_may_catch_either() -> None:
    assert issubclass(DatabaseBusy, DatabaseError)


def test_a_wrong_passphrase_carries_the_wait_before_the_next_attempt() -> None:
    err = WrongPassphrase("Wrong passphrase.", retry_after=4.5)
    assert str(err) == "Wrong passphrase." and err.retry_after == 4.5
    assert WrongPassphrase("Wrong passphrase.").retry_after == 0.0
