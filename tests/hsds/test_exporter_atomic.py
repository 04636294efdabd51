"""A directory export appears whole or not at all, and never deletes someone else's files.

A full disk half-way through a folder export once left `datapackage.json` and a few CSVs:
importing that folder later would have read a directory with most services gone. The disk is
made to "fill" after N files (every file the exporter creates is counted, whatever writes it).
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from referral_desk.hsds.exporter import DESCRIPTOR, ExportError, export_package
from referral_desk.usecases.directory_admin import DirectoryAdminService

POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def add_service(app: Any, name: str) -> None:
    admin = DirectoryAdminService(app.db, app.clock)
    org = admin.create_organisation(name=f"{name} Trust")
    admin.create_service(org.id, name)


def export(app: Any, dest: Path) -> dict[str, int]:
    with app.db.read() as session:
        return export_package(session, dest)


def contents(path: Path) -> dict[str, bytes]:
    if path.is_file():
        with zipfile.ZipFile(path) as zf:
            return {n: zf.read(n) for n in zf.namelist()}
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def entries(folder: Path) -> list[str]:
    """What is in `folder`, apart from the test database's own folder."""
    return sorted(p.name for p in folder.iterdir() if p.name != "data")


@pytest.fixture
def disk_full_after(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[int], None]:
    """Arm: the disk under tmp_path is full once `n` more files have been created there."""

    def arm(n: int) -> None:
        real_open = os.open
        created: list[str] = []

        def open_(path: Any, flags: int, mode: int = 0o777, *, dir_fd: Any = None) -> int:
            if flags & os.O_CREAT and str(path).startswith(str(tmp_path / "out")):
                if len(created) >= n:
                    raise OSError(errno.ENOSPC, "No space left on device")
                created.append(str(path))
            return real_open(path, flags, mode, dir_fd=dir_fd)

        monkeypatch.setattr(os, "open", open_)

    return arm


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("after", [1, 3, 10])
def test_a_full_disk_leaves_no_partial_package(
    app: Any, out: Path, disk_full_after: Callable[[int], None], after: int
) -> None:
    add_service(app, "Housing advice")
    disk_full_after(after)
    with pytest.raises(ExportError, match="No space left on device"):
        export(app, out / "pkg")
    assert entries(out) == []  # no package, no temporary folder


@pytest.mark.parametrize("after", [1, 3, 10])
def test_a_full_disk_keeps_the_previous_export_intact(
    app: Any, out: Path, disk_full_after: Callable[[int], None], after: int
) -> None:
    add_service(app, "Housing advice")
    export(app, out / "pkg")
    before = contents(out / "pkg")
    add_service(app, "Debt advice")  # organisations, services... all change
    disk_full_after(after)
    with pytest.raises(ExportError):
        export(app, out / "pkg")
    assert contents(out / "pkg") == before
    assert entries(out) == ["pkg"]


def test_a_full_disk_while_zipping_keeps_the_previous_zip(
    app: Any, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_service(app, "Housing advice")
    export(app, out / "dir.zip")
    before = contents(out / "dir.zip")
    add_service(app, "Debt advice")
    real_writestr = zipfile.ZipFile.writestr
    written: list[object] = []

    def writestr(self: zipfile.ZipFile, info: Any, data: Any, *args: Any, **kw: Any) -> None:
        if len(written) == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(info)
        real_writestr(self, info, data, *args, **kw)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)
    with pytest.raises(ExportError, match="No space"):
        export(app, out / "dir.zip")
    assert contents(out / "dir.zip") == before
    assert entries(out) == ["dir.zip"]


def test_a_previous_export_is_replaced_whole(app: Any, out: Path) -> None:
    add_service(app, "Housing advice")
    export(app, out / "pkg")
    add_service(app, "Debt advice")
    counts = export(app, out / "pkg")
    assert counts["service"] == 2
    assert b"Debt advice" in (out / "pkg" / "services.csv").read_bytes()
    assert entries(out) == ["pkg"]


def test_an_empty_folder_may_receive_the_export(app: Any, out: Path) -> None:
    (out / "pkg").mkdir()
    export(app, out / "pkg")
    assert DESCRIPTOR in os.listdir(out / "pkg")


def test_a_folder_holding_other_files_is_refused_and_left_alone(app: Any, out: Path) -> None:
    mine = out / "Documents"
    mine.mkdir()
    (mine / "thesis.docx").write_bytes(b"precious")
    (mine / "services.csv").write_bytes(b"my own list")
    with pytest.raises(ExportError, match="holds other files"):
        export(app, mine)
    assert contents(mine) == {"services.csv": b"my own list", "thesis.docx": b"precious"}
    assert entries(out) == ["Documents"]


def test_a_partial_old_package_without_its_descriptor_is_not_replaced(app: Any, out: Path) -> None:
    (out / "pkg").mkdir()
    (out / "pkg" / "services.csv").write_bytes(b"id\n")
    with pytest.raises(ExportError):
        export(app, out / "pkg")
    assert contents(out / "pkg") == {"services.csv": b"id\n"}


@POSIX_ONLY
def test_the_package_is_owner_only(app: Any, out: Path) -> None:
    add_service(app, "Housing advice")
    export(app, out / "pkg")
    export(app, out / "dir.zip")
    assert stat.S_IMODE((out / "dir.zip").stat().st_mode) == 0o600
    modes = {stat.S_IMODE(p.stat().st_mode) for p in (out / "pkg").iterdir()}
    assert modes == {0o600}
    assert stat.S_IMODE((out / "pkg").stat().st_mode) == 0o700
