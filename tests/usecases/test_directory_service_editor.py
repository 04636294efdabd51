"""Services: fields, categories and areas, pre-check, capacity, status, verified today; never
deleted while referred to."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from directory_helpers import refer
from sqlalchemy import select

from referral_desk.domain.errors import NotFound, ValidationError
from referral_desk.store.models import ServiceArea
from referral_desk.store.soft_delete import INCLUDE_DELETED
from referral_desk.usecases.directory_admin import DirectoryAdminService, ServiceInUse


def test_service_fields_categories_and_areas(admin: DirectoryAdminService, org: Any) -> None:
    loc = admin.create_location(organisation_id=org.id, name="Office")
    svc = admin.create_service(
        org.id,
        "Tenancy support",
        location_id=loc.id,
        min_age="18",
        max_age=25,
        gender="Female",
        free=False,
        unit_cost="£30",
        categories=["accommodation", "finance"],
        areas=["Leeds", "leeds", "Bradford"],
        prisons="HMP Leeds, HMP Styal",
        referral_method="drop-in",
        phone="0113 496 0000 ext 12",
    )
    assert (svc.min_age, svc.max_age, svc.gender) == (18, 25, "female")
    assert (svc.free, svc.unit_cost) == (False, 30.0)
    assert svc.categories == ("accommodation", "finance")
    assert svc.areas == ("Bradford", "Leeds")
    assert svc.prisons == ("HMP Leeds", "HMP Styal")
    assert svc.referral_method == "drop_in"
    assert svc.location is not None and svc.location.id == loc.id
    svc = admin.update_service(svc.id, categories=["finance"], areas=["Wakefield"])
    assert svc.categories == ("finance",) and svc.areas == ("Wakefield",)
    svc = admin.update_service(svc.id, categories=["accommodation", "finance"])
    assert svc.categories == ("accommodation", "finance")  # the old row comes back


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"min_age": 30, "max_age": 20}, "Minimum age cannot be more than maximum age"),
        ({"max_age": 200}, "Max age must be a whole number between 0 and 120"),
        ({"min_age": "eighteen"}, "Min age must be a whole number"),
        ({"unit_cost": 10}, "A free service has no unit cost"),
        ({"capacity": "busy"}, "Capacity must be one of"),
        ({"status": "closed"}, "Status must be one of"),
        ({"categories": ["knitting"]}, "Unknown need category"),
        ({"capacity_as_of": "2099-01-01"}, "cannot be in the future"),
        ({"email": "a@b"}, "Email is not a valid"),
        ({"referral_method": "pigeon"}, "Referral method must be one of"),
    ],
)
def test_service_validation(
    admin: DirectoryAdminService, service: Any, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        admin.update_service(service.id, **fields)


def test_service_areas_can_be_set_on_their_own(
    app: Any, admin: DirectoryAdminService, service: Any
) -> None:
    admin.set_service_areas(service.id, ["Leeds", "Wakefield"])
    view = admin.set_service_areas(service.id, ["Wakefield"])
    assert view.areas == ("Wakefield",)
    with app.db.read() as session:
        every = select(ServiceArea).where(ServiceArea.service_id == service.id)
        areas = list(session.scalars(every, execution_options=INCLUDE_DELETED))
    assert {(a.name, a.deleted_at is None) for a in areas} == {
        ("Leeds", False),
        ("Wakefield", True),
    }
    assert all(a.hsds_id == a.id for a in areas)


def test_precheck_defaults_to_today_and_this_officer(
    app: Any, admin: DirectoryAdminService, service: Any
) -> None:
    view = admin.set_precheck(
        service.id, isp_agreed=True, reports_attendance=True, reports_progress=False
    )
    assert (view.isp_agreed, view.reports_attendance, view.reports_progress) == (True, True, False)
    assert view.prechecked
    assert view.precheck_date == app.clock.today() and view.precheck_by == "Alex Morgan"
    view = admin.set_precheck(
        service.id,
        isp_agreed=False,
        reports_attendance=False,
        reports_progress=False,
        checked_on="2026-01-05",
        checked_by="Jo Keeper",
    )
    assert view.precheck_date == date(2026, 1, 5) and view.precheck_by == "Jo Keeper"
    with pytest.raises(ValidationError, match="future"):
        admin.set_precheck(
            service.id,
            isp_agreed=True,
            reports_attendance=True,
            reports_progress=True,
            checked_on="2026-03-03",
        )


def test_capacity_and_status(app: Any, admin: DirectoryAdminService, service: Any) -> None:
    view = admin.set_capacity(service.id, "waiting_list")
    assert (view.capacity, view.capacity_as_of) == ("waiting list", app.clock.today())
    view = admin.set_capacity(service.id, "Full", as_of="2026-02-20")
    assert (view.capacity, view.capacity_as_of) == ("full", date(2026, 2, 20))
    for given, stored in (
        ("temporarily_closed", "temporarily closed"),
        ("Defunct", "defunct"),
        ("inactive", "inactive"),
        ("active", "active"),
    ):
        assert admin.set_status(service.id, given).status == stored
    with pytest.raises(ValidationError, match="Status must be one of"):
        admin.set_status(service.id, "deleted")


def test_verify_today_sets_assured_date_and_assurer(
    app: Any, admin: DirectoryAdminService, service: Any
) -> None:
    view = admin.verify_today(service.id)
    assert view.assured_date == app.clock.today()
    assert view.assurer == "Alex Morgan"


def test_service_with_referrals_is_never_deleted(
    app: Any, admin: DirectoryAdminService, service: Any
) -> None:
    refer(app, service.id)
    with pytest.raises(ServiceInUse, match="Mark it inactive, temporarily closed or defunct"):
        admin.delete_service(service.id)
    assert admin.set_status(service.id, "defunct").status == "defunct"
    other = admin.create_service(service.organisation_id, "Unused")
    admin.delete_service(other.id)
    with pytest.raises(NotFound):
        app.directory.get_service(other.id)
    with pytest.raises(ServiceInUse):
        admin.delete_organisation(service.organisation_id)
