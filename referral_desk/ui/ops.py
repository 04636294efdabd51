"""The one way UI code runs work that touches the database or the disk: `op(parent, fn)`.

After Anki's `QueryOp`/`CollectionOp`: a widget describes the work and what to do with its
outcome, and the op runs it on the window's one serialised worker (`ui/worker.py`), so
database work never races itself and never freezes painting:

    op(self, lambda: services.people.detail(person_id), kind="person-detail")
        .success(self._show)
        .run()

- **Reads and writes alike.** A write's service method opens its own transaction; the op only
  moves it off the GUI thread.
- **Stale results** are dropped: a newer op of the same `kind` (typing in a filter, opening one
  person then another) supersedes an older one, whose callbacks are never called.
- **A closed widget** never receives a result: if `parent` was deleted meanwhile, the outcome
  is dropped (a late result painted into a dead dialog would crash).
- **Busy feedback**: `.busy()` shows the wait cursor while it runs; `.busy("Making slips…")`
  also shows a window-modal progress dialog after 400 ms; `.progress("Importing…")` hands `fn`
  a `report(done, total)` callable that moves the dialog's bar.
- **Errors** go to `.failure(cb)` when given, else to the one error policy (`messages.show_error`:
  a domain error in words, anything else logged without its message and shown generically).

The worker is found by walking up from `parent` to the window that owns it (the composition
root creates one per main window), so dialogs need no extra wiring and there is no global.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from referral_desk.ui.worker import WORKER_NAME, Worker

if TYPE_CHECKING:
    from referral_desk.ui.message_bar import MessageBar

T = TypeVar("T")
Report = Callable[[int, int], None]

BUSY_DIALOG_DELAY_MS = 400


def find_worker(widget: QObject | None) -> Worker:
    """The worker owned by `widget` or the nearest ancestor that owns one."""
    obj = widget
    while obj is not None:
        found = obj.findChild(Worker, WORKER_NAME, Qt.FindChildOption.FindDirectChildrenOnly)
        if found is not None:
            return found
        obj = obj.parent()
    raise LookupError("no worker above this widget: create the window with a Worker")


class _ProgressRelay(QObject):
    """Carries `report(done, total)` from the worker thread to the dialog (queued signal)."""

    moved = Signal(int, int)


class Op(Generic[T]):
    """Work for the worker plus what to do with its outcome; built by `op()`, started by `run()`."""

    def __init__(self, parent: QWidget, fn: Callable[..., T], *, kind: str | None = None) -> None:
        self._parent = parent
        self._fn = fn
        self._kind = kind
        self._on_success: Callable[[T], object] | None = None
        self._on_failure: Callable[[BaseException], object] | None = None
        self._busy = False
        self._busy_text: str | None = None
        self._with_progress = False
        self._while_locked = False

    def success(self, callback: Callable[[T], object]) -> Op[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], object]) -> Op[T]:
        self._on_failure = callback
        return self

    def busy(self, text: str | None = None) -> Op[T]:
        """Wait cursor while running; with `text`, a progress dialog if it takes a while."""
        self._busy = True
        self._busy_text = text
        return self

    def progress(self, text: str) -> Op[T]:
        """Like `busy(text)`, and `fn` is called with `report(done, total)` to move the bar."""
        self._with_progress = True
        return self.busy(text)

    def while_locked(self) -> Op[T]:
        """Run even while the client is locked (the worker paused), ahead of waiting work.

        Only for the lock's own work: dropping the data key and unlocking (deriving it again
        from the passphrase takes a second; on the GUI thread the lock screen would freeze).
        Its outcome is delivered while locked, so its callbacks must show nothing but the
        lock screen.
        """
        self._while_locked = True
        return self

    def run(self, worker: Worker | None = None) -> int:
        """Queue the work; returns its job id (tests may wait for `worker.is_idle()`)."""
        worker = worker or find_worker(self._parent)
        dialog = self._open_dialog() if self._busy_text else None
        relay: _ProgressRelay | None = None
        fn: Callable[[], Any] = self._fn
        if self._with_progress:
            relay = _ProgressRelay()
            if dialog is not None:
                relay.moved.connect(lambda done, total: _move(dialog, done, total))
            report: Report = relay.moved.emit
            inner = self._fn

            def fn() -> Any:
                return inner(report)

        if self._busy:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)

        def finish() -> bool:
            """Undo the busy feedback; False when the parent is gone (drop the outcome)."""
            if self._busy:
                QApplication.restoreOverrideCursor()
            if dialog is not None and shiboken6.isValid(dialog):
                dialog.close()
                dialog.deleteLater()
            if relay is not None:
                relay.deleteLater()
            return shiboken6.isValid(self._parent)

        def done(result: T) -> None:
            if finish() and self._on_success is not None:
                self._on_success(result)

        def failed(error: BaseException) -> None:
            if not finish():
                return
            if self._on_failure is not None:
                self._on_failure(error)
            else:
                from referral_desk.ui.messages import show_error

                show_error(self._parent, error)

        def dropped() -> None:
            finish()

        return worker.submit(
            fn,
            done,
            failed,
            kind=self._kind,
            on_dropped=dropped,
            while_paused=self._while_locked,
        )

    def _open_dialog(self) -> QProgressDialog:
        dialog = QProgressDialog(self._busy_text or "", "", 0, 0, self._parent)
        dialog.setCancelButton(None)
        dialog.setWindowTitle("Referral Desk")
        dialog.setAccessibleName(self._busy_text or "Working")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(BUSY_DIALOG_DELAY_MS)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setValue(0)
        return dialog


def _move(dialog: QProgressDialog, done: int, total: int) -> None:
    if shiboken6.isValid(dialog):
        dialog.setMaximum(max(total, 0))
        dialog.setValue(min(done, total) if total > 0 else 0)


def op(parent: QWidget, fn: Callable[..., T], *, kind: str | None = None) -> Op[T]:
    """Describe work for the window's worker; see the module docstring."""
    return Op(parent, fn, kind=kind)


def save_op(
    parent: QWidget, fn: Callable[[], T], *, bar: MessageBar, retry: Callable[[], object]
) -> Op[T]:
    """A write from a form: busy cursor while it runs; if it fails the form stays as typed and
    `bar` says why, offering "Try again" (`retry`, the form's own save) for a busy database.

    The caller adds `.success(...)` (usually closing the dialog) and calls `.run()`.
    """
    from referral_desk.ui.messages import show_save_error

    return op(parent, fn).busy().failure(lambda err: show_save_error(bar, err, retry))
