"""Unlocking, locking and the passphrase of a data folder (issue 12: encrypted at rest).

`obtain_key` turns what the officer gave (`Unlock`) into the data key before the database is
opened; `SecurityService` (`usecases.security`) then locks and unlocks the open database,
changes the passphrase and manages "unlock with OS login". The keys themselves and their
wraps live in `store.keys`; this module adds the rules: a growing delay after wrong answers,
nothing written when an answer is wrong, and the messages an officer reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from referral_desk.domain.errors import DomainError, ValidationError, WrongPassphrase
from referral_desk.store.database import DB_FILENAME, Database
from referral_desk.store.engine import is_plaintext, make_private_dir
from referral_desk.store.keys import (
    LOST_BOTH,
    PRODUCTION_KDF,
    SLOT_OS_LOGIN,
    SLOT_PASSPHRASE,
    SLOT_RECOVERY,
    WRONG,
    WRONG_RECOVERY,
    DataKey,
    KdfParams,
    KeyFile,
    KeyFileError,
    Throttle,
    check_new_passphrase,
    normalise_recovery_code,
)
from referral_desk.usecases.passphrase_store import PassphraseStore

OS_LOGIN_SERVICE = "Referral Desk data key"
NO_OS_LOGIN = (
    "Unlocking with the OS login is not set up for this data folder on this computer: "
    "use the passphrase."
)
NO_KEYRING = (
    "This computer has no password store Referral Desk can use: unlock with the passphrase."
)

__all__ = [
    "SecurityService",
    "Unlock",
    "UnlockSource",
    "check_new_passphrase",
    "folder_state",
    "obtain_key",
    "os_login_configured",
    "unlock_delay",
]


@dataclass(frozen=True)
class Unlock:
    """What the officer gave to open a data folder.

    - `Unlock.passphrase(p)`: the unlock passphrase;
    - `Unlock.recovery(code, new_passphrase)`: the recovery code, and a new passphrase that
      replaces the forgotten one;
    - `Unlock.os_login()`: the secret kept in the OS credential store;
    - `Unlock.new(p)`: set-up of a folder without a key yet (new, or plaintext from before
      encryption); `kdf` is the Argon2id cost stored with the wraps (tests pass a cheap one).
    """

    kind: Literal["passphrase", "recovery", "os_login", "new"]
    secret: str = ""
    new_passphrase: str = ""
    kdf: KdfParams | None = None

    @classmethod
    def passphrase(cls, secret: str) -> Unlock:
        return cls("passphrase", secret)

    @classmethod
    def recovery(cls, code: str, new_passphrase: str) -> Unlock:
        return cls("recovery", code, new_passphrase)

    @classmethod
    def os_login(cls) -> Unlock:
        return cls("os_login")

    @classmethod
    def new(cls, passphrase: str, kdf: KdfParams | None = None) -> Unlock:
        return cls("new", passphrase, kdf=kdf)

    def __repr__(self) -> str:  # never print a secret into a log or a traceback
        return f"Unlock({self.kind!r})"


# An Unlock, or a function given `setting_up` (True when the folder has no key yet) that asks
# for one: the CLI and the window ask twice for a new passphrase, once to unlock.
UnlockSource = Unlock | Callable[[bool], Unlock]

FolderState = Literal["new", "plaintext", "encrypted"]


def folder_state(data_dir: Path) -> FolderState:
    """Whether a data folder needs set-up ("new", "plaintext": a passphrase to choose) or an
    unlock ("encrypted"). Reads nothing secret and writes nothing."""
    if KeyFile.exists_in(data_dir):
        return "encrypted"
    db = data_dir / DB_FILENAME
    if is_plaintext(db):
        return "plaintext"
    if db.is_file() and db.stat().st_size > 0:
        return "encrypted"  # the key file is missing: `obtain_key` says so
    return "new"


def unlock_delay(data_dir: Path, now: Callable[[], float] = time.time) -> float:
    """Seconds before the next unlock attempt is allowed (the dialog counts them down)."""
    return Throttle(data_dir, now).retry_after()


def os_login_configured(data_dir: Path) -> bool:
    """Was "unlock with OS login" set up for this folder (on some computer)?"""
    try:
        return SLOT_OS_LOGIN in KeyFile.load(data_dir).wraps
    except DomainError:
        return False


@dataclass
class KeyResult:
    key: DataKey
    recovery_code: str | None = None  # set-up only: shown once


def _os_store(backend: Any) -> PassphraseStore:
    return PassphraseStore(backend, service=OS_LOGIN_SERVICE)


def obtain_key(
    data_dir: Path,
    unlock: UnlockSource,
    *,
    keyring_backend: Any = None,
    now: Callable[[], float] = time.time,
) -> KeyResult:
    """The data key of `data_dir` from what the officer gave; nothing else is written.

    A wrong answer raises `WrongPassphrase` (counted, with the delay before the next try); a
    folder without a key file gets one made from `Unlock.new` (and a recovery code).
    """
    state = folder_state(data_dir)
    given = unlock(state != "encrypted") if callable(unlock) else unlock
    if state != "encrypted":
        if given.kind != "new":
            raise ValidationError(
                "This data folder has no passphrase yet: set one up first (init, or start the app)."
            )
        check_new_passphrase(given.secret)
        try:
            make_private_dir(data_dir)
        except OSError as err:
            raise DomainError("The data folder cannot be created or is not writable.") from err
        _keyfile, key, code = KeyFile.create(data_dir, given.secret, given.kdf or PRODUCTION_KDF)
        return KeyResult(key, code)
    if given.kind == "new":
        raise ValidationError(
            "This data folder already has a passphrase: unlock it with that passphrase."
        )
    keyfile = KeyFile.load(data_dir)
    throttle = Throttle(data_dir, now)
    if given.kind == "os_login":
        return KeyResult(_unwrap_os_login(keyfile, keyring_backend))
    if given.kind == "recovery":
        check_new_passphrase(given.new_passphrase)
        key = _unwrap_counted(keyfile, throttle, SLOT_RECOVERY, given.secret)
        keyfile.wrap_with_secret(
            SLOT_PASSPHRASE, key, given.new_passphrase, keyfile.kdf_of(SLOT_PASSPHRASE)
        )
        keyfile.save()
        return KeyResult(key)
    return KeyResult(_unwrap_counted(keyfile, throttle, SLOT_PASSPHRASE, given.secret))


def _unwrap_counted(keyfile: KeyFile, throttle: Throttle, slot: str, secret: str) -> DataKey:
    throttle.check()
    wrong = WRONG_RECOVERY if slot == SLOT_RECOVERY else WRONG
    if not secret:
        raise WrongPassphrase(
            "No passphrase was given. Nothing was opened or changed."
            if slot == SLOT_PASSPHRASE
            else "No recovery code was given. Nothing was opened or changed."
        )
    if slot == SLOT_RECOVERY:
        secret = normalise_recovery_code(secret)
    key = keyfile.unwrap_with_secret(slot, secret)
    if key is None:
        delay = throttle.failed()
        hint = f" Wait {int(delay)} seconds before the next try." if delay else ""
        forgot = (
            " Forgot it? Use the recovery code." if slot == SLOT_PASSPHRASE else " " + LOST_BOTH
        )
        raise WrongPassphrase(wrong + hint + forgot, retry_after=delay)
    throttle.succeeded()
    return key


def _unwrap_os_login(keyfile: KeyFile, keyring_backend: Any) -> DataKey:
    if SLOT_OS_LOGIN not in keyfile.wraps:
        raise WrongPassphrase(NO_OS_LOGIN)
    store = _os_store(keyring_backend)
    if not store.available():
        raise WrongPassphrase(NO_KEYRING)
    secret = store.get(keyfile.key_id)
    if not secret:
        raise WrongPassphrase(NO_OS_LOGIN)
    import base64

    try:
        raw = base64.b64decode(secret, validate=True)
    except ValueError:
        raise WrongPassphrase(NO_OS_LOGIN) from None
    key = keyfile.unwrap_with_raw(SLOT_OS_LOGIN, raw) if len(raw) == 32 else None
    if key is None:
        raise WrongPassphrase(NO_OS_LOGIN)
    return key


class SecurityService:
    """Lock, unlock and passphrase of the open data folder (`usecases.security`)."""

    def __init__(
        self,
        db: Database,
        data_dir: Path,
        *,
        keyring_backend: Any = None,
        now: Callable[[], float] = time.time,
        recovery_code: str | None = None,
        notices: list[str] | None = None,
    ) -> None:
        self._db = db
        self._dir = data_dir
        self._keyring = keyring_backend
        self._now = now
        self._recovery_code = recovery_code
        self.notices: list[str] = list(notices or [])
        """Things to tell the officer once after opening (the plaintext database encrypted)."""

    # --- set-up -----------------------------------------------------------------------------

    def take_recovery_code(self) -> str | None:
        """The recovery code made at set-up, once (then forgotten): show it, have it written
        down. None when this start did not set the folder up."""
        code, self._recovery_code = self._recovery_code, None
        return code

    # --- lock and unlock --------------------------------------------------------------------

    def is_locked(self) -> bool:
        return self._db.locked

    def lock(self) -> None:
        """Drop the data key (wiped) and close every connection; idempotent."""
        self._db.lock()

    def unlock(self, secret: str) -> None:
        """Unlock with the passphrase; `WrongPassphrase` (nothing changes) when it is wrong."""
        key = _unwrap_counted(self._keyfile(), self._throttle(), SLOT_PASSPHRASE, secret)
        self._take(key)

    def unlock_with_recovery_code(self, code: str, new_passphrase: str) -> None:
        """Unlock with the recovery code and replace the forgotten passphrase."""
        result = obtain_key(self._dir, Unlock.recovery(code, new_passphrase), now=self._now)
        self._take(result.key)

    def retry_after(self) -> float:
        """Seconds before the next attempt is allowed (0 when it may be made now)."""
        return self._throttle().retry_after()

    def _take(self, key: DataKey) -> None:
        if self._db.locked:
            self._db.unlock(key)
        else:
            key.wipe()

    # --- passphrase -------------------------------------------------------------------------

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-wrap the data key under `new` (seconds; the database is not re-encrypted)."""
        check_new_passphrase(new)
        keyfile = self._keyfile()
        key = _unwrap_counted(keyfile, self._throttle(), SLOT_PASSPHRASE, old)
        try:
            keyfile.wrap_with_secret(SLOT_PASSPHRASE, key, new, keyfile.kdf_of(SLOT_PASSPHRASE))
            keyfile.save()
        finally:
            key.wipe()

    # --- OS login ---------------------------------------------------------------------------

    def os_login_available(self) -> bool:
        """Does this computer have a password store the key could be kept in?"""
        return _os_store(self._keyring).available()

    def os_login_enabled(self) -> bool:
        return SLOT_OS_LOGIN in self._keyfile().wraps

    def enable_os_login(self, passphrase: str) -> None:
        """Also unlock with the OS login on this computer (for a PC that is one officer's
        alone). Asks for the passphrase: whoever finds the window unlocked cannot enable it."""
        import base64
        import secrets

        store = _os_store(self._keyring)
        if not store.available():
            raise DomainError(NO_KEYRING)
        keyfile = self._keyfile()
        key = _unwrap_counted(keyfile, self._throttle(), SLOT_PASSPHRASE, passphrase)
        try:
            kek = secrets.token_bytes(32)
            store.set(keyfile.key_id, base64.b64encode(kek).decode("ascii"))
            keyfile.wrap_with_raw(SLOT_OS_LOGIN, key, kek)
            keyfile.save()
        finally:
            key.wipe()

    def disable_os_login(self) -> None:
        keyfile = self._keyfile()
        if keyfile.wraps.pop(SLOT_OS_LOGIN, None) is not None:
            keyfile.save()
        _os_store(self._keyring).delete(keyfile.key_id)

    def unlock_with_os_login(self) -> None:
        """Unlock with the secret in the OS credential store; `WrongPassphrase` with a clear
        line when it is not set up, absent, or does not open this folder's key."""
        self._take(_unwrap_os_login(self._keyfile(), self._keyring))

    # --- helpers ------------------------------------------------------------------------------

    def _keyfile(self) -> KeyFile:
        # Read each time: another window of the same folder may have changed the passphrase.
        try:
            return KeyFile.load(self._dir)
        except KeyFileError:
            raise
        except OSError as err:  # pragma: no cover - load turns these into KeyFileError
            raise KeyFileError("The key file cannot be read.") from err

    def _throttle(self) -> Throttle:
        return Throttle(self._dir, self._now)
