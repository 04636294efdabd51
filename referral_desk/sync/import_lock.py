"""One import at a time per database, across windows and processes.

An import commits in steps (so that officers can save meanwhile), so SQLite's write lock no
longer keeps two imports apart: a lock file beside the database does. The operating system
releases it when the process ends, however it ends, so a lock left by a killed import never
blocks the next one — which then finds the killed import's journal and finishes it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from referral_desk.domain.errors import DomainError

SUFFIX = ".import-lock"


class ImportBusy(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "Another sync import is running on this PC (in another window or program): "
            "try again when it has finished."
        )


def _lock(fd: int) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def import_lock(db_path: Path) -> Iterator[None]:
    """Hold the import lock of the database at `db_path`, or raise ImportBusy at once."""
    path = Path(db_path).with_name(Path(db_path).name + SUFFIX)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        if not _lock(fd):
            raise ImportBusy()
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


__all__ = ["ImportBusy", "import_lock"]
