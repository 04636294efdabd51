"""Opening files that someone else put there: a shared store, a USB drive, an import package,
a key file, a passphrase file, a path typed in. The one way the app opens such a file.

Anything with the right name may be something else: a link to `/etc/passwd` or `/dev/zero`
(endless bytes), a named pipe (an open that never returns), a folder, a device, a socket, a file
we may not read. So a file is opened first — without following a link, without blocking on a
pipe — and only then is the *opened* handle judged (`fstat`) to be a regular file. Checking the
name before opening would leave a gap in which the name can be swapped for something else.

- `open_regular` / `read_regular`: one named file (links refused unless the user typed the path);
- `open_regular_in`: a file below a folder the user chose (an import package): every component
  is opened relative to its folder with `O_NOFOLLOW`, so no link anywhere below the folder is
  followed out of it;
- `open_user_path`: a path the user chose that may be a folder or a file.

On Windows `O_NOFOLLOW`, `O_NONBLOCK` and `dir_fd` do not exist; there each component is looked
at first (`lstat`) and the opened file is still judged by `fstat`. Errors carry a reason ("a
link", "a FIFO"...), never a path or contents; the caller names the file in its own message.
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
_READ = os.O_RDONLY | _BINARY | _CLOEXEC | _NONBLOCK
# Relative opens that refuse links are only safe with both of these.
_AT_SUPPORTED = bool(_NOFOLLOW and _DIRECTORY) and os.open in os.supports_dir_fd
# A link opened with O_NOFOLLOW fails with ELOOP (Linux, macOS) or EMLINK (FreeBSD), as does a
# loop of links; a folder component opened with O_DIRECTORY | O_NOFOLLOW that is a link or a
# file fails with ENOTDIR.
_LINK_ERRNOS = frozenset({errno.ELOOP, errno.EMLINK})
# A socket fails with ENXIO; a folder opened as a file (Windows) with EISDIR or EACCES.
_NOT_A_FILE_ERRNOS = frozenset({errno.ENXIO, errno.EISDIR})


class NotRegularFile(OSError):
    """The name is a link, folder, device, pipe or socket, not a regular file.

    An OSError, so a caller that only cares whether it could read the file catches one thing;
    `str()` is the reason alone ("a link"), never the path.
    """

    def __init__(self, reason: str = "not a regular file") -> None:
        super().__init__(errno.EINVAL, reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class FileMissing(FileNotFoundError):
    """Nothing exists at the path (a FileNotFoundError; `str()` names no path)."""

    def __init__(self) -> None:
        super().__init__(errno.ENOENT, "not found")

    def __str__(self) -> str:
        return "not found"


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


def _checked(fd: int) -> tuple[BinaryIO, int]:
    """Wrap an open descriptor once `fstat` says it is a regular file; returns (file, size).
    The descriptor is closed if it is not."""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(_kind(info.st_mode))
        if _NONBLOCK:  # a regular file never blocks; reads behave as usual without the flag
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def _open(path: str | os.PathLike[str], flags: int, **kwargs: int) -> int:
    """`os.open` with "missing" and "not a file at all" told apart from other failures."""
    try:
        return os.open(path, flags, **kwargs)
    except FileNotFoundError:
        raise FileMissing() from None
    except OSError as err:
        if err.errno in _LINK_ERRNOS:
            raise NotRegularFile("a link") from None
        if err.errno == errno.ENOTDIR and flags & _NOFOLLOW and flags & _DIRECTORY:
            raise NotRegularFile("a link or a file, not a folder") from None
        if err.errno in _NOT_A_FILE_ERRNOS:
            raise NotRegularFile() from None
        raise


def open_regular(path: Path, *, follow_symlinks: bool = False) -> tuple[BinaryIO, int]:
    """Open `path` for reading if, and only if, it is a regular file; returns (file, size).

    Raises NotRegularFile for anything else, FileMissing when nothing is there, and the usual
    OSError otherwise (no permission). `follow_symlinks` is for a path the user typed: a link
    is then followed, but what it points to must still be a regular file. Names found in a
    shared store never follow links.
    """
    path = Path(path)
    if not follow_symlinks and not _NOFOLLOW and path.is_symlink():  # pragma: no cover
        raise NotRegularFile("a link")
    return _checked(_open(path, _READ | (0 if follow_symlinks else _NOFOLLOW)))


def read_regular(path: Path, limit: int, *, follow_symlinks: bool = False) -> bytes | None:
    """The whole of a small regular file, or None when it is bigger than `limit` bytes.

    Never reads more than `limit + 1` bytes, whatever the file claims its size is.
    """
    fh, size = open_regular(path, follow_symlinks=follow_symlinks)
    with fh:
        if size > limit:
            return None
        data = fh.read(limit + 1)
    return None if len(data) > limit else data


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
    folder = _open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for part in parts[:-1]:
            try:
                inner = _open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=folder)
            except NotRegularFile:
                raise NotRegularFile("inside a link or a file, not a folder") from None
            os.close(folder)
            folder = inner
        fd = _open(parts[-1], _READ | _NOFOLLOW, dir_fd=folder)
    finally:
        os.close(folder)
    return _checked(fd)


def _open_checked_by_path(root: Path, parts: list[str]) -> tuple[BinaryIO, int]:
    """Fallback without `dir_fd`: lstat every component, then open and fstat the file."""
    path = root
    for i, part in enumerate(parts):
        path = path / part
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise FileMissing() from None
        if stat.S_ISLNK(info.st_mode):
            raise NotRegularFile("a link")
        if i < len(parts) - 1 and not stat.S_ISDIR(info.st_mode):
            raise FileMissing()
        if i == len(parts) - 1 and not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(_kind(info.st_mode))
    return _checked(_open(path, _READ))


def open_user_path(path: Path) -> tuple[BinaryIO | None, int, bool]:
    """Open a path the user chose: (file, size, False) for a regular file, (None, 0, True) for
    a folder. Links are followed (the user picked the path); FIFOs and devices are refused."""
    try:
        fd = _open(path, _READ)
    except IsADirectoryError:  # Windows cannot open a folder as a file
        return None, 0, True
    except NotRegularFile:
        if os.path.isdir(path):  # EISDIR where a platform says so for a folder
            return None, 0, True
        raise
    try:
        info = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if stat.S_ISDIR(info.st_mode):
        os.close(fd)
        return None, 0, True
    fh, size = _checked(fd)
    return fh, size, False


__all__ = [
    "FileMissing",
    "NotRegularFile",
    "open_regular",
    "open_regular_in",
    "open_user_path",
    "read_regular",
]
