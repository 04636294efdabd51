"""The sync bundle file: what travels on the shared store or a USB drive (DESIGN.md §6).

A bundle is a cleartext header and an encrypted payload (`container`: format, keys, segments)
holding change entries, knowledge checkpoints and a manifest (`payload`: lines, claims). This
module puts the two together: `BundleWriter` streams a bundle to a file, `open_bundle` opens
one for reading, and both work with a buffer of one segment and one line, whatever the size of
the file — an import never holds a whole file, decrypted payload or entry list in memory.

Format 1 files (written by earlier versions: one AES-GCM message over the whole payload, read
whole) are still read, but only up to LEGACY_MAX_FILE on disk and LEGACY_MAX_PAYLOAD
decompressed, which keeps reading one within the memory budget; a bigger one is refused with a
message asking for a new export.

The header is cleartext but holds no personal data: ids are random UUIDs, and file names are
`<bundle-id>.rdsync`. Every failure is a `BundleError` with a message an officer can act on;
the reader never raises anything else.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from referral_desk import __version__
from referral_desk.files import NotRegularFile, open_regular
from referral_desk.sync.container import (
    FORMAT_VERSION,
    HEADER_READ,
    LEGACY_FORMAT,
    MAGIC,
    SEGMENT,
    STREAM_PREFIX_BYTES,
    SUFFIX,
    BundleError,
    BundleHeader,
    DamagedBundle,
    EmptyBundle,
    InconsistentBundle,
    LegacyTooBig,
    NewerBundle,
    NotABundle,
    NotAFile,
    OlderBundle,
    SegmentSealer,
    TooBig,
    UnreadableBundle,
    WrongPassphrase,
    bundle_key,
    is_uuid,
    loads,
    open_segments,
    parse_header,
)
from referral_desk.sync.keys import DEFAULT_KDF, SALT_BYTES, KdfParams, KeyCache
from referral_desk.sync.payload import (
    LINE_ENTRIES,
    MIN_SCHEMA,
    SYNC_SCHEMA,
    UPGRADERS,
    Entry,
    Item,
    Knowledge,
    LineReader,
    LineWriter,
    Manifest,
    check_knowledge,
    parse_manifest,
    upgrade,
)

MAX_FILE = 4 << 30  # format 2 on disk: read in segments, so a bound on staging, not memory
LEGACY_MAX_FILE = 16 << 20  # format 1 is read whole: file, decrypted copy and parsed entries
LEGACY_MAX_PAYLOAD = 20 << 20  # decompressed; ~140 000 entries: parsed in about 220 MB


@dataclass(frozen=True)
class Bundle:
    """A small bundle read whole (tests, tools): never used for imports."""

    header: BundleHeader
    manifest: Manifest
    entries: list[Entry] = field(repr=False)
    knowledge: list[Knowledge] = field(repr=False)


# --- writing ---------------------------------------------------------------------------------


def _now_text() -> str:
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat()


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


class BundleWriter:
    """Streams one bundle to a binary file: `entries(...)` as often as needed (in increasing
    (site, seq) order), then `finish(...)`. Memory: one line and one segment."""

    def __init__(
        self,
        fh: BinaryIO,
        *,
        site_id: str,
        passphrase: str,
        keys: KeyCache,
        salt: bytes,
        kdf: KdfParams = DEFAULT_KDF,
        schema: int = SYNC_SCHEMA,
        bundle_id: str | None = None,
        segment: int = SEGMENT,
        level: int = 6,
        strict: bool = True,
    ) -> None:
        self.header = BundleHeader(
            format=FORMAT_VERSION,
            schema=schema,
            app=__version__,
            bundle_id=bundle_id or str(uuid.uuid4()),
            site_id=site_id,
            created=_now_text(),
            salt=salt,
            kdf=kdf,
            nonce=os.urandom(STREAM_PREFIX_BYTES),
            segment=segment,
        )
        key = bundle_key(keys, passphrase, self.header)
        fh.write(self.header.prefix())
        self._sealer = SegmentSealer(fh, key, self.header)
        self._lines = LineWriter(self._sealer.write, level, strict=strict)

    def entries(self, entries: Iterable[Entry]) -> None:
        self._lines.entries(entries)

    def finish(
        self,
        knowledge: Sequence[Knowledge],
        *,
        vector: dict[str, int],
        kind: str = "file",
        export_no: int = 0,
        manifest_changes: dict[str, Any] | None = None,
        manager: str = "",
    ) -> Manifest:
        """Knowledge, then the manifest; `manifest_changes` exists for tests of lying ones.
        `manager`: the team's root manager key, for a site that joins by this file."""
        self._lines.knowledge(list(knowledge))
        counts, covers = self._lines.tally.claims()
        h = self.header
        manifest = Manifest(
            bundle_id=h.bundle_id,
            site_id=h.site_id,
            schema=h.schema,
            app=h.app,
            created=h.created,
            kind=kind,
            export_no=export_no,
            vector=dict(vector),
            covers=covers,
            counts=counts,
            entry_count=self._lines.tally.entries,
            knowledge_count=self._lines.tally.knowledge,
            sha256="",
            manager=manager,
        )
        mdict = manifest.to_dict()
        if manifest_changes:
            mdict.update(manifest_changes)
        sha_given = "sha256" in (manifest_changes or {})
        digest = self._lines.finish(mdict, keep_sha=sha_given)
        self._sealer.close()
        return Manifest(**{**manifest.__dict__, "sha256": digest})


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
    segment: int = SEGMENT,
) -> tuple[bytes, Manifest]:
    """A whole bundle as bytes (tests and small tools). Entries are sorted as the format wants;
    duplicates and odd shapes are written as given, so tests can make files readers refuse."""
    out = io.BytesIO()
    writer = BundleWriter(
        out,
        site_id=site_id,
        passphrase=passphrase,
        keys=keys,
        salt=salt,
        kdf=kdf,
        schema=schema,
        bundle_id=bundle_id,
        segment=segment,
        level=level,
        strict=False,
    )
    writer.entries(sorted(entries, key=_sort_key))
    manifest = writer.finish(
        knowledge, vector=vector, kind=kind, export_no=export_no, manifest_changes=manifest_changes
    )
    return out.getvalue(), manifest


def _sort_key(e: Any) -> tuple[str, int]:
    try:
        return (str(e[0]), int(e[1]))
    except (TypeError, ValueError, IndexError):
        return ("", 0)


# --- reading ---------------------------------------------------------------------------------


class BundleReader:
    """An opened sync file whose header is parsed and key derived, not yet authenticated.

    `verify()` authenticates the whole file; `items()` authenticates and reads it, yielding
    entries and knowledge a line at a time, and raises (a BundleError) at the end unless every
    claim of the manifest held — so whatever was taken from it must be discarded until the
    iteration has finished. Use as a context manager (it holds the file open).
    """

    def __init__(
        self, fh: BinaryIO, size: int, header: BundleHeader, prefix: bytes, key: bytes
    ) -> None:
        self._fh = fh
        self.size = size
        self.header = header
        self._prefix = prefix
        self._key = key
        self.manifest: Manifest | None = None

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    def verify(self) -> None:
        """Authenticate every byte (for a file already imported: "seen" only if authentic)."""
        if self.header.format == LEGACY_FORMAT:
            self._legacy_decrypt()
            return
        for _segment in self._segments():
            pass

    def items(self) -> Iterator[Item]:
        if self.header.format == LEGACY_FORMAT:
            yield from self._legacy_items()
            return
        lines = LineReader(self.header)
        yield from lines.items(self._segments())
        self.manifest = lines.manifest

    def parse(self) -> Bundle:
        """The whole bundle in memory: for tests and small files only."""
        entries: list[Entry] = []
        knowledge: list[Knowledge] = []
        for item in self.items():
            entries.extend(item.entries)
            knowledge.extend(item.knowledge)
        assert self.manifest is not None
        return Bundle(self.header, self.manifest, entries, knowledge)

    # -- format 2 ------------------------------------------------------------------------

    def _segments(self) -> Iterator[bytes]:
        self._rewind()
        first = True
        for segment in open_segments(self._fh, self._key, self.header, self._prefix):
            if first:  # the header is authentic now: its schema can be trusted
                _check_schema(self.header)
                first = False
            yield segment

    def _rewind(self) -> None:
        try:
            self._fh.seek(len(self._prefix))
        except (OSError, ValueError) as err:
            raise UnreadableBundle() from err

    # -- format 1 ------------------------------------------------------------------------

    def _legacy_decrypt(self) -> bytes:
        self._rewind()
        try:
            sealed = self._fh.read(LEGACY_MAX_FILE + 1)
        except OSError as err:
            raise UnreadableBundle() from err
        if len(self._prefix) + len(sealed) > LEGACY_MAX_FILE:
            raise LegacyTooBig()
        try:
            compressed = AESGCM(self._key).decrypt(self.header.nonce, sealed, self._prefix)
        except InvalidTag:
            raise WrongPassphrase() from None
        _check_schema(self.header)
        return compressed

    def _legacy_items(self) -> Iterator[Item]:
        payload = _legacy_decompress(self._legacy_decrypt())
        cut = payload.find(b"\n")
        if cut < 0:
            raise InconsistentBundle()
        try:
            manifest = parse_manifest(loads(payload[:cut]), self.header)
        except ValueError as err:
            raise InconsistentBundle() from err
        body = memoryview(payload)[cut + 1 :]
        if hashlib.sha256(body).hexdigest() != manifest.sha256:
            raise InconsistentBundle()
        try:
            data = loads(body.tobytes())
        except ValueError as err:
            raise InconsistentBundle() from err
        del body, payload
        if not isinstance(data, dict):
            raise InconsistentBundle()
        entries = _legacy_check_entries(data.get("entries"))
        knowledge = check_knowledge(data.get("knowledge"))
        counts, covers, duplicates = _legacy_describe(entries)
        if (
            duplicates
            or len(entries) != manifest.entry_count
            or len(knowledge) != manifest.knowledge_count
            or counts != manifest.counts
            or covers != manifest.covers
        ):
            raise InconsistentBundle()
        own = covers.get(self.header.site_id)
        if own is not None and manifest.vector.get(self.header.site_id, 0) < own[1]:
            raise InconsistentBundle()
        self.manifest = manifest
        for start in range(0, len(entries), LINE_ENTRIES):
            yield Item(upgrade(self.header.schema, entries[start : start + LINE_ENTRIES]), [])
        if knowledge:
            yield Item([], knowledge)


def _check_schema(header: BundleHeader) -> None:
    if header.schema > SYNC_SCHEMA:
        raise NewerBundle()
    if header.schema < MIN_SCHEMA:
        raise OlderBundle()


def _legacy_decompress(compressed: bytes) -> bytes:
    try:
        d = zlib.decompressobj()
        out = d.decompress(compressed, LEGACY_MAX_PAYLOAD)
        if d.unconsumed_tail:
            raise LegacyTooBig()
        if not d.eof:
            raise DamagedBundle()
        return out
    except zlib.error as err:
        raise DamagedBundle() from err


def _legacy_check_entries(entries: object) -> list[Entry]:
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


def _legacy_describe(
    entries: Sequence[Entry],
) -> tuple[dict[str, int], dict[str, tuple[int, int, int]], bool]:
    """What a format-1 manifest claims (format 1 put no order on entries)."""
    counts: dict[str, int] = {}
    by_site: dict[str, list[int]] = {}
    for e in entries:
        table = e[2] if len(e) > 2 and type(e[2]) is str else "?"
        counts[table] = counts.get(table, 0) + 1
        by_site.setdefault(e[0], []).append(e[1])
    covers = {k: (min(v), max(v), len(v)) for k, v in by_site.items()}
    dups = any(len(set(v)) != len(v) for v in by_site.values())
    return counts, covers, dups


def _open(fh: BinaryIO, size: int, passphrase: str, keys: KeyCache) -> BundleReader:
    try:
        start = fh.read(HEADER_READ)
    except OSError as err:
        raise UnreadableBundle() from err
    header, plen = parse_header(start)
    if header.format == LEGACY_FORMAT and size > LEGACY_MAX_FILE:
        raise LegacyTooBig()
    if size > MAX_FILE:
        raise TooBig()
    key = bundle_key(keys, passphrase, header)
    return BundleReader(fh, size, header, start[:plen], key)


def open_bundle(
    path: Path, passphrase: str, keys: KeyCache, *, follow_symlinks: bool = True
) -> BundleReader:
    """Open a sync file: a regular file (never a pipe or device, and never a link unless
    `follow_symlinks`, for a path the user gave), read without blocking on what is not a file.
    Parses the header and derives the key; nothing is authenticated yet."""
    try:
        fh, size = open_regular(Path(path), follow_symlinks=follow_symlinks)
    except NotRegularFile:
        raise NotAFile() from None
    except (OSError, ValueError) as err:
        raise UnreadableBundle() from err
    try:
        return _open(fh, size, passphrase, keys)
    except BaseException:
        fh.close()
        raise


def open_bytes(data: bytes, passphrase: str, keys: KeyCache) -> BundleReader:
    return _open(io.BytesIO(data), len(data), passphrase, keys)


def unlock(data: bytes, passphrase: str, keys: KeyCache) -> BundleReader:
    """Open a bundle held in memory and authenticate all of it (tests and small tools)."""
    reader = open_bytes(data, passphrase, keys)
    reader.verify()
    return reader


Unlocked = BundleReader  # the name earlier versions used


def is_bundle_name(name: str) -> bool:
    """Bundle files in a store are named `<uuid>.rdsync`; anything else is ignored."""
    return name.endswith(SUFFIX) and is_uuid(name[: -len(SUFFIX)])


__all__ = [
    "FORMAT_VERSION",
    "HEADER_READ",
    "MAGIC",
    "SUFFIX",
    "SYNC_SCHEMA",
    "UPGRADERS",
    "Bundle",
    "BundleError",
    "BundleHeader",
    "BundleReader",
    "BundleWriter",
    "DamagedBundle",
    "EmptyBundle",
    "InconsistentBundle",
    "LegacyTooBig",
    "Manifest",
    "NewerBundle",
    "NotABundle",
    "NotAFile",
    "OlderBundle",
    "TooBig",
    "UnreadableBundle",
    "WrongPassphrase",
    "is_bundle_name",
    "new_salt",
    "open_bundle",
    "open_bytes",
    "parse_header",
    "seal",
    "unlock",
]
