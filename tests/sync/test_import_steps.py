"""`gc_paused`: the cyclic collector is off inside, and its state before comes back after
(also when the body fails, and when it was already off, as on the GUI's worker)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from referral_desk.sync.import_steps import gc_paused


@pytest.fixture
def collector_on() -> Iterator[None]:
    """Other tests (the GUI's collector) may leave automatic collection off: start from on."""
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was:
            gc.disable()


def test_the_collector_is_off_inside_and_back_on_after_even_on_error(collector_on):
    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off(collector_on):
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
