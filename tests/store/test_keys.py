"""store.keys reads its key file and attempts file through files.opening: a regular file only,
bounded, never blocking on a FIFO or reading a device planted under the name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from referral_desk.store.keys import (
    _MAX_KEY_FILE_BYTES,
    ATTEMPTS_FILENAME,
    KEY_FILENAME,
    KeyFile,
    KeyFileError,
    Throttle,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs and devices")


@posix_only
def test_a_fifo_in_place_of_the_key_file_is_a_missing_key_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / KEY_FILENAME)
    with pytest.raises(KeyFileError, match="missing"):
        KeyFile.load(tmp_path)


@posix_only
def test_a_link_to_an_endless_device_is_not_read(tmp_path: Path) -> None:
    (tmp_path / KEY_FILENAME).symlink_to("/dev/zero")
    with pytest.raises(KeyFileError, match="missing"):
        KeyFile.load(tmp_path)


def test_an_oversized_key_file_is_damaged(tmp_path: Path) -> None:
    (tmp_path / KEY_FILENAME).write_bytes(b" " * (_MAX_KEY_FILE_BYTES + 1))
    with pytest.raises(KeyFileError, match="damaged"):
        KeyFile.load(tmp_path)


def test_no_key_file_is_missing(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="missing"):
        KeyFile.load(tmp_path)


@posix_only
def test_a_fifo_or_huge_attempts_file_counts_as_no_failures(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ATTEMPTS_FILENAME)
    assert Throttle(tmp_path, now=lambda: 0.0).retry_after() == 0.0
    os.unlink(tmp_path / ATTEMPTS_FILENAME)
    (tmp_path / ATTEMPTS_FILENAME).write_bytes(b'{"failures": 9, "last": 0}' + b" " * 2000)
    assert Throttle(tmp_path, now=lambda: 0.0).retry_after() == 0.0
    (tmp_path / ATTEMPTS_FILENAME).write_bytes(b'{"failures": 9, "last": 0}')
    assert Throttle(tmp_path, now=lambda: 0.0).retry_after() > 0.0
