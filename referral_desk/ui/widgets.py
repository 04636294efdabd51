"""Small shared widgets: count badges, a date field that may be empty, inline field errors,
dialog plumbing (run, keep the default button, warn before losing typed text).

Officers type dates the British way (31/12/1980, 31121980, 31 Dec 1980…), often leave them
blank (release date not known yet) and must never be forced to pick today's date just because a
widget cannot be empty, so dates are a line edit with forgiving parsing (`domain.dates`) rather
than QDateEdit; once typed, the date is shown back spelt out ("31 December 1980").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QKeyEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from referral_desk.domain.dates import EXAMPLE, MAX_LENGTH, format_long, parse_typed_date
from referral_desk.domain.errors import ValidationError
from referral_desk.ui import palette
from referral_desk.ui.elided import limit_combo
from referral_desk.ui.lock import exec_dialog

# Room a window manager takes around a window: borders, and a title bar up to ~40 px high.
FRAME_ALLOWANCE = QSize(20, 48)


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Resize `window` to width × height, or less: never beyond the screen's free area.

    Office laptops are 1366 × 768 with a task bar: a dialog taller than ~690 pixels puts its
    buttons below the bottom of the screen, where nobody can click them. The layout below
    must be able to shrink that far (scroll areas, side-by-side columns).
    """
    parent = window.parentWidget()
    screen = (parent.screen() if parent is not None else None) or window.screen()
    screen = screen or QGuiApplication.primaryScreen()
    if screen is not None:
        area = screen.availableGeometry().size() - FRAME_ALLOWANCE
        width, height = min(width, area.width()), min(height, area.height())
    window.resize(width, height)


def run_dialog(dialog: QDialog) -> bool:
    """exec() a modal dialog, then schedule its deletion; True when accepted.

    A dialog parented to the window would otherwise live as long as the window: one more
    hidden dialog for every need logged in a long working day. Run through `exec_dialog`, so
    locking the client hides the dialog and unlocking brings it back as it was.
    """
    try:
        return exec_dialog(dialog) == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()


class _DefaultKeeper(QObject):
    """Child of a dialog; Qt disconnects its slot when the dialog (and so it) is deleted."""

    def __init__(self, dialog: QDialog, button: QPushButton) -> None:
        super().__init__(dialog)
        self._dialog = dialog
        self._button = button

    def restore(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is None or isinstance(new, QPushButton):
            return
        try:
            if new.window() is self._dialog and self._button.isVisible():
                self._button.setDefault(True)
        except RuntimeError:  # the dialog is being destroyed
            pass


def keep_default(dialog: QDialog, button: QPushButton) -> None:
    """Enter in any field presses `button`, even after another button had the focus.

    Qt moves "default" to whichever auto-default button was last focused (a mouse click on
    Save that failed validation, say) and may leave none when the focus goes back to a field;
    officers expect Enter in a field to save, always.
    """
    button.setDefault(True)
    app = QApplication.instance()
    if isinstance(app, QApplication):
        keeper = _DefaultKeeper(dialog, button)
        app.focusChanged.connect(keeper.restore)


def form_state(root: QWidget) -> tuple[object, ...]:
    """What the officer has typed or chosen in a dialog, to tell whether closing loses work."""
    from PySide6.QtWidgets import QAbstractButton, QSpinBox

    state: list[object] = []
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QLineEdit) and not isinstance(widget.parentWidget(), QComboBox):
            state.append(widget.text())
        elif isinstance(widget, QComboBox):
            state.append(widget.currentText())
        elif isinstance(widget, QAbstractButton) and widget.isCheckable():
            state.append(widget.isChecked())
        elif isinstance(widget, QSpinBox):
            state.append(widget.value())
    return tuple(state)


class GuardedDialog(QDialog):
    """A dialog that asks before Esc, Cancel or its close button throws away typing.

    Call `mark_clean()` once the fields hold their starting values. Only the officer's own
    ways of leaving ask; `reject()` called by code (after saving, on shutdown) just closes.
    """

    _clean: tuple[object, ...] | None = None

    def mark_clean(self) -> None:
        self._clean = form_state(self)

    def is_dirty(self) -> bool:
        return self._clean is not None and form_state(self) != self._clean

    def _may_discard(self) -> bool:
        if not self.is_dirty():
            return True
        from referral_desk.ui.messages import confirm

        return confirm(
            self, "Discard changes", "Close without saving what you typed?", action="Discard"
        )

    def cancel(self) -> None:
        """Esc or the Cancel button."""
        if self._may_discard():
            self.reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            self.cancel()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if event.spontaneous() and not self._may_discard():  # the title bar's close button
            event.ignore()
            return
        super().closeEvent(event)


def save_cancel_buttons(
    dialog: QDialog,
    text: str,
    name: str,
    on_save: Callable[[], object],
    on_cancel: Callable[[], object] | None = None,
) -> tuple[QDialogButtonBox, QPushButton]:
    """The dialog's main button (Enter presses it, see `keep_default`) and Cancel, both named.

    Every dialog in the app ends this way, so keyboard and screen-reader behaviour is one thing.
    """
    buttons = QDialogButtonBox()
    save = buttons.addButton(text, QDialogButtonBox.ButtonRole.AcceptRole)
    named(save, name)
    keep_default(dialog, save)
    cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    named(cancel, "Cancel")
    save.clicked.connect(lambda _checked=False: on_save())
    cancel.clicked.connect(lambda _checked=False: (on_cancel or dialog.reject)())
    return buttons, save


def named(widget: QWidget, name: str, description: str = "") -> QWidget:
    """Give a control its accessible name (screen readers) and, optionally, a description."""
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
        widget.setToolTip(description)
    return widget


def fmt_date(value: date | None) -> str:
    """`2 Mar 2026`: unambiguous, short, and how officers write dates in case notes."""
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{fmt_date(value.date())} {value:%H:%M}"


def parse_user_date(text: str, what: str) -> date | None:
    """The date typed (any of the ways `domain.dates` accepts); empty means no date."""
    return parse_typed_date(text, what)


class DateEdit(QLineEdit):
    """A date that may be left empty; Up/Down step a day, Page Up/Down a week.

    When the officer leaves the field, a date it understood is written back in full
    ("3 November 2003"): 03112003 or 3/11/03 is then plainly the date meant, or plainly not.
    """

    date_changed = Signal()

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._what = what
        self.setPlaceholderText("dd/mm/yyyy")
        self.setMaxLength(MAX_LENGTH)
        self.setClearButtonEnabled(True)
        named(self, what, f"{what}: type a date like {EXAMPLE} or leave empty")
        self.textChanged.connect(lambda _t: self.date_changed.emit())
        self.editingFinished.connect(self.show_parsed)
        width = self.fontMetrics().horizontalAdvance("30 September 00000") + 40
        self.setMinimumWidth(width)
        self.setMaximumWidth(width + 60)

    def show_parsed(self) -> None:
        """Write the date back spelt out; leave text that is not a date for the error."""
        try:
            value = self.value()
        except ValidationError:
            return
        if value is not None and self.text() != format_long(value):
            self.set_value(value)

    def value(self) -> date | None:
        """The date typed, None when empty; raises ValidationError naming the field."""
        return parse_user_date(self.text(), self._what)

    def is_valid(self) -> bool:
        try:
            self.value()
        except ValidationError:
            return False
        return True

    def set_value(self, value: date | None) -> None:
        self.setText("" if value is None else format_long(value))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        steps = {
            Qt.Key.Key_Up: 1,
            Qt.Key.Key_Down: -1,
            Qt.Key.Key_PageUp: 7,
            Qt.Key.Key_PageDown: -7,
        }
        if event.key() in steps and self.is_valid():
            current = self.value() or date.today()
            self.set_value(current + timedelta(days=steps[event.key()]))
            return
        super().keyPressEvent(event)


class FieldError(QLabel):
    """A red line under a field; hidden while there is nothing to say.

    A wrapped label in a form gets one line's height whatever its text needs, and a dialog
    does not grow for it: the message was squashed and clipped. The label asks for the height
    its text needs at its width, and the window grows to make room.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setStyleSheet(f"color: {palette.ERROR};")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAccessibleName("Field error")
        self.hide()

    def set_error(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))
        if text:
            self.setAccessibleDescription(text)
            self._claim_height()

    def _claim_height(self) -> None:
        needed = self.heightForWidth(max(self.width(), 1)) if self.width() > 1 else 0
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)
        window = self.window()
        layout = window.layout() if window is not self else None
        if layout is not None and window.isVisible():
            layout.activate()  # a top-level window grows to its layout's new minimum
            if window.height() < window.minimumSizeHint().height():
                window.resize(window.width(), window.minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.isVisible() and self.text():
            self._claim_height()


class Badge(QLabel):
    """A count in a pill (e.g. overdue follow-ups); red when `alert` and non-zero."""

    def __init__(self, alert: bool = False, parent: QWidget | None = None) -> None:
        super().__init__("0", parent)
        self._alert = alert
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumWidth(26)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.set_count(0)

    def set_count(self, count: int) -> None:
        self.setText(str(count))
        if count and self._alert:
            colours = f"background: {palette.ERROR}; color: white;"
        elif count:
            colours = f"background: {palette.INFO}; color: white;"
        else:
            colours = f"background: {palette.NEUTRAL_BACKGROUND}; color: {palette.NEUTRAL_TEXT};"
        self.setStyleSheet(
            f"QLabel {{ {colours} border-radius: 9px; padding: 1px 7px; font-weight: bold; }}"
        )


def reference_combo(labels: list[str], name: str, *, blank: str = "") -> QComboBox:
    """An editable combo of reference labels with type-ahead; free text stays possible."""
    from PySide6.QtWidgets import QCompleter

    combo = limit_combo(QComboBox())
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItem(blank)
    combo.addItems(labels)
    completer = QCompleter(labels, combo)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    combo.setCompleter(completer)
    combo.setCurrentIndex(0)
    named(combo, name)
    return combo


def fill_reference_combo(combo: QComboBox, labels: list[str]) -> None:
    """Give a `reference_combo` its labels once they have been read (on the worker), keeping
    what it shows now (the record's value, or what the officer typed meanwhile)."""
    from PySide6.QtCore import QStringListModel

    shown = combo.currentText()
    blank = combo.itemText(0) if combo.count() else ""
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(blank)
    combo.addItems(labels)
    combo.blockSignals(False)
    completer = combo.completer()
    if completer is not None:
        completer.setModel(QStringListModel(labels, completer))
    set_combo_text(combo, shown)


def set_combo_text(combo: QComboBox, text: str) -> None:
    index = combo.findText(text, Qt.MatchFlag.MatchFixedString)
    if index >= 0:
        combo.setCurrentIndex(index)
    elif combo.isEditable():
        combo.setEditText(text)


def action_button(action: QAction) -> QToolButton:
    """A button that mirrors a menu action (text, shortcut in tooltip, enabled state)."""
    button = QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    named(button, action.text().replace("&", "").rstrip("…"))
    return button
