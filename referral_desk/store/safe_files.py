"""Open files that come from outside (import packages) as regular files only.

A package is hostile input: a `services.csv` that is a symbolic link to `/etc/passwd` must not
be read, a FIFO must not hang the import, and a device or a folder must not pass for an empty
table. The file is opened first and judged afterwards, on what was opened (`fstat`), so nothing
can be swapped between a check and the open:

- every path component is opened relative to its folder with `O_NOFOLLOW` (where the platform
  has `dir_fd` and `O_NOFOLLOW`), so no link anywhere in the path is followed out of the package;
- the file itself is opened with `O_NONBLOCK`, so a FIFO without a writer cannot block the open;
- `fstat` on the open descriptor must say "regular file", or it is closed and refused.

Where the platform lacks `dir_fd`/`O_NOFOLLOW` (Windows), each component is checked with
`lstat` before the open and the opened file is still checked with `fstat`.

Errors carry a reason, never file contents; the caller names the file in its own message.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
# Relative opens that refuse links are only safe with both of these.
_AT_SUPPORTED = bool(_NOFOLLOW and _DIRECTORY) and os.open in os.supports_dir_fd
# errno values that mean "this component is a link" (or a non-folder where a folder is needed).
_LINK_ERRORS = {errno.ELOOP, errno.ENOTDIR, getattr(errno, "EMLINK", errno.ELOOP)}


class NotRegularFile(Exception):
    """The path names a link, FIFO, device, socket or folder instead of a regular file."""


class FileMissing(Exception):
    """Nothing exists at the path."""


def _refuse_non_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise NotRegularFile(_kind(mode))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _fdopen_checked(fd: int) -> tuple[BinaryIO, int]:
    """Wrap an open descriptor once `fstat` says it is a regular file; returns (file, size)."""
    try:
        info = os.fstat(fd)
        _refuse_non_regular(info.st_mode)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb"), info.st_size


def open_regular_in(root: Path, relpath: str) -> tuple[BinaryIO, int]:
    """Open `root/relpath` ("a/b.csv", `/`-separated) for reading; returns (file, size).

    `root` itself may be a link (the user chose it); nothing below it may be. Raises
    `FileMissing` when there is nothing there, `NotRegularFile` when it is anything but a
    regular file (or a link), and OSError for other failures (permissions).
    """
    parts = [p for p in relpath.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise NotRegularFile("outside the package")
    if not _AT_SUPPORTED:
        return _open_checked_by_path(root, parts)
    try:
        folder = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except FileNotFoundError as err:
        raise FileMissing(str(root)) from err
    try:
        for part in parts[:-1]:
            try:
                inner = os.open(
                    part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=folder
                )
            except FileNotFoundError as err:
                raise FileMissing(relpath) from err
            except OSError as err:
                if err.errno in _LINK_ERRORS:
                    raise NotRegularFile("inside a link or a file, not a folder") from err
                raise
            os.close(folder)
            folder = inner
        try:
            fd = os.open(
                parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC | _BINARY, dir_fd=folder
            )
        except FileNotFoundError as err:
            raise FileMissing(relpath) from err
        except OSError as err:
            if err.errno in _LINK_ERRORS:
                raise NotRegularFile("a link") from err
            if err.errno in (errno.ENXIO, errno.EISDIR):
                raise NotRegularFile("not a regular file") from err
            raise
    finally:
        os.close(folder)
    return _fdopen_checked(fd)


def _open_checked_by_path(root: Path, parts: list[str]) -> tuple[BinaryIO, int]:
    """Fallback without `dir_fd`: lstat every component, then open and fstat the file."""
    path = root
    for i, part in enumerate(parts):
        path = path / part
        try:
            info = os.lstat(path)
        except FileNotFoundError as err:
            raise FileMissing("/".join(parts)) from err
        if stat.S_ISLNK(info.st_mode):
            raise NotRegularFile("a link")
        if i < len(parts) - 1 and not stat.S_ISDIR(info.st_mode):
            raise FileMissing("/".join(parts))
        if i == len(parts) - 1:
            _refuse_non_regular(info.st_mode)
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)
    return _fdopen_checked(fd)


def open_user_path(path: Path) -> tuple[BinaryIO | None, int, bool]:
    """Open a path the user chose: (file, size, False) for a regular file, (None, 0, True) for
    a folder. Links are followed (the user picked the path); FIFOs and devices are refused."""
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _CLOEXEC | _BINARY)
    except FileNotFoundError as err:
        raise FileMissing(str(path)) from err
    except IsADirectoryError:  # Windows cannot open a folder as a file
        return None, 0, True
    except OSError as err:
        if err.errno == errno.ENXIO:
            raise NotRegularFile("not a regular file") from err
        raise
    try:
        info = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if stat.S_ISDIR(info.st_mode):
        os.close(fd)
        return None, 0, True
    fh, size = _fdopen_checked(fd)
    return fh, size, False


__all__ = ["FileMissing", "NotRegularFile", "open_regular_in", "open_user_path"]
