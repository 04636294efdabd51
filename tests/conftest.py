"""Shared fixtures. Qt must run offscreen, set before anything imports PySide6."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from referral_desk.services.base import Clock

TODAY = date(2026, 3, 2)  # a Monday, clear of bank holidays


@pytest.fixture
def clock() -> Clock:
    return Clock(fixed_today=TODAY)


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Iterator[object]:
    """A fresh database with reference data and an officer profile."""
    from referral_desk.services.app_services import open_services

    services = open_services(tmp_path / "data", clock)
    services.profile.set(name="Alex Morgan", team="Leeds North", office="Leeds",
                         office_phone="0113 496 0000", email="alex@probation.example")  # fmt: skip
    yield services
    services.close()
