"""The database's data key and the ways it is wrapped (issue 12: encrypted at rest).

The database is encrypted by SQLCipher with a random 32-byte **data key** that never changes
and is never written anywhere in the clear. The key file (`referral-desk.key`, owner-only, next
to the database) holds only *wraps* of it: the data key encrypted with AES-GCM under

- a key derived with Argon2id from the officer's unlock passphrase,
- a key derived the same way from the recovery code shown once at set-up,
- optionally a random secret kept in the OS credential store ("unlock with OS login").

The Argon2id parameters are stored with each wrap, so they can be raised later and tests can
use cheap ones. Changing the passphrase replaces one wrap (seconds); the database itself is
never re-encrypted. The key file holds no personal data: without a passphrase or the recovery
code it is useless, and without it the database is unreadable.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from referral_desk.domain.errors import DomainError, WrongPassphrase
from referral_desk.domain.passphrase import MIN_LENGTH
from referral_desk.files import FileMissing, NotRegularFile, read_regular, write_atomically

KEY_FILENAME = "referral-desk.key"
ATTEMPTS_FILENAME = "unlock-attempts.json"
KEY_BYTES = 32
FORMAT = 1
_MAX_KEY_FILE_BYTES = 16 * 1024
_NONCE_BYTES = 12

SLOT_PASSPHRASE = "passphrase"
SLOT_RECOVERY = "recovery"
SLOT_OS_LOGIN = "os-login"

MIN_PASSPHRASE_CHARS = MIN_LENGTH  # the same rule as the team passphrase (domain.passphrase)
MAX_PASSPHRASE_CHARS = 1024

LOST_BOTH = (
    "Without the passphrase or the recovery code the data on this computer cannot be opened: "
    "the local copy is lost. The team's data can be restored from the shared sync store into "
    "a new data folder."
)
WRONG = "The passphrase is not right. Nothing was opened or changed."
WRONG_RECOVERY = "The recovery code is not right. Nothing was opened or changed."


class KeyFileError(DomainError):
    """The key file is missing, damaged or from an unknown version; nothing was changed."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. Production: 64 MiB, 3 passes, 4 lanes (OWASP's first recommendation is
    19 MiB/t=2; this is stronger and still well under a second on an office PC)."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def derive(self, secret: str, salt: bytes) -> bytearray:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        kdf = Argon2id(
            salt=salt,
            length=KEY_BYTES,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        )
        return bytearray(kdf.derive(secret.encode("utf-8")))

    def checked(self) -> KdfParams:
        """Refuse parameters no honest key file holds (a crafted file must not cost 100 GiB)."""
        if not (8 * self.lanes <= self.memory_kib <= 4 * 1024 * 1024):
            raise KeyFileError("The key file is damaged: nothing was opened.")
        if not (1 <= self.iterations <= 64 and 1 <= self.lanes <= 64):
            raise KeyFileError("The key file is damaged: nothing was opened.")
        return self


PRODUCTION_KDF = KdfParams()
# For tests only: the stored parameters decide the cost of every later unlock.
CHEAP_KDF = KdfParams(memory_kib=64, iterations=1, lanes=1)


class DataKey:
    """The data key in memory: a bytearray so `wipe` can overwrite it in place.

    Python may have copied it elsewhere (the PRAGMA text SQLCipher is given); wiping is what
    Python allows, and the connections holding the key are closed when the data is locked.
    """

    def __init__(self, raw: bytes | bytearray) -> None:
        if len(raw) != KEY_BYTES:
            raise ValueError("a data key is 32 bytes")
        self._raw: bytearray | None = bytearray(raw)

    @classmethod
    def generate(cls) -> DataKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @property
    def wiped(self) -> bool:
        return self._raw is None

    def raw(self) -> bytearray:
        if self._raw is None:
            raise ValueError("the data key was wiped")
        return self._raw

    def pragma(self) -> str:
        """`PRAGMA key` for a raw key: SQLCipher then skips its own (slow) key derivation."""
        return f"PRAGMA key = \"x'{self.raw().hex()}'\""

    def copy(self) -> DataKey:
        return DataKey(self.raw())

    def wipe(self) -> None:
        if self._raw is not None:
            for i in range(len(self._raw)):
                self._raw[i] = 0
            self._raw = None


def _b64(data: bytes | bytearray) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str) or len(text) > 4096:
        raise KeyFileError("The key file is damaged: nothing was opened.")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise KeyFileError("The key file is damaged: nothing was opened.") from None


def normalise_recovery_code(code: str) -> str:
    """Upper case, no spaces or dashes: the code can be typed as it was written down."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_recovery_code() -> str:
    """160 random bits as 32 base-32 characters in groups of four (no 0/1/8/9 confusion:
    RFC 4648's alphabet has none of 0, 1, 8, 9)."""
    raw = base64.b32encode(secrets.token_bytes(20)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def check_new_passphrase(passphrase: str) -> None:
    from referral_desk.domain.errors import ValidationError

    if not passphrase or not passphrase.strip():
        raise ValidationError("The passphrase is empty: choose one of at least 8 characters.")
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise ValidationError(
            f"The passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters."
        )
    if len(passphrase) > MAX_PASSPHRASE_CHARS:
        raise ValidationError("The passphrase is too long.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in passphrase):
        raise ValidationError("The passphrase holds a control character.")


class KeyFile:
    """The key file of one data folder: its wraps, read and written whole (atomic, 0600)."""

    def __init__(self, path: Path, key_id: str, wraps: dict[str, dict[str, Any]]) -> None:
        self.path = path
        self.key_id = key_id
        self.wraps = wraps

    # --- reading and writing -------------------------------------------------------------

    @classmethod
    def path_in(cls, data_dir: Path) -> Path:
        return data_dir / KEY_FILENAME

    @classmethod
    def exists_in(cls, data_dir: Path) -> bool:
        return cls.path_in(data_dir).exists()

    @classmethod
    def load(cls, data_dir: Path) -> KeyFile:
        path = cls.path_in(data_dir)
        try:
            # A regular file only, bounded, and never blocking on a FIFO planted in its place.
            raw = read_regular(path, _MAX_KEY_FILE_BYTES, follow_symlinks=True)
        except (FileMissing, NotRegularFile):
            raise KeyFileError(
                "The key file (referral-desk.key) is missing from the data folder, so the "
                "database cannot be opened. " + LOST_BOTH
            ) from None
        except OSError:
            raise KeyFileError("The key file cannot be read: nothing was opened.") from None
        if raw is None:
            raise KeyFileError("The key file is damaged: nothing was opened.")
        try:
            data = json.loads(raw)
        except ValueError:
            raise KeyFileError("The key file is damaged: nothing was opened.") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KeyFileError(
                "The key file is from another version of Referral Desk: nothing was opened."
            )
        wraps = data.get("wraps")
        key_id = data.get("id")
        if not isinstance(wraps, dict) or not isinstance(key_id, str) or len(key_id) > 64:
            raise KeyFileError("The key file is damaged: nothing was opened.")
        if SLOT_PASSPHRASE not in wraps:
            raise KeyFileError("The key file is damaged: nothing was opened.")
        return cls(path, key_id, {k: v for k, v in wraps.items() if isinstance(v, dict)})

    def save(self) -> None:
        body = {"format": FORMAT, "id": self.key_id, "wraps": self.wraps}
        try:
            write_atomically(self.path, json.dumps(body, indent=1).encode("ascii"))
        except OSError:
            raise KeyFileError(
                "The key file could not be written (is the disk full or read-only?); "
                "nothing was changed."
            ) from None

    @classmethod
    def create(
        cls, data_dir: Path, passphrase: str, kdf: KdfParams = PRODUCTION_KDF
    ) -> tuple[KeyFile, DataKey, str]:
        """A new data key wrapped by `passphrase` and by a new recovery code (returned once).

        The file is written before any database is encrypted with the key: a crash in
        between leaves a key file and a database still to create, never the reverse.
        """
        check_new_passphrase(passphrase)
        key = DataKey.generate()
        code = new_recovery_code()
        keyfile = cls(cls.path_in(data_dir), str(uuid.uuid4()), {})
        keyfile.wrap_with_secret(SLOT_PASSPHRASE, key, passphrase, kdf)
        keyfile.wrap_with_secret(SLOT_RECOVERY, key, normalise_recovery_code(code), kdf)
        keyfile.save()
        return keyfile, key, code

    # --- wraps ----------------------------------------------------------------------------

    def _aad(self, slot: str) -> bytes:
        return f"referral-desk data key {self.key_id} {slot}".encode()

    def wrap_with_secret(self, slot: str, key: DataKey, secret: str, kdf: KdfParams) -> None:
        salt = secrets.token_bytes(16)
        kek = kdf.derive(secret, salt)
        try:
            self.wraps[slot] = {"kdf": "argon2id", "salt": _b64(salt), **asdict(kdf)}
            self.wraps[slot].update(self._seal(slot, kek, key))
        finally:
            _zero(kek)

    def wrap_with_raw(self, slot: str, key: DataKey, kek: bytes) -> None:
        self.wraps[slot] = self._seal(slot, bytearray(kek), key)

    def unwrap_with_secret(self, slot: str, secret: str) -> DataKey | None:
        """The data key, or None when `secret` is not the one this slot was wrapped with."""
        wrap = self.wraps.get(slot)
        if wrap is None:
            return None
        if wrap.get("kdf") != "argon2id":
            raise KeyFileError("The key file is damaged: nothing was opened.")
        try:
            kdf = KdfParams(int(wrap["memory_kib"]), int(wrap["iterations"]), int(wrap["lanes"]))
        except (KeyError, TypeError, ValueError):
            raise KeyFileError("The key file is damaged: nothing was opened.") from None
        kek = kdf.checked().derive(secret, _unb64(wrap.get("salt")))
        try:
            return self._open(slot, kek, wrap)
        finally:
            _zero(kek)

    def unwrap_with_raw(self, slot: str, kek: bytes) -> DataKey | None:
        wrap = self.wraps.get(slot)
        return None if wrap is None else self._open(slot, bytearray(kek), wrap)

    def kdf_of(self, slot: str) -> KdfParams:
        wrap = self.wraps[slot]
        return KdfParams(int(wrap["memory_kib"]), int(wrap["iterations"]), int(wrap["lanes"]))

    def _seal(self, slot: str, kek: bytearray, key: DataKey) -> dict[str, str]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(bytes(kek)).encrypt(nonce, bytes(key.raw()), self._aad(slot))
        return {"nonce": _b64(nonce), "ct": _b64(sealed)}

    def _open(self, slot: str, kek: bytearray, wrap: dict[str, Any]) -> DataKey | None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce, sealed = _unb64(wrap.get("nonce")), _unb64(wrap.get("ct"))
        if len(nonce) != _NONCE_BYTES or len(kek) != KEY_BYTES:
            raise KeyFileError("The key file is damaged: nothing was opened.")
        try:
            raw = bytearray(AESGCM(bytes(kek)).decrypt(nonce, sealed, self._aad(slot)))
        except InvalidTag:
            return None
        try:
            return DataKey(raw) if len(raw) == KEY_BYTES else None
        finally:
            _zero(raw)


def _zero(buf: bytearray) -> None:
    for i in range(len(buf)):
        buf[i] = 0


# --- the growing delay after wrong passphrases ---------------------------------------------

FREE_ATTEMPTS = 3
MAX_DELAY_S = 300.0


def delay_after(failures: int) -> float:
    """Seconds to wait after `failures` wrong answers in a row: none for the first three
    (typos), then 2, 4, 8… up to five minutes. Online guessing of even a weak passphrase then
    takes years; an officer who mistypes a few times waits seconds."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_DELAY_S, 2.0 ** min(failures - FREE_ATTEMPTS + 1, 16))


class Throttle:
    """Wrong-passphrase count and time, persisted (owner-only) so restarting does not reset it.

    `now` is wall-clock seconds (a restart must not reset it either); tests pass their own.
    """

    def __init__(self, data_dir: Path, now: Callable[[], float] = time.time) -> None:
        self.path = data_dir / ATTEMPTS_FILENAME
        self._now = now

    def _read(self) -> tuple[int, float]:
        try:
            raw = read_regular(self.path, 1024, follow_symlinks=True)
            if raw is None:
                return 0, 0.0
            data = json.loads(raw)
            return max(0, int(data["failures"])), float(data["last"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0, 0.0

    def retry_after(self) -> float:
        failures, last = self._read()
        wait = delay_after(failures) - (self._now() - last)
        return max(0.0, min(wait, MAX_DELAY_S))

    def check(self) -> None:
        """Refuse (without trying the secret) while the delay runs."""
        wait = self.retry_after()
        if wait > 0:
            raise WrongPassphrase(
                f"Too many wrong attempts: wait {int(wait + 0.999)} seconds, then try again.",
                retry_after=wait,
            )

    def failed(self) -> float:
        """Count one wrong answer; returns the delay before the next attempt."""
        failures, _last = self._read()
        failures += 1
        try:
            body = json.dumps({"failures": failures, "last": self._now()}).encode()
            write_atomically(self.path, body)
        except OSError:
            pass  # a read-only folder: the delay then lasts for this run only
        return delay_after(failures)

    def succeeded(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError:
            pass
