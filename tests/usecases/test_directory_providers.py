"""Organisations and locations: cleaned, validated (naming the field, never the value), synced."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from referral_desk.domain.errors import NotFound, ValidationError
from referral_desk.store.models import ChangeEntry
from referral_desk.usecases.directory_admin import DirectoryAdminService


def test_organisation_is_cleaned_and_logged_for_sync(app: Any, org: Any) -> None:
    assert org.name == "New Leaf Trust"
    assert org.website == "https://newleaf.example"
    assert org.hsds_id == org.id  # exports keep the same HSDS id forever
    with app.db.read() as session:
        fields = set(
            session.scalars(select(ChangeEntry.field).where(ChangeEntry.record_id == org.id))
        )
    assert {"name", "website"} <= fields


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "Name is required"),
        ({"name": "X", "email": "not-an-email"}, "Email is not a valid email address"),
        ({"name": "X", "website": "ftp:/nowhere"}, "Website must be a web address"),
        ({"name": "X", "phone": "call me"}, "Phone must be a phone number"),
        ({"name": "X", "colour": "red"}, "Unknown organisation field: colour"),
    ],
)
def test_organisation_validation_names_the_field_not_the_value(
    admin: DirectoryAdminService, fields: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        admin.create_organisation(**fields)
    for value in fields.values():
        if value.strip():
            assert value not in str(err.value) or value == "colour"


def test_update_organisation(admin: DirectoryAdminService, org: Any) -> None:
    updated = admin.update_organisation(org.id, charity_number="1234567", faith_based=True)
    assert updated.charity_number == "1234567" and updated.faith_based is True
    with pytest.raises(NotFound):
        admin.update_organisation("b0b0b0b0-0000-4000-8000-000000000000", name="X")


def test_location_postcode_and_coordinates(admin: DirectoryAdminService, org: Any) -> None:
    loc = admin.create_location(
        organisation_id=org.id, name="Office", postcode="ls15hd", latitude="53.8", longitude=-1.55
    )
    assert loc.postcode == "LS1 5HD" and loc.latitude == 53.8
    assert admin.locations(org.id) == [loc]
    with pytest.raises(ValidationError, match="Postcode"):
        admin.update_location(loc.id, postcode="12345")
    with pytest.raises(ValidationError, match="Latitude must be between"):
        admin.update_location(loc.id, latitude=91)
    with pytest.raises(NotFound):
        admin.create_location(organisation_id="c0c0c0c0-0000-4000-8000-000000000000")
