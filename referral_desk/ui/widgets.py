"""Small shared widgets: count badges, a date field that may be empty, inline field errors,
and the message bar every page uses instead of pop-ups.

Officers type dates the British way (31/12/1980, 31121980, 31 Dec 1980…), often leave them
blank (release date not known yet) and must never be forced to pick today's date just because a
widget cannot be empty, so dates are a line edit with forgiving parsing (`domain.dates`) rather
than QDateEdit; once typed, the date is shown back spelt out ("31 December 1980").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from html import escape

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QGuiApplication,
    QHelpEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.dates import EXAMPLE, MAX_LENGTH, format_long, parse_typed_date
from referral_desk.domain.errors import ValidationError
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


# -- long text: wrap anywhere, elide with the whole text in a tooltip -------------------------
_LONG_RUN = re.compile(r"\S{24}(?=\S)")
ZERO_WIDTH_SPACE = "\u200b"


def breakable(text: str) -> str:
    """`text` with invisible break points in runs of 24+ characters without a space.

    Qt wraps labels and tooltips at spaces only: a 500-character reference or web address
    would make its window as wide as itself. A zero-width space is a place a line may break.
    """
    return _LONG_RUN.sub(lambda m: m.group(0) + ZERO_WIDTH_SPACE, text)


def full_text_tip(text: str) -> str:
    """A tooltip holding the whole of `text`, wrapped to the tooltip's width.

    Plain-text tooltips are drawn on one line however long they are; rich text wraps.
    """
    if not text.strip():
        return ""
    body = "<br>".join(escape(breakable(line)) for line in text.splitlines())
    return f"<p>{body}</p>"


def _utf16_slice(encoded: bytes, start: int, length: int) -> str:
    """Qt's text positions count UTF-16 units; Python's count characters."""
    return encoded[2 * start : 2 * (start + length)].decode("utf-16-le", errors="ignore")


class ElidedLabel(QLabel):
    """Plain text on at most `max_lines` lines, broken anywhere if need be, with "…" where it
    is cut and then the whole text in its tooltip.

    For text an officer typed (names, descriptions, notes): however long it is, the label's
    minimum size stays small, so one long entry can never push a window off the screen.
    """

    PREFERRED_CHARS = 60

    def __init__(
        self, text: str = "", parent: QWidget | None = None, *, max_lines: int = 1
    ) -> None:
        super().__init__(parent)
        self._max_lines = max(1, max_lines)
        self._cache: tuple[int, list[str], bool] | None = None
        # QLabel sets its height-for-width from its word-wrap flag on every setText: the flag
        # (its own wrapping is never drawn here) makes layouts ask heightForWidth below.
        self.setWordWrap(self._max_lines > 1)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._cache = None
        self.updateGeometry()
        self._update_tip()
        self.update()

    def is_elided(self) -> bool:
        return self._lines(self.contentsRect().width())[1]

    def _flat(self) -> str:
        return " ".join(self.text().split())

    def _lines(self, width: int) -> tuple[list[str], bool]:
        """The lines shown at `width`, the last one elided if the text goes on."""
        if self._cache is not None and self._cache[0] == width:
            return self._cache[1], self._cache[2]
        text = self._flat()
        metrics = self.fontMetrics()
        width = max(width, 1)
        if self._max_lines == 1 or not text:
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
            result = ([shown], shown != text)
        else:
            layout = QTextLayout(text, self.font())
            option = QTextOption()
            option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
            layout.setTextOption(option)
            spans: list[tuple[int, int]] = []
            layout.beginLayout()
            while len(spans) <= self._max_lines:
                line = layout.createLine()
                if not line.isValid():
                    break
                line.setLineWidth(width)
                spans.append((line.textStart(), line.textLength()))
            layout.endLayout()
            encoded = text.encode("utf-16-le")
            if len(spans) <= self._max_lines:
                result = ([_utf16_slice(encoded, s, n) for s, n in spans], False)
            else:
                kept = [_utf16_slice(encoded, s, n) for s, n in spans[: self._max_lines - 1]]
                rest = _utf16_slice(encoded, spans[self._max_lines - 1][0], len(encoded) // 2)
                kept.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
                result = (kept, True)
        self._cache = (width, *result)
        return result

    def _update_tip(self) -> None:
        self.setToolTip(full_text_tip(self.text()) if self.is_elided() else "")

    def _margins(self) -> QSize:
        m = self.contentsMargins()
        return QSize(m.left() + m.right(), m.top() + m.bottom())

    def heightForWidth(self, width: int) -> int:
        lines = len(self._lines(max(width - self._margins().width(), 1))[0])
        return lines * self.fontMetrics().lineSpacing() + self._margins().height()

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        cap = metrics.averageCharWidth() * self.PREFERRED_CHARS
        width = min(metrics.horizontalAdvance(self._flat()), cap) + 2
        extra = self._margins()
        return QSize(width + extra.width(), self.heightForWidth(width + extra.width()))

    def minimumSizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        width = min(metrics.horizontalAdvance(self._flat()), metrics.horizontalAdvance("M" * 6))
        extra = self._margins()
        return QSize(width + extra.width(), metrics.lineSpacing() + extra.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, event: QPaintEvent) -> None:
        QFrame.paintEvent(self, event)
        painter = QPainter(self)
        rect = self.contentsRect()
        step = self.fontMetrics().lineSpacing()
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        top = rect.top()
        for line in self._lines(rect.width())[0]:
            self.style().drawItemText(
                painter,
                QRect(rect.left(), top, rect.width(), step),
                align,
                self.palette(),
                self.isEnabled(),
                line,
                self.foregroundRole(),
            )
            top += step
        painter.end()


def name_heading(before: str, name: str, after: str = "", *, accessible: str = "") -> QWidget:
    """A line such as "New need for **Name**": the name bold, shortened with "…" (whole in its
    tooltip) when a 200-character name would not fit."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(4)
    if before:
        row.addWidget(QLabel(before))
    label = ElidedLabel(name)
    label.setObjectName("headingName")
    label.setStyleSheet("QLabel#headingName { font-weight: bold; }")
    row.addWidget(label, 1 if not after else 0)
    if after:
        tail = QLabel(after)
        tail.setWordWrap(True)
        row.addWidget(tail, 1)
    box.setAccessibleName(accessible or " ".join(x for x in (before, name, after) if x))
    return box


def limit_combo(combo: QComboBox, chars: int = 28) -> QComboBox:
    """A combo of data (officers, organisations, reference lists) as wide as `chars`, not as its
    longest item: one 200-character entry made a dialog wider than the screen."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    view = combo.view()
    if view is not None:  # the open list shows long entries whole, up to the screen's width
        view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    # The closed combo cuts a long choice without "…": its whole text is then the tooltip.
    combo.currentTextChanged.connect(lambda text: _combo_tip(combo, text, chars))
    return combo


def _combo_tip(combo: QComboBox, text: str, chars: int) -> None:
    if combo.property("helpTip") is None:  # the tooltip it was given (named()), kept
        combo.setProperty("helpTip", combo.toolTip())
    combo.setToolTip(full_text_tip(text) if len(text) > chars else combo.property("helpTip"))


class ElidedTipDelegate(QStyledItemDelegate):
    """Table cells shortened with "…" show their whole text in a tooltip.

    Tables keep one line per row (measuring wrapped rows is slow for long lists), so a long
    name or note is cut; the model's own tooltip, if it has one, still wins.
    """

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: QModelIndex,
    ) -> bool:
        if event is None or event.type() != QEvent.Type.ToolTip or not index.isValid():
            return super().helpEvent(event, view, option, index)
        tip = index.data(Qt.ItemDataRole.ToolTipRole)
        if isinstance(tip, str) and tip:
            # The model's own tip; a long plain one would be drawn on one endless line.
            shown = tip if Qt.mightBeRichText(tip) else full_text_tip(tip)
            QToolTip.showText(event.globalPos(), shown, view, option.rect)
            return True
        if tip:
            return super().helpEvent(event, view, option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if isinstance(text, str) and text and is_cell_elided(view, option, index):
            QToolTip.showText(event.globalPos(), full_text_tip(text), view, option.rect)
            return True
        QToolTip.hideText()
        return False


def is_cell_elided(
    view: QAbstractItemView, option: QStyleOptionViewItem, index: QModelIndex
) -> bool:
    """True when the cell's text is wider than the room its column gives it."""
    opt = QStyleOptionViewItem(option)
    delegate = view.itemDelegateForIndex(index)
    if isinstance(delegate, QStyledItemDelegate):
        delegate.initStyleOption(opt, index)
    style = view.style()
    room = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, view).width()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
    return opt.fontMetrics.horizontalAdvance(opt.text) > room - 2 * margin


def tip_elided_cells(view: QAbstractItemView) -> QAbstractItemView:
    """Give `view` the delegate that shows cut-off cells whole in a tooltip."""
    view.setItemDelegate(ElidedTipDelegate(view))
    return view


class FieldError(QLabel):
    """A red line under a field; hidden while there is nothing to say.

    A wrapped label in a form gets one line's height whatever its text needs, and a dialog
    does not grow for it: the message was squashed and clipped. The label asks for the height
    its text needs at its width, and the window grows to make room.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setStyleSheet("color: #b00020;")
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
            colours = "background: #b00020; color: white;"
        elif count:
            colours = "background: #1d5fa8; color: white;"
        else:
            colours = "background: #d8dde3; color: #333;"
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


def set_combo_text(combo: QComboBox, text: str) -> None:
    index = combo.findText(text, Qt.MatchFlag.MatchFixedString)
    if index >= 0:
        combo.setCurrentIndex(index)
    elif combo.isEditable():
        combo.setEditText(text)


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
        colours = {
            "error": "background: #fde7e9; border: 1px solid #b00020; color: #5c0011;",
            "info": "background: #e6f1fb; border: 1px solid #1d5fa8; color: #0b2c4f;",
        }[kind]
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


class PageSlot(QWidget):
    """A page of a stacked widget whose content is built the first time it is asked for.

    Pages an officer may never open in a session (the directory keeper's desk, reports) then
    cost nothing at start-up; `page` builds and returns the real widget.
    """

    def __init__(self, build: Callable[[], QWidget], accessible_name: str) -> None:
        super().__init__()
        self._build = build
        self._page: QWidget | None = None
        self.setAccessibleName(accessible_name)
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)

    @property
    def page(self) -> QWidget:
        if self._page is None:
            self._page = self._build()
            self._box.addWidget(self._page)
            self._page.show()  # a child added to a visible parent stays hidden until shown
        return self._page

    def is_built(self) -> bool:
        return self._page is not None
