"""One data key and passphrase for every test database (issue 12: databases are encrypted).

Every database the tests make is encrypted with `FIXED_KEY`, wrapped in a key file with the
cheap Argon2id cost (the cost is stored per key file, so unlocking it stays fast). A test may
then copy a database file alone into a new folder (`open_test_services` writes the key file)
and read or damage it with a raw connection (`connect`), as the tests did with sqlite3.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keyring.backend import KeyringBackend

from referral_desk.store.engine import connect_keyed
from referral_desk.store.keys import (
    CHEAP_KDF,
    SLOT_PASSPHRASE,
    SLOT_RECOVERY,
    DataKey,
    KeyFile,
    normalise_recovery_code,
)
from referral_desk.usecases.base import Clock
from referral_desk.usecases.security import Unlock

TEST_PASSPHRASE = "correct horse battery staple"
TEST_RECOVERY_CODE = "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"
FIXED_KEY = bytes(range(32))
TEST_UNLOCK = Unlock.passphrase(TEST_PASSPHRASE)


def fixed_key() -> DataKey:
    """A fresh holder of the tests' data key (a database wipes the one it was given)."""
    return DataKey(FIXED_KEY)


def write_key_file(folder: Path) -> None:
    """The key file of `FIXED_KEY` under `TEST_PASSPHRASE` (cheap KDF), unless one is there."""
    if KeyFile.exists_in(folder):
        return
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    keyfile = KeyFile(KeyFile.path_in(folder), "tests-key", {})
    keyfile.wrap_with_secret(SLOT_PASSPHRASE, fixed_key(), TEST_PASSPHRASE, CHEAP_KDF)
    keyfile.wrap_with_secret(
        SLOT_RECOVERY, fixed_key(), normalise_recovery_code(TEST_RECOVERY_CODE), CHEAP_KDF
    )
    keyfile.save()


def open_test_services(folder: Path, clock: Clock | None = None, **kwargs: Any) -> Any:
    """`open_services` on `folder` with the tests' key (its key file written if missing)."""
    from referral_desk.usecases.app_services import open_services

    write_key_file(folder)
    return open_services(folder, clock, unlock=TEST_UNLOCK, **kwargs)


def open_test_database(folder: Path, **kwargs: Any) -> Any:
    """`Database.open` with the tests' key."""
    from referral_desk.store.database import Database

    return Database.open(folder, key=fixed_key(), **kwargs)


def connect(path: Path | str, **kwargs: Any) -> Any:
    """A raw sqlcipher3 connection to a test database (what `sqlite3.connect` was)."""
    timeout = kwargs.pop("timeout", 5.0)
    return connect_keyed(Path(path), fixed_key(), timeout_s=timeout, **kwargs)


def unlock_source(passphrase: str = TEST_PASSPHRASE) -> Callable[[bool], Unlock]:
    """Set up a new folder (cheap KDF) or unlock an existing one with `passphrase`."""

    def ask(setting_up: bool) -> Unlock:
        if setting_up:
            return Unlock.new(passphrase, kdf=CHEAP_KDF)
        return Unlock.passphrase(passphrase)

    return ask


def keyed_engine(path: Path, **kwargs: Any) -> Any:
    """`create_sqlite_engine` keyed with the tests' key."""
    from referral_desk.store.engine import KeyHolder, create_sqlite_engine

    return create_sqlite_engine(path, KeyHolder(fixed_key()), **kwargs)


def keyed_database(path: Path, **kwargs: Any) -> Any:
    """A `Database` over an existing file, on its own engine (tests of several windows)."""
    from referral_desk.store.database import Database
    from referral_desk.store.engine import KeyHolder, create_sqlite_engine

    keys = KeyHolder(fixed_key())
    return Database(path, create_sqlite_engine(path, keys, **kwargs), keys)


PAGE = 4096  # SQLCipher 4 defaults: 4 kB pages, 16-byte IV + 64-byte HMAC reserved per page
_RESERVE = 80
_WAL_HEADER, _FRAME_HEADER = 32, 24


def _decrypt_page(page: bytes, number_one: bool) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    start = 16 if number_one else 0  # page 1 begins with the file's plaintext salt
    body, iv = page[start : PAGE - _RESERVE], page[PAGE - _RESERVE : PAGE - _RESERVE + 16]
    dec = Cipher(algorithms.AES(FIXED_KEY), modes.CBC(iv)).decryptor()
    return dec.update(body) + dec.finalize()


def decrypted_bytes(path: Path) -> bytes:
    """Every page of a test database file and its WAL, decrypted with the tests' key: what
    someone holding the key could read, free pages and old log frames included (erasure
    tests check that deleted text is gone from these too)."""
    out = []
    if path.exists():
        data = path.read_bytes()
        for n in range(len(data) // PAGE):
            out.append(_decrypt_page(data[n * PAGE : (n + 1) * PAGE], n == 0))
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        data = wal.read_bytes()
        pos = _WAL_HEADER
        while pos + _FRAME_HEADER + PAGE <= len(data):
            pgno = int.from_bytes(data[pos : pos + 4], "big")
            frame = data[pos + _FRAME_HEADER : pos + _FRAME_HEADER + PAGE]
            out.append(_decrypt_page(frame, pgno == 1))
            pos += _FRAME_HEADER + PAGE
    return b"".join(out)


PLAINTEXT_NOTE = "Owes money to the Zarquon brothers"


def plaintext_folder(folder: Path) -> Path:
    from referral_desk.store.database import DB_FILENAME

    """A data folder as the previous version left it: plain SQLite at the newest schema with a
    person, a plaintext backup copy, and a WAL holding the latest change (the app was killed).

    The rows are written by today's code and the file exported to plain SQLite: the same
    schema and values the previous version wrote, without keeping that version around.
    """
    source = folder.parent / "source"
    services = open_test_services(source)
    person = services.people.add(
        given_name="Zebedee", family_name="Quartermain", date_of_birth="1980-01-01", crn="X765432"
    )
    services.needs.log(person.id, "finance", PLAINTEXT_NOTE)
    services.close()
    folder.mkdir()
    path = folder / DB_FILENAME
    conn = connect(source / DB_FILENAME, isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(path),))
    conn.execute("SELECT sqlcipher_export('plain')").fetchall()
    conn.execute("DETACH DATABASE plain")
    conn.close()
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    (folder / "backups").mkdir()
    shutil.copy2(path, folder / "backups" / "referral-desk-0008-20260101-120000.sqlite3")
    live = sqlite3.connect(path)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("UPDATE need SET description = description || ' (in the log)'")
    live.commit()
    crashed = folder.parent / "crashed"
    crashed.mkdir()
    for name in (DB_FILENAME, DB_FILENAME + "-wal"):  # copied while open: the log is not empty
        shutil.copy2(folder / name, crashed / name)
    live.close()
    shutil.copytree(folder / "backups", crashed / "backups")
    shutil.rmtree(folder)
    assert b"(in the log)" in (crashed / (DB_FILENAME + "-wal")).read_bytes()
    return crashed


class MemoryKeyring(KeyringBackend):
    """An OS credential store that lives in memory (keyring's own backend interface)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("none")
