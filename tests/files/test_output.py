"""referral_desk.files.output: atomic owner-only writes, and the guard that keeps outputs off
the data.

Plain Python, no database and no Qt: the guard is given a folder that stands for the data
folder, holding the files the real one holds (the database, its WAL, a backup).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral_desk import files
from referral_desk.domain.errors import DomainError
from referral_desk.files import (
    SHARED,
    OutputFailed,
    OutputGuard,
    OutputRefused,
    atomic_folder,
    atomic_output,
    create_new_file,
    write_atomically,
)

POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX modes, FIFOs and links")
DB = "referral-desk.sqlite3"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    (folder / DB).write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    (folder / f"{DB}-wal").write_bytes(b"wal")
    (folder / "backups").mkdir()
    (folder / "backups" / "referral-desk-0004.sqlite3").write_bytes(b"old")
    return folder


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def guard(data: Path) -> OutputGuard:
    return OutputGuard(data)


# -- write_atomically ---------------------------------------------------------------------------


@POSIX_ONLY
def test_new_and_replaced_files_are_owner_only_and_nothing_is_left_beside(out: Path) -> None:
    target = out / "slip.pdf"
    assert write_atomically(target, b"first") == target
    assert target.read_bytes() == b"first" and mode_of(target) == 0o600
    target.chmod(0o644)
    write_atomically(target, [b"sec", b"ond"])  # chunks, as a streaming writer gives them
    assert target.read_bytes() == b"second" and mode_of(target) == 0o600
    assert names(out) == ["slip.pdf"]


@POSIX_ONLY
def test_shared_store_files_are_readable_by_colleagues(out: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomically(out / "bundle.rdsync", b"sealed", mode=SHARED)
    finally:
        os.umask(old)
    assert mode_of(out / "bundle.rdsync") == 0o644


def test_a_failure_half_way_keeps_the_old_file_and_leaves_no_temporary(out: Path) -> None:
    target = out / "report.csv"
    target.write_bytes(b"old report")

    def chunks() -> Iterator[bytes]:
        yield b"half a "
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_atomically(target, chunks())
    assert target.read_bytes() == b"old report"
    assert names(out) == ["report.csv"]


def test_a_failed_rename_leaves_no_temporary(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        write_atomically(out / "x.ics", b"data")
    assert names(out) == []


def test_an_interrupted_streaming_writer_leaves_nothing(out: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_output(out / "dir.zip") as handle:
        handle.write(b"PK")
        raise KeyboardInterrupt
    assert names(out) == []


def test_a_very_long_name_still_gets_a_temporary_name(out: Path) -> None:
    target = out / ("n" * 250 + ".pdf")
    write_atomically(target, b"x")
    assert names(out) == [target.name]


@POSIX_ONLY
def test_new_files_never_follow_a_planted_link(out: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    (out / "planted").symlink_to(victim)
    with pytest.raises(FileExistsError):
        create_new_file(out / "planted")
    assert victim.read_bytes() == b"keep"


# -- atomic_folder ------------------------------------------------------------------------------


def _fill(folder: Path, content: dict[str, bytes]) -> None:
    for name, data in content.items():
        files.write_new_file(folder / name, data)


def test_a_folder_appears_whole(out: Path) -> None:
    with atomic_folder(out / "pkg", replaceable=lambda _p: True) as temp:
        _fill(temp, {"a.csv": b"1", "b.csv": b"2"})
        assert not (out / "pkg").exists()  # nothing under the real name while it fills
    assert names(out) == ["pkg"] and names(out / "pkg") == ["a.csv", "b.csv"]


def test_a_previous_folder_is_replaced_and_a_failure_keeps_it(out: Path) -> None:
    dest = out / "pkg"
    with atomic_folder(dest, replaceable=lambda _p: True) as temp:
        _fill(temp, {"a.csv": b"old", "gone.csv": b"old"})
    with pytest.raises(OSError), atomic_folder(dest, replaceable=lambda _p: True) as temp:
        _fill(temp, {"a.csv": b"new"})
        raise OSError(errno.ENOSPC, "No space left on device")
    assert names(out) == ["pkg"] and (dest / "a.csv").read_bytes() == b"old"
    with atomic_folder(dest, replaceable=lambda _p: True) as temp:
        _fill(temp, {"a.csv": b"new"})
    assert names(out) == ["pkg"] and names(dest) == ["a.csv"]
    assert (dest / "a.csv").read_bytes() == b"new"


def test_a_folder_that_may_not_be_replaced_is_left_alone(out: Path) -> None:
    dest = out / "mine"
    dest.mkdir()
    (dest / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(OutputRefused), atomic_folder(dest, replaceable=lambda _p: False) as temp:
        _fill(temp, {"a.csv": b"new"})
    assert names(out) == ["mine"] and names(dest) == ["thesis.docx"]


def test_when_the_new_folder_cannot_move_in_the_old_one_is_put_back(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = out / "pkg"
    dest.mkdir()
    (dest / "a.csv").write_bytes(b"old")
    real_rename = os.rename
    calls: list[str] = []

    def second_rename_fails(src: str | Path, dst: str | Path) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise OSError(errno.EIO, "Input/output error")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", second_rename_fails)
    with pytest.raises(OSError), atomic_folder(dest, replaceable=lambda _p: True) as temp:
        _fill(temp, {"a.csv": b"new"})
    assert names(out) == ["pkg"] and (dest / "a.csv").read_bytes() == b"old"


# -- the output guard ---------------------------------------------------------------------------


@POSIX_ONLY
@pytest.mark.parametrize(
    "where",
    [
        "database",
        "wal",
        "new inside",
        "backup",
        "new in backups",
        "dot-dot",
        "symlink",
        "symlinked folder",
        "hard link",
        "data folder as a file",
    ],
)
def test_every_name_for_the_data_folder_is_refused(
    guard: OutputGuard, data: Path, out: Path, where: str
) -> None:
    targets = {
        "database": data / DB,
        "wal": data / f"{DB}-wal",
        "new inside": data / "report.csv",
        "backup": data / "backups" / "referral-desk-0004.sqlite3",
        "new in backups": data / "backups" / "x.pdf",
        "dot-dot": out / ".." / "data" / "." / DB,
        "symlink": out / "link.pdf",
        "symlinked folder": out / "data-link" / DB,
        "hard link": out / "hard.pdf",
        "data folder as a file": data,
    }
    (out / "link.pdf").symlink_to(data / DB)
    (out / "data-link").symlink_to(data, target_is_directory=True)
    os.link(data / "backups" / "referral-desk-0004.sqlite3", out / "hard.pdf")
    with pytest.raises(OutputRefused, match="data folder"):
        guard.check(targets[where], what="report file")
    with pytest.raises(OutputRefused):
        guard.write(targets[where], b"PDF", what="report file")
    assert (data / DB).read_bytes().startswith(b"SQLite format 3")
    assert (out / "hard.pdf").read_bytes() == b"old"


@POSIX_ONLY
def test_targets_that_are_not_ordinary_files_are_refused(guard: OutputGuard, out: Path) -> None:
    os.mkfifo(out / "fifo.pdf")
    (out / "folder.pdf").mkdir()
    with pytest.raises(OutputRefused, match="not an ordinary file"):
        guard.write(out / "fifo.pdf", b"x", what="PDF")
    with pytest.raises(OutputRefused, match="is a folder"):
        guard.write(out / "folder.pdf", b"x", what="PDF")
    with pytest.raises(OutputRefused, match="does not exist"):
        guard.write(out / "missing" / "x.pdf", b"x", what="PDF")
    assert stat.S_ISFIFO((out / "fifo.pdf").lstat().st_mode)
    assert names(out) == ["fifo.pdf", "folder.pdf"]


@pytest.mark.parametrize("name", ["", "   ", "bad\x00name.pdf", "bell\x07.pdf", "line\nbreak.csv"])
def test_unusable_names_are_refused_in_one_line(guard: OutputGuard, out: Path, name: str) -> None:
    with pytest.raises(OutputRefused) as err:
        guard.check(str(out / name) if name.strip() else name, what="PDF")
    assert str(err.value) == "The PDF name cannot be used; choose another."
    assert names(out) == []


@POSIX_ONLY
def test_files_elsewhere_are_written_owner_only(guard: OutputGuard, out: Path) -> None:
    (out / "existing.csv").write_bytes(b"old")
    elsewhere_link = out / "elsewhere.csv"
    elsewhere_link.symlink_to(out / "existing.csv")
    for name in ("new.csv", "existing.csv", "elsewhere.csv"):
        guard.write(out / name, b"new", what="report file")
    assert (out / "existing.csv").read_bytes() == b"new"
    assert (out / "new.csv").read_bytes() == b"new"
    assert {mode_of(out / n) for n in ("new.csv", "existing.csv")} == {0o600}
    assert elsewhere_link.is_symlink()  # the link's target was written, the link kept


def test_a_failed_write_is_one_line_without_the_path(
    guard: OutputGuard, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def full(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.ENOSPC, "No space left on device", str(out))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputFailed) as err:
        guard.write(out / "Zoë Ward slip.pdf", b"PDF", what="PDF")
    assert isinstance(err.value, DomainError)
    assert (
        str(err.value)
        == "The PDF could not be written (No space left on device); nothing was saved."
    )
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert names(out) == []


@POSIX_ONLY
@pytest.mark.parametrize("where", ["data", "inside", "dot-dot", "symlink", "parent", "file"])
def test_export_folders_that_touch_the_data_folder_are_refused(
    guard: OutputGuard, data: Path, out: Path, tmp_path: Path, where: str
) -> None:
    (out / "data-link").symlink_to(data, target_is_directory=True)
    (out / "a-file").write_bytes(b"x")
    target = {
        "data": data,
        "inside": data / "hsds",
        "dot-dot": out / ".." / "data",
        "symlink": out / "data-link",
        "parent": tmp_path,  # holds the data folder
        "file": out / "a-file",
    }[where]
    with pytest.raises(OutputRefused):
        guard.check_folder(target)


def test_export_folders_elsewhere_are_accepted(guard: OutputGuard, out: Path) -> None:
    assert guard.check_folder(out / "new") == (out / "new").resolve()
    assert guard.check_folder(out) == out.resolve()


def test_a_file_whose_folder_is_made_later_may_be_new(guard: OutputGuard, out: Path) -> None:
    assert guard.check(out / "a" / "b.zip", new_folders=True) == (out / "a" / "b.zip").resolve()
    with pytest.raises(OutputRefused, match="data folder"):
        guard.check(guard.data_dir / "a" / "b.zip", new_folders=True)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(
        st.one_of(
            st.sampled_from(["..", ".", "data", DB, f"{DB}-wal", "backups", "out", "x.pdf"]),
            st.text(min_size=1, max_size=300),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_name_is_either_refused_in_one_line_or_outside_the_data_folder(
    guard: OutputGuard, data: Path, tmp_path: Path, parts: list[str]
) -> None:
    """Hostile names (controls, NULs, `..` chains, very long parts) never escape as another
    error, and whatever the guard accepts resolves outside the data folder."""
    try:
        target = guard.check(os.path.join(tmp_path / "out", *parts), what="file")
    except OutputRefused as err:
        assert "\n" not in str(err)
        return
    real_data = os.path.realpath(data)
    assert not os.path.realpath(target).startswith(real_data + os.sep)
    assert os.path.realpath(target) != real_data


def test_a_relative_data_folder_keeps_naming_the_same_folder(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    guard = OutputGuard("data")
    monkeypatch.chdir(data / "backups")
    with pytest.raises(OutputRefused, match="data folder"):
        guard.check(data / DB)


def test_the_composition_root_hands_one_guard_to_every_file_writer(app: object) -> None:
    from referral_desk.usecases.calendar import CalendarService

    guard = app.output_guard  # type: ignore[attr-defined]
    assert guard.data_dir == app.data_path.parent  # type: ignore[attr-defined]
    for service in ("printing", "reports", "sync", "directory_admin"):
        assert getattr(app, service).output_guard is guard, service
    alone = CalendarService(app.db)  # type: ignore[attr-defined]
    assert alone.output_guard.data_dir == guard.data_dir  # built without one: the db's folder


# --- Windows: owner-only through the ACL (checked here with a recorded `icacls`) -------------


def test_on_windows_a_private_file_gets_an_owner_only_acl(monkeypatch, tmp_path) -> None:
    from referral_desk import files

    calls: list[list[str]] = []
    monkeypatch.setenv("USERNAME", "asmith")
    monkeypatch.setenv("USERDOMAIN", "PROBATION")
    files.restrict_to_owner(
        tmp_path / "slip.pdf", system="nt", run=lambda args, **_: calls.append(args)
    )
    files.restrict_to_owner(
        tmp_path, folder=True, system="nt", run=lambda args, **_: calls.append(args)
    )
    assert calls == [
        ["icacls", str(tmp_path / "slip.pdf"), "/inheritance:r", "/grant:r", "PROBATION\\asmith:F"],
        ["icacls", str(tmp_path), "/inheritance:r", "/grant:r", "PROBATION\\asmith:(OI)(CI)F"],
    ]


def test_on_windows_a_file_that_cannot_be_made_private_is_not_written(monkeypatch) -> None:
    import subprocess

    from referral_desk import files

    def refuse(args, **_):
        raise subprocess.CalledProcessError(5, args)

    monkeypatch.setenv("USERNAME", "asmith")
    with pytest.raises(PermissionError):
        files.restrict_to_owner("x.pdf", system="nt", run=refuse)
    monkeypatch.delenv("USERNAME")
    with pytest.raises(PermissionError):
        files.restrict_to_owner("x.pdf", system="nt", run=lambda *a, **k: None)


def test_elsewhere_the_mode_does_it_and_no_acl_tool_runs(tmp_path) -> None:
    from referral_desk import files

    files.restrict_to_owner(tmp_path / "x", system="posix", run=lambda *a, **k: 1 / 0)


def test_a_failure_to_restrict_leaves_no_file(monkeypatch, tmp_path) -> None:
    from referral_desk import files

    def cannot(path, **_):
        raise PermissionError(13, "Cannot make the file private to you")

    monkeypatch.setattr(files.output, "restrict_to_owner", cannot)
    with pytest.raises(PermissionError):
        files.write_atomically(tmp_path / "slip.pdf", b"%PDF-")
    assert list(tmp_path.iterdir()) == []
