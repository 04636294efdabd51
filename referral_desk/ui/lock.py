"""Locked when unattended (issue 12): the idle timer, the lock screen, and what locking does to
every window of the client.

Locking hides what is on screen (the main window shows the lock screen instead of its pages;
every other window, dialogs included, is hidden), pauses the background worker (the job in hand
finishes first), then drops the data key (`services.security.lock()`). Unlocking shows every
window again as it was: dialogs are hidden, never closed, so an unsaved form keeps what was
typed in it.

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

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QWindow
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from referral_desk.domain.errors import DomainError, WrongPassphrase
from referral_desk.ui.worker import Worker

if TYPE_CHECKING:
    from referral_desk.services.security import SecurityService

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
class LockScreen(QWidget):
    """What the main window shows while locked: nothing about anyone, a passphrase field.

    Enter unlocks; "Use OS login" appears when this computer is set up for it. After a wrong
    passphrase the message says how long to wait, and the Unlock button counts down.
    """

    unlock_requested = Signal(str)
    os_login_requested = Signal()
    recovery_requested = Signal(str, str, str)  # recovery code, new passphrase, repeated

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setAccessibleName("Referral Desk is locked")
        self.setAutoFillBackground(True)
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        row = QHBoxLayout()
        row.addStretch(1)
        panel = QFrame()
        panel.setObjectName("lockPanel")
        panel.setFrameShape(QFrame.Shape.StyledPanel)
        panel.setMinimumWidth(380)
        panel.setMaximumWidth(480)
        box = QVBoxLayout(panel)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(10)
        title = QLabel("Referral Desk is locked")
        title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        title.setAccessibleName("Referral Desk is locked")
        box.addWidget(title)
        explain = QLabel(
            "The data is locked and hidden. Enter your unlock passphrase to carry on where "
            "you left off: open forms are kept as they were."
        )
        explain.setWordWrap(True)
        box.addWidget(explain)
        label = QLabel("&Passphrase")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Unlock passphrase")
        self.passphrase.setMaxLength(1024)
        label.setBuddy(self.passphrase)
        box.addWidget(label)
        box.addWidget(self.passphrase)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Unlock error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        box.addWidget(self.error)
        box.addWidget(self._recovery_box())
        buttons = QHBoxLayout()
        self.forgot_button = QPushButton("&Forgot passphrase?")
        self.forgot_button.setAccessibleName("Forgot passphrase")
        self.forgot_button.setFlat(True)
        self.forgot_button.setAutoDefault(False)
        self.forgot_button.clicked.connect(
            lambda: self.show_recovery(not self.recovery.isVisible())
        )
        buttons.addWidget(self.forgot_button)
        self.os_login_button = QPushButton("Use &OS login")
        self.os_login_button.setAccessibleName("Unlock with OS login")
        self.os_login_button.setAutoDefault(False)
        self.os_login_button.clicked.connect(self.os_login_requested)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._submit)
        buttons.addWidget(self.os_login_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        box.addLayout(buttons)
        row.addWidget(panel, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(3)
        self.passphrase.returnPressed.connect(self._submit)
        # The wait after wrong answers, counted to a deadline (a coarse 1 s timer may fire early,
        # and the service would refuse a try a moment before its delay is over).
        self._wait_until = 0.0
        self._countdown = QTimer(self)
        self._countdown.setInterval(250)
        self._countdown.timeout.connect(self._show_wait)

    def _recovery_box(self) -> QWidget:
        """The recovery code and a new passphrase (twice): for an officer who forgot theirs."""
        self.recovery = QWidget()
        form = QVBoxLayout(self.recovery)
        form.setContentsMargins(0, 0, 0, 0)
        self.recovery_code = QLineEdit()
        self.new_passphrase = QLineEdit()
        self.repeat_passphrase = QLineEdit()
        for text, field, name in (
            ("&Recovery code (from when the data was set up)", self.recovery_code, "Recovery code"),
            ("&New passphrase", self.new_passphrase, "New passphrase"),
            ("Repeat new pass&phrase", self.repeat_passphrase, "Repeat new passphrase"),
        ):
            label = QLabel(text)
            label.setBuddy(field)
            field.setAccessibleName(name)
            field.setMaxLength(1024)
            form.addWidget(label)
            form.addWidget(field)
        for field in (self.new_passphrase, self.repeat_passphrase):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat_passphrase.returnPressed.connect(self._submit)
        self.recovery.hide()
        return self.recovery

    def show_recovery(self, shown: bool) -> None:
        self.recovery.setVisible(shown)
        self.passphrase.setEnabled(not shown)
        self.error.hide()
        text = "&Back to my passphrase" if shown else "&Forgot passphrase?"
        self.forgot_button.setText(text)
        self.forgot_button.setAccessibleName(text.replace("&", "").rstrip("?"))
        self.unlock_button.setText("&Unlock" if not shown else "Unlock and &set passphrase")
        (self.recovery_code if shown else self.passphrase).setFocus()

    def reset(self, *, os_login: bool) -> None:
        """Shown afresh: empty field, no old message, OS login only when set up."""
        for field in (self.recovery_code, self.new_passphrase, self.repeat_passphrase):
            field.clear()
        self.show_recovery(False)
        self.passphrase.clear()
        self.error.hide()
        self.error.clear()
        self.os_login_button.setVisible(os_login)
        self._set_wait(0)

    def focus(self) -> None:
        field = self.recovery_code if self.recovery.isVisible() else self.passphrase
        field.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_error(self, message: str, retry_after: float = 0.0) -> None:
        self.error.setText(message)
        self.error.show()
        self._set_wait(retry_after)
        self.focus()

    def _submit(self) -> None:
        if self._seconds_left() > 0:
            return
        if self.recovery.isVisible():
            code, new, again = (
                f.text() for f in (self.recovery_code, self.new_passphrase, self.repeat_passphrase)
            )
            for field in (self.new_passphrase, self.repeat_passphrase):
                field.clear()
            self.recovery_requested.emit(code, new, again)
            return
        secret = self.passphrase.text()
        self.passphrase.clear()  # not kept in the field while the key is derived
        self.unlock_requested.emit(secret)

    def _set_wait(self, seconds: float) -> None:
        self._wait_until = time.monotonic() + max(0.0, seconds)
        self._countdown.start()
        self._show_wait()

    def _seconds_left(self) -> int:
        return math.ceil(max(0.0, self._wait_until - time.monotonic()))

    def _show_wait(self) -> None:
        left = self._seconds_left()
        if not left:
            self._countdown.stop()
        self.unlock_button.setEnabled(not left)
        if left:
            self.unlock_button.setText(f"Wait {left} s")
        else:
            recovering = self.recovery.isVisible()
            self.unlock_button.setText("Unlock and &set passphrase" if recovering else "&Unlock")


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
        self._screen.reset(os_login=self._os_login_enabled())
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
        for worker in workers:
            worker.pause()  # emits `paused` now, or once the job in hand has finished

    def _worker_quiet(self, worker: Worker) -> None:
        self._waiting_for = [w for w in self._waiting_for if w is not worker]
        if not self._waiting_for:
            self._drop_key()

    def _drop_key(self) -> None:
        if self._locked and not self._key_dropped:
            self._key_dropped = True
            self._security.lock()

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
    def unlock(self, secret: str) -> bool:
        """Unlock with the passphrase; on a wrong one, say so (with the wait) and stay locked."""
        if not self._locked:
            return True
        try:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                self._security.unlock(secret)
            finally:
                QApplication.restoreOverrideCursor()
        except WrongPassphrase as err:
            self._screen.show_error(str(err), err.retry_after)
            return False
        except DomainError as err:
            self._screen.show_error(str(err))
            return False
        self._restore()
        return True

    def unlock_with_recovery_code(self, code: str, new: str, again: str) -> bool:
        """The recovery code unlocks and replaces the forgotten passphrase with `new`."""
        if not self._locked:
            return True
        if new != again:
            self._screen.show_error("The two new passphrases are not the same. Type them again.")
            return False
        try:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                self._security.unlock_with_recovery_code(code, new)
            finally:
                QApplication.restoreOverrideCursor()
        except DomainError as err:
            self._screen.show_error(str(err), getattr(err, "retry_after", 0.0))
            return False
        self._restore()
        return True

    def unlock_with_os_login(self) -> bool:
        if not self._locked:
            return True
        try:
            self._security.unlock_with_os_login()
        except DomainError as err:
            self._screen.show_error(str(err), getattr(err, "retry_after", 0.0))
            return False
        self._restore()
        return True

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
        try:
            return self._security.os_login_enabled()
        except DomainError:
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
