"""referral_desk.files.opening: the one way the app opens a file someone else put there.

A regular file opens; a link (unless the user typed the path), a FIFO, a folder, a device or a
socket is refused without hanging and without reading; a big file is never read whole; the
errors name the reason, never the path.
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referral_desk.files import (
    FileMissing,
    NotRegularFile,
    open_regular,
    open_regular_in,
    open_user_path,
    read_regular,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and sockets")


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_a_regular_file_opens_with_its_size(tmp_path: Path) -> None:
    (tmp_path / "a.rdsync").write_bytes(b"hello")
    fh, size = open_regular(tmp_path / "a.rdsync")
    with fh:
        assert (size, fh.read()) == (5, b"hello")


def test_nothing_there_is_file_missing_which_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileMissing) as caught:
        open_regular(tmp_path / "secret-name-Smith")
    assert isinstance(caught.value, FileNotFoundError)
    assert "Smith" not in str(caught.value)


@posix_only
def test_a_link_is_refused_unless_the_user_typed_it(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(NotRegularFile, match="a link"):
        open_regular(tmp_path / "link")
    fh, size = open_regular(tmp_path / "link", follow_symlinks=True)
    with fh:
        assert size == 1


@posix_only
@pytest.mark.parametrize("follow", [False, True])
def test_a_link_to_an_endless_device_is_refused(tmp_path: Path, follow: bool) -> None:
    (tmp_path / "zero").symlink_to("/dev/zero")
    with pytest.raises(NotRegularFile):
        read_regular(tmp_path / "zero", 100, follow_symlinks=follow)


@posix_only
def test_a_fifo_without_a_writer_is_refused_at_once(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path / "pipe")
    with pytest.raises(NotRegularFile, match="a FIFO"):
        open_regular(fifo)  # would block for ever without O_NONBLOCK
    with pytest.raises(NotRegularFile, match="a FIFO"):
        open_regular_in(tmp_path, "pipe")
    with pytest.raises(NotRegularFile, match="a FIFO"):
        open_user_path(fifo)


@posix_only
def test_a_socket_is_refused(tmp_path: Path) -> None:
    where = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(where))
        assert stat.S_ISSOCK(os.lstat(where).st_mode)
        with pytest.raises(NotRegularFile):
            open_regular(where)


def test_a_folder_is_refused_as_a_file_but_is_a_folder_for_a_user_path(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(NotRegularFile):
        open_regular(tmp_path / "dir")
    assert open_user_path(tmp_path / "dir") == (None, 0, True)


@settings(max_examples=30, deadline=None)
@given(size=st.integers(0, 300), limit=st.integers(0, 300))
def test_read_regular_never_returns_more_than_the_limit(tmp_path_factory, size, limit) -> None:
    path = tmp_path_factory.mktemp("r") / "f"
    path.write_bytes(b"x" * size)
    data = read_regular(path, limit)
    assert data == (b"x" * size if size <= limit else None)


def test_open_regular_in_reads_below_the_folder(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "services.csv").write_bytes(b"id\n")
    fh, size = open_regular_in(tmp_path / "pkg", "sub/services.csv")
    with fh:
        assert (size, fh.read()) == (3, b"id\n")
    with pytest.raises(FileMissing):
        open_regular_in(tmp_path / "pkg", "sub/missing.csv")


@pytest.mark.parametrize("relpath", ["", "../x.csv", "sub/../../x.csv", "./x.csv"])
def test_open_regular_in_refuses_names_outside_the_folder(tmp_path: Path, relpath: str) -> None:
    (tmp_path / "x.csv").write_bytes(b"x")
    with pytest.raises(NotRegularFile):
        open_regular_in(tmp_path / "pkg", relpath)


@posix_only
def test_open_regular_in_follows_no_link_below_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "services.csv").write_bytes(b"secret")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "linked").symlink_to(outside)
    (pkg / "services.csv").symlink_to(outside / "services.csv")
    with pytest.raises(NotRegularFile, match="a link"):
        open_regular_in(pkg, "services.csv")
    with pytest.raises(NotRegularFile, match="not a folder"):
        open_regular_in(pkg, "linked/services.csv")
    # The chosen folder itself may be a link: the user picked it.
    (tmp_path / "chosen").symlink_to(outside)
    fh, _size = open_regular_in(tmp_path / "chosen", "services.csv")
    fh.close()


@posix_only
def test_open_user_path_follows_the_link_the_user_gave(tmp_path: Path) -> None:
    (tmp_path / "real.zip").write_bytes(b"PK")
    (tmp_path / "link.zip").symlink_to(tmp_path / "real.zip")
    fh, size, is_folder = open_user_path(tmp_path / "link.zip")
    assert fh is not None
    with fh:
        assert (size, is_folder) == (2, False)
    with pytest.raises(FileMissing):
        open_user_path(tmp_path / "nothing.zip")


def test_not_a_regular_file_is_an_os_error_naming_no_path(tmp_path: Path) -> None:
    (tmp_path / "Jane Doe").mkdir()
    with pytest.raises(OSError) as caught:
        open_regular(tmp_path / "Jane Doe")
    assert isinstance(caught.value, NotRegularFile)
    assert "Jane" not in str(caught.value)
