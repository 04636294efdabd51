"""Packages written by others: HSDS 1.1 and 2.0 tabular packages, ORUK JSON (issue 16)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hsds_packages import ORG, SVC, uid, write_package
from legacy_packages import V11_FILES, oruk_service, write_csvs, write_json, write_v11, write_v20
from sqlalchemy import func, select

from referral_desk.hsds.package_reader import PackageError
from referral_desk.hsds.staged import stable_uuid
from referral_desk.store.models import ChangeEntry, Organisation, Service
from referral_desk.usecases.directory_admin import DirectoryAdminService


@pytest.fixture
def admin(app: Any) -> DirectoryAdminService:
    return DirectoryAdminService(app.db, app.clock)


def _services(app: Any) -> list[Service]:
    with app.db.read() as s:
        return list(s.scalars(select(Service).order_by(Service.name)))


def _changes(app: Any) -> int:
    with app.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(ChangeEntry)) or 0)


def test_v11_without_descriptor_previews_then_imports(app: Any, admin: Any, tmp_path: Path):
    package = write_v11(tmp_path / "leeds-2026-12")
    preview = admin.import_package(package, dry_run=True)
    assert preview.form == "HSDS 1.1 tabular package (without datapackage.json)"
    assert preview.counts["service"]["new"] == 2
    assert preview.counts["organisation"]["new"] == 2
    assert preview.counts["location"]["new"] == 1
    assert any("payment_accepted.csv: not imported" in n for n in preview.notes)
    assert any("phones.csv: column(s) not imported" in n and "language" in n for n in preview.notes)
    assert _services(app) == []

    report = admin.import_package(package)
    assert report.applied and report.counts["service"]["new"] == 2
    advice, mentors = _services(app)
    assert advice.hsds_id == stable_uuid("leeds", "service", "10")
    assert advice.extra["hsds_columns"]["original_id"] == "10"
    assert advice.phone == "+44 113 496 0000"
    assert advice.opening_times == "Mon 09:00–17:00"  # read back from the schedule row
    assert mentors.languages == ["Welsh"]
    assert advice.location_id is not None


def test_reimport_of_next_months_file_changes_nothing(app: Any, admin: Any, tmp_path: Path):
    admin.import_package(write_v11(tmp_path / "leeds-2026-12"))
    again = admin.import_package(write_v11(tmp_path / "leeds-2027-01"))
    assert again.counts["service"] == {
        "new": 0,
        "changed": 0,
        "unchanged": 2,
        "removed": 0,
        "rejected": 0,
    }
    assert len(_services(app)) == 2


def test_v11_with_descriptor_as_zip(admin: Any, tmp_path: Path):
    folder = write_v11(tmp_path / "pkg", descriptor=True)
    archive = tmp_path / "pkg.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for file in folder.iterdir():
            z.write(file, f"export/{file.name}")
    report = admin.import_package(archive, dry_run=True)
    assert report.form == "HSDS 1.1 tabular package"
    assert report.counts["service"]["new"] == 2


def test_v11_zip_without_descriptor(admin: Any, tmp_path: Path):
    folder = write_v11(tmp_path / "pkg")
    archive = tmp_path / "pkg.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for file in folder.iterdir():
            z.write(file, f"wrapped/{file.name}")
    report = admin.import_package(archive, dry_run=True)
    assert report.form == "HSDS 1.1 tabular package (without datapackage.json)"
    assert report.counts["service"]["new"] == 2


def test_v20_package(app: Any, admin: Any, tmp_path: Path):
    report = admin.import_package(write_v20(tmp_path / "v20"))
    assert report.form == "HSDS 2.0 tabular package"
    assert report.counts["service"]["new"] == 2
    assert report.rejected_total == 0, report.rejected


def test_hsds_30_package_is_still_read_as_30(admin: Any, tmp_path: Path):
    tables = {
        "organization": [{"id": ORG, "name": "A", "description": "B"}],
        "service": [{"id": SVC, "organization_id": ORG, "name": "S", "status": "active"}],
    }
    report = admin.import_package(write_package(tmp_path / "p", tables), dry_run=True)
    assert report.form == "HSDS 3.0 tabular package"
    assert report.counts["service"]["new"] == 1


@pytest.mark.parametrize("shape", ["object", "list", "page", "oruk-v1-page"])
def test_oruk_json_forms(app: Any, admin: Any, tmp_path: Path, shape: str):
    one, two = oruk_service(1), oruk_service(2)
    shapes: dict[str, Any] = {
        "object": one,
        "list": [one, two],
        "page": {"contents": [one, two], "totalElements": 2},
        "oruk-v1-page": {"content": [one, two]},
    }
    document = shapes[shape]
    path = write_json(tmp_path / "feed.json", document)
    preview = admin.import_package(path, dry_run=True)
    assert preview.form.startswith("HSDS 3.0 JSON")
    expected = 1 if shape == "object" else 2
    assert preview.counts["service"]["new"] == expected
    assert preview.counts["organisation"]["new"] == 1
    assert any("reviews" in n for n in preview.notes)  # no place in HSDS: listed
    admin.import_package(path)
    services = _services(app)
    assert len(services) == expected
    first = services[0]
    assert first.phone == "+44 113 496 0000"
    assert first.languages == ["Welsh"]
    assert first.location_id is not None
    assert first.extra["hsds_columns"]["original_id"] == "svc-1"
    again = admin.import_package(path)
    assert again.counts["service"]["unchanged"] == expected


def test_every_service_rejected_is_refused_and_says_what_it_looks_like(
    app: Any, admin: Any, tmp_path: Path
):
    files = {k: v for k, v in V11_FILES.items() if k != "organizations.csv"}
    folder = write_csvs(tmp_path / "pkg", files)
    before = _changes(app)
    for dry_run in (True, False):
        with pytest.raises(PackageError) as err:
            admin.import_package(folder, dry_run=dry_run)
        message = str(err.value)
        assert "\n" not in message
        assert "all 2 service row(s) were rejected" in message
        assert "an HSDS 1.1 tabular package (without datapackage.json) without organizations" in (
            message
        )
    assert _services(app) == [] and _changes(app) == before
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Organisation)) == 0


def test_30_package_with_numeric_ids_is_refused(app: Any, admin: Any, tmp_path: Path):
    tables = {
        "organization": [{"id": "1", "name": "A", "description": "B"}],
        "service": [{"id": "10", "organization_id": "1", "name": "S", "status": "active"}],
    }
    with pytest.raises(PackageError, match="ids are not UUIDs"):
        admin.import_package(write_package(tmp_path / "p", tables))
    assert _services(app) == []


def test_json_whose_services_all_fail_is_refused(app: Any, admin: Any, tmp_path: Path):
    bad = [{"id": "x", "name": "", "organization": {"id": "o", "name": "Org"}}]
    with pytest.raises(PackageError, match=r"HSDS 3\.0 JSON.*rejected"):
        admin.import_package(write_json(tmp_path / "bad.json", bad))
    assert _services(app) == []


def test_some_services_rejected_still_imports_the_rest(app: Any, admin: Any, tmp_path: Path):
    bad = oruk_service(2)
    bad["name"] = ""
    report = admin.import_package(write_json(tmp_path / "f.json", [oruk_service(1), bad]))
    assert report.counts["service"]["new"] == 1
    assert report.counts["service"]["rejected"] == 1
    assert report.rejected_by_table["service"] == 1


def test_uuid_ids_are_kept(admin: Any, app: Any, tmp_path: Path):
    service = oruk_service(1)
    service["id"] = uid(42)
    admin.import_package(write_json(tmp_path / "f.json", service))
    (found,) = _services(app)
    assert found.hsds_id == uid(42)
    assert "original_id" not in found.extra.get("hsds_columns", {})


def test_official_30_example_is_detected_as_30(admin: Any, tmp_path: Path):
    from data_paths import HSDS_EXAMPLE

    copy = shutil.copytree(HSDS_EXAMPLE, tmp_path / "example")
    report = admin.import_package(copy, dry_run=True)
    assert report.form == "HSDS 3.0 tabular package"
    assert json.loads((copy / "datapackage.json").read_text())["version"].startswith("3")


def test_30_package_with_an_older_file_beside_it_is_still_30(admin: Any, tmp_path: Path):
    tables = {
        "organization": [{"id": ORG, "name": "A", "description": "B"}],
        "service": [{"id": SVC, "organization_id": ORG, "name": "S", "status": "active"}],
    }
    folder = write_package(tmp_path / "p", tables)
    (folder / "eligibility.csv").write_text("id,service_id,eligibility\r\n1,1,Adults\r\n")
    report = admin.import_package(folder, dry_run=True)
    assert report.form == "HSDS 3.0 tabular package"
