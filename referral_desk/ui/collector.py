"""Python's cyclic garbage collector runs on the GUI thread only.

Automatic collection runs in whichever thread happens to allocate when a threshold is crossed:
often the database worker, because loading a caseload allocates the most. A collection there
may finalise a Qt wrapper left in a reference cycle (a closed dialog, a lambda connected to a
widget), and deleting a widget outside the GUI thread crashes the process with a segmentation
fault. So automatic collection is switched off and the same generational thresholds are
checked from a timer on the GUI thread (the approach pyqtgraph's GarbageCollector takes).
Reference counting still frees everything not in a cycle at once, in any thread.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 1000


def collect_due_generations() -> None:
    """Collect each generation whose allocation count has passed its threshold, youngest first,
    as the interpreter itself would (call it from the GUI thread)."""
    thresholds = gc.get_threshold()
    for generation in range(3):
        if gc.get_count()[generation] > thresholds[generation]:
            gc.collect(generation)


class GuiThreadCollector(QObject):
    """While alive and started, automatic collection is off and this object collects instead.

    `stop()` restores whatever the collector's state was before, so tests and the hub's import
    (which switches collection off around a bulk load) keep their own expectations.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(collect_due_generations)
        self._was_enabled: bool | None = None

    def start(self) -> None:
        if self._was_enabled is None:
            self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        collect_due_generations()
        if self._was_enabled:
            gc.enable()
        self._was_enabled = None
