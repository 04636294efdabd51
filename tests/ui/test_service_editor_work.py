"""The service editor's save on the worker: each write once, even when a later one is refused."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from referral_desk.domain.errors import ValidationError
from referral_desk.ui.service_editor_work import SavePlan, SaveProgress, store_service


class FakeAdmin:
    """Records the writes; refuses the service while `refuse` is set."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.refuse = True

    def create_organisation(self, **fields: Any) -> Any:
        self.calls.append("organisation")
        return SimpleNamespace(id="org-1", name=fields["name"])

    def create_location(self, **fields: Any) -> Any:
        self.calls.append("location")
        return SimpleNamespace(id="loc-1")

    def update_location(self, location_id: str, **fields: Any) -> None:
        self.calls.append(f"update {location_id}")

    def create_service(self, org_id: str, name: str, **fields: Any) -> Any:
        if self.refuse:
            raise ValidationError("Email is not an email address.")
        self.calls.append(f"service of {org_id} at {fields['location_id']}")
        return SimpleNamespace(id="svc-1", name=name)


def _plan(organisation_id: str | None, location_id: str | None) -> SavePlan:
    return SavePlan(
        organisation_id=organisation_id,
        organisation={"name": "New Leaf Trust", "website": "", "charity_number": ""},
        location_id=location_id,
        location={
            "name": "",
            "address_1": "1 Park Row",
            "address_2": "",
            "city": "Leeds",
            "postcode": "LS1 4AP",
        },
        service_id=None,
        name="Housing advice",
        fields={"email": "x"},
    )


def test_a_refused_service_keeps_what_was_created_for_the_next_save() -> None:
    admin = FakeAdmin()
    progress = SaveProgress()
    with pytest.raises(ValidationError):
        store_service(admin, _plan(None, None), progress)
    assert progress.stage == "service"
    assert progress.organisation.id == "org-1" and progress.location_id == "loc-1"
    assert admin.calls == ["organisation", "location"]

    admin.refuse = False  # the dialog's next Save names what the first one created
    again = SaveProgress()
    saved = store_service(admin, _plan("org-1", progress.location_id), again)
    assert saved.id == "svc-1"
    assert admin.calls == ["organisation", "location", "update loc-1", "service of org-1 at loc-1"]
    assert again.organisation is None
