"""The team passphrase in the OS password store: kept only where a real store exists."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked, PasswordSetError
from unlocking import MemoryKeyring

from referral_desk.domain.errors import DomainError
from referral_desk.sync.bundle import DamagedBundle, WrongPassphrase
from referral_desk.sync.keys import PassphraseError
from referral_desk.sync.state import StoreError
from referral_desk.usecases.passphrase_store import (
    SERVICE_NAME,
    PassphraseStore,
    PassphraseStoreError,
    check_passphrase,
    is_passphrase_refusal,
)

SITE = "0b6c2f0e-6f0e-4f55-9d55-5d3c9a1b2c3d"
SECRET = "correct horse battery staple"


class LockedKeyring(MemoryKeyring):
    """A real store that is locked (the user dismissed the unlock prompt)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("locked")


@pytest.fixture(autouse=True)
def no_real_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default lookup never reaches the real store of whoever runs the tests."""
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())


def test_remembers_under_the_service_name_and_site_id() -> None:
    backend = MemoryKeyring()
    store = PassphraseStore(backend)
    assert store.available()
    assert store.get(SITE) is None
    assert store.set(SITE, SECRET) is True
    assert backend.items == {(SERVICE_NAME, SITE): SECRET}
    assert SERVICE_NAME == "Referral Desk"
    assert store.get(SITE) == SECRET
    store.delete(SITE)
    assert store.get(SITE) is None
    store.delete(SITE)  # forgetting twice is fine


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_no_usable_store_keeps_nothing(backend: KeyringBackend) -> None:
    store = PassphraseStore(backend)
    assert not store.available()
    assert store.set(SITE, SECRET) is False
    assert store.get(SITE) is None
    store.delete(SITE)


def test_default_backend_is_what_keyring_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    store = PassphraseStore()
    assert not store.available(), "keyring's fail backend means no store"
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    assert store.available(), "looked up again on each call"
    store.set(SITE, SECRET)
    assert backend.items[(SERVICE_NAME, SITE)] == SECRET


def test_a_chainer_counts_only_if_it_holds_a_real_backend(monkeypatch) -> None:
    empty = chainer.ChainerBackend()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [], raising=False)
    assert not PassphraseStore(empty).available()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [MemoryKeyring()], raising=False)
    assert PassphraseStore(chainer.ChainerBackend()).available()


def test_a_broken_keyring_configuration_means_no_store(monkeypatch) -> None:
    def broken() -> KeyringBackend:
        raise RuntimeError("bad keyringrc")

    monkeypatch.setattr(keyring, "get_keyring", broken)
    assert not PassphraseStore().available()
    assert PassphraseStore().get(SITE) is None


def test_a_locked_store_asks_instead_and_says_why_it_cannot_save() -> None:
    store = PassphraseStore(LockedKeyring())
    assert store.available()
    assert store.get(SITE) is None  # the UI then asks for the passphrase
    with pytest.raises(PassphraseStoreError) as err:
        store.set(SITE, SECRET)
    assert "password store" in str(err.value) and SECRET not in str(err.value)
    with pytest.raises(PassphraseStoreError):
        store.delete(SITE)


def test_nothing_to_remember_is_refused() -> None:
    with pytest.raises(PassphraseStoreError):
        PassphraseStore(MemoryKeyring()).set(SITE, "")


def test_check_passphrase_uses_the_engine_rules() -> None:
    check_passphrase(SECRET)
    with pytest.raises(DomainError, match="at least 8 characters"):
        check_passphrase("short")
    with pytest.raises(DomainError):
        check_passphrase("   ")


def test_which_refusals_another_passphrase_may_cure() -> None:
    assert is_passphrase_refusal(WrongPassphrase())
    assert is_passphrase_refusal(PassphraseError("too short"))
    assert is_passphrase_refusal(
        StoreError("Wrong passphrase for this shared store: nothing was exported or imported.")
    )
    assert not is_passphrase_refusal(StoreError("The shared store folder is not writable."))
    assert not is_passphrase_refusal(DamagedBundle())
    assert not is_passphrase_refusal(ValueError("bug"))
