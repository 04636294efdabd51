"""Locked when unattended (issue 12): the idle timer, the lock screen, and what locking does to
every window of the client.

Locking hides what is on screen (the main window shows the lock screen instead of its pages;
every other window, dialogs included, is hidden), pauses the background worker (the job in hand
finishes first), then drops the data key (`usecases.security.lock()`). Unlocking shows every
window again as it was: dialogs are hidden, never closed, so an unsaved form keeps what was
typed in it.

The lock's own work with the security service (dropping the key, checking a passphrase, which
derives the key again and takes about a second) runs on the paused worker as ops marked
`while_locked()`: ahead of the jobs waiting for the unlock, and never on the GUI thread, so the
lock screen keeps painting while a passphrase is checked.

A modal dialog cannot simply be hidden: Qt ends `exec()` when its dialog is hidden, and the code
that opened it would carry on as if the officer had cancelled. So modal dialogs run through
`exec_dialog`, which notices that the lock interrupted `exec()`, waits (in a nested event loop)
until the lock is over, and calls `exec()` again on the same dialog with its typed contents.
A modal dialog that does not (a file chooser) is cancelled by the lock, which loses nothing
typed.

Idle time is measured without touching the database: an application-wide event filter notes the
time of every key, mouse, wheel or touch event (a float stored: the filter sees every event of
the application, so it does as little as it can), and a single-shot QTimer, when it fires, locks
if nothing came since or waits again for the rest of the time. The timer lives on the GUI
thread, so it fires inside a modal dialog's event loop as well.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QWindow
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QToolTip,
    QWidget,
)
from shiboken6 import isValid

from referral_desk.domain.errors import DomainError
from referral_desk.ui.ops import op
from referral_desk.ui.worker import Worker

if TYPE_CHECKING:
    from referral_desk.ui.lock_screen import LockScreen
    from referral_desk.usecases.security import SecurityService

LOCK_KEY = "Ctrl+L"
MINUTE_MS = 60_000

# Dynamic properties on a dialog: set by `exec_dialog` while it is in exec(), by the lock when
# it hid a window, and when the lock's hiding ended that dialog's exec().
_RESUMABLE = "_lockResumable"
_HIDDEN = "_lockHidden"
_INTERRUPTED = "_lockInterrupted"
_CONNECTED = "_lockConnected"  # on a worker: its `paused` already reaches the lock

INPUT_EVENTS = frozenset(
    int(t)
    for t in (
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TabletPress,
        QEvent.Type.TabletMove,
    )
)
_KEY_PRESS = int(QEvent.Type.KeyPress)


# -- modal dialogs that survive a lock -------------------------------------------------------
class _ResumeGate(QObject):
    """Child of a dialog whose exec() the lock interrupted: the nested loop it waits in."""

    def __init__(self, dialog: QDialog) -> None:
        super().__init__(dialog)
        self._loop = QEventLoop(self)
        self.released = False

    def wait(self) -> bool:
        """Wait until `release()`; False when the application quit meanwhile."""
        self._loop.exec()
        return self.released

    def release(self) -> None:
        self.released = True
        self._loop.quit()

    def abandon(self) -> None:
        """The window closed while locked: exec_dialog returns Rejected (nothing saved)."""
        self._loop.quit()


def exec_dialog(dialog: QDialog) -> int:
    """`dialog.exec()`, carried through a lock: if locking hid the dialog, wait until the data
    is unlocked and run it again with what was typed. Returns exec()'s result."""
    while True:
        dialog.setProperty(_RESUMABLE, True)
        code = dialog.exec()
        if not isValid(dialog):
            return code
        dialog.setProperty(_RESUMABLE, False)
        if not dialog.property(_INTERRUPTED):
            return code
        dialog.setProperty(_INTERRUPTED, False)
        if dialog.property(_HIDDEN):  # still locked: wait here until it is shown again
            gate = _ResumeGate(dialog)
            try:
                if not gate.wait():
                    return int(QDialog.DialogCode.Rejected)
            finally:
                gate.deleteLater()


# -- idle detection ---------------------------------------------------------------------------
class IdleWatcher(QObject):
    """Emits `idle` after `interval_ms` without input anywhere in the application, and
    `lock_key` when Ctrl+L is pressed in a window whose own shortcuts cannot see it (a modal
    dialog blocks the main window's)."""

    idle = Signal()
    lock_key = Signal()

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._interval_ms = interval_ms
        self._last_input = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._check)
        self._lock_key = QKeySequence(LOCK_KEY)[0]
        self._installed = False

    def interval_ms(self) -> int:
        return self._interval_ms

    def set_interval_ms(self, interval_ms: int) -> None:
        self._interval_ms = interval_ms
        if self._timer.isActive():
            self._check()

    def idle_for_ms(self) -> int:
        """Milliseconds since the last input (or since counting started)."""
        return int((time.monotonic() - self._last_input) * 1000)

    def start(self) -> None:
        app = QApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True
        self._last_input = time.monotonic()
        self._timer.start(self._interval_ms)

    def _check(self) -> None:
        left = self._interval_ms - self.idle_for_ms()
        if left > 0:
            self._timer.start(left)  # there was input meanwhile: wait for the rest
        else:
            self.idle.emit()

    def pause(self) -> None:
        """Stop counting (while locked); input is still watched, for nothing."""
        self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
            self._installed = False

    def is_counting(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = int(event.type())
        if kind in INPUT_EVENTS:
            self._last_input = time.monotonic()
            # Each key event reaches the window first, then its widgets: act on the first.
            if kind == _KEY_PRESS and isinstance(watched, QWindow):
                assert isinstance(event, QKeyEvent)
                if event.keyCombination() == self._lock_key:
                    self.lock_key.emit()
                    return True
        return False


# -- the lock screen --------------------------------------------------------------------------
# -- the lock itself --------------------------------------------------------------------------
class LockController(QObject):
    """Locks and unlocks one main window and everything it opened.

    `show_lock_screen(True/False)` is the main window's part (swap its content, hide its menus,
    disable its actions); this object does the rest: other windows, the worker, the key, the
    idle timer.
    """

    locked_changed = Signal(bool)

    def __init__(
        self,
        window: QWidget,
        security: SecurityService,
        worker: Worker,
        show_lock_screen: Callable[[bool], None],
        screen: LockScreen,
        *,
        idle_minutes: int,
        idle_ms: int | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._security = security
        self._worker = worker
        self._show_lock_screen = show_lock_screen
        self._screen = screen
        self._locked = False
        self._key_dropped = False
        self._unlocking = False  # a passphrase is being checked on the worker
        self._hidden: list[QWidget] = []
        self.idle = IdleWatcher(idle_ms if idle_ms is not None else idle_minutes * MINUTE_MS, self)
        self.idle.idle.connect(self.lock)
        self.idle.lock_key.connect(self.lock)
        self._paused_workers: list[Worker] = []
        self._waiting_for: list[Worker] = []
        screen.unlock_requested.connect(self.unlock)
        screen.os_login_requested.connect(self.unlock_with_os_login)
        screen.recovery_requested.connect(self.unlock_with_recovery_code)

    # -- state ------------------------------------------------------------------------------
    def is_locked(self) -> bool:
        return self._locked

    def is_unlocking(self) -> bool:
        """True while an unlock attempt is being checked (tests wait for its answer)."""
        return self._unlocking

    def start(self) -> None:
        self.idle.start()

    def stop(self) -> None:
        """The window is closing: stop watching, and let dialogs waiting for an unlock end as
        cancelled (their forms are not saved: nobody gave the passphrase)."""
        self.idle.stop()
        hidden, self._hidden = self._hidden, []
        for widget in hidden:
            if isValid(widget):
                gate = widget.findChild(_ResumeGate, "", Qt.FindChildOption.FindDirectChildrenOnly)
                if gate is not None:
                    gate.abandon()

    def set_idle_minutes(self, minutes: int) -> None:
        self.idle.set_interval_ms(minutes * MINUTE_MS)

    # -- locking ----------------------------------------------------------------------------
    def lock(self) -> None:
        """Hide everything now; drop the key once the job in hand has finished."""
        if self._locked or not self._window.isVisible():
            return
        self._locked = True
        self.idle.pause()
        QToolTip.hideText()
        self._close_popups()
        self._hide_other_windows()
        self._screen.reset(os_login=False)  # offered once known to be set up (below)
        self._show_lock_screen(True)
        self._screen.focus()
        self.locked_changed.emit(True)
        self._pause_workers()

    def _pause_workers(self) -> None:
        """Pause the window's worker and every other one under it (a sync dialog has its own);
        the key is dropped once each has finished the job in hand."""
        workers = [self._worker]
        workers += [w for w in self._window.findChildren(Worker) if w is not self._worker]
        self._paused_workers = workers
        self._waiting_for = list(workers)
        for worker in workers:
            if not worker.property(_CONNECTED):
                worker.setProperty(_CONNECTED, True)
                worker.paused.connect(lambda w=worker: self._worker_quiet(w))
        # Asked first, while the key is still there: is the OS login set up on this computer?
        asking = op(self._window, self._os_login_enabled).while_locked()
        asking.success(self._offer_os_login).run(self._worker)
        for worker in workers:
            worker.pause()  # emits `paused` now, or once the job in hand has finished

    def _offer_os_login(self, enabled: bool) -> None:
        if self._locked:
            self._screen.os_login_button.setVisible(enabled)

    def _worker_quiet(self, worker: Worker) -> None:
        self._waiting_for = [w for w in self._waiting_for if w is not worker]
        if not self._waiting_for:
            self._drop_key()

    def _drop_key(self) -> None:
        if self._locked and not self._key_dropped:
            self._key_dropped = True
            op(self._window, self._security.lock).while_locked().run(self._worker)

    def _close_popups(self) -> None:
        for _ in range(10):  # menus may be nested: close the innermost first
            popup = QApplication.activePopupWidget()
            if popup is None:
                return
            popup.close()

    def _hide_other_windows(self) -> None:
        """Hide every visible window but the main one, newest (topmost) first."""
        others = [
            w
            for w in QApplication.topLevelWidgets()
            if w is not self._window and w.isVisible() and not _popup(w)
        ]
        # Children before their parents, so a dialog opened from a dialog is hidden first.
        others.sort(key=_depth, reverse=True)
        for widget in others:
            widget.setProperty(_HIDDEN, True)
            if widget.property(_RESUMABLE):
                widget.setProperty(_INTERRUPTED, True)
            widget.hide()
        self._hidden = list(reversed(others))  # shown again parents first

    # -- unlocking --------------------------------------------------------------------------
    def unlock(self, secret: str) -> None:
        """Unlock with the passphrase; on a wrong one, say so (with the wait) and stay locked."""
        security = self._security
        self._attempt(lambda: security.unlock(secret))

    def unlock_with_recovery_code(self, code: str, new: str, again: str) -> None:
        """The recovery code unlocks and replaces the forgotten passphrase with `new`."""
        if self._locked and new != again:
            self._screen.show_error("The two new passphrases are not the same. Type them again.")
            return
        security = self._security
        self._attempt(lambda: security.unlock_with_recovery_code(code, new))

    def unlock_with_os_login(self) -> None:
        self._attempt(self._security.unlock_with_os_login)

    def _attempt(self, unlock: Callable[[], object]) -> None:
        """Check an unlock on the paused worker; one at a time (Enter pressed twice waits)."""
        if not self._locked or self._unlocking:
            return
        self._unlocking = True
        op(self._window, unlock).while_locked().busy().success(self._unlocked).failure(
            self._refused
        ).run(self._worker)

    def _unlocked(self, _result: object) -> None:
        self._unlocking = False
        if self._locked:
            self._restore()

    def _refused(self, err: BaseException) -> None:
        """A wrong answer is said on the lock screen (with the wait it brings); so is anything
        unexpected, in general words (logged without its message)."""
        from referral_desk.ui.messages import error_text

        self._unlocking = False
        self._screen.show_error(error_text(err), getattr(err, "retry_after", 0.0))

    def _restore(self) -> None:
        # Unlocked before the job in hand finished (a long import): the passphrase was checked,
        # the key was never dropped, and the `paused` that comes later is ignored.
        self._locked = False
        self._key_dropped = False
        self._show_lock_screen(False)
        hidden, self._hidden = self._hidden, []
        for widget in hidden:
            if not isValid(widget):
                continue
            widget.setProperty(_HIDDEN, False)
            gate = widget.findChild(_ResumeGate, "", Qt.FindChildOption.FindDirectChildrenOnly)
            if gate is not None:
                gate.release()  # its exec_dialog runs exec() again, which shows it
            elif widget.property(_RESUMABLE) or not _modal(widget):
                # Still inside exec() under another dialog, or not modal: show it again.
                widget.show()
            # else: a modal dialog not run through exec_dialog: the lock cancelled it.
        workers, self._paused_workers, self._waiting_for = self._paused_workers, [], []
        for worker in workers:
            if isValid(worker):
                worker.resume()
        self.idle.start()
        self.locked_changed.emit(False)

    def _os_login_enabled(self) -> bool:
        """On the worker: is this computer set up to unlock with the OS login?"""
        try:
            return self._security.os_login_enabled()
        except DomainError:  # the password store cannot be asked now: offer the passphrase
            return False


def _depth(widget: QWidget) -> int:
    depth, parent = 0, widget.parentWidget()
    while parent is not None:
        depth, parent = depth + 1, parent.parentWidget()
    return depth


def _popup(widget: QWidget) -> bool:
    """Menus, completer lists and tool tips: closed, not hidden and shown again."""
    popup = Qt.WindowType.Popup
    return widget.windowFlags() & popup == popup


def _modal(widget: QWidget) -> bool:
    return widget.isModal() or widget.windowModality() != Qt.WindowModality.NonModal
