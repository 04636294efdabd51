"""Corrections: any officer reports, the keeper resolves; they travel as synced records."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from referral_desk.domain.errors import NotFound, ValidationError
from referral_desk.store.directory_models import DirectoryCorrection
from referral_desk.store.models import ChangeEntry
from referral_desk.usecases.directory_admin import DirectoryAdminService


def test_correction_travels_as_a_synced_record_and_is_resolved(
    app: Any, admin: DirectoryAdminService, service: Any
) -> None:
    with pytest.raises(ValidationError, match="What is wrong is required"):
        admin.report_correction(service.id, "   ")
    reported = admin.report_correction(service.id, "Phone number is now 0113 496 0999")
    assert reported.status == "open" and reported.reported_by_name == "Alex Morgan"
    assert reported.service_name == "Housing advice"
    assert reported.organisation_name == "New Leaf Trust"
    with app.db.read() as session:
        logged = set(
            session.scalars(
                select(ChangeEntry.field).where(
                    ChangeEntry.table_name == DirectoryCorrection.__tablename__
                )
            )
        )
    assert {"service_id", "text", "status", "reported_on"} <= logged
    assert [c.id for c in admin.corrections()] == [reported.id]
    accepted = admin.resolve_correction(reported.id, accept=True, note="Updated")
    assert (accepted.status, accepted.resolved_on, accepted.resolution_note) == (
        "accepted",
        app.clock.today(),
        "Updated",
    )
    assert accepted.resolved_by_name == "Alex Morgan"
    assert admin.corrections() == []
    assert [c.status for c in admin.corrections("accepted")] == ["accepted"]
    with pytest.raises(ValidationError, match="already been resolved"):
        admin.resolve_correction(reported.id, accept=False)
    second = admin.report_correction(service.id, "Closed on Fridays now")
    assert admin.resolve_correction(second.id, accept=False).status == "dismissed"
    assert len(admin.corrections("all")) == 2
    with pytest.raises(NotFound):
        admin.report_correction("d0d0d0d0-0000-4000-8000-000000000000", "x")
