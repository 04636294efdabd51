"""Receipts: what each site holds, and which bundles it wrote, told to the shared store.

A bundle's manifest (its covers and vector) is the last line of its encrypted payload, so
learning it means reading the whole file. Pruning and catching up need it for every bundle in
the store at every sync, so each site keeps a small **receipt** in its own outbox folder
(`outbox/<site>/receipt.rdreceipt`, written atomically, readable by the team):

- `held`: this site's version vector after its last sync (everything 1..n of each site is
  held here), i.e. what it has imported;
- `bundles`: for each bundle this site wrote that is still in its folder, when it was written,
  whether it is a snapshot, the seq range it carries per origin site (min, max, count) and, for
  a snapshot, the version vector it covers.

Nothing in it is personal data (random ids, counts, times). It is sealed with AES-GCM under a
key derived from the team key (store salt) and bound to the store id and the site's folder, so
nobody without the passphrase can forge one, and one site's receipt cannot be passed off as
another's. A receipt that does not open is ignored (its bundles are then never pruned).

The site remembers the manifests of its own bundles in `local_setting` (`OWN_BUNDLES`), since it
rewrites the receipt at every sync; bundles no longer in its folder are forgotten.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from referral_desk.files import SHARED, NotRegularFile, read_regular, write_atomically
from referral_desk.store.models import LocalSetting, put_local_setting
from referral_desk.sync.bundle import is_uuid
from referral_desk.sync.keys import KeyCache, subkey
from referral_desk.sync.payload import Manifest
from referral_desk.sync.state import OUTBOX, StoreError, StoreInfo

RECEIPT_NAME = "receipt.rdreceipt"
RECEIPT_LIMIT = 4 << 20  # a receipt lists the bundles of one site still in the store
OWN_BUNDLES = "sync_own_bundle_meta"
SNAPSHOT = "snapshot"
_PURPOSE = b"referral-desk/receipt/v1"
_MAGIC = b"RDRCPT1\n"

Vector = dict[str, int]


@dataclass(frozen=True)
class BundleMeta:
    """What a bundle's manifest says, as far as the store's lifecycle needs it."""

    bundle_id: str
    created: str  # ISO time the writer stamped (its clock; tests move it)
    kind: str  # "store" or "snapshot"
    covers: dict[str, tuple[int, int, int]]  # origin site -> (min seq, max seq, count)
    vector: Vector = field(default_factory=dict)  # a snapshot: the version vector it covers

    @property
    def is_snapshot(self) -> bool:
        return self.kind == SNAPSHOT

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "kind": self.kind,
            "covers": {k: list(v) for k, v in self.covers.items()},
            "vector": self.vector,
        }

    @classmethod
    def from_dict(cls, bundle_id: str, data: Any) -> BundleMeta:
        covers = {}
        for site, v in dict(data["covers"]).items():
            lo, hi, n = (_count(x) for x in v)
            if len(v) != 3 or lo > hi:
                raise ValueError("covers")
            covers[_site(site)] = (lo, hi, n)
        vector = {_site(k): _count(v) for k, v in dict(data.get("vector") or {}).items()}
        kind = str(data["kind"])
        if kind not in ("store", SNAPSHOT) or not is_uuid(bundle_id):
            raise ValueError("kind")
        return cls(bundle_id, str(data["created"])[:40], kind, covers, vector)

    @classmethod
    def from_manifest(cls, manifest: Manifest, created: str) -> BundleMeta:
        kind = SNAPSHOT if manifest.kind == SNAPSHOT else "store"
        vector = dict(manifest.vector) if kind == SNAPSHOT else {}
        return cls(manifest.bundle_id, created, kind, dict(manifest.covers), vector)

    def covered_by(self, vector: Vector) -> bool:
        """Every entry it carries is in 1..vector[site] for its site."""
        return all(hi <= vector.get(site, 0) for site, (_lo, hi, _n) in self.covers.items())


@dataclass(frozen=True)
class Receipt:
    site_id: str
    written: str
    held: Vector
    bundles: dict[str, BundleMeta]


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 63:
        raise ValueError("count")
    return value


def _site(value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ValueError("site")
    return value


def _key(info: StoreInfo, passphrase: str, keys: KeyCache, site: str) -> tuple[bytes, bytes]:
    master = keys.master(passphrase, info.salt, info.kdf)
    bound = f"{info.store_id}/{site}".encode("ascii")
    return subkey(master, _PURPOSE, bound), bound


def seal_receipt(info: StoreInfo, passphrase: str, keys: KeyCache, receipt: Receipt) -> bytes:
    body = json.dumps(
        {
            "site": receipt.site_id,
            "written": receipt.written,
            "held": receipt.held,
            "bundles": {k: v.to_dict() for k, v in sorted(receipt.bundles.items())},
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode("utf-8")
    key, bound = _key(info, passphrase, keys, receipt.site_id)
    nonce = os.urandom(12)
    return _MAGIC + nonce + AESGCM(key).encrypt(nonce, body, _MAGIC + bound)


def open_receipt(
    data: bytes, info: StoreInfo, passphrase: str, keys: KeyCache, site: str
) -> Receipt | None:
    """The receipt of `site` (its folder's name), or None when it does not open or parse."""
    if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + 12 + 16:
        return None
    key, bound = _key(info, passphrase, keys, site)
    start = len(_MAGIC)
    try:
        body = AESGCM(key).decrypt(data[start : start + 12], data[start + 12 :], _MAGIC + bound)
        raw = json.loads(body)
        if raw["site"] != site:
            return None
        held = {_site(k): _count(v) for k, v in dict(raw["held"]).items()}
        bundles = {str(k): BundleMeta.from_dict(str(k), v) for k, v in raw["bundles"].items()}
        return Receipt(site, str(raw["written"])[:40], held, bundles)
    except (InvalidTag, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def receipt_path(store_dir: Path, site: str) -> Path:
    return Path(store_dir) / OUTBOX / site / RECEIPT_NAME


class ReceiptBlocked(StoreError):
    """A folder holds the name of this site's receipt. Anyone who can write to the share can
    put one there; it must not fail every sync of this PC (the export and import are done by
    then), and it is never removed (it may be someone's). Without a receipt colleagues cannot
    prune this site's bundles, so the user is told in one line why and what to do."""

    def __init__(self, site: str) -> None:
        super().__init__(
            "This PC's receipt could not be written to the shared store: a folder is in its "
            f"place ({OUTBOX}/{site}/{RECEIPT_NAME}). Remove that folder so the store can be "
            "pruned again."
        )


def write_receipt(
    store_dir: Path, info: StoreInfo, passphrase: str, keys: KeyCache, receipt: Receipt
) -> None:
    """Replace this site's receipt atomically (the folder is this site's own, never a link).
    A folder in the receipt's place raises `ReceiptBlocked` and is left as it is."""
    folder = Path(store_dir) / OUTBOX / receipt.site_id
    if folder.is_symlink():
        raise StoreError("This PC's folder in the shared store is a link: not written.")
    target = folder / RECEIPT_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if target.is_dir() and not target.is_symlink():
            raise ReceiptBlocked(receipt.site_id)
        data = seal_receipt(info, passphrase, keys, receipt)
        write_atomically(target, data, mode=SHARED)
    except IsADirectoryError as err:  # a folder put there meanwhile
        raise ReceiptBlocked(receipt.site_id) from err
    except OSError as err:
        raise StoreError("The shared store folder is not writable.") from err


def site_folders(store_dir: Path) -> list[str]:
    """The sites with a folder in the store's outbox (real folders only, never links)."""
    root = Path(store_dir) / OUTBOX
    try:
        if root.is_symlink() or not root.is_dir():
            return []
        with os.scandir(root) as it:
            return sorted(
                e.name for e in it if not e.is_symlink() and e.is_dir(follow_symlinks=False)
            )
    except OSError as err:
        raise StoreError("The shared store folder cannot be read.") from err


def read_receipts(
    store_dir: Path, info: StoreInfo, passphrase: str, keys: KeyCache
) -> dict[str, Receipt | None]:
    """Every site folder's receipt: None for a folder without one that opens."""
    out: dict[str, Receipt | None] = {}
    for site in site_folders(store_dir):
        try:
            data = read_regular(receipt_path(store_dir, site), RECEIPT_LIMIT)
        except (OSError, NotRegularFile):
            data = None
        out[site] = open_receipt(data, info, passphrase, keys, site) if data is not None else None
    return out


# --- this site's memory of its own bundles ---------------------------------------------------


def own_metas(session: Session, store_id: str) -> dict[str, BundleMeta]:
    row = session.get(LocalSetting, OWN_BUNDLES)
    record = row.value if row is not None and isinstance(row.value, dict) else {}
    out = {}
    for bundle_id, data in dict(record.get(store_id) or {}).items():
        try:
            out[bundle_id] = BundleMeta.from_dict(bundle_id, data)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return out


def remember_meta(session: Session, store_id: str, meta: BundleMeta) -> None:
    """Record a bundle this site has just written to a store (in the export's transaction)."""
    save_metas(session, store_id, {**own_metas(session, store_id), meta.bundle_id: meta})


def save_metas(session: Session, store_id: str, metas: dict[str, BundleMeta]) -> None:
    row = session.get(LocalSetting, OWN_BUNDLES)
    record = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    record[store_id] = {k: v.to_dict() for k, v in sorted(metas.items())}
    put_local_setting(session, OWN_BUNDLES, record)


def forget_store_metas(session: Session, store_id: str) -> None:
    save_metas(session, store_id, {})


__all__ = [
    "OWN_BUNDLES",
    "RECEIPT_NAME",
    "SNAPSHOT",
    "BundleMeta",
    "Receipt",
    "ReceiptBlocked",
    "forget_store_metas",
    "open_receipt",
    "own_metas",
    "read_receipts",
    "receipt_path",
    "remember_meta",
    "save_metas",
    "seal_receipt",
    "site_folders",
    "write_receipt",
]
