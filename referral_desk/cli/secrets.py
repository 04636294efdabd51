"""Passphrases for scripted use: from `--passphrase-file FILE` (its first line) or an
environment variable, never a prompt (sync and hub commands run from scheduled jobs).

The file is read like every other file the app is handed: a regular file only (a FIFO would
otherwise block the command for ever, a device could feed it without end), at most a few
kilobytes, UTF-8 with or without a byte-order mark. The messages never include the path.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from referral_desk.domain.errors import ValidationError
from referral_desk.files import NotRegularFile, read_regular

MAX_FILE_BYTES = 4096


def _first_line(path: str) -> str:
    try:
        data = read_regular(Path(path).expanduser(), MAX_FILE_BYTES, follow_symlinks=True)
    except NotRegularFile:
        raise ValidationError("The passphrase file is not a regular file.") from None
    except (OSError, RuntimeError):  # RuntimeError: an unknown ~user
        raise ValidationError("The passphrase file cannot be read.") from None
    if data is None:
        raise ValidationError("The passphrase file is too big to hold a passphrase.")
    try:
        lines = data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise ValidationError("The passphrase file cannot be read.") from None
    return lines[0] if lines else ""


def read_passphrase_from(args: argparse.Namespace, env: str, what: str = "passphrase") -> str:
    """`--passphrase-file` (first line), else `$env`; a clear refusal when neither gives one."""
    path = getattr(args, "passphrase_file", None)
    value = _first_line(path) if path else os.environ.get(env, "")
    if not value:
        raise ValidationError(f"No {what}: give --passphrase-file FILE or set {env}.")
    return value


def scripted_secret(path: str | None, env: str) -> str:
    """The first line of `path` when given, else `$env`; "" when neither gives one."""
    return _first_line(path) if path else os.environ.get(env, "")
