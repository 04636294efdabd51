"""Which services can take a referral and what pre-checked means: one rule for every layer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from referral_desk.domain.service_rules import (
    PRECHECKED_WHEN,
    UNUSABLE_STATUSES,
    is_prechecked,
    is_unusable,
)
from referral_desk.domain.vocabularies import SERVICE_STATUSES, ServiceStatus


def test_the_status_enum_is_the_controlled_list_and_its_stored_text() -> None:
    assert tuple(ServiceStatus) == SERVICE_STATUSES
    assert ServiceStatus.TEMPORARILY_CLOSED == "temporarily closed"
    assert set(ServiceStatus) >= UNUSABLE_STATUSES


@pytest.mark.parametrize(
    ("status", "unusable"),
    [
        ("active", False),
        ("temporarily closed", False),  # still referable: the form warns
        ("temporarily_closed", False),
        ("inactive", True),
        ("defunct", True),
        ("Defunct", True),  # synced from an older site, any case
        (" INACTIVE ", True),
        ("", False),  # the stored default is active
        (None, False),
        ("closed for good", False),  # not in the vocabulary: not refused here
    ],
)
def test_unusable_statuses(status: str | None, unusable: bool) -> None:
    assert is_unusable(status) is unusable


@dataclass
class _Flags:
    isp_agreed: bool = False
    reports_attendance: bool = False
    reports_progress: bool = False


@pytest.mark.parametrize(
    ("flags", "prechecked"),
    [
        (_Flags(), False),
        (_Flags(isp_agreed=True), False),
        (_Flags(reports_attendance=True, reports_progress=True), False),
        (_Flags(isp_agreed=True, reports_attendance=True), True),
        (_Flags(True, True, True), True),
    ],
)
def test_prechecked_is_isp_agreed_and_reports_attendance(flags: _Flags, prechecked: bool) -> None:
    assert is_prechecked(flags) is prechecked
    assert PRECHECKED_WHEN == ("isp_agreed", "reports_attendance")
