"""The directory keeper's use cases: edits with validation, freshness, corrections."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from referral_desk.domain.errors import DomainError, NotFound, ValidationError
from referral_desk.services.directory_admin import (
    DirectoryAdminService,
    ServiceInUse,
    months_before,
)
from referral_desk.store.directory_models import DirectoryCorrection
from referral_desk.store.models import ChangeEntry, Service, ServiceArea
from referral_desk.store.soft_delete import INCLUDE_DELETED


@pytest.fixture
def admin(app: Any) -> DirectoryAdminService:
    return DirectoryAdminService(app.db, app.clock)


@pytest.fixture
def org(admin: DirectoryAdminService) -> Any:
    return admin.create_organisation(name="  New   Leaf Trust ", website="newleaf.example")


@pytest.fixture
def service(admin: DirectoryAdminService, org: Any) -> Any:
    return admin.create_service(org.id, "Housing advice", categories=["accommodation"])


# --- add and edit, with validation ---------------------------------------------------------


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


# --- pre-check, capacity, status, verified today ---------------------------------------------


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


def _referral(app: Any, service_id: str, *, given: str = "Dafydd") -> Any:
    person = app.people.add(
        given_name=given,
        family_name="Rhys",
        date_of_birth="1985-05-05",
        consent_given_on="2026-01-01",
    )
    need = app.needs.log(person.id, "accommodation", "Needs a flat")
    return app.referrals.make(need.id, service_id, consent=True)


def test_service_with_referrals_is_never_deleted(
    app: Any, admin: DirectoryAdminService, service: Any
) -> None:
    _referral(app, service.id)
    with pytest.raises(ServiceInUse, match="Mark it inactive, temporarily closed or defunct"):
        admin.delete_service(service.id)
    assert admin.set_status(service.id, "defunct").status == "defunct"
    other = admin.create_service(service.organisation_id, "Unused")
    admin.delete_service(other.id)
    with pytest.raises(NotFound):
        app.directory.get_service(other.id)
    with pytest.raises(ServiceInUse):
        admin.delete_organisation(service.organisation_id)


# --- freshness -------------------------------------------------------------------------------


def test_stale_services(app: Any, admin: DirectoryAdminService, org: Any) -> None:
    never = admin.create_service(org.id, "Never verified")
    old = admin.create_service(org.id, "Old")
    recent = admin.create_service(org.id, "Recent")
    gone = admin.create_service(org.id, "Gone")
    with app.db.write() as session:
        session.get(Service, old.id).assured_date = date(2025, 3, 2)  # exactly 12 months
        session.get(Service, recent.id).assured_date = date(2025, 4, 1)
        session.get(Service, gone.id).status = "defunct"
    stale = admin.stale_services()
    assert [s.id for s in stale] == [never.id, old.id]
    assert stale[0].months_since is None and stale[1].months_since == 12
    assert [s.id for s in admin.stale_services(months=6)] == [never.id, old.id, recent.id]
    assert admin.verify_today(never.id)
    assert never.id not in {s.id for s in admin.stale_services()}


def test_months_before_clamps_to_month_end() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 3, 2), 12) == date(2025, 3, 2)
    assert months_before(date(2026, 1, 15), 2) == date(2025, 11, 15)


def test_problem_services_count_capacity_and_contact_declines(
    app: Any, admin: DirectoryAdminService, org: Any
) -> None:
    busy = admin.create_service(org.id, "Busy")
    fine = admin.create_service(org.id, "Fine")
    for i, reason in enumerate(("no_capacity", "no_capacity", "could_not_contact")):
        ref = _referral(app, busy.id, given=f"P{i}")
        app.referrals.record_status(ref.reference, "declined", reason=reason)
    ref = _referral(app, fine.id, given="Q")
    app.referrals.record_status(ref.reference, "declined", reason="no_capacity")
    ref = _referral(app, fine.id, given="R")
    app.referrals.record_status(ref.reference, "declined", reason="not_eligible")
    (problem,) = admin.problem_services(min_count=2)
    assert (problem.id, problem.no_capacity, problem.could_not_contact) == (busy.id, 2, 1)
    assert problem.total == 3 and problem.last_declined_on == app.clock.today()
    assert {p.id for p in admin.problem_services(min_count=1)} == {busy.id, fine.id}


# --- corrections -----------------------------------------------------------------------------


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


# --- HSDS through the service ----------------------------------------------------------------


def test_import_report_and_refusal(admin: DirectoryAdminService, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(DomainError, match=r"datapackage\.json is missing"):
        admin.import_package(folder)
    admin.create_organisation(name="Org")
    summary = admin.export_package(tmp_path / "out")
    assert summary.counts["organization"] == 1 and summary.services == 0
    report = admin.import_package(tmp_path / "out", dry_run=True)
    assert report.dry_run and not report.applied
    assert report.counts["organisation"]["unchanged"] == 1
    assert report.total("new") == 0
    assert report.to_dict()["counts"]["organisation"]["unchanged"] == 1


def test_import_report_counts_rejected_rows(admin: DirectoryAdminService, tmp_path: Path) -> None:
    org = admin.create_organisation(name="Org")
    admin.create_service(org.id, "Kept")
    bad = admin.create_service(org.id, "Broken")
    admin.export_package(tmp_path / "out")
    services = tmp_path / "out" / "services.csv"
    services.write_text(services.read_text("utf-8").replace(bad.id, "broken-id"), "utf-8")
    report = admin.import_package(tmp_path / "out", dry_run=True)
    assert report.counts["service"]["rejected"] == 1
    assert report.counts["service"]["unchanged"] == 1
    (issue,) = [i for i in report.rejected if i.table == "service"]
    assert (issue.file, issue.message) == ("services.csv", "id is not a valid UUID")
    assert issue.row in (2, 3)  # rows are in HSDS-id order; the header is row 1
