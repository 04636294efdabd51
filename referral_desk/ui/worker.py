"""One background thread for database calls, so loading 5 000 people never freezes the window.

Modelled on Anki's task manager: the UI submits a plain function with callbacks; the function
runs on a single worker thread (so database work is serialised and never races itself); its
result or exception is sent back with a Qt signal, which Qt queues onto the UI thread because
the receiving object lives there. Callbacks therefore always run on the UI thread and may touch
widgets.

While the client is locked (issue 12) the database key is gone, so the worker is paused: the job
in hand finishes, `paused` is emitted, and nothing else starts (jobs submitted meanwhile wait in
the queue) and no result is delivered (a page would redraw, an error box would open over the
lock screen) until `resume()`. The lock's own work is the exception: a job submitted with
`while_paused=True` (dropping the data key, deriving it again from the passphrase) runs and is
delivered while paused, ahead of the waiting jobs, so even unlocking never blocks painting.
"""

from __future__ import annotations

import itertools
import logging
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

OnDone = Callable[[Any], None]
OnError = Callable[[BaseException], None]
OnDropped = Callable[[], None]

WORKER_NAME = "referral-desk-worker"
"""The object name `ui.ops.find_worker` looks for among a window's children."""


@dataclass(frozen=True)
class _Job:
    job_id: int
    fn: Callable[[], Any]
    kind: str | None = None
    while_paused: bool = False


class Worker(QObject):
    """Serialised background execution with results delivered on the UI thread."""

    _finished = Signal(int, object, object)  # job id, result, exception (or None)
    _quiet = Signal()  # from the thread: the job in hand has finished while paused
    busy_changed = Signal(bool)
    paused = Signal()
    """After `pause()`: no job is running now, none will start until `resume()`."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        default_on_error: OnError | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(WORKER_NAME)
        self._default_on_error = default_on_error
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[OnDone | None, OnError | None]] = {}
        self._dropped: dict[int, OnDropped] = {}
        self._latest: dict[str, int] = {}  # kind -> newest job id of that kind
        self._kinds: dict[int, str] = {}  # job id -> kind, for jobs that have one
        self._while_paused: set[int] = set()  # ids of jobs that run and deliver while paused
        # Both queues are guarded by `_gate`; the thread takes `_urgent` first, and `_jobs`
        # only while not paused.
        self._jobs: deque[_Job] = deque()
        self._urgent: deque[_Job] = deque()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._gate = threading.Condition()
        self._paused = False
        self._running = False  # a job is executing on the thread (guarded by _gate)
        self._held: list[tuple[int, Any, BaseException | None]] = []  # results kept while paused
        self._finished.connect(self._deliver)
        self._quiet.connect(self._emit_paused)

    # -- public -------------------------------------------------------------------------------
    def submit(
        self,
        fn: Callable[[], Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
        *,
        kind: str | None = None,
        on_dropped: OnDropped | None = None,
        while_paused: bool = False,
    ) -> int:
        """Run `fn()` off the UI thread; call `on_done(result)` or `on_error(exc)` on the UI thread.

        With a `kind`, a later job of the same kind supersedes this one: if it has not started
        it is skipped, and its outcome is never delivered (`on_dropped` is called instead, so
        busy feedback can be undone). Give a kind to reads only, never to a write.
        `while_paused` is for the lock's own work only (see the module docstring).
        UI code submits through `ui.ops.op`, which fills these in.
        """
        if self._stopped:
            raise RuntimeError("worker is stopped")
        job = _Job(next(self._ids), fn, kind, while_paused)
        was_idle = not self._callbacks
        self._callbacks[job.job_id] = (on_done, on_error)
        if on_dropped is not None:
            self._dropped[job.job_id] = on_dropped
        if kind is not None:
            self._latest[kind] = job.job_id
            self._kinds[job.job_id] = kind
        if while_paused:
            self._while_paused.add(job.job_id)
        if was_idle:
            self.busy_changed.emit(True)
        self._ensure_thread()
        with self._gate:
            (self._urgent if while_paused else self._jobs).append(job)
            self._gate.notify_all()
        return job.job_id

    def is_idle(self) -> bool:
        """True when every submitted job has had its callback delivered."""
        return not self._callbacks

    def is_paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Start no more jobs and deliver no results until `resume()`.

        `paused` is emitted once no job is running: at once when the thread is between jobs,
        else when the job in hand has finished (a write is never cut in half by the lock).
        """
        with self._gate:
            self._paused = True
            running = self._running
        if not running:
            self.paused.emit()

    def resume(self) -> None:
        """Deliver the results kept while paused, in order, then run the waiting jobs."""
        with self._gate:
            self._paused = False
            self._gate.notify_all()
        held, self._held = self._held, []
        for job_id, result, error in held:
            self._deliver(job_id, result, error)

    def stop(self) -> None:
        """Finish the job in hand, drop queued ones and join the thread (call on window close)."""
        if self._stopped:
            return
        with self._gate:  # jobs not started yet are dropped; a waiting thread wakes and leaves
            self._stopped = True
            self._jobs.clear()
            self._urgent.clear()
            self._gate.notify_all()
        thread = self._thread
        if thread is not None:
            thread.join()
        self._callbacks.clear()
        self._while_paused.clear()
        # Outcomes that will never be delivered still undo their busy feedback: a wait cursor
        # left set would outlive the window that asked for it.
        dropped, self._dropped = self._dropped, {}
        for on_dropped in dropped.values():
            on_dropped()
        self._kinds.clear()
        self._held.clear()

    # -- internals ----------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="referral-desk-db", daemon=True)
            self._thread.start()

    def _next_job(self) -> _Job | None:
        """The next job to run (the lock's own first); None once stopped. Holds `_gate`."""
        while not self._stopped:
            if self._urgent:
                return self._urgent.popleft()
            if self._jobs and not self._paused:
                return self._jobs.popleft()
            self._gate.wait()
        return None

    def _loop(self) -> None:
        while True:
            with self._gate:
                job = self._next_job()
                if job is None:
                    return
                self._running = True
            try:
                self._run(job)
            finally:
                with self._gate:
                    self._running = False
                    quiet = self._paused
                if quiet:
                    self._quiet.emit()

    def _emit_paused(self) -> None:
        if self._paused:
            self.paused.emit()

    def _superseded(self, job_id: int) -> bool:
        kind = self._kinds.get(job_id)
        return kind is not None and self._latest.get(kind) != job_id

    def _run(self, job: _Job) -> None:
        if job.kind is not None and self._latest.get(job.kind) != job.job_id:
            self._finished.emit(job.job_id, None, None)  # skipped: a newer one is queued
            return
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
        if self._paused and job_id not in self._while_paused:
            self._held.append((job_id, result, error))
            return
        self._while_paused.discard(job_id)
        on_done, on_error = callbacks
        on_dropped = self._dropped.pop(job_id, None)
        superseded = self._superseded(job_id)
        self._kinds.pop(job_id, None)
        try:
            if superseded:
                if on_dropped is not None:
                    on_dropped()
            elif error is None:
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
