"""What the main window shows while locked (issue 12): nothing about anyone, a passphrase
field, and the recovery-code form for a forgotten passphrase."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from referral_desk.ui import palette


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
        self.error.setStyleSheet(f"color: {palette.ERROR};")
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
