from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.hlc import (
    HLC_MAX,
    HybridClock,
    hlc_counter,
    hlc_pack,
    hlc_to_datetime,
    hlc_wall_ms,
)

T0 = 1_780_000_000_000  # ms, mid 2026


class FakeTime:
    def __init__(self, *readings):
        self.readings = list(readings)
        self.last = readings[0]

    def __call__(self):
        if self.readings:
            self.last = self.readings.pop(0)
        return self.last


def test_pack_and_unpack():
    ts = hlc_pack(T0, 7)
    assert ts == T0 << 16 | 7
    assert (hlc_wall_ms(ts), hlc_counter(ts)) == (T0, 7)
    with pytest.raises(ValueError):
        hlc_pack(T0, 1 << 16)
    with pytest.raises(ValueError):
        hlc_pack(-1, 0)
    with pytest.raises(ValueError):
        hlc_pack(1 << 47, 0)


def test_to_datetime():
    ts = hlc_pack(T0 + 123, 5)
    dt = hlc_to_datetime(ts)
    assert dt.tzinfo is UTC
    assert dt == datetime.fromtimestamp(T0 / 1000, UTC).replace(microsecond=123_000)
    assert hlc_to_datetime(0) == datetime(1970, 1, 1, tzinfo=UTC)


def test_tick_follows_wall_clock():
    clock = HybridClock(now_ms=FakeTime(T0, T0 + 5))
    assert clock.tick() == hlc_pack(T0, 0)
    assert clock.tick() == hlc_pack(T0 + 5, 0)
    assert clock.last == hlc_pack(T0 + 5, 0)


def test_tick_same_millisecond_counts():
    clock = HybridClock(now_ms=lambda: T0)
    assert [hlc_counter(clock.tick()) for _ in range(3)] == [0, 1, 2]


def test_monotonic_when_clock_goes_backwards():
    clock = HybridClock(now_ms=FakeTime(T0, T0 - 60_000, T0 - 60_000, T0 + 1))
    a, b, c, d = (clock.tick() for _ in range(4))
    assert a < b < c < d
    assert hlc_wall_ms(b) == hlc_wall_ms(c) == T0
    assert hlc_wall_ms(d) == T0 + 1


def test_restart_with_persisted_last_never_reissues():
    first = HybridClock(now_ms=lambda: T0)
    used = [first.tick() for _ in range(3)]
    restarted = HybridClock(last=used[-1], now_ms=lambda: T0 - 1000)
    assert restarted.tick() > used[-1]


def test_receive_from_future_moves_past_it():
    clock = HybridClock(now_ms=lambda: T0)
    local = clock.tick()
    remote = hlc_pack(T0 + 3_600_000, 9)
    merged = clock.receive(remote)
    assert merged > remote > local
    assert merged == hlc_pack(T0 + 3_600_000, 10)
    assert clock.tick() > merged


def test_receive_from_past_keeps_local_time():
    clock = HybridClock(now_ms=lambda: T0)
    local = clock.tick()
    assert clock.receive(hlc_pack(T0 - 5000, 3)) == local + 1


def test_receive_same_wall_takes_max_counter():
    clock = HybridClock(last=hlc_pack(T0, 4), now_ms=lambda: T0 - 1)
    assert clock.receive(hlc_pack(T0, 9)) == hlc_pack(T0, 10)
    clock = HybridClock(last=hlc_pack(T0, 12), now_ms=lambda: T0 - 1)
    assert clock.receive(hlc_pack(T0, 9)) == hlc_pack(T0, 13)


def test_receive_when_physical_clock_is_ahead():
    clock = HybridClock(last=hlc_pack(T0, 4), now_ms=lambda: T0 + 10)
    assert clock.receive(hlc_pack(T0 + 5, 9)) == hlc_pack(T0 + 10, 0)


def test_counter_overflow_bumps_wall():
    clock = HybridClock(last=hlc_pack(T0, 0xFFFF), now_ms=lambda: T0)
    ts = clock.tick()
    assert ts == hlc_pack(T0 + 1, 0)
    assert ts > hlc_pack(T0, 0xFFFF)
    clock = HybridClock(last=hlc_pack(T0, 3), now_ms=lambda: T0)
    assert clock.receive(hlc_pack(T0, 0xFFFF)) == hlc_pack(T0 + 1, 0)


def test_bad_inputs():
    with pytest.raises(ValueError):
        HybridClock(last=-1)
    clock = HybridClock()
    with pytest.raises(ValueError):
        clock.receive(HLC_MAX + 1)
    with pytest.raises(ValueError):
        clock.receive("12")  # type: ignore[arg-type]


def test_default_clock_is_close_to_now():
    ts = HybridClock().tick()
    assert abs((hlc_to_datetime(ts) - datetime.now(UTC)).total_seconds()) < 5


# Each step: ("tick", physical reading) or ("recv", physical reading, remote wall, counter).
steps = st.lists(
    st.one_of(
        st.tuples(st.just("tick"), st.integers(T0 - 10_000, T0 + 10_000)),
        st.tuples(
            st.just("recv"),
            st.integers(T0 - 10_000, T0 + 10_000),
            st.integers(T0 - 20_000, T0 + 20_000),
            st.integers(0, 0xFFFF),
        ),
    ),
    min_size=1,
    max_size=60,
)


@given(steps)
def test_strictly_monotonic_and_after_everything_seen(script):
    now = {"ms": T0}
    clock = HybridClock(now_ms=lambda: now["ms"])
    previous = clock.last
    for step in script:
        now["ms"] = step[1]
        if step[0] == "tick":
            ts = clock.tick()
            assert hlc_wall_ms(ts) >= step[1]
        else:
            remote = hlc_pack(step[2], step[3])
            ts = clock.receive(remote)
            assert ts > remote
        assert ts > previous
        assert ts == clock.last
        assert 0 <= hlc_counter(ts) <= 0xFFFF
        previous = ts


@given(st.lists(st.integers(0, 2**40), min_size=1, max_size=50))
def test_tick_never_goes_backwards_under_any_clock(readings):
    it = iter(readings)
    clock = HybridClock(now_ms=lambda: next(it))
    stamps = [clock.tick() for _ in readings]
    assert stamps == sorted(set(stamps))
    assert hlc_wall_ms(stamps[-1]) >= max(readings)
