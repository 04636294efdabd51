"""Cyclic garbage is finalised on the GUI thread, never in the database worker.

A widget finalised in another thread crashes the process (a segmentation fault in CI was
traced to an automatic collection inside the worker while it ran a My day query).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from referral_desk.ui.collector import GuiThreadCollector


class _Cycle:
    """Garbage only the cyclic collector can free; records the thread that finalised it."""

    finalised_in: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        _Cycle.finalised_in.append(threading.current_thread().name)


@pytest.fixture
def enabled_gc() -> Iterator[None]:
    """Start from the interpreter's default (the suite keeps automatic collection off)."""
    was = gc.isenabled()
    gc.collect()
    gc.enable()
    _Cycle.finalised_in.clear()
    yield
    if not was:
        gc.disable()


def _allocate_in_worker() -> None:
    def churn() -> None:
        for _ in range(100_000):  # cyclic garbage past every generation's threshold
            loop: list[object] = []
            loop.append(loop)

    thread = threading.Thread(target=churn, name="referral-desk-db")
    thread.start()
    thread.join()


def test_worker_allocations_never_finalise_cycles(qtbot, enabled_gc) -> None:
    collector = GuiThreadCollector(interval_ms=10)
    collector.start()
    try:
        assert not gc.isenabled()
        _Cycle()
        _allocate_in_worker()
        assert _Cycle.finalised_in == []  # nothing ran in the worker
        qtbot.waitUntil(lambda: _Cycle.finalised_in != [], timeout=2000)
        assert _Cycle.finalised_in == [threading.current_thread().name]
    finally:
        collector.stop()
    assert gc.isenabled()  # the state before start() is restored


def test_without_the_collector_a_worker_would_finalise_them(enabled_gc) -> None:
    """The hazard is real: the interpreter's own collection runs in the allocating thread."""
    _Cycle()
    _allocate_in_worker()
    assert _Cycle.finalised_in == ["referral-desk-db"]


def test_stop_leaves_collection_off_when_it_was_off(qtbot) -> None:
    gc.disable()
    collector = GuiThreadCollector()
    collector.start()
    collector.stop()
    assert not gc.isenabled()
