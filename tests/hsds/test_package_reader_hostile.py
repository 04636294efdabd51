"""HSDS import against hostile package contents: sizes, descriptors, controls, bounded work.

Every refusal is one `PackageError` line naming the file, and writes nothing. (Links, special
files and zip tricks: `test_package_source_hostile.py`.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hsds_hostile import (
    refused,
    run,
)
from hsds_packages import SVC, small_tables, write_package

from referral_desk.domain.text import has_controls
from referral_desk.hsds.package_reader import Limits, read_package
from referral_desk.store.models import Service
from referral_desk.usecases.directory_admin import DirectoryAdminService

# --- sizes of tables -----------------------------------------------------------------------


def test_a_table_of_empty_rows_beyond_the_row_limit_is_refused(app: Any, tmp_path: Path) -> None:
    """Point 6: a services.csv of empty rows once made a dry run use gigabytes."""
    pkg = write_package(tmp_path / "pkg", small_tables())
    path = pkg / "services.csv"
    header = path.read_bytes().split(b"\r\n", 1)[0]
    width = header.count(b",")
    with path.open("wb") as fh:
        fh.write(header + b"\r\n")
        fh.write((b"," * width + b"\r\n") * 200_001)
    refused(app, pkg, "services.csv has more than 200 000 rows", dry_run=True)


def test_row_limits_count_rows_as_they_stream(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    refused(app, pkg, "services.csv has more than 1 rows", limits=Limits(max_rows={"service": 1}))


def test_a_table_with_too_many_columns_is_refused(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    columns = {"organization": ["id", "name", "description", *(f"x{i}" for i in range(300))]}
    refused(
        app,
        write_package(tmp_path / "pkg", tables, columns=columns),
        "organizations.csv has more than 200 columns",
    )


# --- datapackage.json ----------------------------------------------------------------------


def test_a_deeply_nested_descriptor_is_refused_cleanly(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    deep = "[" * 100_000 + "]" * 100_000
    (pkg / "datapackage.json").write_text('{"resources": [], "x": ' + deep + "}", "utf-8")
    refused(app, pkg, "nested more than 32 levels")


def test_a_descriptor_listing_too_many_resources_is_refused(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    resources = [{"name": f"r{i}", "path": f"r{i}.csv"} for i in range(1001)]
    (pkg / "datapackage.json").write_text(json.dumps({"resources": resources}), "utf-8")
    refused(app, pkg, "lists more than 1000 resources")


def test_brackets_inside_strings_do_not_count_as_nesting(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    text = (pkg / "datapackage.json").read_text("utf-8")
    (pkg / "datapackage.json").write_text(
        text[:-1] + ', "title": "' + "[{" * 500 + '\\"]"}', "utf-8"
    )
    assert run(app, pkg).counts["service"]["new"] == 2


# --- control characters --------------------------------------------------------------------


def test_control_characters_are_cleaned_and_counted(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    tables["service"][0]["name"] = "Housing\x1b[31m advice\x00"
    tables["service"][0]["description"] = "Line one\r\nLine\x07 two\u202e"
    tables["organization"][0]["name"] = "New\tLeaf\x7f Trust"
    pkg = write_package(tmp_path / "pkg", tables)
    admin = DirectoryAdminService(app.db, app.clock)
    preview = admin.import_package(pkg, dry_run=True)
    assert preview.cleaned_cells == 3
    assert any("3 cell(s) held control characters" in n for n in preview.notes)
    admin.import_package(pkg)
    svc = app.directory.get_service(SVC)
    assert svc.name == "Housing [31m advice"
    assert svc.description == "Line one\nLine two"
    assert svc.organisation_name == "New Leaf Trust"
    for service in app.directory.list_services():
        assert not has_controls(service.name) and not has_controls(service.organisation_name)


def test_a_control_character_in_an_id_or_header_is_cleaned(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    tables["service"][1]["id"] = tables["service"][1]["id"] + "\x00"
    pkg = write_package(tmp_path / "pkg", tables)
    plan = run(app, pkg)
    assert plan.counts["service"]["new"] == 2 and plan.rejected == []


def test_reading_back_rows_after_cleaning(tmp_path: Path) -> None:
    tables = small_tables()
    tables["service"][0]["name"] = "A\x1fB"  # the scratch store's own separator
    with read_package(write_package(tmp_path / "pkg", tables)) as package:
        names = [r.cells["name"] for r in package.table("service").rows]
    assert names == ["A B", "Peer mentors"]


# --- bounded work per row and per record ----------------------------------------------------


def test_a_huge_row_is_rejected_and_the_rest_imported(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    tables["service"][1]["description"] = "x" * 100_000
    tables["service"][1]["alert"] = "y" * 100_000
    tables["service"][1]["fees_description"] = "z" * 100_000
    plan = run(app, write_package(tmp_path / "pkg", tables))
    assert plan.counts["service"]["new"] == 1
    (issue,) = [i for i in plan.rejected if i.table == "service"]
    assert issue.row == 3 and "larger than 256 kB" in issue.message


def test_rows_attached_to_one_record_are_bounded(app: Any, tmp_path: Path) -> None:
    tables = small_tables()
    tables["phone"] = [
        {
            "id": f"{n:08d}-0000-4000-8000-00000000aaaa",
            "service_id": SVC,
            "number": "0113 496 0001",
            "description": "d" * 100_000,
        }
        for n in range(1, 16)
    ]
    plan = run(app, write_package(tmp_path / "pkg", tables))
    skipped = [i for i in plan.rejected if i.table == "phone"]
    assert len(skipped) == 5  # 10 rows of ~100 kB fit in 1 MB
    assert "more than 1024 kB of rows are attached to a service" in skipped[0].message
    with app.db.read() as session:
        kept = session.get(Service, SVC).extra["hsds_rows"]["phone"]
    assert len(kept) == 10


def test_records_are_folded_in_chunks_of_bounded_size(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from referral_desk.hsds import folding

    pkg = write_package(tmp_path / "pkg", small_tables())
    whole = run(app, pkg, dry_run=True)
    sizes: list[int] = []
    original = folding.Folder.records

    def spy(self: Any, kind: str, size: int = folding.RECORD_CHUNK) -> Any:
        for records in original(self, kind, size):
            sizes.append(len(records))
            yield records

    monkeypatch.setattr(folding, "CHUNK_BYTES", 1)
    monkeypatch.setattr(folding.Folder, "records", spy)
    chunked = run(app, pkg, dry_run=True)
    assert sizes and max(sizes) == 1  # one record per chunk
    assert chunked.counts == whole.counts
    assert sorted(chunked.changes, key=repr) == sorted(whole.changes, key=repr)
