"""Long text that must not widen a window: break points in long runs, "…" where text is cut,
and the whole text in a tooltip.

Officers type names, references and notes of any length; one 500-character entry must never
push a dialog off the screen, nor be lost from view (the tooltip shows all of it).
"""

from __future__ import annotations

import re
from html import escape

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent, QTextLayout, QTextOption
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QWidget

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
