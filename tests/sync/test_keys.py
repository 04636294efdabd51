"""Sync keys: only known scrypt costs are read from a header, one passphrase however it was
typed, one key per purpose and bundle, and the slow step cached without holding the passphrase."""

from __future__ import annotations

import unicodedata

import pytest

from referral_desk.sync import keys as k

SALT = b"s" * k.SALT_BYTES
FAST = k.KdfParams(n=2**14)
PW = "correct horse battery staple"


def test_parameters_round_trip_through_a_header() -> None:
    assert k.KdfParams.from_dict(FAST.to_dict()) == FAST
    assert k.KdfParams.from_dict(k.DEFAULT_KDF.to_dict()) == k.DEFAULT_KDF


@pytest.mark.parametrize(
    "header",
    [
        None,
        [],
        {"alg": "argon2", "n": 2**15, "r": 8, "p": 1},
        {"alg": "scrypt", "n": 2**30, "r": 8, "p": 1},  # would allocate gigabytes
        {"alg": "scrypt", "n": 2**15, "r": 64, "p": 1},
        {"alg": "scrypt", "n": 2**15, "r": 8, "p": 4},
        {"alg": "scrypt", "n": True, "r": 8, "p": 1},
        {"alg": "scrypt", "n": "32768", "r": 8, "p": 1},
        {"alg": "scrypt", "r": 8, "p": 1},
    ],
)
def test_a_forged_or_unknown_cost_is_not_accepted(header: object) -> None:
    assert k.KdfParams.from_dict(header) is None


@pytest.mark.parametrize("passphrase", ["", "   ", "short"])
def test_a_missing_or_short_passphrase_is_refused_without_echoing_it(passphrase: str) -> None:
    with pytest.raises(k.PassphraseError) as err:
        k.normalise_passphrase(passphrase)
    assert passphrase.strip() == "" or passphrase not in str(err.value)


def test_the_same_passphrase_typed_composed_or_decomposed_gives_the_same_key() -> None:
    composed = "café au lait tous les jours"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert k.derive_master(composed, SALT, FAST) == k.derive_master(decomposed, SALT, FAST)


def test_each_purpose_and_context_gets_its_own_key() -> None:
    master = b"m" * k.KEY_BYTES
    one = k.subkey(master, b"bundle", b"id-1")
    assert len(one) == k.KEY_BYTES
    assert one == k.subkey(master, b"bundle", b"id-1")
    assert one != k.subkey(master, b"bundle", b"id-2")
    assert one != k.subkey(master, b"manifest", b"id-1")
    # purpose and context are separated, so ("ab", "c") is not ("a", "bc")
    assert k.subkey(master, b"ab", b"c") != k.subkey(master, b"a", b"bc")


def test_the_cache_derives_once_per_salt_and_keeps_no_passphrase(monkeypatch) -> None:
    calls = []
    real = k.derive_master
    monkeypatch.setattr(k, "derive_master", lambda *a: calls.append(1) or real(*a))
    cache = k.KeyCache()
    first = cache.master(PW, SALT, FAST)
    assert cache.master(PW, SALT, FAST) == first
    assert len(calls) == 1
    assert cache.master(PW, b"t" * k.SALT_BYTES, FAST) != first
    assert len(calls) == 2
    assert not any(PW.encode() in repr(key).encode() for key in cache._keys)
    cache.clear()
    cache.master(PW, SALT, FAST)
    assert len(calls) == 3
