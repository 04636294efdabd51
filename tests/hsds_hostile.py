"""Helpers for the hostile-input tests of the directory formats (`tests/hsds/test_*_hostile.py`):
an import is applied or refused in one clean line with nothing written, never a traceback, never
a control character or personal data in a message, never a wait on a FIFO."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from referral_desk.domain.errors import DomainError
from referral_desk.domain.text import has_controls
from referral_desk.hsds.importer import import_package
from referral_desk.hsds.package_reader import PackageError
from referral_desk.store.models import ChangeEntry, Location, Organisation, Service

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
nasty = st.text(
    alphabet=st.sampled_from(list("aZ09 -'\"=,;@\t\r\n\x00\x1b\x1f\x7f\u202e\u00e9\ufeff{}[]")),
    max_size=12,
)
SECRET = "Jane Doe 1980"  # stands for personal data: never in a message


def counts(app: Any) -> tuple[int, ...]:
    with app.db.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(m))
            for m in (ChangeEntry, Organisation, Location, Service)
        )


def import_or_refused(app: Any, path: Path) -> Any:
    """Import; on a DomainError check it is one clean line and nothing was written."""
    before = counts(app)
    try:
        with app.db.write() as session:
            return import_package(session, path)
    except DomainError as err:
        message = str(err)
        assert "\n" not in message and not has_controls(message)
        assert SECRET not in message
        assert counts(app) == before, "a refused import must write nothing"
        return None


posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX links and FIFOs")


def run(app: Any, path: Path, **kwargs: Any) -> Any:
    with app.db.write() as session:
        return import_package(session, path, **kwargs)


def count(app: Any, model: Any) -> int:
    with app.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def refused(app: Any, path: Path, match: str, **kwargs: Any) -> str:
    entries = count(app, ChangeEntry)
    with pytest.raises(PackageError, match=match) as caught:
        run(app, path, **kwargs)
    assert count(app, ChangeEntry) == entries
    assert count(app, Service) == 0
    message = str(caught.value)
    assert "\n" not in message and not has_controls(message)
    return message


def in_thread(fn: Any, timeout: float = 30.0) -> BaseException | None:
    """Run `fn` in a daemon thread; fail (instead of hanging the suite) if it blocks."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            fn()
            outcome.append(None)
        except BaseException as err:  # handed back to the test
            outcome.append(err)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert outcome, "the import blocked (it must never wait on a FIFO)"
    return outcome[0]
