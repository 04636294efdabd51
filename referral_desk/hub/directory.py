"""The regional directory: published to the hub by a directory keeper, signed, pulled by teams.

The directory is an HSDS 3.0 package (the zip `hsds.exporter` writes and the directory
import reads, with its usual preview), so nothing new is invented for its content. It is public
information about services, so it is signed but not encrypted:

    magic      8 bytes  b"RDHUBDIR"
    slen       4 bytes  length of the statement
    statement  JSON {format, publisher, published, signer (Ed25519 public key), sha256, size}
    signature  64 bytes Ed25519 over a context string + statement
    content    the HSDS zip

Published rows at the hub keep the same statement and signature, so a directory pulled from
the hub and one carried as a file verify the same way. Teams pin the first publisher key they
accept (on that PC) and refuse a directory signed by another key afterwards, as the hub pins a
team's return key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, insert, select

from referral_desk.hub import schema
from referral_desk.hub.errors import ReturnDamaged, ReturnRefused
from referral_desk.hub.returnfile import public_key_text

__all__ = [
    "MAGIC",
    "SignedDirectory",
    "latest",
    "open_directory",
    "publish",
    "sign_directory",
]

MAGIC = b"RDHUBDIR"
FORMAT_VERSION = 1
MAX_DIRECTORY = 512 << 20
_LEN = struct.Struct(">I")
_CONTEXT = b"referral-desk/hub-directory/v1\x00"
SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class SignedDirectory:
    statement: bytes
    signature: bytes
    content: bytes = field(repr=False)
    publisher: str = ""
    published: str = ""
    signer: str = ""

    def to_bytes(self) -> bytes:
        return (
            MAGIC
            + _LEN.pack(len(self.statement))
            + self.statement
            + self.signature
            + (self.content)
        )

    def fingerprint(self) -> str:
        """A short, readable form of the signer's key for the preview ("ab12 cd34 …")."""
        digest = hashlib.sha256(self.signer.encode("ascii")).hexdigest()[:16]
        return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


def sign_directory(
    content: bytes, *, publisher: str, published: str, key: Ed25519PrivateKey
) -> SignedDirectory:
    statement = json.dumps(
        {
            "format": FORMAT_VERSION,
            "publisher": publisher,
            "published": published,
            "signer": public_key_text(key),
            "sha256": hashlib.sha256(content).hexdigest(),
            "size": len(content),
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    ).encode("utf-8")
    signature = key.sign(_CONTEXT + statement)
    return verify(statement, signature, content)


def verify(statement: bytes, signature: bytes, content: bytes) -> SignedDirectory:
    try:
        data = json.loads(statement)
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            raise ValueError("format")
        publisher, published, signer = data["publisher"], data["published"], data["signer"]
        for text in (publisher, published, signer):
            if not isinstance(text, str) or not 0 < len(text) <= 200 or not text.isprintable():
                raise ValueError("text")
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(signer, validate=True))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise ReturnDamaged(
            "The directory file is damaged or is not a regional directory."
        ) from err
    try:
        public.verify(signature, _CONTEXT + statement)
    except InvalidSignature:
        raise ReturnRefused("The directory's signature is not valid: not imported.") from None
    if hashlib.sha256(content).hexdigest() != data.get("sha256") or len(content) != data.get(
        "size"
    ):
        raise ReturnRefused("The directory does not match its signature: not imported.")
    return SignedDirectory(statement, signature, content, publisher, published, signer)


def open_directory(data: bytes) -> SignedDirectory:
    """A carried directory file, verified (signature and content)."""
    if not data.startswith(MAGIC):
        raise ReturnDamaged("This is not a regional directory file.")
    head = len(MAGIC) + _LEN.size
    if len(data) < head:
        raise ReturnDamaged("The directory file is incomplete or damaged.")
    (slen,) = _LEN.unpack_from(data, len(MAGIC))
    if slen > 4096 or len(data) < head + slen + SIGNATURE_BYTES:
        raise ReturnDamaged("The directory file is incomplete or damaged.")
    statement = data[head : head + slen]
    signature = data[head + slen : head + slen + SIGNATURE_BYTES]
    return verify(statement, signature, data[head + slen + SIGNATURE_BYTES :])


def publish(conn: Connection, signed: SignedDirectory, now: datetime) -> int:
    """Store a published directory at the hub; the newest is what teams pull."""
    row = conn.execute(
        insert(schema.directory)
        .values(
            published_at=now,
            publisher=signed.publisher,
            signer=signed.signer,
            signature=base64.b64encode(signed.signature).decode("ascii"),
            sha256=json.loads(signed.statement)["sha256"],
            content=signed.statement + b"\n" + signed.content,
        )
        .returning(schema.directory.c.id)
    ).scalar_one()
    return int(row)


def latest(conn: Connection) -> SignedDirectory | None:
    """The newest published directory, verified (the hub could have been tampered with too)."""
    view = schema.report_directory
    row = conn.execute(
        select(view.c.signature, view.c.content).order_by(view.c.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    raw = bytes(row.content)
    cut = raw.find(b"\n")
    if cut < 0:
        raise ReturnDamaged("The directory at the hub is damaged.")
    try:
        signature = base64.b64decode(row.signature, validate=True)
    except ValueError as err:
        raise ReturnDamaged("The directory at the hub is damaged.") from err
    return verify(raw[:cut], signature, raw[cut + 1 :])
