"""Helpers shared by the sync tests (importable: `tests/` is on the path)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging the whole run) if the block takes longer than `seconds`."""

    def expired(_sig: int, _frame: Any) -> None:
        raise TimeoutError("hung on a hostile file")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
