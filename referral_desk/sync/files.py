"""Opening files that someone else put there: a shared store, a USB drive, a path typed in.

Anything named like a sync file may be something else: a link to `/dev/zero` (endless bytes),
a named pipe (an open that never returns), a folder, a device, a file we may not read. So a file
is opened first — without following a link, without blocking on a pipe — and only then is the
*opened* handle checked (fstat) to be a regular file. Checking the name before opening would
leave a gap in which the name can be swapped for something else.

On Windows `O_NOFOLLOW` and `O_NONBLOCK` do not exist; there a link is refused by looking at it
first (`lstat`), and pipes and devices by the same fstat after opening.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# A link opened with O_NOFOLLOW fails with ELOOP (Linux, macOS) or EMLINK (FreeBSD); a socket
# fails with ENXIO. None of these is "missing or no permission": the thing is not a file.
_NOT_A_FILE_ERRNOS = frozenset({errno.ELOOP, errno.EMLINK, errno.ENXIO, errno.EISDIR})


class NotRegularFile(OSError):
    """The name is a link, folder, device, pipe or socket, not a regular file."""


def open_regular(path: Path, *, follow_symlinks: bool = False) -> tuple[BinaryIO, int]:
    """Open `path` for reading if, and only if, it is a regular file; returns (file, size).

    Raises NotRegularFile for anything else, and the usual OSError (missing, no permission).
    `follow_symlinks` is for a path the user typed: a link is then followed, but what it points
    to must still be a regular file. Names found in a shared store never follow links.
    """
    path = Path(path)
    if not follow_symlinks and not _O_NOFOLLOW and path.is_symlink():  # pragma: no cover
        raise NotRegularFile(errno.ELOOP, "not a regular file")
    flags = os.O_RDONLY | _O_BINARY | _O_CLOEXEC | _O_NONBLOCK
    if not follow_symlinks:
        flags |= _O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno in _NOT_A_FILE_ERRNOS:
            raise NotRegularFile(err.errno, "not a regular file") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file")
        if _O_NONBLOCK:  # a regular file never blocks; reads behave as usual without the flag
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: Path, limit: int, *, follow_symlinks: bool = False) -> bytes | None:
    """The whole of a small regular file, or None when it is bigger than `limit` bytes."""
    fh, size = open_regular(path, follow_symlinks=follow_symlinks)
    with fh:
        if size > limit:
            return None
        data = fh.read(limit + 1)
    return None if len(data) > limit else data


__all__ = ["NotRegularFile", "open_regular", "read_regular"]
