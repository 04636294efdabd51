"""The team passphrase remembered in the operating system's password store (DESIGN.md §6).

Officers type the team passphrase once per machine; where the OS has a real password store
(Windows Credential Manager, macOS Keychain, the Secret Service on Linux) it is kept there, under
the service name "Referral Desk" and this installation's site id, and never in Referral Desk's
own files. Where there is none (a locked-down prison PC, a headless test box) nothing is stored
and the UI asks each time: a plaintext fallback would defeat the point of encrypting bundles.

This is a thin wrapper so the UI never imports `keyring` and tests can swap the backend. It
also tells the UI which refusals were about the passphrase (so it can offer to type another)
without the UI importing the sync engine.
"""

from __future__ import annotations

import logging
from typing import Any

from referral_desk.domain.errors import DomainError

SERVICE_NAME = "Referral Desk"

log = logging.getLogger(__name__)

__all__ = [
    "SERVICE_NAME",
    "PassphraseStore",
    "PassphraseStoreError",
    "check_passphrase",
    "is_passphrase_refusal",
]


class PassphraseStoreError(DomainError):
    """The OS password store exists but refused to save or forget (locked, denied)."""


def _usable(backend: Any) -> bool:
    """False for keyring's "fail" and "null" backends (and a chainer holding none)."""
    try:
        from keyring.backends import chainer, fail, null
    except ImportError:  # pragma: no cover - keyring is a dependency
        return False
    if backend is None or isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(_usable(b) for b in backend.backends)
    return True


def _default_backend() -> Any:
    """The backend keyring chose for this machine, or None when there is no usable one."""
    try:
        import keyring
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration must not stop the app
        log.warning("The OS password store could not be loaded")
        return None
    return backend if _usable(backend) else None


class PassphraseStore:
    """Get, remember and forget the team passphrase for one site id.

    `backend` is looked up on each call (unless given), so a password store that appears or
    disappears while the app runs is noticed, and tests can patch `keyring.get_keyring`.
    """

    def __init__(self, backend: Any = None, *, service: str = SERVICE_NAME) -> None:
        self._backend = backend
        # The data key's OS-login secret is kept under its own service name (services.security).
        self._service = service

    def _get_backend(self) -> Any:
        if self._backend is not None:
            return self._backend if _usable(self._backend) else None
        return _default_backend()

    def available(self) -> bool:
        """True when this machine has a password store Referral Desk can remember things in."""
        return self._get_backend() is not None

    def get(self, site_id: str) -> str | None:
        """The remembered passphrase, or None (none remembered, no store, store locked)."""
        backend = self._get_backend()
        if backend is None or not site_id:
            return None
        try:
            value = backend.get_password(self._service, site_id)
        except Exception:  # locked or denied: the UI then asks, as if nothing were remembered
            log.warning("The OS password store could not be read")
            return None
        return value or None

    def set(self, site_id: str, passphrase: str) -> bool:
        """Remember `passphrase`; False when there is no password store (nothing was kept)."""
        backend = self._get_backend()
        if backend is None:
            return False
        if not site_id or not passphrase:
            raise PassphraseStoreError("There is no passphrase to remember.")
        try:
            backend.set_password(self._service, site_id, passphrase)
        except Exception:
            raise PassphraseStoreError(
                "This computer's password store did not accept the passphrase (is it locked?). "
                "Referral Desk will ask for it when needed."
            ) from None
        return True

    def delete(self, site_id: str) -> None:
        """Forget the remembered passphrase (nothing to do when none is remembered)."""
        backend = self._get_backend()
        if backend is None or not site_id:
            return
        try:
            from keyring.errors import PasswordDeleteError
        except ImportError:  # pragma: no cover - keyring is a dependency
            PasswordDeleteError = LookupError
        try:
            backend.delete_password(self._service, site_id)
        except PasswordDeleteError:
            return  # nothing was remembered
        except Exception:
            raise PassphraseStoreError(
                "This computer's password store did not let Referral Desk forget the passphrase "
                "(is it locked?)."
            ) from None


def check_passphrase(passphrase: str) -> None:
    """Raise the engine's own error for a passphrase it would refuse (empty, too short), so a
    passphrase is never remembered only to fail at the first sync."""
    from referral_desk.sync.keys import normalise_passphrase

    normalise_passphrase(passphrase)


def is_passphrase_refusal(err: BaseException) -> bool:
    """True when a sync refusal may be cured by typing another passphrase."""
    from referral_desk.sync.bundle import WrongPassphrase
    from referral_desk.sync.keys import PassphraseError
    from referral_desk.sync.state import StoreError

    if isinstance(err, WrongPassphrase | PassphraseError):
        return True
    return isinstance(err, StoreError) and "passphrase" in str(err).lower()
