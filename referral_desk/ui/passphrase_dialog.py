"""Typing the team passphrase: checked as it is typed, twice when it is being set, with its
strength shown by a rule an officer can read (`domain.passphrase`).

A passphrase that is too short used to be refused only after the preview and Apply; a typo in a
passphrase being set for the first time makes sync files nobody else can open.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from referral_desk.domain.passphrase import MIN_LENGTH, passphrase_strength
from referral_desk.ui import palette
from referral_desk.ui.widgets import FieldError, named, save_cancel_buttons

STRENGTH_COLOURS = {0: palette.ERROR, 1: palette.ERROR, 2: palette.WARNING, 3: palette.GOOD}


class StrengthLabel(QLabel):
    """ "Strength: Fair — 12 characters, 2 kinds; longer is stronger…", coloured."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        named(self, "Passphrase strength")
        self.show_for("")

    def show_for(self, text: str) -> None:
        strength = passphrase_strength(text)
        # Nothing typed: no empty line. Too short: the problem line under it says so already.
        self.setVisible(strength.acceptable)
        if not strength.acceptable:
            self.setText("")
            self.setAccessibleDescription("")
            return
        words = f"Strength: {strength.label} — {strength.reason}"
        self.setText(words)
        self.setAccessibleDescription(words)
        self.setStyleSheet(f"color: {STRENGTH_COLOURS[strength.level]};")


def passphrase_problem(text: str, again: str | None) -> str:
    """Why `text` cannot be used yet ("" when it can); `again` is the confirmation, if asked."""
    if not text:
        return "Type the team passphrase."
    if not passphrase_strength(text).acceptable:
        return f"Too short: the team passphrase has at least {MIN_LENGTH} characters."
    if again is not None and again != text:
        return "The two passphrases are not the same yet." if again else "Type it again below."
    return ""


class PassphraseDialog(QDialog):
    """Ask for the team passphrase; with `confirm`, twice (it is being set)."""

    def __init__(
        self, parent: QWidget | None = None, *, text: str = "", confirm: bool = False
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Team passphrase")
        self.setAccessibleName("Team passphrase")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel(text or "The team passphrase (the one your team uses for sync):")
        intro.setWordWrap(True)
        named(intro, "What to type")
        layout.addWidget(intro)
        if confirm:
            why = QLabel(
                "This sets the passphrase your team will use: type it twice, so a "
                "slip of a key cannot lock everyone out of the sync files."
            )
            why.setWordWrap(True)
            why.setStyleSheet("color: #444;")
            layout.addWidget(why)
        form = QFormLayout()
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        named(self.passphrase_edit, "Passphrase", "The team passphrase")
        label = QLabel("&Passphrase:")
        label.setBuddy(self.passphrase_edit)
        form.addRow(label, self.passphrase_edit)
        self.confirm_edit: QLineEdit | None = None
        if confirm:
            self.confirm_edit = QLineEdit()
            self.confirm_edit.setEchoMode(QLineEdit.EchoMode.Password)
            named(self.confirm_edit, "Confirm passphrase", "Type the passphrase again")
            again = QLabel("&Again:")
            again.setBuddy(self.confirm_edit)
            form.addRow(again, self.confirm_edit)
            self.confirm_edit.textChanged.connect(self._check)
        layout.addLayout(form)
        self.strength = StrengthLabel()
        layout.addWidget(self.strength)
        self.problem = FieldError()
        layout.addWidget(self.problem)
        buttons, self.ok_button = save_cancel_buttons(
            self, "&Use passphrase", "Use passphrase", self._accept
        )
        layout.addWidget(buttons)
        self.passphrase_edit.textChanged.connect(self._check)
        self._check()
        self.passphrase_edit.setFocus()

    def passphrase(self) -> str:
        return self.passphrase_edit.text()

    def _problem(self) -> str:
        again = self.confirm_edit.text() if self.confirm_edit is not None else None
        return passphrase_problem(self.passphrase(), again)

    def _check(self, *_args: object) -> None:
        text = self.passphrase()
        self.strength.show_for(text)
        problem = self._problem()
        # Say what is wrong once there is something to judge, not on an empty dialog.
        self.problem.set_error(problem if text else "")
        self.ok_button.setEnabled(not problem)

    def _accept(self) -> None:
        if not self._problem():
            self.accept()
