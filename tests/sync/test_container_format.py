"""Format 2 (segments, lines, trailing manifest) and format 1 still read within its caps."""

from __future__ import annotations

import io
import json
import struct
import uuid
from pathlib import Path

import pytest
from sync_format1 import seal_format1

from referral_desk.sync import bundle as b
from referral_desk.sync import container as c
from referral_desk.sync import keys as k
from referral_desk.sync import payload as pl

PW = "a long team passphrase"
FAST = k.KdfParams(n=2**14)
SALT = b"\x03" * 16
KEYS = k.KeyCache()
DATA = Path(__file__).parent.parent / "data" / "sync"


def _entries(n: int, site: str | None = None) -> list[list[object]]:
    site = site or str(uuid.uuid4())
    rid = str(uuid.uuid4())
    return [
        [site, i + 1, "person", rid, "given_name", json.dumps(f"Name {i} " + "x" * 40), i + 7, 0]
        for i in range(n)
    ]


def _seal(entries: list[list[object]], **kw: object) -> bytes:
    site = entries[0][0] if entries else str(uuid.uuid4())
    top = max((e[1] for e in entries if e[0] == site), default=0)
    return b.seal(
        entries,
        [[site, 0, {site: 0}]],
        site_id=site,
        vector={site: top},
        passphrase=PW,
        keys=KEYS,
        salt=SALT,
        kdf=FAST,
        **kw,
    )[0]


def _segments(data: bytes, segment: int) -> tuple[bytes, list[bytes]]:
    """(prefix, sealed segments) of a format-2 file."""
    _m, _f, hlen = struct.unpack_from(">8sHI", data)
    start = 14 + hlen
    size = segment + c.TAG_BYTES
    return data[:start], [data[i : i + size] for i in range(start, len(data), size)]


@pytest.fixture(scope="module")
def multi() -> bytes:
    """A bundle of several small segments (level 0: the payload is not compressed away)."""
    return _seal(_entries(400), segment=1024, level=0)


def test_round_trip_through_many_segments(multi: bytes) -> None:
    _prefix, segments = _segments(multi, 1024)
    assert len(segments) > 10
    bundle = b.unlock(multi, PW, KEYS).parse()
    assert bundle.header.format == 2 and bundle.manifest.entry_count == 400
    assert [e[1] for e in bundle.entries] == list(range(1, 401))
    assert len(bundle.knowledge) == 1


def test_a_file_cut_at_a_segment_boundary_is_refused(multi: bytes) -> None:
    prefix, segments = _segments(multi, 1024)
    for keep in (1, 2, len(segments) - 1):
        with pytest.raises(b.DamagedBundle):
            b.unlock(prefix + b"".join(segments[:keep]), PW, KEYS)


@pytest.mark.parametrize("edit", ["swap", "repeat", "drop-middle", "append-garbage", "append-copy"])
def test_reordered_repeated_or_extra_segments_are_refused(multi: bytes, edit: str) -> None:
    prefix, s = _segments(multi, 1024)
    if edit == "swap":
        s[2], s[3] = s[3], s[2]
    elif edit == "repeat":
        s.insert(3, s[3])
    elif edit == "drop-middle":
        del s[4]
    elif edit == "append-garbage":
        s.append(b"\x00" * 40)
    else:
        s.append(s[-1])
    with pytest.raises(b.BundleError):
        b.unlock(prefix + b"".join(s), PW, KEYS)


def test_first_segment_failing_means_wrong_passphrase(multi: bytes) -> None:
    with pytest.raises(b.WrongPassphrase):
        b.unlock(multi, "another long passphrase", KEYS)


def test_entries_out_of_order_are_refused() -> None:
    out = io.BytesIO()
    site = str(uuid.uuid4())
    writer = b.BundleWriter(
        out, site_id=site, passphrase=PW, keys=KEYS, salt=SALT, kdf=FAST, strict=False
    )
    entries = _entries(5, site)
    writer.entries([entries[1], entries[0], *entries[2:]])
    writer.finish([], vector={site: 5})
    with pytest.raises(b.InconsistentBundle):
        b.unlock(out.getvalue(), PW, KEYS).parse()


def test_the_writer_refuses_to_write_out_of_order() -> None:
    writer = b.BundleWriter(
        io.BytesIO(), site_id=str(uuid.uuid4()), passphrase=PW, keys=KEYS, salt=SALT, kdf=FAST
    )
    entries = _entries(3)
    with pytest.raises(b.InconsistentBundle):
        writer.entries([entries[2], entries[0]])
        writer.finish([], vector={})


def test_a_line_longer_than_the_reader_allows_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _seal(_entries(50))
    monkeypatch.setattr(pl, "MAX_LINE", 200)
    with pytest.raises(b.InconsistentBundle):
        b.unlock(data, PW, KEYS).parse()


def test_the_writer_streams_segments_before_it_finishes() -> None:
    out = io.BytesIO()
    site = str(uuid.uuid4())
    writer = b.BundleWriter(
        out, site_id=site, passphrase=PW, keys=KEYS, salt=SALT, kdf=FAST, segment=4096, level=0
    )
    header_size = out.tell()
    writer.entries(_entries(2000, site))  # about 200 kB of lines
    assert out.tell() > header_size + 100_000, "segments are written as they fill"
    writer.finish([], vector={site: 2000})
    assert b.unlock(out.getvalue(), PW, KEYS).parse().manifest.entry_count == 2000


def test_a_format_1_file_written_by_the_released_code_still_imports(make_site, h) -> None:
    site = make_site("reader")
    path = DATA / "format1-written-by-0.1.rdsync"
    with b.open_bundle(path, h.PASSPHRASE, h.KEYS) as reader:
        assert reader.header.format == 1
    summary = site.sync.import_file(path, h.PASSPHRASE)
    assert summary.bundles == 1 and summary.people == 2 and summary.needs == 1
    names = sorted(p.given_name for p in site.people.list())
    assert names == ["Ada", "Bo"]
    again = site.sync.import_file(path, h.PASSPHRASE)
    assert again.already_seen == 1


def test_format_1_files_from_the_old_writer_read_like_before() -> None:
    entries = _entries(300)
    site = entries[0][0]
    data = seal_format1(
        entries,
        [[site, 0, {site: 0}]],
        site_id=site,
        vector={site: 300},
        passphrase=PW,
        keys=KEYS,
        salt=SALT,
        kdf=FAST,
    )
    bundle = b.unlock(data, PW, KEYS).parse()
    assert bundle.header.format == 1 and bundle.entries == entries
    with pytest.raises(b.WrongPassphrase):
        b.unlock(data, "another long passphrase", KEYS)


def test_a_format_1_file_over_the_caps_asks_for_a_new_export(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    entries = _entries(3000)
    site = entries[0][0]
    data = seal_format1(
        entries,
        [],
        site_id=site,
        vector={site: 3000},
        passphrase=PW,
        keys=KEYS,
        salt=SALT,
        kdf=FAST,
    )
    path = tmp_path / "old.rdsync"
    path.write_bytes(data)
    monkeypatch.setattr(b, "LEGACY_MAX_PAYLOAD", 100_000)  # decompressed: refused while reading
    with pytest.raises(b.LegacyTooBig, match="export it again with this version"):
        b.unlock(data, PW, KEYS).parse()
    monkeypatch.setattr(b, "LEGACY_MAX_FILE", len(data) - 1)  # on disk: refused before reading
    with pytest.raises(b.LegacyTooBig):
        b.open_bundle(path, PW, KEYS)
