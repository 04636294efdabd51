"""The commissioning return as a file: signed by the team's PC, encrypted for the region.

Two protections, for two questions:

- *Who sent it?* An Ed25519 signature by a key made on the PC that writes returns and kept
  there (owner-only file). The hub pins a team's public key on its first return and refuses a
  later one under the same team name signed by another key, so a stolen region passphrase is not
  enough to overwrite a team's figures.
- *Who can read it on the way?* Returns are carried on USB sticks from prisons, like sync
  bundles, so the file is encrypted with the *region passphrase* using exactly the bundle
  construction (`sync.keys`): scrypt to a master key, HKDF per return id, AES-256-GCM with the
  cleartext header as associated data. A passphrase was chosen over X25519 to a hub public key
  because regions already hand out passphrases for team stores and the hub loads carried files
  with the same tooling; the KDF parameters are in the header so they can be raised later.

Layout::

    magic   8 bytes  b"RDHUBRT\\n"
    format  2 bytes  FORMAT_VERSION
    hlen    4 bytes  header length; header = JSON {format, return, salt, kdf, nonce}
    sealed  rest     AES-GCM(zlib(statement JSON + "\\n" + signature b64 + "\\n" + payload JSON))

The *statement* names the return id, team, creation time, payload schema, the signer's public key
and the payload's SHA-256; the signature covers the statement. The payload is the de-identified
facts (`facts`). Every failure is a `HubError` subclass with one line an officer can act on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from referral_desk.files import write_atomically
from referral_desk.hub.errors import ReturnDamaged, ReturnRefused, UnknownReturnSchema
from referral_desk.hub.facts import RETURN_SCHEMA
from referral_desk.sync.keys import DEFAULT_KDF, SALT_BYTES, KdfParams, KeyCache, subkey

__all__ = [
    "MAGIC",
    "SUFFIX",
    "SignedReturn",
    "load_or_create_signing_key",
    "open_return",
    "public_key_text",
    "read_return_file",
    "seal_return",
    "sign_return",
    "verify",
]

MAGIC = b"RDHUBRT\n"
FORMAT_VERSION = 1
SUFFIX = ".rdreturn"
MAX_FILE = 128 << 20  # a 100 000-referral team sends about 20 MB compressed
MAX_PAYLOAD = 512 << 20  # decompressed: bounded memory for a hostile file
MAX_HEADER = 4096
NONCE_BYTES = 12
TAG_BYTES = 16
_PREFIX = struct.Struct(">8sHI")
_PURPOSE = b"referral-desk/hub-return/v1"
_SIGN_CONTEXT = b"referral-desk/hub-return-statement/v1\x00"


@dataclass(frozen=True)
class SignedReturn:
    """A return as the hub receives it (from a file or a push): statement, signature, payload."""

    statement: bytes
    signature: bytes
    payload: bytes = field(repr=False)

    def facts(self) -> dict[str, Any]:
        return json.loads(self.payload)


# --- the signing key ---------------------------------------------------------------------------


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """This PC's signing key: read it, or create it owner-only (temp file + atomic rename)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        key = Ed25519PrivateKey.generate()
        raw = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, raw)
        return key
    except OSError as err:
        raise ReturnRefused("The hub signing key on this computer cannot be read.") from err
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise ReturnRefused("The hub signing key on this computer is damaged.") from err
    if not isinstance(key, Ed25519PrivateKey):
        raise ReturnRefused("The hub signing key on this computer is damaged.")
    return key


def public_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


# --- signing and verifying ---------------------------------------------------------------------


def sign_return(
    facts: dict[str, Any],
    *,
    team: str,
    created: str,
    key: Ed25519PrivateKey,
    return_id: str | None = None,
    schema: int = RETURN_SCHEMA,
) -> SignedReturn:
    payload = json.dumps(facts, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    statement = json.dumps(
        {
            "return": return_id or str(uuid.uuid4()),
            "team": team,
            "created": created,
            "schema": schema,
            "signer": public_key_text(key),
            "sha256": hashlib.sha256(payload).hexdigest(),
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    ).encode("utf-8")
    return SignedReturn(statement, key.sign(_SIGN_CONTEXT + statement), payload)


@dataclass(frozen=True)
class Statement:
    return_id: str
    team: str
    created: str
    schema: int
    signer: str


def verify(signed: SignedReturn) -> Statement:
    """Check the signature and that the payload is the one signed; refuse unknown schemas."""
    try:
        data = json.loads(signed.statement)
        if not isinstance(data, dict):
            raise ValueError("statement")
        return_id = str(uuid.UUID(str(data["return"])))
        team = data["team"]
        created = data["created"]
        schema = data["schema"]
        signer = data["signer"]
        if not (isinstance(team, str) and 0 < len(team) <= 200 and team.isprintable()):
            raise ValueError("team")
        if not isinstance(created, str) or len(created) > 40 or not created.isprintable():
            raise ValueError("created")
        if isinstance(schema, bool) or not isinstance(schema, int):
            raise ValueError("schema")
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(signer, validate=True))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise ReturnRefused("The return's signed statement is damaged: refused.") from err
    try:
        public.verify(signed.signature, _SIGN_CONTEXT + signed.statement)
    except InvalidSignature:
        raise ReturnRefused("The return's signature is not valid: refused.") from None
    if hashlib.sha256(signed.payload).hexdigest() != data.get("sha256"):
        raise ReturnRefused("The return's contents do not match its signature: refused.")
    if schema != RETURN_SCHEMA:
        raise UnknownReturnSchema(
            f"The return is for schema {schema}, which this hub does not know "
            f"(it loads schema {RETURN_SCHEMA}): update the hub or the team's Referral Desk."
        )
    return Statement(return_id, team, created, schema, signer)


# --- the carried file --------------------------------------------------------------------------


def seal_return(
    signed: SignedReturn, passphrase: str, keys: KeyCache, kdf: KdfParams = DEFAULT_KDF
) -> bytes:
    return_id = json.loads(signed.statement)["return"]
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    header = json.dumps(
        {
            "format": FORMAT_VERSION,
            "return": return_id,
            "salt": base64.b64encode(salt).decode("ascii"),
            "kdf": kdf.to_dict(),
            "nonce": base64.b64encode(nonce).decode("ascii"),
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode("utf-8")
    prefix = _PREFIX.pack(MAGIC, FORMAT_VERSION, len(header)) + header
    plain = zlib.compress(
        signed.statement + b"\n" + base64.b64encode(signed.signature) + b"\n" + signed.payload, 6
    )
    key = subkey(keys.master(passphrase, salt, kdf), _PURPOSE, return_id.encode("ascii"))
    return prefix + AESGCM(key).encrypt(nonce, plain, prefix)


def read_return_file(path: Path) -> bytes:
    """A regular file of bounded size, or ReturnDamaged."""
    try:
        if not path.is_file():
            raise ReturnDamaged("The return is not a regular file.")
        if path.stat().st_size > MAX_FILE:
            raise ReturnDamaged("The return file is too large to be a commissioning return.")
        return path.read_bytes()
    except OSError as err:
        raise ReturnDamaged("The return file cannot be read (missing, or no permission).") from err


def open_return(data: bytes, passphrase: str, keys: KeyCache) -> SignedReturn:
    """Decrypt and split a carried return (the signature is checked by `verify`)."""
    if not data.startswith(MAGIC):
        raise ReturnDamaged("This is not a commissioning return file.")
    if len(data) < _PREFIX.size:
        raise ReturnDamaged("The return file is incomplete or damaged.")
    _magic, fmt, hlen = _PREFIX.unpack_from(data)
    if fmt != FORMAT_VERSION:
        raise UnknownReturnSchema("The return file's format is not known to this hub.")
    if hlen > MAX_HEADER or len(data) < _PREFIX.size + hlen + TAG_BYTES:
        raise ReturnDamaged("The return file is incomplete or damaged.")
    plen = _PREFIX.size + hlen
    try:
        header = json.loads(data[_PREFIX.size : plen])
        kdf = KdfParams.from_dict(header["kdf"])
        if kdf is None:
            raise ValueError("kdf")
        return_id = str(uuid.UUID(str(header["return"])))
        salt = base64.b64decode(header["salt"], validate=True)
        nonce = base64.b64decode(header["nonce"], validate=True)
        if not 16 <= len(salt) <= 64 or len(nonce) != NONCE_BYTES:
            raise ValueError("sizes")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise ReturnDamaged("The return file is incomplete or damaged.") from err
    key = subkey(keys.master(passphrase, salt, kdf), _PURPOSE, return_id.encode("ascii"))
    try:
        compressed = AESGCM(key).decrypt(nonce, data[plen:], data[:plen])
    except InvalidTag:
        raise ReturnDamaged(
            "Wrong region passphrase, or the return file was changed or damaged."
        ) from None
    try:
        d = zlib.decompressobj()
        plain = d.decompress(compressed, MAX_PAYLOAD)
        if d.unconsumed_tail or not d.eof:
            raise ValueError("size")
        statement, signature, payload = plain.split(b"\n", 2)
        signature = base64.b64decode(signature, validate=True)
        named = json.loads(statement)
    except (zlib.error, ValueError) as err:
        raise ReturnDamaged("The return file is incomplete or damaged.") from err
    if not isinstance(named, dict) or named.get("return") != return_id:
        raise ReturnDamaged("The return file is incomplete or damaged.")
    return SignedReturn(statement, signature, payload)
