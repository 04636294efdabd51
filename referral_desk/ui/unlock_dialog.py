"""The unlock passphrase in the window (issue 12): unlock at start, first-run set-up, the
recovery code shown once, and changing the passphrase.

The dialogs never open the data themselves: each is given an `attempt` that takes an `Unlock`
and raises `DomainError` when it fails (opening the data folder), so a wrong passphrase is
shown in the dialog, with the delay before the next try counted down, and nothing else
happens. That attempt runs on the GUI thread: at start there is no window and no worker yet,
and nothing else on screen to keep painting. A locked window unlocks on its lock screen
(`ui/lock.py`, on the paused worker); changing the passphrase runs through `ui.ops`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import DomainError, ValidationError, WrongPassphrase
from referral_desk.ui.messages import error_text
from referral_desk.ui.ops import op
from referral_desk.ui.passphrase_dialog import StrengthLabel, passphrase_problem
from referral_desk.ui.widgets import FieldError, keep_default, named, save_cancel_buttons
from referral_desk.usecases.security import SecurityService, Unlock

Attempt = Callable[[Unlock], None]

FORGOT = (
    "Forgot it? The recovery code you wrote down at set-up unlocks the data and lets you "
    "choose a new passphrase."
)


def _secret_field(name: str, description: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(1024)
    named(edit, name, description)
    return edit


def _row(form: QFormLayout, text: str, field: QWidget) -> None:
    label = QLabel(text)
    label.setBuddy(field)
    form.addRow(label, field)


def _new_problem(text: str, again: str) -> str:
    problem = passphrase_problem(text, again)
    return problem.replace("the team passphrase has", "the passphrase has").replace(
        "Type the team passphrase.", "Type the new passphrase."
    )


class UnlockDialog(QDialog):
    """Unlock with the passphrase, the recovery code (and a new passphrase) or the OS login."""

    def __init__(
        self,
        attempt: Attempt,
        *,
        os_login: bool = False,
        retry_after: float = 0.0,
        parent: QWidget | None = None,
        title: str = "Unlock Referral Desk",
    ) -> None:
        super().__init__(parent)
        self._attempt = attempt
        self.failure: DomainError | None = None
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages)

        first = QWidget()
        col = QVBoxLayout(first)
        col.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(
            "Your Referral Desk data on this computer is encrypted. Type your "
            "passphrase to open it."
        )
        intro.setWordWrap(True)
        col.addWidget(intro)
        form = QFormLayout()
        self.passphrase_edit = _secret_field("Passphrase", "Your unlock passphrase")
        _row(form, "&Passphrase:", self.passphrase_edit)
        col.addLayout(form)
        forgot = QLabel(FORGOT)
        forgot.setWordWrap(True)
        forgot.setStyleSheet("color: #444;")
        col.addWidget(forgot)
        self.pages.addWidget(first)

        second = QWidget()
        col = QVBoxLayout(second)
        col.setContentsMargins(0, 0, 0, 0)
        why = QLabel(
            "Type the recovery code you wrote down at set-up (dashes and spaces do "
            "not matter), then choose a new passphrase."
        )
        why.setWordWrap(True)
        col.addWidget(why)
        form = QFormLayout()
        self.code_edit = QLineEdit()
        self.code_edit.setMaxLength(80)
        named(self.code_edit, "Recovery code")
        _row(form, "&Recovery code:", self.code_edit)
        self.new_edit = _secret_field("New passphrase", "The passphrase that replaces the old")
        _row(form, "&New passphrase:", self.new_edit)
        self.again_edit = _secret_field("New passphrase again", "Type the new passphrase again")
        _row(form, "&Again:", self.again_edit)
        col.addLayout(form)
        self.strength = StrengthLabel()
        col.addWidget(self.strength)
        self.pages.addWidget(second)

        self.error = FieldError()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.unlock_button = buttons.addButton("&Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        named(self.unlock_button, "Unlock")
        keep_default(self, self.unlock_button)
        self.switch_button = QPushButton("Use &recovery code…")
        named(self.switch_button, "Use recovery code")
        buttons.addButton(self.switch_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.os_login_button: QPushButton | None = None
        if os_login:
            self.os_login_button = QPushButton("Use &OS login")
            named(self.os_login_button, "Unlock with OS login")
            buttons.addButton(self.os_login_button, QDialogButtonBox.ButtonRole.ActionRole)
            self.os_login_button.clicked.connect(
                lambda _c=False: self._try(Unlock.os_login(), self.passphrase_edit)
            )
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        named(cancel, "Cancel")
        cancel.clicked.connect(lambda _c=False: self.reject())
        layout.addWidget(buttons)
        self.unlock_button.clicked.connect(lambda _c=False: self._unlock())
        self.switch_button.clicked.connect(lambda _c=False: self._switch())
        for edit in (self.new_edit, self.again_edit):
            edit.textChanged.connect(lambda _t: self.strength.show_for(self.new_edit.text()))

        self._remaining = 0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._wait(retry_after)
        self.passphrase_edit.setFocus()

    def _switch(self) -> None:
        recovering = self.pages.currentIndex() == 0
        self.pages.setCurrentIndex(1 if recovering else 0)
        self.switch_button.setText("Use &passphrase" if recovering else "Use &recovery code…")
        named(self.switch_button, "Use passphrase" if recovering else "Use recovery code")
        self.error.set_error("")
        (self.code_edit if recovering else self.passphrase_edit).setFocus()

    def _unlock(self) -> None:
        if self._remaining > 0:
            return
        if self.pages.currentIndex() == 0:
            self._try(Unlock.passphrase(self.passphrase_edit.text()), self.passphrase_edit)
            return
        problem = _new_problem(self.new_edit.text(), self.again_edit.text())
        if not self.code_edit.text().strip():
            problem = "Type the recovery code."
        if problem:
            self.error.set_error(problem)
            return
        self._try(Unlock.recovery(self.code_edit.text(), self.new_edit.text()), self.code_edit)

    def _try(self, unlock: Unlock, field: QLineEdit) -> None:
        try:
            self._attempt(unlock)
        except WrongPassphrase as err:
            self.error.set_error(str(err))
            field.clear()
            field.setFocus()
            self._wait(err.retry_after)
        except ValidationError as err:
            self.error.set_error(str(err))
        except DomainError as err:  # the data cannot be opened at all: the caller says why
            self.failure = err
            self.reject()
        else:
            self.accept()

    def _wait(self, seconds: float) -> None:
        self._remaining = int(seconds + 0.999)
        self._tick(count=False)
        if self._remaining > 0:
            self._timer.start()

    def _tick(self, count: bool = True) -> None:
        if count:
            self._remaining -= 1
        waiting = self._remaining > 0
        self.unlock_button.setEnabled(not waiting)
        if self.os_login_button is not None:
            self.os_login_button.setEnabled(not waiting)
        self.unlock_button.setText(f"Wait {self._remaining} s" if waiting else "&Unlock")
        self.unlock_button.setAccessibleDescription(
            f"Too many wrong attempts: wait {self._remaining} seconds" if waiting else ""
        )
        if not waiting:
            self._timer.stop()


class SetPassphraseDialog(QDialog):
    """First run, or the first start after an update that encrypts older data: choose the
    passphrase (twice) that will unlock the data on this computer."""

    def __init__(
        self, attempt: Attempt, *, plaintext: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._attempt = attempt
        self.failure: DomainError | None = None
        self.setWindowTitle("Choose your passphrase")
        self.setAccessibleName("Choose your passphrase")
        self.setMinimumWidth(500)
        layout = QVBoxLayout(self)
        text = (
            "Referral Desk now encrypts your data on this computer. Choose the passphrase that "
            "will unlock it; your data is encrypted as soon as you continue."
            if plaintext
            else "Referral Desk keeps your data on this computer encrypted. Choose the "
            "passphrase that will unlock it."
        )
        intro = QLabel(text + " Type it twice: a slip of a key would lock you out.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.passphrase_edit = _secret_field("Passphrase", "The new unlock passphrase")
        _row(form, "&Passphrase:", self.passphrase_edit)
        self.again_edit = _secret_field("Passphrase again", "Type the passphrase again")
        _row(form, "&Again:", self.again_edit)
        layout.addLayout(form)
        self.strength = StrengthLabel()
        layout.addWidget(self.strength)
        self.error = FieldError()
        layout.addWidget(self.error)
        buttons, self.ok_button = save_cancel_buttons(
            self, "&Set passphrase", "Set passphrase", self._set
        )
        layout.addWidget(buttons)
        for edit in (self.passphrase_edit, self.again_edit):
            edit.textChanged.connect(self._check)
        self._check()
        self.passphrase_edit.setFocus()

    def _problem(self) -> str:
        return _new_problem(self.passphrase_edit.text(), self.again_edit.text())

    def _check(self, *_args: object) -> None:
        self.strength.show_for(self.passphrase_edit.text())
        problem = self._problem()
        self.error.set_error(problem if self.passphrase_edit.text() else "")
        self.ok_button.setEnabled(not problem)

    def _set(self) -> None:
        if self._problem():
            return
        try:
            self._attempt(Unlock.new(self.passphrase_edit.text()))
        except ValidationError as err:
            self.error.set_error(str(err))
        except DomainError as err:
            self.failure = err
            self.reject()
        else:
            self.accept()


class RecoveryCodeDialog(QDialog):
    """The recovery code, shown this once: it cannot be closed until the officer confirms
    they wrote it down (without it, a forgotten passphrase means the local data is lost)."""

    def __init__(self, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your recovery code")
        self.setAccessibleName("Your recovery code")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "If you ever forget your passphrase, this recovery code unlocks your data. It is "
            "shown <b>only now</b>. Write it down and keep it somewhere safe, away from this "
            "computer (not in a file on it)."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.code_label = QLabel(code)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.code_label.setFont(font)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setWordWrap(True)
        named(self.code_label, "Recovery code", " ".join(code))
        layout.addWidget(self.code_label)
        self.written = QCheckBox("I have &written the recovery code down")
        named(self.written, "I have written the recovery code down")
        layout.addWidget(self.written)
        buttons = QDialogButtonBox()
        self.done_button = buttons.addButton("&Continue", QDialogButtonBox.ButtonRole.AcceptRole)
        named(self.done_button, "Continue")
        self.done_button.setEnabled(False)
        keep_default(self, self.done_button)
        self.done_button.clicked.connect(lambda _c=False: self.accept())
        self.written.toggled.connect(self.done_button.setEnabled)
        layout.addWidget(buttons)

    def reject(self) -> None:
        if self.written.isChecked():  # Esc or the close button only once it is written down
            super().reject()


class ChangePassphraseDialog(QDialog):
    """Preferences: a new unlock passphrase (seconds: the data key is re-wrapped)."""

    def __init__(self, security: SecurityService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._security = security
        self.setWindowTitle("Change passphrase")
        self.setAccessibleName("Change passphrase")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.old_edit = _secret_field("Current passphrase", "The passphrase you unlock with now")
        _row(form, "&Current passphrase:", self.old_edit)
        self.new_edit = _secret_field("New passphrase", "The passphrase to unlock with from now")
        _row(form, "&New passphrase:", self.new_edit)
        self.again_edit = _secret_field("New passphrase again", "Type the new passphrase again")
        _row(form, "&Again:", self.again_edit)
        layout.addLayout(form)
        note = QLabel("Your recovery code stays the same.")
        note.setStyleSheet("color: #444;")
        layout.addWidget(note)
        self.strength = StrengthLabel()
        layout.addWidget(self.strength)
        self.error = FieldError()
        layout.addWidget(self.error)
        buttons, self.ok_button = save_cancel_buttons(
            self, "C&hange passphrase", "Change passphrase", self._change
        )
        layout.addWidget(buttons)
        for edit in (self.new_edit, self.again_edit):
            edit.textChanged.connect(lambda _t: self.strength.show_for(self.new_edit.text()))
        self._changing = False
        self.old_edit.setFocus()

    def _change(self) -> None:
        problem = _new_problem(self.new_edit.text(), self.again_edit.text())
        if not self.old_edit.text():
            problem = "Type your current passphrase."
        if problem:
            self.error.set_error(problem)
            return
        if self._changing:  # Enter pressed again while the key is being re-wrapped
            return
        self._changing = True
        security, old, new = self._security, self.old_edit.text(), self.new_edit.text()
        op(self, lambda: security.change_passphrase(old, new)).busy().success(
            self._changed
        ).failure(self._refused).run()

    def _changed(self, _result: object) -> None:
        self._changing = False
        self.accept()

    def _refused(self, err: BaseException) -> None:
        self._changing = False
        self.error.set_error(error_text(err))
        if isinstance(err, WrongPassphrase):
            self.old_edit.clear()
            self.old_edit.setFocus()
