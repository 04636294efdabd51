"""The bundle file format: round trip, and refusal of every kind of bad file (with fuzzing)."""

from __future__ import annotations

import json
import struct
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral_desk.sync import bundle as b
from referral_desk.sync import keys as k

PW = "a long team passphrase"
SITE = str(uuid.uuid4())
FAST = k.KdfParams(n=2**14)  # the reader accepts it; keeps fuzzing quick
SALT = b"\x01" * 16
KEYS = k.KeyCache()  # module-wide: derive once for all the fuzzing below


def _entries(n: int = 5) -> list[list[object]]:
    rid = str(uuid.uuid4())
    return [
        [SITE, i + 1, "person", rid, "given_name", json.dumps("Zebedee"), 1_000_000 + i, 0]
        for i in range(n)
    ]


def _seal(**kw: object) -> tuple[bytes, b.Manifest]:
    entries = kw.pop("entries", _entries())
    return b.seal(
        entries,
        [[SITE, 0, {SITE: 0}]],
        site_id=SITE,
        vector={SITE: 5},
        passphrase=PW,
        keys=KEYS,
        salt=SALT,
        kdf=FAST,
        **kw,
    )


@pytest.fixture(scope="module")
def sealed() -> bytes:
    return _seal()[0]


def _rebuild(data: bytes, change: dict[str, object]) -> bytes:
    """Same ciphertext, header fields changed (as an attacker with a hex editor would)."""
    magic, fmt, hlen = struct.unpack_from(">8sHI", data)
    header = json.loads(data[14 : 14 + hlen])
    header.update(change)
    raw = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack(">8sHI", magic, fmt, len(raw)) + raw + data[14 + hlen :]


def test_round_trip(sealed: bytes) -> None:
    bundle = b.unlock(sealed, PW, KEYS).parse()
    assert bundle.header.site_id == SITE
    assert bundle.manifest.entry_count == 5
    assert bundle.manifest.counts == {"person": 5}
    assert [e[1] for e in bundle.entries] == [1, 2, 3, 4, 5]
    assert json.loads(bundle.entries[0][5]) == "Zebedee"
    assert bundle.knowledge == [[SITE, 0, {SITE: 0}]]


def test_no_personal_data_readable(sealed: bytes) -> None:
    assert b"Zebedee" not in sealed
    assert b"person" not in sealed  # not even the table names
    assert b.is_bundle_name(f"{uuid.uuid4()}.rdsync")
    assert not b.is_bundle_name("Zebedee.rdsync")


def test_wrong_passphrase(sealed: bytes) -> None:
    with pytest.raises(b.WrongPassphrase, match="Wrong passphrase"):
        b.unlock(sealed, "another long passphrase", KEYS)


def test_short_passphrase_is_refused(sealed: bytes) -> None:
    with pytest.raises(k.PassphraseError):
        b.unlock(sealed, "short", KEYS)


def test_empty_file() -> None:
    with pytest.raises(b.EmptyBundle, match="empty"):
        b.unlock(b"", PW, KEYS)


@pytest.mark.parametrize(
    "data", [b"hello", b"%PDF-1.7\n...", b"SQLite format 3\x00" + b"\x00" * 100, b"RDSYNC"]
)
def test_not_a_bundle(data: bytes) -> None:
    with pytest.raises(b.NotABundle, match="not a Referral Desk sync file"):
        b.unlock(data, PW, KEYS)


@pytest.mark.parametrize("cut", [8, 10, 13, 14, 40, -200, -17, -16, -1])
def test_truncated(sealed: bytes, cut: int) -> None:
    with pytest.raises(b.BundleError):
        b.unlock(sealed[:cut], PW, KEYS)


def test_header_is_authenticated(sealed: bytes) -> None:
    with pytest.raises(b.WrongPassphrase):
        b.unlock(_rebuild(sealed, {"app": "9.9.9"}), PW, KEYS)
    with pytest.raises(b.WrongPassphrase):
        b.unlock(_rebuild(sealed, {"site": str(uuid.uuid4())}), PW, KEYS)


def test_forged_kdf_parameters_are_refused_before_any_work(sealed: bytes) -> None:
    forged = _rebuild(sealed, {"kdf": {"alg": "scrypt", "n": 2**30, "r": 8, "p": 1}})
    with pytest.raises(b.DamagedBundle):
        b.unlock(forged, PW, KEYS)


def test_newer_format(sealed: bytes) -> None:
    newer = sealed[:8] + struct.pack(">H", b.FORMAT_VERSION + 1) + sealed[10:]
    with pytest.raises(b.NewerBundle, match="update Referral Desk"):
        b.unlock(newer, PW, KEYS)


def test_a_bundle_of_the_first_schema_still_opens() -> None:
    """Bundles written before `referral.risk_note` existed (schema 1) import unchanged."""
    entries = [
        [SITE, i + 1, "person", "p1", "given_name", json.dumps("Zebedee"), 7, 0] for i in range(5)
    ]
    data, _ = _seal(schema=1, entries=entries)
    bundle = b.unlock(data, PW, KEYS).parse()
    assert bundle.header.schema == 1
    assert bundle.entries == entries


def test_newer_schema() -> None:
    data, _ = _seal(schema=b.SYNC_SCHEMA + 1)
    with pytest.raises(b.NewerBundle, match="update Referral Desk"):
        b.unlock(data, PW, KEYS)


@pytest.mark.parametrize(
    "lie",
    [
        {"entry_count": 6},
        {"counts": {"person": 4, "need": 1}},
        {"sha256": "0" * 64},
        {"covers": {}},
        {"knowledge_count": 0},
        {"bundle": str(uuid.uuid4())},
        {"vector": {SITE: 2}},
        {"schema": 0},
    ],
)
def test_manifest_that_lies_is_refused(lie: dict[str, object]) -> None:
    data, _ = _seal(manifest_changes=lie)
    unlocked = b.unlock(data, PW, KEYS)
    with pytest.raises(b.InconsistentBundle, match="does not match its own manifest"):
        unlocked.parse()


def test_duplicate_entries_are_refused() -> None:
    entries = _entries(2)
    data, _ = _seal(entries=[*entries, entries[0]])
    with pytest.raises(b.InconsistentBundle):
        b.unlock(data, PW, KEYS).parse()


def _refuses(data: bytes) -> None:
    """Reading a bad file raises BundleError, never anything else, never succeeds."""
    with pytest.raises(b.BundleError):
        b.unlock(data, PW, KEYS).parse()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_flipped_byte_anywhere_is_refused(sealed: bytes, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(sealed) - 1), label="index")
    bit = data.draw(st.integers(0, 7), label="bit")
    flipped = bytearray(sealed)
    flipped[i] ^= 1 << bit
    _refuses(bytes(flipped))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(blob: bytes) -> None:
    for data in (blob, b.MAGIC + blob, b.MAGIC + struct.pack(">HI", 1, len(blob)) + blob):
        _refuses(data)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_bundles(sealed: bytes, data: st.DataObject) -> None:
    """Splices, insertions and deletions of a valid bundle."""
    buf = bytearray(sealed)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        i = data.draw(st.integers(0, len(buf)), label="at")
        op = data.draw(st.sampled_from(["insert", "delete", "replace"]), label="op")
        chunk = data.draw(st.binary(min_size=1, max_size=8), label="bytes")
        if op == "insert":
            buf[i:i] = chunk
        elif op == "delete":
            del buf[i : i + len(chunk)]
        else:
            buf[i : i + len(chunk)] = chunk
    if bytes(buf) == sealed:
        return
    _refuses(bytes(buf))


@settings(max_examples=40, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=20,
    )
)
def test_fuzz_header_contents(value: object) -> None:
    """Any JSON in the cleartext header is refused cleanly."""
    raw = json.dumps(value).encode()
    _refuses(b.MAGIC + struct.pack(">HI", 1, len(raw)) + raw + b"\x00" * 32)
