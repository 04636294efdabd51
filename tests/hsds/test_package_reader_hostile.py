"""HSDS import against hostile packages: links, special files, zip tricks, sizes, controls.

Every refusal is one `PackageError` line naming the file, and writes nothing.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hsds_packages import SVC, small_tables, write_package
from sqlalchemy import func, select

from referral_desk.domain.text import has_controls
from referral_desk.hsds.importer import import_package
from referral_desk.hsds.package_reader import Limits, PackageError, read_package
from referral_desk.services.directory_admin import DirectoryAdminService
from referral_desk.store.models import ChangeEntry, Service

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX links and FIFOs")


def run(app: Any, path: Path, **kwargs: Any) -> Any:
    with app.db.write() as session:
        return import_package(session, path, **kwargs)


def count(app: Any, model: Any) -> int:
    with app.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def refused(app: Any, path: Path, match: str, **kwargs: Any) -> str:
    entries = count(app, ChangeEntry)
    with pytest.raises(PackageError, match=match) as caught:
        run(app, path, **kwargs)
    assert count(app, ChangeEntry) == entries
    assert count(app, Service) == 0
    message = str(caught.value)
    assert "\n" not in message and not has_controls(message)
    return message


def in_thread(fn: Any, timeout: float = 30.0) -> BaseException | None:
    """Run `fn` in a daemon thread; fail (instead of hanging the suite) if it blocks."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            fn()
            outcome.append(None)
        except BaseException as err:  # handed back to the test
            outcome.append(err)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert outcome, "the import blocked (it must never wait on a FIFO)"
    return outcome[0]


# --- links and special files in a folder package -------------------------------------------


@posix_only
def test_a_csv_that_is_a_link_out_of_the_package_is_refused_by_name(
    app: Any, tmp_path: Path
) -> None:
    outside = write_package(tmp_path / "outside", small_tables())
    pkg = write_package(tmp_path / "pkg", small_tables())
    (pkg / "services.csv").unlink()
    (pkg / "services.csv").symlink_to(outside / "services.csv")
    message = refused(app, pkg, "services.csv is not a regular file")
    assert "outside" not in message


@posix_only
def test_a_link_to_a_system_file_is_never_read(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    (pkg / "organizations.csv").unlink()
    (pkg / "organizations.csv").symlink_to("/etc/passwd")
    refused(app, pkg, "organizations.csv is not a regular file")


@posix_only
def test_a_descriptor_that_is_a_link_is_refused(app: Any, tmp_path: Path) -> None:
    outside = write_package(tmp_path / "outside", small_tables())
    pkg = write_package(tmp_path / "pkg", small_tables())
    (pkg / "datapackage.json").unlink()
    (pkg / "datapackage.json").symlink_to(outside / "datapackage.json")
    refused(app, pkg, "datapackage.json is not a regular file")


@posix_only
def test_a_linked_folder_inside_the_package_is_not_followed(app: Any, tmp_path: Path) -> None:
    outside = write_package(tmp_path / "outside", small_tables())
    pkg = write_package(tmp_path / "pkg", small_tables())
    (pkg / "sub").symlink_to(outside, target_is_directory=True)
    (pkg / "datapackage.json").write_text(
        '{"resources": [{"name": "service", "path": "sub/services.csv"}]}', "utf-8"
    )
    refused(app, pkg, "sub/services.csv is not a regular file")


@posix_only
def test_a_fifo_in_place_of_a_csv_is_refused_without_waiting(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    (pkg / "services.csv").unlink()
    os.mkfifo(pkg / "services.csv")
    err = in_thread(lambda: run(app, pkg))
    assert isinstance(err, PackageError)
    assert "services.csv is not a regular file" in str(err)
    assert count(app, Service) == 0


@posix_only
def test_a_fifo_given_as_the_package_is_refused_without_waiting(app: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "package.zip"
    os.mkfifo(fifo)
    err = in_thread(lambda: run(app, fifo))
    assert isinstance(err, PackageError) and "not a regular file" in str(err)


def test_a_folder_in_place_of_a_csv_is_refused_not_taken_as_empty(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    (pkg / "phones.csv").unlink()
    (pkg / "phones.csv").mkdir()
    refused(app, pkg, "phones.csv is not a regular file")


@posix_only
def test_a_device_in_place_of_a_csv_is_refused(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    (pkg / "phones.csv").unlink()
    try:
        os.mknod(pkg / "phones.csv", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    except (PermissionError, OSError):
        pytest.skip("cannot create a device node here")
    refused(app, pkg, "phones.csv is not a regular file")


def test_an_absent_file_is_still_an_empty_table(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    (pkg / "phones.csv").unlink()
    plan = run(app, pkg)
    assert plan.counts["service"]["new"] == 2


# --- zip packages --------------------------------------------------------------------------


def _zip(tmp_path: Path, extra: list[tuple[zipfile.ZipInfo, bytes]] = (), **kw: Any) -> Path:
    pkg = write_package(tmp_path / "src", small_tables())
    archive = tmp_path / "p.zip"
    with zipfile.ZipFile(archive, "w", **kw) as zf:
        for file in sorted(pkg.iterdir()):
            zf.write(file, file.name)
        for info, data in extra:
            zf.writestr(info, data)
    return archive


def _member(name: str, mode: int = 0o100644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def test_a_zip_member_that_is_a_link_is_refused(app: Any, tmp_path: Path) -> None:
    archive = _zip(tmp_path, [(_member("notes.csv", 0o120777), b"/etc/passwd")])
    refused(app, archive, "notes.csv, which is a link")


@pytest.mark.parametrize("name", ["/etc/cron.d/x", "../escape.csv", "a/../../b.csv", "C:/x.csv"])
def test_a_zip_member_with_a_path_outside_the_package_is_refused(
    app: Any, tmp_path: Path, name: str
) -> None:
    archive = _zip(tmp_path, [(_member(name), b"x")])
    refused(app, archive, "points outside the package")


def test_a_zip_bomb_member_is_refused_by_its_compression_ratio(app: Any, tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(10)).encode()
    bomb = header + b"\r\n" + b",,,,,,,,,\r\n" * 400_000  # 4.4 MB that deflate to ~10 kB
    archive = _zip(tmp_path, [(_member("junk.csv"), bomb)], compression=zipfile.ZIP_DEFLATED)
    # junk.csv is never read (not a resource), so the package imports…
    assert run(app, archive).counts["service"]["new"] == 2
    # …but the same bytes as a table that is read are refused before inflating them.
    with zipfile.ZipFile(archive) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if n != "junk.csv"}
    members["services.csv"] = bomb
    bombed = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bombed, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with (
        app.db.write() as session,
        pytest.raises(PackageError, match=r"services\.csv is compressed more than 100 to 1"),
    ):
        import_package(session, bombed)


def test_a_zip_with_too_many_members_is_refused(app: Any, tmp_path: Path) -> None:
    archive = _zip(tmp_path, [(_member(f"extra/{i}.txt"), b"") for i in range(30)])
    refused(app, archive, "more than 20 files", limits=Limits(max_zip_members=20))


def test_the_whole_package_has_a_size_limit(app: Any, tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", small_tables())
    refused(app, pkg, "larger than the limit of 2 kB in all", limits=Limits(max_package_bytes=2048))
    size = sum(f.stat().st_size for f in pkg.iterdir())
    assert run(app, pkg, limits=Limits(max_package_bytes=size)).counts["service"]["new"] == 2


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
