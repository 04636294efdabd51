"""Where a package's files come from: a folder or a .zip, opened within the limits.

Every file is opened through a `Source`, which counts declared sizes against the per-file and
per-package limits; a zip is checked member by member before anything is read (links, special
files, paths leaving the package, too many members, compression ratios of a zip bomb), and a
`LimitedReader` counts bytes as they are read, since a file may grow, or a zip entry lie, after
it was sized. Names from the package reach messages only through `shown`.
"""

from __future__ import annotations

import io
import posixpath
import stat
import zipfile
from pathlib import Path
from struct import error as StructError
from typing import IO, Any

from referral_desk.domain.text import printable
from referral_desk.files import (
    FileMissing,
    NotRegularFile,
    open_regular_in,
    open_user_path,
)
from referral_desk.hsds.package import (
    DESCRIPTOR,
    MB,
    RATIO_FLOOR_BYTES,
    Limits,
    PackageError,
)


def shown(name: str) -> str:
    """A name from the package, safe to print: controls escaped, length bounded."""
    text = printable(name)
    return text if len(text) <= 80 else text[:77] + "…"


class Source:
    """A folder or a zip: opens the package's files, counting their sizes against the limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.read_bytes = 0  # declared sizes of the files opened so far

    def open(self, relpath: str) -> tuple[IO[bytes], int] | None:
        """(stream, size) of a file of the package, None when it is absent."""
        raise NotImplementedError

    def close(self) -> None:
        return None

    def _count(self, relpath: str, size: int, limit: int) -> None:
        if size > limit:
            raise PackageError(too_big(relpath, limit))
        self.read_bytes += size
        if self.read_bytes > self.limits.max_package_bytes:
            raise PackageError(
                f"The package is larger than the limit of {_size(self.limits.max_package_bytes)} "
                f"in all (at {shown(relpath)})."
            )


class FolderSource(Source):
    def __init__(self, root: Path, limits: Limits) -> None:
        super().__init__(limits)
        self.root = root

    def open(self, relpath: str, limit: int | None = None) -> tuple[IO[bytes], int] | None:
        try:
            fh, size = open_regular_in(self.root, relpath)
        except FileMissing:
            return None
        except NotRegularFile as err:
            raise PackageError(f"{shown(relpath)} is not a regular file ({err}).") from err
        except OSError as err:
            raise PackageError(f"{shown(relpath)} cannot be read.") from err
        try:
            self._count(relpath, size, self.limits.max_file_bytes if limit is None else limit)
        except BaseException:
            fh.close()
            raise
        return fh, size


_S_IFMT = 0o170000


class ZipSource(Source):
    def __init__(self, archive: zipfile.ZipFile, limits: Limits) -> None:
        super().__init__(limits)
        self.archive = archive
        infos = archive.infolist()
        if len(infos) > limits.max_zip_members:
            raise PackageError(
                f"The .zip file holds more than {limits.max_zip_members} files; "
                "an HSDS package has about twenty."
            )
        for info in infos:
            _check_member(info)
        self.infos = {i.filename: i for i in infos if not i.is_dir()}
        candidates = sorted(
            (n for n in self.infos if posixpath.basename(n) == DESCRIPTOR),
            key=lambda n: (n.count("/"), n),
        )
        # The descriptor at the root, or inside the one folder a zip tool wrapped it in.
        self.prefix = posixpath.dirname(candidates[0]) + "/" if candidates else ""
        if self.prefix == "/":
            self.prefix = ""

    def open(self, relpath: str, limit: int | None = None) -> tuple[IO[bytes], int] | None:
        info = self.infos.get(self.prefix + relpath)
        if info is None:
            return None
        size = info.file_size
        self._count(relpath, size, self.limits.max_file_bytes if limit is None else limit)
        if size > RATIO_FLOOR_BYTES and size > self.limits.max_ratio * max(info.compress_size, 1):
            raise PackageError(
                f"{shown(relpath)} is compressed more than {self.limits.max_ratio} to 1 in the "
                ".zip file; refused as a possible zip bomb."
            )
        try:
            # The stream stops at the declared size and checks the CRC at the end.
            return self.archive.open(info), size
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, ValueError) as e:
            raise PackageError(f"{shown(relpath)} cannot be read from the .zip file.") from e

    def close(self) -> None:
        self.archive.close()


def _check_member(info: zipfile.ZipInfo) -> None:
    """Refuse members that are links or special files, or whose path leaves the package."""
    name = info.filename
    mode = (info.external_attr >> 16) & 0xFFFF
    kind = mode & _S_IFMT
    if info.create_system == 3 and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        what = "a link" if kind == stat.S_IFLNK else "a special file"
        raise PackageError(f"The .zip file holds {shown(name)}, which is {what}; refused.")
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts or "\x00" in name:
        raise PackageError(
            f"The .zip file holds {shown(name)}, whose path points outside the package; refused."
        )


def _zip_member_count(fh: IO[bytes]) -> int | None:
    """Members declared in the end-of-central-directory record, before zipfile reads them all."""
    find = getattr(zipfile, "_EndRecData", None)
    if find is None:  # pragma: no cover - private helper of every CPython since 2.6
        return None
    try:
        record = find(fh)
    except (OSError, ValueError, StructError):
        return None
    return None if record is None else int(record[zipfile._ECD_ENTRIES_TOTAL])  # type: ignore[attr-defined]


class PackageSource:
    """Context manager choosing the source: a folder, a .zip, or a folder's datapackage.json."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self.source: Source | None = None
        self.handle: IO[bytes] | None = None

    def __enter__(self) -> Source:
        try:
            fh, size, is_folder = open_user_path(self.path)
        except FileMissing as err:
            raise PackageError("The package was not found (give a folder or a .zip file).") from err
        except NotRegularFile as err:
            raise PackageError(
                f"{shown(self.path.name)} is not a regular file or a folder ({err})."
            ) from err
        except OSError as err:
            raise PackageError("The package cannot be read (check its permissions).") from err
        if is_folder:
            self.source = FolderSource(self.path, self.limits)
            return self.source
        assert fh is not None
        self.handle = fh
        if not zipfile.is_zipfile(fh):
            fh.close()
            if self.path.name == DESCRIPTOR:
                self.source = FolderSource(self.path.parent, self.limits)
                return self.source
            raise PackageError("The package must be a folder or a .zip file.")
        if size > self.limits.max_package_bytes:
            fh.close()
            raise PackageError(too_big(self.path.name, self.limits.max_package_bytes))
        members = _zip_member_count(fh)
        if members is not None and members > self.limits.max_zip_members:
            fh.close()
            raise PackageError(
                f"The .zip file holds more than {self.limits.max_zip_members} files; "
                "an HSDS package has about twenty."
            )
        try:
            fh.seek(0)
            archive = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
            fh.close()
            raise PackageError("The .zip file cannot be read.") from err
        try:
            self.source = ZipSource(archive, self.limits)
        except BaseException:
            archive.close()
            fh.close()
            raise
        return self.source

    def __exit__(self, *exc: object) -> None:
        if self.source is not None:
            self.source.close()
        if self.handle is not None:
            self.handle.close()


class LimitedReader(io.RawIOBase):
    """Counts bytes as they are read: a file may grow, or a zip entry lie, after it was sized."""

    def __init__(self, raw: IO[bytes], limit: int, name: str) -> None:
        self.raw, self.limit, self.name, self.count = raw, limit, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise PackageError(too_big(self.name, self.limit))
        buffer[: len(data)] = data
        return len(data)


def _size(limit: int) -> str:
    return f"{limit // MB} MB" if limit >= MB else f"{max(1, limit // 1024)} kB"


def too_big(name: str, limit: int) -> str:
    return f"{shown(name)} is larger than the limit of {_size(limit)} per file."
