"""The message bar every page and dialog uses instead of pop-ups: results and errors in a line
at the top, with an optional action button ("Try again")."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from referral_desk.ui import palette
from referral_desk.ui.widgets import named


class MessageBar(QFrame):
    """A dismissible line at the top of the window for results and errors (no modal pop-ups).

    Info messages fade after a while; errors stay until dismissed or replaced, because an
    officer must not miss that something was *not* saved.
    """

    INFO_MS = 8000

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setAccessibleName("Messages")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName("Message")
        layout.addWidget(self.label, 1)
        self.action_button = QPushButton()
        named(self.action_button, "Message action")
        # Never the dialog's default button: Enter must keep meaning "save".
        self.action_button.setAutoDefault(False)
        self.action_button.hide()
        layout.addWidget(self.action_button)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        named(close, "Dismiss message")
        close.clicked.connect(self.dismiss)
        layout.addWidget(close)
        self.kind = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)
        self._callback = None
        self.action_button.clicked.connect(self._run_action)
        self.hide()

    def show_message(
        self, text: str, *, kind: str = "info", action: str = "", callback=None
    ) -> None:
        self.kind = kind
        colours = palette.banner_style(kind)
        self.setStyleSheet(f"QFrame#messageBar {{ {colours} border-radius: 4px; }}")
        self.label.setText(text)
        self.label.setAccessibleDescription(text)
        self._callback = callback
        self.action_button.setText(action)
        self.action_button.setAccessibleName(action.replace("&", "") or "Message action")
        self.action_button.setVisible(bool(action and callback))
        self.show()
        if kind == "info":
            self._timer.start(self.INFO_MS)
        else:
            self._timer.stop()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def dismiss(self) -> None:
        self._timer.stop()
        self._callback = None
        self.hide()

    def _run_action(self) -> None:
        callback = self._callback
        self.dismiss()
        if callback is not None:
            callback()
