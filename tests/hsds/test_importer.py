"""HSDS 3.0 import: the official example package, row faults, structural refusals."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from data_paths import HSDS_EXAMPLE as EXAMPLE
from hsds_packages import MISSING, ORG, ORG2, SVC, SVC2, small_tables, uid, write_package
from sqlalchemy import func, select

from referral_desk.domain.search_query import SearchQuery
from referral_desk.hsds.importer import import_package
from referral_desk.hsds.package_reader import PackageError, read_package
from referral_desk.hsds.schema import TABLES
from referral_desk.store.models import (
    ChangeEntry,
    Location,
    Organisation,
    Service,
    ServiceArea,
    ServiceCategory,
)
from referral_desk.store.soft_delete import INCLUDE_DELETED


def run(app: Any, path: Path, **kwargs: Any) -> Any:
    with app.db.write() as session:
        return import_package(session, path, **kwargs)


def count(app: Any, model: Any) -> int:
    with app.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def live(app: Any, model: Any) -> list[Any]:
    with app.db.read() as session:
        return list(session.scalars(select(model).where(model.deleted_at.is_(None))))


# --- the official example ------------------------------------------------------------------


def test_official_example_imports_with_its_dangling_links_dropped(app: Any) -> None:
    plan = run(app, EXAMPLE)
    for kind in ("organisation", "location", "service", "service_area"):
        assert plan.counts[kind]["new"] == 1, kind
    # Its one attribute row names an unknown link_entity and a service not in the package.
    assert [(i.table, i.row) for i in plan.rejected] == [("attribute", 2)]
    dropped = {(i.table, i.message.split()[0]) for i in plan.warnings}
    assert ("organization", "parent_organization_id") in dropped
    assert ("location", "organization_id") in dropped
    assert ("contact", "organization_id") in dropped
    assert any("metadata.csv" in n for n in plan.notes)

    (svc,) = app.directory.list_services()
    assert svc.name == "Community Counselling"
    assert svc.status == "active"
    assert svc.phone == "+44 1234 234567"  # publisher's protective quotes removed
    assert svc.contact_name == "Ann Persona"
    assert svc.languages == ("Urdu",)
    assert (svc.min_age, svc.max_age) == (12, 100)
    assert (svc.free, svc.unit_cost) == (False, 35.0)
    assert svc.assured_date == date(2005, 1, 1)
    assert svc.assurer == "email@example.com"
    assert svc.opening_times.startswith("The service is available from 10 am")
    assert svc.what_to_bring.startswith("Any official identification document")
    assert "induction loops" in svc.accessibility
    assert svc.location is not None
    assert (svc.location.address_1, svc.location.city, svc.location.postcode) == (
        "1-30 Main Street",
        "MyCity",
        "ABC 1234",
    )
    assert len(svc.areas) == 1
    (org,) = live(app, Organisation)
    assert org.company_number == "1234567"
    assert org.website == "http://example.com"
    # Unknown columns and rows we do not model are kept, not dropped.
    assert org.extra["hsds_columns"]["legal_status"] == "Limited Company"
    assert "parent_organization_id" not in org.extra["hsds_columns"]  # dangling: dropped
    assert org.extra["hsds_rows"]["program"][0]["name"] == "Community Mental Health Support"
    (loc,) = live(app, Location)
    assert loc.organisation_id is None
    assert loc.extra["hsds_columns"]["external_identifier_type"] == "UPRN"
    (service_row,) = live(app, Service)
    assert service_row.extra["hsds_columns"]["alternate_name"] == "MyCity Counselling Services"
    assert service_row.extra["hsds_rows"]["funding"][0]["id"].startswith("1f2df32c")


def test_reimporting_the_same_package_changes_nothing(app: Any) -> None:
    run(app, EXAMPLE)
    entries = count(app, ChangeEntry)
    plan = run(app, EXAMPLE)
    assert plan.counts["service"] == {"new": 0, "changed": 0, "unchanged": 1, "removed": 0}
    assert plan.counts["organisation"]["unchanged"] == 1
    assert plan.changes == []
    assert count(app, ChangeEntry) == entries
    assert count(app, Service) == 1


def test_dry_run_previews_and_writes_nothing(app: Any) -> None:
    entries = count(app, ChangeEntry)
    plan = run(app, EXAMPLE, dry_run=True)
    assert plan.counts["service"]["new"] == 1
    assert count(app, Service) == 0
    assert count(app, ChangeEntry) == entries


def test_imported_records_are_logged_for_sync_and_searchable(app: Any, tmp_path: Path) -> None:
    run(app, write_package(tmp_path / "pkg", small_tables()))
    with app.db.read() as session:
        logged = set(
            session.scalars(
                select(ChangeEntry.record_id).where(ChangeEntry.table_name == "service")
            )
        )
    assert {SVC, SVC2} <= logged  # HSDS UUIDs become our ids: two sites importing agree
    hits = app.directory.search(SearchQuery(text="housing advice"))
    assert [h.id for h in hits] == [SVC]
    assert hits[0].organisation_name == "New Leaf Trust"
    assert hits[0].phone == "0113 496 0001"
    assert hits[0].areas == ("Leeds",)


# --- tolerated variations ------------------------------------------------------------------


@pytest.mark.parametrize(("bom", "newline"), [(True, "\r\n"), (True, "\n"), (False, "\n")])
def test_bom_and_line_endings_are_accepted(
    app: Any, tmp_path: Path, bom: bool, newline: str
) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables(), bom=bom, newline=newline)
    plan = run(app, pkg)
    assert plan.rejected == []
    assert plan.counts["service"]["new"] == 2


def test_zip_with_the_package_inside_a_folder(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    archive = tmp_path / "directory.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in pkg.iterdir():
            zf.write(file, f"export-2026/{file.name}")
    plan = run(app, archive)
    assert plan.counts["service"]["new"] == 2


def test_a_listed_file_that_is_absent_is_an_empty_table(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    del tables["phone"]  # listed in datapackage.json, no phones.csv
    plan = run(app, write_package(tmp_path / "pkg", tables))
    assert plan.rejected == []
    assert {s.phone for s in app.directory.list_services()} == {""}


def test_unknown_columns_are_kept(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    tables["service"][0]["probation_region"] = "Yorkshire and the Humber"
    columns = {"service": [*TABLES["service"].columns, "probation_region"]}
    run(app, write_package(tmp_path / "pkg", tables, columns=columns))
    svc = next(s for s in live(app, Service) if s.id == SVC)
    assert svc.extra["hsds_columns"]["probation_region"] == "Yorkshire and the Humber"


def test_formula_like_names_are_stored_as_text(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    tables["organization"][0]["name"] = "=CMD()"
    tables["service"][0]["name"] = "@SUM(A1)"
    run(app, write_package(tmp_path / "pkg", tables))
    assert {o.name for o in live(app, Organisation)} == {"=CMD()", "Open Door"}
    assert "@SUM(A1)" in {s.name for s in live(app, Service)}


# --- row faults: quarantine the row and what depends on it ---------------------------------


def test_bad_uuid_quarantines_the_row_and_its_dependants(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    tables["organization"][0]["id"] = "not-a-uuid"
    tables["service"][0]["organization_id"] = "not-a-uuid"
    plan = run(app, write_package(tmp_path / "pkg", tables))
    reasons = {(i.table, i.message) for i in plan.rejected}
    assert ("organization", "id is not a valid UUID") in reasons
    assert any(t == "service" and "rejected" in msg for t, msg in reasons)
    # the service's own children go with it
    assert {i.table for i in plan.rejected} >= {"phone", "service_at_location", "service_area"}
    # everything else applied, in one go
    assert [s.id for s in live(app, Service)] == [SVC2]
    assert count(app, Location) == 1  # its optional organisation link was dropped
    assert live(app, Location)[0].organisation_id is None
    assert all("not-a-uuid" not in i.message for i in plan.rejected)


def test_dangling_required_link_and_missing_values_are_row_faults(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    tables["service"][1]["organization_id"] = MISSING
    tables["service"].append({"id": uid(9), "organization_id": ORG, "name": "", "status": "x"})
    tables["service"].append({"id": SVC, "organization_id": ORG, "name": "Dup", "status": "active"})
    plan = run(app, write_package(tmp_path / "pkg", tables))
    by_row = {i.row: i.message for i in plan.rejected if i.table == "service"}
    assert by_row[3] == "organization_id points to an organization that is not in the package"
    assert by_row[4] == "missing required value: name"
    assert by_row[5] == "repeats the id of row 2"
    assert [s.id for s in live(app, Service)] == [SVC]


def test_invalid_status_and_short_rows_are_rejected(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    services = pkg / "services.csv"
    text = services.read_text("utf-8")
    text = text.replace(f"{SVC2},{ORG2},,Peer mentors,,,,,active", f"{SVC2},{ORG2}")
    services.write_text(text, "utf-8")
    plan = run(app, pkg)
    (issue,) = [i for i in plan.rejected if i.table == "service"]
    assert issue.row == 3 and "cells where the header has" in issue.message
    tables = small_tables()
    tables["service"][0]["status"] = "open"
    plan = run(app, write_package(tmp_path / "pkg2", tables), dry_run=True)
    assert any(i.message.startswith("status must be one of") for i in plan.rejected)


def test_child_row_with_no_owner_left_is_rejected(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    tables["phone"].append({"id": uid(7), "service_id": MISSING, "number": "0113 000"})
    plan = run(app, write_package(tmp_path / "pkg", tables))
    (issue,) = plan.rejected
    assert issue.table == "phone" and "not linked to any" in issue.message
    assert any(w.table == "phone" and "link dropped" in w.message for w in plan.warnings)


# --- structural faults: refuse the whole package, write nothing ----------------------------


def _refused(app: Any, path: Path, match: str, **kwargs: Any) -> None:
    entries = count(app, ChangeEntry)
    with pytest.raises(PackageError, match=match):
        run(app, path, **kwargs)
    assert count(app, ChangeEntry) == entries
    assert count(app, Service) == 0


def test_no_datapackage_json_is_refused(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    (pkg / "datapackage.json").unlink()
    _refused(app, pkg, "datapackage.json is missing")


def test_required_column_missing_from_a_table_is_refused(app: Any, tmp_path: Path) -> None:
    columns = {"service": [c for c in TABLES["service"].columns if c != "status"]}
    tables = small_tables()
    for row in tables["service"]:
        row.pop("status")
    _refused(app, write_package(tmp_path / "pkg", tables, columns=columns), "status")


def test_wrong_encoding_is_refused(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    tables["organization"][0]["name"] = "Café Société"
    pkg = write_package(tmp_path / "pkg", tables, encoding="cp1252")
    _refused(app, pkg, "not UTF-8")


def test_a_file_over_the_size_limit_is_refused(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    _refused(app, pkg, "larger than the limit", max_file_bytes=200)


def test_zip_entry_over_the_limit_is_refused(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    archive = tmp_path / "p.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in pkg.iterdir():
            zf.write(file, file.name)
    _refused(app, archive, "larger than the limit", max_file_bytes=300)


@pytest.mark.parametrize(
    ("descriptor", "match"),
    [
        ("{not json", "cannot be read as JSON"),
        ('{"resources": 3}', "no list of resources"),
        ('{"resources": [{"name": "service", "path": "../services.csv"}]}', "outside"),
        ('{"resources": [{"name": "service", "path": "/etc/passwd"}]}', "outside"),
    ],
)
def test_bad_descriptors_are_refused(app: Any, tmp_path: Path, descriptor: str, match: str) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    (pkg / "datapackage.json").write_text(descriptor, "utf-8")
    _refused(app, pkg, match)


def test_malformed_csv_quoting_is_refused(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    with (pkg / "organizations.csv").open("a", encoding="utf-8", newline="") as fh:
        fh.write(f'{uid(8)},"unterminated,x\r\n')
    _refused(app, pkg, "not valid CSV")


def test_not_a_package_at_all_is_refused(app: Any, tmp_path: Path) -> None:
    stray = tmp_path / "notes.txt"
    stray.write_text("hello", "utf-8")
    _refused(app, stray, "folder or a .zip")
    _refused(app, tmp_path / "nowhere", "not found")


def test_reader_counts_rows_from_the_header(tmp_path: Path) -> None:
    pkg = read_package(write_package(tmp_path / "pkg", small_tables()))
    assert [r.number for r in pkg.table("service").rows] == [2, 3]
    assert pkg.table("taxonomy").rows == []


# --- re-import: update by HSDS id, never wipe what only we hold ----------------------------


def test_reimport_updates_by_hsds_id_instead_of_duplicating(app: Any, tmp_path: Path) -> None:
    run(app, write_package(tmp_path / "a", small_tables()))
    tables = small_tables()
    tables["service"][0]["name"] = "Housing advice and tenancy support"
    tables["service_area"] = [{"id": uid(4), "service_id": SVC, "name": "Bradford"}]
    plan = run(app, write_package(tmp_path / "b", tables))
    assert plan.counts["service"] == {"new": 0, "changed": 1, "unchanged": 1, "removed": 0}
    assert plan.counts["service_area"] == {"new": 1, "changed": 0, "unchanged": 0, "removed": 1}
    (change,) = [c for c in plan.changes if c.kind == "service"]
    assert change.fields == ("name",)
    assert count(app, Service) == 2
    assert app.directory.get_service(SVC).areas == ("Bradford",)


def test_reimport_never_wipes_fields_held_only_locally(app: Any, tmp_path: Path) -> None:
    from referral_desk.usecases.directory_admin import DirectoryAdminService

    admin = DirectoryAdminService(app.db, app.clock)
    run(app, write_package(tmp_path / "a", small_tables()))
    admin.set_precheck(SVC, isp_agreed=True, reports_attendance=True, reports_progress=False)
    admin.set_capacity(SVC, "waiting list")
    admin.update_service(
        SVC, prisons=["HMP Leeds"], offence_exclusions=["arson"], categories=["accommodation"]
    )
    admin.verify_today(SVC)
    tables = small_tables()
    tables["service"][0]["assured_date"] = "2020-01-01"  # older than our verification
    plan = run(app, write_package(tmp_path / "b", tables))
    assert plan.counts["service"]["changed"] == 0
    svc = app.directory.get_service(SVC)
    assert (svc.isp_agreed, svc.reports_attendance, svc.capacity) == (True, True, "waiting list")
    assert svc.prisons == ("HMP Leeds",) and svc.offence_exclusions == ("arson",)
    assert svc.categories == ("accommodation",)
    assert svc.assured_date == app.clock.today() and svc.assurer == "Alex Morgan"


def test_taxonomy_terms_map_to_need_categories_by_name(app: Any, tmp_path: Path) -> None:
    tax = uid(20)
    terms = [
        {
            "id": uid(21),
            "code": "ACC",
            "name": "Accommodation",
            "description": "d",
            "taxonomy_id": tax,
        },
        {"id": uid(22), "code": "", "name": "drug misuse", "description": "d"},
        {"id": uid(23), "code": "hlth", "name": "Health - physical & mental", "description": "d"},
        {"id": uid(24), "code": "accommodation", "name": "Dog grooming", "description": "d"},
    ]
    tables = small_tables()
    tables["taxonomy"] = [{"id": tax, "name": "Council services", "description": "d"}]
    tables["taxonomy_term"] = terms
    tables["attribute"] = [
        {"id": uid(30 + i), "link_id": SVC, "taxonomy_term_id": t["id"], "link_entity": "service"}
        for i, t in enumerate(terms)
    ]
    plan = run(app, write_package(tmp_path / "pkg", tables))
    assert plan.rejected == []
    assert app.directory.get_service(SVC).categories == ("accommodation", "drugs", "health")
    assert app.directory.get_service(SVC2).categories == ()
    with app.db.read() as session:
        codes = set(session.scalars(select(ServiceCategory.category_code)))
        svc = session.get(Service, SVC)
        kept = svc.extra["hsds_rows"]["attribute"]
    assert codes == {"accommodation", "drugs", "health"}
    # the foreign classifications are kept, with their terms, for the next export
    assert {a["_terms"][0]["name"] for a in kept} >= {"Dog grooming", "Accommodation"}
    assert live(app, ServiceArea)[0].name == "Leeds"


def test_a_category_dropped_then_restored_by_later_imports_is_the_same_row_again(
    app: Any, tmp_path: Path
) -> None:
    tax = uid(20)
    terms = [
        {"id": uid(21), "code": "ACC", "name": "Accommodation", "description": "d"},
        {"id": uid(22), "code": "", "name": "drug misuse", "description": "d"},
    ]

    def package(name: str, term_rows: list[dict[str, str]]) -> Path:
        tables = small_tables()
        tables["taxonomy"] = [{"id": tax, "name": "Council services", "description": "d"}]
        tables["taxonomy_term"] = terms
        tables["attribute"] = [
            {
                "id": uid(30 + i),
                "link_id": SVC,
                "taxonomy_term_id": t["id"],
                "link_entity": "service",
            }
            for i, t in enumerate(term_rows)
        ]
        return write_package(tmp_path / name, tables)

    def rows() -> list[tuple[str, str, bool]]:
        with app.db.read() as session:
            found = session.scalars(
                select(ServiceCategory).where(ServiceCategory.service_id == SVC),
                execution_options=INCLUDE_DELETED,
            )
            return sorted((r.category_code, r.id, r.deleted_at is None) for r in found)

    run(app, package("both", terms))
    first = rows()
    run(app, package("one", terms[:1]))
    assert app.directory.get_service(SVC).categories == ("accommodation",)
    run(app, package("both-again", terms))
    assert app.directory.get_service(SVC).categories == ("accommodation", "drugs")
    assert rows() == first  # the drugs row is live again, not a second row beside a tombstone
