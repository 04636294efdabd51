"""The format-1 bundle writer of earlier versions, kept only to make files this version must
still read (a format-1 file written by the released code is also committed under tests/data)."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import uuid
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from referral_desk import __version__
from referral_desk.sync.bundle import MAGIC, BundleHeader, Manifest
from referral_desk.sync.keys import DEFAULT_KDF, KdfParams, KeyCache, subkey
from referral_desk.sync.payload import SYNC_SCHEMA

_PREFIX = struct.Struct(">8sHI")
_PURPOSE = b"referral-desk/bundle/v1"


def describe(entries: Sequence[list[Any]]) -> tuple[dict[str, int], dict[str, Any]]:
    counts: dict[str, int] = {}
    by_site: dict[str, list[int]] = {}
    for e in entries:
        table = e[2] if len(e) > 2 and type(e[2]) is str else "?"
        counts[table] = counts.get(table, 0) + 1
        by_site.setdefault(e[0], []).append(e[1])
    return counts, {k: (min(v), max(v), len(v)) for k, v in by_site.items()}


def seal_format1(
    entries: Sequence[list[Any]],
    knowledge: Sequence[list[Any]],
    *,
    site_id: str,
    vector: dict[str, int],
    passphrase: str,
    keys: KeyCache,
    salt: bytes,
    kdf: KdfParams = DEFAULT_KDF,
    schema: int = SYNC_SCHEMA,
    level: int = 6,
) -> bytes:
    """What `bundle.seal` wrote before format 2 (one AES-GCM message over the payload)."""
    bundle_id = str(uuid.uuid4())
    created = datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat()
    body = json.dumps(
        {"entries": list(entries), "knowledge": list(knowledge)},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    counts, covers = describe(entries)
    manifest = Manifest(
        bundle_id=bundle_id,
        site_id=site_id,
        schema=schema,
        app=__version__,
        created=created,
        kind="file",
        export_no=0,
        vector=dict(vector),
        covers=covers,
        counts=counts,
        entry_count=len(entries),
        knowledge_count=len(knowledge),
        sha256=hashlib.sha256(body).hexdigest(),
    )
    payload = json.dumps(manifest.to_dict(), separators=(",", ":")).encode("utf-8") + b"\n" + body
    compressed = zlib.compress(payload, level)
    header = BundleHeader(
        format=1,
        schema=schema,
        app=__version__,
        bundle_id=bundle_id,
        site_id=site_id,
        created=created,
        salt=salt,
        kdf=kdf,
        nonce=os.urandom(12),
    )
    hbytes = header.to_json()
    prefix = _PREFIX.pack(MAGIC, 1, len(hbytes)) + hbytes
    key = subkey(keys.master(passphrase, salt, kdf), _PURPOSE, bundle_id.encode("ascii"))
    return prefix + AESGCM(key).encrypt(header.nonce, compressed, prefix)
