"""Hybrid logical clock for the sync change log (DESIGN.md §6).

Office and prison PCs have clocks that drift or get reset, but field-level last-writer-wins
needs timestamps that never go backwards on a site and that order a change after every change
it has seen. A hybrid logical clock (Kulkarni et al., 2014) gives that while staying close to
wall time, so a conflict can still be shown to users as "when".

A timestamp is one int, `wall_ms << 16 | counter`, so it sorts correctly as a plain integer and
fits a SQLite INTEGER column (63 bits: wall time good until the year 6400 or so).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = [
    "COUNTER_BITS",
    "HLC_MAX",
    "HybridClock",
    "hlc_counter",
    "hlc_pack",
    "hlc_to_datetime",
    "hlc_wall_ms",
]

COUNTER_BITS = 16
_COUNTER_LIMIT = 1 << COUNTER_BITS
_COUNTER_MASK = _COUNTER_LIMIT - 1
HLC_MAX = (1 << 63) - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _system_ms() -> int:
    return time.time_ns() // 1_000_000


def hlc_pack(wall_ms: int, counter: int) -> int:
    """Encode a (wall time in ms since the epoch, counter) pair as one timestamp."""
    if wall_ms < 0 or not 0 <= counter < _COUNTER_LIMIT:
        raise ValueError("HLC wall time must be >= 0 and counter in [0, 65536)")
    ts = wall_ms << COUNTER_BITS | counter
    if ts > HLC_MAX:
        raise ValueError("HLC timestamp does not fit in 63 bits")
    return ts


def hlc_wall_ms(ts: int) -> int:
    return ts >> COUNTER_BITS


def hlc_counter(ts: int) -> int:
    return ts & _COUNTER_MASK


def hlc_to_datetime(ts: int) -> datetime:
    """The wall-clock part as an aware UTC datetime (for showing when a change was made)."""
    return _EPOCH + timedelta(milliseconds=hlc_wall_ms(ts))


def _check(ts: int, what: str) -> None:
    if isinstance(ts, bool) or not isinstance(ts, int) or not 0 <= ts <= HLC_MAX:
        raise ValueError(f"{what} must be an int HLC timestamp in [0, 2**63)")


class HybridClock:
    """One site's clock. Not thread-safe: use one per database session/writer."""

    def __init__(self, last: int = 0, now_ms: Callable[[], int] = _system_ms) -> None:
        """`last` is the highest timestamp already used (persist it, e.g. max of the change log),
        so a restart with a clock set back cannot reissue old timestamps."""
        _check(last, "last")
        self._last = last
        self._now_ms = now_ms

    @property
    def last(self) -> int:
        return self._last

    def _advance(self, wall: int, counter: int) -> int:
        if counter >= _COUNTER_LIMIT:
            # More than 65535 events in one millisecond (or a clock stuck in the past): borrow
            # the next millisecond rather than wrap, which would go backwards.
            wall, counter = wall + 1, 0
        self._last = hlc_pack(wall, counter)
        return self._last

    def tick(self) -> int:
        """Timestamp a local event (a write); always greater than any previous result."""
        last_wall, last_counter = hlc_wall_ms(self._last), hlc_counter(self._last)
        wall = max(last_wall, self._now_ms())
        counter = last_counter + 1 if wall == last_wall else 0
        return self._advance(wall, counter)

    def tick_run(self, n: int) -> int:
        """The first of `n` consecutive timestamps for one write of `n` fields: `first + k`
        for field k (a counter past 65535 carries into the next millisecond, as `tick` would).
        Consecutive stamps let the change log keep a record write as one row."""
        first = self.tick()
        if n > 1:
            _check(first + n - 1, "last")
            self._last = first + n - 1
        return first

    def receive(self, remote: int) -> int:
        """Merge a timestamp read from another site; the result is greater than both."""
        _check(remote, "remote")
        last_wall, last_counter = hlc_wall_ms(self._last), hlc_counter(self._last)
        remote_wall, remote_counter = hlc_wall_ms(remote), hlc_counter(remote)
        wall = max(last_wall, remote_wall, self._now_ms())
        if wall == last_wall == remote_wall:
            counter = max(last_counter, remote_counter) + 1
        elif wall == last_wall:
            counter = last_counter + 1
        elif wall == remote_wall:
            counter = remote_counter + 1
        else:
            counter = 0
        return self._advance(wall, counter)
