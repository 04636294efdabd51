"""Helpers for tests that answer modal dialogs: a dialog's exec() blocks, so the answer must
be scheduled before the click that opens it. On the test path via pytest's `pythonpath`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget


def when_modal(kind: type, callback: Callable[[Any], None], timeout_ms: int = 5000) -> list:
    """Run `callback(widget)` once a modal widget of `kind` is open (it blocks in exec()).

    If the callback fails, the widget is closed without asking so exec() returns and the test
    fails cleanly instead of hanging. Returns a list that receives the widget.
    """
    seen: list[Any] = []
    waited = [0]

    def poll() -> None:
        widget = QApplication.activeModalWidget()
        # Wait until it is the active window, as a person's keys would reach it: focus and
        # shortcuts only work there.
        ready = isinstance(widget, kind) and widget.isVisible() and widget.isActiveWindow()
        # ...and, for a dialog that fills in from the worker, once it has (its `loaded` flag).
        ready = ready and getattr(widget, "loaded", True) is not False
        if ready and not seen:
            seen.append(widget)
            try:
                callback(widget)
            except BaseException:
                widget.confirm_discard = False  # close without asking, so exec() returns
                widget.close()
                raise
            return
        waited[0] += 10
        if isinstance(widget, kind) and waited[0] % 500 == 0:
            widget.activateWindow()
        if waited[0] < timeout_ms:
            QTimer.singleShot(10, poll)

    QTimer.singleShot(0, poll)
    return seen


def click_box_button(box: QMessageBox, text: str) -> None:
    """Click the message box button labelled `text` (mnemonic ampersands ignored)."""
    for button in box.buttons():
        if button.text().replace("&", "") == text:
            button.click()
            return
    raise LookupError(text)


def answer(text: str, seen_texts: list[str] | None = None) -> Callable[[QMessageBox], None]:
    """A `when_modal` callback that clicks `text`, noting the box's message in `seen_texts`."""

    def click(box: QMessageBox) -> None:
        if seen_texts is not None:
            seen_texts.append(box.text())
        click_box_button(box, text)

    return click


class FakePrintDialog:
    """Stands in for the system print dialog: "OK" with the printer writing to a PDF file."""

    output: Path
    accept = True
    printers: list[QPrinter]

    def __init__(self, printer: QPrinter, parent: QWidget | None = None) -> None:
        self.printer = printer
        type(self).printers.append(printer)

    def setWindowTitle(self, title: str) -> None:
        self.title = title

    def exec(self) -> QDialog.DialogCode:
        if not self.accept:
            return QDialog.DialogCode.Rejected
        self.printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        self.printer.setOutputFileName(str(self.output))
        return QDialog.DialogCode.Accepted
