"""One background thread for database calls, so loading 5 000 people never freezes the window.

Modelled on Anki's task manager: the UI submits a plain function with callbacks; the function
runs on a single worker thread (so database work is serialised and never races itself); its
result or exception is sent back with a Qt signal, which Qt queues onto the UI thread because
the receiving object lives there. Callbacks therefore always run on the UI thread and may touch
widgets.

`synchronous=True` runs the function in the caller's thread but still delivers through the same
signal (a direct connection then), so tests that use it exercise the same callback path.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

OnDone = Callable[[Any], None]
OnError = Callable[[BaseException], None]


@dataclass(frozen=True)
class _Job:
    job_id: int
    fn: Callable[[], Any]


class Worker(QObject):
    """Serialised background execution with results delivered on the UI thread."""

    _finished = Signal(int, object, object)  # job id, result, exception (or None)
    busy_changed = Signal(bool)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        synchronous: bool = False,
        default_on_error: OnError | None = None,
    ) -> None:
        super().__init__(parent)
        self._synchronous = synchronous
        self._default_on_error = default_on_error
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[OnDone | None, OnError | None]] = {}
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._finished.connect(self._deliver)

    # -- public -------------------------------------------------------------------------------
    def submit(
        self,
        fn: Callable[[], Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
    ) -> int:
        """Run `fn()` off the UI thread; call `on_done(result)` or `on_error(exc)` on the UI thread.

        Returns a job id; callers that may submit again before the first result arrives (typing
        in a filter, opening one person then another) compare ids to drop stale results.
        """
        if self._stopped:
            raise RuntimeError("worker is stopped")
        job = _Job(next(self._ids), fn)
        was_idle = not self._callbacks
        self._callbacks[job.job_id] = (on_done, on_error)
        if was_idle:
            self.busy_changed.emit(True)
        if self._synchronous:
            self._run(job)
        else:
            self._ensure_thread()
            self._queue.put(job)
        return job.job_id

    def is_idle(self) -> bool:
        """True when every submitted job has had its callback delivered."""
        return not self._callbacks

    def stop(self) -> None:
        """Finish the job in hand, drop queued ones and join the thread (call on window close)."""
        if self._stopped:
            return
        self._stopped = True
        thread = self._thread
        if thread is not None:
            # Drain jobs not started yet: their results would arrive after the window is gone.
            try:
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            self._queue.put(None)
            thread.join()
        self._callbacks.clear()

    # -- internals ----------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="referral-desk-db", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            self._run(job)

    def _run(self, job: _Job) -> None:
        try:
            result = job.fn()
        except BaseException as err:  # delivered to the UI thread, which decides what to show
            self._finished.emit(job.job_id, None, err)
        else:
            self._finished.emit(job.job_id, result, None)

    def _deliver(self, job_id: int, result: Any, error: BaseException | None) -> None:
        callbacks = self._callbacks.get(job_id)
        if callbacks is None:  # stopped meanwhile
            return
        on_done, on_error = callbacks
        try:
            if error is None:
                if on_done is not None:
                    on_done(result)
            else:
                handler = on_error or self._default_on_error
                if handler is not None:
                    handler(error)
                else:
                    log_unexpected(error)
        finally:
            self._callbacks.pop(job_id, None)
            if not self._callbacks:
                self.busy_changed.emit(False)


def log_unexpected(error: BaseException) -> None:
    """Log an error's type and stack frames only: messages may carry personal data."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("Unexpected %s in background job\n%s", type(error).__name__, frames)
