"""Copies of the database made before an upgrade: one per distinct state, owner-only, few.

Each copy holds the whole caseload (criminal-offence data), so copies must not multiply: a
start whose upgrade fails leaves the database as it was, and the next start must not copy the
same state again (six failed starts used to leave six full copies). Each copy has a small
sidecar record (`<copy>.json`: source revision, size and SHA-256 of the database file it was
taken from, no personal data); a start whose database matches the newest copy's record reuses
that copy. Old copies are pruned whenever a copy is made or reused, whether or not the upgrade
that follows succeeds. Copies are encrypted with the database's own data key (SQLite's backup
API between two keyed SQLCipher connections), so they are no easier to read than the database.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from referral_desk.files import write_atomically
from referral_desk.store.engine import (
    BUSY_TIMEOUT_MS,
    connect_keyed,
    make_private_dir,
    touch_private_file,
)
from referral_desk.store.keys import DataKey

SIDECAR_SUFFIX = ".json"
PARTIAL_SUFFIX = ".partial"
_MAX_SIDECAR_BYTES = 4096


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a database state: its schema revision and the bytes of its file."""

    revision: str
    size: int
    sha256: str


def copies(backup_dir: Path, stem: str) -> list[Path]:
    """The pre-upgrade copies in `backup_dir`, newest first (by modification time)."""
    if not backup_dir.is_dir():
        return []
    found = [p for p in backup_dir.glob(f"{stem}-*.sqlite3") if p.is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def backup_before_upgrade(
    path: Path,
    backup_dir: Path,
    revision: str,
    *,
    key: DataKey,
    keep: int,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> str:
    """Make sure a copy of the database as it is now exists; returns that copy's name.

    Holds the write lock throughout, so the state fingerprinted is the state copied and no
    other window writes in between. The write-ahead log is checkpointed into the file first so
    that the file's bytes are the whole database; when that cannot be done (another program
    is still reading an older state), a copy is made without a fingerprint, as before.
    """
    make_private_dir(backup_dir)
    conn = connect_keyed(path, key, timeout_s=busy_timeout_ms / 1000, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        conn.execute("BEGIN IMMEDIATE")
        try:
            stamp = _fingerprint(conn, path, revision)
            newest = copies(backup_dir, path.stem)
            if stamp is not None and newest and read_sidecar(newest[0]) == stamp:
                name = newest[0].name
            else:
                name = _copy(path, backup_dir, revision, key)
                if stamp is not None:
                    write_atomically(
                        _sidecar(backup_dir / name), json.dumps(asdict(stamp)).encode()
                    )
            prune_backups(backup_dir, path.stem, keep=keep)
            return name
        finally:
            conn.execute("ROLLBACK")
    finally:
        conn.close()


def prune_backups(backup_dir: Path, stem: str, keep: int) -> list[str]:
    """Delete all but the newest `keep` copies, their sidecars, and leftovers; names deleted.

    Kept for ever, copies would outlive every record the team has since deleted. Leftovers are
    sidecars whose copy is gone and half-written copies from a start that was killed.
    """
    removed = []
    for old in copies(backup_dir, stem)[keep:]:
        old.unlink(missing_ok=True)
        _sidecar(old).unlink(missing_ok=True)
        removed.append(old.name)
    for side in backup_dir.glob(f"{stem}-*.sqlite3{SIDECAR_SUFFIX}"):
        if not side.with_suffix("").exists():
            side.unlink(missing_ok=True)
    for partial in backup_dir.glob(f".{stem}-*{PARTIAL_SUFFIX}*"):
        partial.unlink(missing_ok=True)
    return removed


def read_sidecar(copy: Path) -> Fingerprint | None:
    """The fingerprint recorded next to `copy`, or None when missing or unreadable."""
    side = _sidecar(copy)
    try:
        if not side.is_file() or side.stat().st_size > _MAX_SIDECAR_BYTES:
            return None
        data = json.loads(side.read_bytes())
        return Fingerprint(str(data["revision"]), int(data["size"]), str(data["sha256"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _sidecar(copy: Path) -> Path:
    return copy.with_name(copy.name + SIDECAR_SUFFIX)


def _fingerprint(conn: Any, path: Path, revision: str) -> Fingerprint | None:
    """A digest of the database's content (schema and every row), or None when the log
    still holds changes.

    Not of the file's bytes: SQLCipher encrypts each page written with a fresh IV, so a write
    that changes nothing (or a checkpoint) changes the bytes but not the state copied.
    """
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None
    digest = hashlib.sha256()
    tables = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall()
    for name, sql in tables:
        digest.update(f"{name}\x00{sql}\x00".encode())
        if not sql or sql.upper().startswith("CREATE VIRTUAL TABLE"):
            continue  # virtual tables' rows live in their shadow tables, hashed themselves
        quoted = '"' + name.replace('"', '""') + '"'
        for row in conn.execute(f"SELECT * FROM {quoted}"):
            digest.update(repr(row).encode())
            digest.update(b"\x00")
    return Fingerprint(revision, path.stat().st_size, digest.hexdigest())


def _copy(path: Path, backup_dir: Path, revision: str, key: DataKey) -> str:
    """Copy with SQLite's backup API into a private temporary file, then rename into place.

    Both ends are keyed with the data key: the pages are written encrypted, never in clear."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{path.stem}-{revision}-{stamp}"
    name = f"{base}.sqlite3"
    n = 1
    while (backup_dir / name).exists():  # two copies within a second: never overwrite one
        n += 1
        name = f"{base}-{n}.sqlite3"
    target = backup_dir / name
    partial = backup_dir / f".{name}{PARTIAL_SUFFIX}"
    touch_private_file(partial)
    try:
        src = connect_keyed(path, key)
        dst = connect_keyed(partial, key)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        _fsync(partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return name


def _fsync(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())
