"""HSDS import and export through the service: reports, refusals, rejected rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from referral_desk.domain.errors import DomainError
from referral_desk.usecases.directory_admin import DirectoryAdminService


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
