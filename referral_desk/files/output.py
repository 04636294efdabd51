"""Files written where the officer says: whole or not at all, owner-only, never over app data.

Slips, provider forms, reports, calendars, sync files and directory exports can all hold
personal data, and each is written to a path someone typed or picked. Two things can go wrong
there, and this module is the one place that prevents both:

- **A half-written file.** A full disk, a pulled USB stick or a crash mid-write must never leave
  a truncated PDF or CSV under the chosen name (or a stray `.part` beside it). Every file is
  written to a temporary name in the same folder, created owner-only with O_EXCL (so it can
  neither follow a planted link nor be read while it fills), flushed to disk, then renamed over
  the target (`os.replace`, atomic on POSIX and Windows) and the folder synced. On any failure
  the temporary file is removed and the target is as it was.
- **Writing over the app's own data.** `--out D/referral-desk.sqlite3` would replace the live
  database with a PDF. `OutputGuard`, built by the composition root with the data folder,
  refuses any target inside that folder (after resolving links and `..`), any target that is
  the same file as one of the folder's files (a hard link), and any existing target that is
  not a regular file (a folder, a FIFO, a device).

Plain Python, importable from every layer above `domain`; no POSIX-only call runs unguarded, so
the same code works on Windows (where `os.open`'s mode only sets read-only, and folders cannot
be opened to be synced).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from referral_desk.domain.errors import DomainError, ValidationError
from referral_desk.domain.text import has_controls

OWNER_ONLY = 0o600
# Files in a shared store are encrypted and must be readable by colleagues' accounts.
SHARED = 0o644
# How many entries of the data folder are compared with a hard-linked target, at most: the
# folder holds the database, its -wal/-shm and a few backups, so this is never reached.
_SCAN_LIMIT = 10_000
_TEMP_SUFFIX = ".tmp"

_CREATE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
)


class OutputRefused(ValidationError):
    """The chosen file or folder may not be written (inside the data folder, not a file...)."""


class OutputFailed(DomainError):
    """Writing the chosen file failed (full disk, no permission); the target is unchanged."""


def _reason(err: OSError) -> str:
    # strerror only: str(err) would include the path, which may contain a user's name.
    return err.strerror or "input/output error"


def _temp_name(target_name: str) -> str:
    # Hidden, unique, and short enough that a long target name cannot make it too long.
    return f".{target_name[:40]}.{os.urandom(6).hex()}{_TEMP_SUFFIX}"


def create_new_file(path: str | os.PathLike[str], mode: int = OWNER_ONLY) -> int:
    """Open a file that must not exist yet (O_EXCL: never through a planted link) for writing.

    The file is created with `mode` (the umask can only take permissions away), so a file that
    may hold personal data is never readable by others, not even while it is being written.
    """
    return os.open(path, _CREATE_FLAGS, mode)


def restrict_to_owner(
    path: str | os.PathLike[str],
    *,
    folder: bool = False,
    system: str = os.name,
    run: Callable[..., object] = subprocess.run,
) -> None:
    """Windows: make `path` readable by its owner only, as mode 0600/0700 does on POSIX.

    On Windows `os.open`'s mode only sets read-only; who may read a file is its ACL, inherited
    from the folder. A slip saved to a shared "Documents" folder or a USB stick would be readable
    by every account there. So the inherited entries are removed and one is granted: the
    current user, full control (inherited by the contents of a folder). `icacls` ships with
    every Windows since Vista. Failing to restrict fails the write: a file holding personal data
    is never left readable by others. Elsewhere this does nothing (the mode did it).
    """
    if system != "nt":
        return
    user = os.environ.get("USERNAME", "")
    domain = os.environ.get("USERDOMAIN", "")
    if not user:
        raise PermissionError(errno.EACCES, "Cannot tell which Windows account owns the file")
    who = f"{domain}\\{user}" if domain else user
    grant = f"{who}:(OI)(CI)F" if folder else f"{who}:F"
    try:
        run(
            ["icacls", os.fspath(path), "/inheritance:r", "/grant:r", grant],
            check=True,
            capture_output=True,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.CalledProcessError) as err:
        raise PermissionError(errno.EACCES, "Cannot make the file private to you") from err


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Make a rename in `folder` durable (POSIX). Windows cannot open a folder; some network
    file systems refuse to sync one: both only lose durability, never data, so are ignored."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, mode: int = OWNER_ONLY) -> Iterator[BinaryIO]:
    """Yield a binary file that becomes `path` only if the block finishes without error.

    For writers that stream (a zip file): the bytes go to a temporary file beside `path`, which
    is flushed, synced and renamed over `path` at the end, or removed if anything fails.
    """
    target = Path(path)
    folder = target.parent
    for _attempt in range(8):
        temp = folder / _temp_name(target.name)
        try:
            fd = create_new_file(temp, mode)
            break
        except FileExistsError:
            continue
    else:  # eight random names taken: something is very wrong with this folder
        raise FileExistsError(errno.EEXIST, "No free temporary name")
    try:
        if mode == OWNER_ONLY:
            restrict_to_owner(temp)  # before a byte is written (Windows: ACL, not mode)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise
    fsync_folder(folder)


def write_atomically(
    path: str | os.PathLike[str], data: bytes | Iterable[bytes], *, mode: int = OWNER_ONLY
) -> Path:
    """Write `data` (bytes, or an iterable of chunks) to `path`: all of it, or nothing.

    Raises OSError when the folder cannot be written; the target is then untouched and no
    temporary file is left behind. Returns `path`.
    """
    chunks = [data] if isinstance(data, bytes | bytearray | memoryview) else data
    with atomic_output(path, mode=mode) as handle:
        for chunk in chunks:
            handle.write(chunk)
    return Path(path)


def write_new_file(path: str | os.PathLike[str], data: bytes, *, mode: int = OWNER_ONLY) -> None:
    """Write a file that must not exist yet, synced to disk (for files inside a fresh temporary
    folder, which as a whole is moved into place by `atomic_folder`)."""
    fd = create_new_file(path, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with suppress(OSError):
            os.unlink(path)
        raise


@contextmanager
def atomic_folder(
    path: str | os.PathLike[str], *, replaceable: Callable[[Path], bool]
) -> Iterator[Path]:
    """Yield a new empty folder that becomes `path` only if the block finishes without error.

    The folder is filled beside `path` under a hidden temporary name, then moved into place: a
    reader (or an import of the folder) sees the previous content or the new, never a mixture.
    An existing `path` is replaced only if `replaceable(path)` says so (a previous export, say);
    it is renamed aside, the new folder renamed in, then the old one removed, and put back if
    the new one cannot be moved in. On failure the temporary folder is removed.
    """
    target = Path(path)
    parent = target.parent
    temp = parent / _temp_name(target.name)
    os.mkdir(temp, 0o700)
    try:
        restrict_to_owner(temp, folder=True)  # Windows: what 0700 is on POSIX, inherited
        yield temp
        fsync_folder(temp)
        _move_folder_into_place(temp, target, replaceable)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    fsync_folder(parent)


def _move_folder_into_place(temp: Path, target: Path, replaceable: Callable[[Path], bool]) -> None:
    if not os.path.lexists(target):
        os.rename(temp, target)
        return
    if target.is_symlink() or not target.is_dir() or not replaceable(target):
        raise OutputRefused(
            "The folder already holds other files; choose an empty folder or a new name."
        )
    aside = target.parent / _temp_name(target.name)
    os.rename(target, aside)
    try:
        os.rename(temp, target)
    except BaseException:
        with suppress(OSError):
            os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


# -- the output-path guard ----------------------------------------------------------------------


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    """Same device and inode. Some file systems report no inode (0): never "the same" then,
    the path checks still apply."""
    return a.st_ino != 0 and os.path.samestat(a, b)


def _inside(path: Path, folder: Path) -> bool:
    """`path` is `folder` or below it (case-insensitively where the platform is)."""
    p = os.path.normcase(str(path))
    f = os.path.normcase(str(folder))
    return p == f or p.startswith(f.rstrip(os.sep) + os.sep)


class OutputGuard:
    """Refuses output paths that would write over the app's data folder or anything in it.

    Built by the composition root with the data folder and handed to the services that write
    files the officer chose, so no export, slip or report can replace the database, its WAL, a
    backup or a key, by any name (a link, `..`, a hard link, a differently cased name).
    """

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        # Absolute now: a relative --data-dir must keep naming the same folder.
        self.data_dir = Path(os.path.abspath(Path(data_dir).expanduser()))

    def check(
        self, path: str | os.PathLike[str], *, what: str = "file", new_folders: bool = False
    ) -> Path:
        """The path to write a file to, with links and `..` resolved; raises OutputRefused.

        `what` names the file in messages ("report file", "PDF", ...). The target may be new,
        or an existing regular file (which the write will replace). Its folder must exist,
        unless `new_folders` (the caller creates it).
        """
        target = self._resolve(path, what)
        self._refuse_data_folder(target, what, folder=False)
        try:
            st = os.stat(target)
        except FileNotFoundError:
            if not new_folders:
                self._need_folder(target.parent, what)
            return target
        except OSError:
            raise OutputRefused(f"The {what} name cannot be used; choose another.") from None
        if stat.S_ISDIR(st.st_mode):
            raise OutputRefused(f"The {what} name is a folder; add a file name.")
        if not stat.S_ISREG(st.st_mode):
            raise OutputRefused(f"The {what} name is not an ordinary file; choose another.")
        if st.st_nlink != 1 and self._links_into_data(st):
            raise OutputRefused(self._inside_message(what))
        return target

    def check_folder(self, path: str | os.PathLike[str], *, what: str = "export folder") -> Path:
        """The folder to write into (new, or an existing folder); raises OutputRefused."""
        target = self._resolve(path, what)
        self._refuse_data_folder(target, what, folder=True)
        try:
            st = os.stat(target)
        except FileNotFoundError:
            return target
        except OSError:
            raise OutputRefused(f"The {what} name cannot be used; choose another.") from None
        if not stat.S_ISDIR(st.st_mode):
            raise OutputRefused(f"The {what} name is a file; give a folder name.")
        if self._holds_data(st):
            raise OutputRefused(self._holds_message(what))
        return target

    def write(
        self,
        path: str | os.PathLike[str],
        data: bytes | Iterable[bytes],
        *,
        what: str = "file",
        mode: int = OWNER_ONLY,
    ) -> Path:
        """Check `path`, then write `data` to it atomically (owner-only by default).

        Raises OutputRefused (nothing written) or OutputFailed (the disk said no; the target is
        unchanged). Returns the resolved path written.
        """
        target = self.check(path, what=what)
        try:
            write_atomically(target, data, mode=mode)
        except OSError as err:
            raise OutputFailed(
                f"The {what} could not be written ({_reason(err)}); nothing was saved."
            ) from None
        return target

    # -- checks -----------------------------------------------------------------------------

    @staticmethod
    def _resolve(path: str | os.PathLike[str], what: str) -> Path:
        text = os.fspath(path)
        if isinstance(text, bytes) or not text.strip() or has_controls(text):
            raise OutputRefused(f"The {what} name cannot be used; choose another.")
        try:
            return Path(text).expanduser().resolve(strict=False)
        except (OSError, RuntimeError, ValueError):  # a link loop, an unknown ~user
            raise OutputRefused(f"The {what} name cannot be used; choose another.") from None

    def _data_dir(self) -> tuple[Path, os.stat_result | None]:
        folder = self.data_dir.resolve(strict=False)
        try:
            return folder, os.stat(folder)
        except OSError:
            return folder, None

    @staticmethod
    def _inside_message(what: str) -> str:
        return (
            f"The {what} cannot be written in Referral Desk's data folder (it holds the "
            "database); choose another folder."
        )

    @staticmethod
    def _holds_message(what: str) -> str:
        return f"The {what} holds Referral Desk's data folder; choose another folder."

    def _holds_data(self, folder_st: os.stat_result) -> bool:
        """The folder is the data folder's parent (or grand-parent...) under another name."""
        data, _data_st = self._data_dir()
        for ancestor in data.parents:
            with suppress(OSError):
                if _same_file(os.stat(ancestor), folder_st):
                    return True
        return False

    def _refuse_data_folder(self, target: Path, what: str, *, folder: bool) -> None:
        data, data_st = self._data_dir()
        if _inside(target, data):
            raise OutputRefused(self._inside_message(what))
        if folder and _inside(data, target):
            raise OutputRefused(self._holds_message(what))
        if data_st is None:
            return
        # The same folder under another name (a bind mount, a case-insensitive disk, a junction).
        for ancestor in (target, *target.parents):
            try:
                st = os.stat(ancestor)
            except OSError:
                continue
            if _same_file(st, data_st):
                raise OutputRefused(self._inside_message(what))

    def _links_into_data(self, target_st: os.stat_result) -> bool:
        """True when the target is a hard link to one of the data folder's files."""
        data, data_st = self._data_dir()
        if data_st is None:
            return False
        seen = 0
        pending = [data]
        while pending:
            try:
                entries = list(os.scandir(pending.pop()))
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > _SCAN_LIMIT:
                    return True  # cannot tell: refuse rather than risk the database
                try:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))
                    # os.stat, not entry.stat: on Windows a DirEntry carries no file id.
                    elif _same_file(os.stat(entry.path, follow_symlinks=False), target_st):
                        return True
                except OSError:
                    continue
        return False

    def _need_folder(self, folder: Path, what: str) -> None:
        if not folder.is_dir():
            raise OutputRefused(f"The folder for the {what} does not exist.")
