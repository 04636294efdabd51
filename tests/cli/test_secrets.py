"""Passphrases for scripts: `--passphrase-file` or the environment, never a hang or a prompt."""

from __future__ import annotations

import argparse
import os
import threading

import pytest

from referral_desk.cli.secrets import read_passphrase_from
from referral_desk.domain.errors import ValidationError

ENV = "REFERRAL_DESK_TEST_PASSPHRASE"


def args(path=None) -> argparse.Namespace:
    return argparse.Namespace(passphrase_file=None if path is None else str(path))


def test_first_line_of_the_file_or_the_environment(tmp_path, monkeypatch) -> None:
    file = tmp_path / "pp"
    file.write_bytes("\ufeffcorrect horse battery staple\nsecond line\n".encode())
    assert read_passphrase_from(args(file), ENV) == "correct horse battery staple"
    monkeypatch.setenv(ENV, "from the environment")
    assert read_passphrase_from(args(), ENV) == "from the environment"
    monkeypatch.delenv(ENV)
    with pytest.raises(ValidationError, match=f"give --passphrase-file FILE or set {ENV}"):
        read_passphrase_from(args(), ENV)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_is_refused_at_once_never_waited_on(tmp_path) -> None:
    fifo = tmp_path / "pp"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_passphrase_from(args(fifo), ENV)
        except BaseException as err:
            outcome.append(err)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "reading a FIFO as the passphrase file hung"
    assert isinstance(outcome[0], ValidationError) and "not a regular file" in str(outcome[0])


def test_a_folder_a_missing_file_and_a_huge_file_are_refused(tmp_path) -> None:
    huge = tmp_path / "huge"
    huge.write_bytes(b"x" * 100_000)
    for path, words in (
        (tmp_path, "not a regular file"),
        (tmp_path / "nope", "cannot be read"),
        (huge, "too big"),
    ):
        with pytest.raises(ValidationError, match=words):
            read_passphrase_from(args(path), ENV)
