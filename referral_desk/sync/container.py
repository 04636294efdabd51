"""The outer layer of a sync file: cleartext header, keys, and encryption in segments.

    magic      8 bytes   b"RDSYNC\\x1a\\n"  (the ^Z and LF catch text-mode copies, as PNG does)
    format     2 bytes   container format version, big-endian
    hlen       4 bytes   length of the header
    header     hlen      compact JSON: format, schema, app version, bundle id, exporting site,
                         creation time, salt, KDF parameters, nonce, segment size (format 2)

Format 2 (written now) encrypts the payload as a sequence of segments so that it can be read
and written with a buffer of one segment, whatever the size of the file (the STREAM
construction of Hoang, Reyhanitabar, Rogaway and Vizár): each segment is at most `segment`
bytes of plaintext sealed with AES-256-GCM under the bundle's key, with the nonce

    7-byte random prefix (the header's "nonce") || 4-byte segment number || 1 byte: 1 if last

and the file's prefix (magic..header) as associated data. Every segment but the last holds
exactly `segment` bytes, so segment boundaries need no length fields an attacker could edit;
reordered, dropped or repeated segments fail to authenticate, a file cut at a segment boundary
fails because its new last segment was not sealed as last, and anything after the real last
segment is refused.

Format 1 (read only, for files already in stores) sealed the whole payload as one AES-GCM
message with a 12-byte nonce: it can only be checked once all of it is in memory, so it is
read only up to a size cap (see `bundle.py`).

Nothing is decided from a file before it is authenticated, except the few checks needed to try
(magic, format version, header syntax, accepted KDF parameters and segment size).
"""

from __future__ import annotations

import base64
import json
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from referral_desk.domain.errors import DomainError
from referral_desk.sync.keys import KdfParams, KeyCache, subkey

MAGIC = b"RDSYNC\x1a\n"
FORMAT_VERSION = 2  # written
LEGACY_FORMAT = 1  # still read, within a size cap
SUFFIX = ".rdsync"
MAX_HEADER = 4096
PREFIX = struct.Struct(">8sHI")
HEADER_READ = PREFIX.size + MAX_HEADER + 1  # enough of a file to parse its header
NONCE_BYTES = 12  # format 1
STREAM_PREFIX_BYTES = 7  # format 2: + 4-byte counter + 1-byte last flag = 12
TAG_BYTES = 16
SEGMENT = 1 << 20  # plaintext bytes per segment written
MIN_SEGMENT = 1 << 10
MAX_SEGMENT = 1 << 22  # read: a forged header cannot make us allocate more than this per segment
_PURPOSES = {1: b"referral-desk/bundle/v1", 2: b"referral-desk/bundle/v2"}
_COUNTER_LIMIT = 1 << 32


class BundleError(DomainError):
    """A sync file was refused; nothing was written."""


class EmptyBundle(BundleError):
    def __init__(self) -> None:
        super().__init__("The file is empty: it is not a sync file or was not copied completely.")


class NotABundle(BundleError):
    def __init__(self) -> None:
        super().__init__("This is not a Referral Desk sync file.")


class DamagedBundle(BundleError):
    def __init__(self) -> None:
        super().__init__("The sync file is incomplete or damaged.")


class WrongPassphrase(BundleError):
    def __init__(self) -> None:
        super().__init__("Wrong passphrase, or the file was changed or damaged.")


class NewerBundle(BundleError):
    def __init__(self) -> None:
        super().__init__(
            "This file comes from a newer version of Referral Desk: update Referral Desk."
        )


class OlderBundle(BundleError):
    def __init__(self) -> None:
        super().__init__("This file comes from a version of Referral Desk too old to import.")


class InconsistentBundle(BundleError):
    def __init__(self) -> None:
        super().__init__("The sync file does not match its own manifest: it was not imported.")


class UnreadableBundle(BundleError):
    def __init__(self) -> None:
        super().__init__("The sync file cannot be read (missing, or no permission).")


class NotAFile(BundleError):
    def __init__(self) -> None:
        super().__init__(
            "This is not a sync file but a folder, link, device or pipe: it was not read."
        )


class TooBig(BundleError):
    def __init__(self) -> None:
        super().__init__("The sync file is too big to be a Referral Desk sync file.")


class LegacyTooBig(BundleError):
    def __init__(self) -> None:
        super().__init__(
            "This sync file was written by an older version of Referral Desk and is too big to "
            "import safely: export it again with this version and import the new file."
        )


@dataclass(frozen=True)
class BundleHeader:
    format: int
    schema: int
    app: str
    bundle_id: str
    site_id: str
    created: str
    salt: bytes
    kdf: KdfParams
    nonce: bytes  # format 1: the GCM nonce; format 2: the 7-byte STREAM prefix
    segment: int = 0  # format 2: plaintext bytes per segment

    def to_json(self) -> bytes:
        data: dict[str, Any] = {
            "format": self.format,
            "schema": self.schema,
            "app": self.app,
            "bundle": self.bundle_id,
            "site": self.site_id,
            "created": self.created,
            "salt": base64.b64encode(self.salt).decode("ascii"),
            "kdf": self.kdf.to_dict(),
            "nonce": base64.b64encode(self.nonce).decode("ascii"),
        }
        if self.format >= 2:
            data["segment"] = self.segment
        return json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8")

    def prefix(self) -> bytes:
        """magic..header: what every segment authenticates as associated data."""
        raw = self.to_json()
        return PREFIX.pack(MAGIC, self.format, len(raw)) + raw


def is_uuid(text: object) -> bool:
    if not isinstance(text, str) or len(text) != 36:
        return False
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def loads(data: bytes | str) -> Any:
    """json.loads that turns every failure (bad UTF-8, syntax, absurd nesting) into ValueError."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as err:
        raise ValueError("bad JSON") from err


def _b64(text: object, size: int | None = None) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64")
    raw = base64.b64decode(text.encode("ascii", "strict"), validate=True)
    if size is not None and len(raw) != size:
        raise ValueError("wrong length")
    return raw


def nonneg_int(value: object, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or value >= 1 << 63:
        raise ValueError("not an int")
    return value


def parse_header(data: bytes) -> tuple[BundleHeader, int]:
    """Checks needed before decryption can even be tried. Returns (header, prefix length).
    `data` is the start of the file: at least HEADER_READ bytes of it when it is that long."""
    if not data:
        raise EmptyBundle()
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        raise NotABundle()
    if len(data) < PREFIX.size:
        raise DamagedBundle()
    _magic, fmt, hlen = PREFIX.unpack_from(data)
    if fmt > FORMAT_VERSION:
        raise NewerBundle()
    if fmt < LEGACY_FORMAT or hlen > MAX_HEADER or len(data) < PREFIX.size + hlen + TAG_BYTES:
        raise DamagedBundle()
    raw = data[PREFIX.size : PREFIX.size + hlen]
    try:
        h = loads(raw)
        if not isinstance(h, dict):
            raise ValueError("header")
        kdf = KdfParams.from_dict(h.get("kdf"))
        if kdf is None:
            raise ValueError("kdf")
        if not (is_uuid(h.get("bundle")) and is_uuid(h.get("site"))):
            raise ValueError("ids")
        salt = _b64(h.get("salt"))
        if not 16 <= len(salt) <= 64:
            raise ValueError("salt")
        segment = 0
        if fmt >= 2:
            segment = nonneg_int(h.get("segment"))
            if not MIN_SEGMENT <= segment <= MAX_SEGMENT:
                raise ValueError("segment")
        nonce_size = NONCE_BYTES if fmt == LEGACY_FORMAT else STREAM_PREFIX_BYTES
        header = BundleHeader(
            format=nonneg_int(h.get("format"), 1),
            schema=nonneg_int(h.get("schema")),
            app=str(h.get("app", ""))[:40],
            bundle_id=h["bundle"],
            site_id=h["site"],
            created=str(h.get("created", ""))[:40],
            salt=salt,
            kdf=kdf,
            nonce=_b64(h.get("nonce"), nonce_size),
            segment=segment,
        )
    except (ValueError, KeyError, TypeError) as err:
        raise DamagedBundle() from err
    if header.format != fmt:
        raise DamagedBundle()
    return header, PREFIX.size + hlen


def bundle_key(keys: KeyCache, passphrase: str, header: BundleHeader) -> bytes:
    """The bundle's own AES key: the team key (slow, cached) expanded with the bundle id."""
    master = keys.master(passphrase, header.salt, header.kdf)
    return subkey(master, _PURPOSES[header.format], header.bundle_id.encode("ascii"))


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class SegmentSealer:
    """Writes the payload as STREAM segments to `fh` (the prefix is already written)."""

    def __init__(self, fh: BinaryIO, key: bytes, header: BundleHeader) -> None:
        self._fh = fh
        self._aead = AESGCM(key)
        self._ad = header.prefix()
        self._nonce = header.nonce
        self._size = header.segment
        self._buf = bytearray()
        self._counter = 0
        self.closed = False

    def write(self, data: bytes) -> None:
        self._buf += data
        size = self._size
        if len(self._buf) <= size:
            return
        # Keep at least one byte back: the last segment must be sealed as last, and only
        # close() knows which one that is.
        cut = ((len(self._buf) - 1) // size) * size
        view = memoryview(self._buf)
        for start in range(0, cut, size):
            self._seal(view[start : start + size], last=False)
        view.release()
        del self._buf[:cut]

    def close(self) -> None:
        self._seal(bytes(self._buf), last=True)
        self._buf = bytearray()
        self.closed = True

    def _seal(self, plain: bytes | memoryview, *, last: bool) -> None:
        if self._counter >= _COUNTER_LIMIT:  # pragma: no cover - 4 PiB at 1 MiB a segment
            raise OverflowError("too many segments")
        nonce = _nonce(self._nonce, self._counter, last)
        self._fh.write(self._aead.encrypt(nonce, bytes(plain), self._ad))
        self._counter += 1


def _read_up_to(fh: BinaryIO, size: int) -> bytes:
    chunks = []
    left = size
    while left > 0:
        chunk = fh.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _opens(aead: AESGCM, header: BundleHeader, first: bytes, ad: bytes) -> bool:
    """Does a lone first segment open as *not* last? Then the file was cut after it."""
    try:
        aead.decrypt(_nonce(header.nonce, 0, False), first, ad)
    except InvalidTag:
        return False
    return True


def open_segments(fh: BinaryIO, key: bytes, header: BundleHeader, ad: bytes) -> Iterator[bytes]:
    """Authenticated plaintext of each segment in turn (`fh` is just past the header; `ad` is
    the file's own bytes from magic to the end of the header).

    A failure on the first segment means a wrong passphrase (or a changed header); a later
    one, with the passphrase proved, a damaged or truncated file.
    """
    aead = AESGCM(key)
    size = header.segment + TAG_BYTES
    try:
        current = _read_up_to(fh, size)
        counter = 0
        while True:
            following = _read_up_to(fh, size) if len(current) == size else b""
            last = not following
            if len(current) < TAG_BYTES:
                raise DamagedBundle() if counter else WrongPassphrase()
            try:
                plain = aead.decrypt(_nonce(header.nonce, counter, last), current, ad)
            except InvalidTag:
                if counter or (last and _opens(aead, header, current, ad)):
                    raise DamagedBundle() from None  # the passphrase is right: cut or changed
                raise WrongPassphrase() from None
            yield plain
            if last:
                return
            current = following
            counter += 1
            if counter >= _COUNTER_LIMIT:
                raise DamagedBundle()
    except OSError as err:
        raise UnreadableBundle() from err


__all__ = [
    "FORMAT_VERSION",
    "LEGACY_FORMAT",
    "MAGIC",
    "SUFFIX",
    "BundleError",
    "BundleHeader",
    "DamagedBundle",
    "EmptyBundle",
    "InconsistentBundle",
    "LegacyTooBig",
    "NewerBundle",
    "NotABundle",
    "NotAFile",
    "OlderBundle",
    "SegmentSealer",
    "TooBig",
    "UnreadableBundle",
    "WrongPassphrase",
    "bundle_key",
    "open_segments",
    "parse_header",
]
