"""Checks that a window fits the screen and shows its controls whole, for the GUI tests.

Each check returns a list of problems (empty when all is well) so a test can look at every
window and dialog of the client and report everything that is wrong in one go. The screen is
the offscreen platform's, which the root conftest sets to an office laptop's (1366 × 768 less
a 40-pixel task bar).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QWidget


def _name(widget: QWidget) -> str:
    return widget.accessibleName() or widget.objectName() or type(widget).__name__


def window_rect(widget: QWidget, window: QWidget) -> QRect:
    """`widget`'s rectangle in `window`'s coordinates."""
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def frame_problems(window: QWidget) -> list[str]:
    """The window, frame included, must lie inside the screen's available area."""
    screen = window.screen()
    area = screen.availableGeometry()
    frame = window.frameGeometry()
    if area.contains(frame):
        return []
    return [
        f"{_name(window)}: frame {frame.width()}×{frame.height()} at "
        f"({frame.x()}, {frame.y()}) is outside the screen's {area.width()}×"
        f"{area.height()}"
    ]


def shown_whole(widget: QWidget) -> bool:
    """True when no part of `widget` is cut off by its parents (or hidden behind nothing)."""
    if not widget.isVisible():
        return False
    return widget.visibleRegion().boundingRect() == widget.rect() or (
        # a sibling drawn over a corner (a frame's border) leaves the region non-rectangular
        widget.visibleRegion().boundingRect().contains(widget.rect())
    )


def in_scroll_area(widget: QWidget, window: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def button_problems(window: QWidget, main: QAbstractButton | None) -> list[str]:
    """The main button is on screen and whole; so is every button outside a scroll area."""
    problems: list[str] = []
    title = _name(window)
    if main is None:
        return [f"{title}: no main button found"]
    if not main.isVisible():
        problems.append(f"{title}: main button {_name(main)} is hidden")
    buttons = [
        b
        for b in window.findChildren(QAbstractButton)
        if b.isVisible() and b.window() is window and not in_scroll_area(b, window)
    ]
    if main.isVisible() and main not in buttons and not in_scroll_area(main, window):
        buttons.append(main)
    area = window.screen().availableGeometry()
    for button in buttons:
        rect = window_rect(button, window)
        if not window.rect().contains(rect) or not shown_whole(button):
            problems.append(f"{title}: button {_name(button)!r} is cut off or outside the window")
        elif not area.contains(QRect(button.mapToGlobal(QPoint(0, 0)), button.size())):
            problems.append(f"{title}: button {_name(button)!r} is off the screen")
    return problems


def label_problems(window: QWidget) -> list[str]:
    """Every label shown in `window` shows all its text: tall and wide enough for it, or
    elided with the whole text in its tooltip (`ElidedLabel`)."""
    from PySide6.QtWidgets import QLabel

    from referral_desk.ui.elided import ElidedLabel

    problems: list[str] = []
    title = _name(window)
    for label in window.findChildren(QLabel):
        if not label.isVisible() or label.window() is not window or not label.text().strip():
            continue
        text = " ".join(label.text().split())[:50]
        if isinstance(label, ElidedLabel):
            if label.is_elided() and label.toolTip() == "":
                problems.append(f"{title}: {text!r} is elided without a tooltip")
            needed = label.heightForWidth(label.width())
            if label.height() + 1 < needed:  # its lines, shortened or not, all show
                problems.append(f"{title}: {text!r} shows {label.height()} of {needed} pixels")
            continue
        size = label.size()
        if label.wordWrap():
            needed_height = label.heightForWidth(size.width())
            # A word longer than the label is cut at the right-hand edge.
            needed_width = label.minimumSizeHint().width()
        else:
            needed_height = label.sizeHint().height()
            needed_width = label.sizeHint().width()
        if size.height() + 1 < needed_height or size.width() + 1 < needed_width:
            problems.append(
                f"{title}: label {text!r} is cut off ({size.width()}×"
                f"{size.height()}, needs {needed_width}×{needed_height})"
            )
    return problems


def tab_problems(window: QWidget) -> list[str]:
    """No tab of a tab bar is squeezed below the width its text needs ("M… C… D…")."""
    from PySide6.QtWidgets import QTabBar

    problems: list[str] = []
    for bar in window.findChildren(QTabBar):
        if not bar.isVisible() or bar.window() is not window:
            continue
        for i in range(bar.count()):
            if bar.tabRect(i).width() + 1 < bar.tabSizeHint(i).width():
                problems.append(f"{_name(window)}: tab {bar.tabText(i)[:40]!r} is squeezed")
    return problems
