"""The service editor's work on the worker: what its lists hold when it opens, and a save.

A save may take three writes (a new organisation, its location, then the service): they run
one after another on the window's worker, and `SaveProgress` records how far they got, so a
second Save after a refusal does not create the organisation or location again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import ServiceView


@dataclass(frozen=True)
class EditorData:
    """What the editor's lists hold, and the service being edited (None for a new one)."""

    current: ServiceView | None
    organisations: list[dict[str, Any]]
    categories: list[Any]
    methods: list[Any]


def load_editor(services: AppServices, service_id: str | None) -> EditorData:
    """Run on the worker when the editor opens."""
    return EditorData(
        current=services.directory.get_service(service_id) if service_id else None,
        organisations=list(services.directory.list_organisations()),
        categories=list(services.reference.categories()),
        methods=list(services.reference.list("referral_method")),
    )


@dataclass(frozen=True)
class SavePlan:
    """The form as typed: a new organisation when `organisation_id` is None, a location when
    any of its fields is filled (or one exists), then the service."""

    organisation_id: str | None
    organisation: dict[str, str]
    location_id: str | None
    location: dict[str, str]
    service_id: str | None
    name: str
    fields: dict[str, Any]


@dataclass
class SaveProgress:
    """How far a save got (written on the worker, read after its outcome is delivered)."""

    stage: str = "org"
    organisation: Any = None
    location_id: str | None = None


def store_service(admin: Any, plan: SavePlan, progress: SaveProgress) -> ServiceView:
    """Run on the worker: the organisation (if new), the location, then the service."""
    progress.location_id = plan.location_id
    org_id = plan.organisation_id
    if org_id is None:
        progress.organisation = admin.create_organisation(**plan.organisation)
        org_id = progress.organisation.id
    progress.stage = "loc"
    if any(v.strip() for v in plan.location.values()) or plan.location_id is not None:
        if plan.location_id is None:
            progress.location_id = admin.create_location(organisation_id=org_id, **plan.location).id
        else:
            admin.update_location(plan.location_id, **plan.location)
    progress.stage = "service"
    fields = dict(plan.fields, location_id=progress.location_id or "")
    if plan.service_id is None:
        return admin.create_service(org_id, plan.name, **fields)
    fields["organisation_id"] = org_id
    return admin.update_service(plan.service_id, name=plan.name, **fields)
