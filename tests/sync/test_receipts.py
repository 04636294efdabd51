"""Receipts: sealed under the team key, bound to the store and to the site's own folder."""

from __future__ import annotations

import uuid

import pytest

from referral_desk.sync.keys import KdfParams, KeyCache
from referral_desk.sync.receipts import (
    RECEIPT_NAME,
    BundleMeta,
    Receipt,
    ReceiptBlocked,
    open_receipt,
    seal_receipt,
    write_receipt,
)
from referral_desk.sync.state import StoreInfo

KDF = KdfParams(n=2**14)
KEYS = KeyCache()
PASS = "correct horse battery staple"
SITE, OTHER = str(uuid.uuid4()), str(uuid.uuid4())
INFO = StoreInfo(str(uuid.uuid4()), b"\x01" * 16, KDF)


def _receipt() -> Receipt:
    bundle = str(uuid.uuid4())
    meta = BundleMeta(bundle, "2026-01-05T09:00:00", "snapshot", {SITE: (1, 9, 9)}, {SITE: 9})
    return Receipt(SITE, "2026-01-05T09:00:00", {SITE: 9, OTHER: 4}, {bundle: meta})


def test_a_receipt_opens_with_the_team_key_and_says_what_was_written():
    receipt = _receipt()
    data = seal_receipt(INFO, PASS, KEYS, receipt)
    assert open_receipt(data, INFO, PASS, KEYS, SITE) == receipt
    assert b"2026" not in data and SITE.encode() not in data  # sealed, not just signed


def test_a_receipt_that_is_forged_moved_or_under_another_key_is_ignored():
    data = seal_receipt(INFO, PASS, KEYS, _receipt())
    assert open_receipt(data, INFO, "another passphrase!!", KEYS, SITE) is None
    assert open_receipt(data, INFO, PASS, KEYS, OTHER) is None  # copied to another folder
    other_store = StoreInfo(str(uuid.uuid4()), INFO.salt, KDF)
    assert open_receipt(data, other_store, PASS, KEYS, SITE) is None
    flipped = data[:-1] + bytes([data[-1] ^ 1])
    assert open_receipt(flipped, INFO, PASS, KEYS, SITE) is None
    for junk in (b"", b"RDRCPT1\n", b"x" * 100, data[:40]):
        assert open_receipt(junk, INFO, PASS, KEYS, SITE) is None


def test_a_bundle_is_covered_by_a_vector_holding_every_seq_it_carries():
    meta = BundleMeta(str(uuid.uuid4()), "t", "store", {SITE: (3, 7, 5), OTHER: (1, 2, 2)})
    assert meta.covered_by({SITE: 7, OTHER: 2})
    assert not meta.covered_by({SITE: 6, OTHER: 9})
    assert not meta.covered_by({SITE: 9})
    assert BundleMeta(str(uuid.uuid4()), "t", "store", {}).covered_by({})


def test_a_folder_in_the_receipts_place_is_told_in_one_line_and_left_alone(tmp_path):
    blocker = tmp_path / "outbox" / SITE / RECEIPT_NAME
    blocker.mkdir(parents=True)
    (blocker / "kept.txt").write_text("someone's")
    with pytest.raises(ReceiptBlocked) as err:
        write_receipt(tmp_path, INFO, PASS, KEYS, _receipt())
    said = str(err.value)
    assert "\n" not in said and RECEIPT_NAME in said and "folder" in said
    assert (blocker / "kept.txt").read_text() == "someone's"
    assert sorted(p.name for p in blocker.parent.iterdir()) == [RECEIPT_NAME]  # no temp left
