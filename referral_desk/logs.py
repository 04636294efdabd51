"""The log file: a trace of what went wrong, with no personal data in it.

Expected errors (a `DomainError`: bad input, a refused file) are the user's to read and are not
logged as failures. Unexpected ones are logged here, in a rotating file in the data folder
(`logs/referral-desk.log`, owner-only, 1 MB × 4), because the windowed app has no console and
IT support needs something to look at.

What is logged of an unexpected error is its type and where it happened (file, line, function
of each frame) — never its message and never local variables: a library's message can quote the
data it was given (SQLAlchemy's "[parameters: ('Zoë', 'Ward', …)]"), and this app holds
criminal-offence data. A `DomainError`'s message is written by this app to be shown to users and
never carries personal data, so it is kept.
"""

from __future__ import annotations

import logging
import os
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from referral_desk.domain.errors import DomainError

LOGGER = "referral_desk"
LOG_NAME = "referral-desk.log"
MAX_BYTES = 1_000_000
BACKUPS = 3


class _PrivateRotatingHandler(RotatingFileHandler):
    """Every log file (the current one and each rotated copy) is created owner-only."""

    def _open(self):  # type: ignore[no-untyped-def]
        path = Path(self.baseFilename)
        # Made on the first record, not at start: most runs log nothing and leave no folder.
        path.parent.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            os.chmod(path.parent, 0o700)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
        if os.name == "posix":
            os.chmod(path, 0o600)
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:
        """A log that cannot be written (read-only or full disk) is given up silently: logging
        must never stop the app, nor print a traceback of its own."""


def configure(data_dir: Path) -> Path | None:
    """Send the app's log records to the data folder's log file; returns its path (None if the
    folder cannot be written — logging must never stop the app)."""
    logger = logging.getLogger(LOGGER)
    folder = data_dir / "logs"
    path = folder / LOG_NAME
    for old in [h for h in logger.handlers if isinstance(h, _PrivateRotatingHandler)]:
        if Path(old.baseFilename) == path:
            return path
        logger.removeHandler(old)  # one process, one data folder: the newest one wins
        old.close()
    try:
        handler = _PrivateRotatingHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return path


def describe(error: BaseException) -> str:
    """The error's type and frames, without its message unless it is one of ours."""
    lines = [type(error).__qualname__]
    if isinstance(error, DomainError):
        lines[0] += f": {error}"
    for frame in traceback.extract_tb(error.__traceback__):
        lines.append(f"  {Path(frame.filename).name}:{frame.lineno} in {frame.name}")
    cause = error.__cause__ or error.__context__
    if cause is not None and cause is not error:
        lines.append("caused by " + describe(cause).replace("\n", "\n  "))
    return "\n".join(lines)


def log_unexpected(error: BaseException, where: str) -> str:
    """Log an unexpected error (see module doc) and return the description that was logged."""
    text = describe(error)
    logging.getLogger(LOGGER).error("unexpected error in %s: %s", where, text)
    return text
