"""Wait for a window to settle: its worker idle *and* the event loop drained after that.

`Worker.is_idle()` turns True as soon as the last outcome has been handed to its callback. What
the callback defers to a later turn of the event loop has not happened yet: a
`QTimer.singleShot(0, ...)` (the referral form marks itself ready and takes the focus there),
widgets added to a shown layout (Qt shows them on a later turn), or a follow-up op queued from
such a step. A test that asserts, clicks or types right after `is_idle()` raced those steps and
lost when the machine was busy (CI, two cores): the click reached a form not yet ready. So the
wait here also runs the pending events, and only counts as settled when the worker is still
idle after them. On the test path via pytest's `pythonpath`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

DRAIN_PASSES = 3
"""Event-loop passes run once idle: a deferred step may itself defer one more."""


def settled(idle: Callable[[], bool]) -> Callable[[], bool]:
    """A `qtbot.waitUntil` condition: `idle()` holds before and after draining pending events.

    Pending events include 0 ms timers and queued calls posted by the callbacks just delivered;
    if one of them started more work, `idle()` is False again and the wait goes on.
    """

    def check() -> bool:
        if not idle():
            return False
        for _ in range(DRAIN_PASSES):
            QApplication.sendPostedEvents()
            QApplication.processEvents()
        return idle()

    return check


def idle_of(target: Any) -> Callable[[], bool]:
    """What "nothing in flight" means for `target`: a worker's `is_idle`, a window's or page's
    own `is_settled` (nothing loading or about to load), else `is_idle` of its `worker`
    attribute or of the worker owning it (`ui.ops.find_worker`)."""
    from referral_desk.ui.ops import find_worker
    from referral_desk.ui.worker import Worker

    if isinstance(target, Worker):
        return target.is_idle
    is_settled = getattr(target, "is_settled", None)
    if callable(is_settled):
        return is_settled
    own = getattr(target, "worker", None)
    if isinstance(own, Worker):
        return own.is_idle
    if isinstance(target, QObject):
        return find_worker(target).is_idle
    raise TypeError(f"cannot wait for {type(target).__name__}")


def settle(qtbot: Any, target: Any, timeout: int = 10_000) -> None:
    """Wait until the work of `target`'s window has been delivered and what it deferred is done
    (see the module docstring); `target` as for `idle_of`."""
    qtbot.waitUntil(settled(idle_of(target)), timeout=timeout)
