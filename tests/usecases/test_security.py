"""Issue 12, encrypted at rest: the data key, its wraps, unlocking, locking and the delay.

Each attack named in the issue fails cleanly here: a wrong or empty passphrase, a database
copied without its key, a database from before encryption, a forgotten passphrase.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from keyring.backends import fail
from unlocking import (
    TEST_PASSPHRASE,
    TEST_RECOVERY_CODE,
    TEST_UNLOCK,
    MemoryKeyring,
    decrypted_bytes,
    fixed_key,
    open_test_services,
    plaintext_folder,
    unlock_source,
)

from referral_desk.domain.errors import DataLocked, DomainError, ValidationError, WrongPassphrase
from referral_desk.store import encryption
from referral_desk.store.database import DB_FILENAME
from referral_desk.store.keys import (
    ATTEMPTS_FILENAME,
    CHEAP_KDF,
    KEY_FILENAME,
    KeyFile,
    KeyFileError,
    delay_after,
)
from referral_desk.usecases.app_services import open_services
from referral_desk.usecases.security import Unlock, folder_state

NAME = "Zebedee Quartermain"
NOTE = "Owes money to the Zarquon brothers"


class Clock:
    """Wall-clock seconds for the wrong-passphrase delay, moved by hand."""

    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def _with_a_person(services: Any) -> str:
    person = services.people.add(
        given_name="Zebedee", family_name="Quartermain", date_of_birth="1980-01-01", crn="X765432"
    )
    services.needs.log(person.id, "finance", NOTE)
    return person.id


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith("-shm")
    }


def _digest(folder: Path) -> dict[str, str]:
    return {k: hashlib.sha256(v).hexdigest() for k, v in _files(folder).items()}


def _set_up(folder: Path, passphrase: str = TEST_PASSPHRASE, **kwargs: Any) -> Any:
    return open_services(folder, unlock=Unlock.new(passphrase, kdf=CHEAP_KDF), **kwargs)


# --- at rest -------------------------------------------------------------------------------


def test_no_plaintext_in_the_file_its_wal_or_a_backup(app: Any, tmp_path: Path) -> None:
    _with_a_person(app)
    folder = app.data_path.parent
    wal = Path(f"{app.data_path}-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the log holds the new rows, unflushed
    (folder / "backups").mkdir(exist_ok=True)
    from referral_desk.store.backups import backup_before_upgrade

    backup_before_upgrade(app.data_path, folder / "backups", "0009", key=fixed_key(), keep=3)
    on_disk = b"".join(_files(folder).values())
    for text in (NAME.split()[1], "Zarquon", "X765432"):
        assert text.encode() not in on_disk
        assert text.encode("utf-16-le") not in on_disk
    # The test would see them if they were there: decrypted, the pages hold them.
    assert b"Quartermain" in decrypted_bytes(app.data_path)


def test_a_database_copied_without_its_key_cannot_be_read(app: Any, tmp_path: Path) -> None:
    _with_a_person(app)
    app.db.checkpoint()
    elsewhere = tmp_path / "other-pc"
    elsewhere.mkdir()
    shutil.copy2(app.data_path, elsewhere / DB_FILENAME)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(elsewhere / DB_FILENAME).execute("SELECT * FROM person").fetchall()
    before = _digest(elsewhere)
    with pytest.raises(KeyFileError, match="key file") as refused:
        open_services(elsewhere, unlock=TEST_UNLOCK)
    assert "shared sync store" in str(refused.value)
    assert _digest(elsewhere) == before


def test_a_database_copied_with_its_key_file_still_needs_the_passphrase(
    app: Any, tmp_path: Path
) -> None:
    _with_a_person(app)
    app.close()
    elsewhere = shutil.copytree(app.data_path.parent, tmp_path / "other-pc")
    before = _digest(elsewhere)
    with pytest.raises(WrongPassphrase, match="not right"):
        open_services(elsewhere, unlock=Unlock.passphrase("guessing wrongly"))
    after = _digest(elsewhere)
    assert after.pop(ATTEMPTS_FILENAME)  # the failure is counted, nothing else is written
    assert after == before


@pytest.mark.parametrize("secret", ["", "not it at all"])
def test_a_wrong_or_empty_passphrase_writes_nothing(app: Any, secret: str) -> None:
    folder = app.data_path.parent
    app.close()
    before = _digest(folder)
    with pytest.raises(WrongPassphrase) as refused:
        open_services(folder, unlock=Unlock.passphrase(secret))
    assert len(str(refused.value).splitlines()) == 1
    after = _digest(folder)
    after.pop(ATTEMPTS_FILENAME, None)
    assert after == before


def test_an_empty_or_short_new_passphrase_sets_nothing_up(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    for secret in ("", "   ", "short"):
        with pytest.raises(ValidationError):
            open_services(folder, unlock=Unlock.new(secret, kdf=CHEAP_KDF))
    assert not folder.exists()


def test_key_and_attempt_files_are_owner_only(tmp_path: Path) -> None:
    services = _set_up(tmp_path / "d")
    services.security.lock()
    with pytest.raises(WrongPassphrase):
        services.security.unlock("not the passphrase")
    services.close()
    for name in (KEY_FILENAME, ATTEMPTS_FILENAME, DB_FILENAME):
        assert stat.S_IMODE((tmp_path / "d" / name).stat().st_mode) == 0o600


def test_a_damaged_or_hostile_key_file_is_one_clear_line(app: Any) -> None:
    folder = app.data_path.parent
    app.close()
    keyfile = folder / KEY_FILENAME
    good = keyfile.read_text()
    hostile = good.replace('"memory_kib": 64', '"memory_kib": 99999999')
    for text in ("{not json", '{"format": 99}', hostile, "x" * 100_000):
        keyfile.write_text(text)
        with pytest.raises(KeyFileError) as refused:
            open_services(folder, unlock=TEST_UNLOCK)
        assert len(str(refused.value).splitlines()) == 1


# --- a database from before encryption -------------------------------------------------------


def test_a_plaintext_database_is_encrypted_when_opened(tmp_path: Path) -> None:
    folder = plaintext_folder(tmp_path / "old")
    assert folder_state(folder) == "plaintext"
    with pytest.raises(ValidationError, match="no passphrase yet"):
        open_services(folder, unlock=TEST_UNLOCK)  # an unlock is not a set-up
    services = _set_up(folder)
    try:
        assert [p.family_name for p in services.people.list()] == ["Quartermain"]
        person = services.people.list()[0]
        assert [n.description for n in services.needs.list(person.id)] == [NOTE + " (in the log)"]
        assert services.security.take_recovery_code()
        assert len(services.security.notices) == 1
        assert "now encrypted" in services.security.notices[0]
        assert "1 older backup copy encrypted" in services.security.notices[0]
    finally:
        services.close()
    on_disk = b"".join(_files(folder).values())
    assert b"Quartermain" not in on_disk and b"X765432" not in on_disk
    assert b"SQLite format 3" not in on_disk
    leftovers = [
        p.name for p in folder.iterdir() if "plaintext" in p.name or "encrypting" in p.name
    ]
    assert leftovers == []
    assert folder_state(folder) == "encrypted"
    again = open_services(folder, unlock=TEST_UNLOCK)
    try:
        assert again.security.notices == []
    finally:
        again.close()


def test_a_migration_cut_short_is_finished_or_undone(tmp_path: Path) -> None:
    # Killed after the encrypted copy took the file's place: the plaintext aside is shredded.
    services = _set_up(tmp_path / "a")
    services.close()
    path = tmp_path / "a" / DB_FILENAME
    aside = encryption.aside_path(path)
    aside.write_bytes(b"SQLite format 3\x00" + b"Quartermain" * 100)
    encryption.finish_interrupted(path)
    assert not aside.exists()
    # Killed before: the plaintext file is put back, to be encrypted again.
    folder = plaintext_folder(tmp_path / "b")
    path = folder / DB_FILENAME
    os.replace(path, encryption.aside_path(path))
    encryption.finish_interrupted(path)
    assert path.exists() and not encryption.aside_path(path).exists()
    services = _set_up(folder)
    try:
        assert len(services.people.list()) == 1
    finally:
        services.close()


# --- recovery, passphrase change, OS login ----------------------------------------------------


def test_the_recovery_code_replaces_a_forgotten_passphrase(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    services = _set_up(folder)
    code = services.security.take_recovery_code()
    assert code and services.security.take_recovery_code() is None  # shown once
    _with_a_person(services)
    services.close()
    typed = code.lower().replace("-", " ")  # as written down: case and spacing do not matter
    with pytest.raises(WrongPassphrase, match="recovery code is not right"):
        open_services(folder, unlock=Unlock.recovery("AAAA" + typed[4:][::-1], "a new phrase 1"))
    services = open_services(folder, unlock=Unlock.recovery(typed, "a new phrase 1"))
    try:
        assert len(services.people.list()) == 1
        services.security.lock()
        with pytest.raises(WrongPassphrase):
            services.security.unlock(TEST_PASSPHRASE)
        services.security.unlock("a new phrase 1")
        assert len(services.people.list()) == 1
    finally:
        services.close()


def test_the_recovery_code_unlocks_a_locked_window(app: Any) -> None:
    app.security.lock()
    app.security.unlock_with_recovery_code(TEST_RECOVERY_CODE, "brand new phrase")
    assert not app.security.is_locked()
    app.security.lock()
    app.security.unlock("brand new phrase")


def test_changing_the_passphrase_rewraps_without_re_encrypting(app: Any) -> None:
    _with_a_person(app)
    app.db.checkpoint()
    before = app.data_path.read_bytes()
    with pytest.raises(WrongPassphrase):
        app.security.change_passphrase("not the old one", "the new passphrase")
    with pytest.raises(ValidationError):
        app.security.change_passphrase(TEST_PASSPHRASE, "short")
    app.security.change_passphrase(TEST_PASSPHRASE, "the new passphrase")
    assert app.data_path.read_bytes() == before  # the database was not touched
    app.security.lock()
    with pytest.raises(WrongPassphrase):
        app.security.unlock(TEST_PASSPHRASE)
    app.security.unlock("the new passphrase")
    assert len(app.people.list()) == 1


def test_os_login_unlocks_once_enabled_with_the_passphrase(app: Any) -> None:
    ring = MemoryKeyring()
    folder = app.data_path.parent
    app.close()
    services = open_test_services(folder, keyring_backend=ring)
    try:
        assert not services.security.os_login_enabled()
        with pytest.raises(WrongPassphrase, match="not set up"):
            services.security.unlock_with_os_login()
        with pytest.raises(WrongPassphrase):
            services.security.enable_os_login("not the passphrase")
        services.security.enable_os_login(TEST_PASSPHRASE)
        assert services.security.os_login_enabled()
        assert len(ring.items) == 1 and TEST_PASSPHRASE not in next(iter(ring.items.values()))
        services.security.lock()
        services.security.unlock_with_os_login()
        assert not services.security.is_locked()
    finally:
        services.close()
    reopened = open_services(folder, unlock=Unlock.os_login(), keyring_backend=ring)
    reopened.close()
    with pytest.raises(WrongPassphrase, match="not set up"):  # another PC: its store is empty
        open_services(folder, unlock=Unlock.os_login(), keyring_backend=MemoryKeyring())
    with pytest.raises(WrongPassphrase, match="no password store"):
        open_services(folder, unlock=Unlock.os_login(), keyring_backend=fail.Keyring())
    services = open_services(folder, unlock=TEST_UNLOCK, keyring_backend=ring)
    try:
        services.security.disable_os_login()
        assert not services.security.os_login_enabled() and ring.items == {}
    finally:
        services.close()


# --- locking and the delay ---------------------------------------------------------------


def test_locked_data_refuses_every_read_and_write(app: Any) -> None:
    key = app.db.keys.current()
    app.security.lock()
    app.security.lock()  # idempotent
    assert app.security.is_locked() and key.wiped
    with pytest.raises(DataLocked):
        app.people.list()
    with pytest.raises(DataLocked):
        _with_a_person(app)
    app.security.unlock(TEST_PASSPHRASE)
    assert app.people.list() == []


def test_a_connection_held_while_locking_is_closed_when_given_back(app: Any) -> None:
    """The worker may be mid-read when the window locks: its connection (holding the key in
    SQLCipher's memory) must be closed when it is returned, not kept by the old pool."""
    held = app.db.engine.connect()
    raw = held.connection.dbapi_connection
    app.security.lock()
    held.close()
    with pytest.raises(Exception, match="closed"):
        raw.execute("SELECT 1")


def test_the_delay_grows_after_repeated_failures_and_survives_a_restart(app: Any) -> None:
    folder = app.data_path.parent
    now = Clock()
    app.close()
    services = open_test_services(folder, now=now)
    security = services.security
    security.lock()
    waits: list[float] = []
    for _ in range(5):
        now.t += waits[-1] if waits else 0  # wait as told
        with pytest.raises(WrongPassphrase) as wrong:
            security.unlock("wrong passphrase")
        waits.append(wrong.value.retry_after)
    assert waits == [0, 0, 2, 4, 8]
    with pytest.raises(WrongPassphrase, match="wait") as early:
        security.unlock(TEST_PASSPHRASE)  # during the delay even the right one is not tried
    assert early.value.retry_after == 8 and security.retry_after() == early.value.retry_after
    services.close()
    with pytest.raises(WrongPassphrase, match="wait"):  # restarting does not reset it
        open_services(folder, unlock=TEST_UNLOCK, now=now)
    now.t += 8
    services = open_services(folder, unlock=TEST_UNLOCK, now=now)
    try:
        assert services.security.retry_after() == 0  # success resets the count
        assert not (folder / ATTEMPTS_FILENAME).exists()
    finally:
        services.close()


@given(st.integers(min_value=0, max_value=10_000))
def test_the_delay_never_shrinks_and_is_capped(failures: int) -> None:
    assert delay_after(failures) <= delay_after(failures + 1) <= 300


def test_a_new_folder_gets_a_key_file_and_a_recovery_code(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    assert folder_state(folder) == "new"
    services = open_services(folder, unlock=unlock_source())
    try:
        assert folder_state(folder) == "encrypted"
        assert KeyFile.load(folder).kdf_of("passphrase") == CHEAP_KDF
        assert services.security.take_recovery_code()
    finally:
        services.close()
    with pytest.raises(DomainError, match="already has a passphrase"):
        open_services(folder, unlock=Unlock.new("another passphrase", kdf=CHEAP_KDF))


def test_an_unlock_repr_never_shows_the_secret() -> None:
    assert TEST_PASSPHRASE not in repr(Unlock.passphrase(TEST_PASSPHRASE))
    assert "secret" not in repr(Unlock.recovery("secret", "secret2"))
