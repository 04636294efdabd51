"""The sync bundle file: what travels on the shared store or a USB drive (DESIGN.md §6).

Layout (all integers big-endian)::

    magic      8 bytes   b"RDSYNC\\x1a\\n"  (the ^Z and LF catch text-mode copies, as PNG does)
    format     2 bytes   container format version (FORMAT_VERSION)
    hlen       4 bytes   length of the header
    header     hlen      compact JSON: format, schema, app version, bundle id, exporting site,
                         creation time, salt, KDF parameters, nonce
    sealed     rest      AES-256-GCM(payload), associated data = magic..header (so the header
                         cannot be altered either), 16-byte tag at the end

    payload    zlib(manifest JSON + b"\\n" + body JSON)
    body       {"entries": [[site, seq, table, record, field, value, hlc, tombstone], ...],
                "knowledge": [[site, after_seq, {site: seq}], ...]}

The manifest repeats the header's identity and states what the body holds (entry count, counts
per table, the seq range per site, the exporter's version vector, SHA-256 of the body); the
reader checks every claim. The header is cleartext but holds no personal data: ids are random
UUIDs, and file names are `<bundle-id>.rdsync`.

Nothing is decided from a file before it is authenticated, except the few checks needed to try
(magic, format version, header syntax, accepted KDF parameters). Every failure is a
`BundleError` with a message an officer can act on; the reader never raises anything else.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from referral_desk import __version__
from referral_desk.domain.errors import DomainError
from referral_desk.sync.files import NotRegularFile, open_regular
from referral_desk.sync.keys import DEFAULT_KDF, SALT_BYTES, KdfParams, KeyCache, subkey

MAGIC = b"RDSYNC\x1a\n"
FORMAT_VERSION = 1
# Meaning of the entries (table and field names, value encodings). Bump when that changes and
# add an upgrader from the previous version to UPGRADERS, so older bundles keep importing.
SYNC_SCHEMA = 2
MIN_SCHEMA = 1


def _from_1(entries: list[list[Any]]) -> list[list[Any]]:
    """Schema 2 added `referral.risk_note`: schema-1 entries mean the same and carry none.

    A schema-2 bundle is refused by an app that knows only schema 1 ("update Referral Desk"),
    so a risk note is never silently dropped on a colleague's computer.
    """
    return entries


UPGRADERS: dict[int, Callable[[list[list[Any]]], list[list[Any]]]] = {1: _from_1}

SUFFIX = ".rdsync"
MAX_HEADER = 4096
MAX_PAYLOAD = 1 << 31  # decompressed; a bigger file is refused rather than exhausting memory
MAX_FILE = 64 << 20  # bytes on disk; read whole, so bounded
NONCE_BYTES = 12
TAG_BYTES = 16
_PREFIX = struct.Struct(">8sHI")
HEADER_READ = _PREFIX.size + MAX_HEADER + 1  # enough of a file to parse its header
_PURPOSE = b"referral-desk/bundle/v1"

Entry = list[Any]  # [site, seq, table, record, field, value (JSON text), hlc, tombstone 0/1]
Knowledge = list[Any]  # [site, after_seq, {site: seq}]


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
    nonce: bytes

    def to_json(self) -> bytes:
        data = {
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
        return json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8")


@dataclass(frozen=True)
class Manifest:
    bundle_id: str
    site_id: str
    schema: int
    app: str
    created: str
    kind: str  # "store" (incremental, to a shared store) or "file" (everything)
    export_no: int
    vector: dict[str, int]
    covers: dict[str, tuple[int, int, int]]  # site -> (min seq, max seq, count)
    counts: dict[str, int]  # table -> entries
    entry_count: int
    knowledge_count: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle_id,
            "site": self.site_id,
            "schema": self.schema,
            "app": self.app,
            "created": self.created,
            "kind": self.kind,
            "export_no": self.export_no,
            "vector": self.vector,
            "covers": {k: list(v) for k, v in self.covers.items()},
            "counts": self.counts,
            "entry_count": self.entry_count,
            "knowledge_count": self.knowledge_count,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class Bundle:
    header: BundleHeader
    manifest: Manifest
    entries: list[Entry] = field(repr=False)
    knowledge: list[Knowledge] = field(repr=False)


# --- writing ---------------------------------------------------------------------------------


def describe(entries: Sequence[Entry]) -> tuple[dict[str, int], dict[str, tuple[int, int, int]]]:
    """Counts per table and (min, max, count) seq per site: what a manifest claims."""
    counts, covers, _dups = _describe(entries)
    return counts, covers


def _describe(
    entries: Sequence[Entry],
) -> tuple[dict[str, int], dict[str, tuple[int, int, int]], bool]:
    counts: dict[str, int] = {}
    by_site: dict[str, list[int]] = {}
    for e in entries:
        table = e[2] if len(e) > 2 and type(e[2]) is str else "?"
        counts[table] = counts.get(table, 0) + 1
        seqs = by_site.get(e[0])
        if seqs is None:
            by_site[e[0]] = [e[1]]
        else:
            seqs.append(e[1])
    covers = {k: (min(v), max(v), len(v)) for k, v in by_site.items()}
    dups = any(len(set(v)) != len(v) for v in by_site.values())
    return counts, covers, dups


def _now_text() -> str:
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat()


def seal(
    entries: Sequence[Entry],
    knowledge: Sequence[Knowledge],
    *,
    site_id: str,
    vector: dict[str, int],
    passphrase: str,
    keys: KeyCache,
    salt: bytes,
    kdf: KdfParams = DEFAULT_KDF,
    kind: str = "file",
    export_no: int = 0,
    bundle_id: str | None = None,
    schema: int = SYNC_SCHEMA,
    manifest_changes: dict[str, Any] | None = None,
    level: int = 6,
) -> tuple[bytes, Manifest]:
    """Build an encrypted bundle. `manifest_changes` exists for tests of lying manifests."""
    bundle_id = bundle_id or str(uuid.uuid4())
    created = _now_text()
    body = json.dumps(
        {"entries": list(entries), "knowledge": list(knowledge)},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    counts, covers = describe(entries)
    manifest = Manifest(
        bundle_id=bundle_id, site_id=site_id, schema=schema, app=__version__, created=created,
        kind=kind, export_no=export_no, vector=dict(vector), covers=covers, counts=counts,
        entry_count=len(entries), knowledge_count=len(knowledge),
        sha256=hashlib.sha256(body).hexdigest(),
    )  # fmt: skip
    mdict = manifest.to_dict()
    if manifest_changes:
        mdict.update(manifest_changes)
    payload = json.dumps(mdict, separators=(",", ":")).encode("utf-8") + b"\n" + body
    compressed = zlib.compress(payload, level)
    header = BundleHeader(
        format=FORMAT_VERSION, schema=schema, app=__version__, bundle_id=bundle_id,
        site_id=site_id, created=created, salt=salt, kdf=kdf, nonce=os.urandom(NONCE_BYTES),
    )  # fmt: skip
    hbytes = header.to_json()
    prefix = _PREFIX.pack(MAGIC, FORMAT_VERSION, len(hbytes)) + hbytes
    key = subkey(keys.master(passphrase, salt, kdf), _PURPOSE, bundle_id.encode("ascii"))
    sealed = AESGCM(key).encrypt(header.nonce, compressed, prefix)
    return prefix + sealed, manifest


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a hidden temporary name beside `path`, flush to disk, then rename over it, so
    readers (other sites, a crash) only ever see no file or the whole file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- reading ---------------------------------------------------------------------------------


def _is_uuid(text: object) -> bool:
    if not isinstance(text, str) or len(text) != 36:
        return False
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _loads(data: bytes) -> Any:
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


def _int(value: object, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or value >= 1 << 63:
        raise ValueError("not an int")
    return value


def parse_header(data: bytes) -> tuple[BundleHeader, int]:
    """Checks needed before decryption can even be tried. Returns (header, prefix length)."""
    if not data:
        raise EmptyBundle()
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        raise NotABundle()
    if len(data) < _PREFIX.size:
        raise DamagedBundle()
    _magic, fmt, hlen = _PREFIX.unpack_from(data)
    if fmt > FORMAT_VERSION:
        raise NewerBundle()
    if fmt < 1 or hlen > MAX_HEADER or len(data) < _PREFIX.size + hlen + TAG_BYTES:
        raise DamagedBundle()
    raw = data[_PREFIX.size : _PREFIX.size + hlen]
    try:
        h = _loads(raw)
        if not isinstance(h, dict):
            raise ValueError("header")
        kdf = KdfParams.from_dict(h.get("kdf"))
        if kdf is None:
            raise ValueError("kdf")
        if not (_is_uuid(h.get("bundle")) and _is_uuid(h.get("site"))):
            raise ValueError("ids")
        salt = _b64(h.get("salt"))
        if not 16 <= len(salt) <= 64:
            raise ValueError("salt")
        header = BundleHeader(
            format=_int(h.get("format"), 1), schema=_int(h.get("schema"), 0),
            app=str(h.get("app", ""))[:40], bundle_id=h["bundle"], site_id=h["site"],
            created=str(h.get("created", ""))[:40], salt=salt, kdf=kdf,
            nonce=_b64(h.get("nonce"), NONCE_BYTES),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError) as err:
        raise DamagedBundle() from err
    if header.format != fmt:
        raise DamagedBundle()
    return header, _PREFIX.size + hlen


@dataclass(frozen=True)
class Unlocked:
    """An authenticated bundle whose payload is not parsed yet (cheap "already seen" checks)."""

    header: BundleHeader
    compressed: bytes = field(repr=False)
    size: int = 0

    def parse(self) -> Bundle:
        return _parse_payload(self.header, self.compressed)

    def verify(self) -> None:
        """Authenticated already when unlocked."""


def unlock(data: bytes, passphrase: str, keys: KeyCache) -> Unlocked:
    """Authenticate the whole file (header included) and decrypt it; refuse newer schemas."""
    header, plen = parse_header(data)
    key = subkey(keys.master(passphrase, header.salt, header.kdf), _PURPOSE,
                 header.bundle_id.encode("ascii"))  # fmt: skip
    try:
        compressed = AESGCM(key).decrypt(header.nonce, data[plen:], data[:plen])
    except InvalidTag:
        raise WrongPassphrase() from None
    if header.schema > SYNC_SCHEMA:
        raise NewerBundle()
    if header.schema < MIN_SCHEMA:
        raise OlderBundle()
    return Unlocked(header, compressed, len(data))


def read_file(path: Path, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of a sync file: a regular file (never a link found in a store, a pipe or a
    device) no bigger than MAX_FILE, read without ever blocking on what is not a file."""
    try:
        fh, size = open_regular(Path(path), follow_symlinks=follow_symlinks)
    except NotRegularFile:
        raise NotAFile() from None
    except (OSError, ValueError) as err:
        raise UnreadableBundle() from err
    with fh:
        if size > MAX_FILE:
            raise TooBig()
        try:
            data = fh.read(MAX_FILE + 1)
        except OSError as err:
            raise UnreadableBundle() from err
    if len(data) > MAX_FILE:  # it grew while we looked
        raise TooBig()
    return data


def open_bundle(
    path: Path, passphrase: str, keys: KeyCache, *, follow_symlinks: bool = True
) -> Unlocked:
    return unlock(read_file(path, follow_symlinks=follow_symlinks), passphrase, keys)


def _decompress(compressed: bytes) -> bytes:
    try:
        d = zlib.decompressobj()
        out = d.decompress(compressed, MAX_PAYLOAD)
        if d.unconsumed_tail or not d.eof:
            raise DamagedBundle()
        return out
    except zlib.error as err:
        raise DamagedBundle() from err


def _check_entries(entries: object) -> list[Entry]:
    """Shape checks only; the content of each entry is validated (and quarantined) on import.
    An entry without a usable (site, seq) identity cannot even be quarantined or relayed."""
    if type(entries) is not list:
        raise InconsistentBundle()
    top = 1 << 63
    good_sites: set[str] = set()
    for e in entries:
        if type(e) is not list or len(e) < 2:
            raise InconsistentBundle()
        site, seq = e[0], e[1]
        if type(seq) is not int or not 0 < seq < top or type(site) is not str:
            raise InconsistentBundle()
        if site not in good_sites:
            if not 0 < len(site) <= 64:
                raise InconsistentBundle()
            good_sites.add(site)
    return entries


def _check_knowledge(items: object) -> list[Knowledge]:
    if not isinstance(items, list):
        raise InconsistentBundle()
    for k in items:
        if not (isinstance(k, list) and len(k) == 3 and _is_uuid(k[0]) and isinstance(k[2], dict)):
            raise InconsistentBundle()
        try:
            _int(k[1])
            for s, n in k[2].items():
                if not _is_uuid(s):
                    raise ValueError("site")
                _int(n)
        except ValueError as err:
            raise InconsistentBundle() from err
    return items


def _manifest(m: object, header: BundleHeader) -> Manifest:
    try:
        if not isinstance(m, dict):
            raise ValueError("manifest")
        vector = {str(k): _int(v) for k, v in dict(m["vector"]).items()}
        covers = {}
        for k, v in dict(m["covers"]).items():
            if not isinstance(v, list) or len(v) != 3:
                raise ValueError("covers")
            covers[str(k)] = (_int(v[0]), _int(v[1]), _int(v[2]))
        counts = {str(k): _int(v) for k, v in dict(m["counts"]).items()}
        manifest = Manifest(
            bundle_id=str(m["bundle"]), site_id=str(m["site"]), schema=_int(m["schema"]),
            app=str(m.get("app", "")), created=str(m.get("created", "")),
            kind=str(m.get("kind", "file")), export_no=_int(m.get("export_no", 0)),
            vector=vector, covers=covers, counts=counts, entry_count=_int(m["entry_count"]),
            knowledge_count=_int(m["knowledge_count"]), sha256=str(m["sha256"]),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError) as err:
        raise InconsistentBundle() from err
    if (manifest.bundle_id, manifest.site_id, manifest.schema) != (
        header.bundle_id,
        header.site_id,
        header.schema,
    ):
        raise InconsistentBundle()
    return manifest


def _parse_payload(header: BundleHeader, compressed: bytes) -> Bundle:
    payload = _decompress(compressed)
    cut = payload.find(b"\n")
    if cut < 0:
        raise InconsistentBundle()
    try:
        m = _loads(payload[:cut])
    except ValueError as err:
        raise InconsistentBundle() from err
    manifest = _manifest(m, header)
    body = payload[cut + 1 :]
    if hashlib.sha256(body).hexdigest() != manifest.sha256:
        raise InconsistentBundle()
    try:
        data = _loads(body)
    except ValueError as err:
        raise InconsistentBundle() from err
    if not isinstance(data, dict):
        raise InconsistentBundle()
    entries = _check_entries(data.get("entries"))
    knowledge = _check_knowledge(data.get("knowledge"))
    counts, covers, duplicates = _describe(entries)
    if (
        duplicates
        or len(entries) != manifest.entry_count
        or len(knowledge) != manifest.knowledge_count
        or counts != manifest.counts
        or covers != manifest.covers
    ):
        raise InconsistentBundle()
    own = covers.get(header.site_id)  # the vector must cover the exporter's own entries
    if own is not None and manifest.vector.get(header.site_id, 0) < own[1]:
        raise InconsistentBundle()
    schema = header.schema
    while schema < SYNC_SCHEMA:
        entries = UPGRADERS[schema](entries)
        schema += 1
    return Bundle(header, manifest, entries, knowledge)


def is_bundle_name(name: str) -> bool:
    """Bundle files in a store are named `<uuid>.rdsync`; anything else is ignored."""
    return name.endswith(SUFFIX) and _is_uuid(name[: -len(SUFFIX)])


__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "SUFFIX",
    "SYNC_SCHEMA",
    "Bundle",
    "BundleError",
    "BundleHeader",
    "DamagedBundle",
    "EmptyBundle",
    "InconsistentBundle",
    "Manifest",
    "NewerBundle",
    "NotABundle",
    "Unlocked",
    "WrongPassphrase",
    "is_bundle_name",
    "open_bundle",
    "read_file",
    "seal",
    "unlock",
    "write_atomically",
]
