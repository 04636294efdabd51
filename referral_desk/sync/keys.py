"""Keys for sync bundles: a strong KDF once, cheap per-bundle keys after that.

The team passphrase goes through scrypt (memory-hard, so guessing a stolen USB file's passphrase
is slow). scrypt at n=2**15 costs ~0.2 s, so a daily sync of ten colleagues' bundles must not pay
it ten times: a shared store has one salt for everyone (kept in the store's settings file), and
derived master keys are cached in-process per (salt, parameters, passphrase). Each bundle then
gets its own AES-256 key from the master key with HKDF and the bundle id, so one key never
encrypts more than one file and random nonces never repeat under a key.

Derived keys are never written to disk.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from referral_desk.domain.errors import DomainError
from referral_desk.domain.passphrase import MIN_LENGTH as MIN_PASSPHRASE

SALT_BYTES = 16
KEY_BYTES = 32


class PassphraseError(DomainError):
    """The passphrase is missing or unusable (never echoes it)."""


@dataclass(frozen=True)
class KdfParams:
    """scrypt cost parameters, written into every bundle header so they can be raised later."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    def to_dict(self) -> dict[str, object]:
        return {"alg": "scrypt", "n": self.n, "r": self.r, "p": self.p}

    @classmethod
    def from_dict(cls, data: object) -> KdfParams | None:
        """Only parameter sets this version accepts (the header is read before it can be
        authenticated, so a forged one must not make us allocate gigabytes)."""
        if not isinstance(data, dict) or data.get("alg") != "scrypt":
            return None
        n, r, p = data.get("n"), data.get("r"), data.get("p")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, r, p)):
            return None
        if n not in ALLOWED_N or r != 8 or p != 1:
            return None
        return cls(n=n, r=r, p=p)


ALLOWED_N = frozenset({2**14, 2**15, 2**16, 2**17})
DEFAULT_KDF = KdfParams()


def normalise_passphrase(passphrase: str) -> bytes:
    """NFC so the same passphrase typed on different keyboards/OSes gives the same key."""
    if passphrase is None or not passphrase.strip():
        raise PassphraseError("No passphrase was given for the sync files.")
    text = unicodedata.normalize("NFC", passphrase)
    if len(text) < MIN_PASSPHRASE:
        raise PassphraseError(
            f"The team passphrase must be at least {MIN_PASSPHRASE} characters long."
        )
    return text.encode("utf-8")


def derive_master(passphrase: str, salt: bytes, params: KdfParams = DEFAULT_KDF) -> bytes:
    """The slow step: scrypt(passphrase, salt)."""
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p)
    return kdf.derive(normalise_passphrase(passphrase))


def subkey(master: bytes, purpose: bytes, context: bytes) -> bytes:
    """A fast per-use key (HKDF-SHA256) bound to its purpose and context (e.g. a bundle id)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose + b"\x00" + context
    ).derive(master)


class KeyCache:
    """In-process cache of master keys; one per service instance (no global state)."""

    def __init__(self) -> None:
        self._keys: dict[tuple[bytes, KdfParams, bytes], bytes] = {}

    def master(self, passphrase: str, salt: bytes, params: KdfParams = DEFAULT_KDF) -> bytes:
        pw = normalise_passphrase(passphrase)
        # Key the cache by a digest, so the dict never holds the passphrase itself.
        tag = hmac.new(salt, pw, hashlib.sha256).digest()
        key = (salt, params, tag)
        found = self._keys.get(key)
        if found is None:
            found = derive_master(passphrase, salt, params)
            self._keys[key] = found
        return found

    def clear(self) -> None:
        self._keys.clear()
