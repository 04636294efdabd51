"""Hostile package sources (`hsds.package_source`): links, special files and zip tricks are
refused by name in one `PackageError` line, without waiting on a FIFO, and nothing is written."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hsds_hostile import (
    count,
    in_thread,
    posix_only,
    refused,
    run,
)
from hsds_packages import small_tables, write_package

from referral_desk.hsds.importer import import_package
from referral_desk.hsds.package_reader import Limits, PackageError
from referral_desk.store.models import Service

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
