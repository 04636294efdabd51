"""Turning a plaintext database (every database written before issue 12) into an encrypted one.

Order, so that no crash loses data and no plaintext is left behind:

1. the plaintext log is checkpointed into the file (the file is then the whole database);
2. an encrypted copy is written next to it (`sqlcipher_export`, owner-only, fsynced);
3. the plaintext file is moved aside to `.referral-desk.sqlite3.plaintext` and the encrypted
   copy renamed into its place;
4. the plaintext file, its WAL and SHM are overwritten with zeros and removed, and every
   plaintext pre-upgrade copy in `backups/` is encrypted the same way.

A start that finds the moved-aside plaintext file finishes step 4 if the encrypted database
is in place, or puts the plaintext file back (and starts again) if it is not.

Overwriting before removing is what an application can do: on SSDs and copy-on-write file
systems the old blocks may survive until reused, which is why the data folder should be on
an encrypted disk too (README).
"""

from __future__ import annotations

import os
from pathlib import Path

from referral_desk.store.engine import driver, is_plaintext, touch_private_file
from referral_desk.store.keys import DataKey

ASIDE_SUFFIX = ".plaintext"
ENCRYPTING_SUFFIX = ".encrypting"
_CHUNK = 1 << 20


def aside_path(path: Path) -> Path:
    return path.with_name(f".{path.name}{ASIDE_SUFFIX}")


def companions(path: Path) -> list[Path]:
    """SQLite's own files next to a database: its write-ahead log and shared-memory index."""
    return [path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def shred(path: Path) -> None:
    """Overwrite a file with zeros (its whole length), sync, then remove it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    try:
        with path.open("r+b") as fh:
            zeros = bytes(min(size, _CHUNK))
            left = size
            while left > 0:
                n = min(left, len(zeros))
                fh.write(zeros[:n])
                left -= n
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        pass  # still remove it: a read-only file we own can be unlinked
    path.unlink(missing_ok=True)


def finish_interrupted(path: Path) -> None:
    """Complete (or undo) a migration that a crash cut short (see the module docstring)."""
    aside = aside_path(path)
    partial = path.with_name(f".{path.name}{ENCRYPTING_SUFFIX}")
    if partial.exists():
        shred(partial)
    if not aside.exists():
        return
    if path.exists() and path.stat().st_size > 0 and not is_plaintext(path):
        shred(aside)
        for extra in companions(aside):
            shred(extra)
    else:  # the encrypted copy never reached its place: the plaintext file is the data
        path.unlink(missing_ok=True)
        os.replace(aside, path)


def encrypt_file(path: Path, key: DataKey) -> None:
    """Replace the plaintext SQLite database at `path` by an encrypted copy, shredding the old.

    Raises the driver's error if the plaintext database cannot be read (another program is
    using it, it is damaged); nothing is changed then.
    """
    partial = path.with_name(f".{path.name}{ENCRYPTING_SUFFIX}")
    partial.unlink(missing_ok=True)
    conn = driver.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        touch_private_file(partial)
        attach = f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.raw().hex()}'\""
        conn.execute(attach, (str(partial),))
        try:
            conn.execute("SELECT sqlcipher_export('encrypted')").fetchall()
            conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        finally:
            conn.execute("DETACH DATABASE encrypted")
    except BaseException:
        conn.close()
        shred(partial)
        raise
    conn.close()
    with partial.open("rb+") as fh:
        os.fsync(fh.fileno())
    aside = aside_path(path)
    os.replace(path, aside)
    for old, new in zip(companions(path), companions(aside), strict=True):
        if old.exists():
            os.replace(old, new)
    os.replace(partial, path)
    shred(aside)
    for extra in companions(aside):
        shred(extra)


def encrypt_backups(backup_dir: Path, stem: str, key: DataKey) -> int:
    """Encrypt every plaintext copy in `backup_dir` in place; returns how many there were.

    Their fingerprint sidecars described the plaintext bytes and are removed (a sidecar only
    lets a failed upgrade reuse a copy; the next upgrade makes a fresh one).
    """
    if not backup_dir.is_dir():
        return 0
    done = 0
    for copy in sorted(backup_dir.glob(f"{stem}-*.sqlite3")):
        if copy.is_file() and is_plaintext(copy):
            encrypt_file(copy, key)
            copy.with_name(copy.name + ".json").unlink(missing_ok=True)
            done += 1
    return done
